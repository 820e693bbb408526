"""The actor gazetteer: packaged data contract, lookups, spaCy patterns and user files."""
from __future__ import annotations

import textwrap
from collections import Counter

import pytest
import spacy

from trustwatch.nlp import gazetteer
from trustwatch.nlp.gazetteer import (KINDS, ActorDataError, actor_by_id, actor_patterns,
                                      find_actors, get_gazetteer, load_actors, lookup,
                                      lookup_all, split_cjk_actors)


@pytest.fixture(autouse=True)
def _no_user_actors(monkeypatch):
    monkeypatch.delenv(gazetteer.ENV_VAR, raising=False)


@pytest.fixture(scope="module")
def actor_nlp():
    nlp = spacy.blank("en")
    split_cjk_actors(nlp)
    ruler = nlp.add_pipe("span_ruler", config={"annotate_ents": True, "spans_key": None})
    ruler.add_patterns(actor_patterns())
    return nlp


def _ents(nlp, text):
    return [(e.text, e.ent_id_) for e in nlp(text).ents]


# ------------------------------------------------------------------ data contract

def test_packaged_data_validates_and_is_large_enough():
    actors = load_actors()
    assert len(actors) >= 150
    ids = [a.id for a in actors]
    assert len(ids) == len(set(ids))
    assert {a.kind for a in actors} == set(KINDS)
    for a in actors:
        assert a.aliases, a.id
        assert len(a.country) == 2 and a.country.isupper(), a.id
        if a.parent:
            assert actor_by_id(a.parent) is not None, a.id


def test_packaged_aliases_are_unambiguous_unless_shared():
    owners: dict[str, set[str]] = {}
    for actor in load_actors():
        for spec in actor.alias_specs:
            if spec.shared:
                continue
            key = spec.text if spec.case_sensitive else spec.text.casefold()
            owners.setdefault(key, set()).add(actor.id)
    clashes = {k: v for k, v in owners.items() if len(v) > 1}
    assert clashes == {}


@pytest.mark.parametrize("actor_id", [
    "kuaishou", "douyin", "bytedance", "tiktok", "taobao", "tmall", "alibaba", "jd", "pinduoduo",
    "temu", "youzan", "meituan", "weibo", "wechat", "tencent", "baidu", "xiaohongshu", "bilibili",
    "shein", "aliexpress", "zhihu", "didi", "netease", "iqiyi", "huya", "douyu", "vipshop",
    "suning", "xianyu", "dewu", "google", "youtube", "meta", "facebook", "instagram", "whatsapp",
    "threads", "x", "apple", "app-store", "amazon", "microsoft", "linkedin", "reddit", "snap",
    "discord", "telegram", "twitch", "roblox", "epic-games", "spotify", "netflix", "uber",
    "airbnb", "ebay", "etsy", "shopify", "paypal", "stripe", "openai", "anthropic", "xai",
    "nvidia", "samsung", "binance", "coinbase", "ftx", "bluesky", "mastodon", "pinterest",
    "tumblr", "onlyfans", "patreon", "substack", "cloudflare", "yahoo", "equifax", "t-mobile",
    "att", "verizon", "23andme", "ticketmaster", "live-nation", "okta", "moveit", "kakao",
    "naver", "coupang", "line", "rakuten", "grab", "sea-ltd", "shopee", "lazada", "tokopedia",
    "flipkart", "paytm", "jio", "yandex", "vk", "mercado-libre", "samr", "cac", "miit", "sta",
    "guangzhou-tax", "pboc", "csrc", "spc", "beijing-internet-court", "eu-commission", "cjeu",
    "edpb", "irish-dpc", "cnil", "garante", "dutch-ap", "hamburg-dpa", "bundeskartellamt",
    "aepd", "ftc", "doj", "sec", "fcc", "cfpb", "texas-ag", "us-congress", "us-senate", "ofcom",
    "uk-cma", "uk-ico", "uk-fca", "accc", "esafety", "oaic", "roskomnadzor", "kftc", "pipc",
    "jftc", "cci", "meity", "anpd", "stf", "btk", "kominfo", "fccpc", "us-supreme-court",
    "nd-cal", "delaware-chancery", "uk-high-court",
])
def test_expected_actor_is_present(actor_id):
    assert actor_by_id(actor_id) is not None


def test_parents_point_the_right_way():
    assert actor_by_id("douyin").parent == "bytedance"
    assert actor_by_id("taobao").parent == "alibaba"
    assert actor_by_id("temu").parent == "pdd-holdings"
    assert actor_by_id("instagram").parent == "meta"


# ------------------------------------------------------------------ lookup

