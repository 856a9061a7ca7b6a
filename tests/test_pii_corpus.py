"""PII masking measured on the labelled corpus (evals/pii_corpus.txt, ``python -m evals.pii``)
and applied to every stored form of a case: text, resolution, metadata and BM25 tokens."""

from __future__ import annotations

import numpy as np
import pytest

from evals.pii import load_corpus, score
from tools.cases.indexer import prepare_record
from tools.cases.records import CaseRecord
from tools.demo_data import texts as demo_texts
from tools.demo_data.catalog import PRODUCTS
from tools.pii import find_pii, mask_pii, mask_record_fields
from tools.warehouse import codes


@pytest.fixture(scope="module")
def tallies():
    snippets = load_corpus()
    assert sum(1 for s in snippets if s.spans) >= 200
    assert {s.lang for s in snippets if s.spans} == {"zh", "en"}
    return score(snippets)[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_structured_identifiers_recall_and_precision(tallies, lang: str) -> None:
    t = tallies[(lang, "STRUCTURED")]
    assert t.labelled >= 35
    assert t.recall >= 0.98
    assert t.precision >= 0.98


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_addresses_and_names_recall_and_precision(tallies, lang: str) -> None:
    names = tallies[(lang, "NAME")]
    assert names.labelled >= 40
    assert names.recall >= 0.9
    assert names.precision >= 0.9
    assert tallies[(lang, "ADDRESS")].recall >= 0.9


@pytest.mark.parametrize(
    ("text", "pii"),
    [
        ("手机１３８１２３４５６７８", "１３８１２３４５６７８"),  # full-width digits
        ("邮箱ｌｉ＠ｑｑ．ｃｏｍ", "ｌｉ＠ｑｑ．ｃｏｍ"),
        ("电话138.1234.5678", "138.1234.5678"),
        ("身份证110105 19491231 002X", "110105 19491231 002X"),
        ("call 415-555-0100", "415-555-0100"),
        ("SSN 123-45-6789", "123-45-6789"),
        ("QQ号：123456789", "123456789"),
        ("微信号 zhang_wei_88", "zhang_wei_88"),
        ("客户张伟先生来电", "张伟"),
        ("my technician Michael Brown never came", "Michael Brown"),
    ],
)
def test_the_forms_that_used_to_slip_through(text: str, pii: str) -> None:
    masked = mask_pii(text)
    assert pii not in masked, masked
    assert not any(ch.isdigit() for ch in pii) or not any(ch.isdigit() for ch in masked)


def test_demo_complaints_have_no_false_names() -> None:
    """Thousands of generated complaints hold no personal names: none may be found."""
    rng = np.random.default_rng(5)
    n = 3000
    causes = list(demo_texts.ROOT_CAUSES)
    products = [p.product_id for p in PRODUCTS] + [None]
    _, descriptions, resolutions = demo_texts.compose_ticket_texts(
        rng,
        root_causes=[causes[i % len(causes)] for i in range(n)],
        ticket_types=[codes.TICKET_TYPES[i % len(codes.TICKET_TYPES)] for i in range(n)],
        languages=["zh" if i % 3 else "en" for i in range(n)],
        product_ids=[products[i % len(products)] for i in range(n)],
        resolved=[True] * n,
    )
    texts = [t for t in [*descriptions, *resolutions] if t]
    names = [s.text for t in texts for s in find_pii(t) if s.kind == "NAME"]
    assert names == []


def test_metadata_columns_are_masked_by_name_and_by_content() -> None:
    meta = {
        "customer_name": "张伟",
        "联系电话": "13812345678",
        "product_name": "燃气热水器 JSQ30",
        "notes": "请联系王女士 139 1234 5678",
        "region": "east",
        "created_day": 20260101,
    }
    assert mask_record_fields(meta) == {
        "customer_name": "[NAME]",
        "联系电话": "[PHONE]",
        "product_name": "燃气热水器 JSQ30",
        "notes": "请联系[NAME]女士 [PHONE]",
        "region": "east",
        "created_day": 20260101,
    }


def test_nothing_personal_is_stored_for_a_case() -> None:
    record = CaseRecord(
        "C1",
        "客户陈晓明反映热水器漏水，电话１３８１２３４５６７８，王师傅没来",
        "已联系陈晓明先生，更换了阀门",
        {"customer_name": "陈晓明", "contact": "Jennifer Lopez", "region": "east"},
    )
    case = prepare_record(record)
    stored = " ".join([case.document, *(str(v) for v in case.metadata.values())])
    for secret in ("陈晓明", "晓明", "１３８", "王", "Jennifer", "Lopez"):
        assert secret not in stored, (secret, stored)
    assert case.metadata["region"] == "east"
    assert "漏水" in case.metadata["tokens"].split()
