"""Root causes and resolutions of a set of similar cases, with counts and cited examples."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from tools.cases.search import CaseHit
from tools.cases.text import normalize_for_hash

__all__ = ["RootCauseShare", "RootCauseSummary", "summarize_root_causes"]

UNKNOWN = "(none recorded)"


@dataclass(frozen=True)
class RootCauseShare:
    root_cause: str
    count: int
    share: float
    mean_similarity: float
    example_ids: tuple[str, ...]
    resolutions: tuple[tuple[str, int, str], ...]  # (resolution text, count, an example id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "root_cause": self.root_cause,
            "count": self.count,
            "share": round(self.share, 4),
            "mean_similarity": round(self.mean_similarity, 4),
            "example_ids": list(self.example_ids),
            "resolutions": [
                {"resolution": r, "count": n, "example_id": i} for r, n, i in self.resolutions
            ],
        }


@dataclass(frozen=True)
class RootCauseSummary:
    cases: int
    root_causes: tuple[RootCauseShare, ...]

    @property
    def top(self) -> RootCauseShare | None:
        return self.root_causes[0] if self.root_causes else None

    def to_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "root_causes": [r.to_dict() for r in self.root_causes]}


def summarize_root_causes(hits: list[CaseHit], *, examples: int = 3) -> RootCauseSummary:
    """Distribution of root causes (most frequent first, ties by mean similarity) and, per root
    cause, the resolutions that fixed those cases (identical texts counted together)."""
    groups: dict[str, list[CaseHit]] = defaultdict(list)
    for hit in hits:
        groups[hit.root_cause or UNKNOWN].append(hit)
    shares = []
    for cause, members in groups.items():
        members = sorted(members, key=lambda h: -h.similarity)
        counter: Counter[str] = Counter()
        first: dict[str, tuple[str, str]] = {}
        for h in members:
            if not h.resolution:
                continue
            key = normalize_for_hash(h.resolution)
            counter[key] += 1
            first.setdefault(key, (h.resolution, h.case_id))
        resolutions = tuple(
            (first[key][0], n, first[key][1]) for key, n in counter.most_common(examples)
        )
        shares.append(
            RootCauseShare(
                root_cause=cause,
                count=len(members),
                share=len(members) / len(hits),
                mean_similarity=sum(h.similarity for h in members) / len(members),
                example_ids=tuple(h.case_id for h in members[:examples]),
                resolutions=resolutions,
            )
        )
    shares.sort(key=lambda s: (-s.count, -s.mean_similarity, s.root_cause))
    return RootCauseSummary(cases=len(hits), root_causes=tuple(shares))
