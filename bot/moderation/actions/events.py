"""Commands on events: add and correct them, their other names and their links."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.moderation.actions.translations import (
    LANG,
    translate_event,
    translating,
    without_lang,
)
from bot.moderation.lookup import nearest
from bot.moderation.spec import (
    EVENT,
    VERSION,
    CommandArguments,
    CommandSpec,
    Kind,
    field_spec,
    optional,
)
from bot.moderation.work import Work, data_command
from db.limits import EVENT_SUMMARY_MAX
from db.models import Event, EventAlias, EventLink
from db.vocabulary import AliasKind, DatePrecision, Relation

EVENT_FIELDS = (
    field_spec("title", Kind.TEXT, "The event's title, e.g. Strike on Testville?", required=True),
    field_spec("date", Kind.DATE, "When did it happen (YYYY-MM-DD)?"),
    field_spec("place", Kind.TEXT, "Where did it happen (town or area)?", required=True),
    field_spec(
        "summary",
        Kind.TEXT,
        "A neutral summary of what happened?",
        required=True,
        max_length=EVENT_SUMMARY_MAX,
    ),
    field_spec("end", Kind.DATE, "The last day, for an event over several days (YYYY-MM-DD)?"),
    field_spec("precision", Kind.CHOICE, "How precise is the date?", choices=DatePrecision),
    field_spec("region", Kind.TEXT, "Region (oblast)?"),
    field_spec("country", Kind.TEXT, "Country?"),
    field_spec("date_note", Kind.TEXT, "A note on dates that reports disagree on?", max_length=500),
)
# Argument keys and the event columns they set.
EVENT_COLUMNS = {
    "title": "title",
    "place": "place",
    "summary": "summary",
    "region": "region",
    "country": "country",
    "date_note": "date_note",
    "date": "start_date",
    "end": "end_date",
    "precision": "date_precision",
}


@dataclass(frozen=True)
class AddEvent(CommandArguments):
    slug: str
    title: str
    place: str
    summary: str
    date: dt.date | None = None
    end: dt.date | None = None
    precision: DatePrecision | None = None
    region: str | None = None
    country: str | None = None
    date_note: str | None = None


@data_command(
    CommandSpec(
        "addevent",
        "Add an event",
        '/addevent slug=test-strike title="Strike on Testville" date=2023-01-10 '
        'place="Testville" summary="A strike hit Testville."',
        AddEvent,
        (
            field_spec(
                "slug", Kind.SLUG, "A short slug for the event, e.g. test-strike?", required=True
            ),
            *EVENT_FIELDS,
        ),
        positional=("slug",),
    )
)
def addevent(w: Work, a: AddEvent) -> str:
    existing = w.find_event(a.slug)
    if existing is not None:
        w.fail(f"there is already an event {a.slug} ({existing.title!r}).", "slug")
    event = Event(
        slug=a.slug,
        title=a.title,
        summary=a.summary,
        place=a.place,
        region=a.region,
        country=a.country,
        start_date=a.date,
        end_date=a.end,
        date_precision=a.precision or DatePrecision.DAY,
        date_note=a.date_note,
        hidden=False,
    )
    w.save("addevent", event, None)
    w.touched.add(a.slug)
    return f"Added event {a.slug}."


@dataclass(frozen=True)
class EditEvent(CommandArguments):
    event: str
    title: str | None = None
    date: dt.date | None = None
    place: str | None = None
    summary: str | None = None
    end: dt.date | None = None
    precision: DatePrecision | None = None
    region: str | None = None
    country: str | None = None
    date_note: str | None = None
    slug: str | None = None
    lang: str | None = None
    version: int | None = None


@data_command(
    CommandSpec(
        "editevent",
        "Correct an event, or its text in Ukrainian or Russian (lang=uk, lang=ru)",
        '/editevent test-strike title="Strike on Testville station"',
        EditEvent,
        (
            EVENT,
            *optional(EVENT_FIELDS),
            field_spec("slug", Kind.SLUG, "The new slug?"),
            LANG,
            VERSION,
        ),
        positional=("event",),
        edits=True,
    )
)
def editevent(w: Work, a: EditEvent) -> str:
    event = w.event(a.event)
    w.check_version(event, a.version)
    before = w.snapshot(event)
    if a.lang is not None and translating(w, a.lang):
        return translate_event(w, event, before, a, a.lang)
    changes = w.edited(without_lang(a), "event", ("title", "place", "summary", "slug"))
    w.touched.add(event.slug)
    new_slug = changes.get("slug")
    if new_slug is not None and new_slug != event.slug:
        if w.find_event(new_slug) is not None:
            w.fail(f"there is already an event {new_slug}.", "slug")
        event.slug = new_slug
    for key, column in EVENT_COLUMNS.items():
        if key in changes:
            value: Any = changes[key]
            setattr(event, column, DatePrecision.DAY if key == "precision" and not value else value)
    w.save("editevent", event, before)
    w.touched.add(event.slug)
    return f"Updated event {event.slug} (now version {event.version})."


@dataclass(frozen=True)
class Alias(CommandArguments):
    event: str
    text: str
    lang: str | None = None
    kind: AliasKind | None = None
    version: int | None = None


@data_command(
    CommandSpec(
        "alias",
        "Add another name for an event",
        '/alias test-strike "Тествіль" lang=uk',
        Alias,
        (
            EVENT,
            field_spec("text", Kind.TEXT, "The other name for the event?", required=True),
            field_spec("lang", Kind.LANGUAGE, "Its language code (uk, ru, en, ...)?"),
            field_spec("kind", Kind.CHOICE, "What kind of name is it?", choices=AliasKind),
            VERSION,
        ),
        positional=("event", "text"),
    )
)
def alias(w: Work, a: Alias) -> str:
    event = w.event(a.event)
    w.check_version(event, a.version)
    before = w.snapshot(event)
    if any(known.text.casefold() == a.text.casefold() for known in event.aliases):
        w.fail(f"{event.slug} already has the name {a.text!r}.", "text")
    event.aliases.append(EventAlias(text=a.text, lang=a.lang, kind=a.kind or AliasKind.NAME))
    w.save("alias", event, before)
    w.touched.add(event.slug)
    return f"Added the name {a.text!r} to {event.slug}."


@dataclass(frozen=True)
class Unalias(CommandArguments):
    event: str
    text: str
    version: int | None = None


@data_command(
    CommandSpec(
        "unalias",
        "Remove a name of an event",
        '/unalias test-strike "Тествіль"',
        Unalias,
        (EVENT, field_spec("text", Kind.TEXT, "Which name to remove?", required=True), VERSION),
        positional=("event", "text"),
    )
)
def unalias(w: Work, a: Unalias) -> str:
    event = w.event(a.event)
    w.check_version(event, a.version)
    before = w.snapshot(event)
    found = next((n for n in event.aliases if n.text.casefold() == a.text.casefold()), None)
    if found is None:
        near = nearest(a.text, [n.text for n in event.aliases])
        w.fail(f"{event.slug} has no name {a.text!r}.", "text", near)
    event.aliases.remove(found)
    w.save("unalias", event, before)
    w.touched.add(event.slug)
    return f"Removed the name {a.text!r} from {event.slug}."


@dataclass(frozen=True)
class Link(CommandArguments):
    event: str
    other: str
    relation: Relation
    note: str | None = None
    version: int | None = None


@data_command(
    CommandSpec(
        "link",
        "Link two related events",
        "/link test-strike makiivka-strike relation=presented_as_retaliation_for",
        Link,
        (
            EVENT,
            field_spec("other", Kind.EVENT, "Related to which event (slug)?", required=True),
            field_spec(
                "relation", Kind.CHOICE, "How is it related?", required=True, choices=Relation
            ),
            field_spec("note", Kind.TEXT, "A note, e.g. who presented it so?", max_length=500),
            VERSION,
        ),
        positional=("event", "other"),
    )
)
def link(w: Work, a: Link) -> str:
    event = w.event(a.event)
    w.check_version(event, a.version)
    before = w.snapshot(event)
    other = w.event(a.other, "other")
    if other.id == event.id:
        w.fail("an event cannot be linked to itself.", "other")
    if any(k.related_event_id == other.id and k.relation == a.relation for k in event.links):
        w.fail(f"{event.slug} is already linked to {other.slug} as {a.relation.value}.", "other")
    event.links.append(EventLink(related_event=other, relation=a.relation, note=a.note))
    w.save("link", event, before)
    return f"Linked {event.slug} to {other.slug} ({a.relation.value})."


@dataclass(frozen=True)
class Unlink(CommandArguments):
    event: str
    other: str
    version: int | None = None


@data_command(
    CommandSpec(
        "unlink",
        "Remove a link between events",
        "/unlink test-strike makiivka-strike",
        Unlink,
        (
            EVENT,
            field_spec("other", Kind.EVENT, "Unlink from which event (slug)?", required=True),
            VERSION,
        ),
        positional=("event", "other"),
    )
)
def unlink(w: Work, a: Unlink) -> str:
    event = w.event(a.event)
    w.check_version(event, a.version)
    before = w.snapshot(event)
    other = w.event(a.other, "other")
    links = [k for k in event.links if k.related_event_id == other.id]
    if not links:
        linked = [k.related_event.slug for k in event.links]
        w.fail(f"{event.slug} is not linked to {other.slug}.", "other", linked[:3])
    for found in links:
        event.links.remove(found)
    w.save("unlink", event, before)
    return f"Unlinked {event.slug} from {other.slug}."
