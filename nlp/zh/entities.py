"""Parties in Chinese text: gazetteer names, authorities by form, people by role, companies.

The gazetteer's Chinese names become jieba user words (so the segmenter keeps 快手 and 拼多多
whole) and span-ruler patterns (label ACTOR, span id = canonical actor id); names a gazetteer
cannot list are found by their form: 广州市税务局, 杭州市余杭区人民法院 (place segments before
an authority word), 主播平荣 (a name after a role word), 北京某某科技有限公司.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, replace
from typing import Iterable, Optional

from trustwatch.nlp.zh.lexicon import ZhLexicon, load_lexicon

log = logging.getLogger(__name__)

LABEL = "ACTOR"
AUTHORITY_KINDS = frozenset({"regulator", "court", "government"})
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_HAN_RX = re.compile(f"^[{_HAN}]+$")
_LATIN_NAME_RX = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{1,30}")
_COMPANY_RX = re.compile(r"(?:有限责任公司|股份有限公司|有限公司|集团公司|（集团）|\(集团\))")
_CONCISE_SUFFIX_RX = re.compile(r"(?:平台|官方|直播|电商|方面|公司|集团|科技|APP|App|app)$")
_NAME_BREAK = frozenset("对被向与和及由据将把在是为的了称等从于诉、，。；：“”\"'（）() \n")
_CJK_CHAR_RX = re.compile(f"[{_HAN}\u3000-\u303f\uff00-\uffef]")
#: a quoted name that is an account, shop or app: “大鹏哥”账号, “趣刷短视频”App, “优品数码旗舰店”
_QUOTED_RX = re.compile(r"[“「『\"](?P<name>[^“”「」『』\"\n]{2,20})[”」』\"]")
_QUOTED_KIND_RX = re.compile(r"(?:[“「『][^“”「」『』\n]{1,20}[”」』])*(?:等[^，。；“”]{0,8}?)?"
                             r"(?:App|APP|app|账号|帐号|店铺|小程序|平台|网店|直播间|公众号|应用)")
#: a quoted name right after its kind: 網購平台「快易買」, 主播“大鹏哥”, 账号“科技老炮儿”
_QUOTED_KIND_BEFORE_RX = re.compile(r"(?:平台|店铺|网店|账号|帐号|商家|品牌|公司|应用|App|APP|小程序|公众号|博主|主播|网红|达人|UP主)$")
#: a Weibo-style @account: @淘宝, @阿珂的小铺
_AT_RX = re.compile(r"@(?P<name>[^\s@#:：，,。！？!?；;、（）()“”\"]{2,20})")
_QUOTED_NAME_TAIL = re.compile(r"(?:店|旗舰店|专营店|公司|工作室|传媒|App|APP)$")

#: a role word right after these is a pronoun phrase (该主播, 这名博主), not a name's introduction
_ROLE_DEMONSTRATIVES = ("该", "此", "这名", "该名", "那名", "这位", "该位", "其")
#: jieba dictionary frequency from which a segment counts as a common word, not a name
COMMON_WORD_FREQ = 200

#: what may follow a listed authority inside a longer form: its own inspection bureau
_SUB_UNIT_RX = re.compile(r"^(?:第.稽查局|稽查局|稽查一局|分局)?$")

_jieba_lock = threading.Lock()
_jieba_ready = False


@dataclass(frozen=True)
class Mention:
    """A party named in the text, by offsets into the document (Simplified copy = original)."""

    start: int
    end: int
    text: str
    id: Optional[str] = None
    kind: str = "org"  # a gazetteer kind, "person" or "org"
    generic: bool = False  # a bare 法院 / 警方: an authority without a name

    @property
    def authority(self) -> bool:
        return self.kind in AUTHORITY_KINDS


def _gazetteer():
    from trustwatch.nlp.gazetteer import get_gazetteer

    return get_gazetteer()


def cjk_names() -> list[str]:
    return _gazetteer().cjk_aliases()


def setup_segmenter(extra_words: Iterable[str] = ()) -> None:
    """Add the gazetteer's Chinese names (and the rule words) to jieba's dictionary, once per
    process: jieba's dictionary is global, so a second call is free."""
    global _jieba_ready
    with _jieba_lock:
        if _jieba_ready:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        lex = load_lexicon()
        words = set(cjk_names()) | set(extra_words) | {t.text for t in lex.triggers} \
            | {b.text for b in lex.bodies} | set(lex.places)
        for word in sorted(words):
            if len(word) >= 2:
                jieba.add_word(word)
        _jieba_ready = True


