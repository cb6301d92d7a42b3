"""The matcher's documents built straight from a data set, for tests and training.

The bot builds them from the database (`bot/answering.py`); tests and the training script
build the same documents from the bundled seed without a database.
"""

from bot.matching import EventDocument
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