@pytest.mark.parametrize("text,actor_id", [
    ("JD", "jd"), ("JD.com", "jd"), ("京东", "jd"), ("jd.com's", "jd"), ("JD.com Inc.", "jd"),
    ("Kuaishou", "kuaishou"), ("KUAISHOU", "kuaishou"), ("快手", "kuaishou"),
    ("Kuaishou Technology Co., Ltd.", "kuaishou"),
    ("淘宝", "taobao"), ("抖音", "douyin"), ("微博", "weibo"), ("拼多多", "pinduoduo"),
    ("腾讯", "tencent"), ("阿里巴巴", "alibaba"), ("百度", "baidu"), ("小红书", "xiaohongshu"),
    ("哔哩哔哩", "bilibili"), ("美团", "meituan"), ("微信", "wechat"),
    ("the FTC", "ftc"), ("The European Commission", "eu-commission"), ("Twitter", "x"),
    ("X", "x"), ("Meta Platforms Inc.", "meta"), ("Alibaba Group Holding Ltd", "alibaba"),
    ("People\u2019s Bank of China", "pboc"), ("Tencent Holdings Ltd.", "tencent"),
    ("Guangzhou tax departments", "guangzhou-tax"), ("  Taobao,  ", "taobao"),
])
def test_lookup_normalises_surface_forms(text, actor_id):
    found = lookup(text)
    assert found is not None, text
    assert found.id == actor_id


@pytest.mark.parametrize("text", ["tax authorities", "the regulator", "apple", "meta", "x", "sec",
                                  "jd", "line", "snap", "", "   ", "the company"])
def test_lookup_rejects_generic_and_wrong_case_words(text):
    assert lookup(text) is None


def test_country_name_is_lookup_only():
    assert lookup("China").id == "gov-cn"
    assert find_actors("Users in China complained.") == []


def test_shared_alias_lists_every_owner():
    owners = [a.id for a in lookup_all("Datatilsynet")]
    assert owners[0] == lookup("Datatilsynet").id
    assert set(owners) == {"norway-datatilsynet", "denmark-datatilsynet"}


# ------------------------------------------------------------------ spaCy patterns

def test_patterns_have_label_and_id():
    patterns = actor_patterns()
    assert patterns and all(p["label"] == "ACTOR" and p["id"] for p in patterns)
    ids = {a.id for a in load_actors()}
    assert {p["id"] for p in patterns} <= ids


def test_ruler_tags_kuaishou_and_jd(actor_nlp):
    ents = _ents(actor_nlp, "Kuaishou says it will stop linking to JD.com, to JD and to 京东 next month.")
    assert ents == [("Kuaishou", "kuaishou"), ("JD.com", "jd"), ("JD", "jd"), ("京东", "jd")]


def test_ruler_respects_case_sensitive_aliases(actor_nlp):
    ents = _ents(actor_nlp, "An apple, a snap decision and a meta joke; then Apple sued Meta on X.")
    assert ents == [("Apple", "apple"), ("Meta", "meta"), ("X.", "x")]


def test_ruler_matches_headline_casing_and_curly_apostrophes(actor_nlp):
    ents = _ents(actor_nlp, "KUAISHOU shares slid after the People\u2019s Bank of China spoke.")
    assert ents == [("KUAISHOU", "kuaishou"), ("People\u2019s Bank of China", "pboc")]


def test_chinese_names_inside_a_run_of_chinese_text(actor_nlp):
    ents = _ents(actor_nlp, "快手宣布将屏蔽淘宝和京东的商品链接")
    assert [i for _, i in ents] == ["kuaishou", "taobao", "jd"]


def test_token_style_patterns_work_with_a_ruler():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("span_ruler", config={"annotate_ents": True, "spans_key": None})
    ruler.add_patterns([p for p in actor_patterns(style="token") if p["id"] in {"jd", "ftc", "meta"}])
    assert _ents(nlp, "the federal Trade COMMISSION, the ftc, JD.COM, meta and Meta") == [
        ("federal Trade COMMISSION", "ftc"), ("JD.COM", "jd"), ("Meta", "meta")]


def test_find_actors_gives_character_offsets():
    text = "平台快手与京东; later the FTC and Meta\u2019s lawyers met the Irish DPC."
    found = find_actors(text)
    assert [(text[s:e], a.id) for s, e, a in found] == [
        ("快手", "kuaishou"), ("京东", "jd"), ("FTC", "ftc"), ("Meta", "meta"), ("Irish DPC", "irish-dpc")]


# ------------------------------------------------------------------ user files