def ruler_patterns() -> list[dict]:
    """Phrase patterns for spaCy's span_ruler: every Chinese alias, label ACTOR, id = actor id."""
    gaz = _gazetteer()
    out = []
    seen = set()
    for actor in gaz.actors:
        for alias in actor.alias_specs:
            if alias.pattern and re.search(f"[{_HAN}]", alias.text) and alias.text not in seen:
                seen.add(alias.text)
                out.append({"label": LABEL, "id": actor.id, "pattern": alias.text})
    return out


def segments(text: str) -> list[tuple[str, int, int]]:
    """jieba's words with their offsets."""
    import jieba

    setup_segmenter()
    return list(jieba.tokenize(text))


def _concise(m: Mention) -> Mention:
    """快手平台 -> 快手 when the shorter form names the same actor."""
    if not m.id:
        return m
    gaz = _gazetteer()
    text = m.text
    while True:
        cut = _CONCISE_SUFFIX_RX.search(text)
        if not cut or cut.start() < 2:
            break
        shorter = text[:cut.start()]
        found = gaz.lookup(shorter)
        if found is None or found.id != m.id:
            break
        text = shorter
    return m if text == m.text else replace(m, end=m.start + len(text), text=text)


def gazetteer_mentions(text: str) -> list[Mention]:
    """Gazetteer names; Latin names glued to Chinese text (平台Temu在) are looked for in a copy
    with the Chinese characters blanked out (same offsets)."""
    gaz = _gazetteer()
    out = []
    for s, e, actor in gaz.find(text):
        out.append(_concise(Mention(s, e, text[s:e], actor.id, actor.kind)))
    latin = _CJK_CHAR_RX.sub(" ", text)
    if latin.strip():
        for s, e, actor in gaz.find(latin):
            if not any(m.start < e and s < m.end for m in out):
                out.append(Mention(s, e, text[s:e], actor.id, actor.kind))
    return out


_LATIN_RUN_RX = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9&.'\-]*(?: [A-Z][A-Za-z0-9&.'\-]*)*")


def latin_mentions(text: str, lex: ZhLexicon) -> list[Mention]:
    """A Latin-script word in Chinese text is nearly always a brand or an account name
    (HKTVmall, SHEIN, OPPO): a party, unless it is a listed common word (App, CEO)."""
    out = []
    for m in _LATIN_RUN_RX.finditer(text):
        name = m.group().rstrip(".-'")
        start = m.start()
        while " " in name and name.split(" ", 1)[0] in lex.latin_not_names:  # "CEO Tim"
            head, name = name.split(" ", 1)
            start += len(head) + 1
        if len(name) < 2 or name in lex.latin_not_names or name.lower() in lex.latin_not_names:
            continue
        out.append(Mention(start, start + len(name), name, _lookup_id(name), "org"))
    return out


def anonymised_people(text: str, lex: ZhLexicon) -> list[Mention]:
    """张某, 林某某: people named by surname in court and police reports."""
    if lex.anon_rx is None:
        return []
    return [Mention(m.start(), m.end(), m.group(), None, "person") for m in lex.anon_rx.finditer(text)]


def quoted_mentions(text: str) -> list[Mention]:
    """Quoted account, shop and app names (Chinese news quotes them): “阿飞测评”账号."""
    out = []
    for m in _QUOTED_RX.finditer(text):
        name = m.group("name").strip()
        if not name or any(ch in name for ch in "，。！？；："):
            continue
        if _QUOTED_KIND_RX.match(text, m.end()) or _QUOTED_NAME_TAIL.search(name) \
                or _QUOTED_KIND_BEFORE_RX.search(text[max(0, m.start() - 4):m.start()]):
            s = m.start("name")
            out.append(Mention(s, s + len(name), name, _lookup_id(name), "org"))
    return out


