"""PII masking for complaint texts (zh + en), applied before text is embedded, stored, shown
or sent to an LLM (shared/DESIGN.md, principle 5).

Detected and replaced by a typed placeholder:

- ``[EMAIL]``      e-mail addresses (also QQ-style numeric ones)
- ``[ID_CARD]``    Chinese resident ID numbers: 18 characters (17 digits + digit or X) with a
                   plausible birth date, and the old 15-digit form with a plausible date
- ``[BANK_CARD]``  card numbers of 16-19 digits (plain or grouped by 4) with a valid Luhn digit
- ``[PHONE]``      Chinese mobiles (``138 1234 5678``, ``+86-13812345678``), Chinese landlines
                   (``010-12345678``), international numbers written with ``+`` and US-style
                   ``(415) 555-0100``
- ``[ADDRESS]``    Chinese street addresses (road + house number ``号``, building, flat) and
                   English ones (``Room 401, No. 12 Keyuan Road, Nanshan District, Shenzhen``,
                   ``221 Baker Street``)

Numbers that are not PII are left alone: order numbers (``SO2412345678``), amounts, dates,
model numbers, counts, hotlines (12315), CFPB's ``XXXX`` masking. A digit run glued to ASCII
letters (an order or model number) is never taken for a phone or card number.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

__all__ = ["PII_KINDS", "PiiMatch", "contains_pii", "find_pii", "mask_pii", "mask_pii_counts"]

PII_KINDS = ("EMAIL", "ID_CARD", "BANK_CARD", "PHONE", "ADDRESS")

_NB = r"(?<![0-9A-Za-z])"  # no ASCII letter/digit right before
_NA = r"(?![0-9A-Za-z])"  # ... or right after
_HAN = "\u4e00-\u9fff"

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_ID18 = re.compile(
    _NB + r"\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]" + _NA
)
_ID15 = re.compile(_NB + r"\d{6}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}" + _NA)
_CARD = re.compile(_NB + r"\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?" + _NA)
_MOBILE = re.compile(_NB + r"(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _NA)
_LANDLINE = re.compile(_NB + r"(?:\(0\d{2,3}\)|0\d{2,3}-)\s?\d{7,8}(?:-\d{1,5})?" + _NA)
_INTL = re.compile(
    r"(?<![A-Za-z0-9+])\+\d{1,3}[ -]?(?:\(\d{1,4}\)[ -]?)?\d{2,5}(?:[ -]?\d{2,6}){1,3}" + _NA
)
_US = re.compile(_NB + r"\(\d{3}\)\s?\d{3}-\d{4}" + _NA)
_ADDR_ZH = re.compile(
    rf"(?:[{_HAN}]{{2,3}}(?:省|自治区))?(?:[{_HAN}]{{2,4}}市)?(?:[{_HAN}]{{1,5}}(?:区|县|镇))?"
    rf"[{_HAN}A-Za-z0-9]{{1,8}}?(?:路|街|大道|大街|巷|弄|胡同)\d{{1,5}}(?:-\d{{1,4}})?号"
    rf"(?:院)?(?:\d{{1,4}}(?:号楼|栋|幢|座|楼|单元)){{0,3}}(?:\d{{1,5}}(?:室|房|号房))?"
)
_ADDR_EN = re.compile(
    r"(?:(?:Room|Rm\.?|Flat|Apt\.?|Apartment|Unit|Suite)\s*\d+[A-Za-z]?,?\s*)?"
    r"(?:No\.\s*)?\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,4}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl)\b\.?"
    r"(?:,\s*[A-Z][a-z]+(?:\s+(?:District|City|New\s+Area))?){0,3}"
)
# Words that introduce an address in Chinese and may be swallowed by the prefix groups above.
_ZH_LEADING = ("地址", "住址", "我家在", "家在", "住在", "位于", "在", "于", "是", "到", "：", ":")


@dataclass(frozen=True)
class PiiMatch:
    kind: str  # one of PII_KINDS
    start: int
    end: int
    text: str


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


def _candidates(text: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []

    def add(kind: str, m: re.Match[str], start: int | None = None) -> None:
        s = m.start() if start is None else start
        found.append(PiiMatch(kind, s, m.end(), text[s : m.end()]))

    for m in _EMAIL.finditer(text):
        add("EMAIL", m)
    for m in _ID18.finditer(text):
        if _plausible_birth(m.group()[6:14]):
            add("ID_CARD", m)
    for m in _ID15.finditer(text):
        if _plausible_birth("19" + m.group()[6:12]):
            add("ID_CARD", m)
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 16 <= len(digits) <= 19 and _luhn_ok(digits):
            add("BANK_CARD", m)
    for pattern in (_MOBILE, _LANDLINE, _INTL, _US):
        for m in pattern.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if 7 <= len(digits) <= 15:
                add("PHONE", m)
    for m in _ADDR_ZH.finditer(text):
        start = m.start()
        stripped = True
        while stripped:
            stripped = False
            for word in _ZH_LEADING:
                if text.startswith(word, start) and start + len(word) < m.end():
                    start += len(word)
                    stripped = True
        add("ADDRESS", m, start)
    for m in _ADDR_EN.finditer(text):
        add("ADDRESS", m)
    return found


def find_pii(text: str) -> list[PiiMatch]:
    """Non-overlapping PII spans in ``text``, left to right (longest span wins an overlap)."""
    if not text:
        return []
    spans = sorted(_candidates(text), key=lambda p: (p.start, -(p.end - p.start)))
    chosen: list[PiiMatch] = []
    for span in spans:
        if chosen and span.start < chosen[-1].end:
            if span.end - span.start > chosen[-1].end - chosen[-1].start:
                chosen[-1] = span  # a longer span starting inside the previous one
            continue
        chosen.append(span)
    return chosen


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
