"""Bilingual text bank and vectorised composer for demo tickets and survey comments.

The phrases themselves are data files beside this module: ``phrase_bank.yml`` (subject,
description and resolution templates per root cause, with the slots they use) and
``phrase_words.yml`` (slot fillers, openers and closers, survey comments, fake-PII parts). Both
are read once, through the product's one YAML loader, so a broken edit names file:line.

Speed: all random choices are drawn as numpy arrays up front (one ``rng.random`` block);
strings are then built with ``str.format`` in list comprehensions. Only the ``rng`` passed in
is used, so output is deterministic for a seed.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from semantic_layer.yaml_load import YamlDoc, YamlFileError, read_yaml
from tools.demo_data.catalog import PRODUCT_LINES, PRODUCTS
from tools.warehouse import codes

__all__ = [
    "DESCRIPTION_TEMPLATES",
    "PII_RATE",
    "RESOLUTION_TEMPLATES",
    "ROOT_CAUSES",
    "ROOT_CAUSES_BY_CATEGORY",
    "SUBJECT_TEMPLATES",
    "SURVEY_COMMENTS",
    "RootCause",
    "compose_survey_comments",
    "compose_ticket_texts",
]

PII_RATE = 0.08  # share of descriptions carrying fake PII (the masker must catch it)
_NO_PUNCT_RATE = 0.08  # share of zh descriptions typed without punctuation


@dataclass(frozen=True)
class RootCause:
    code: str  # ASCII snake_case, stable
    category: str  # one of codes.CATEGORIES
    label_zh: str
    label_en: str
    weight: float  # base frequency within its category


# ------------------------------------------------------------------------------- phrase data
# The phrases are data: phrase_bank.yml (templates per root cause) and phrase_words.yml (slot
# fillers, openers/closers, survey comments, fake-PII parts), read once at import.

_HERE = Path(__file__).parent
_BANK_DOC = read_yaml(_HERE / "phrase_bank.yml")
_WORDS_DOC = read_yaml(_HERE / "phrase_words.yml")
_BANK_KEYS = tuple(
    f"{kind}_{lang}" for kind in ("subject", "desc", "res") for lang in codes.LANGUAGES
)


def _by_language(doc: YamlDoc, *path: str) -> dict[str, tuple[str, ...]]:
    return {lang: doc.texts(*path, lang) for lang in codes.LANGUAGES}


def _nested(doc: YamlDoc, name: str) -> dict[str, dict[str, tuple[str, ...]]]:
    return {key: _by_language(doc, name, key) for key in doc.value(name)}


def _root_cause(code: str) -> tuple[str, str, str, float, dict[str, tuple[str, ...]]]:
    path = ("root_causes", code)
    fields = tuple(_BANK_DOC.value(*path, key) for key in ("category", "label_zh", "label_en"))
    weight = _BANK_DOC.value(*path, "weight")
    if fields[0] not in codes.CATEGORIES or not isinstance(weight, int | float):
        raise YamlFileError(
            _BANK_DOC.file,
            _BANK_DOC.line_of(*path),
            f"root cause {code!r} needs a category from {', '.join(codes.CATEGORIES)} and a "
            "numeric weight.",
        )
    banks = {key: _BANK_DOC.text_lines(*path, key) for key in _BANK_KEYS}
    return (*fields, float(weight), banks)


# code -> (category, label_zh, label_en, weight, {bank: templates})
_BANK = {code: _root_cause(code) for code in _BANK_DOC.value("root_causes")}
_LINE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    line: {
        f"{slot}_{lang}": _WORDS_DOC.texts("line_words", line, f"{slot}_{lang}")
        for slot in ("s", "c", "i")
        for lang in codes.LANGUAGES
    }
    for line in _WORDS_DOC.value("line_words")
}
_OPENERS = _nested(_WORDS_DOC, "openers")
_CLOSERS = _nested(_WORDS_DOC, "closers")
_SUGGESTION_CLOSERS = _nested(_WORDS_DOC, "suggestion_closers")
_SUBJECT_PREFIXES = _nested(_WORDS_DOC, "subject_prefixes")
_RESOLUTION_TAILS = _by_language(_WORDS_DOC, "resolution_tails")
_DURATIONS = _by_language(_WORDS_DOC, "durations")
_COUNTS = _by_language(_WORDS_DOC, "counts")
_FEES = _WORDS_DOC.texts("fees")
_GENERIC_MENTIONS = _by_language(_WORDS_DOC, "generic_mentions")
_GENERIC_AMOUNTS = _WORDS_DOC.texts("generic_amounts")
_MONTHS_EN = _WORDS_DOC.texts("month_names_en")
_DAYS = tuple(int(day) for day in _WORDS_DOC.value("date_days"))
_RELATIVE_DATES = _by_language(_WORDS_DOC, "relative_dates")
_RELATIVE_REPEATS = {
    lang: int(_WORDS_DOC.value("relative_date_repeats", lang)) for lang in codes.LANGUAGES
}
_DATES = {
    "zh": tuple(f"{m}月{d}号" for m in range(1, 13) for d in _DAYS[::2])
    + tuple(f"{m}月{d}日" for m in range(1, 13) for d in _DAYS[1::2])
    + _RELATIVE_DATES["zh"] * _RELATIVE_REPEATS["zh"],
    "en": tuple(f"{mon} {d}" for mon in _MONTHS_EN for d in _DAYS)
    + _RELATIVE_DATES["en"] * _RELATIVE_REPEATS["en"],
}
SURVEY_COMMENTS: dict[str, dict[int, tuple[str, ...]]] = {
    lang: {score: _WORDS_DOC.texts("survey_comments", lang, str(score)) for score in range(1, 6)}
    for lang in codes.LANGUAGES
}
_SURVEY_TAILS = {  # by sentiment: 0 negative, 1 neutral, 2 positive
    lang: tuple(tuple(tails) for tails in _WORDS_DOC.value("survey_tails", lang))
    for lang in codes.LANGUAGES
}
_PII_INTROS = {
    lang: {kind: _WORDS_DOC.texts("pii_intros", lang, kind) for kind in kinds}
    for lang, kinds in _WORDS_DOC.value("pii_intros").items()
}
_PII_KINDS = {  # kind -> probability, per language
    lang: tuple((kind, float(p)) for kind, p in kinds.items())
    for lang, kinds in _WORDS_DOC.value("pii_kinds").items()
}
_EMAIL_USERS = _WORDS_DOC.texts("email_users")
_EMAIL_DOMAINS = _WORDS_DOC.texts("email_domains")
_ID_AREAS = _WORDS_DOC.texts("id_areas")
_CARD_PREFIXES = _WORDS_DOC.texts("card_prefixes")
_ZH_PLACES = tuple(tuple(place) for place in _WORDS_DOC.value("places_zh"))  # city, district, road
_EN_PLACES = tuple(tuple(place) for place in _WORDS_DOC.value("places_en"))


# ----------------------------------------------------------------------------- derived tables

ROOT_CAUSES: dict[str, RootCause] = {
    code: RootCause(code, cat, zh, en, weight) for code, (cat, zh, en, weight, _) in _BANK.items()
}
ROOT_CAUSES_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    cat: tuple(code for code, rc in ROOT_CAUSES.items() if rc.category == cat)
    for cat in codes.CATEGORIES
}


def _by_lang(kind: str) -> dict[str, dict[str, tuple[str, ...]]]:
    return {
        code: {lang: banks[f"{kind}_{lang}"] for lang in codes.LANGUAGES}
        for code, (*_, banks) in _BANK.items()
    }


# root cause -> language -> templates
SUBJECT_TEMPLATES = _by_lang("subject")
DESCRIPTION_TEMPLATES = _by_lang("desc")
RESOLUTION_TEMPLATES = _by_lang("res")


_SLOTS = ("p", "s", "c", "d", "t", "o", "a", "f", "n", "i")  # order of the per-row slot tuple
# Named slots -> positional ("{p}" -> "{0}"): format(*row) is ~2x faster than keywords.
_POSITIONAL = {f"{{{name}}}": f"{{{i}}}" for i, name in enumerate(_SLOTS)}


def _positional(template: str) -> str:
    for named, pos in _POSITIONAL.items():
        template = template.replace(named, pos)
    return template


class _Pool:
    """Strings in numbered groups; picks one per row from that row's group, vectorised."""

    def __init__(self, groups: Sequence[Sequence[str]]) -> None:
        if any(len(g) == 0 for g in groups):
            raise ValueError("empty phrase group")  # would silently pick from the next group
        self.values = np.array([v for g in groups for v in g], dtype=object)
        self.counts = np.array([len(g) for g in groups], dtype=np.intp)
        self.offsets = np.concatenate(([0], np.cumsum(self.counts)[:-1])).astype(np.intp)

    def pick(self, group: np.ndarray, u: np.ndarray) -> list[str]:
        idx = self.offsets[group] + (u * self.counts[group]).astype(np.intp)
        return self.values[idx].tolist()