def _write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_user_file_adds_and_extends_actors(tmp_path):
    path = _write(tmp_path, "mine.yaml", """
        - {id: acme-market, name: Acme Market, kind: marketplace, country: DE, aliases: [Acme Market, AcmeShop]}
        - {id: kuaishou, aliases: [Kuaishou Global]}
    """)
    assert lookup("AcmeShop") is None
    assert lookup("AcmeShop", extra_path=path).id == "acme-market"
    assert lookup("Kuaishou Global", extra_path=path).id == "kuaishou"
    assert lookup("快手", extra_path=path).id == "kuaishou"  # packaged aliases kept
    assert any(p["id"] == "acme-market" for p in actor_patterns(extra_path=path))


def test_user_file_from_environment(tmp_path, monkeypatch):
    folder = tmp_path / "actors"
    folder.mkdir()
    _write(folder, "a.yaml", """
        actors:
          - id: kuaishou
            disabled: true
          - id: jd
            name: JD
            aliases: [Jingdong Mall]
            replace_aliases: true
    """)
    monkeypatch.setenv(gazetteer.ENV_VAR, str(folder))
    assert actor_by_id("kuaishou") is None
    assert lookup("Jingdong Mall").id == "jd"
    assert lookup("JD.com") is None
    monkeypatch.delenv(gazetteer.ENV_VAR)
    assert lookup("JD.com").id == "jd"


@pytest.mark.parametrize("body,message", [
    ("- {id: Bad Id, name: A, kind: company, country: US, aliases: [Abc]}", "lowercase slug"),
    ("- {id: acme, name: A, kind: shop, country: US, aliases: [Abc]}", "not one of"),
    ("- {id: acme, name: A, kind: company, country: USA, aliases: [Abc]}", "ISO 3166"),
    ("- {id: acme, name: A, kind: company, country: US, aliases: []}", "at least one alias"),
    ("- {id: acme, name: A, kind: company, country: US, aliases: [Taobao]}", "taobao"),
    ("- {id: acme, name: A, kind: company, country: US, aliases: [target]}", "common word"),
    ("- {id: acme, name: A, kind: company, country: US, parent: nope, aliases: [Abcd]}", "unknown parent"),
    ("- {id: acme, name: A, kind: company, country: US, aliases: [Abcd], colour: red}", "unknown field"),
    ("- {id: acme, name: A, kind: company, country: US, aliases: [淘]}", "one-character"),
    ("- [not, a, mapping]", "not a mapping"),
    ("{id: [", "not valid YAML"),
])
def test_invalid_user_data_fails_with_a_clear_error(tmp_path, body, message):
    path = _write(tmp_path, "bad.yaml", body + "\n")
    with pytest.raises(ActorDataError) as err:
        get_gazetteer(path)
    assert message in str(err.value)
    assert "bad.yaml" in str(err.value) or "conflicting" in str(err.value)


def test_missing_user_file_is_an_error(tmp_path):
    with pytest.raises(ActorDataError, match="not found"):
        load_actors(tmp_path / "absent.yaml")


def test_case_sensitive_alias_in_user_data(tmp_path):
    path = _write(tmp_path, "cs.yaml", """
        - {id: target-corp, name: Target, kind: marketplace, country: US,
           aliases: [{text: Target, case_sensitive: true}, Target Corp]}
    """)
    assert lookup("Target", extra_path=path).id == "target-corp"
    assert lookup("target", extra_path=path) is None
    kinds = Counter(a.kind for a in load_actors(path))
    assert kinds["marketplace"] >= 2


def test_parent_loop_is_refused(tmp_path):
    path = _write(tmp_path, "loop.yaml", """
        - {id: loop-a, name: A, kind: company, country: US, parent: loop-b, aliases: [Loopco A]}
        - {id: loop-b, name: B, kind: company, country: US, parent: loop-a, aliases: [Loopco B]}
    """)
    with pytest.raises(ActorDataError, match="loops back"):
        get_gazetteer(path)


def test_alias_clash_names_both_actors_and_the_file(tmp_path):
    path = _write(tmp_path, "clash.yaml", """
        - {id: fake-taobao, name: Fake, kind: marketplace, country: CN, aliases: [TAOBAO]}
    """)
    with pytest.raises(ActorDataError) as err:
        get_gazetteer(path)
    assert "fake-taobao" in str(err.value) and "taobao" in str(err.value)
    assert "clash.yaml" in str(err.value)


def test_one_letter_alias_is_not_found_in_hyphenated_words():
    assert [a.id for _, _, a in find_actors("An X-ray of posts on X.")] == ["x"]


def test_ambiguous_acronyms_are_lookup_only():
    assert lookup("ICO").id == "uk-ico"
    assert find_actors("The token's ICO raised funds.") == []
