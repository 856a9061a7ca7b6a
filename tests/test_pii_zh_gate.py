"""The gate in front of the Chinese name finder (tools/pii/zh_name_gate.py) must never close on
a text the finder would mask: checked against the finder itself (jieba's tags) on the PII
corpus, every complaint text of the demo warehouse, every evaluation question and the demo
agents' names in question and complaint sentences."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evals.pii import CORPUS, load_corpus
from tools.jieba_loader import jieba_posseg
from tools.pii import mask_pii, normalize_width
from tools.pii import zh_name_gate as gate
from tools.pii.names import _zh_names_tagged

ROOT = Path(__file__).resolve().parents[1]
_NAME_SENTENCES = (
    "{}",
    "{}处理的工单满意度",
    "坐席{}上个月的解决率",
    "客户投诉{}态度差",
    "联系人：{}，电话稍后告知",
    "{}师傅上门很及时",
    "我叫{}，订单一直没发货",
    "请{}经理回电",
    "{}说明天再来",
)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICEPILOT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(gate, "_sets", None)


def _questions() -> list[str]:
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "question" and isinstance(value, str):
                    out.append(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                out.append(value) if isinstance(value, str) else walk(value)

    for path in [*sorted((ROOT / "evals" / "cases").glob("*.yml")), ROOT / "evals/paraphrases.yml"]:
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return out


def _demo_texts(warehouse_url: str) -> tuple[list[str], list[str]]:
    # The shared warehouse is opened the one way every test opens it (make_engine, read-only):
    # DuckDB refuses a second in-process connection to the file with other settings.
    import sqlalchemy as sa

    from tools.warehouse.engine import make_engine

    engine = make_engine(warehouse_url, read_only=True)
    try:
        with engine.connect() as con:
            texts = con.execute(
                sa.text(
                    "SELECT subject FROM tickets UNION SELECT description FROM tickets "
                    "UNION SELECT resolution FROM tickets UNION SELECT comment FROM surveys"
                )
            ).fetchall()
            names = con.execute(sa.text("SELECT DISTINCT agent_name FROM agents")).fetchall()
    finally:
        engine.dispose()
    return [t for (t,) in texts if t], [n for (n,) in names]


def _assert_gate_exact(texts: list[str]) -> int:
    """Every text the gate closes on has no name by the finder; returns how many had one."""
    with_names = 0
    for raw in texts:
        text = normalize_width(raw)
        spans = _zh_names_tagged(text)
        with_names += bool(spans)
        if spans:
            assert gate.may_contain_zh_name(text), f"gate closed on a name: {text!r} {spans}"
    return with_names


def _members(words: gate.WordSet) -> set[str]:
    return {w for bucket in words.values() for w in bucket.split("\n") if w}


def test_the_word_sets_hold_every_name_tag_the_tagger_uses():
    full, given = gate.nr_word_sets()
    tags = jieba_posseg().dt.word_tag_tab
    names = {w for w, tag in tags.items() if tag in ("nr", "nrfg", "nrt")}
    assert _members(given) == {w for w in names if len(w) <= 2}
    assert _members(full) == {w for w in names if 2 <= len(w) <= 6 and gate._starts_with_surname(w)}
    assert all(gate._has(full, w) for w in ("张伟", "欧阳娜娜") if w in names)
    assert not gate._has(full, "张伟\n张") and not gate._has(given, "")


def test_gate_never_closes_on_a_name_in_the_pii_corpus():
    snippets = load_corpus(CORPUS) + load_corpus(CORPUS.with_name("pii_corpus_heldout.txt"))
    assert _assert_gate_exact([s.text for s in snippets]) >= 60


def test_gate_never_closes_on_a_name_in_demo_texts_or_sentences(demo_warehouse_url):
    texts, agent_names = _demo_texts(demo_warehouse_url)
    assert len(texts) > 1000 and len(agent_names) > 20
    sentences = [t.format(n) for n in agent_names for t in _NAME_SENTENCES]
    assert _assert_gate_exact(sentences) > len(agent_names)  # names are found in most
    _assert_gate_exact(texts)
    masked = mask_pii(f"坐席{agent_names[0]}师傅处理的")
    assert agent_names[0] not in masked


def test_gate_stays_closed_for_nearly_every_question():
    questions = _questions()
    assert len(questions) > 500
    _assert_gate_exact(questions)
    opened = [q for q in questions if gate.may_contain_zh_name(normalize_width(q))]
    # Each question that opens it costs a ~1 s dictionary load in a CLI process.
    assert len(opened) <= len(questions) // 50, opened
    gate._sets = None
    assert not gate.may_contain_zh_name("上个月各区域的满意度")  # 上 only as in 上官
    assert gate._sets is None  # nothing loaded for a text without a surname


def test_cached_sets_are_reused_and_a_corrupt_cache_is_rebuilt(tmp_path):
    first = gate.nr_word_sets()
    (cached,) = (tmp_path / "cache").glob("zh-name-words-*.marshal")
    cached.write_bytes(b"not marshal")
    gate._sets = None
    assert gate.nr_word_sets() == first
    gate._sets = None
    assert gate._load() == first  # read back from the rewritten file
    assert cached.stat().st_size > 100_000


def test_no_cache_directory_still_works(monkeypatch, tmp_path):
    monkeypatch.setenv("SERVICEPILOT_CACHE_DIR", "off")
    assert gate.may_contain_zh_name("投诉人王建国")
    assert not (tmp_path / "cache").exists()
