"""Traditional Chinese through the Simplified copy, and Weibo-style posts (@accounts, #topics#,
first-person authors). Sentences written for these tests."""
import pytest

from .conftest import one


def text_of(p):
    return (p or {}).get("text")


@pytest.mark.parametrize("text, type_, key", [
    ("臉書宣布封鎖新聞App「快訊通」的連結。", "BLOCK", "快訊通"),
    ("YouTube已將主播「阿明」的頻道停權。", "BAN", "阿明"),
    ("公平會決議對蝦皮處以新台幣200萬元罰鍰。", "FINE", "蝦皮"),
    ("蝦皮今日發表聲明向消費者道歉。", "APOLOGY", "蝦皮"),
    ("消委會起訴網購平台「快易買」。", "LAWSUIT", "快易買"),
])
def test_traditional_triggers_and_original_text(zh, text, type_, key):
    ev = one(zh(text), type_)
    role = "actor" if type_ == "APOLOGY" else "target"
    assert text_of(ev[role]) == key  # the original (Traditional) characters
    assert ev["sentence"] == text


def test_a_fine_in_traditional_keeps_its_amount(zh):
    ev = one(zh("公平會決議對蝦皮處以新台幣200萬元罰鍰。"), "FINE")
    assert (ev["amount"]["value"], ev["amount"]["currency"]) == (2_000_000, "TWD")


def test_a_post_with_topics_and_an_account(zh):
    ev = one(zh("#快手封禁网红辛巴# @快手 宣布永久封禁辛巴账号。"), "BAN")
    assert ev["actor"]["id"] == "kuaishou" and text_of(ev["target"]) == "辛巴"


def test_the_first_person_of_a_post_is_its_author(zh):
    events = zh("@阿珂的小铺：我在这里向大家郑重道歉，所有订单全额退款。")
    assert text_of(one(events, "APOLOGY")["actor"]) == "阿珂的小铺"
    assert text_of(one(events, "COMPENSATION")["actor"]) == "阿珂的小铺"


def test_without_an_author_the_first_person_names_nobody(zh):
    events = zh("我在这里向大家郑重道歉。")
    assert [e for e in events if e["type"] == "APOLOGY"] == []
