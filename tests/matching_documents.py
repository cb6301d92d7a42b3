"""The matcher's documents built straight from a data set, for tests and training.

The bot builds them from the database (`bot/answering.py`); tests and the training script
build the same documents from the bundled seed without a database.
"""

import datetime as dt

from bot.matching import Alias, EventDocument
from bot.matching.documents import event_document
from db.dataset_schema import DataSet


def event_documents_from_dataset(dataset: DataSet) -> list[EventDocument]:
    """The matcher's view of a data set (the seed, an import), as the bot builds it from the DB."""
    claims: dict[str, set[str]] = {}
    for claim in dataset.claims:
        texts = claims.setdefault(claim.event, set())
        texts.update((claim.claimant, claim.summary))
        if claim.quote:
            texts.add(claim.quote)
    return [
        event_document(
            event,
            claims.get(event.slug, ()),
            ((link.event, link.relation.value) for link in event.related),
        )
        for event in dataset.events
    ]


def strike_at(index: int, town: str, claims: tuple[str, ...] = ()) -> EventDocument:
    """A made-up strike in `town` on a day of its own, with "Local officials" and `claims`
    among its claims."""
    day = dt.date(2023, 1, 1) + dt.timedelta(days=index)
    return EventDocument(
        slug=f"strike-{index}",
        title=f"Strike in {town}",
        summary=f"Reported strike in {town}; casualty figures are disputed.",
        place=town,
        region=None,
        country=None,
        start_date=day,
        end_date=day,
        aliases=(Alias(town, None, "name"), Alias(f"{town} strike", "en", "keyword")),
        claim_terms=("Local officials", *claims),
    )
