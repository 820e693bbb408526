"""Roles and dates that depend on the rest of the sentence or document: conduct periods,
accounts held on platforms, court orders reaching later clauses, plaintiffs, nested 对, campaign
talk. Sentences written for these tests."""
from .conftest import one


def text_of(p):
    return (p or {}).get("text")


def test_a_conduct_period_is_not_the_date_of_the_fine(zh):
    ev = one(zh("2月22日，某市税务局通报，主播林小满在2019年至2020年期间偷逃税款，依法对其处罚款，共计300万元。"),
             "FINE")
    assert ev["date"]["value"] == "2022-02-22"


def test_accounts_deleted_on_two_platforms_are_two_bans_of_their_holder(zh):
    events = [e for e in zh("主播林小满的快手账号和微博账号均已被注销。") if e["type"] == "BAN"]
    assert {(e["actor"]["id"], text_of(e["target"])) for e in events} == {("kuaishou", "林小满"),
                                                                         ("weibo", "林小满")}


def test_a_court_order_reaches_the_apology_in_a_later_clause(zh):
    ev = one(zh("法院判决星河传媒向消费者退一赔三，赔偿金额合计约35万元，并在媒体上公开赔礼道歉。"), "APOLOGY")
    assert text_of(ev["actor"]) == "星河传媒" and ev["status"] == "planned"


def test_the_plaintiff_is_not_the_defendant_of_the_ruling(zh):
    events = zh("法院近日对京东诉深圳市星达贸易有限公司网络服务合同纠纷一案作出终审判决。")
    lawsuits = [e for e in events if e["type"] == "LAWSUIT"]
    assert lawsuits and all(text_of(e["target"]) != "京东" for e in lawsuits)


def test_damages_paid_to_a_platform_are_no_compensation(zh):
    events = zh("法院判决星达公司赔偿京东损失人民币100万元。")
    assert not [e for e in events if e["type"] == "COMPENSATION"]


def test_the_object_of_a_probe_is_not_inside_the_alleged_conduct(zh):
    ev = one(zh("上海市市场监督管理局依法对上海拉扎斯信息科技有限公司（饿了么）涉嫌对平台内商家进行"
                "不合理限制等行为立案调查。"), "INVESTIGATION")
    assert ev["target"]["id"] == "eleme"


def test_campaign_talk_accuses_nobody(zh):
    events = zh("快手电商将持续打击虚假宣传行为，守护消费者权益。")
    assert not [e for e in events if e["type"] == "ACCUSATION"]


def test_a_name_jieba_knows_fills_a_subject_without_a_party_head(zh):
    ev = one(zh("随即王源发了道歉声明。"), "APOLOGY")
    assert text_of(ev["actor"]) == "王源"


def test_a_court_or_prosecutor_is_never_the_defendant(zh):
    events = zh("某市人民检察院派员出庭支持公诉，被告人及其辩护人到庭参加诉讼。")
    assert all(not text_of(e["target"]) or "检察院" not in text_of(e["target"]) for e in events)


def test_who_issues_a_penalty_is_not_the_one_fined(zh):
    events = zh("中国足协纪律委员会开出罚单。")
    assert all(text_of(e["target"]) != "中国足协" for e in events if e["type"] == "FINE")


def test_a_refunded_deposit_is_not_the_fine(zh):
    ev = one(zh("市场监督管理总局依法对速达网络科技（北京）有限公司作出行政处罚，全额退还保证金3.2亿元，"
                "并处以其销售额3%的罚款，计13.41亿元。"), "FINE")
    assert ev["amount"]["value"] == 1_341_000_000
    assert text_of(ev["target"]) == "速达网络科技（北京）有限公司"
