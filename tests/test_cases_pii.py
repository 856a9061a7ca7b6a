"""PII masking (tools/pii.py): a corpus of zh/en examples, the demo data's fake PII, and
numbers that are not PII and must survive."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tools.demo_data import texts as demo_texts
from tools.pii import find_pii, mask_pii, mask_pii_counts

MASKED = [
    # (text, kind that must be found, the PII substring)
    ("我电话13812345678，尽快回电", "PHONE", "13812345678"),
    ("有事打我手机138 1234 5678", "PHONE", "138 1234 5678"),
    ("联系电话：139-1234-5678", "PHONE", "139-1234-5678"),
    ("回电+86 13912345678谢谢", "PHONE", "+86 13912345678"),
    ("回电+86-13912345678", "PHONE", "+86-13912345678"),
    ("座机010-62345678转分机", "PHONE", "010-62345678"),
    ("my phone: +852 5123 4567", "PHONE", "+852 5123 4567"),
    ("Call me at +1 (415) 555-0134 tomorrow", "PHONE", "+1 (415) 555-0134"),
    ("reach me on +44 7700 900123.", "PHONE", "+44 7700 900123"),
    ("电话+65 9123 4567", "PHONE", "+65 9123 4567"),
    ("call (212) 555-0199 after 5pm", "PHONE", "(212) 555-0199"),
    ("处理结果发我邮箱zhangwei88@163.com", "EMAIL", "zhangwei88@163.com"),
    ("邮箱12345678@qq.com", "EMAIL", "12345678@qq.com"),
    ("Reply to amy_chen.work@outlook.com please", "EMAIL", "amy_chen.work@outlook.com"),
    ("身份证号11010519491231002X你们查一下", "ID_CARD", "11010519491231002X"),
    ("我身份证440305198807150318", "ID_CARD", "440305198807150318"),
    ("旧身份证号码110105491231002", "ID_CARD", "110105491231002"),
    ("退款退到这张卡6222020200112233446", "BANK_CARD", "6222020200112233446"),
    ("银行卡号6217 0012 3456 7890 122", "BANK_CARD", "6217 0012 3456 7890 122"),
    ("Card number 4111 1111 1111 1111.", "BANK_CARD", "4111 1111 1111 1111"),
    ("地址：上海市浦东新区张江路123号4栋301室", "ADDRESS", "上海市浦东新区张江路123号4栋301室"),
    ("我家在北京市朝阳区建国路88号2栋", "ADDRESS", "北京市朝阳区建国路88号2栋"),
    ("上门地址广州市天河区天河北路5号", "ADDRESS", "广州市天河区天河北路5号"),
    (
        "I live at Room 401, No. 12 Keyuan South Road, Nanshan District, Shenzhen.",
        "ADDRESS",
        "Room 401, No. 12 Keyuan South Road, Nanshan District, Shenzhen",
    ),
    ("send it to 221 Baker Street please", "ADDRESS", "221 Baker Street"),
]

NOT_PII = [
    "订单SO2412345678的热水器1299元，2026-10-31买的",
    "订单号SO3312345678，金额4999.00元，10月5号下单，等了3天",
    "快递单号SF1234567890123还没更新",
    "型号KFR-35GW/BP3DN8Y-PH400(B3)，显示E4故障码",
    "Order SO2917390771 cost 1,299.00 RMB on 2024/9/24",
    "XXXX/XXXX/2019 my account XXXX1234 was charged $25.00 twice",
    "打12315投诉，等了20天，退款398元",
    "serial 20260531 batch 4711, 3 units, 1.5 kW, 220V",
    "门店在天河路，离我家3公里",
    "invoice 6222020200112233445 is not a card (Luhn fails)",
    "2026年6月8日到6月28日，共21天",
    "I called 5 times over 2 weeks and waited 45 minutes each time",
]


@pytest.mark.parametrize(("text", "kind", "pii"), MASKED)
def test_pii_is_masked(text: str, kind: str, pii: str) -> None:
    spans = find_pii(text)
    assert any(s.kind == kind and s.text == pii for s in spans), spans
    masked = mask_pii(text)
    assert pii not in masked
    assert f"[{kind}]" in masked


@pytest.mark.parametrize("text", NOT_PII)
def test_non_pii_numbers_survive(text: str) -> None:
    assert mask_pii(text) == text


def test_every_fake_pii_style_of_the_demo_data_is_caught() -> None:
    rng = np.random.default_rng(11)
    langs = np.array([0] * 1500 + [1] * 1500)  # zh, en
    fragments = demo_texts._pii_fragments(rng, langs)
    for fragment in fragments:
        masked, counts = mask_pii_counts(fragment)
        assert counts, fragment
        assert not re.search(r"\d{4}|@", masked), (fragment, masked)


def test_masking_is_idempotent_and_keeps_surrounding_text() -> None:
    text = "订单SO2412345678的热水器坏了，我电话13812345678，邮箱a.b@qq.com。"
    once = mask_pii(text)
    assert once == "订单SO2412345678的热水器坏了，我电话[PHONE]，邮箱[EMAIL]。"
    assert mask_pii(once) == once
    assert mask_pii(None) == ""
