"""Script detection, Traditional-to-Simplified matching copy, sentences, amounts and dates."""
import pytest

from trustwatch.nlp.zh.text import is_chinese, is_mostly_cjk, split_sentences, to_simplified
from trustwatch.nlp.zh.values import amounts_in, chinese_number, dates_in


@pytest.mark.parametrize("text, language, expected", [
    ("快手宣布屏蔽淘宝链接。", None, True),
    ("Kuaishou blocks Taobao links, says 快手.", None, False),
    ("Anything at all", "zh-TW", True),
    ("快手宣布屏蔽淘宝链接。", "en", False),           # a stated language wins
    ("アプリが東京で禁止された。", None, False),         # Japanese kana
    ("", None, False),
    ("快手", "zh_Hant", True),
])
def test_routing_rule(text, language, expected):
    assert is_chinese(text, language) is expected


def test_mostly_cjk_tolerates_latin_brand_names():
    assert is_mostly_cjk("SHEIN和Temu被指控售卖假货，TikTok Shop回应称已下架相关商品。")


def test_traditional_copy_has_the_same_length():
    trad = "網絡主播平榮被廣州市稅務局罰款6203萬元，快手宣佈屏蔽淘寶鏈接。"
    simp = to_simplified(trad)
    assert len(simp) == len(trad)
    assert "网络主播平荣" in simp and "税务局" in simp and "淘宝" in simp


def test_simplified_text_is_unchanged():
    text = "快手宣布屏蔽淘宝链接。"
    assert to_simplified(text) == text


def test_sentences_split_at_chinese_punctuation_and_lines():
    text = "快手屏蔽淘宝。京东回应称：“不予置评！”\n淘宝；拼多多？  "
    parts = [text[s:e] for s, e in split_sentences(text)]
    assert parts == ["快手屏蔽淘宝。", "京东回应称：“不予置评！”", "淘宝；", "拼多多？"]


@pytest.mark.parametrize("text, value, currency", [
    ("罚款6203万元", 62_030_000, "CNY"),
    ("罚没13.41亿元", 1_341_000_000, "CNY"),
    ("罚款人民币100万元", 1_000_000, "CNY"),
    ("罚款六千二百万元", 62_000_000, "CNY"),
    ("罚款十三点四一亿元", 1_341_000_000, "CNY"),
    ("罚款500万美元", 5_000_000, "USD"),
    ("赔偿1.2亿港元", 120_000_000, "HKD"),
    ("处新台币200万元罚锾", 2_000_000, "TWD"),
    ("罚款4200万欧元", 42_000_000, "EUR"),
    ("追缴税款6203万余元", 62_030_000, "CNY"),
    ("罚款￥50万", 500_000, "CNY"),
])
def test_amounts(text, value, currency):
    found = amounts_in(text)
    assert found, text
    amount = found[0][2]
    assert amount.currency == currency
    assert amount.value == pytest.approx(value)


def test_first_stated_sum_comes_first():
    found = amounts_in("罚款5000万美元（约合3.2亿元人民币）")
    assert [a.currency for _, _, a in found] == ["USD", "CNY"]


@pytest.mark.parametrize("text, value", [
    ("六千二百万", 62_000_000), ("两千", 2000), ("十三", 13), ("一亿两千万", 120_000_000),
    ("三点五", 3.5), ("abc", None),
])
def test_chinese_numbers(text, value):
    assert chinese_number(text) == value


@pytest.mark.parametrize("text, value, precision", [
    ("自3月1日起屏蔽", "2022-03-01", "day"),
    ("2月22日晚间", "2022-02-22", "day"),
    ("2021年3月", "2021-03", "month"),
    ("去年", "2021", "year"),
    ("今年", "2022", "year"),
    ("昨日", "2022-02-23", "day"),
    ("昨天", "2022-02-23", "day"),
])
def test_dates_resolve_against_the_published_date(text, value, precision):
    found = dates_in(text, "2022-02-24")
    assert found, text
    date = found[0][2]
    assert (date.value, date.precision) == (value, precision)
    assert text[found[0][0]:found[0][1]] == date.text


def test_relative_dates_need_a_published_date():
    assert dates_in("去年", None) == []
