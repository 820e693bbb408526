"""Parties in Chinese text: gazetteer names with canonical ids, authorities by form, people by
role, quoted account names, and the gazetteer's Chinese names shared with the English ones."""
import pytest

from trustwatch.nlp.gazetteer import get_gazetteer, lookup
from trustwatch.nlp.zh.entities import find_mentions, ruler_patterns


def names(text):
    return [(m.text, m.id) for m in find_mentions(text)]


def test_chinese_and_english_names_are_one_actor():
    assert lookup("快手").id == lookup("Kuaishou").id == "kuaishou"
    assert lookup("京东").id == lookup("JD.com").id == "jd"
    assert lookup("谷歌").id == lookup("Google").id
    assert lookup("平荣").id == lookup("Pingrong").id


def test_gazetteer_has_enough_chinese_names():
    cjk = get_gazetteer().cjk_aliases()
    assert len(cjk) >= 120
    assert {"快手", "抖音", "拼多多", "谦寻", "辛巴", "国家网信办", "北京互联网法院"} <= set(cjk)


def test_ruler_patterns_carry_the_canonical_id():
    pats = {p["pattern"]: p["id"] for p in ruler_patterns()}
    assert pats["快手"] == "kuaishou" and pats["淘宝"] == "taobao"
    assert all(p["label"] == "ACTOR" for p in ruler_patterns())


def test_gazetteer_names_inside_running_text():
    assert names("快手宣布屏蔽淘宝、京东链接") == [("快手", "kuaishou"), ("淘宝", "taobao"), ("京东", "jd")]


@pytest.mark.parametrize("text, name, actor_id", [
    ("近日广州市税务局稽查局对其处罚", "广州市税务局稽查局", "guangzhou-tax"),
    ("国家税务总局厦门市税务局发布通报", "国家税务总局厦门市税务局", None),
    ("浙江省杭州市市场监督管理局对其立案", "浙江省杭州市市场监督管理局", "hangzhou-amr"),
    ("绍兴市市场监管局约谈", "绍兴市市场监管局", None),
    ("杭州市余杭区人民法院一审判决", "杭州市余杭区人民法院", "yuhang-court"),
    ("西昌市公安局调查后", "西昌市公安局", None),
    ("北京市朝阳区人民检察院起诉", "北京市朝阳区人民检察院", None),
])
def test_authorities_by_form(text, name, actor_id):
    assert (name, actor_id) in names(text)


def test_date_words_do_not_join_an_authority_name():
    assert names("近日，广州市税务局发布通报")[0][0] == "广州市税务局"


@pytest.mark.parametrize("text, person", [
    ("网络主播平荣偷逃税", "平荣"),
    ("网红“东北雨姐”被罚款", "东北雨姐"),
    ("董事长张三表示", "张三"),
    ("CEO Tim称", "Tim"),
    ("判处被告人刘某有期徒刑", "刘某"),
])
def test_people_by_role_and_anonymised_names(text, person):
    assert person in [t for t, _ in names(text)]


def test_role_word_followed_by_a_common_word_is_no_name():
    assert "表示" not in [t for t, _ in names("相关负责人表示将整改")]


def test_quoted_app_and_account_names():
    found = [t for t, _ in names("对“闪电借”“趣约”等25款App予以下架，“晴天Ivy”账号被封")]
    assert found[:2] == ["闪电借", "趣约"] and "晴天Ivy" in found


def test_concise_name_for_longer_alias():
    assert ("快手", "kuaishou") in names("快手直播平台宣布")
