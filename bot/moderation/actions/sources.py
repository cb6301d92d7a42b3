"""Commands on sources: the claimants and outlets that claims name."""

from dataclasses import dataclass

from sqlalchemy import select

from bot.moderation.spec import VERSION, CommandArguments, CommandSpec, Kind, field_spec, optional
from bot.moderation.work import Work, data_command
from db.models import Claim, Event, Source
from db.vocabulary import Side, SourceKind

SOURCE_FIELDS = (
    field_spec(
        "kind", Kind.CHOICE, "What kind of source is it?", required=True, choices=SourceKind
    ),
    field_spec("side", Kind.CHOICE, "Which side is it on?", required=True, choices=Side),
    field_spec("country", Kind.TEXT, "Country?"),
    field_spec("description", Kind.TEXT, "A short description?", max_length=500),
)


@dataclass(frozen=True)
class AddSource(CommandArguments):
    name: str
    kind: SourceKind
    side: Side
    country: str | None = None
    description: str | None = None


@data_command(
    CommandSpec(
        "addsource",
        "Add a claimant or publisher",
        '/addsource name="Testville city council" kind=official side=ukraine',
        AddSource,
        (field_spec("name", Kind.TEXT, "The source's name?", required=True), *SOURCE_FIELDS),
        positional=("name",),
    )
)
def addsource(w: Work, a: AddSource) -> str:
    existing = w.find_source(a.name)
    if existing is not None:
        w.fail(f"there is already a source {existing.name!r}.", "name")
    source = Source(
        name=a.name, kind=a.kind, side=a.side, country=a.country, description=a.description
    )
    w.save("addsource", source, None)
    return f"Added source {a.name!r}."


@dataclass(frozen=True)
class EditSource(CommandArguments):
    source: str
    name: str | None = None
    kind: SourceKind | None = None
    side: Side | None = None
    country: str | None = None
    description: str | None = None
    version: int | None = None


@data_command(
    CommandSpec(
        "editsource",
        "Correct a source",
        '/editsource "Testville city council" side=ukraine',
        EditSource,
        (
            field_spec("source", Kind.SOURCE, "Which source? Send its name.", required=True),
            field_spec("name", Kind.TEXT, "The new name?"),
            *optional(SOURCE_FIELDS),
            VERSION,
        ),
        positional=("source",),
        edits=True,
    )
)
def editsource(w: Work, a: EditSource) -> str:
    source = w.source(a.source)
    w.check_version(source, a.version)
    before = w.snapshot(source)
    changes = w.edited(a, "source", ("name", "kind", "side"))
    name = changes.get("name")
    if name is not None:
        other = w.find_source(name)
        if other is not None and other.id != source.id:
            w.fail(f"there is already a source {other.name!r}.", "name")
        source.name = name
        # Claimant names are part of what questions are matched against.
        w.touched.update(
            w.session.scalars(
                select(Event.slug).join(Claim).where(Claim.claimant_id == source.id).distinct()
            )
        )
    for key in ("kind", "side", "country", "description"):
        if key in changes:
            setattr(source, key, changes[key])
    w.save("editsource", source, before)
    return f"Updated source {source.name!r} (now version {source.version})."
