"""Keys and merging: which parties may key an event, and one event per (type, key argument,
compatible counterpart) per document, the best-filled mention supplying the sentence."""
from __future__ import annotations

from typing import Optional

from trustwatch.nlp.lexicon import KEY_ROLE, STATUS_RANK, Lexicon, TriggerEntry, words
from trustwatch.nlp.parties import Party, lookup_id, actor_kind


def good_key(p: Party, entry: TriggerEntry, lex: Lexicon) -> bool:
    """Whether a party can key an event: a name, an id, or a noun phrase headed by a party noun
    (never a bare "the company", "it" or a container whose owner the text does not say)."""
    ws = words(p.text)
    if not ws or all(w in lex.sets["empty_key_words"] for w in ws):
        return False
    if not p.id and len(ws) == 1 and ws[0] in lex.sets["platform_containers"]:
        return False  # "Account suspended", "remove accounts": whose, the text does not say
    if not p.id and len(ws) > 1 and ws[-1] in lex.sets["platform_containers"]:
        rest = [w for w in ws[:-1] if w not in ("the", "a", "an", "this", "that")]
        host = lookup_id(" ".join(rest)) if rest else None
        if host and actor_kind(host) in ("platform", "marketplace"):
            return False  # "the Twitter profile", "YouTube channels": whose, the text does not say
    if p.named or p.id:
        return True
    if entry.strict or ws[0] in lex.sets["possessives"]:
        return False
    head = ws[-1]
    return head in lex.sets["party_nouns"]


def _party_words(party: Optional[dict]) -> list[str]:
    if not party:
        return []
    return words(party.get("text") or "")


def _compatible(a: Optional[dict], b: Optional[dict]) -> bool:
    """Same party: same id, or one's words occur consecutively in the other's."""
    if not a or not b:
        return True
    if a.get("id") and b.get("id"):
        return a["id"] == b["id"]
    wa, wb = _party_words(a), _party_words(b)
    return _contains(wa, wb) or _contains(wb, wa)


def _contains(hay: list[str], needle: list[str]) -> bool:
    if not needle or len(needle) > len(hay):
        return False
    n = len(needle)
    return any(hay[i:i + n] == needle for i in range(len(hay) - n + 1))


def _filled(ev: dict) -> int:
    return sum(1 for k in ("actor", "target", "amount", "date", "reason") if ev.get(k))


def drop_generic_victims(events: list[dict]) -> list[dict]:
    """A breach sentence that names the breached company ("ABTA was hacked by X, who exposed
    the details of 43,000 people") tells one breach: the people are its victims, not another."""
    named_sents = {ev["start"] for ev in events
                   if ev["type"] == "BREACH" and ev.get("target") and ev["target"].get("named")}
    out = []
    for ev in events:
        tgt = ev.get("target") or {}
        if ev["type"] == "BREACH" and not tgt.get("named") and ev["start"] in named_sents:
            continue
        out.append(ev)
    for ev in out:
        for role in ("actor", "target"):
            if ev.get(role):
                ev[role].pop("named", None)
    return out


def merge_events(events: list[dict]) -> list[dict]:
    """One event per (type, key argument, compatible counterpart): the best-filled mention
    stays, missing roles are filled from the others, asserted beats planned beats the rest."""
    merged: list[dict] = []
    for ev in events:
        key_role = KEY_ROLE.get(ev["type"], "target")
        other_role = "target" if key_role == "actor" else "actor"
        home = None
        for cand in merged:
            if cand["type"] != ev["type"]:
                continue
            if not (cand.get(key_role) and ev.get(key_role)):
                continue
            if not _compatible(cand[key_role], ev[key_role]):
                continue
            if cand.get(other_role) and ev.get(other_role) and not _compatible(cand[other_role], ev[other_role]):
                continue
            home = cand
            break
        if home is None:
            merged.append(dict(ev))
            continue
        _absorb(home, ev)
    return merged


def _absorb(home: dict, ev: dict) -> None:
    better_status = STATUS_RANK[ev["status"]] > STATUS_RANK[home["status"]]
    first_amount = home.get("amount")  # the first stated sum is the event's amount
    conf = max(home["confidence"], ev["confidence"])
    if better_status or (_filled(ev) > _filled(home) and ev["status"] == home["status"]):
        # the better mention supplies the sentence; keep the union of roles
        for k in ("actor", "target", "amount", "date", "reason"):
            if not ev.get(k) and home.get(k):
                ev[k] = home[k]
        home.clear()
        home.update(ev)
        if first_amount:
            home["amount"] = first_amount
    else:
        for k in ("actor", "target", "amount", "date", "reason"):
            if not home.get(k) and ev.get(k):
                home[k] = ev[k]
    # a fact told more than once is a little more certain
    home["confidence"] = round(min(0.99, conf + 0.02), 3)
