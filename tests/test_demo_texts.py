"""Demo text bank: determinism, coverage, realism constraints, PII noise, survey sentiment."""

from __future__ import annotations

import hashlib
import re
import string

import numpy as np
import pytest

from tools.demo_data import texts as T
from tools.demo_data.catalog import PRODUCT_LINES, PRODUCTS
from tools.warehouse import codes

CJK = re.compile(r"[\u4e00-\u9fff]")
N = 12_000

# Independent PII detectors (not the generator's code): what a masker must find.
PII_PATTERNS = {
    "mobile": re.compile(r"(?<![\w+])(?:\+86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"),
    "intl": re.compile(r"\+(?:852|1|44|65) [\d(]"),
    "email": re.compile(r"[\w.]+@[\w]+\.com"),
    "id_card": re.compile(r"(?<!\d)\d{17}[\dX](?!\d)"),
    "bank_card": re.compile(
        r"(?<![\d ])(?:\d{4} ){3}\d{4}(?: \d{1,3})?(?!\d)|(?<!\d)\d{16,19}(?![\dX])"
    ),
    "address": re.compile(r"[\u4e00-\u9fff]{2,}路\d+号|No\. \d+ [A-Z]\w+ (?:South )?Road"),
}


def _batch(seed: int = 0, n: int = N, *, root_cause: str | None = None, lang: str | None = None):
    """Random but covering inputs: every root cause, type, language, product and None."""
    r = np.random.default_rng(1000 + seed)
    rcs = list(T.ROOT_CAUSES)
    rc = [root_cause or rcs[i] for i in r.integers(0, len(rcs), n)]
    tt = [codes.TICKET_TYPES[i] for i in r.integers(0, len(codes.TICKET_TYPES), n)]
    lg = [lang or ("en" if x < 0.3 else "zh") for x in r.random(n)]
    pids = [p.product_id for p in PRODUCTS] + [None]
    pid = [pids[i] for i in r.integers(0, len(pids), n)]
    done = (r.random(n) < 0.6).tolist()
    return dict(root_causes=rc, ticket_types=tt, languages=lg, product_ids=pid, resolved=done)


@pytest.fixture(scope="module")
def sample():
    inputs = _batch()
    subjects, descriptions, resolutions = T.compose_ticket_texts(np.random.default_rng(7), **inputs)
    return inputs, subjects, descriptions, resolutions


def test_same_seed_same_texts_and_different_seed_differs() -> None:
    inputs = _batch(n=2_000)
    a = T.compose_ticket_texts(np.random.default_rng(42), **inputs)
    b = T.compose_ticket_texts(np.random.default_rng(42), **inputs)
    c = T.compose_ticket_texts(np.random.default_rng(43), **inputs)
    assert a == b
    assert a[0] != c[0] and a[1] != c[1]
    csat = [1, 2, 3, 4, 5] * 400
    langs = ["zh", "en"] * 1000
    s1 = T.compose_survey_comments(np.random.default_rng(5), csat=csat, languages=langs)
    s2 = T.compose_survey_comments(np.random.default_rng(5), csat=csat, languages=langs)
    s3 = T.compose_survey_comments(np.random.default_rng(6), csat=csat, languages=langs)
    assert s1 == s2 and s1 != s3


# sha256 of a fixed composition, taken before the phrases moved from code into phrase_bank.yml /
# phrase_words.yml: the data files must give the same texts, in the same order, for a seed.
# An intended edit of the phrase files changes it: then update it and say so in the changelog
# (every demo warehouse changes with it).
PINNED_TEXT_DIGEST = "d5f5127e1ed906209e11726e5758d70f3169c0e24fa99b3a31439ffbc4ed5bb3"


def test_phrase_files_give_the_pinned_texts_for_a_seed() -> None:
    texts = T.compose_ticket_texts(np.random.default_rng(42), **_batch(n=3_000))
    comments = T.compose_survey_comments(
        np.random.default_rng(5), csat=[1, 2, 3, 4, 5] * 600, languages=["zh", "en"] * 1500
    )
    digest = hashlib.sha256()
    for column in (*texts, comments):
        digest.update("\x1f".join(x or "" for x in column).encode())
        digest.update(b"\x1e")
    assert digest.hexdigest() == PINNED_TEXT_DIGEST


