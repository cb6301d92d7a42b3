"""Candidate events for a question: the events holding its rarer terms, ranked by what those
terms alone say, before the matcher weighs the evidence about the leading ones.

An event's rank is the sum over the question's terms it holds of similarity × weight / events
holding the term (a rarer term says more); terms held by more than CANDIDATE_DF events only
rescore candidates. Events of equal rank keep the order in which the terms brought them in.
"""

import heapq

from bot.matching.index import CANDIDATE_DF, Index, IndexedEvent
from bot.matching.question import Query

MAX_CANDIDATES = 60
# From this many events held by the question's terms in all, they are ranked with numpy, on
# the terms' arrays (`Index.posting_arrays`); fewer are ranked in dicts, so a small index
# never imports numpy. At a million aliases two terms of 600-700 events each took 0.66 ms in
# dicts, their entries scattered over the heap.
NUMPY_RANKING = 500


def candidates(index: Index, query: Query) -> list[IndexedEvent]:
    """The events the matcher weighs the evidence about, likeliest first."""
    if len(index.events) <= MAX_CANDIDATES:
        return list(index.events.values())
    terms = [
        (term, similarity)
        for unit in query.units
        for term, similarity in unit.matches
        if len(index.postings[term]) <= CANDIDATE_DF
    ]
    if sum(len(index.postings[term]) for term, _ in terms) >= NUMPY_RANKING:
        best = _ranked_in_arrays(index, terms)
    else:
        best = _ranked_in_dicts(index, terms)
    return [index.by_id[event_id] for event_id in best]


def _ranked_in_dicts(index: Index, terms: list[tuple[str, float]]) -> list[int]:
    ranked: dict[int, float] = {}
    for term, similarity in terms:
        posting = index.postings[term]
        size = len(posting)
        # A term's events hold it with a few field weights: each event's score is looked up
        # in C, not worked out in Python for each.
        score = {weight: similarity * weight / size for weight in set(posting.values())}
        found = dict(zip(posting, map(score.__getitem__, posting.values()), strict=True))
        for event_id in found.keys() & ranked.keys():
            found[event_id] += ranked[event_id]
        ranked.update(found)  # in place for events ranked before, after them if new
    return heapq.nlargest(MAX_CANDIDATES, ranked, key=ranked.__getitem__)


def _ranked_in_arrays(index: Index, terms: list[tuple[str, float]]) -> list[int]:
    """`_ranked_in_dicts` with numpy: the same ranks to the bit (each event's terms are added
    in the same order) and ties in the same order."""
    import numpy as np  # only large indexes need it (NUMPY_RANKING)

    held, scores = [], []
    for term, similarity in terms:
        events, weights = index.posting_arrays(term)
        held.append(events)
        scores.append(similarity * weights / len(events))
    events, first, inverse = np.unique(np.concatenate(held), return_index=True, return_inverse=True)
    ranks = np.bincount(inverse, weights=np.concatenate(scores))
    # The events in the order the terms brought them in, then the best first, equal ranks
    # in that order.
    order = np.argsort(first)
    best = order[np.argsort(-ranks[order], kind="stable")[:MAX_CANDIDATES]]
    result: list[int] = events[best].tolist()
    return result
