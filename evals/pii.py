"""Recall and precision of PII masking (tools/pii) on the labelled corpus ``pii_corpus.txt``.

    python -m evals.pii            # table per language and kind
    python -m evals.pii --misses   # also every missed span and every false alarm
    python -m evals.pii --corpus evals/pii_corpus_heldout.txt   # snippets never tuned on

A labelled span counts as recalled when every one of its characters is masked (by any kind:
what matters is that the datum is gone). A masked span is a true positive when it overlaps a
labelled span; otherwise it is a false alarm (an order number, an amount, a model number, an
ordinary word taken for a name).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tools.pii import PII_KINDS, find_pii

CORPUS = Path(__file__).resolve().parent / "pii_corpus.txt"
STRUCTURED = tuple(k for k in PII_KINDS if k not in ("NAME", "ADDRESS"))
_MARK = re.compile(r"\{\{([A-Z_]+):(.+?)\}\}")


@dataclass(frozen=True)
class Snippet:
    lang: str
    text: str
    spans: tuple[tuple[str, int, int], ...]  # (kind, start, end)
    line: int


def load_corpus(path: Path = CORPUS) -> list[Snippet]:
    """Snippets with their labelled spans; a bad mark is an error naming the line."""
    out: list[Snippet] = []
    lang = ""
    for no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.startswith("## "):
            lang = raw[3:].strip()
            continue
        if not raw.strip() or raw.startswith("#"):
            continue
        if lang not in ("zh", "en"):
            raise ValueError(f"{path}:{no}: put '## zh' or '## en' before the snippets.")
        text, spans, pos = "", [], 0
        for m in _MARK.finditer(raw):
            kind = m.group(1)
            if kind not in PII_KINDS:
                raise ValueError(f"{path}:{no}: unknown kind {kind!r}; use one of {PII_KINDS}.")
            text += raw[pos : m.start()]
            spans.append((kind, len(text), len(text) + len(m.group(2))))
            text += m.group(2)
            pos = m.end()
        text += raw[pos:]
        if "{{" in text or "}}" in text:
            raise ValueError(f"{path}:{no}: unbalanced {{{{KIND:text}}}} mark.")
        out.append(Snippet(lang, text, tuple(spans), no))
    return out


@dataclass
class Tally:
    labelled: int = 0
    recalled: int = 0
    masked: int = 0
    correct: int = 0

    @property
    def recall(self) -> float | None:
        return self.recalled / self.labelled if self.labelled else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.masked if self.masked else None


def score(snippets: list[Snippet]) -> tuple[dict[tuple[str, str], Tally], list[str]]:
    """Tallies per (language, kind) — kinds also grouped as STRUCTURED and ALL — and a list of
    misses and false alarms for reading."""
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    notes: list[str] = []

    def groups(kind: str) -> tuple[str, ...]:
        return (kind, "ALL", *(("STRUCTURED",) if kind in STRUCTURED else ()))

    for snip in snippets:
        found = find_pii(snip.text)
        covered = [False] * len(snip.text)
        for f in found:
            covered[f.start : f.end] = [True] * (f.end - f.start)
        for kind, start, end in snip.spans:
            ok = all(covered[start:end])
            for g in groups(kind):
                t = tallies[(snip.lang, g)]
                t.labelled += 1
                t.recalled += ok
            if not ok:
                notes.append(f"miss  line {snip.line} {kind}: {snip.text[start:end]!r}")
        for f in found:
            hit = any(f.start < end and start < f.end for _, start, end in snip.spans)
            for g in groups(f.kind):
                t = tallies[(snip.lang, g)]
                t.masked += 1
                t.correct += hit
            if not hit:
                notes.append(f"false line {snip.line} {f.kind}: {f.text!r} in {snip.text!r}")
    return dict(tallies), notes


def _pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def report(tallies: dict[tuple[str, str], Tally]) -> str:
    lines = [f"{'lang':4} {'kind':10} {'labelled':>8} {'recall':>7} {'masked':>7} {'precision':>9}"]
    for lang in ("zh", "en"):
        for kind in (*PII_KINDS, "STRUCTURED", "ALL"):
            t = tallies.get((lang, kind))
            if t is None:
                continue
            lines.append(
                f"{lang:4} {kind:10} {t.labelled:8d} {_pct(t.recall):>7} {t.masked:7d} "
                f"{_pct(t.precision):>9}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.pii", description=__doc__)
    parser.add_argument("--misses", action="store_true", help="list misses and false alarms")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="labelled snippets file")
    args = parser.parse_args(argv)
    snippets = load_corpus(args.corpus)
    tallies, notes = score(snippets)
    with_pii = sum(1 for s in snippets if s.spans)
    print(f"{len(snippets)} snippets ({with_pii} with PII, {len(snippets) - with_pii} without)")
    print(report(tallies))
    if args.misses:
        print("\n".join(notes) or "no misses, no false alarms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