def at_mentions(text: str) -> list[Mention]:
    """@accounts in posts: a party (its gazetteer id when known, e.g. @淘宝)."""
    out = []
    gaz = _gazetteer()
    for m in _AT_RX.finditer(text):
        s, e = m.span("name")
        actor = gaz.lookup(m.group("name"))
        out.append(Mention(s, e, m.group("name"), actor.id if actor else None,
                           actor.kind if actor else "org"))
    return out


def _lookup_id(text: str) -> Optional[str]:
    found = _gazetteer().lookup(text)
    return found.id if found else None


def body_mentions(text: str, segs: list[tuple[str, int, int]], lex: ZhLexicon) -> list[Mention]:
    """Authorities by form: the anchor (税务局, 人民法院 …) and the place words before it."""
    ends = {e: (w, s) for w, s, e in segs}
    kinds = {b.text: b.kind for b in lex.bodies}
    out = []
    for m in lex.body_rx.finditer(text):
        start = m.start()
        # the anchor may start inside a segment (杭州市市场 | 监督): extend to the segment start
        for w, s, e in segs:
            if s < start < e and (lex.place_suffix.search(text[s:start]) or text[s:start] in lex.places):
                start = s
                break
        while start in ends:
            w, s = ends[start]
            if lex.place_suffix.search(w) or w in lex.places or w in lex.place_prefix:
                start = s
            else:
                break
        name = text[start:m.end()]
        generic = start == m.start()
        out.append(Mention(start, m.end(), name, _lookup_id(name), kinds[m.group()], generic))
    return out


#: jieba part-of-speech tags of dictionary words that can be a name (person, place, organisation,
#: other proper noun, abbreviation); a word tagged otherwise (私生活 n, 进行 v) is not a name
_NAME_TAGS = ("nr", "nz", "ns", "nt", "j", "eng", "x")


def _common_word(word: str) -> bool:
    """A frequent dictionary word (进行, 表示), or a dictionary word tagged as something other
    than a proper noun (私生活), is not a personal name."""
    import jieba
    import jieba.posseg

    if _lookup_id(word) is not None:
        return False
    if (jieba.dt.FREQ.get(word) or 0) >= COMMON_WORD_FREQ:
        return True
    tag = jieba.posseg.dt.word_tag_tab.get(word) if len(word) >= 2 else None
    return tag is not None and not tag.startswith(_NAME_TAGS)


def person_mentions(text: str, segs: list[tuple[str, int, int]], lex: ZhLexicon) -> list[Mention]:
    """People introduced by their role: 主播平荣, 网红“某某”, 董事长张三, CEO Tim."""
    starts = {s: (w, e) for w, s, e in segs}
    out = []
    for m in lex.person_rx.finditer(text):
        if text[max(0, m.start() - 2):m.start()].endswith(_ROLE_DEMONSTRATIVES):
            continue  # 该主播所售: a pronoun phrase, not a role word before a name
        pos = m.end()
        while pos < len(text) and text[pos] in " \u3000":
            pos += 1
        if pos >= len(text):
            continue
        if text[pos] in "“\"「『":
            close = re.search(r"[”\"」』]", text[pos + 1:pos + 16])
            if not close:
                continue
            s, e = pos + 1, pos + 1 + close.start()
        elif re.match(r"[A-Za-z]", text[pos]):
            lm = _LATIN_NAME_RX.match(text, pos)
            if not lm:
                continue
            s, e = lm.span()
        else:
            if lex.person_not_names.match(text[pos:]):
                continue
            word = starts.get(pos)
            if word and len(word[0]) >= 2 and _common_word(word[0]):
                continue  # 负责人表示, 主播进行: a word, not a name
            if word and 2 <= len(word[0]) <= 4 and _HAN_RX.match(word[0]):
                s, e = pos, word[1]
            else:
                # the segmenter split an unknown name: take Han characters up to a break, 2-3
                e = pos
                while e < len(text) and e - pos < 3 and re.match(f"[{_HAN}]", text[e]) \
                        and text[e] not in _NAME_BREAK:
                    e += 1
                if e - pos < 2:
                    continue
                s = pos
        name = text[s:e]
        if not name.strip() or name in lex.non_names:
            continue
        out.append(Mention(s, e, name, _lookup_id(name), "person"))
    return out


