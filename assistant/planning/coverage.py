"""Which words of a question were placed, and which were not ("a complete reading or no number").

Every character of the (normalised) question is either placed, with the role that placed it
(time, metric, dimension, value, negation, shape word such as a ranking or grain, or a known
function word), or it is left over. Left-over content is what the planner must not ignore
silently: an unknown rate ("问题关闭率") is refused by name, other unknown words make the planner
ask. A metric word inside a longer unknown word ("服务投诉率" containing "投诉率") is not a match:
the unknown part is left over next to it, so substring matching cannot answer a different KPI.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache

from assistant.planning import cues, quantities, words
from assistant.planning.lexicon import Lexicon, Match, has_cjk

FUNCTION_WORDS_ZH = words.FUNCTION_WORDS_ZH
FUNCTION_WORDS_EN = words.FUNCTION_WORDS_EN
_LONG_EN = sorted(w for w in FUNCTION_WORDS_EN if len(w) >= 5)

# A negation the grammar did not place (没/未/不/非/无) inverts what follows: never ignorable.
NEGATING_CHARS = frozenset("没未不非无")

STATISTIC_WORDS = words.STATISTIC_WORDS  # never filler: a median is not a mean

# Words that make a phrase a KPI of its own (a rate, a share, or a KPI noun such as retention):
# such a phrase must be one certified metric term, else it is refused by name.
RATE_SUFFIX_ZH = re.compile(r"((?:留存|复购)率?|率|占比|比例|比率|时效)")
RATE_SUFFIX_EN = re.compile(
    r"\b(rate|ratio|percentage|share|retention|attrition|churn|loyalty|repurchases?"
    r"|conversions?|utili[sz]ation|occupancy|abandonment|adherence)\b"
)


# Shape words the cue module reacts to (ranking, grain, comparison, grouping, counting ...):
# placed, but by the planner's own grammar rather than by the catalog. Compiled at the first
# question that needs its words accounted for (a verified question never does).
@cache
def _shape_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(
        re.compile(p.pattern.removeprefix(r"^\s*").removesuffix(r"\s*$"))
        for p in (
            cues.GROUP_BEFORE,
            cues.GROUP_AFTER,
            cues.TOP,
            cues.BOTTOM,
            cues.COUNT,
            cues.TREND,
            cues.WHY,
            cues.ADD_DIMENSION,
            cues.NEGATION,
            cues.COMPARE_WORDS,
            cues.P90,
            cues.HOW_MANY,
            cues.SHARE_ASKED,
            cues.EACH,
            cues.RESOLVED_WORDS,
            cues.SURVEY_WORDS,
            cues.TICKET_NOUNS,
            cues.ORDER_ASC,
            cues.ORDER_DESC,
            cues.SINGULAR_WHICH,
            cues.STILL_OPEN,
            cues.TO_DATE_WORDS,
            cues.NEGATION_AROUND,
        )
    )


_PARTICLES = words.PARTICLES
_SCOPE_MODIFIERS = words.SCOPE_MODIFIERS  # "整体投诉率" is still the complaint rate
_SEPARATORS = set(" \t\n,，。.?？!！;；:：、/()（）[]【】\"'“”‘’-")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Coverage:
    """What of the question was placed; ``unplaced`` are the content words left over."""

    unplaced: tuple[Span, ...]
    unknown_rates: tuple[Span, ...]  # a rate/share word that is no certified metric term

    @property
    def complete(self) -> bool:
        return not self.unplaced and not self.unknown_rates


def account(
    masked: str,
    matches: list[Match],
    extra_words: tuple[str, ...] = (),
    thresholds: tuple[tuple[int, int], ...] = (),
) -> Coverage:
    """Account for every character of ``masked`` (time phrases already blanked out).

    ``matches`` are the catalog terms found; ``extra_words`` other words the planner placed
    (e.g. a word that makes it ask which metric is meant); ``thresholds`` the spans of the
    thresholds the planner bound to a metric ("低于75%"). Any other number with a unit of
    duration or repetitions, or comparison ("超过48小时", "more than 2 times"), is left over.
    """
    placed = [ch in _SEPARATORS or ch.isdigit() for ch in masked]
    metric_at = [False] * len(masked)
    term_at = [False] * len(masked)
    for match in matches:
        for i in range(match.start, match.end):
            placed[i] = True
            term_at[i] = True
            if match.term.kind == "metric":
                metric_at[i] = True
    catalog = list(placed)  # characters a catalog term (or the time parser) explains
    for pattern in _shape_patterns():
        _mark(placed, pattern, masked)
    for word in extra_words:  # e.g. "效率": a metric word the planner asks about
        _mark_word(placed, masked, word)
        _mark_word(metric_at, masked, word)
    _mark_function_words(placed, masked)
    _unmark_codes(placed, masked)
    unknown_rates = _unknown_rates(masked, catalog, metric_at, matches, placed)
    unplaced = []
    for start, end, is_threshold in quantities.conditions(masked):
        if (start, end) in thresholds:
            for i in range(start, end):
                placed[i] = True
        elif is_threshold or not any(term_at[start:end]):  # "48小时解决率" is a term
            unplaced.append(Span(start, end, masked[start:end].strip()))
            for i in range(start, end):
                placed[i] = True  # said once, as a whole
    for start, end in _runs(placed):
        text = masked[start:end].strip()
        glued = (start > 0 and term_at[start - 1]) or (end < len(masked) and term_at[end])
        if (
            _is_content(text)
            or (glued and _word_char_zh(text[:1]) and len(text) == 1)
            or any(ch in NEGATING_CHARS for ch in text)
        ):
            # One unknown character stuck to a term ("中英文" read as "英文") changes it too,
            # and so does a lone negation ("没有解决的工单" is not "解决的工单").
            unplaced.append(Span(start, end, text))
    # A rate term with other words glued to its left ("服务投诉率") names a different rate.
    for match in matches:
        if match.term.kind != "metric" or not RATE_SUFFIX_ZH.search(match.term.surface[-2:]):
            continue
        start = match.start
        while start > 0 and _word_char_zh(masked[start - 1]) and not catalog[start - 1]:
            if masked[start - 1] in _PARTICLES:
                break
            start -= 1
        glued = masked[start : match.start]
        for word in _SCOPE_MODIFIERS:
            glued = glued.removeprefix(word).removesuffix(word)
        if len(glued) >= 2:
            unknown_rates.append(Span(start, match.end, masked[start : match.end]))
    # A metric term with unplaced content glued to its left is part of a longer unknown word.
    for span in list(unplaced):
        if span.end < len(masked) and metric_at[span.end] and has_cjk(span.text):
            end = span.end
            while end < len(masked) and metric_at[end]:
                end += 1
            word = Span(span.start, end, masked[span.start : end])
            if RATE_SUFFIX_ZH.search(word.text) and word not in unknown_rates:
                unknown_rates.append(word)
    rate_ranges = [(r.start, r.end) for r in unknown_rates]
    unplaced = [s for s in unplaced if not any(a <= s.start and s.end <= b for a, b in rate_ranges)]
    unplaced.sort(key=lambda span: span.start)
    return Coverage(unplaced=tuple(unplaced), unknown_rates=tuple(unknown_rates))


def _unknown_rates(
    masked: str,
    catalog: list[bool],
    metric_at: list[bool],
    matches: list[Match],
    placed: list[bool],
) -> list[Span]:
    """Rate words whose suffix no metric term covers: "问题关闭率", "ticket closure rate"."""
    found: list[Span] = []
    for hit in RATE_SUFFIX_ZH.finditer(masked):
        if any(metric_at[hit.start() : hit.end()]):
            continue
        start = hit.start()
        while start > 0 and _word_char_zh(masked[start - 1]) and masked[start - 1] != "的":
            start -= 1
        # Scope words in front (华东, VIP客户) are filters, not part of the KPI's name.
        for match in sorted(matches, key=lambda m: m.start):
            if (
                match.start == start
                and match.end < hit.start()
                and match.term.kind == "value"
                and match.term.dimension in ("region", "segment", "channel", "language")
            ):
                start = match.end
        found.append(Span(start, hit.end(), masked[start : hit.end()]))
    for hit in RATE_SUFFIX_EN.finditer(masked):
        if any(metric_at[hit.start() : hit.end()]):
            continue
        of = re.match(r"\s+of\s+(?:the\s+)?", masked[hit.end() :])
        if of and any(metric_at[hit.end() + of.end() : hit.end() + of.end() + 1]):
            for i in range(hit.start(), hit.end() + of.end()):
                placed[i] = True
            continue  # "share of promoters": the metric named after it
        words = list(re.finditer(r"[a-z0-9]+", masked[: hit.start()]))
        kept = []
        for w in reversed(words[-3:]):
            if w.group() in FUNCTION_WORDS_EN or catalog[w.start()]:
                break
            kept.insert(0, w)
        start = kept[0].start() if kept else hit.start()
        found.append(Span(start, hit.end(), masked[start : hit.end()]))
    return found


def _word_char_zh(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _mark(placed: list[bool], pattern: re.Pattern[str], text: str) -> None:
    for hit in pattern.finditer(text):
        start, end = hit.start(), hit.end()
        if _inside_english_word(text, start, end):
            # "vs" inside "tvs" is not the comparison word; "survey" may be "surveys".
            while start > 0 and text[start - 1].isascii() and text[start - 1].isalnum():
                start -= 1
            while end < len(text) and text[end].isascii() and text[end].isalnum():
                end += 1
            if not pattern.fullmatch(text[start:end]):
                continue
        for i in range(start, end):
            placed[i] = True


def _inside_english_word(text: str, start: int, end: int) -> bool:
    def alnum(i: int) -> bool:
        return 0 <= i < len(text) and text[i].isascii() and text[i].isalnum()

    return (alnum(start) and alnum(start - 1)) or (alnum(end - 1) and alnum(end))


def _mark_word(placed: list[bool], text: str, word: str) -> None:
    start = text.find(word)
    while word and start != -1:
        for i in range(start, start + len(word)):
            placed[i] = True
        start = text.find(word, start + 1)


_ZH_FUNCTION = sorted(FUNCTION_WORDS_ZH, key=len, reverse=True)


def _mark_function_words(placed: list[bool], text: str) -> None:
    # Chinese: greedy longest-first over the still-unplaced characters only, so a function
    # word never eats into a catalog term.
    single: list[int] = []  # where a one-character function word (上, 下, 高) was placed
    i = 0
    while i < len(text):
        if placed[i] or not _word_char_zh(text[i]):
            i += 1
            continue
        for word in _ZH_FUNCTION:
            end = i + len(word)
            if text.startswith(word, i) and not any(placed[i:end]):
                for j in range(i, end):
                    placed[j] = True
                if len(word) == 1 and word not in _PURE_PARTICLES:
                    single.append(i)
                i = end
                break
        else:
            i += 1
    _unmark_word_halves(placed, text, single)
    for hit in re.finditer(r"[a-z][a-z0-9'.?]*", text):
        word = hit.group().rstrip("?.")
        if word in FUNCTION_WORDS_EN or _typo_of_function_word(word):
            for j in range(hit.start(), hit.end()):
                placed[j] = True


# Particles that only glue (华东除外的, 好了吗): never half of a content word.
_PURE_PARTICLES = frozenset("的得地了吗呢吧呀啊嘛么")


def _unmark_word_halves(placed: list[bool], text: str, single: list[int]) -> None:
    """A one-character function word next to a lone unknown character is half of a word
    ("晚上", "线下", "早上" are times and channels, not 上/下 and noise): both are left over."""
    for at in single:
        for other in (at - 1, at + 1):
            lone = (
                0 <= other < len(text)
                and not placed[other]
                and _word_char_zh(text[other])
                and (other - 1 < 0 or placed[other - 1] or other - 1 == at)
                and (other + 1 >= len(text) or placed[other + 1] or other + 1 == at)
            )
            if lone:
                placed[at] = False


def _typo_of_function_word(word: str) -> bool:
    """A misspelt function word ("custmer", "currenty") is still a function word."""
    # Same length give or take a letter: "reopened" is not a typo of "opened".
    close = difflib.get_close_matches(word, _LONG_EN, n=1, cutoff=0.85) if len(word) >= 5 else []
    return bool(close) and abs(len(close[0]) - len(word)) <= 1


def _runs(placed: list[bool]) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, done in enumerate([*placed, True]):
        if not done and start is None:
            start = i
        elif done and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _is_content(text: str) -> bool:
    """Two or more Chinese characters, an English word of three letters or more, or a code
    of letters and digits (KF-35)."""
    cjk = sum(1 for ch in text if _word_char_zh(ch))
    if cjk >= 2:
        return True
    return cjk == 0 and (bool(re.search(r"[a-z]{3,}", text)) or _is_code(text))


# A model, product or part code: letters and digits in one token (KF-35, T10, 65U8, XQG-100).
_CODE_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# Numbers written with a magnitude or an ordinal (per 1k orders, the 2nd week) are not codes.
_NUMBER_WORD = re.compile(r"[0-9]+(?:st|nd|rd|th|k|m|bn)")


def _is_code(token: str) -> bool:
    has_letter, has_digit = re.search(r"[a-z]", token), re.search(r"[0-9]", token)
    return bool(has_letter and has_digit) and not _NUMBER_WORD.fullmatch(token)


def _unmark_codes(placed: list[bool], text: str) -> None:
    """Digits count as placed (top 5, 低于75 are read by their cues), but a code whose letters
    nothing placed names a product or model ("KF-35的满意度"): the whole code is left over, so
    the planner asks instead of answering for every product."""
    for hit in _CODE_TOKEN.finditer(text):
        span = range(hit.start(), hit.end())
        if _is_code(hit.group()) and any(text[i].isalpha() and not placed[i] for i in span):
            for i in span:
                placed[i] = False


MIN_CLOSENESS = 0.4


def nearest_metrics(lexicon: Lexicon, text: str, k: int = 3, rate: bool = False) -> list[str]:
    """Certified metrics whose words are closest to ``text`` (shared characters / words),
    best first; rates first among equals when ``rate`` (an unknown "…率" is a rate)."""
    text = text.strip()
    scores: dict[str, float] = {}
    for term in lexicon.terms:
        if term.kind != "metric" or not lexicon.catalog.metric(term.target).certified:
            continue
        score = _closeness(text, term.surface)
        if rate and lexicon.catalog.metric(term.target).type in ("ratio", "derived"):
            score += 0.1
        scores[term.target] = max(scores.get(term.target, 0.0), score)
    ranked = sorted(scores, key=lambda m: (-scores[m], m))
    if not rate:  # an unknown word that shares nothing with a metric suggests none
        ranked = [m for m in ranked if scores[m] >= MIN_CLOSENESS]
    return ranked[:k]


def _closeness(a: str, b: str) -> float:
    if has_cjk(a) != has_cjk(b):
        return 0.0
    if has_cjk(a):
        grams_a, grams_b = _grams(a), _grams(b)
        dice = 2 * len(grams_a & grams_b) / max(1, len(grams_a) + len(grams_b))
        chars = len(set(a) & set(b)) / max(1, len(set(a) | set(b)))
        return dice + 0.5 * chars
    words_a, words_b = set(a.split()), set(b.split())
    overlap = len(words_a & words_b) / max(1, len(words_a | words_b))
    return overlap + 0.5 * difflib.SequenceMatcher(None, a, b).ratio()


def _grams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}