_LANGS = codes.LANGUAGES  # pools are grouped as key * 2 + language index
_LANG_INDEX = {lang: i for i, lang in enumerate(_LANGS)}
_EN = _LANG_INDEX["en"]
_TYPE_INDEX = {t: i for i, t in enumerate(codes.TICKET_TYPES)}
_CAT_INDEX = {c: i for i, c in enumerate(codes.CATEGORIES)}
_RC_CODES = tuple(ROOT_CAUSES)
_RC_INDEX = {code: i for i, code in enumerate(_RC_CODES)}
_RC_CATEGORY = np.array([_CAT_INDEX[ROOT_CAUSES[c].category] for c in _RC_CODES], dtype=np.intp)

_LINES = (*PRODUCT_LINES, "")
_PRODUCT_INDEX: dict[str | None, int] = {p.product_id: i for i, p in enumerate(PRODUCTS)}
_PRODUCT_INDEX[None] = len(PRODUCTS)  # generic "no product" slot
_PRODUCT_LINE = np.array(
    [_LINES.index(p.product_line) for p in PRODUCTS] + [len(_LINES) - 1], dtype=np.intp
)
_BRAND_MODEL = re.compile(r"^([\u4e00-\u9fff]+)([A-Za-z0-9][A-Za-z0-9\- ]*?)\s*[\u4e00-\u9fff]")