def company_mentions(text: str, segs: list[tuple[str, int, int]], lex: ZhLexicon) -> list[Mention]:
    """Registered company names (…有限公司): the segments before the suffix, back to a break."""
    ends = {e: (w, s) for w, s, e in segs}
    out = []
    for m in _COMPANY_RX.finditer(text):
        start = m.start()
        while start in ends and m.end() - ends[start][1] <= 30:
            w, s = ends[start]
            if w not in ("（", "）", "(", ")") and (not w.strip() or any(ch in _NAME_BREAK for ch in w)
                                                    or lex.np_lead.fullmatch(w)):
                break
            start = s
        if m.start() - start < 2:
            continue
        out.append(Mention(start, m.end(), text[start:m.end()], None, "company"))
    return out


def _inherit_ids(cands: list[Mention], anchors: frozenset[str]) -> list[Mention]:
    """An unnamed authority form takes the id of a listed authority it contains
    (国家税务总局广州市税务局稽查局 -> guangzhou-tax); a bare anchor (网信办) lends none."""
    out = []
    for m in cands:
        if m.id is None and m.kind in AUTHORITY_KINDS and not m.generic:
            inner = [c for c in cands if c.id and c.authority and c is not m
                     and m.start <= c.start and c.end <= m.end and c.text not in anchors
                     and len(c.text) >= 4 and _SUB_UNIT_RX.match(m.text[c.end - m.start:])]
            if inner:
                best = max(inner, key=lambda c: (c.end, c.end - c.start))
                m = replace(m, id=best.id)
        out.append(m)
    return out


def _resolve(cands: list[Mention]) -> list[Mention]:
    """Non-overlapping mentions, the longer first; a named actor inside a longer unnamed
    company name lends it its id (北京快手科技有限公司 -> kuaishou) but keeps the concise text."""
    cands = sorted(cands, key=lambda m: (-(m.end - m.start), m.id is None, m.start))
    chosen: list[Mention] = []
    for m in cands:
        clash = [c for c in chosen if c.start < m.end and m.start < c.end]
        if not clash:
            chosen.append(m)
            continue
        for c in clash:
            if c.kind == "company" and c.id is None and m.id and c.start <= m.start and m.end <= c.end:
                chosen[chosen.index(c)] = replace(m, start=m.start, end=m.end)
    return sorted(chosen, key=lambda m: m.start)


def find_mentions(text: str, *, ruler_spans: Iterable[Mention] = (),
                  lex: Optional[ZhLexicon] = None) -> list[Mention]:
    """Every party mention in `text` (Simplified), sorted by position."""
    lex = lex or load_lexicon()
    segs = segments(text)
    cands = list(ruler_spans) + gazetteer_mentions(text) + body_mentions(text, segs, lex) \
        + person_mentions(text, segs, lex) + company_mentions(text, segs, lex) \
        + quoted_mentions(text) + latin_mentions(text, lex) + anonymised_people(text, lex) \
        + at_mentions(text)
    anchors = frozenset(b.text for b in lex.bodies)
    return _bracket_ids(text, _resolve(_inherit_ids(cands, anchors)))


def _bracket_ids(text: str, mentions: list[Mention]) -> list[Mention]:
    """上海拉扎斯信息科技有限公司（饿了么）: a registered name followed by a known name in
    brackets takes that name's id (the text stays the registered name)."""
    out = list(mentions)
    for i, m in enumerate(out):
        if m.id or i + 1 >= len(out):
            continue
        nxt = out[i + 1]
        if nxt.id and text[m.end:nxt.start] in ("（", "(") and text[nxt.end:nxt.end + 1] in ("）", ")"):
            out[i] = replace(m, id=nxt.id, kind=m.kind if m.kind != "org" else nxt.kind)
    return out
