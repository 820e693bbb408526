"""Roles of a trigger read off the dependency parse: active and passive voice, "by" agents,
prepositions, light verbs for nouns ("X imposed a fine", "Y faces a probe"), containers
("links to Taobao"), "according to" sources and, for a breach, the speaker who discloses it."""
from __future__ import annotations

from typing import Iterable, Optional

from spacy.tokens import Token

from trustwatch.nlp.lexicon import KEY_ROLE, TriggerEntry
from trustwatch.nlp.parties import (DocContext, Party, actor_kind, is_anaphor, is_state, norm_key,
                                    reporting_source, resolve_parties)
from trustwatch.nlp.syntax import according_to, children_with, is_dateline, prep_objects, subject_of


def read_roles(token: Token, entry: TriggerEntry, clause: Optional[Token],
               ctx: DocContext) -> tuple[list[Party], list[Party]]:
    """(actors, targets) of one trigger, before the key argument is checked."""
    lex = ctx.lex
    roles = entry.roles
    actors: list[Party] = []
    targets: list[Party] = []
    place_actors: list[Party] = []

    def put(role: Optional[str], tokens: Iterable[Token]) -> None:
        for tok in tokens:
            if role == "target" and tok.pos_ == "PRON" and (
                    entry.no_pronoun_target or tok.lower_ in lex.sets["speaker_pronouns"]):
                continue
            parties = resolve_parties(tok, ctx)
            if parties and reporting_source(tok, lex):
                # "according to Wired", "404 Media reports", "told Reuters": the source
                parties = [p for p in parties if not lex.is_outlet(p.text)]
            if role == "actor":
                actors.extend(parties)
            elif role == "target":
                targets.extend(parties)
            elif role == "actor_place":
                place_actors.extend(p for p in parties if p.label in lex.sets["place_labels"]
                                    or actor_kind(p.id) in ("government", "regulator"))
            elif role == "actor_named":
                actors.extend(p for p in parties if p.named)
            elif role == "target_or_actor":
                # "Pingrong's suspension" names the target, "Brazil's ban" the actor
                for p in parties:
                    (actors if is_state(p, lex) and p.named else targets).append(p)
            elif role == "actor_or_target":
                for p in parties:
                    kind = actor_kind(p.id)
                    if kind in ("regulator", "court", "government") or p.label == "GPE":
                        actors.append(p)
                    else:
                        targets.append(p)

    is_verb = token.pos_ in ("VERB", "AUX")
    if is_verb:
        subj, passive = None, False
        for child in token.children:
            if child.dep_ in ("nsubj", "nsubjpass") and not is_dateline(child):
                subj, passive = child, child.dep_ == "nsubjpass"
        if subj is None:
            subj, passive = subject_of(token)
            if token.dep_ == "acl" and token.tag_ == "VBN":
                passive = True
        if subj is not None:
            put(roles.get("nsubjpass" if passive else "nsubj"), [subj])
            # "Indonesia, along with Malaysia and the Philippines, banned …"
            for prep in children_with(token, ("prep",)):
                if prep.lower_ in ("along", "together"):
                    objs = [w for w in prep.subtree if w.dep_ == "pobj"][:1]
                    put(roles.get("nsubjpass" if passive else "nsubj"), objs)
        dobjs = children_with(token, ("dobj",))
        before = len(targets)
        put(roles.get("dobj"), dobjs)
        if roles.get("dobj") == "target" and not any(t.named for t in targets[before:]) and any(
                (d.lower_ in lex.sets["containers"] or d.lemma_.lower() in lex.sets["containers"])
                and d.lower_ not in lex.sets["platform_containers"] for d in dobjs):
            # "blocking links to Taobao": the owner hangs on the verb, not on "links"
            owners: list[Token] = []
            for prep in ("to", "on", "for", "of"):
                owners += prep_objects(token, prep)
            if owners:
                del targets[before:]
                put("target", owners)
        put(roles.get("dative"), children_with(token, ("dative",)))
        if passive or token.tag_ == "VBN":
            for agent in children_with(token, ("agent",)):
                put(roles.get("agent"), children_with(agent, ("pobj",)))
        if "ccomp_subj" in roles:
            for cc in children_with(token, ("ccomp",)):
                put(roles["ccomp_subj"], children_with(cc, ("nsubj", "nsubjpass")))
        if "gov_subj" in roles and token.dep_ in ("ccomp", "xcomp") and token.head.i != token.i:
            # "regulators said Binance had deceived customers": the speaker accuses
            speaker, _ = subject_of(token.head)
            if speaker is not None:
                put(roles["gov_subj"], [speaker])
    elif token.pos_ == "ADV":
        if "head_subj" in roles:
            subj, _ = subject_of(token.head)
            if subj is not None:
                put(roles["head_subj"], [subj])
    else:
        for child in token.children:
            if child.dep_ == "poss":
                put(roles.get("poss"), [child])
            elif child.dep_ == "compound" and child.i in ctx.ent_of:
                put(roles.get("compound"), [child])
            elif child.dep_ == "acl" and "acl_obj" in roles and child.lemma_ in lex.sets["acl_target_verbs"]:
                put(roles["acl_obj"], children_with(child, ("dobj",)))
            elif child.dep_ == "acl" and child.tag_ == "VBN":
                # "a lawsuit brought by X against Y"
                for agent in children_with(child, ("agent",)):
                    put("actor", children_with(agent, ("pobj",)))
                for prep, role in roles.items():
                    if prep.startswith("prep:"):
                        put(role, prep_objects(child, prep[5:]))
        if "ccomp_subj" in roles:
            for cc in token.children:
                if cc.dep_ in ("ccomp", "acl"):
                    put(roles["ccomp_subj"], children_with(cc, ("nsubj", "nsubjpass")))
        # compound of a noun: "data breach payouts" -> the head noun's possessor
        if token.dep_ == "compound" and token.head.pos_ in ("NOUN", "PROPN"):
            for child in token.head.children:
                if child.dep_ == "poss":
                    put(roles.get("poss"), [child])
        # light verb: "X imposed a fine", "X suffered a breach", "Y faces a probe"
        rel = token.head if token.dep_ == "compound" else token
        if rel.dep_ == "pobj" and rel.head.lower_ == "of" \
                and rel.head.head.lemma_.lower() in lex.sets["quantity_nouns"]:
            rel = rel.head.head  # "faced a string of lawsuits": the count stands for the lawsuits
        direct = rel.dep_ in ("dobj", "nsubj", "nsubjpass", "attr", "oprd", "dative", "acomp") or (
            rel.dep_ == "pobj" and rel.head.head == clause
            and token.head.lower_ in ("in", "with", "to", "into", "under", "by", "for"))
        if clause is not None and clause.i != token.i and direct:
            lv = lex.light.get(entry.type, {})
            lemma = clause.lemma_.lower()
            subj, passive = subject_of(clause)
            relation = rel.dep_
            if subj is not None and subj.i != token.i and not (relation in ("nsubj", "nsubjpass")):
                if lemma in lv.get("actor", ()) and not passive:
                    put("actor", [subj])
                elif lemma in lv.get("target", ()) or (lemma in lv.get("actor", ()) and passive):
                    put("target", [subj])

            if relation in ("nsubj", "nsubjpass"):
                # "the fine was imposed on X by Y"; "a breach hit X"
                put("target", children_with(clause, ("dobj",)) if lemma in lex.sets["impact_verbs"] else [])
            if lemma in lv.get("actor", ()):
                put("target", children_with(clause, ("dative",)))
            for prep, role in roles.items():
                if prep.startswith("prep:") and role in ("target", "actor"):
                    if prep[5:] in ("against", "on", "into", "at", "to", "from", "with"):
                        put(role, prep_objects(clause, prep[5:]))
            for agent in children_with(clause, ("agent",)):
                # "the fine was imposed by X"; "Apple was hit with a fine by the EU"
                if relation == "nsubjpass" or (relation == "pobj" and passive
                                               and rel.head.dep_ != "agent"):
                    put("actor", children_with(agent, ("pobj",)))
            # "was hit by a data breach": trigger under the agent of a passive verb
            if relation == "pobj" and token.head.dep_ == "agent" and subj is not None and passive:
                put("target", [subj])
    for prep, role in roles.items():
        if prep.startswith("prep:"):
            put(role, prep_objects(token, prep[5:]))
            if not is_verb and role == "target" and prep[5:] in ("against", "into", "on"):
                # "a lawsuit for defamation against X": the parser hangs the party on the reason
                for why in prep_objects(token, "for") + prep_objects(token, "over"):
                    put(role, prep_objects(why, prep[5:]))
            if not is_verb:
                # "a fine of 10 million euros on TikTok": the role hangs on the sum
                for of in prep_objects(token, "of"):
                    if of.ent_type_ in ("MONEY", "CARDINAL", "QUANTITY") or of.like_num \
                            or of.lemma_.lower() in lex.sets["sum_words"]:
                        put(role, prep_objects(of, prep[5:]))
    if entry.speaker_is_target and not any(t.named for t in targets):
        # "Staylane said hackers stole guests' data in a breach": the speaker is the victim
        cur = token
        for _ in range(6):
            if cur.head.i == cur.i:
                break
            parent = cur.head
            if cur.dep_ in ("ccomp", "xcomp") and parent.lemma_.lower() in lex.sets["disclosure_verbs"]:
                subj, _ = subject_of(parent)
                if subj is not None:
                    put("target", [subj])
                break
            cur = parent
    if not actors:
        put("actor", according_to(token))
    if not actors and place_actors:
        actors = place_actors
    trig_i = token.i
    actors = [a for a in actors if a.start != trig_i]
    targets = [t for t in targets if t.start != trig_i]
    # a party cannot be its own counterpart: the key argument wins
    if KEY_ROLE.get(entry.type, "target") == "target":
        # "Amazon suspended our account": a pronoun resolved to the actor itself names
        # nobody (the writer, not the platform)
        actor_keys = {norm_key(a) for a in actors}
        targets = [t for t in targets if not (
            norm_key(t) in actor_keys and (token.doc[t.start].pos_ == "PRON"
                                            or is_anaphor(token.doc[t.start], lex)))]
        target_keys = {norm_key(t) for t in targets}
        actors = [a for a in actors if norm_key(a) not in target_keys]
    else:
        actor_keys = {norm_key(a) for a in actors}
        targets = [t for t in targets if norm_key(t) not in actor_keys]
    return actors, targets
