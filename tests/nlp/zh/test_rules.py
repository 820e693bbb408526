"""Chinese event rules on small sentences written for these tests: every type, every status,
roles from 被/对/向/将 and word order, amounts, dates, Traditional input and merging."""
import pytest

from trustwatch.records import Event

from .conftest import one


def party(p):
    return (p or {}).get("text"), (p or {}).get("id")


@pytest.mark.parametrize("text, type_, key", [
    ("快手宣布屏蔽淘宝商品链接。", "BLOCK", ("淘宝", "taobao")),
    ("抖音封禁了主播王小明的账号。", "BAN", ("王小明", None)),
    ("税务局对主播李某罚款300万元。", "FINE", ("李某", None)),
    ("当晚，拼多多发布声明向消费者道歉。", "APOLOGY", ("拼多多", "pinduoduo")),
    ("多名消费者指控京东售卖翻新手机。", "ACCUSATION", ("京东", "jd")),
    ("美团表示将向受影响的骑手全额退款。", "COMPENSATION", ("美团", "meituan")),
    ("王某起诉快手侵犯其名誉权。", "LAWSUIT", ("快手", "kuaishou")),
    ("国家网信办约谈微博。", "INVESTIGATION", ("微博", "weibo")),
    ("知乎发生用户数据泄露，涉及百万用户。", "BREACH", ("知乎", "zhihu")),
])
def test_each_type_with_its_key_argument(zh, text, type_, key):
    ev = one(zh(text), type_)
    role = "actor" if type_ in ("APOLOGY", "COMPENSATION") else "target"
    assert party(ev[role]) == key


@pytest.mark.parametrize("text, status", [
    ("快手屏蔽了淘宝链接。", "asserted"),
    ("快手将屏蔽淘宝链接。", "planned"),
    ("快手拟于下月屏蔽淘宝链接。", "planned"),
    ("快手或将屏蔽淘宝链接。", "hypothetical"),
    ("若监管认定违规，快手可能屏蔽淘宝链接。", "hypothetical"),
    ("快手并未屏蔽淘宝链接。", "negated"),
    ("快手否认屏蔽淘宝链接。", "negated"),
    ("有消息称快手屏蔽了淘宝链接。", "hypothetical"),
])
def test_status(zh, text, status):
    assert one(zh(text), "BLOCK")["status"] == status


def test_a_start_date_after_publication_is_planned(zh):
    ev = one(zh("快手宣布，自3月1日起屏蔽淘宝链接。", "2022-02-24"), "BLOCK")
    assert ev["status"] == "planned"
    assert ev["date"]["value"] == "2022-03-01" and ev["date"]["precision"] == "day"


def test_passive_bei_makes_the_subject_the_target(zh):
    ev = one(zh("网络主播平荣被广州市税务局罚款6203万元。"), "FINE")
    assert party(ev["target"]) == ("平荣", "pingrong")
    assert party(ev["actor"]) == ("广州市税务局", "guangzhou-tax")
    assert ev["amount"]["value"] == 62_030_000 and ev["amount"]["currency"] == "CNY"


def test_dui_marks_the_target_and_pronoun_qi_its_antecedent(zh):
    text = ("国家税务总局广州市税务局对网络主播平荣偷逃税案件依法作出处理，"
            "对其追缴税款、加收滞纳金并处罚款共计6203万元。")
    ev = one(zh(text), "FINE")
    assert party(ev["target"]) == ("平荣", "pingrong")
    assert ev["actor"]["id"] == "guangzhou-tax"
    assert ev["amount"]["value"] == 62_030_000


def test_xiang_marks_the_receiver_of_an_apology(zh):
    ev = one(zh("平荣在微博发文，向社会公众诚恳道歉。"), "APOLOGY")
    assert party(ev["actor"]) == ("平荣", "pingrong")   # 微博 is where, not who
    assert ev["target"]["text"] == "社会公众"


def test_jiang_as_object_marker_is_not_future(zh):
    ev = one(zh("苹果已将该应用下架。"), "BAN")
    assert ev["status"] == "asserted"


def test_several_targets_are_several_events(zh):
    events = [e for e in zh("快手将对淘宝、京东和拼多多的链接进行屏蔽。") if e["type"] == "BLOCK"]
    assert sorted(e["target"]["id"] for e in events) == ["jd", "pinduoduo", "taobao"]
    assert all(e["actor"]["id"] == "kuaishou" for e in events)


def test_report_source_is_never_a_party(zh):
    ev = one(zh("据新浪科技报道，抖音封禁了网红张某的账号。"), "BAN")
    assert party(ev["actor"]) == ("抖音", "douyin")
    assert ev["target"]["text"] == "张某"


def test_chinese_numeral_amount_on_a_fine(zh):
    ev = one(zh("市场监管局对该店铺罚款六千二百万元。"), "FINE")
    assert ev["amount"]["value"] == 62_000_000 and ev["amount"]["text"] == "六千二百万元"


def test_court_ordered_payout_is_planned_and_paid_by_the_defendant(zh):
    ev = one(zh("法院判决星辰公司向消费者退一赔三。"), "COMPENSATION")
    assert ev["actor"]["text"] == "星辰公司" and ev["status"] == "planned"


def test_traditional_input_keeps_original_text_and_offsets(zh):
    text = "網絡主播平榮被廣州市稅務局罰款6203萬元。"
    ev = one(zh(text), "FINE")
    assert ev["target"] == {"text": "平榮", "id": "pingrong"}
    assert ev["actor"]["text"] == "廣州市稅務局" and ev["actor"]["id"] == "guangzhou-tax"
    assert ev["amount"]["text"] == "6203萬元"
    assert ev["sentence"] == text and text[ev["start"]:ev["end"]] == ev["sentence"]


def test_repeated_mentions_merge_into_one_event(zh):
    text = "快手宣布屏蔽淘宝链接。业内人士称，快手此前也曾屏蔽淘宝。"
    assert len([e for e in zh(text) if e["type"] == "BLOCK"]) == 1


def test_output_fits_the_event_record(zh):
    for ev in zh("网络主播平荣被广州市税务局罚款6203万元，随后在微博道歉。"):
        Event(doc_id="d", **ev)


@pytest.mark.parametrize("text", [
    "直播带货中虚假宣传等问题屡见不鲜，监管部门有必要提高罚款力度。",  # opinion, no party
    "新浪科技讯 3月1日消息，快手发布了第四季度财报。",                   # no trigger
    "浙江省市场监督管理局行政处罚决定书",                               # a title, no one fined
])
def test_no_event_without_a_party(zh, text):
    assert [e for e in zh(text) if e["status"] in ("asserted", "planned")] == []