def _mentions(lang: str) -> list[tuple[str, ...]]:
    """Ways a customer names each product: full name, line noun (most often), brand, model."""
    out = []
    for p in PRODUCTS:
        noun_zh, noun_en, _ = PRODUCT_LINES[p.product_line]
        m = _BRAND_MODEL.match(p.name_zh)
        brand_zh, model = (m.group(1), m.group(2)) if m else ("", noun_zh)
        brand_en = p.name_en.split(" ", 1)[0]
        if lang == "zh":
            forms = (
                p.name_zh,
                noun_zh,
                noun_zh,
                noun_zh,
                brand_zh + noun_zh,
                model,
                model + noun_zh,
            )
        else:
            forms = (
                p.name_en,
                noun_en,
                noun_en,
                noun_en,
                f"{brand_en} {noun_en}",
                f"{model} {noun_en}",
                model,
            )
        out.append(forms)
    out.append(_GENERIC_MENTIONS[lang])
    return out


def _rc_pool(templates: dict[str, dict[str, tuple[str, ...]]]) -> _Pool:
    return _Pool(
        [tuple(map(_positional, templates[c][lang])) for c in _RC_CODES for lang in _LANGS]
    )


def _amounts(price: float) -> tuple[str, ...]:
    return tuple(str(int(x)) for x in (price, price - 100, price - 200, round(price * 0.95, -1)))


