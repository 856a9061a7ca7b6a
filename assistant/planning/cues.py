"""Words that signal what kind of answer a question wants (both languages).

Grounding (which metric, which dimension, which value) comes from the semantic layer via the
lexicon; these cues only decide the shape: ranking, trend, breakdown, follow-up, why, search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.planning.time_parser import chinese_number

# "按渠道", "各大区", "每个团队", "分渠道", "by channel", "per region", "which channels"
GROUP_BEFORE = re.compile(
    r"(按照|按|各个|各|每个|每一个|分|哪个|哪些|哪一个|哪几个|不同|by|per|each|across|which|"
    r"for each|split by|broken down by|breakdown by)\s*$"
)
GROUP_AFTER = re.compile(r"^\s*(分布|排名|排行|对比|维度|之间|breakdown|ranking|split)")

TOP = re.compile(
    r"(最高|最多|最大|最长|最慢|最好|最佳|排名前|前\s*(\d+|[一二三四五六七八九十两]+)|top\s*(\d+)?|"
    r"highest|most|largest|longest|slowest|best|biggest|maximum|max|从高到低|从多到少|从慢到快|"
    r"rank|ranking|排名|排行|排序|排个序|排一下)"
)
BOTTOM = re.compile(
    r"(最低|最少|最小|最短|最快|最差|最糟|倒数|后\s*(\d+|[一二三四五六七八九十两]+)名|bottom\s*(\d+)?|"
    r"lowest|least|fewest|smallest|shortest|fastest|quickest|worst|minimum|min\b|从低到高|"
    r"从少到多|从快到慢|ascending|lowest first)"
)
# Superlatives that mean "bad end" / "good end" rather than high/low values.
WORST = re.compile(r"(最差|最糟|倒数|worst|poorest)")
BEST = re.compile(r"(最好|最佳|best|top performing)")
COUNT = re.compile(
    r"(?:前|top|bottom|倒数|后|最[高低多少好差]的?|哪|which)\s*(\d+|[一二三四五六七八九十两]+)\s*"
    r"(?:个|名|位|家|条)?"
)
_N_EN = r"(\d+|two|three|four|five|six|seven|eight|nine|ten)"
# "the 3 regions with the most complaints", "5 worst teams", "three best channels".
COUNT_EN = re.compile(
    rf"(?<![\w.,]){_N_EN}\s+(?:worst|best|highest|lowest|top|bottom|biggest|largest|smallest|"
    r"slowest|fastest|most|least)(?![a-z])"
    rf"|(?<![a-z])the\s+{_N_EN}\s+(?=[a-z])"
)


def ranking_count(text: str) -> re.Match[str] | None:
    """Where a ranking says how many groups it wants ("前3", "top 5", "the 3 regions")."""
    return COUNT.search(text) or COUNT_EN.search(text)


def count_value(match: re.Match[str]) -> int:
    return chinese_number(next(g for g in match.groups() if g))  # 3, 三, three


TREND = re.compile(
    r"(趋势|走势|变化情况|变化趋势|曲线|按月|逐月|每月|每周|每天|逐日|逐周|trend|over time|"
    r"month by month|week by week|day by day|timelines?\b|history)"
)
# A question about a change ("变化了多少", "how much did CSAT drop"): over a span of periods
# ("二季度到三季度") each period is shown; over one period it is compared with the one before.
CHANGE = re.compile(
    r"(变化了?|变了|增长了?|下降了?|上升了?|提升了?|提高了?|降低了?|减少了?|增加了?|改善了?|恶化了?|"
    r"涨了|降了|升了|(?<![a-z])(?:chang(?:e|ed|es)|gr[eo]w|grown|growth|increas(?:e|ed)|"
    r"decreas(?:e|ed)|r[io]se|risen|f[ae]ll|fallen|drop(?:ped)?|improv(?:e|ed)|declin(?:e|ed)|"
    r"(?:go|went|gone)\s+(?:up|down))(?![a-z]))"
)
# The size of a change asked ("下降了多少个百分点", "how many points did it drop"): placed with
# the change word, as the answer states the change.
CHANGE_SIZE = re.compile(
    r"(?:多少|几)\s*个?\s*(?:百分点|点)|"
    r"(?<![a-z])(?:by\s+)?(?:how\s+many|how\s+much)(?:\s+(?:percentage\s+)?points?)?(?![a-z])"
)
# "为什么这么低": a question about a level (a gap to others or to a target), not a change.
LEVEL_ASKED = re.compile(
    r"(这么|那么|如此|这样)(低|高|差|好|少|多|慢|快)|偏(低|高)|"
    r"\b(so|this|that|such a)\s+(low|high|bad|poor|good|slow|fast)\b"
)
WHY = re.compile(
    r"(为什么|为啥|为何|原因是|什么原因|怎么回事|什么导致|是什么造成|归因|why|what caused|"
    r"what drove|what is behind|what's behind|reason for|"
    r"explain the (rise|drop|increase|decrease|change))"
)
CASE_SEARCH = re.compile(
    r"(类似|相似|相同|同类)(的)?(案例|投诉|工单|问题|case)|"
    r"similar (cases|complaints|tickets|issues)|cases like|"
    r"find (cases|tickets|complaints) (like|similar)|有没有.{0,6}(案例|先例)|怎么处理过"
)
# (No \b after a Chinese word: 换成满意度 has no word boundary inside.)
FOLLOW_UP = re.compile(
    r"^\s*(那么|那就|那|再|还有|另外|换成|改成|换为|改为|只看|只要|仅看|仅|如果)"
    r"|^\s*(and|what about|how about|now|only|just|same|also|then|switch to)\b"
    r"|\binstead\b|呢[？?]?\s*$"
)
# "点进华东看看" / "drill into East": the previous metric, filtered to a member, broken down by
# the next level of the drill path (assistant/planning/drill.py).
DRILL = re.compile(
    r"(点进去?|点开|下钻到?|钻取|钻到|深入到?|"
    r"\b(drill(ing)?( down)?|zoom( in)?|dig)( (into|in to|to|on))?\b( the\b)?)",
    re.IGNORECASE,
)
ADD_DIMENSION = re.compile(r"(再按|同时按|也按|并按|and also by|also by|additionally by)")
NEGATION = re.compile(
    r"(除了|除去|不含|不包括|排除|去掉|except|excluding|without|other than|not)\s*$"
)
COMPARE_WORDS = re.compile(r"(比|对比|相比|比较|compare|compared|vs\.?|versus|against)")
# "So far" words next to a period that already runs to today: they add nothing.
TO_DATE_WORDS = re.compile(
    r"(so far|to date|as of now|as of today|right now|at the moment|到目前为止|截至目前|截止目前)"
)
# Two periods joined as one ("7月和8月", "July+August"): their union, not a comparison.
RANGE_UNION = re.compile(r"^\s*(\+|和|与|及|加|、|,|，|and|&|plus)\s*$")

# A percentile named next to a duration metric: the P90 variant of a median metric.
P90 = re.compile(r"(p90|90分位|90%分位|百分之九十|90th percentile|90th pct|九十分位)")

# "Which channel is ...", "哪个": the question word of a ranking (the answer shows the whole
# ranking, leader first).
SINGULAR_WHICH = re.compile(
    r"(哪个|哪一个|哪家|哪位|是哪|最(高|低|多|少|好|差|大|小|长|短|快|慢)的(?!\S{0,3}(和|与|、))|"
    r"which (?!\w+s\b)[a-z]+ (is|was|has|had|did|does)\b|"
    r"which (one|region|channel|team|product|city|agent|category|priority|segment)\b(?!s))"
)
# A question that is a request for data about people, not service KPIs.
PII_REQUEST = re.compile(
    r"(身份证|手机号|电话号码|联系方式|家庭住址|银行卡号|密码|phone numbers?|id (card )?numbers?|"
    r"home address|addresses|passwords?|credit card numbers?|personal data|contact details|"
    r"email addresses)"
)
# Other companies' numbers: not in our warehouse, whatever metric is named.
COMPETITOR = re.compile(r"(竞品|竞争对手|友商|同行|competitor|competitors|rival)")
# Raw SQL or statements: never run, whatever else the question says.
SQL_TEXT = re.compile(
    r"(\bselect\b.+\bfrom\b|\bdrop\s+table\b|\bdelete\s+from\b|\binsert\s+into\b|"
    r"\bupdate\s+\w+\s+set\b|\bunion\s+(all\s+)?select\b|;\s*--|\btruncate\s+table\b)"
)
FORECAST = re.compile(
    r"(预测|预计|预估|forecast|predict|projection|下个?月|下周|下季度|明年|"
    r"next (week|month|quarter|year))"
)
# Monitoring alerts: "最近有什么异常？", "any anomalies lately?", "alerts for email". Matched on
# the question with catalog terms masked, so a code such as "abnormal noise" is not a cue;
# "alert(" is script code pasted in, not a question about alerts.
ALERTS = re.compile(
    r"(异常|预警|告警|警报|报警|异动|反常|不正常|不对劲|"
    r"\banomal(y|ies|ous)\b|\balerts?\b(?!\s*\()|\balarms?\b|\bunusual\b|\babnormal\b|"
    r"\boutliers?\b|\bred flags?\b|\birregular(ity|ities)?\b|"
    r"\banything (odd|strange|weird|wrong)\b)"
)
# Never after a negation: "没处理完" / "unresolved" are the opposite.
RESOLVED_WORDS = re.compile(
    r"((?<!没有)(?<![没未不非还])(?:结了|结单|解决了|已解决|处理完)"
    r"|(?<![A-Za-z-])(?:resolved|closed|solved|resolve|close)\b)"
)
SURVEY_WORDS = re.compile(r"(问卷|调查|调研|回访|survey|surveys|responses)")
TICKET_NOUNS = re.compile(
    r"(工单|单|案子|投诉|报修|咨询|ticket|tickets|case|cases|complaint|complaints)"
)
EACH = re.compile(r"(各多少|各自|分别|各有|respectively|each)")
# "达标了吗" / "are we on target": the answer compares the value with the analysts' target.
TARGET = re.compile(
    r"(没达标|未达标|不达标|达标|达到目标|完成目标|目标值|目标|"
    r"\b(on|off|hit|hitting|meet|meeting|met|miss|missed|missing|reach|reached|against)"
    r"\s+(the\s+|our\s+|its\s+|their\s+)?([\w%-]+\s+){0,2}?(targets?|goals?)\b|\bon track\b"
    r"|\btargets?\b|\bgoals?\b)",
    re.IGNORECASE,
)
# Durations named without saying which one.
TO_DATE_ONLY = re.compile(
    r"^\s*(到目前为止|到目前|到现在|截至目前|截止目前|截至今天|至今|迄今为止|迄今|"
    r"so far|to date)\s*$"
)


# "How many ..." without a metric word: a count of tickets (of the filtered kind).
HOW_MANY = re.compile(r"(多少|几个|几件|几单|几起|数量|总数|how many|number of|count of|count)")

# The question asks for a share, not a count ("占多少", "what share of"): only a % metric answers.
SHARE_ASKED = re.compile(
    r"(占多少|占了多少|占比|占几成|几成|比例|比重|百分比|百分之几|"
    r"what share|what percentage|what percent|what proportion|what fraction|percentage of|"
    r"proportion of|fraction of|share of|% of)"
)

# A count of tickets asked for in so many words ("how many tickets breached SLA", "工单有多少",
# "多少单"): only a count answers it, never the rate of them. (Not "多少" alone: 满意度是多少.)
_COUNTED = (
    r"(?:tickets?|complaints?|cases?|surveys?|orders?|customers?|"
    r"工单|投诉|单子|问卷|订单|客户|案例)"
)
COUNT_ASKED = re.compile(
    rf"(?:how many|number of|count of)\s+(?:[\w-]+\s+){{0,2}}?{_COUNTED}|"
    rf"(?:多少|几)\s*(?:个|件|单|张|起|条|位|笔)?\s*{_COUNTED}|"
    rf"{_COUNTED}\s*的?\s*(?:数量|总数|有\s*多少|有\s*几)|"
    r"(?:多少|几)\s*(?:件|单|起|笔)(?!位)"
)

# Words that make a question about service data even when no metric is named.
SERVICE_WORDS = re.compile(
    r"(工单|客服|投诉|售后|服务|满意|响应|解决|渠道|大区|团队|坐席|客户|问卷|sla|ticket|"
    r"complaint|service|support|customer|agent|channel|region|team|survey|kpi|metric|指标)"
)
# Clearly unrelated requests.
OFF_TOPIC = re.compile(
    r"(天气|股价|股票|彩票|笑话|写一首|写诗|写代码|翻译|菜谱|足球|电影|新闻|工资|薪水|薪资|"
    r"weather|stock price|share price|joke|poem|write (some |a )?code|"
    r"python script|recipe|football|movie|salary|salaries|payroll|bitcoin|horoscope)"
)


@dataclass(frozen=True)
class Ranking:
    descending: bool
    limit: int | None
    wants_bad_end: bool  # "worst": the bad end of the metric's good direction
    wants_good_end: bool


ORDER_ASC = re.compile(r"(从低到高|从少到多|从快到慢|ascending|lowest first|fastest first)")
ORDER_DESC = re.compile(r"(从高到低|从多到少|从慢到快|descending|highest first|slowest first)")


def find_ranking(text: str) -> Ranking | None:
    top, bottom = TOP.search(text), BOTTOM.search(text)
    if not top and not bottom:
        return None
    count = ranking_count(text)
    limit = count_value(count) if count else None
    if ORDER_ASC.search(text):
        descending = False
    elif ORDER_DESC.search(text):
        descending = True
    else:
        descending = bool(top) and (not bottom or top.start() < bottom.start())
    return Ranking(
        descending=descending,
        limit=limit,
        wants_bad_end=bool(WORST.search(text)),
        wants_good_end=bool(BEST.search(text)),
    )


# "How many tickets are still open?" / "还有多少工单没处理完": today's backlog, not a count of
# last month's tickets whose status is open.
STILL_OPEN = re.compile(
    r"(还有多少.{0,6}(没|未|还没)(有)?(处理完|处理|解决|结|关|完成)|"
    r"(还|仍然|仍|尚|依然)(有)?.{0,4}(没|未)(有)?(处理完|解决|结单|关闭|完结|结)|"
    r"(still|currently|right now) (open|unresolved|outstanding|pending)|"
    r"(open|unresolved|outstanding) (right now|at the moment|currently|today|as of today)|"
    r"not (yet )?(resolved|closed|done|handled)( yet)?)"
)
# Negation around a value: "除华东以外", "华东除外", "不含华东", "excluding East", "other than".
# "没处理完" next to the backlog restates what a backlog is (tickets not yet resolved).
NOT_DONE = re.compile(r"(还没|没|未)(有)?(处理完|处理|解决|结单|关闭|完结|完成|结)")
NEGATION_BEFORE = re.compile(
    r"(除了|除去|除开|除|非|不含|不包含|不包括|不算|排除|去掉|去除|剔除|刨除|扣除|"
    r"except for|except|excluding|exclude|without|other than|apart from|aside from|"
    r"outside of|not counting|not including|but not|not)\s*$"
)
NEGATION_AFTER = re.compile(
    r"^\s*(以外|之外|除外|不算|不计|,?\s*(excluded|not included|left out|aside)\b)"
)
NEGATION_AROUND = re.compile(
    r"(除了|除(?=\S)|非(?!常)(?=\S)|除去|除开|不包含|不包括|不含|不算|排除|去掉|去除|剔除|刨除|扣除|以外|之外|除外|"
    r"except for|except|excluding|excluded|exclude|other than|apart from|aside from|"
    r"not counting|not including|not included|left out|but not)"
)


# A ranking by change ("满意度下降最多的大区", "which region's CSAT fell the most"): a change
# word next to a superlative. The change word says which end leads: a fall (the most negative
# change first), a rise (the most positive first), better/worse (by the metric's good
# direction), or either sign ("变化最大": ordering by the size of a change is not supported).
_FALL_ZH = r"(?:下降|降低|减少|下滑|下跌|跌|降|滑落|回落)"
_RISE_ZH = r"(?:增长|上升|提升|提高|增加|上涨|涨|攀升)"
_BETTER_ZH = r"(?:改善|改进|好转|进步)"
_WORSE_ZH = r"(?:恶化|变差|退步|下滑得?最厉害)"
_ANY_ZH = r"(?:变化|变动|波动|变)"
_SUPER_ZH = r"(?:了|得|幅|的)?\s*(?:最多|最大|最快|最厉害|最明显|最猛|最严重)"
_FALL_EN = (
    r"(?:f[ae]ll(?:en|ing)?|drop(?:ped|ping|s)?|declin(?:e|ed|es|ing)|decreas(?:e|ed|es|ing)|"
    r"dipp?(?:ed|ing)?|shr[ua]nk|slipp?(?:ed|ing)?|went down)"
)
_RISE_EN = (
    r"(?:r[io]s(?:e|en|es)|rising|gr[eo]w(?:n|s|ing)?|increas(?:e|ed|es|ing)|"
    r"climb(?:ed|ing|s)?|jump(?:ed|ing|s)?|went up|gain(?:ed|ing|s)?)"
)
_BETTER_EN = r"(?:improv(?:e|ed|es|ing|ement))"
_WORSE_EN = r"(?:worsen(?:ed|ing|s)?|deteriorat(?:e|ed|ing)|got worse)"
_ANY_EN = r"(?:chang(?:e|ed|es|ing)|mov(?:e|ed|es|ing)|swung|swing)"
_SUPER_EN_AFTER = (
    r"\s+(?:the\s+)?(?:most|fastest|furthest|farthest|hardest|quickest|sharpest|steepest|"
    r"biggest|largest|greatest|the\s+most)(?![a-z])"
)
_SUPER_EN_BEFORE = (
    r"(?<![a-z])(?:the\s+)?(?:most|fastest|biggest|largest|greatest|sharpest|steepest|"
    r"quickest|strongest|worst|highest)\s+"
)
_NOUN_EN_FALL = r"(?:drop|decline|fall|decrease|dip|slide)"
_NOUN_EN_RISE = r"(?:rise|increase|growth|gain|jump|climb)"
# "top 3 regions by complaint growth": ranked by a change named after "by"
_BY_EN = r"(?<![a-z])by\s+(?:[a-z-]+\s+){0,2}?"


def _change_rank_pattern() -> re.Pattern[str]:
    # "增长前三的大区" / "降幅排名前5": a change word before 前N (the number is the count's)
    top_n = r"(?:排名|排行)?(?=前\s*(?:\d+|[一二三四五六七八九十两]+))"
    zh = [
        (
            f"{_FALL_ZH}{_SUPER_ZH}|(?:降幅|跌幅|减幅){_SUPER_ZH}"
            f"|(?:{_FALL_ZH}|降幅|跌幅|减幅){top_n}",
            "fall",
        ),
        (
            f"{_RISE_ZH}{_SUPER_ZH}|(?:增幅|涨幅|升幅|增速){_SUPER_ZH}"
            f"|(?:{_RISE_ZH}|增幅|涨幅|升幅|增速){top_n}",
            "rise",
        ),
        (f"{_BETTER_ZH}{_SUPER_ZH}", "better"),
        (f"{_WORSE_ZH}{_SUPER_ZH}", "worse"),
        (f"{_ANY_ZH}{_SUPER_ZH}|(?:变幅|波幅){_SUPER_ZH}", "any"),
    ]
    en = [
        (
            f"(?<![a-z]){_FALL_EN}{_SUPER_EN_AFTER}|{_SUPER_EN_BEFORE}{_NOUN_EN_FALL}(?![a-z])"
            f"|{_SUPER_EN_BEFORE}(?:falling|dropping|declining|decreasing)(?![a-z])"
            f"|{_BY_EN}{_NOUN_EN_FALL}(?![a-z])",
            "fall",
        ),
        (
            f"(?<![a-z]){_RISE_EN}{_SUPER_EN_AFTER}|{_SUPER_EN_BEFORE}{_NOUN_EN_RISE}(?![a-z])"
            f"|{_SUPER_EN_BEFORE}(?:growing|rising|increasing|climbing)(?![a-z])"
            f"|{_BY_EN}{_NOUN_EN_RISE}(?![a-z])",
            "rise",
        ),
        (
            f"(?<![a-z]){_BETTER_EN}{_SUPER_EN_AFTER}|{_SUPER_EN_BEFORE}{_BETTER_EN}(?![a-z])",
            "better",
        ),
        (
            f"(?<![a-z]){_WORSE_EN}{_SUPER_EN_AFTER}|{_SUPER_EN_BEFORE}(?:worsening|deterioration)"
            r"(?![a-z])",
            "worse",
        ),
        (
            f"(?<![a-z]){_ANY_EN}{_SUPER_EN_AFTER}|{_SUPER_EN_BEFORE}(?:change|swing|move|mover)s?"
            r"(?![a-z])",
            "any",
        ),
    ]
    return re.compile("|".join(f"(?P<{kind}{i}>{p})" for i, (p, kind) in enumerate(zh + en)))


CHANGE_RANK = _change_rank_pattern()
FASTEST = re.compile(r"(最快|增速|fastest|quickest)")
# "降幅最大的三个渠道": the number after the superlative; "the 3 regions where ... fell most".
_CHANGE_COUNT = re.compile(
    r"最(?:多|大|快|厉害|明显)的?\s*(\d+|[一二三四五六七八九十两]+)\s*(?:个|名|位|家|条)"
)


@dataclass(frozen=True)
class ChangeRanking:
    """Which end of a ranking by change leads: "fall", "rise", "better", "worse" or "any"."""

    direction: str
    fastest: bool  # "增长最快" / "fastest": a relative change on a count or a duration
    limit: int | None
    span: tuple[int, int]
    count_span: tuple[int, int] | None = None  # the number of groups asked, when written


def find_change_ranking(text: str) -> ChangeRanking | None:
    match = CHANGE_RANK.search(text)
    if match is None:
        return None
    kind = next(k for k, v in match.groupdict().items() if v is not None)
    count = ranking_count(text) or _CHANGE_COUNT.search(text)
    return ChangeRanking(
        direction=kind.rstrip("0123456789"),
        fastest=bool(FASTEST.search(match.group())),
        limit=count_value(count) if count else None,
        span=match.span(),
        count_span=count.span() if count else None,
    )