def test_root_cause_catalogue() -> None:
    assert len(T.ROOT_CAUSES) >= 22
    for code, rc in T.ROOT_CAUSES.items():
        assert rc.code == code and re.fullmatch(r"[a-z]+(_[a-z]+)*", code)
        assert rc.category in codes.CATEGORIES and rc.weight > 0
        assert CJK.search(rc.label_zh) and rc.label_en.isascii()
    assert set(T.ROOT_CAUSES_BY_CATEGORY) == set(codes.CATEGORIES)
    for category, members in T.ROOT_CAUSES_BY_CATEGORY.items():
        assert len(members) >= 3, category
        assert all(T.ROOT_CAUSES[m].category == category for m in members)
    assert sorted(m for ms in T.ROOT_CAUSES_BY_CATEGORY.values() for m in ms) == sorted(
        T.ROOT_CAUSES
    )
    planted = {
        "batch_defect": "quality",
        "carrier_delay": "logistics",
        "double_charge": "billing",
        "technician_no_show": "installation",
        "agent_rude": "service_attitude",
        "refund_delay": "billing",
        "user_misoperation": "usability",
        "out_of_warranty": "warranty",
    }
    for code, category in planted.items():
        assert T.ROOT_CAUSES[code].category == category


@pytest.mark.parametrize(
    ("bank", "zh_min", "en_min", "appended"),
    [
        (T.DESCRIPTION_TEMPLATES, 6, 3, True),
        (T.SUBJECT_TEMPLATES, 4, 2, False),
        (T.RESOLUTION_TEMPLATES, 3, 2, True),
    ],
)
def test_every_root_cause_has_enough_distinct_templates(bank, zh_min, en_min, appended) -> None:
    allowed = {"p", "s", "c", "i", "d", "t", "o", "a", "f", "n"}
    assert set(bank) == set(T.ROOT_CAUSES)
    for code, by_lang in bank.items():
        assert len(set(by_lang["zh"])) >= zh_min, code
        assert len(set(by_lang["en"])) >= en_min, code
        for lang, templates in by_lang.items():
            for t in templates:
                fields = {f for _, f, _, _ in string.Formatter().parse(t) if f is not None}
                assert fields <= allowed, (code, t)
                # Closers/tails add the punctuation; a template ending in it doubles up.
                assert not appended or t[-1] not in "，。！？,.!?", (code, lang, t)


def test_languages_and_lengths(sample) -> None:
    inputs, subjects, descriptions, resolutions = sample
    for lang, s, d, r in zip(inputs["languages"], subjects, descriptions, resolutions, strict=True):
        texts = [s, d] + ([r] if r is not None else [])
        if lang == "zh":
            assert all(CJK.search(x) for x in texts), texts
            assert 30 <= len(d) <= 200, d
        else:
            assert not any(CJK.search(x) for x in texts), texts
            words = d.split()
            assert 15 <= len(words) <= 80, d
            ascii_words = sum(w.isascii() for w in words)
            assert ascii_words >= 0.9 * len(words), d


def test_products_are_mentioned_and_none_gives_generic_text(sample) -> None:
    inputs, subjects, descriptions, _ = sample
    brands = ("云睿", "澜风", "星晖", "Yunrui", "Lanfeng", "Xinghui")
    line_nouns = {line: (zh, en) for line, (zh, en, _) in PRODUCT_LINES.items()}
    by_id = {p.product_id: p for p in PRODUCTS}
    mentioned = 0
    for pid, s, d in zip(inputs["product_ids"], subjects, descriptions, strict=True):
        if pid is None:
            assert not any(b in s + d for b in brands), d
        else:
            zh, en = line_nouns[by_id[pid].product_line]
            mentioned += zh in s + d or en in s + d
    # Most texts name the product line (a few only use the model code or none at all).
    assert mentioned > 0.5 * sum(p is not None for p in inputs["product_ids"])


def test_batch_defect_on_water_heaters_reads_like_water_heaters() -> None:
    heaters = [p.product_id for p in PRODUCTS if p.product_line == "water_heater"]
    n = 600
    _, descriptions, _ = T.compose_ticket_texts(
        np.random.default_rng(3),
        root_causes=["batch_defect"] * n,
        ticket_types=["complaint"] * n,
        languages=["zh"] * n,
        product_ids=[heaters[i % len(heaters)] for i in range(n)],
        resolved=[False] * n,
    )
    words = ("漏水", "温控", "加热", "水温", "渗水", "E4")
    assert sum(any(w in d for w in words) for d in descriptions) > 0.6 * n
    assert not any(w in d for d in descriptions for w in ("黑屏", "不制冷", "不回充"))


def test_one_root_cause_has_many_distinct_descriptions() -> None:
    for lang in ("zh", "en"):
        inputs = _batch(seed=1, n=3_000, root_cause="batch_defect", lang=lang)
        subjects, descriptions, _ = T.compose_ticket_texts(np.random.default_rng(9), **inputs)
        assert len(set(descriptions)) >= 200, lang
        assert len(set(subjects)) >= 30, lang


