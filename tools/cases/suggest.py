"""A suggested resolution for a new complaint, from the most similar resolved cases.

What it gives an agent, all extractive and cited (nothing is invented):

- the likely root causes, each with a confidence: its share of the rank-weighted vote of the
  similar resolved cases (the fused search score is the weight, so the vote follows the rank
  the agent sees);
- the steps that resolved the cases of the likely root cause: resolution texts cut into
  clauses, identical clauses (digits ignored: voucher amounts differ) grouped, each step with
  the ids of the cases it comes from, most frequent first; closing formulas ("客户表示满意",
  "case closed") are not steps;
- the expected time to resolve (median and 80th percentile of the cited cases' hours);
- warnings: cases like this often reopen / escalate, the root cause is uncertain, few similar
  resolved cases;
- knowledge-base passages found by the same search (cited by chunk id);
- a template reply draft in the complaint's language (an LLM draft, when one is configured,
  is made above this layer from the same cited material).
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.cases.outcomes import CaseOutcome, OutcomeReader
from tools.cases.search import AccessScope, CaseFilters, CaseHit, search_cases
from tools.cases.store import CaseStore
from tools.cases.text import is_chinese, normalize_for_hash
from tools.errors import CaseSearchError
from tools.pii import mask_pii

__all__ = [
    "CauseCandidate",
    "ResolutionStep",
    "Suggestion",
    "rank_root_causes",
    "resolution_steps",
    "suggest_resolution",
    "template_reply",
]

LabelOf = Callable[[str, str], str]  # (root-cause code, language) -> label

# Warn when at least this share of the similar cases reopened / escalated.
REOPEN_WARN_SHARE = 0.2
ESCALATE_WARN_SHARE = 0.3
LOW_CONFIDENCE = 0.4
FEW_CASES = 3

_CLAUSE = re.compile(r"[，。；;！!？?\n]+|(?<=[a-z0-9)])[.,]\s+|\s+and then\s+|;\s*", re.I)
# Closing formulas of a resolution note: outcome, not an action an agent can take.
_CLOSING = re.compile(
    r"^(客户(表示)?(满意|认可|接受)|已回访|工单(已)?关闭|客户接受处理方案|customer (was )?"
    r"(satisfied|happy|accepted)|follow-up call done|case closed|closed)",
    re.I,
)
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class CauseCandidate:
    root_cause: str
    label: str
    confidence: float  # share of the rank-weighted vote
    case_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "root_cause": self.root_cause,
            "label": self.label,
            "confidence": round(self.confidence, 3),
            "case_ids": list(self.case_ids),
        }


@dataclass(frozen=True)
class ResolutionStep:
    text: str  # one clause as written in a resolution (PII masked at indexing)
    case_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "case_ids": list(self.case_ids)}


@dataclass(frozen=True)
class Suggestion:
    query: str  # masked
    language: str
    cases: tuple[CaseHit, ...]  # the similar resolved cases it is built from
    root_causes: tuple[CauseCandidate, ...]
    steps: tuple[ResolutionStep, ...]
    hours_median: float | None
    hours_p80: float | None
    warnings: tuple[str, ...]
    articles: tuple[CaseHit, ...] = ()  # knowledge-base chunks
    reply: str = ""
    reply_method: str = "template"  # template | llm
    notes: tuple[str, ...] = field(default=())

    @property
    def cited_ids(self) -> tuple[str, ...]:
        """Every id the suggestion may cite: its cases and articles."""
        return tuple(h.case_id for h in (*self.cases, *self.articles))

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "language": self.language,
            "root_causes": [c.to_dict() for c in self.root_causes],
            "steps": [s.to_dict() for s in self.steps],
            "expected_hours": {
                "median": None if self.hours_median is None else round(self.hours_median, 1),
                "p80": None if self.hours_p80 is None else round(self.hours_p80, 1),
            },
            "warnings": list(self.warnings),
            "articles": [_article_dict(a) for a in self.articles],
            "reply": self.reply,
            "reply_method": self.reply_method,
            "cases": [h.to_dict() for h in self.cases],
            "notes": list(self.notes),
        }


def _article_dict(hit: CaseHit) -> dict[str, Any]:
    return {
        "chunk_id": hit.case_id,
        "title": hit.metadata.get("title", ""),
        "heading": hit.metadata.get("heading", ""),
        "document": hit.metadata.get("document", ""),
        "text": hit.text,
        "score": round(hit.score, 6),
    }


# ----------------------------------------------------------------------------- pieces


def rank_root_causes(
    hits: Sequence[CaseHit], label_of: LabelOf | None = None, language: str = "en", top: int = 3
) -> tuple[CauseCandidate, ...]:
    """Root causes by their share of the vote of ``hits``, each hit weighted by its fused score
    (the score that ranks it). Hits without a recorded root cause do not vote."""
    weight: dict[str, float] = defaultdict(float)
    members: dict[str, list[str]] = defaultdict(list)
    for hit in hits:
        if not hit.root_cause:
            continue
        weight[hit.root_cause] += hit.score
        members[hit.root_cause].append(hit.case_id)
    total = sum(weight.values())
    if not total:
        return ()
    ordered = sorted(weight, key=lambda c: (-weight[c], c))[:top]
    return tuple(
        CauseCandidate(
            root_cause=code,
            label=label_of(code, language) if label_of else code,
            confidence=weight[code] / total,
            case_ids=tuple(members[code]),
        )
        for code in ordered
    )


def resolution_steps(hits: Sequence[CaseHit], *, limit: int = 5) -> tuple[ResolutionStep, ...]:
    """The clauses of the hits' resolutions, identical ones (digits ignored) grouped, each with
    the cases it comes from; most cases first, then first seen (= best ranked)."""
    groups: dict[str, list[str]] = {}
    text_of: dict[str, str] = {}
    for hit in hits:
        if not hit.resolution:
            continue
        seen_here: set[str] = set()
        for clause in _CLAUSE.split(hit.resolution):
            clause = clause.strip(" .,，。")
            if len(clause) < 4 or _CLOSING.match(clause):  # "试机正常" is kept, "无渗漏" not
                continue
            key = _DIGITS.sub("#", normalize_for_hash(clause))
            if key in seen_here:
                continue
            seen_here.add(key)
            groups.setdefault(key, []).append(hit.case_id)
            text_of.setdefault(key, clause)
    order = sorted(groups, key=lambda k: -len(groups[k]))  # stable: first seen wins ties
    return tuple(ResolutionStep(text_of[k], tuple(groups[k])) for k in order[:limit])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _warnings(
    language: str,
    causes: tuple[CauseCandidate, ...],
    n_cases: int,
    outcomes: dict[str, CaseOutcome],
) -> list[str]:
    zh = language == "zh"
    out: list[str] = []
    if n_cases < FEW_CASES:
        out.append(
            f"仅找到 {n_cases} 个相似的已解决案例，建议仅供参考。"
            if zh
            else f"Only {n_cases} similar resolved case(s): treat this as a hint."
        )
    if causes and causes[0].confidence < LOW_CONFIDENCE:
        out.append(
            f"根因不确定（最可能的根因只占 {causes[0].confidence:.0%}），请先核实。"
            if zh
            else f"Uncertain root cause (the likeliest has {causes[0].confidence:.0%} of the "
            "vote): check before acting."
        )
    if outcomes:
        reopened = [i for i, o in outcomes.items() if o.reopened]
        share = len(reopened) / len(outcomes)
        if share >= REOPEN_WARN_SHARE:
            out.append(
                f"类似案例中 {share:.0%} 曾被重新打开（如 {', '.join(reopened[:3])}）：结案前请与"
                "客户确认问题已彻底解决。"
                if zh
                else f"{share:.0%} of cases like this were reopened (e.g. "
                f"{', '.join(reopened[:3])}): confirm the fix with the customer before closing."
            )
        escalated = [i for i, o in outcomes.items() if o.escalated]
        share = len(escalated) / len(outcomes)
        if share >= ESCALATE_WARN_SHARE:
            out.append(
                f"类似案例中 {share:.0%} 曾升级处理（如 {', '.join(escalated[:3])}）。"
                if zh
                else f"{share:.0%} of cases like this were escalated (e.g. "
                f"{', '.join(escalated[:3])})."
            )
    return out


def _duration(hours: float, zh: bool) -> str:
    if hours < 24:
        n = max(1, round(hours))
        return f"{n} 小时" if zh else f"{n} hour{'s' if n != 1 else ''}"
    days = max(1, round(hours / 24))
    return f"{days} 天" if zh else f"{days} day{'s' if days != 1 else ''}"


def template_reply(
    language: str,
    causes: Sequence[CauseCandidate],
    steps: Sequence[ResolutionStep],
    hours_p80: float | None,
) -> str:
    """A reply draft without an LLM: apology, what cases like this usually turn out to be, the
    usual fix (first two steps) and the time it usually takes, with the case ids cited."""
    zh = language == "zh"
    lines = [
        "您好，非常抱歉给您带来不便，我们已收到您反映的问题。"
        if zh
        else "Hello, we are sorry for the trouble and have received your report."
    ]
    if causes:
        cause = causes[0]
        cite = ", ".join(cause.case_ids[:3])
        lines.append(
            f"根据以往类似情况，问题多与“{cause.label}”有关 [{cite}]。"
            if zh
            else f"In similar cases the cause was usually: {cause.label} [{cite}]."
        )
    if steps:
        shown = steps[:2]
        plan = "；".join(f"{s.text} [{', '.join(s.case_ids[:3])}]" for s in shown)
        plan_en = "; ".join(f"{s.text} [{', '.join(s.case_ids[:3])}]" for s in shown)
        lines.append(
            f"我们通常的处理方式是：{plan}。" if zh else f"What usually resolves it: {plan_en}."
        )
    if hours_p80 is not None:
        lines.append(
            f"此类问题一般在 {_duration(hours_p80, True)}内处理完毕，"
            "我们会安排专人跟进并及时告知进展。"
            if zh
            else f"Cases like this are usually resolved within {_duration(hours_p80, False)}; "
            "we will keep you updated."
        )
    lines.append("感谢您的耐心与理解！" if zh else "Thank you for your patience.")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the suggestion


def suggest_resolution(
    store: CaseStore,
    text: str,
    *,
    k: int = 20,
    filters: CaseFilters | None = None,
    access: AccessScope | None = None,
    outcomes: OutcomeReader | None = None,
    knowledge: CaseStore | None = None,
    label_of: LabelOf | None = None,
    exclude_ids: Sequence[str] = (),
) -> Suggestion:
    """The suggestion for complaint ``text`` from its ``k`` most similar resolved cases (within
    ``filters`` and the caller's ``access``); ``outcomes`` reads their timings, ``knowledge`` is
    a knowledge-base collection searched with the same text. ``exclude_ids`` leaves cases out
    (the complaint's own ticket, or held-back eval cases)."""
    if not text or not text.strip():
        raise CaseSearchError("The complaint text is empty; paste the complaint to get advice.")
    base = filters or CaseFilters()
    resolved = CaseFilters(base.equals, True, base.date_from, base.date_to)
    fetch = min(200, k + len(exclude_ids))  # room for the excluded ones (search caps k at 200)
    hits = search_cases(store, text, k=fetch, filters=resolved, access=access)
    excluded = set(exclude_ids)
    hits = [h for h in hits if h.case_id not in excluded][:k]
    masked = mask_pii(text)
    language = "zh" if is_chinese(masked) else "en"
    causes = rank_root_causes(hits, label_of, language)
    top_cause = causes[0].root_cause if causes else None
    basis = [h for h in hits if h.root_cause == top_cause] if top_cause else hits
    steps = resolution_steps(basis)
    read = outcomes(list(h.case_id for h in basis)) if outcomes and basis else {}
    hours = [o.hours_to_resolve for o in read.values() if o.hours_to_resolve is not None]
    median = statistics.median(hours) if hours else None
    p80 = _percentile(hours, 0.8) if hours else None
    notes: list[str] = []
    articles: list[CaseHit] = []
    if knowledge is not None:
        if knowledge.count():
            articles = search_cases(knowledge, text, k=3)
        else:
            notes.append("knowledge base is empty: run `servicepilot kb import FOLDER`")
    return Suggestion(
        query=masked,
        language=language,
        cases=tuple(hits),
        root_causes=causes,
        steps=steps,
        hours_median=median,
        hours_p80=p80,
        warnings=tuple(_warnings(language, causes, len(hits), read)),
        articles=tuple(articles),
        reply=template_reply(language, causes, steps, p80),
        reply_method="template",
        notes=tuple(notes),
    )
