"""The web site's HTML: Jinja2 templates (escaping on) filled from the card views, and the
words the site says around them. English only for now: translations are a later issue."""

import json
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot.answering import Answer
from bot.i18n import ENGLISH
from bot.matching import Decision
from bot.public_urls import event_path
from bot.web.views import EventPage
from db.queries import EventListing

ANSWER_HEADING = "Best match"
AMBIGUOUS_HEADING = "Which event do you mean?"
NO_MATCH_HEADING = "No event matches your question"
NO_MATCH_NEAREST = "No event matches your question; the nearest ones are:"
NO_SUCH_EVENT = "There is no event {slug!r}."

_ENVIRONMENT = Environment(
    loader=PackageLoader("bot.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Link:
    title: str
    path: str


@dataclass(frozen=True)
class SearchResult:
    heading: str
    best: Link | None
    candidates: tuple[Link, ...]


def search_result(answer: Answer) -> SearchResult:
    """What the search box shows: the bot's own decision for the question."""
    links = tuple(Link(c.title, event_path(c.slug)) for c in answer.candidates)
    if answer.event is not None:
        best = Link(answer.event.title, event_path(answer.event.slug))
        return SearchResult(ANSWER_HEADING, best, ())
    if answer.outcome == Decision.AMBIGUOUS:
        return SearchResult(AMBIGUOUS_HEADING, None, links)
    return SearchResult(NO_MATCH_NEAREST if links else NO_MATCH_HEADING, None, links)


def render_index(
    events: list[EventListing], question: str | None, result: SearchResult | None
) -> str:
    listed = [
        {
            "title": e.title,
            "path": event_path(e.slug),
            "place": e.place,
            "date": ENGLISH.date(e.start_date) if e.start_date else None,
            "claims": e.claim_count,
        }
        for e in events
    ]
    return _ENVIRONMENT.get_template("index.html").render(
        events=listed, question=question, result=result
    )


def json_ld(data: Any) -> Markup:
    """JSON for a <script> element: nothing in it can close the element or start markup."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def render_event(page: EventPage, reviews: list[dict[str, Any]]) -> str:
    return _ENVIRONMENT.get_template("event.html").render(
        page=page, reviews=json_ld(reviews) if reviews else None
    )


def render_not_found(slug: str) -> str:
    return _ENVIRONMENT.get_template("not_found.html").render(
        message=NO_SUCH_EVENT.format(slug=slug)
    )
