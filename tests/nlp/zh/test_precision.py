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


@pytest.mark.parametrize("text", [
    "账号被封后起诉平台 网友胜诉",
    "直播间虚假宣传减肥茶 法院判决机构退一赔三",
])
def test_a_bare_account_or_live_room_names_nobody(zh, text):
    for ev in zh(text):
        assert (ev["target"] or {}).get("text") not in ("账号", "直播间")


def test_the_authority_that_reported_an_app_is_not_the_app_removed(zh):
    for ev in zh("工信部通报后，“趣看视频”已从苹果App Store下架"):
        assert (ev["target"] or {}).get("id") != "miit"


def test_an_app_removed_from_a_store_is_still_found(zh):
    ev = one(zh("工信部通报后，快手极速版已从华为应用市场下架"), "BAN")
    assert ev["target"]["id"] == "kuaishou"


@pytest.mark.parametrize("text", [
    "市场监管局依法对某外卖公司涉嫌对平台内商家进行不合理限制的行为立案调查。",
    "某公司涉嫌滥用市场支配地位，被立案调查。",
])
def test_an_antitrust_suspicion_alone_is_no_accusation(zh, text):
    events = zh(text)
    assert "ACCUSATION" not in types(events)
    assert "INVESTIGATION" in types(events)


def test_a_suspicion_of_fakes_is_still_an_accusation(zh):
    ev = one(zh("拼多多涉嫌售假，被立案调查。"), "ACCUSATION")
    assert ev["target"]["id"] == "pinduoduo"


def test_an_unknown_trigger_field_is_refused():
    from trustwatch.nlp.zh.lexicon import ZhDataError, _triggers

    with pytest.raises(ZhDataError, match="unknown field"):
        _triggers([{"text": "涉嫌", "type": "ACCUSATION", "not_in_clauses": "x"}])
