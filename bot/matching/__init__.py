"""Matching a question to an event: the public face of the matcher package.

Modules, one concern each: `text` (folding), `lexicon`, `dates`, `gazetteer`, `typos`,
`terms`, `documents` (what the matcher knows of an event), `index`, `question` (reading a
question), `ranking` (candidate events), `matcher` (the evidence for each candidate event),
`decision` (answer, offer or no match), `cache` (start-up cache).
"""

from bot.matching.decision import Candidate, Decision, MatchResult
from bot.matching.documents import (
    Alias,
    EventDocument,
    event_document,
)
from bot.matching.matcher import Matcher
from bot.matching.question import MAX_QUESTION_CHARS

__all__ = [
    "MAX_QUESTION_CHARS",
    "Alias",
    "Candidate",
    "Decision",
    "EventDocument",
    "MatchResult",
    "Matcher",
    "event_document",
]
