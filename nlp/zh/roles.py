"""Who did what to whom in a Chinese clause, from word order and role markers.

    X被Y罚款 / X遭Y立案调查        passive: X is the target, Y the actor
    Y对X罚款 / Y将X下架 / Y把X…     object marker: X is the target, Y the actor
    X向Y道歉 / X向Y赔付            receiver: Y is the target of an apology or a payout
    Y屏蔽X / X起诉Y                plain order: subject acts, object undergoes
    据Z报道 / Z获悉                Z is the source of the report, never a party
Where no named party fills a role, a short noun phrase does (一名男子, 涉事商家); a pronoun
(其, 该公司) stands for the last party named before it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

from trustwatch.nlp.zh.entities import Mention
from trustwatch.nlp.zh.lexicon import Trigger, ZhLexicon

_CLAUSE_BREAK_RX = re.compile(r"[，,：:（）()\s]")
_LATIN_NAME_RX = re.compile(r"[A-Za-z][A-Za-z0-9.&\-]{1,30}")
_LIST_JOIN_RX = re.compile(r"^[\s”」』]*(?:、|和|及|以及|与|跟|或|，)?[\s“「『]*$")
#: types whose actor is normally an authority: prefer one when several parties precede
AUTHORITY_ACTOR_TYPES = frozenset({"FINE", "INVESTIGATION"})
#: jieba tags of a person's or organisation's name
PROPER_NOUN_TAGS = frozenset({"nr", "nrt", "nrfg", "nt", "nz"})
_CN_DIGITS = frozenset("零〇一二两三四五六七八九十百千万亿")
#: between a subject and a fine: the subject imposes it (足协开出罚单, 市监局作出处罚)
_ISSUE_RX = re.compile(r"开出|开具|作出|做出|处以|下达|下发|发出")
#: types whose subject is the target when no marker says otherwise (X数据泄露, X售假)
SUBJECT_IS_TARGET = frozenset({"BREACH"})


@dataclass(frozen=True)
class Party:
    start: int
    end: int
    text: str
    id: Optional[str] = None
    authority: bool = False
    named: bool = True  # a gazetteer/form mention rather than a bare noun phrase
    kind: str = "org"


@dataclass
class Roles:
    actor: Optional[Party]
    targets: list[Party]
    reason: Optional[str] = None
    ordered: bool = False  # a court or regulator ordered it (判决X赔偿): planned
    extra_actors: list[Party] = field(default_factory=list)  # X从A、B下架: one event each


def _same_party(m, other) -> bool:
    if other is None:
        return False
    if m.id and other.id:
        return m.id == other.id
    return m.start == other.start or m.text == other.text


def _party(m: Mention) -> Party:
    return Party(m.start, m.end, m.text, m.id, m.authority, True, m.kind)


class RoleFinder:
    """Role assignment for one document (Simplified text, its parties and sources)."""

    def __init__(self, text: str, mentions: Sequence[Mention], lex: ZhLexicon):
        self.text = text
        self.lex = lex
        self.sources = [m for m in mentions if self._is_source(m)]
        self.parties = [m for m in mentions if m not in self.sources and not self._is_venue(m)
                        and not self._is_modifier(m)]
        self.modifiers = [m for m in mentions if m not in self.sources and self._is_modifier(m)]
        self.notice_party = self._find_notice_party()
        self.issuer = self._find_issuer()
        self.author = self._find_author()

    # ---------------------------------------------------------------- document-level parties
    def _find_notice_party(self) -> Optional[Mention]:
        """当事人：XX公司 / 当事人XX公司: the party a legal notice is about."""
        for word in self.lex.notice_party_words:
            for m in re.finditer(re.escape(word) + r"[：:\s]{0,2}", self.text):
                hit = next((p for p in self.parties if p.start == m.end() and not p.authority), None)
                if hit is not None:
                    return hit
        return None

    def _find_author(self) -> Optional[Mention]:
        """The @account a post opens with (a line starting @淘宝：…)."""
        for m in self.parties:
            line_start = self.text.rfind("\n", 0, m.start) + 1
            if self.text[line_start:m.start].strip() in ("@", "【@"):
                return m
        return None

    def _find_issuer(self) -> Optional[Mention]:
        """The authority a notice comes from: the first named in its first line, else in the text."""
        line_end = self.text.find("\n")
        auth = [m for m in self.parties if m.authority and not m.generic]
        first_line = [m for m in auth if line_end < 0 or m.end <= line_end]
        return (first_line or auth or [None])[0]

    def topic(self, before: int, type_: str, exclude: Optional[Party]) -> Optional[Party]:
        """The party the document is about, for a trigger whose clause names none: the notice's
        party, else the most-mentioned (then first-named) non-authority party before `before`
        (for a ban, not a platform or marketplace: they ban, they are rarely banned)."""
        if self.notice_party is not None and self.notice_party.start < before \
                and not _same_party(self.notice_party, exclude):
            return _party(self.notice_party)
        counts: dict = {}
        first: dict = {}
        for m in self.parties:
            if m.end > before or m.authority or m.generic or _same_party(m, exclude):
                continue
            if type_ == "BAN" and m.kind in ("platform", "marketplace"):
                continue
            k = m.id or m.text
            counts[k] = counts.get(k, 0) + 1
            first.setdefault(k, m)
        if not counts:
            return None
        best = max(counts, key=lambda k: (counts[k], -first[k].start))
        return _party(first[best])

    def resolve_reference(self, p: Party, type_: str, exclude: Optional[Party]) -> Optional[Party]:
        """上述账号 / 涉事店铺 / 该店铺 (a bare phrase referring back): the party named before it
        that is not the actor, else the document's topic party."""
        rx = self.lex.back_reference
        if p.named or rx is None or not rx.match(p.text):
            return None
        for m in reversed(self.parties):
            if m.end > p.start or m.authority or m.generic or _same_party(m, exclude):
                continue
            if type_ == "BAN" and m.kind in ("platform", "marketplace"):
                continue
            return _party(m)
        return None

    # ---------------------------------------------------------------- helpers
    def _is_source(self, m: Mention) -> bool:
        before = self.text[max(0, m.start - 3):m.start]
        if any(before.endswith(w) for w in self.lex.source_before):
            return True
        after = self.text[m.end:m.end + 8]
        return any(rx.match(after) for rx in self.lex.source_after)

    def _is_venue(self, m: Mention) -> bool:
        """在微博发文, 通过官方微博, 在淘宝开设的店铺: a platform where something happened."""
        if m.kind not in ("platform", "marketplace") or self.lex.venue_before is None:
            return False
        return bool(self.lex.venue_before.search(self.text[max(0, m.start - 3):m.start]))

    def _is_modifier(self, m: Mention) -> bool:
        """快手主播“林小满”: the platform only says where the streamer works."""
        if m.kind not in ("platform", "marketplace") or self.lex.modifier_after is None:
            return False
        return bool(self.lex.modifier_after.match(self.text[m.end:m.end + 6]))

    def _within(self, lo: int, hi: int) -> list[Mention]:
        return [m for m in self.parties if lo <= m.start and m.end <= hi]

    def clause(self, ss: int, se: int, ts: int, te: int) -> tuple[int, int]:
        cs = ss
        for m in _CLAUSE_BREAK_RX.finditer(self.text, ss, ts):
            if not self._inside_name(m.start()):  # 速达网络科技（北京）有限公司: one name
                cs = m.end()
        ce = se
        for m in _CLAUSE_BREAK_RX.finditer(self.text, te, se):
            if not self._inside_name(m.start()):
                ce = m.start()
                break
        return cs, ce

    def _inside_name(self, pos: int) -> bool:
        return any(p.start < pos < p.end - 1 for p in self.parties)

    def _last_marker(self, words: Sequence[str], lo: int, hi: int) -> Optional[tuple[int, int]]:
        best = None
        for w in words:
            p = self.text.rfind(w, lo, hi)
            if p >= 0 and (best is None or p > best[0]):
                best = (p, p + len(w))
        return best

    def _group(self, first: Mention, hi: int) -> list[Mention]:
        """`first` and the parties listed right after it (淘宝、京东和拼多多) before `hi`."""
        group = [first]
        for m in self.parties:
            if m.start >= group[-1].end and m.end <= hi and \
                    _LIST_JOIN_RX.match(self.text[group[-1].end:m.start] or "x"):
                group.append(m)
        return group

    def _prefer(self, cands: list[Mention], authority: Optional[bool]) -> Optional[Mention]:
        """The nearest (last) candidate, an authority first when asked for (or a non-authority
        when authority is False)."""
        if not cands:
            return None
        if authority is not None:
            pick = [m for m in cands if m.authority == authority and not m.generic]
            if pick:
                return pick[-1]
        return cands[-1]

    def _pronoun_at(self, lo: int, hi: int) -> Optional[int]:
        seg = self.text[lo:hi]
        for p in sorted(self.lex.pronouns, key=len, reverse=True):
            i = seg.find(p)
            if i >= 0 and i <= 2:
                return lo + i
        return None

    def _pronoun_np(self, pos: int) -> Optional[Party]:
        """该店铺 with nothing named before it: the phrase itself, when it has a head noun."""
        word = next((p for p in sorted(self.lex.pronouns, key=len, reverse=True)
                     if self.text.startswith(p, pos)), "")
        if len(word) >= 3 and word.endswith(self.lex.np_heads):
            return Party(pos, pos + len(word), word, None, False, False)
        return None

    def _antecedent(self, pos: int, exclude: Optional[Party]) -> Optional[Party]:
        """The last party named before a pronoun: a person for 该主播/他/她, an organisation
        for 该公司/该平台/该店铺, anyone but an authority for 其; never the actor itself."""
        word = next((p for p in sorted(self.lex.pronouns, key=len, reverse=True)
                     if self.text.startswith(p, pos)), "")
        if word in self.lex.notice_party_words:
            m = self.notice_party
            return _party(m) if m is not None and not _same_party(m, exclude) else None
        if word in self.lex.first_person:
            m = self.author
            return _party(m) if m is not None and not _same_party(m, exclude) else None
        if word in self.lex.issuer_words:
            m = self.issuer
            return _party(m) if m is not None and not _same_party(m, exclude) else None
        person = word in ("该主播", "该网红", "他", "她", "他们", "她们")
        org = word.startswith("该") and not person
        owner = word == "其" and self.lex.owner_after is not None \
            and bool(self.lex.owner_after.match(self.text[pos + 1:pos + 8]))
        for m in reversed(self.parties):
            if m.end > pos or m.authority or _same_party(m, exclude):
                continue
            if person and m.kind != "person" or org and m.kind == "person":
                continue
            if (owner or word in self.lex.held_pronouns) and m.kind in ("platform", "marketplace"):
                continue  # 其账号/该店铺: the account or shop holder, not the platform
            return _party(m)
        return None

    def _np(self, lo: int, hi: int) -> Optional[Party]:
        """A short noun phrase in [lo, hi): leading dates/adverbs trimmed, cut at a verb or
        marker; None for a pronoun or a word that names nobody."""
        seg = self.text[lo:hi]
        lead = self.lex.np_lead.match(seg)
        off = lead.end() if lead else 0
        seg = seg[off:]
        stop = self.lex.np_stop.search(seg)
        if stop:
            seg = seg[:stop.start()]
        seg = seg.rstrip("的了")
        if not _LATIN_NAME_RX.fullmatch(seg):
            # the phrase ends with its head noun: 社会公众诚恳 -> 社会公众
            ends = [seg.rfind(h) + len(h) for h in self.lex.np_heads if h in seg]
            if not ends:
                return self._proper_noun(lo + off, seg)  # 决定书, 人民币6203万元: not a party
            seg = seg[:max(ends)]
        if len(seg) > self.lex.np_max:
            return None
        if len(seg) < 2 or seg in self.lex.non_names or seg in self.lex.pronouns:
            return None
        start = lo + off
        return Party(start, start + len(seg), seg, None, False, False)

    def _proper_noun(self, start: int, seg: str) -> Optional[Party]:
        """The last word jieba tags as a person's or organisation's name in a phrase without a
        party head (约基奇直摇头马龙赛后 -> 马龙): a name the gazetteer cannot list."""
        if not seg:
            return None
        import jieba.posseg

        pos = start
        best = None
        quoted = 0
        for word, tag in jieba.posseg.lcut(seg):
            quoted += word.count("“") + word.count("「") - word.count("”") - word.count("」")
            nxt = self.text[pos + len(word):pos + len(word) + 1]
            if tag in PROPER_NOUN_TAGS and len(word) >= 2 and word not in self.lex.non_names \
                    and quoted <= 0 and not (nxt.isdigit() or nxt in _CN_DIGITS):
                best = Party(pos, pos + len(word), word, None, False, False)
            pos += len(word)
        return best

    def _slot(self, lo: int, hi: int, want_authority: Optional[bool], exclude: Optional[Party],
              many: bool = True) -> list[Party]:
        """The party or parties named in [lo, hi); a pronoun's antecedent; a noun phrase."""
        p = self._pronoun_at(lo, min(hi, lo + 2))
        if p is not None:
            ante = self._antecedent(p, exclude) or self._pronoun_np(p)
            return [ante] if ante else []
        inside = [m for m in self._within(lo, hi) if not _same_party(m, exclude)]
        if want_authority is not None:
            inside = [m for m in inside if m.authority == want_authority] or inside
        if inside:
            group = self._group(inside[0], hi) if many else [inside[0]]
            return [_party(m) for m in group]
        p = self._pronoun_at(lo, hi)
        if p is not None:
            ante = self._antecedent(p, exclude) or self._pronoun_np(p)
            return [ante] if ante else []
        np_ = self._np(lo, hi)
        return [np_] if np_ else []

    def _subject(self, ss: int, cs: int, hi: int, want_authority: Optional[bool],
                 exclude: Optional[Party] = None) -> Optional[Party]:
        """The party acting before `hi`: in the clause first, then earlier in the sentence."""
        for lo in (cs, ss):
            cands = [m for m in self._within(lo, hi)
                     if exclude is None or m.start != exclude.start]
            if cands:
                return _party(self._prefer(cands, want_authority))
        p = self._pronoun_at(cs, hi)
        if p is not None:
            return self._antecedent(p, exclude)
        return self._np(cs, hi)

    # ---------------------------------------------------------------- the rules
    def assign(self, trig: Trigger, ss: int, se: int, ts: int, te: int) -> Roles:
        cs, ce = self.clause(ss, se, ts, te)
        kind = trig.type
        auth = True if kind in AUTHORITY_ACTOR_TYPES else (
            False if kind in ("APOLOGY", "COMPENSATION") else None)
        lex = self.lex

        if trig.plain:  # X诉Y
            actor = self._subject(ss, cs, ts, None)
            return Roles(actor, self._object(te, ce, actor))

        if trig.from_marker:  # X已从华为、小米等应用商店下架: each store removed X
            frm = self._last_marker(("从",), cs, ts)
            stores = self._within(frm[1], ts) if frm else []
            if stores:
                group = self._group(stores[0], ts)
                targets = self._before(cs, frm[0], None) or self._before(ss, frm[0], None)
                # 工信部通报后，X已从应用商店下架: the authority reported it, it was not removed
                targets = [t for t in targets if not t.authority]
                return Roles(_party(group[0]), targets,
                             extra_actors=[_party(m) for m in group[1:]])

        # 被罚/被封/被指 carry their own passive marker
        if trig.text.startswith(tuple(lex.passive)):
            passive: Optional[tuple[int, int]] = (ts, ts + 1)
        else:
            passive = self._last_marker(lex.passive, cs, ts)
        if passive:
            actor = None
            between = self._within(passive[1], ts)
            if between:
                actor = _party(self._prefer(between, auth))
            # the target is named before 被: in the clause, else earlier in the sentence
            targets = self._before(cs, passive[0], actor) or self._before(ss, passive[0], actor)
            if not targets:
                p = self._antecedent(passive[0], actor)
                targets = [p] if p else []
            if trig.passive_target and actor is None:
                actor = self._authority_before(ss, passive[0])
            if actor is None and kind == "BAN":
                # X的快手账号和微博账号均被注销: each platform removed the account it holds
                hosts = [m for m in self.modifiers if cs <= m.start and m.end <= passive[0]]
                if hosts:
                    return Roles(_party(hosts[0]), targets, extra_actors=[_party(m) for m in hosts[1:]])
            return Roles(actor, targets)

        if kind in ("APOLOGY", "COMPENSATION"):
            ordered = self._last_marker(lex.order_markers, cs, ts)
            if ordered is None and not self._within(cs, ts) and self._pronoun_at(cs, ts) is None:
                # 判决X向消费者退一赔三，…，并公开赔礼道歉: the order reaches the later clauses
                ordered = self._last_marker(lex.order_markers, ss, cs)
            if ordered:  # 判决X向消费者退一赔三: X pays
                payer = self._slot(ordered[1], ts, False, None, many=False)
                if payer:
                    to = self._last_marker(lex.to_markers, ordered[1], ts)
                    receivers = self._slot(to[1], ts, None, payer[0]) if to else \
                        self._object(te, ce, payer[0])  # 判决X赔偿京东损失: the one paid
                    return Roles(payer[0], receivers, ordered=True)

        obj = self._last_marker(lex.object_markers, cs, ts)
        if obj and self.text[obj[0]:obj[1]] == "将" and not self._disposal(obj[1], ts):
            obj = None
        if obj:
            # 对A涉嫌对B进行…立案调查: the 对 inside A's alleged conduct is not the object
            earlier = self._last_marker(lex.object_markers, ss, obj[0])
            if earlier and "涉嫌" in self.text[earlier[1]:obj[0]]:
                obj = earlier
        if obj:
            targets = self._slot(obj[1], ts, False, None)
            actor = self._subject(ss, cs, obj[0], auth, targets[0] if targets else None)
            if targets:
                return Roles(actor, targets)

        to = self._last_marker(lex.to_markers, cs, ts)
        if to:
            actor = self._subject(ss, cs, to[0], auth)
            if trig.to_marker == "target":
                return Roles(actor, self._slot(to[1], ts, None, actor))
            return Roles(actor, self._object(te, ce, actor))

        if trig.passive_target or kind in SUBJECT_IS_TARGET:
            subj = self._subject(ss, cs, ts, False)
            if subj is not None and not subj.authority:
                return Roles(self._authority_before(ss, subj.start), [subj])
            # 销售假冒某品牌 / 涉嫌对商家…: what follows an accusation word is the goods, the
            # brand or the victim, never the one accused
            return Roles(subj if subj and subj.authority else None,
                         [] if trig.passive_target else self._object(te, ce, None))

        actor = self._subject(ss, cs, ts, auth)
        targets = self._object(te, ce, actor)
        if not targets and actor is not None:
            # 处X…罚款 / 决议处蝦皮购物200万元罚锾: the object stands before the trigger
            mid = [m for m in self._within(actor.end, ts) if not m.authority]
            if mid:
                targets = [_party(mid[0])]
            elif auth and not actor.authority and not _ISSUE_RX.search(self.text[actor.end:ts]):
                # 拼多多或将面临罚款: a company as subject of a fine is the one fined
                return Roles(None, [actor])
        return Roles(actor, targets)

    def _before(self, lo: int, hi: int, exclude: Optional[Party]) -> list[Party]:
        """The party nearest before `hi` (快手主播林小满被罚: 林小满) with the list it ends
        (淘宝、京东被…); a pronoun's antecedent; a noun phrase."""
        inside = [m for m in self._within(lo, hi) if not _same_party(m, exclude)]
        inside = [m for m in inside if not m.authority] or inside
        if inside:
            group = [inside[-1]]
            for m in reversed(inside[:-1]):
                if _LIST_JOIN_RX.match(self.text[m.end:group[0].start] or "x"):
                    group.insert(0, m)
                else:
                    break
            return [_party(m) for m in group]
        return self._slot(lo, hi, False, exclude)

    def _authority_before(self, ss: int, hi: int) -> Optional[Party]:
        """The authority that found or said it (法院认定X…, 经查…): the accuser, if any."""
        cands = [m for m in self._within(ss, hi) if m.authority]
        return _party(cands[-1]) if cands else None

    def _disposal(self, after: int, ts: int) -> bool:
        """将 marks the object (将X下架) when a party, a pronoun or 其/该 follows it."""
        if any(m.start == after for m in self.parties):
            return True
        return bool(self.lex.disposal_after.match(self.text[after:ts]))

    def _object(self, te: int, ce: int, actor: Optional[Party]) -> list[Party]:
        """The party or parties right after the trigger, in its clause."""
        lo = te
        while lo < ce and self.text[lo] in "了过的对其向":
            if self.text[lo] in "其":
                break
            lo += 1
        return [p for p in self._slot(lo, ce, None, actor) if not _same_party(p, actor)]
