"""The offline bilingual planner: a question becomes a Plan without any LLM.

Grounded entirely in the semantic layer (metric, dimension and value words come from the
catalog through the lexicon), times from the time parser, shapes (ranking, trend, breakdown,
follow-up) from cue words. When two readings are plausible it asks; when the question is not
about service data it says so. Every MetricQuery it builds is compiled once before it is
returned, so a plan that cannot run never reaches the user.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from assistant.headline import HEADLINE_METRICS
from assistant.messages import cannot_compute
from assistant.messages import pick as _t
from assistant.planning import cues, quantities, words
from assistant.planning.coverage import (
    STATISTIC_WORDS,
    Coverage,
    Span,
    account,
    nearest_metrics,
)
from assistant.planning.drill import DRILL_PATH, SIDE_PATHS, breakdowns
from assistant.planning.interpret import describe_query, describe_root_cause, suggestions
from assistant.planning.lexicon import Lexicon, Match, has_cjk, lexicon_for, normalise
from assistant.planning.plans import (
    AlertReview,
    CaseSearch,
    Clarification,
    ClarificationOption,
    ConversationState,
    Forecast,
    MetricPlan,
    OutOfScope,
    Plan,
    RootCause,
)
from assistant.planning.time_parser import (
    PREVIOUS_PERIOD,
    TimeMatch,
    TimeParseError,
    chinese_number,
    parse_time,
)
from assistant.planning.two_periods import (
    PeriodsRead,
    PeriodsUnclear,
    period_choices,
    read_two_periods,
    unclear_question,
)
from assistant.planning.verified import VerifiedQuestions, load_verified_questions
from semantic_layer.catalog import Catalog
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.compiler import compile_query
from semantic_layer.errors import SemanticLayerError
from semantic_layer.periods import (
    add_months,
    comparison_range,
    last_full_month,
    month_start,
    quarter_start,
)
from semantic_layer.query import Filter, MetricFilter, MetricQuery, OrderBy, TimeRange
from semantic_layer.spec import Metric as MetricSpec

MAX_QUESTION_CHARS = 2_000

MEAN_UNITS = frozenset({"minutes", "hours", "CNY", "score"})
# Units of a rate: a share or a count per base, never a count itself.
RATE_UNITS = frozenset({"%", "per 1,000 orders"})
# Units whose "fastest" change is read in the metric's own points, not as a relative change.
CHANGE_IN_POINTS_UNITS = frozenset({"%", "points", "score"})


DEFAULT_TREND_MONTHS = 6


# A negation glued to the left of a yes/no dimension: "没升级的", "not escalated", "non-VIP".
_NEGATION_BEFORE = re.compile(r"(?:未|没有|没|非|不是|(?<![A-Za-z])(?:not |non-?|un))\s*$", re.I)


@dataclass
class _Reading:
    """What the question says, before it becomes a query."""

    language: str
    text: str = ""
    metrics: list[str] = field(default_factory=list)
    dimensions: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    metric_filters: list[MetricFilter] = field(default_factory=list)
    ranges: list[TimeMatch] = field(default_factory=list)
    compare: str | None = None
    grain: str | None = None
    trend: bool = False
    ranking: cues.Ranking | None = None
    # "下降最多的大区": ordered by the change against the comparison period, not the value.
    change_rank: cues.ChangeRanking | None = None
    ambiguous: tuple[str, ...] = ()
    ambiguous_word: str = ""
    add_dimension: bool = False
    now: bool = False  # "still open": measured as of today, not over a past period
    drill: bool = False  # "点进华东" / "drill into East" after an answer
    # A count chosen because a breakdown or filter named no metric ("华东按产品线看"); a
    # follow-up keeps the metric of the answer before instead.
    count_implied: bool = False
    change: bool = False  # "变化了多少" / "how much did it drop": a trend or a comparison
    coverage: Coverage | None = None  # which words were placed and which were not


class _UnclearPeriods(Exception):
    """Two periods no single query answers as written: the planner asks which is meant."""

    def __init__(
        self, reading: _Reading, periods: PeriodsUnclear, last: MetricQuery | None
    ) -> None:
        super().__init__("two periods to choose between")
        self.reading, self.periods = reading, periods
        self.last = last  # the query a follow-up rewrites: every option keeps its scope


class OfflinePlanner:
    """Question + conversation state -> Plan, with the semantic layer as its only knowledge."""

    name = "offline"

    def __init__(
        self,
        catalog: Catalog | None = None,
        verified: VerifiedQuestions | None = None,
        *,
        check: Callable[[MetricQuery], object] | None = None,
    ) -> None:
        self.catalog = catalog or default_catalog()
        # Compiles a query to check it; the application passes its CompileCache, so the answer
        # runs the very compiled query checked here.
        self.check = check or (lambda query: compile_query(query, self.catalog))
        self.lexicon: Lexicon = lexicon_for(self.catalog)
        self.verified = verified if verified is not None else load_verified_questions()

    # -- entry point -----------------------------------------------------------------------

    def plan(self, question: str, state: ConversationState) -> Plan:
        try:
            plan = self._plan(question, state)
        except _UnclearPeriods as unclear:
            plan = self._clarify_periods(unclear, state)
        if isinstance(plan, MetricPlan) and cues.TARGET.search(normalise(question)):
            plan = plan.model_copy(update={"asks_target": True})
        return plan

    def _plan(self, question: str, state: ConversationState) -> Plan:
        text = _TYPOS.sub(lambda m: _TYPO_FIXES[m.group()], normalise(question).strip())
        text = self.lexicon.homophones.fix(text)
        language = "zh" if has_cjk(text) else "en"
        if not text:
            return OutOfScope(
                reason=_t(language, "问题是空的。", "The question is empty."),
                suggestions=suggestions(language),
            )
        if len(text) > MAX_QUESTION_CHARS:
            return OutOfScope(
                reason=_t(
                    language,
                    f"问题太长（超过{MAX_QUESTION_CHARS}字），请精简后再问。",
                    f"The question is longer than {MAX_QUESTION_CHARS} characters; "
                    "please shorten it.",
                ),
                suggestions=suggestions(language),
            )
        refusal = _refusal(text, language)
        if refusal is not None:
            return refusal
        verified = self.verified.match(text, state.today, self.catalog)
        if verified is not None:
            return self._finish(verified, language, verified=True)
        if cues.CASE_SEARCH.search(text):
            return self._case_search(question, text, language)
        try:
            times = parse_time(text, state.today)
        except TimeParseError as exc:
            return Clarification(
                question=_t(
                    language,
                    f"时间“{exc.phrase}”不是有效的日期或期间，请换一个时间段。",
                    f"{exc}. Which period do you mean?",
                )
            )
        masked = _mask(text, [m.span for m in times])
        drill = [m.span() for m in cues.DRILL.finditer(masked)] if state.last_query else []
        masked = _mask(masked, drill)  # the drill verb is placed: it is this rule's cue
        reading = self._read(masked, language, times)
        reading.drill = bool(drill)
        if cues.FORECAST.search(text):
            return self._forecast(text, masked, reading, state)
        assert reading.coverage is not None
        if reading.coverage.unknown_rates:
            return self._not_certified(reading.coverage.unknown_rates[0], reading, state)
        if reading.metrics and self._share_of_a_count(masked, reading):
            return self._clarify_share(reading, state)
        if reading.metrics and self._count_of_a_rate(masked, reading):
            return self._clarify_count(reading, state)
        if cues.WHY.search(masked):
            if not reading.metrics and self._about_tickets(masked, reading):
                reading.metrics = self._count_metric(reading, masked)
            if reading.metrics:
                return self._root_cause(reading, state)
        if self.asks_for_alerts(masked) and not cues.WHY.search(masked):
            return self._alerts(reading, masked, state)
        last = state.last_query
        if last is not None and reading.count_implied:
            reading.metrics = []  # "那华东呢，按产品线看" after a CSAT answer is still CSAT
        if reading.drill and not _read_anything(reading):
            assert last is not None
            return self._clarify_drill(masked, reading, last, state)
        follows = (
            last is not None
            and (bool(cues.FOLLOW_UP.search(text)) or not reading.metrics)
            and (
                reading.metrics
                or reading.dimensions
                or reading.filters
                or reading.ranges
                or reading.compare
                or reading.ranking
                or reading.trend
                or cues.P90.search(masked)
            )
        )
        if not reading.metrics and cues.OFF_TOPIC.search(text):
            return self._no_metric(text, reading, state)
        if reading.ambiguous and not (
            follows
            and not reading.metrics
            and last is not None
            and reading.ambiguous_word in self.lexicon.vague_words
        ):
            return self._clarify_metric(reading, state, last)
        if reading.coverage.unplaced and (
            follows or reading.metrics or reading.filters or reading.dimensions
        ):
            return self._clarify_unplaced(reading, state, last if follows else None, text)
        if follows and last is not None:
            return self._follow_up(reading, last, state)
        if not reading.metrics:
            return self._no_metric(text, reading, state)
        if self._change_direction_unclear(reading):
            return self._clarify_change_direction(reading, state)
        query, assumptions = self._build(reading, state)
        return self._finish(query, language, assumptions=assumptions)

    # -- reading the question ----------------------------------------------------------------

    def _read(self, masked: str, language: str, times: list[TimeMatch]) -> _Reading:
        reading = _Reading(language=language, text=masked)
        reading.ranges = _main_ranges(masked, [m for m in times if m.range is not None])
        for match in times:
            reading.compare = reading.compare or match.compare
            grain = match.grain_hint or (match.range.grain_hint if match.range else None)
            reading.grain = reading.grain or grain
        reading.trend = bool(cues.TREND.search(masked)) or reading.grain is not None
        reading.change = change = self._about_a_change(masked, reading)
        reading.change_rank = cues.find_change_ranking(masked)
        if reading.change_rank is not None and not reading.compare and len(reading.ranges) <= 1:
            reading.compare = PREVIOUS_PERIOD  # 上个月下降最多: against the month before
        if change and len(reading.ranges) == 1 and reading.ranges[0].span_grain:
            reading.trend = True  # 二季度到三季度变化了多少: each quarter, the change between
            reading.grain = reading.grain or reading.ranges[0].span_grain
        elif change and not reading.trend:
            reading.compare = PREVIOUS_PERIOD  # 上个月满意度下降了多少: against the month before
        matches = _head_dimensions(self.lexicon.find(masked))
        reading.ambiguous, reading.ambiguous_word = self._ambiguity(masked, matches)
        bound = self._thresholds(masked, matches)
        reading.metric_filters = [f for f, _ in bound]
        # A metric word inside a threshold's unit ("100 per 1000 orders") is no metric asked.
        matches = [
            m
            for m in matches
            if not any(
                a <= m.start < b and m.term.kind == "metric" and m.term.target != f.metric
                for f, (a, b) in bound
            )
        ]
        reading.coverage = account(
            masked,
            matches,
            self._placed_words(masked, reading, matches),
            thresholds=tuple(span for _, span in bound),
        )
        filters: dict[str, tuple[str, list[str]]] = {}
        for match in matches:
            term = match.term
            if term.kind == "metric" and term.target not in reading.metrics:
                reading.metrics.append(term.target)
            elif term.kind == "dimension" and term.target not in reading.dimensions:
                reading.dimensions.append(term.target)
            elif term.kind == "value" and term.dimension is not None:
                negated = _negated(masked, match, matches)
                op, values = filters.get(term.dimension, ("!=" if negated else "=", []))
                values += [v for v in term.values if v not in values]
                filters[term.dimension] = (op, values)
        # A dimension that is only mentioned next to one of its own values is a filter
        # ("华东大区的满意度"), not a breakdown.
        reading.dimensions = [
            d for d in reading.dimensions if d not in filters or self._grouped(masked, d, matches)
        ]
        for dimension, (op, values) in filters.items():
            if op == "=" and len(values) > 1:
                reading.filters.append(Filter(field=dimension, op="in", values=tuple(values)))
            elif op == "!=" and len(values) > 1:
                reading.filters.append(Filter(field=dimension, op="not in", values=tuple(values)))
            else:
                reading.filters.append(Filter(field=dimension, op=op, values=tuple(values)))
        self._settle_words(reading, masked, matches)
        if cues.P90.search(masked):
            reading.metrics = list(dict.fromkeys(self._p90(m) for m in reading.metrics))
        # "低于75" is a threshold, not a ranking or a count: hide it from those cues.
        without_thresholds = _mask(
            masked, [m.span() for m in quantities.THRESHOLD.finditer(masked)]
        )
        reading.ranking = cues.find_ranking(without_thresholds)
        if reading.change_rank is not None and not reading.dimensions:
            # "上个月满意度下降最多": nothing to rank, a plain change against the period before.
            reading.ranking = None
        wants_count = (
            cues.HOW_MANY.search(masked)
            or cues.TREND.search(masked)
            or reading.dimensions
            or reading.ranking
        )
        generic_only = reading.metrics == ["ticket_volume"] and all(
            m.term.surface in GENERIC_METRIC_WORDS for m in matches if m.term.kind == "metric"
        )
        if generic_only and cues.RESOLVED_WORDS.search(masked):
            reading.metrics = []  # "how many tickets got resolved": a count of resolved tickets
        elif generic_only and _COMPLAINTS_ONLY in reading.filters:
            # "投诉工单有多少": the count of complaints is its own certified metric
            reading.filters.remove(_COMPLAINTS_ONLY)
            reading.metrics = ["complaint_volume"]
        if (
            not reading.metrics
            and wants_count
            and not cues.OFF_TOPIC.search(masked)
            and self._about_tickets(masked, reading)
        ):
            reading.metrics = self._count_metric(reading, masked)
            reading.count_implied = not (
                cues.HOW_MANY.search(masked)
                or cues.TICKET_NOUNS.search(masked)
                or cues.SURVEY_WORDS.search(masked)
                or cues.RESOLVED_WORDS.search(masked)
            )
        if cues.STILL_OPEN.search(masked) and not reading.ranges:
            # "还有多少工单没处理完": the backlog as of today, whatever status words it uses.
            reading.metrics = ["backlog"]
            reading.now = True
        elif reading.metrics == ["backlog"] and not reading.ranges and _PRESENT.search(masked):
            reading.now = True
        if "backlog" in reading.metrics:  # "open backlog": being open is what backlog means
            reading.filters = [f for f in reading.filters if f.field != "status"]
        reading.add_dimension = bool(cues.ADD_DIMENSION.search(masked))
        return reading

    def _p90(self, metric: str) -> str:
        variant = metric.removesuffix("_median") + "_p90"
        return variant if metric.endswith("_median") and variant in self.catalog.metrics else metric

    @staticmethod
    def _about_tickets(masked: str, reading: _Reading) -> bool:
        return bool(
            reading.filters or cues.TICKET_NOUNS.search(masked) or cues.SURVEY_WORDS.search(masked)
        )

    @staticmethod
    def _count_metric(reading: _Reading, masked: str) -> list[str]:
        """A count when no metric is named: 有多少投诉 = complaint volume, 结了多少单 = resolved
        tickets, 收回多少份问卷 = survey responses, otherwise ticket volume (filtered)."""
        if cues.SURVEY_WORDS.search(masked):
            return ["survey_responses"]
        if cues.RESOLVED_WORDS.search(masked):
            reading.filters = [f for f in reading.filters if f.field != "status"]
            return ["resolved_tickets"]
        if _COMPLAINTS_ONLY in reading.filters:
            reading.filters.remove(_COMPLAINTS_ONLY)
            return ["complaint_volume"]
        return ["ticket_volume"]

    def _settle_words(self, reading: _Reading, masked: str, matches: list[Match]) -> None:
        """Resolve words whose role depends on the rest of the question."""
        # "tickets"/"工单" names ticket volume only when no other metric is asked for.
        if len(reading.metrics) > 1:
            named = {
                m.term.target
                for m in matches
                if m.term.kind == "metric" and m.term.surface not in GENERIC_METRIC_WORDS
            }
            reading.metrics = [m for m in reading.metrics if m in named] or reading.metrics
        # A yes/no dimension used as an adjective filters: "escalated tickets", "升级的工单".
        for dimension in list(reading.dimensions):
            if self.lexicon.dimension_types.get(dimension) != "boolean":
                continue
            if self._grouped(masked, dimension, matches):
                continue
            mentions = [m.start for m in matches if m.term.target == dimension]
            negated = {bool(_NEGATION_BEFORE.search(masked[:at])) for at in mentions}
            if len(negated) == 2:  # "升级和没升级的": both sides = a breakdown
                continue
            reading.dimensions.remove(dimension)
            reading.filters.append(Filter(field=dimension, op="=", values=(not negated.pop(),)))
        # "中英文工单各多少": several values of one dimension, each counted = a breakdown; so
        # is "华东和华北的满意度对比" / "East vs North": a comparison of them, not their pool.
        if cues.EACH.search(masked) or cues.COMPARE_WORDS.search(masked):
            for flt in list(reading.filters):
                if flt.op == "in" and flt.field not in reading.dimensions:
                    reading.dimensions.append(flt.field)
                    reading.filters.remove(flt)
                    if len(flt.values) < self.lexicon.code_count.get(flt.field, 0):
                        reading.filters.append(flt)

    def _grouped(self, masked: str, dimension: str, matches: list[Match]) -> bool:
        for match in matches:
            if match.term.kind == "dimension" and match.term.target == dimension:
                if cues.GROUP_BEFORE.search(masked[max(0, match.start - 12) : match.start]):
                    return True
                if cues.GROUP_AFTER.search(masked[match.end : match.end + 6]):
                    return True
        return False

    def _ambiguity(self, masked: str, matches: list[Match]) -> tuple[tuple[str, ...], str]:
        for word, options in self.lexicon.ambiguous.items():
            start = masked.find(word)
            if start == -1:
                continue
            end = start + len(word)
            covering = [
                m for m in matches if m.start <= start and m.end >= end and m.term.kind == "metric"
            ]
            if any(m.end - m.start > len(word) for m in covering):
                continue  # a longer, unambiguous metric term contains it
            other_metrics = [
                m
                for m in matches
                if m.term.kind == "metric"
                and not (m.start >= start and m.end <= end)
                and m.term.surface not in GENERIC_METRIC_WORDS
            ]
            if other_metrics:
                continue  # another metric is named explicitly: the word is just context
            return options, word
        return (), ""

    def _thresholds(
        self, masked: str, matches: list[Match]
    ) -> list[tuple[MetricFilter, tuple[int, int]]]:
        """Thresholds on the metric named before them ("满意度低于75%"), in that metric's unit
        ("超过30分钟" on an hours metric is > 0.5); a unit the metric is not measured in
        ("tickets ... more than 2 times") binds nothing."""
        found = []
        metric_matches = [m for m in matches if m.term.kind == "metric"]
        for hit in quantities.THRESHOLD.finditer(masked):
            # The metric named before it, or named as its unit ("100 tickets or more").
            before = [m for m in metric_matches if m.end <= hit.start()]
            inside = [m for m in metric_matches if hit.start() <= m.start < hit.end()]
            if not before and not inside:
                continue
            metric = before[-1].term.target if before else inside[0].term.target
            threshold = quantities.threshold_on(hit, self.catalog.metric(metric).unit)
            if threshold is None or quantities.counts_something_else(masked, hit):
                continue
            condition = MetricFilter(metric=metric, op=threshold.op, values=(threshold.value,))
            found.append((condition, hit.span()))
        return found

    # -- building the query ----------------------------------------------------------------

    def _time(
        self, reading: _Reading, state: ConversationState, assumptions: list[str]
    ) -> tuple[TimeRange, str | None]:
        compare = reading.compare
        if not reading.ranges and reading.now:
            assumptions.append(
                _t(
                    reading.language,
                    f"按截至今天（{state.today}）仍未解决的工单计",
                    f"tickets still open as of today ({state.today})",
                )
            )
            return TimeRange(start=state.today, end=state.today + timedelta(days=1)), compare
        if not reading.ranges:
            if reading.trend:
                first = state.today.replace(day=1)
                assumptions.append(
                    _t(
                        reading.language,
                        f"未指定时间，按最近{DEFAULT_TREND_MONTHS}个完整月份",
                        f"no period given: the last {DEFAULT_TREND_MONTHS} full months",
                    )
                )
                return TimeRange(start=add_months(first, -DEFAULT_TREND_MONTHS), end=first), compare
            assumptions.append(
                _t(
                    reading.language,
                    "未指定时间，按上一个完整月份",
                    "no period given: the last full month",
                )
            )
            return last_full_month(state.today), compare
        if len(reading.ranges) == 1:
            return _range(reading.ranges[0]), compare
        read = self._two_periods(reading)
        if read.assumption:
            assumptions.append(read.assumption)
        return read.period, read.compare

    @staticmethod
    def _two_periods(reading: _Reading, last: MetricQuery | None = None) -> PeriodsRead:
        """One period and its comparison from two; raises _UnclearPeriods to ask instead
        (``last``: the query a follow-up rewrites)."""
        read = read_two_periods(reading.ranges, reading.text, reading.compare, reading.language)
        if isinstance(read, PeriodsUnclear):
            raise _UnclearPeriods(reading, read, last)
        if read.grain is not None:  # each period on its own: a trend of that grain
            reading.trend, reading.grain = True, read.grain
        return read

    def _clarify_periods(self, unclear: _UnclearPeriods, state: ConversationState) -> Plan:
        """Ask which reading of two periods is meant, each option a query that answers it."""
        reading, language = unclear.reading, unclear.reading.language
        options = []
        for choice in period_choices(unclear.periods, language):
            candidate = _Reading(
                **{
                    **reading.__dict__,
                    "ranges": [TimeMatch(choice.period, None, (0, 0), "")],
                    "compare": choice.compare,
                    "trend": reading.trend or choice.grain is not None,
                    "grain": choice.grain or reading.grain,
                }
            )
            if unclear.last is not None:
                plan = self._follow_up(candidate, unclear.last, state)
            elif candidate.metrics:
                query, assumptions = self._build(candidate, state)
                plan = self._finish(query, language, assumptions=assumptions)
            else:
                continue
            if isinstance(plan, MetricPlan):
                options.append(ClarificationOption(label=choice.label, plan=plan))
        return Clarification(
            question=unclear_question(unclear.periods, language), options=tuple(options)
        )

    def _build(
        self, reading: _Reading, state: ConversationState
    ) -> tuple[MetricQuery, tuple[str, ...]]:
        assumptions: list[str] = []
        time_range, compare = self._time(reading, state, assumptions)
        grain = reading.grain if reading.trend else None
        if reading.trend and grain is None:
            grain = _auto_grain(time_range)
        order_by, limit = self._order(reading)
        query = MetricQuery(
            metrics=tuple(reading.metrics),
            dimensions=tuple(reading.dimensions),
            time_grain=grain,
            time_range=time_range,
            filters=tuple(reading.filters),
            metric_filters=tuple(reading.metric_filters),
            compare_to=compare,
            order_by=order_by,
            limit=limit,
        )
        return query, tuple(assumptions)

    def _order(self, reading: _Reading) -> tuple[tuple[OrderBy, ...], int | None]:
        ranking, by_change = reading.ranking, reading.change_rank
        if not reading.metrics:
            return (), None
        metric = self.catalog.metric(reading.metrics[0])
        if by_change is not None and reading.dimensions:
            return self._order_by_change(metric, by_change, ranking)
        if ranking is None:
            return (), None
        descending = ranking.descending
        if ranking.wants_bad_end and metric.direction != "neutral":
            descending = metric.direction == "down"
        elif ranking.wants_good_end and metric.direction != "neutral":
            descending = metric.direction == "up"
        # "Which channel is slowest" shows the whole ranking, leader first; "前3" limits it.
        limit = ranking.limit
        return (OrderBy(field=metric.name, descending=descending),), limit

    @staticmethod
    def _order_by_change(
        metric: MetricSpec, by_change: cues.ChangeRanking, ranking: cues.Ranking | None
    ) -> tuple[tuple[OrderBy, ...], int | None]:
        """ "下降最多的大区": the most negative change first (a rise: the most positive); "改善最
        多" by the metric's good direction. "最快" on a count or a duration is the relative
        change (%), on a rate or a score the change in its own points."""
        direction = by_change.direction
        if direction == "better":
            direction = "rise" if metric.direction == "up" else "fall"
        elif direction == "worse":
            direction = "fall" if metric.direction == "up" else "rise"
        relative = by_change.fastest and metric.unit not in CHANGE_IN_POINTS_UNITS
        relative = relative and not metric.unit.startswith("per ")
        field = f"{metric.name}__change_pct" if relative else f"{metric.name}__change"
        limit = by_change.limit
        if limit is None and ranking is not None:
            limit = ranking.limit
        return (OrderBy(field=field, descending=direction == "rise"),), limit

    def _change_direction_unclear(self, reading: _Reading) -> bool:
        """ "变化最大的大区" (either sign), or "改善最多" on a metric with no good direction:
        which end leads is not said."""
        by_change = reading.change_rank
        if by_change is None or not reading.dimensions or not reading.metrics:
            return False
        if by_change.direction == "any":
            return True
        neutral = self.catalog.metric(reading.metrics[0]).direction == "neutral"
        return by_change.direction in ("better", "worse") and neutral

    def _clarify_change_direction(self, reading: _Reading, state: ConversationState) -> Plan:
        """Ask whether the largest fall or the largest rise should lead (ordering by the size
        of a change, either sign, is not a query the semantic layer runs)."""
        language = reading.language
        by_change = reading.change_rank
        assert by_change is not None
        label = self._label(reading.metrics[0], language)
        options = []
        for direction, zh, en in (
            ("fall", "下降最多", "fell the most"),
            ("rise", "上升最多", "rose the most"),
        ):
            candidate = _Reading(
                **{
                    **reading.__dict__,
                    "change_rank": dataclasses.replace(by_change, direction=direction),
                }
            )
            query, assumptions = self._build(candidate, state)
            plan = self._finish(query, language, assumptions=assumptions)
            if isinstance(plan, MetricPlan):
                options.append(
                    ClarificationOption(
                        label=_t(language, f"{label}{zh}", f"{label} {en}"), plan=plan
                    )
                )
        if by_change.direction == "any":
            question = _t(
                language,
                "按变化幅度（不分升降）排序暂不支持：您想看下降最多的，还是上升最多的？",
                "Ordering by the size of a change in either direction is not supported: "
                "do you mean the largest fall or the largest rise?",
            )
        else:
            question = _t(
                language,
                f"{label}没有规定好坏方向，无法判断改善或恶化：您想看下降最多的，还是上升最多的？",
                f"{label} has no good direction, so better or worse is not defined: do you "
                "mean the largest fall or the largest rise?",
            )
        return Clarification(question=question, options=tuple(options))

    # -- other plan kinds ---------------------------------------------------------------------

    def _follow_up(self, reading: _Reading, last: MetricQuery, state: ConversationState) -> Plan:
        query = last
        if not reading.metrics and cues.P90.search(reading.text):
            reading.metrics = list(dict.fromkeys(self._p90(m) for m in last.metrics))
        if reading.metrics:
            query = query.with_metrics(*reading.metrics)
            query = query.model_copy(
                update={"order_by": tuple(o for o in query.order_by if o.field not in last.metrics)}
            )
        if self._drills(reading, last):
            # the member's own breakdown: the next level below every member now fixed
            fixed = [f.field for f in (*query.filters, *reading.filters) if f.op == "="]
            below = breakdowns(fixed)
            query = query.with_dimensions(*below[:1])
        elif reading.dimensions:
            dims = (
                (*query.dimensions, *reading.dimensions)
                if reading.add_dimension
                else tuple(reading.dimensions)
            )
            query = query.with_dimensions(*dict.fromkeys(dims))
        if reading.filters:
            fields = {f.field for f in reading.filters}
            kept = tuple(f for f in query.filters if f.field not in fields)
            query = query.model_copy(update={"filters": (*kept, *reading.filters)})
        if len(reading.ranges) > 1:
            read = self._two_periods(reading, last)
            query = query.with_time_range(read.period.start, read.period.end)
            query = query.with_compare_to(read.compare)
        elif reading.ranges and query.time_range is not None:
            new = _range(reading.ranges[0])
            text = reading.ranges[0].text.strip()
            if comparison_range(query.time_range, "previous_period") == new and (
                cues.COMPARE_WORDS.search(text) or reading.compare
            ):
                query = query.with_compare_to("previous_period")
            elif comparison_range(query.time_range, "same_period_last_year") == new and (
                cues.COMPARE_WORDS.search(text) or reading.compare
            ):
                query = query.with_compare_to("same_period_last_year")
            elif (
                _is_bare_last_year(text)
                and (query.time_range.end - query.time_range.start).days < 360
            ):
                shifted = comparison_range(query.time_range, "same_period_last_year")
                query = query.with_time_range(shifted.start, shifted.end)
            else:
                query = query.with_time_range(new.start, new.end).with_compare_to(None)
        elif reading.ranges:
            new = _range(reading.ranges[0])
            query = query.with_time_range(new.start, new.end)
        if reading.compare and query.time_range is not None:
            query = query.with_compare_to(reading.compare)
        if reading.trend:
            grain = reading.grain or (
                _auto_grain(query.time_range) if query.time_range else "month"
            )
            query = query.with_time_grain(grain)
        if reading.ranking is not None or reading.change_rank is not None:
            ordering = _Reading(
                language=reading.language,
                metrics=list(query.metrics),
                dimensions=list(query.dimensions),
                ranking=reading.ranking,
                change_rank=reading.change_rank,
            )
            order_by, limit = self._order(ordering)
            query = query.model_copy(update={"order_by": order_by, "limit": limit})
            if reading.change_rank is not None and query.dimensions and not query.compare_to:
                query = query.with_compare_to(PREVIOUS_PERIOD)
        if reading.metric_filters:
            query = query.model_copy(update={"metric_filters": tuple(reading.metric_filters)})
        return self._finish(query, reading.language, follow_up_of=last)

    @staticmethod
    def _drills(reading: _Reading, last: MetricQuery) -> bool:
        """A follow-up that drills into a member: a drill verb ("点进", "drill into") or a
        member of a drill-path dimension the previous answer was broken down by ("看看华东的
        空调" after complaints by region), and no breakdown of its own."""
        if reading.dimensions or not any(f.op == "=" for f in reading.filters):
            return False
        picked = {f.field for f in reading.filters if f.op == "="}
        return reading.drill or bool(picked & set(last.dimensions) & set(DRILL_PATH))

    def _clarify_drill(
        self, masked: str, reading: _Reading, last: MetricQuery, state: ConversationState
    ) -> Plan:
        """ "点进火星看看": no member of any dimension was named; say so, and offer the first
        members of the previous answer's breakdown (or of the next drill level)."""
        language = reading.language
        word = " ".join(masked.replace("看看", " ").split()).strip(" ?？。.!！") or masked.strip()
        fixed = [f.field for f in last.filters if f.op == "="]
        dimension = (last.dimensions or breakdowns(fixed) or (None,))[0]
        options: list[ClarificationOption] = []
        code_list = None
        if dimension is not None:
            spec = self.catalog.resolve_dimension("tickets", dimension).dimension
            code_list = self.catalog.code_list_for(spec)
        for entry in (code_list.codes if code_list else ())[:3]:
            member = Filter(field=dimension, op="=", values=(entry.code,))
            picked = _Reading(language=language, filters=[member], drill=True)
            plan = self._follow_up(picked, last, state)
            if isinstance(plan, MetricPlan):
                label = entry.label.zh if language == "zh" else entry.label.en
                options.append(ClarificationOption(label=label, plan=plan))
        levels = ("、" if language == "zh" else ", ").join(
            self.lexicon.dimension_label(d, language) for d in (*DRILL_PATH, *SIDE_PATHS)
        )
        return Clarification(
            question=_t(
                language,
                f"没有找到可以点进的「{word}」：它不是{levels}中的任何一个成员。您想点进哪一个？",
                f"I found no “{word}” to drill into: it is not a member of any of {levels}. "
                "Which one do you mean?",
            ),
            options=tuple(options),
        )

    def _no_metric(self, text: str, reading: _Reading, state: ConversationState) -> Plan:
        language = reading.language
        about_service = bool(cues.SERVICE_WORDS.search(text)) or bool(
            reading.dimensions or reading.filters
        )
        if cues.OFF_TOPIC.search(text) or not about_service:
            return OutOfScope(
                reason=_t(
                    language,
                    "这个问题不在服务数据的范围内，我只回答经过认证的服务指标、"
                    "相似投诉案例和原因分析。",
                    "That is not something the service data can answer: I answer "
                    "certified service KPIs, similar-case searches and root-cause "
                    "questions.",
                ),
                suggestions=suggestions(language),
            )
        options = ("complaint_volume", "csat", "first_response_time_median")
        if reading.dimensions or reading.filters:
            options = ("ticket_volume", "csat", "sla_compliance")
        reading.ambiguous = options
        return self._clarify_metric(reading, state, None)

    def _with_metric(
        self,
        reading: _Reading,
        metric: str | list[str],
        state: ConversationState,
        last: MetricQuery | None,
        **changes: Any,
    ) -> Plan:
        """The plan of this reading with ``metric`` (or several) as its metrics and ``changes``
        to the reading (a clarification option); a follow-up without its own period keeps the
        previous turn's."""
        metrics = [metric] if isinstance(metric, str) else metric
        candidate = _Reading(**{**reading.__dict__, "metrics": metrics, "ambiguous": (), **changes})
        query, assumptions = self._build(candidate, state)
        if last is not None and not reading.ranges and last.time_range is not None:
            query = query.with_time_range(last.time_range.start, last.time_range.end)
            assumptions = ()
        return self._finish(query, reading.language, assumptions=assumptions)

    def _overview(
        self, reading: _Reading, state: ConversationState, last: MetricQuery | None
    ) -> Plan | None:
        """The headline KPIs over the question's scope and period, each against the period
        before: what a vague "怎么样" / "how are we doing" most often wants."""
        metrics = [m for m in HEADLINE_METRICS if m in self.catalog.metrics]
        if len(metrics) < 2:
            return None
        compare = reading.compare or (None if reading.trend else PREVIOUS_PERIOD)
        return self._with_metric(reading, metrics, state, last, compare=compare)

    def _clarify_metric(
        self, reading: _Reading, state: ConversationState, last: MetricQuery | None
    ) -> Plan:
        language = reading.language
        options = []
        overview = None
        if reading.ambiguous_word in self.lexicon.vague_words:
            overview = self._overview(reading, state, last)
            if isinstance(overview, MetricPlan):
                n = len(overview.query.metrics)
                label = _t(
                    language,
                    f"整体概况（{n}项核心指标，与上期对比）",
                    f"Overview ({n} headline KPIs against the period before)",
                )
                options.append(ClarificationOption(label=label, plan=overview))
        for metric in reading.ambiguous[: 3 - len(options)]:  # three options at most
            plan = self._with_metric(reading, metric, state, last)
            if isinstance(plan, MetricPlan):
                label = self.catalog.metric(metric).label
                options.append(
                    ClarificationOption(label=label.zh if language == "zh" else label.en, plan=plan)
                )
        word = reading.ambiguous_word
        if isinstance(overview, MetricPlan):
            return Clarification(
                question=_t(
                    language,
                    f"“{word}”可以看整体概况，也可以看某一个指标：您想看哪个？",
                    f"“{word}” can mean the overall picture or one metric; which do you want?",
                ),
                options=tuple(options),
            )
        question = _t(
            language,
            f"“{word}”可以指几个不同的指标，您想看哪一个？" if word else "您想看哪个指标？",
            f"“{word}” can mean different metrics; which one do you mean?"
            if word
            else "Which metric would you like to see?",
        )
        return Clarification(question=question, options=tuple(options))

    def _placed_words(
        self, masked: str, reading: _Reading, matches: list[Match]
    ) -> tuple[str, ...]:
        """Words the planner's own rules place (beyond catalog terms and cue words)."""
        words = [w for w in self.lexicon.ambiguous if w in masked]
        metrics = {m.term.target for m in matches if m.term.kind == "metric"}
        if "backlog" in metrics:  # "积压多少工单没处理完": the definition restated
            words += [m.group() for m in cues.NOT_DONE.finditer(masked)]
        named = {self._statistic(metric) for metric in metrics}
        for statistic, surfaces in STATISTIC_WORDS.items():
            if statistic in named:  # "首次响应时间的中位数": the metric is a median
                words += [w for w in surfaces if w in masked]
        for match in matches:  # "没升级的": a negated yes/no dimension is its "false" value
            if self.lexicon.dimension_types.get(match.term.target) == "boolean":
                negation = _NEGATION_BEFORE.search(masked[: match.start])
                if negation:
                    words.append(negation.group().strip())
        # Read as a trend or a comparison; a comparison the question names (同比, "比上上个月
        # 下降了几个百分点": two periods) shows the change too.
        compared = reading.compare is not None or len(reading.ranges) == 2
        if reading.change or (compared and not cues.find_ranking(masked)):
            words += [m.group() for m in cues.CHANGE.finditer(masked)]
            words += [m.group() for m in cues.CHANGE_SIZE.finditer(masked)]
        count = cues.ranking_count(masked) if cues.find_ranking(masked) else None
        if count is not None:  # "three best channels": the number of groups is its limit
            words.append(count.group().strip())
        if reading.change_rank is not None:  # "下降最多": read as a ranking by change
            for span in (reading.change_rank.span, reading.change_rank.count_span):
                if span is not None:  # "降幅最大的三个": the number of groups is its limit
                    words.append(masked[span[0] : span[1]].strip())
        # "达标了吗": placed by the target rule (the answer states the target or its absence).
        words += [m.group() for m in cues.TARGET.finditer(masked)]
        if reading.ranges:  # "双十一后那三周（11月12号到12月2号）": the dates restate it
            words += [m.group() for m in _RESTATED_PERIOD.finditer(masked)]
        return tuple(words)

    @staticmethod
    def _about_a_change(masked: str, reading: _Reading) -> bool:
        """A change asked over the question's own periods, not a ranking by change ("下降最多
        的大区") nor a change against periods it names ("和上个月比": compared already)."""
        return bool(
            cues.CHANGE.search(masked)
            and not reading.compare
            and len(reading.ranges) <= 1
            and not cues.find_ranking(masked)
            and not cues.WHY.search(masked)
        )

    def _statistic(self, name: str) -> str | None:
        """'median' or 'mean' when the metric computes one (from its definition), else None."""
        metric = self.catalog.metric(name)
        if metric.measure is not None:
            _, measure = self.catalog.measure(metric.measure)
            if measure.agg == "percentile" and measure.percentile == 0.5:
                return "median"
            return "mean" if measure.agg == "avg" else None
        # A ratio of a total in time, money or score over a count is a mean (AHT, cost per
        # ticket, CES); a % or "per 1,000 orders" ratio is not.
        if metric.type == "ratio" and metric.unit in MEAN_UNITS:
            return "mean"
        return None

    def _not_certified(self, word: Span, reading: _Reading, state: ConversationState) -> Plan:
        """A rate/share the catalog lacks: say so by name, never answer a metric inside it."""
        language = reading.language
        # The whole question, not only the rate word: "在SLA时限内解决的工单比例" is near SLA.
        nearest = nearest_metrics(self.lexicon, f"{word.text} {reading.text}", rate=True)
        labels = [self._label(m, language) for m in nearest]
        reason = _t(
            language,
            f"「{word.text}」不是已认证指标，我不会用别的指标代替它。"
            f"最接近的已认证指标：{'、'.join(labels)}。"
            f"如需新增，请分析师在指标定义文件中定义它（公式、口径、负责人）并补充评测用例；"
            f"若它与某个已有指标含义相同，把「{word.text}」加为该指标的同义词即可。",
            f"'{word.text}' is not a certified metric, and I will not answer it with a different "
            f"one. The closest certified metrics: {', '.join(labels)}. To add it, an analyst "
            "defines it in a metrics file under semantic_layer/definitions/ (formula, time "
            f"attribution, owner) with eval cases; if it means the same as an existing metric, "
            f"adding '{word.text}' as that metric's synonym is enough.",
        )
        tips = tuple(
            _t(language, f"上个月的{label}是多少？", f"What was {label} last month?")
            for label in labels
        )
        return OutOfScope(reason=reason, suggestions=tips)

    def _clarify_unplaced(
        self, reading: _Reading, state: ConversationState, last: MetricQuery | None, text: str
    ) -> Plan:
        """Words the reading could not place could change the number: ask, offering the
        values whose names contain such a word ("chat" -> Web chat), the reading without
        them and the certified metrics nearest to them."""
        language = reading.language
        assert reading.coverage is not None
        words = [span.text for span in reading.coverage.unplaced]
        shown = (
            "、".join(f"「{w}」" for w in words)
            if language == "zh"
            else ", ".join(f"“{w}”" for w in words)
        )
        options = self._values_named_by(reading.coverage.unplaced, text, state)
        if not reading.metrics and last is None and self._about_tickets(reading.text, reading):
            reading.metrics = self._count_metric(reading, reading.text)
        if last is not None:
            as_read = self._follow_up(reading, last, state)
        elif reading.metrics:
            query, assumptions = self._build(reading, state)
            as_read = self._finish(query, language, assumptions=assumptions)
        else:
            as_read = None
        read_metrics = list(as_read.query.metrics) if isinstance(as_read, MetricPlan) else []
        if isinstance(as_read, MetricPlan):
            label = "、".join(self._label(m, language) for m in read_metrics)
            # Chosen, the answer still says what it left out.
            ignored = _t(language, f"未考虑{shown}", f"{shown} not taken into account")
            as_read = as_read.model_copy(update={"assumptions": (*as_read.assumptions, ignored)})
            options.append(
                ClarificationOption(
                    label=_t(language, f"{label}（不考虑{shown}）", f"{label} (ignoring {shown})"),
                    plan=as_read,
                )
            )
        options = options[:3]
        for metric in nearest_metrics(self.lexicon, " ".join(words), k=5):
            if len(options) >= 3:
                break
            if metric in read_metrics:
                continue
            plan = self._with_metric(reading, metric, state, last)
            if isinstance(plan, MetricPlan):
                options.append(ClarificationOption(label=self._label(metric, language), plan=plan))
        question = _t(
            language,
            f"问题中的{shown}我无法对应到已认证的指标、维度或取值，忽略它可能得出错误的数字。"
            "您想看哪一个？",
            f"I could not place {shown} (not a certified metric, dimension or value), and "
            "ignoring it could give a wrong number. Which one do you mean?",
        )
        return Clarification(question=question, options=tuple(options), incomplete=True)

    def _values_named_by(
        self, unplaced: list[Span], text: str, state: ConversationState
    ) -> list[ClarificationOption]:
        """For one unplaced word that is part of a value's name: the question read with that
        value written out in full, when that reading places every word."""
        if len(unplaced) != 1 or _REWRITING.get():
            return []  # one word, one round: a rewritten question is not rewritten again
        span = unplaced[0]
        language = "zh" if has_cjk(text) else "en"
        options = []
        for dimension, code, name in self.lexicon.values_naming(span.text):
            label = self.lexicon.value_label(dimension, code, language)
            # The value's own name holds the word and is longer than it: the question with it
            # written out places it (no second round of this).
            token = _REWRITING.set(True)
            try:
                plan = self._plan(f"{text[: span.start]}{name}{text[span.end :]}", state)
            finally:
                _REWRITING.reset(token)
            if not isinstance(plan, MetricPlan):
                continue
            read_as = _t(
                language,
                f"「{span.text}」理解为{self.lexicon.dimension_label(dimension, language)}"
                f"「{label}」",
                f"“{span.text}” read as {self.lexicon.dimension_label(dimension, language)} "
                f"“{label}”",
            )
            plan = plan.model_copy(update={"assumptions": (*plan.assumptions, read_as)})
            options.append(ClarificationOption(label=read_as, plan=plan))
        return options[:2]  # room for the reading without the word

    def _share_of_a_count(self, masked: str, reading: _Reading) -> bool:
        """A share is asked ("一次就解决的工单占多少") but the reading has a count or another
        non-% metric: answering it would give a number of a different kind."""
        if not cues.SHARE_ASKED.search(masked):
            return False
        return any(self.catalog.metric(m).unit != "%" for m in reading.metrics)

    def _count_of_a_rate(self, masked: str, reading: _Reading) -> bool:
        """A count of tickets is asked ("How many tickets breached SLA") but every metric read
        is a rate of them (SLA breach rate): answering would give a share for a count."""
        if not cues.COUNT_ASKED.search(masked) or cues.SHARE_ASKED.search(masked):
            return False
        return all(self.catalog.metric(m).unit in RATE_UNITS for m in reading.metrics)

    def _clarify_count(self, reading: _Reading, state: ConversationState) -> Plan:
        """Offer the rates read, each said to be a rate: the count itself is not certified."""
        language = reading.language
        options = []
        for metric in reading.metrics:
            plan = self._with_metric(reading, metric, state, None)
            if isinstance(plan, MetricPlan):
                label = _t(
                    language,
                    f"{self._label(metric, language)}（比率，不是数量）",
                    f"{self._label(metric, language)} (a rate, not a count)",
                )
                options.append(ClarificationOption(label=label, plan=plan))
        question = _t(
            language,
            "您问的是数量，但我读出的是一个比率，不会用比率代替数量。要看这个比率吗？"
            "（如果需要数量，请分析师定义这个指标。）",
            "You asked how many, but what I read is a rate, and I will not answer one with the "
            "other. Would the rate do? (If you need the count, an analyst can define it.)",
        )
        return Clarification(question=question, options=tuple(options))

    def _numerator_fields(self, name: str) -> set[str]:
        """Columns the numerator of a ratio metric filters on (empty for other metrics)."""
        metric = self.catalog.metric(name)
        if metric.numerator is None:
            return set()
        _, measure = self.catalog.measure(metric.numerator.measure)
        return {f.field for f in measure.filters if isinstance(f.field, str)}

    def _clarify_share(self, reading: _Reading, state: ConversationState) -> Plan:
        language = reading.language
        options = []
        # Rates whose numerator counts exactly what the question filters on ("share of tickets
        # escalated" -> escalation rate) come first, then the rates nearest in words.
        fields = {f.field for f in reading.filters}
        counting = [m for m in self.catalog.metrics if fields & self._numerator_fields(m)]
        words = cues.SHARE_ASKED.sub(" ", reading.text)
        for metric in dict.fromkeys(
            [*counting, *nearest_metrics(self.lexicon, words, k=6, rate=True)]
        ):
            if self.catalog.metric(metric).unit != "%" or len(options) == 3:
                continue
            plan = self._with_metric(reading, metric, state, None)
            if isinstance(plan, MetricPlan):
                options.append(ClarificationOption(label=self._label(metric, language), plan=plan))
        question = _t(
            language,
            "您问的是一个占比，但我只读出了一个数量，不会用数量代替占比。您想看哪个已认证的比率？"
            "（如果都不是，请分析师定义这个比率。）",
            "You asked for a share, but I could only read a count, and I will not answer one "
            "with the other. Which certified rate do you mean? (If none, an analyst can define "
            "it.)",
        )
        return Clarification(question=question, options=tuple(options))

    def _label(self, metric: str, language: str) -> str:
        label = self.catalog.metric(metric).label
        return label.zh if language == "zh" else label.en

    def _root_cause(self, reading: _Reading, state: ConversationState) -> Plan:
        assumptions: list[str] = []
        period, _ = self._time(reading, state, assumptions)
        compare = reading.compare or "previous_period"
        metric = reading.metrics[0]
        previous = comparison_range(period, compare)
        interpretation = describe_root_cause(
            metric, period, previous, self.catalog, reading.language
        )
        if cues.LEVEL_ASKED.search(reading.text) and not reading.compare:
            # "为什么华南满意度这么低": the engine explains a change between periods, not a gap
            # to other regions or to the target; say so rather than answer another question.
            interpretation += _t(
                reading.language,
                "（您问的是为什么这么低/高：这里分析的是与上一周期相比的变化；"
                "与其他范围或目标的差距暂不能分解，可问“上个月各大区的满意度”对比。）",
                " (You asked why it is this low/high: this explains the change from the "
                "period before; the gap to other groups or to the target cannot be broken "
                "down yet — ask for the metric by region to compare.)",
            )
        return RootCause(
            metric=metric,
            period=period,
            compare_period=previous,
            scope=tuple(reading.filters),
            interpretation=interpretation,
        )

    def _forecast(
        self, text: str, masked: str, reading: _Reading, state: ConversationState
    ) -> Plan:
        language = reading.language
        if not reading.metrics and self._about_tickets(masked, reading):
            reading.metrics = self._count_metric(reading, masked)
        volumes = [m for m in reading.metrics if m in FORECASTABLE]
        if len(volumes) != 1 or len(reading.metrics) != 1:
            return OutOfScope(
                reason=_t(
                    language,
                    "目前只能预测工单量和投诉量（可按渠道或大区），其他指标不做预测。",
                    "Forecasts cover ticket and complaint volume (optionally per channel or "
                    "region); other metrics are not forecast.",
                ),
                suggestions=suggestions(language),
            )
        scope = tuple(
            f
            for f in reading.filters
            if f.field in ("channel", "region") and f.op == "=" and len(f.values) == 1
        )
        weeks = _forecast_weeks(text)
        period = _forecast_period(text, state.today)
        label = self.catalog.metric(volumes[0]).label
        where = "，".join(self.lexicon.condition_label(f.field, f.values, language) for f in scope)
        where_zh, where_en = ("（" + where + "）", " (" + where + ")") if where else ("", "")
        if period is not None:
            last = period.end - timedelta(days=1)
            interpretation = _t(
                language,
                f"理解为：预测 {period.start} 至 {last} 的{label.zh}{where_zh}",
                f"I read this as: forecast {label.en} for {period.start} to {last}{where_en}",
            )
        else:
            interpretation = _t(
                language,
                f"理解为：预测未来{weeks}周的{label.zh}{where_zh}",
                f"I read this as: forecast {label.en} for the next {weeks} weeks{where_en}",
            )
        return Forecast(
            metric=volumes[0],
            weeks=weeks,
            scope=scope,
            interpretation=interpretation,
            period=period,
        )

    def asks_for_alerts(self, text: str) -> bool:
        return asks_for_alerts(text, self.lexicon)

    def _alerts(self, reading: _Reading, masked: str, state: ConversationState) -> Plan:
        """Alerts of a period (default: the 30 days before today) within the scope the
        question names; a named metric narrows them, a generic word ("工单") does not."""
        language = reading.language
        if reading.ranges:
            period = _range(reading.ranges[0])
        else:
            period = TimeRange(
                start=state.today - timedelta(days=DEFAULT_ALERT_DAYS), end=state.today
            )
        scope, ignored = [], []
        for flt in reading.filters:
            if flt.field in ALERT_SCOPE_DIMENSIONS and flt.op in ("=", "in"):
                scope.append(flt)
            else:
                ignored.append(flt)
        named = [
            m.term.target
            for m in self.lexicon.find(masked)
            if m.term.kind == "metric" and m.term.surface not in GENERIC_METRIC_WORDS
        ]
        named = [m for m in dict.fromkeys(self._p90(m) for m in named) if m in reading.metrics]
        complaint_only = Filter(field="ticket_type", op="=", values=("complaint",))
        if not named and complaint_only in ignored:  # "投诉有什么异常": complaint volume alerts
            ignored.remove(complaint_only)
            named = ["complaint_volume"]
        metric = named[0] if len(named) == 1 else None
        days = (period.end - period.start).days
        span = f"{period.start}至{period.end - timedelta(days=1)}"
        where = "，".join(self.lexicon.condition_label(f.field, f.values, "zh") for f in scope)
        where_en = ", ".join(self.lexicon.condition_label(f.field, f.values, "en") for f in scope)
        label = self.catalog.metric(metric).label if metric else None
        zh = f"理解为：查看{span}（{days}天）内的监控预警"
        en = f"I read this as: monitoring alerts of {period.start} to "
        en += f"{period.end - timedelta(days=1)} ({days} days)"
        if label is not None:
            zh += f"，指标：{label.zh}"
            en += f", metric: {label.en}"
        if scope:
            zh += f"，范围：{where}"
            en += f", scope: {where_en}"
        if ignored:
            zh += (
                "（预警不按"
                + "、".join(self.lexicon.dimension_label(f.field, "zh") for f in ignored)
                + "细分，已忽略该条件）"
            )
            en += (
                " (alerts are not split by "
                + ", ".join(self.lexicon.dimension_label(f.field, "en") for f in ignored)
                + "; that condition is ignored)"
            )
        return AlertReview(
            period=period,
            scope=tuple(scope),
            metric=metric,
            interpretation=_t(language, zh, en),
        )

    def _case_search(self, question: str, text: str, language: str) -> Plan:
        body = question
        for sep in ("：", ":"):
            if sep in question:
                head, tail = question.split(sep, 1)
                if cues.CASE_SEARCH.search(normalise(head)) and tail.strip():
                    body = tail.strip()
                    break
        filters = []
        for match in self.lexicon.find(normalise(body) if body != question else text):
            term = match.term
            if term.kind == "value" and term.dimension in ("region", "product_line", "category"):
                filters.append(Filter(field=term.dimension, op="=", values=(term.target,)))
        return CaseSearch(
            text=body,
            filters=tuple(dict.fromkeys(filters)),
            interpretation=_t(language, "查找相似的已解决案例", "Find similar resolved cases"),
        )

    # -- validation and wording ------------------------------------------------------------

    def _finish(
        self,
        query: MetricQuery,
        language: str,
        *,
        assumptions: tuple[str, ...] = (),
        verified: bool = False,
        follow_up_of: MetricQuery | None = None,
    ) -> Plan:
        try:
            self.check(query)
        except SemanticLayerError as exc:
            return OutOfScope(
                reason=cannot_compute(language, str(exc)),
                suggestions=suggestions(language),
            )
        return MetricPlan(
            query=query,
            interpretation=describe_query(query, self.catalog, self.lexicon, language, assumptions),
            verified=verified,
            follow_up_of=follow_up_of,
            assumptions=tuple(assumptions),
        )


def asks_for_alerts(text: str, lexicon: Lexicon) -> bool:
    """Does the (normalised) question ask about monitoring alerts ("最近有什么异常？")? Catalog
    terms are masked first, so a code such as "abnormal noise" is not taken for the cue."""
    terms = _mask(text, [(m.start, m.end) for m in lexicon.find(text)])
    return bool(cues.ALERTS.search(terms))


def _read_anything(reading: _Reading) -> bool:
    return bool(
        reading.metrics
        or reading.dimensions
        or reading.filters
        or reading.ranges
        or reading.compare
        or reading.trend
        or reading.ranking
    )


# Set while a question rewritten with a value's full name is planned (per thread and task).
_REWRITING: ContextVar[bool] = ContextVar("rewriting", default=False)

_COMPLAINTS_ONLY = Filter(field="ticket_type", op="=", values=("complaint",))


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            chars[i] = " "
    return "".join(chars)


def _range(match: TimeMatch) -> TimeRange:
    assert match.range is not None
    return TimeRange(start=match.range.start, end=match.range.end)


def _auto_grain(time_range: TimeRange) -> str:
    days = (time_range.end - time_range.start).days
    if days <= 31:
        return "day"
    if days <= 120:
        return "week"
    return "month"


def _is_bare_last_year(text: str) -> bool:
    return normalise(text).strip(" ?？呢和跟与比,，") in ("去年", "last year", "去年同期")


# Common typos fixed before reading (same length is not needed: nothing is read before this).
_TYPO_FIXES = words.TYPO_FIXES
_TYPOS = re.compile(r"\b(" + "|".join(_TYPO_FIXES) + r")\b")
# "Now" words that make a backlog question mean today's backlog.
_PRESENT = re.compile(
    r"(现在|目前|当前|眼下|此刻|今天|还有|仍有|now|currently|at the moment|today|still)"
)
_RESTATED_PERIOD = re.compile(r"[那这][一二三四五六七八九十两\d]{0,2}(个)?(周|天|个月|月)")
# Connectors between values of one list ("华东和华北", "East or North").
_LIST_GLUE = r"(?:\x00+|和|与|及|以及|跟|或|加|、|,|，|/|\s|\bor\b|\band\b|的|区|地区)*"


def _head_dimensions(matches: list[Match]) -> list[Match]:
    """Two dimension words written as one ("客服小组"): the last is the head noun, the first
    only qualifies it, so the question asks for one breakdown, not two."""
    kept: list[Match] = []
    for match in matches:
        if (
            kept
            and match.term.kind == "dimension"
            and kept[-1].term.kind == "dimension"
            and kept[-1].end == match.start
        ):
            kept[-1] = Match(match.term, kept[-1].start, match.end, match.fuzzy)
            continue
        kept.append(match)
    return kept


def _negated(masked: str, match: Match, matches: list[Match]) -> bool:
    """Is this value excluded ("除华东以外", "不含华东和华北", "excluding East", "华东除外")?
    Other values of the same list may stand between the negation and this one."""
    chars = list(masked)
    for other in matches:
        if other.term.kind in ("value", "dimension"):
            for i in range(other.start, other.end):
                chars[i] = "\x00"
    blanked = "".join(chars)
    before = re.sub(_LIST_GLUE + "$", "", blanked[: match.start])
    after = re.sub("^" + _LIST_GLUE, "", blanked[match.end :])
    return bool(cues.NEGATION_BEFORE.search(before) or cues.NEGATION_AFTER.match(after))


GENERIC_METRIC_WORDS = words.GENERIC_METRIC_WORDS


def _main_ranges(masked: str, ranges: list[TimeMatch]) -> list[TimeMatch]:
    """Drop restatements: "到目前为止" next to another period, and a period in parentheses that
    restates the one before it ("双十一后那三周（11月12号到12月2号）" means the dates given)."""
    if len(ranges) < 2:
        return ranges
    kept = [m for m in ranges if not cues.TO_DATE_ONLY.match(m.text)] or ranges
    for i in range(1, len(kept)):
        if masked[: kept[i].span[0]].rstrip().endswith(("(", "（")):
            return [kept[i], *kept[: i - 1], *kept[i + 1 :]]
    return kept


def _refusal(text: str, language: str) -> OutOfScope | None:
    if cues.SQL_TEXT.search(text):
        return OutOfScope(
            reason=_t(
                language,
                "我不执行SQL或任何命令；请用文字描述您想看的指标。",
                "I don't run SQL or commands; ask for the metric in words.",
            ),
            suggestions=suggestions(language),
        )
    if cues.COMPETITOR.search(text):
        return OutOfScope(
            reason=_t(
                language,
                "我只有本公司的服务数据，没有竞品或其他公司的指标。",
                "I only have our own service data, not competitors' numbers.",
            ),
            suggestions=suggestions(language),
        )
    if cues.PII_REQUEST.search(text):
        return OutOfScope(
            reason=_t(
                language,
                "我不提供客户的个人信息（手机号、身份证号、地址等），只回答汇总指标。",
                "I don't give out personal data (phone numbers, ID numbers, addresses); "
                "I answer aggregate service metrics.",
            ),
            suggestions=suggestions(language),
        )
    return None


FORECASTABLE = ("ticket_volume", "complaint_volume")
DEFAULT_ALERT_DAYS = 30
# What alert rules may scope by (tools.monitoring.rules.SCOPE_DIMENSIONS; a test keeps them
# equal). Not imported: loading the monitoring package would cost every planner a second.
ALERT_SCOPE_DIMENSIONS = ("region", "channel", "product_line", "category", "team")


def _forecast_period(text: str, today: date) -> TimeRange | None:
    """下个月 / next month -> the next calendar month; 下季度 / next quarter -> the next calendar
    quarter; rolling phrases ("未来四周") -> None (counted in weeks)."""
    if re.search(r"下个?月|next month", text, re.IGNORECASE):
        start = month_start(today, 1)
        return TimeRange(start=start, end=add_months(start, 1))
    if re.search(r"下个?季度|next quarter", text, re.IGNORECASE):
        start = add_months(quarter_start(today), 3)
        return TimeRange(start=start, end=add_months(start, 3))
    return None


def _forecast_weeks(text: str) -> int:
    """下周 1, 下个月 4, 下季度 13, "next N weeks"/"未来N周" N; default 4."""
    match = re.search(
        r"(?:未来|接下来|后面|next)\s*(\d+|[一二三四五六七八九十两]+)\s*(?:个)?\s*(?:周|weeks?)",
        text,
    )
    if match:
        return max(1, min(26, chinese_number(match.group(1))))
    if re.search(r"下周|next week", text):
        return 1
    if re.search(r"下季度|next quarter", text):
        return 13
    return 4