_SUBJECTS = _rc_pool(SUBJECT_TEMPLATES)
_DESCRIPTIONS = _rc_pool(DESCRIPTION_TEMPLATES)
_RESOLUTIONS = _rc_pool(RESOLUTION_TEMPLATES)
_MENTION_POOL = _Pool(
    [m for i in range(len(PRODUCTS) + 1) for m in (_mentions(lang)[i] for lang in _LANGS)]
)
_SYMPTOM_POOL = _Pool([_LINE_WORDS[line][f"s_{lang}"] for line in _LINES for lang in _LANGS])
_COMPONENT_POOL = _Pool([_LINE_WORDS[line][f"c_{lang}"] for line in _LINES for lang in _LANGS])
_INSTALL_FAULT_POOL = _Pool([_LINE_WORDS[line][f"i_{lang}"] for line in _LINES for lang in _LANGS])
_AMOUNT_POOL = _Pool([_amounts(p.base_price) for p in PRODUCTS] + [_GENERIC_AMOUNTS])
_FEE_POOL = _Pool([_FEES])
_DURATION_POOL = _Pool([_DURATIONS[lang] for lang in _LANGS])
_DATE_POOL = _Pool([_DATES[lang] for lang in _LANGS])
_COUNT_POOL = _Pool([_COUNTS[lang] for lang in _LANGS])
_SUBJECT_PREFIX_POOL = _Pool(
    [_SUBJECT_PREFIXES[t][lang] for t in codes.TICKET_TYPES for lang in _LANGS]
)
_OPENER_POOL = _Pool([_OPENERS[t][lang] for t in codes.TICKET_TYPES for lang in _LANGS])
# group = (type * n_categories + category) * 2 + language
_CLOSER_POOL = _Pool(
    [
        (_SUGGESTION_CLOSERS[cat] if t == "suggestion" else _CLOSERS[t])[lang]
        for t in codes.TICKET_TYPES
        for cat in codes.CATEGORIES
        for lang in _LANGS
    ]
)
_RES_TAIL_POOL = _Pool([_RESOLUTION_TAILS[lang] for lang in _LANGS])
_SURVEY_POOL = _Pool([SURVEY_COMMENTS[lang][c] for c in range(1, 6) for lang in _LANGS])
_SURVEY_TAIL_POOL = _Pool([_SURVEY_TAILS[lang][s] for s in range(3) for lang in _LANGS])
_SURVEY_SENTIMENT = np.array([0, 0, 0, 1, 2, 2], dtype=np.intp)  # index by csat 1..5
_NO_PUNCT = str.maketrans({"，": " ", "。": " ", "、": " ", "：": " ", "！": ""})


def _indices(values: Sequence[object], index: dict, what: str) -> np.ndarray:
    try:
        return np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))
    except (KeyError, TypeError) as exc:
        bad = next(v for v in values if v not in index)
        valid = ", ".join(sorted(str(k) for k in index))
        raise ValueError(f"Unknown {what} {bad!r}; valid: {valid}") from exc


def _check_lengths(n: int, **columns: Sequence[object]) -> None:
    bad = {name: len(col) for name, col in columns.items() if len(col) != n}
    if bad:
        raise ValueError(f"All columns must have {n} rows; got {bad}")


