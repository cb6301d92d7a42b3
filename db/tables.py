"""The tables, for the reads every answer waits for: plain column queries on them.

A card and the matcher's events are read on the tables, not the ORM entities: every answer
with a card waits for the read, a new process's first one too, and ORM entities would cost
configuring every model's mapper and building objects only to copy them into views (about a
tenth of a cold `claimbot ask`).
"""

from db.models import (
    Appearance,
    Assessment,
    Claim,
    ClaimTranslation,
    Document,
    Event,
    EventAlias,
    EventLink,
    EventTranslation,
    Source,
)

EVENTS = Event.__table__
ALIASES = EventAlias.__table__
CLAIMS = Claim.__table__
SOURCES = Source.__table__
APPEARANCES = Appearance.__table__
ASSESSMENTS = Assessment.__table__
DOCUMENTS = Document.__table__
LINKS = EventLink.__table__
EVENT_TRANSLATIONS = EventTranslation.__table__
CLAIM_TRANSLATIONS = ClaimTranslation.__table__
# What a card and the matcher both read of an event.
EVENT_FIELDS = (
    EVENTS.c.id,
    EVENTS.c.slug,
    EVENTS.c.title,
    EVENTS.c.summary,
    EVENTS.c.place,
    EVENTS.c.region,
    EVENTS.c.country,
    EVENTS.c.start_date,
    EVENTS.c.end_date,
    EVENTS.c.date_note,
)
