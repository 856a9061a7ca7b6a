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

from assistant.planning import cues
from assistant.planning.lexicon import Lexicon, Match, has_cjk

# Words that carry no meaning for the number: particles, politeness, question frames, filler.
# Longest first when matched. Chinese single characters only where they never start a content
# word the catalog could miss (的, 了, 吗 ...).
_FUNCTION_TEXT_ZH = """
请问 麻烦 帮我 帮忙 给我 告诉我 我想 我要 想看 想知道 看看 看一下 看下
查一下 查下 查查 查询 统计 统计一下 算一下 算算 列一下 列出 列个 展示 显示
拉一下 拉个 出个 做个 给个 说说 一下 是多少 多少 有多少 是啥 啥 什么
怎么样 咋样 如何 情况 数据 数字 数值 指标 水平 结果 报表 表现 具体 大概
一共 总共 合计 总计 整体 总体 全部 所有 全国 公司 我们 咱们 我司 现在
目前 当前 分别 各自 呢 吗 吧 呀 啊 嘛 了 的 得 地 是 有 在 和 与 及
以及 跟 同 或 或者 还是 把 给 被 对 从 到 里 内 个 这 那 这个
那个 都 也 还 又 再 就 只 共 请 帮 我 您 你 看 查 问 要 想 能 会 让
下 上 期间 时候 时 里面 当中 之中 方面 怎么 哪 几 多 高 低 好 差 变化
变了 多大 怎样 如何了 么 一 各 每 按 分 为 了吗 是不是 有没有 多不多
高不高 等 以来 之间 对比 相比 比较 比 同比 环比 排名 排行 排序 客户 服务
客服 售后 方面的 这块 这边 那边 情况如何 怎么算 总量 总数 数量 量 次数
个数 单 件 起 份 笔 月底 月末 期末 收回来 收回 收到 拆开 拆分
展开 细分 底 类 拆 加
"""
FUNCTION_WORDS_ZH = tuple(_FUNCTION_TEXT_ZH.split())
_FUNCTION_TEXT_EN = """
a an the of in on at for to from by per with and or vs vs. versus is are was were be been being
do does did what whats what's which who how much many show me give tell list please pls can
could would you i we us our my your it its this that these those there their them get got have
has had as than then so just only also about over across all each any some value number numbers
total overall level figure figures data stats statistics kpi metric metrics look looks looked
looking like current currently now today pull report see compare compared against between up
down go went going since during past last previous prior same period time times when where why
into out break broken split breakdown trend trends ranking rank ranked top bottom most least
highest lowest best worst higher lower more less biggest smallest largest whole entire company
hey hi ok okay quick quickly again every ordered sorted sort descending ascending along
together customer customers client clients end before after among amongst within
above below under again further once here both few other such own very too will should
should've now don't isn't wasn't aren't weren't hasn't haven't didn't doesn't may might must
shall yet still ever even though while because if whether per-thousand thousand speaking
actually really roughly approximately around about exactly came come comes coming through via
received receive raised opened logged filed created submitted arrived make made earn earned
"""
FUNCTION_WORDS_EN = frozenset(_FUNCTION_TEXT_EN.split())
_LONG_EN = sorted(w for w in FUNCTION_WORDS_EN if len(w) >= 5)

# A negation the grammar did not place (没/未/不/非/无) inverts what follows: never ignorable.
NEGATING_CHARS = frozenset("没未不非无")

# Statistic words change the number (a median is not a mean), so they are never filler: the
# planner places one only when a metric the question names computes that statistic.
STATISTIC_WORDS = {
    "median": ("中位数", "中位值", "中值", "median"),
    "mean": ("平均值", "平均", "均值", "average", "avg", "mean"),
}

# Words that make a phrase a KPI of its own (a rate, a share, or a KPI noun such as retention):
# such a phrase must be one certified metric term, else it is refused by name.
RATE_SUFFIX_ZH = re.compile(r"((?:留存|复购)率?|率|占比|比例|比率|时效)")
RATE_SUFFIX_EN = re.compile(
    r"\b(rate|ratio|percentage|share|retention|attrition|churn|loyalty|repurchases?"
    r"|conversions?|utili[sz]ation|occupancy|abandonment|adherence)\b"
)

# Shape words the cue module reacts to (ranking, grain, comparison, grouping, counting ...):
# placed, but by the planner's own grammar rather than by the catalog.
_SHAPE_PATTERNS = tuple(
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
        cues.THRESHOLD,
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
_PARTICLES = set("的了是和与及在把被对从到各每按")
# Words in front of a rate that do not change which rate it is ("整体投诉率", "客户投诉率").
_SCOPE_MODIFIERS = (
    "工单",
    "整体",
    "总体",
    "全国",
    "全公司",
    "公司",
    "客户",
    "我们",
    "咱们",
    "我司",
    "平均",
    "目前",
    "当前",
    "现在",
    "总",
)
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


def account(masked: str, matches: list[Match], extra_words: tuple[str, ...] = ()) -> Coverage:
    """Account for every character of ``masked`` (time phrases already blanked out).

    ``matches`` are the catalog terms found; ``extra_words`` other words the planner placed
    (e.g. a word that makes it ask which metric is meant).
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
    for pattern in _SHAPE_PATTERNS:
        _mark(placed, pattern, masked)
    for word in extra_words:  # e.g. "效率": a metric word the planner asks about
        _mark_word(placed, masked, word)
        _mark_word(metric_at, masked, word)
    _mark_function_words(placed, masked)
    unknown_rates = _unknown_rates(masked, catalog, metric_at, matches, placed)
    unplaced = []
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
                i = end
                break
        else:
            i += 1
    for hit in re.finditer(r"[a-z][a-z0-9'.?]*", text):
        word = hit.group().rstrip("?.")
        if word in FUNCTION_WORDS_EN or _typo_of_function_word(word):
            for j in range(hit.start(), hit.end()):
                placed[j] = True


def _typo_of_function_word(word: str) -> bool:
    """A misspelt function word ("custmer", "currenty") is still a function word."""
    return len(word) >= 5 and bool(difflib.get_close_matches(word, _LONG_EN, n=1, cutoff=0.85))


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
    """Two or more Chinese characters, or an English word of three letters or more."""
    cjk = sum(1 for ch in text if _word_char_zh(ch))
    if cjk >= 2:
        return True
    return cjk == 0 and bool(re.search(r"[a-z]{3,}", text))


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