def compose_ticket_texts(
    rng: np.random.Generator,
    *,
    root_causes: Sequence[str],
    ticket_types: Sequence[str],
    languages: Sequence[str],
    product_ids: Sequence[str | None],
    resolved: Sequence[bool],
) -> tuple[list[str], list[str], list[str | None]]:
    """Subject, description and resolution (None where not resolved) for each ticket row.

    All inputs are per-row and of equal length; ``product_ids`` may hold None (generic text).
    """
    n = len(root_causes)
    _check_lengths(
        n,
        ticket_types=ticket_types,
        languages=languages,
        product_ids=product_ids,
        resolved=resolved,
    )
    rc = _indices(root_causes, _RC_INDEX, "root cause")
    tt = _indices(ticket_types, _TYPE_INDEX, "ticket type")
    lg = _indices(languages, _LANG_INDEX, "language")
    pr = _indices(product_ids, _PRODUCT_INDEX, "product_id")
    done = np.fromiter(resolved, dtype=bool, count=n)

    u = rng.random((19, n))  # one block: the draw order is fixed, so output is seed-stable
    g_rc = rc * 2 + lg
    g_tt = tt * 2 + lg
    g_line = _PRODUCT_LINE[pr] * 2 + lg
    order_no = (2_400_000_000 + u[5] * 999_999_999).astype(np.int64).astype(str)
    rows = list(
        zip(  # one tuple per row, in _SLOTS order
            _MENTION_POOL.pick(pr * 2 + lg, u[0]),
            _SYMPTOM_POOL.pick(g_line, u[1]),
            _COMPONENT_POOL.pick(g_line, u[2]),
            _DURATION_POOL.pick(lg, u[3]),
            _DATE_POOL.pick(lg, u[4]),
            np.char.add("SO", order_no).tolist(),
            _AMOUNT_POOL.pick(pr, u[6]),
            _FEE_POOL.pick(np.zeros(n, dtype=np.intp), u[7]),
            _COUNT_POOL.pick(lg, u[8]),
            _INSTALL_FAULT_POOL.pick(g_line, u[18]),
            strict=True,
        )
    )

    subjects = [
        pre + t.format(*r)
        for pre, t, r in zip(
            _SUBJECT_PREFIX_POOL.pick(g_tt, u[9]), _SUBJECTS.pick(g_rc, u[10]), rows, strict=True
        )
    ]
    for i in np.flatnonzero(lg == _EN).tolist():  # en subjects may start with a lowercase noun
        subjects[i] = subjects[i][:1].upper() + subjects[i][1:]

    pii = [""] * n
    pii_rows = np.flatnonzero(u[11] < PII_RATE)
    for i, frag in zip(pii_rows.tolist(), _pii_fragments(rng, lg[pii_rows]), strict=True):
        pii[i] = frag
    closers = _CLOSER_POOL.pick((tt * len(codes.CATEGORIES) + _RC_CATEGORY[rc]) * 2 + lg, u[12])
    descriptions = [
        op + t.format(*r) + x + cl
        for op, t, r, x, cl in zip(
            _OPENER_POOL.pick(g_tt, u[13]),
            _DESCRIPTIONS.pick(g_rc, u[14]),
            rows,
            pii,
            closers,
            strict=True,
        )
    ]
    # Some Chinese customers type without any punctuation.
    for i in np.flatnonzero((u[15] < _NO_PUNCT_RATE) & (lg != _EN)).tolist():
        descriptions[i] = descriptions[i].translate(_NO_PUNCT).strip()

    resolutions: list[str | None] = [
        t.format(*r) + tail if ok else None
        for ok, t, r, tail in zip(
            done.tolist(),
            _RESOLUTIONS.pick(g_rc, u[16]),
            rows,
            _RES_TAIL_POOL.pick(lg, u[17]),
            strict=True,
        )
    ]
    return subjects, descriptions, resolutions


def compose_survey_comments(
    rng: np.random.Generator, *, csat: Sequence[int], languages: Sequence[str]
) -> list[str]:
    """A short customer comment per row, its sentiment matching the CSAT score (1..5)."""
    n = len(csat)
    _check_lengths(n, languages=languages)
    score = np.fromiter(csat, dtype=np.intp, count=n)
    if n and (score.min() < 1 or score.max() > 5):
        bad = sorted(set(score.tolist()) - set(range(1, 6)))
        raise ValueError(f"csat must be 1..5; got {bad}")
    lg = _indices(languages, _LANG_INDEX, "language")
    u = rng.random((2, n))
    return [
        c + t
        for c, t in zip(
            _SURVEY_POOL.pick((score - 1) * 2 + lg, u[0]),
            _SURVEY_TAIL_POOL.pick(_SURVEY_SENTIMENT[score] * 2 + lg, u[1]),
            strict=True,
        )
    ]


# ----------------------------------------------------------------------------- fake PII
# Only ~8 % of rows, so plain Python per row is fine. Each maker takes a 20-digit string and
# two uniforms; ID and bank card numbers carry valid check digits so validators accept them.


def _pii_fragments(rng: np.random.Generator, langs: np.ndarray) -> list[str]:
    k = len(langs)
    hi, lo = rng.integers(0, 10**10, size=(2, k)).tolist()
    u = rng.random((4, k)).tolist()
    out = []
    for i, lang_i in enumerate(langs.tolist()):
        lang = _LANGS[lang_i]
        kinds, cum = _PII_KIND_CUM[lang]
        kind = kinds[min(bisect.bisect(cum, u[0][i]), len(kinds) - 1)]
        maker = _PII_MAKERS[f"address_{lang}" if kind == "address" else kind]
        value = maker(f"{hi[i]:010d}{lo[i]:010d}", u[1][i], u[2][i])
        intros = _PII_INTROS[lang]["mobile" if kind == "intl" else kind]
        out.append(intros[int(u[3][i] * len(intros))].format(x=value))
    return out