def test_pii_noise_rate_and_kinds(sample) -> None:
    _, _, descriptions, _ = sample
    found = {
        kind: [m for d in descriptions for m in p.findall(d)] for kind, p in PII_PATTERNS.items()
    }
    with_pii = sum(any(p.search(d) for p in PII_PATTERNS.values()) for d in descriptions)
    assert 0.04 <= with_pii / len(descriptions) <= 0.14
    assert all(found.values()), {k: len(v) for k, v in found.items()}
    # Fake but well-formed: ID numbers carry a GB 11643 check digit, cards a Luhn digit
    # (an unspaced 18-digit card also looks like an ID number, as it would to a masker).
    assert any(_valid_id(x) for x in found["id_card"])
    assert all(_valid_id(x) or _luhn(x) for x in found["id_card"])
    assert any(_luhn(x) and not _valid_id(x) for x in found["bank_card"])
    assert all(_luhn(x) or _valid_id(x) for x in found["bank_card"])


def _valid_id(number: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(number[:17], weights, strict=True))
    return number[-1] == "10X98765432"[total % 11]


def _luhn(number: str) -> bool:
    if not number.replace(" ", "").isdigit():
        return False
    digits = [int(c) for c in number.replace(" ", "")]
    total = sum(digits[-1::-2]) + sum(sum(divmod(2 * x, 10)) for x in digits[-2::-2])
    return total % 10 == 0


def test_noise_emoji_and_mixed_english_appear(sample) -> None:
    inputs, _, descriptions, _ = sample
    zh = [d for d, lang in zip(descriptions, inputs["languages"], strict=True) if lang == "zh"]
    assert any(re.search(r"[\U0001F300-\U0001FAFF]", d) for d in zh)
    assert any("！！！" in d for d in zh)
    assert any(re.search(r"[\u4e00-\u9fff][a-z]{3,}|[a-z]{3,}[\u4e00-\u9fff]", d) for d in zh)
    assert any("，" not in d and "。" not in d and len(d) > 40 for d in zh)  # unpunctuated


def test_ticket_type_flavour(sample) -> None:
    inputs, _, descriptions, _ = sample
    for tt, d in zip(inputs["ticket_types"], descriptions, strict=True):
        if tt == "inquiry":
            assert "?" in d or "？" in d, d
        elif tt == "suggestion":
            assert any(w in d for w in ("建议", "希望", "suggest", "should")), d


def test_resolutions_exactly_where_resolved(sample) -> None:
    inputs, _, _, resolutions = sample
    for done, r in zip(inputs["resolved"], resolutions, strict=True):
        assert (r is None) == (not done)
        assert r is None or len(r) >= 10


def test_survey_comment_sentiment_matches_csat() -> None:
    n = 5_000
    r = np.random.default_rng(11)
    csat = r.integers(1, 6, n).tolist()
    langs = ["zh" if x < 0.7 else "en" for x in r.random(n)]
    comments = T.compose_survey_comments(np.random.default_rng(2), csat=csat, languages=langs)
    assert len(comments) == n
    for score, lang, c in zip(csat, langs, comments, strict=True):
        bank = T.SURVEY_COMMENTS[lang]
        assert any(c.startswith(p) for p in bank[score]), (score, c)
        if score <= 2:
            assert not any(c.startswith(p) for p in bank[4] + bank[5]), c
        if score >= 4:
            assert not any(c.startswith(p) for p in bank[1] + bank[2]), c
        assert bool(CJK.search(c)) == (lang == "zh")
    assert len(set(comments)) >= 60


def test_bad_input_is_reported_clearly() -> None:
    inputs = _batch(n=3)
    with pytest.raises(ValueError, match="Unknown root cause 'nope'"):
        T.compose_ticket_texts(
            np.random.default_rng(0), **{**inputs, "root_causes": ["nope", "agent_rude", "x"]}
        )
    with pytest.raises(ValueError, match="rows"):
        T.compose_ticket_texts(np.random.default_rng(0), **{**inputs, "resolved": [True]})
    with pytest.raises(ValueError, match="csat must be 1..5"):
        T.compose_survey_comments(np.random.default_rng(0), csat=[0, 3], languages=["zh", "en"])
    assert T.compose_ticket_texts(
        np.random.default_rng(0),
        root_causes=[],
        ticket_types=[],
        languages=[],
        product_ids=[],
        resolved=[],
    ) == ([], [], [])
