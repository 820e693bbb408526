"""trustwatch's spaCy components and the names other code imports from one place.

Importing this module registers the factories (`trustwatch_actors`, `trustwatch_paragraphs`,
`trustwatch_events`). The work itself lives in modules named for what they do: `lexicon`
(trigger entries, cue lists), `syntax` (parse walks), `parties` (parties and anaphora),
`roles`, `status`, `mentions`, `attachments` (sums, dates, reasons), `merging`, `events` and
`pipes`.
"""
from __future__ import annotations

from trustwatch.nlp.attachments import amount_near, date_near, published_of, reason_of
from trustwatch.nlp.events import EventExtractor
from trustwatch.nlp.lexicon import (ACTOR_LABEL, AMOUNT_TYPES, KEY_ROLE, STATUS_RANK, Lexicon,
                                    TriggerEntry, lexicon_from_data, load_lexicon, words)
from trustwatch.nlp.mentions import Mention, find_mention
from trustwatch.nlp.merging import good_key, merge_events
from trustwatch.nlp.parties import DocContext, Party, actor_kind, lookup_id, resolve_parties
from trustwatch.nlp.pipes import (gazetteer_patterns, make_actor_ruler, make_event_extractor,
                                  mark_paragraphs)
from trustwatch.nlp.roles import read_roles
from trustwatch.nlp.status import event_status, light_status

__all__ = [
    "ACTOR_LABEL", "AMOUNT_TYPES", "KEY_ROLE", "STATUS_RANK", "DocContext", "EventExtractor",
    "Lexicon", "Mention", "Party", "TriggerEntry", "actor_kind", "amount_near", "date_near",
    "event_status", "find_mention", "gazetteer_patterns", "good_key", "lexicon_from_data",
    "light_status", "load_lexicon", "lookup_id", "make_actor_ruler", "make_event_extractor",
    "mark_paragraphs", "merge_events", "published_of", "read_roles", "reason_of",
    "resolve_parties", "words",
]
