"""Chinese word segmentation from the split prefix dictionary (tools.jieba_loader.cut_words):
the same words as jieba's full dictionary, without loading it in a process that has not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A fresh process: the split dictionary is read from the cache written by an earlier process;
# every Chinese run of the demo complaint texts and the PII corpus is cut with it first, then
# with jieba's full dictionary, and the words are compared.
_CHILD = r"""
import re, sys
from tools import jieba_loader
from tools.demo_data import texts as T
from tools.demo_data.catalog import PRODUCTS
import numpy as np

rng = np.random.default_rng(11)
causes = list(T.ROOT_CAUSES)
n = 400
subjects, descriptions, resolutions = T.compose_ticket_texts(
    rng,
    root_causes=[causes[i % len(causes)] for i in range(n)],
    ticket_types=["complaint"] * n,
    languages=["zh"] * n,
    product_ids=[PRODUCTS[i % len(PRODUCTS)].product_id for i in range(n)],
    resolved=[True] * n,
)
corpus = open(sys.argv[1], encoding="utf-8").read()
texts = [*subjects, *descriptions, *(r or "" for r in resolutions), corpus]
runs = [r for t in texts for r in re.findall(r"[\u4e00-\u9fff]+", t)]
split = [jieba_loader.cut_words(r) for r in runs]
assert jieba_loader._jieba is None, "the full dictionary was loaded"
full = jieba_loader.jieba_module()
assert jieba_loader.cut_words("热水器漏水") == full.lcut("热水器漏水", HMM=False)
differ = [(r, a) for r, a in zip(runs, split) if a != full.lcut(r, HMM=False)]
assert not differ, differ[:3]
print(len(runs))
"""


def _run(code: str, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SERVICEPILOT_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600
    )


def test_split_dictionary_cuts_like_the_full_one(tmp_path: Path) -> None:
    first = _run(
        "from tools.jieba_loader import cut_words, _jieba; import tools.jieba_loader as j;"
        "print(cut_words('空调不制冷')); assert j._jieba is not None",  # built from the full one
        tmp_path,
    )
    assert first.returncode == 0, first.stderr
    assert list(tmp_path.glob("jieba-prefix-dict-*.marshal"))
    second = _run(_CHILD, tmp_path, str(ROOT / "evals" / "pii_corpus.txt"))
    assert second.returncode == 0, second.stderr
    assert int(second.stdout.strip()) > 1000  # runs compared


def test_without_a_cache_the_full_dictionary_cuts(tmp_path: Path) -> None:
    done = _run(
        "import tools.jieba_loader as j; print(j.cut_words('热水器漏水')); "
        "assert j._jieba is not None",
        Path("off"),
    )
    assert done.returncode == 0, done.stderr
    assert "热水器" in done.stdout
