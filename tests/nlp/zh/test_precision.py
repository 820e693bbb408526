"""Chinese rules that keep claims, goods and platforms out of events: a refund asked for is
not a refund paid, what follows an accusation word is not the accused, a shop's pronoun never
stands for the platform it is on. Sentences written for these tests."""
import pytest

from .conftest import one


def types(events):
    return [e["type"] for e in events]


@pytest.mark.parametrize("text", [
    "消费者协会批评该平台拖延处理退款申请。",
    "多名用户已向平台申请退款。",
    "省消保委表示，将帮助用户申领赔偿款。",
    "王某以删除差评为条件向商家索要“补偿”。",
])
def test_a_claim_for_money_is_not_a_compensation(zh, text):
    assert "COMPENSATION" not in types(zh(text))


def test_a_promised_refund_still_counts(zh):
    ev = one(zh("美团表示将向受影响的骑手全额退款。"), "COMPENSATION")
    assert (ev["actor"]["text"], ev["status"]) == ("美团", "planned")


@pytest.mark.parametrize("text", [
    "法院审理查明，该公司在网上开设的店铺中销售假冒某知名品牌的耳机。",
    "涉嫌对商家设置不合理交易条件，一外卖平台被约谈",
])
def test_what_follows_an_accusation_word_is_not_the_accused(zh, text):
    for ev in zh(text):
        if ev["type"] == "ACCUSATION":
            assert (ev["target"] or {}).get("text") not in ("某知名品牌", "商家")


def test_a_shop_pronoun_never_stands_for_the_platform(zh):
    ev = one(zh("京东在复查中发现问题后，对该店铺作出清退处理。"), "BAN")
    assert ev["target"]["text"] == "该店铺"
    assert ev["actor"]["id"] == "jd"


def test_a_shop_pronoun_still_finds_its_holder(zh):
    ev = one(zh("李某在淘宝开设网店。淘宝随后对该店铺作出清退处理。"), "BAN")
    assert ev["target"]["text"] == "李某"
