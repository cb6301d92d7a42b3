"""The web site's HTML: Jinja2 templates (escaping on) filled from the card views, and the
words the site says around them, in the reader's language: `?lang=uk|ru|en`, else the
browser's Accept-Language, else English. The templates mark their words with `_()` and
`ngettext()` (Jinja2's i18n extension) from the bot's own catalogues (`bot/i18n.py`)."""

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot.answering import Answer
from bot.i18n import DEFAULT_LANGUAGE, N_, Language, Tr, language_of, translator
from bot.matching import Decision
from bot.public_urls import event_path
from bot.web.views import EventPage
from db.queries import EventListing

ANSWER_HEADING = N_("Best match")
AMBIGUOUS_HEADING = N_("Which event do you mean?")
NO_MATCH_HEADING = N_("No event matches your question")
NO_MATCH_NEAREST = N_("No event matches your question; the nearest ones are:")
NO_SUCH_EVENT = N_("There is no event “{slug}”.")
_WEIGHT = re.compile(r"q=([0-9.]+)")


@cache
def _environment(language: Language) -> Environment:
    """One environment per language, its gettext installed once (renders share nothing)."""
    environment = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    tr = translator(language)
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        tr.gettext, tr.ngettext, newstyle=True, pgettext=tr.pgettext, npgettext=tr.npgettext
    )
    return environment


def page_language(chosen: str | None, accept_language: str | None) -> tuple[Language, bool]:
    """The page's language: `?lang=`, else the browser's most wanted of ours, else English;
    and whether `?lang=` chose it (then the page's links keep it)."""
    if (language := language_of(chosen)) is not None:
        return language, True
    wanted: list[tuple[float, int, Language]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        code, _, parameters = part.strip().partition(";")
        weight = _WEIGHT.search(parameters)
        try:
            quality = float(weight.group(1)) if weight else 1.0
        except ValueError:
            continue
        if (ours := language_of(code.strip())) is not None and quality > 0:
            wanted.append((-quality, position, ours))
    return (min(wanted)[2] if wanted else DEFAULT_LANGUAGE), False


@dataclass(frozen=True)
class Link:
    title: str
    path: str


@dataclass(frozen=True)
class SearchResult:
    heading: str
    best: Link | None
    candidates: tuple[Link, ...]


def search_result(tr: Tr, answer: Answer, keep: str) -> SearchResult:
    """What the search box shows: the bot's own decision for the question."""
    links = tuple(Link(c.title, event_path(c.slug) + keep) for c in answer.candidates)
    if answer.event is not None:
        best = Link(answer.event.title, event_path(answer.event.slug) + keep)
        return SearchResult(tr.gettext(ANSWER_HEADING), best, ())
    if answer.outcome == Decision.AMBIGUOUS:
        return SearchResult(tr.gettext(AMBIGUOUS_HEADING), None, links)
    heading = NO_MATCH_NEAREST if links else NO_MATCH_HEADING
    return SearchResult(tr.gettext(heading), None, links)


def language_query(language: Language, chosen: bool) -> str:
    """What a page's links append to keep a language chosen with `?lang=`."""
    return f"?lang={language}" if chosen else ""


def render_index(
    tr: Tr,
    events: list[EventListing],
    question: str | None,
    result: SearchResult | None,
    keep: str,
) -> str:
    listed = [
        {
            "title": e.title,
            "path": event_path(e.slug) + keep,
            "place": e.place,
            "date": tr.date(e.start_date) if e.start_date else None,
            "claims": e.claim_count,
        }
        for e in events
    ]
    return (
        _environment(tr.language)
        .get_template("index.html")
        .render(events=listed, question=question, result=result, language=tr.language, keep=keep)
    )


def json_ld(data: Any) -> Markup:
    """JSON for a <script> element: nothing in it can close the element or start markup."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def render_event(tr: Tr, page: EventPage, reviews: list[dict[str, Any]], keep: str) -> str:
    return (
        _environment(tr.language)
        .get_template("event.html")
        .render(
            page=page,
            reviews=json_ld(reviews) if reviews else None,
            language=tr.language,
            keep=keep,
        )
    )


def render_not_found(tr: Tr, slug: str, keep: str) -> str:
    message = tr.gettext(NO_SUCH_EVENT).format(slug=slug)
    return (
        _environment(tr.language)
        .get_template("not_found.html")
        .render(message=message, language=tr.language, keep=keep)
    )
