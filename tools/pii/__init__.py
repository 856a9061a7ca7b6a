"""PII masking for complaint texts (zh + en), applied before text is embedded, stored (case
text, resolution, metadata, BM25 tokens), shown, sent to an LLM or written to the audit log
(shared/DESIGN.md, principle 5).

Text is first normalised for detection — full-width forms to ASCII (１３８, ＠, ．), the
ideographic space to a space, dash variants to ``-`` — one character for one, so every span
found maps back to the same place in the original, which is what gets replaced. Digit runs
may carry separators (spaces, dots, dashes, ``·``) anywhere: 138.1234.5678, 110105 19491231
002X, 6217 0012 3456 7890 122.

Detected and replaced by a typed placeholder:

- ``[EMAIL]``      e-mail addresses (also ``name[at]host[dot]com``)
- ``[ID_CARD]``    Chinese resident ID numbers (18 characters, or the old 15 digits) with a
                   plausible birth date
- ``[BANK_CARD]``  16-19 digits with a valid Luhn digit, or 12-19 digits after 卡号/card number
- ``[PHONE]``      Chinese mobiles and landlines, international ``+xx``/``00xx`` numbers, US
                   style ``(415) 555-0100``, ``415-555-0100``, ``415.555.0100``
- ``[SSN]``        US social security numbers ``123-45-6789`` (or 9 digits after SSN)
- ``[PASSPORT]``   passport numbers after 护照/passport, and Chinese ``E12345678``
- ``[QQ]`` / ``[WECHAT]``  QQ numbers and WeChat ids after their cue words (QQ, 微信, vx, ...)
- ``[ADDRESS]``    street addresses (zh: road + 号, 小区 + 栋/单元/室; en: number + street)
- ``[NAME]``       personal names in Chinese and English (tools/pii/names.py)

Numbers that are not PII are left alone: order and ticket numbers (SO2412345678), amounts,
dates, model numbers (KFR-35GW), counts, hotlines (12315), CFPB's ``XXXX`` masking. A digit run
glued to ASCII letters is never taken for a phone or card number.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from tools.pii.names import find_names

__all__ = [
    "PII_KINDS",
    "PLACEHOLDER",
    "PiiMatch",
    "contains_pii",
    "find_pii",
    "mask_pii",
    "mask_pii_counts",
    "mask_record_fields",
    "normalize_width",
]

PII_KINDS = (
    "EMAIL",
    "ID_CARD",
    "BANK_CARD",
    "PHONE",
    "SSN",
    "PASSPORT",
    "QQ",
    "WECHAT",
    "ADDRESS",
    "NAME",
)
# Matches any placeholder this module writes (the tokenizer drops them; masking is idempotent).
PLACEHOLDER = re.compile(r"\[(?:" + "|".join(PII_KINDS) + r")\]")

# Full-width ASCII (U+FF01..FF5E) -> ASCII, ideographic space -> space, dashes and the small
# commercial at -> ASCII: one character for one, so positions survive.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: 0x20, 0xFE6B: 0x40, 0x2010: 0x2D, 0x2011: 0x2D, 0x2012: 0x2D})
_WIDTH.update({0x2013: 0x2D, 0x2014: 0x2D, 0x2212: 0x2D, 0x00A0: 0x20, 0x2007: 0x20})


def normalize_width(text: str) -> str:
    """``text`` with full-width forms as ASCII, same length (one character for one)."""
    return text.translate(_WIDTH)


_S = r"(?:[ \t]?[-.·][ \t]?|[ \t]{1,2})?"  # an optional separator inside a digit run
_NB = r"(?<![0-9A-Za-z])(?<![0-9A-Za-z][-.·])"  # not glued to a letter/digit (or an id's dash)
_NA = r"(?![0-9A-Za-z])(?![-.·][0-9A-Za-z])"


def _run(n: int, m: int | None = None) -> str:
    """``n`` (to ``m``) digits, any of them separated."""
    return r"\d(?:" + _S + r"\d){" + str(n - 1) + ("," + str(m - 1) if m else "") + "}"


_AT = r"(?:[ \t]?@[ \t]?|[ \t]?[\[(](?i:at)[\])][ \t]?)"
_DOT = r"(?:\.|[ \t]?[\[(](?i:dot)[\])][ \t]?)"
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*"
    + _AT
    + r"[A-Za-z0-9-]+(?:"
    + _DOT
    + r"[A-Za-z0-9-]+)*"
    + _DOT
    + r"[A-Za-z]{2,}"
)
_ID18 = re.compile(_NB + _run(17) + _S + r"[0-9Xx]" + _NA)
_ID15 = re.compile(_NB + _run(15) + _NA)
_CARD = re.compile(_NB + _run(16, 19) + _NA)
_CARD_CUE = re.compile(
    r"(?:卡号|卡|(?i:card(?:[ \t]+(?:number|no\.?|#))?|"
    r"account(?:[ \t]+(?:number|no\.?|#))))[ \t]*(?:号码?|是|为|(?i:is))?[ \t]*[:：#]?[ \t]*"
    r"(" + _run(12, 19) + r")" + _NA
)
_MOBILE = re.compile(
    _NB + r"(?:(?:\+|00)[ \t]?86[ \t]?[-.]?[ \t]?)?1" + _S + r"[3-9](?:" + _S + r"\d){9}" + _NA
)
_LANDLINE = re.compile(
    _NB
    + r"(?:\(0\d{2,3}\)[ \t]?|0\d{2,3}(?:[ \t]?-[ \t]?|[ \t]))[2-9]"
    + r"(?:"
    + _S
    + r"\d){6,7}(?:[ \t]?(?:-|转|(?i:ext\.?|x))[ \t]?\d{1,5})?"
    + _NA
)
_INTL = re.compile(
    r"(?<![A-Za-z0-9+])(?:\+|(?<![0-9])00)[ \t]?[1-9]\d{0,2}[ \t]?[-.]?[ \t]?"
    r"(?:\(\d{1,4}\)[ \t]?)?" + _run(6, 13) + _NA
)
_US_SEP = r"(?:[ \t]?[-.][ \t]?|[ \t])"
_US = re.compile(
    _NB
    + r"(?:\+?1[ \t]?[-.]?[ \t]?)?(?!400|800)(?:\([2-9]\d{2}\)[ \t]?|[2-9]\d{2}"
    + _US_SEP
    + r")[2-9]\d{2}"
    + _US_SEP
    + r"\d{4}"
    + _NA
)
_SSN = re.compile(_NB + r"(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}" + _NA)
_SSN_CUE = re.compile(
    r"(?i:\bSSN|social security(?: number| no\.?)?)(?:[ \t]+is)?[ \t]*[:#]?[ \t]*(\d{9})" + _NA
)
_PASSPORT_CUE = re.compile(
    r"(?:护照|(?i:passport))[ \t]*(?:号码?|(?i:number|no\.?|#))?[ \t]*(?:是|为|(?i:is))?"
    r"[ \t]*[:：]?[ \t]*([A-Za-z]{0,2}\d{6,9})" + _NA
)
_PASSPORT_CN = re.compile(_NB + r"[EG]\d{8}" + _NA)
_QQ = re.compile(
    r"(?:(?<![A-Za-z])(?i:qq)|扣扣|企鹅号?)[ \t]*(?:号码?|(?i:number|no\.?|#))?[ \t]*"
    r"(?:是|为|(?i:is))?[ \t]*[:：]?[ \t]*([1-9](?:" + _S + r"\d){4,10})" + _NA
)
_WECHAT = re.compile(
    r"(?:微信|(?<![A-Za-z])(?i:wechat|weixin|vx|wx)|[vV]信|威信|薇信)[ \t]*"
    r"(?:号|(?i:id|number|no\.?|#))?[ \t]*(?:是|为|(?i:is))?[ \t]*[:：]?[ \t]*"
    r"([A-Za-z][-_A-Za-z0-9]{5,19}|\d(?:" + _S + r"\d){4,12})(?![-_A-Za-z0-9])"
)
_HAN = "\u4e00-\u9fff"
_ADDR_ZH = re.compile(
    rf"(?:[{_HAN}]{{2,3}}(?:省|自治区))?(?:[{_HAN}]{{2,4}}市)?"
    rf"(?:[{_HAN}]{{1,5}}(?:区|县|镇)){{0,2}}"
    rf"[{_HAN}A-Za-z0-9]{{1,8}}?(?:路|街|大道|大街|巷|弄|胡同|道)"
    rf"[ \t]?\d{{1,5}}(?:-\d{{1,4}})?[ \t]?号(?:院)?"
    rf"(?:[ \t]?\d{{1,4}}(?:号楼|栋|幢|座|楼|单元)){{0,3}}(?:[ \t]?\d{{1,5}}(?:室|房|号房)?)?"
)
_ADDR_ZH_ESTATE = re.compile(
    rf"(?:[{_HAN}]{{2,4}}市)?(?:[{_HAN}]{{1,5}}区)?[{_HAN}]{{2,8}}(?:小区|花园|公寓|家园|苑|新村|大厦)"
    rf"[ \t]?(?:\d{{1,3}}(?:期|区))?[ \t]?\d{{1,4}}(?:号楼|栋|幢|座)(?:[ \t]?\d{{1,2}}单元)?"
    rf"(?:[ \t]?\d{{2,5}}(?:室|房|号)?)?"
)
_ADDR_EN = re.compile(
    r"(?:(?:Room|Rm\.?|Flat|Apt\.?|Apartment|Unit|Suite)[ \t]*\d+[A-Za-z]?,?[ \t]*)?"
    r"(?:No\.[ \t]*)?\b\d{1,5}[A-Za-z]?[ \t]+(?:[A-Z][a-z]+[ \t]+){1,4}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl"
    r"|Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Loop|Close|Crescent|Row|Square|Sq)\b\.?"
    r"(?:[ \t]+(?:NW|NE|SW|SE|N|S|E|W)\b)?"
    r"(?:,?[ \t]*(?:Apt\.?|Apartment|Unit|Suite|#)[ \t]*\d+[A-Za-z]?)?"
    r"(?:,[ \t]*[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+){0,2}){0,3}"
    r"(?:,?[ \t]*[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?)?"
)
# Words that introduce an address in Chinese and may be swallowed by the prefix groups above.
_ZH_LEADING = ("地址", "住址", "我家在", "家在", "住在", "位于", "在", "于", "是", "到", "：", ":")


@dataclass(frozen=True)
class PiiMatch:
    kind: str  # one of PII_KINDS
    start: int
    end: int
    text: str


def _digits(s: str) -> str:
    return re.sub(r"[^0-9Xx]", "", s)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        x = int(ch) * (2 if i % 2 else 1)
        total += x - 9 if x > 9 else x
    return total % 10 == 0


def _plausible_birth(yyyymmdd: str) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return date(1890, 1, 1) <= born <= date(2030, 12, 31)


def _candidates(text: str, norm: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []

    def add(kind: str, start: int, end: int) -> None:
        found.append(PiiMatch(kind, start, end, text[start:end]))

    def each(kind: str, pattern: re.Pattern[str], group: int = 0) -> None:
        for m in pattern.finditer(norm):
            add(kind, m.start(group), m.end(group))

    each("EMAIL", _EMAIL)
    for m in _ID18.finditer(norm):
        if _plausible_birth(_digits(m.group())[6:14]):
            add("ID_CARD", m.start(), m.end())
    for m in _ID15.finditer(norm):
        if _plausible_birth("19" + _digits(m.group())[6:12]):
            add("ID_CARD", m.start(), m.end())
    for m in _CARD.finditer(norm):
        if _luhn_ok(_digits(m.group())):
            add("BANK_CARD", m.start(), m.end())
    each("BANK_CARD", _CARD_CUE, 1)
    for pattern in (_MOBILE, _LANDLINE, _INTL, _US):
        for m in pattern.finditer(norm):
            if 7 <= len(_digits(m.group())) <= 15:
                add("PHONE", m.start(), m.end())
    each("SSN", _SSN)
    each("SSN", _SSN_CUE, 1)
    each("PASSPORT", _PASSPORT_CUE, 1)
    each("PASSPORT", _PASSPORT_CN)
    each("QQ", _QQ, 1)
    each("WECHAT", _WECHAT, 1)
    for pattern in (_ADDR_ZH, _ADDR_ZH_ESTATE):
        for m in pattern.finditer(norm):
            start = m.start()
            stripped = True
            while stripped:
                stripped = False
                for word in _ZH_LEADING:
                    if norm.startswith(word, start) and start + len(word) < m.end():
                        start += len(word)
                        stripped = True
            add("ADDRESS", start, m.end())
    each("ADDRESS", _ADDR_EN)
    for start, end in find_names(norm):
        add("NAME", start, end)
    return found


# An overlap goes to the longer span; at equal length the more specific kind (earlier here).
_PRIORITY = {k: i for i, k in enumerate(("SSN", "QQ", "WECHAT", "PASSPORT", *PII_KINDS))}


def find_pii(text: str) -> list[PiiMatch]:
    """Non-overlapping PII spans in ``text``, left to right (longest span wins an overlap)."""
    if not text:
        return []
    norm = normalize_width(text)
    spans = sorted(
        (s for s in _candidates(text, norm) if not PLACEHOLDER.fullmatch(s.text)),
        key=lambda p: (-(p.end - p.start), _PRIORITY[p.kind], p.start),
    )
    taken = [False] * len(text)
    chosen: list[PiiMatch] = []
    for span in spans:
        if span.end <= span.start or any(taken[span.start : span.end]):
            continue
        taken[span.start : span.end] = [True] * (span.end - span.start)
        chosen.append(span)
    return sorted(chosen, key=lambda p: p.start)


def mask_pii_counts(text: str) -> tuple[str, Counter[str]]:
    """``text`` with every PII span replaced by ``[KIND]``, and how many of each kind."""
    spans = find_pii(text)
    if not spans:
        return text, Counter()
    parts: list[str] = []
    pos = 0
    for span in spans:
        parts.append(text[pos : span.start])
        parts.append(f"[{span.kind}]")
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts), Counter(s.kind for s in spans)


def mask_pii(text: str | None) -> str:
    """``text`` with PII replaced by placeholders such as ``[PHONE]`` (None -> "")."""
    if not text:
        return ""
    return mask_pii_counts(text)[0]


def contains_pii(text: str) -> bool:
    return bool(find_pii(text))


# Columns whose whole value is personal data, by name (``--meta-columns customer_name,phone``).
_FIELD_KINDS = (
    ("EMAIL", ("email", "e_mail", "mail", "邮箱", "邮件")),
    ("PHONE", ("phone", "tel", "mobile", "cell", "fax", "电话", "手机", "座机")),
    ("ADDRESS", ("address", "addr", "street", "地址", "住址")),
    ("SSN", ("ssn", "social_security")),
    ("PASSPORT", ("passport", "护照")),
    ("ID_CARD", ("id_card", "idcard", "id_number", "身份证", "证件")),
    ("WECHAT", ("wechat", "weixin", "微信")),
    ("QQ", ("qq",)),
    ("BANK_CARD", ("card_number", "card_no", "bank_card", "account_number", "卡号", "银行卡")),
    ("NAME", ("姓名", "名字", "联系人", "投诉人", "客户名", "收件人", "客户")),
)
_NAME_COLUMNS = frozenset(
    {"customer", "contact", "consumer", "requester", "complainant", "contact_person"}
)
_NOT_PERSON = frozenset(
    {
        "product",
        "category",
        "model",
        "brand",
        "store",
        "company",
        "team",
        "region",
        "city",
        "file",
        "channel",
        "metric",
        "collection",
        "source",
        "shop",
        "dealer",
        "branch",
        "id",
        "segment",
        "type",
        "code",
        "count",
        "number",
        "no",
    }
)


def _field_kind(key: str) -> str | None:
    """The PII kind a column holds, judged by its name, or None for an ordinary column."""
    low = key.strip().lower()
    words = re.split(r"[^0-9a-z\u4e00-\u9fff]+", low)
    for kind, hints in _FIELD_KINDS:
        if any(h in low if not h.isascii() else h in words or h == low for h in hints):
            return kind
        if kind == "BANK_CARD" and any(h in low for h in hints if "_" in h):
            return kind
    if low.replace(" ", "_") in _NAME_COLUMNS or ("name" in words and not _NOT_PERSON & set(words)):
        return "NAME"
    return None


def mask_record_fields(fields: dict[str, object]) -> dict[str, object]:
    """Metadata with personal data masked: a column named like personal data (customer_name,
    联系电话, email) is replaced whole by its placeholder; every other text value is masked
    like free text (a phone number inside a note column)."""
    out: dict[str, object] = {}
    for key, value in fields.items():
        if isinstance(value, str) and value.strip():
            kind = _field_kind(key)
            out[key] = f"[{kind}]" if kind else mask_pii(value)
        else:
            out[key] = value
    return out
