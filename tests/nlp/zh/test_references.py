"""Parties named outside the trigger's clause: a notice's 当事人 and 本局, back references
(上述账号, 其账号) and the document's topic party for bans and payouts. Sentences written for
these tests."""
from .conftest import one


def text_of(p):
    return (p or {}).get("text")


NOTICE = ("某市市场监督管理局行政处罚决定书\n\n当事人：星河优选网络科技有限公司\n"
          "经查，当事人在其运营的小程序中虚构原价。本局决定对当事人处以罚款人民币50万元。")


def test_notice_party_and_issuing_authority_stand_for_当事人_and_本局(zh):
    fine = one(zh(NOTICE), "FINE")
    assert text_of(fine["target"]) == "星河优选网络科技有限公司"
    assert text_of(fine["actor"]) == "某市市场监督管理局"
    assert fine["amount"]["value"] == 500000


def test_without_a_declared_party_当事人_names_nobody(zh):
    events = zh("本局决定对当事人处以罚款人民币50万元。")
    assert all(text_of(e["target"]) != "星河优选网络科技有限公司" for e in events)


def test_其账号_is_the_account_holder_not_the_platform(zh):
    ev = one(zh("主播“阿强哥”在快手直播中售卖假冒白酒。快手已对其账号作出封禁处理。"), "BAN")
    assert text_of(ev["target"]) == "阿强哥"
    assert (ev["actor"] or {}).get("id") == "kuaishou"


def test_上述账号_refers_back_to_the_accounts_named_before(zh):
    ev = one(zh("微博发现“八卦小王”账号编造不实信息。微博已对上述账号予以永久封禁。"), "BAN")
    assert text_of(ev["target"]) == "八卦小王"


def test_topic_party_fills_a_payout_told_in_a_later_sentence(zh):
    ev = one(zh("去年，博主指控主播林小满售卖假冒手机。事件发酵后，平台向消费者进行了三倍赔付。"),
             "COMPENSATION")
    assert text_of(ev["actor"]) == "林小满"


def test_no_topic_party_for_a_nominal_mention(zh):
    events = zh("主播林小满发布声明。至于下架的原因，目前并不知晓。")
    assert [e for e in events if e["type"] == "BAN"] == []


def test_a_role_word_after_该_is_no_name_and_a_short_name_is_kept(zh):
    ev = one(zh("主播甜甜酱发文致歉。"), "APOLOGY")
    assert text_of(ev["actor"]) == "甜甜酱"
    events = zh("该主播所售商品确为假冒产品。")
    assert all(text_of(e["target"]) != "所售" for e in events)