_PII_KIND_CUM = {
    lang: (
        tuple(k for k, _ in kinds),
        list(np.cumsum([w for _, w in kinds]) / sum(w for _, w in kinds)),
    )
    for lang, kinds in _PII_KINDS.items()
}


def _mobile(d: str, u: float, v: float) -> str:
    num = f"1{3 + int(d[0]) % 7}{d[1:10]}"
    style = int(u * 5)
    if style == 0:
        return f"{num[:3]} {num[3:7]} {num[7:]}"
    if style == 1:
        return f"{num[:3]}-{num[3:7]}-{num[7:]}"
    if style == 2:
        return ("+86 " if v < 0.5 else "+86-") + num
    return num


def _intl(d: str, u: float, v: float) -> str:
    style = int(u * 4)
    if style == 0:
        return f"+852 {5 + int(d[0]) % 5}{d[1:4]} {d[4:8]}"
    if style == 1:
        return f"+1 ({2 + int(d[0]) % 8}{d[1:3]}) {d[3:6]}-{d[6:10]}"
    if style == 2:
        return f"+44 7{d[0:3]} {d[3:9]}"
    return f"+65 {8 + int(d[0]) % 2}{d[1:4]} {d[4:8]}"


def _email(d: str, u: float, v: float) -> str:
    if u < 0.3:  # QQ-style numeric address
        return f"{1 + int(d[0]) % 9}{d[1 : 6 + int(d[10]) % 5]}@qq.com"
    user = _EMAIL_USERS[int(u * len(_EMAIL_USERS))]
    return f"{user}{d[1 : 1 + int(d[0]) % 4]}@{_EMAIL_DOMAINS[int(v * len(_EMAIL_DOMAINS))]}"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_card(d: str, u: float, v: float) -> str:
    """18-digit resident ID number with a valid GB 11643 check digit."""
    month, day = 1 + int(d[0:2]) % 12, 1 + int(d[2:4]) % 28
    body = f"{_ID_AREAS[int(u * len(_ID_AREAS))]}{1960 + int(v * 44)}{month:02d}{day:02d}{d[4:7]}"
    return (
        body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    )


def _bank_card(d: str, u: float, v: float) -> str:
    """16-19 digit card number with a valid Luhn check digit, sometimes grouped by 4."""
    prefix = _CARD_PREFIXES[int(u * len(_CARD_PREFIXES))]
    length = 16 + int(d[0]) % 4
    body = prefix + d[1 : length - len(prefix)]
    total = 0
    for i, ch in enumerate(reversed(body)):
        x = int(ch) * (2 - i % 2)
        total += x - 9 if x > 9 else x
    card = body + str(-total % 10)
    return " ".join(card[j : j + 4] for j in range(0, len(card), 4)) if v < 0.4 else card


def _address_zh(d: str, u: float, v: float) -> str:
    city, district, road = _ZH_PLACES[int(u * len(_ZH_PLACES))]
    flat = f"{1 + int(d[5]) * 3}0{1 + int(d[6]) % 4}室" if v < 0.6 else ""
    return f"{city}{district}{road}{1 + int(d[0:3])}号{1 + int(d[3]) + int(d[4])}栋{flat}"


def _address_en(d: str, u: float, v: float) -> str:
    city, district, road = _EN_PLACES[int(u * len(_EN_PLACES))]
    flat = f"{1 + int(d[5]) * 3}0{1 + int(d[6]) % 4}"
    return f"Room {flat}, No. {1 + int(d[0:3])} {road}, {district}, {city}"


_PII_MAKERS = {
    "mobile": _mobile,
    "intl": _intl,
    "email": _email,
    "id_card": _id_card,
    "bank_card": _bank_card,
    "address_zh": _address_zh,
    "address_en": _address_en,
}
