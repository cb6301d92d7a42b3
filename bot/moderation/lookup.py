"""Finding events, claims and sources from what a moderator typed, with the nearest matches."""

from collections.abc import Iterable, Sequence
from typing import NoReturn

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.moderation.arguments import whole_number
from bot.moderation.errors import ModerationError
from db.models import Claim, Event, Source

Row = Event | Claim | Source


def nearest(text: str, choices: Iterable[str], limit: int = 3, cutoff: float = 60) -> list[str]:
    found = process.extract(
        text,
        list(dict.fromkeys(choices)),
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=cutoff,
    )
    return [choice for choice, _score, _index in found]


def name_of(row: Row) -> str:
    """The natural key: slug, claim key or source name."""
    if isinstance(row, Event):
        return row.slug
    if isinstance(row, Claim):
        return row.key
    return row.name


def entity_of(row: Row) -> str:
    return {Event: "event", Claim: "claim", Source: "source"}[type(row)]


def label(row: Row) -> str:
    if isinstance(row, Claim):
        return f"claim #{row.id}"
    if isinstance(row, Event):
        return f"event {row.slug}"
    return f"source {row.name!r}"


def history_ref(row: Row) -> str:
    if isinstance(row, Claim):
        return f"#{row.id}"
    return name_of(row)


def get_row(session: Session, entity: str, entity_id: int | None) -> Row | None:
    if entity == "event":
        return session.get(Event, entity_id)
    if entity == "claim":
        return session.get(Claim, entity_id)
    return session.get(Source, entity_id)


class Lookup:
    """Finding events, claims and sources by what moderators type, with the nearest matches."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def fail(
        self, problem: str, key: str | None = None, suggestions: Sequence[str] = ()
    ) -> NoReturn:
        raise ModerationError(problem, key=key, suggestions=suggestions)

    def find_event(self, slug: str) -> Event | None:
        return self.session.scalar(select(Event).where(Event.slug == slug.strip().lower()))

    def event(self, ref: str, key: str = "event") -> Event:
        found = self.find_event(ref)
        if found is None:
            rows = self.session.execute(select(Event.slug, Event.title)).all()
            by_label = {slug: slug for slug, _ in rows} | {title: slug for slug, title in rows}
            near = list(dict.fromkeys(by_label[n] for n in nearest(ref, by_label, limit=6)))[:3]
            self.fail(f"there is no event {ref.strip()[:60]!r}.", key, near)
        return found

    def find_claim(self, ref: str) -> Claim | None:
        text = ref.strip()
        number = whole_number(text)
        if number is not None:
            return self.session.get(Claim, number) if number < 2**31 else None
        return self.session.scalar(select(Claim).where(Claim.key == text))

    def claim(self, ref: str, key: str = "claim") -> Claim:
        found = self.find_claim(ref)
        if found is None:
            text = ref.strip()
            number = whole_number(text)
            if number is not None:
                closest = min(number, 2**31)
                ids = self.session.scalars(
                    select(Claim.id).order_by(func.abs(Claim.id - closest)).limit(3)
                )
                near = [f"#{claim_id}" for claim_id in ids]
            else:
                near = nearest(text, self.session.scalars(select(Claim.key)))
            self.fail(f"there is no claim {text[:60]!r}.", key, near)
        return found

    def target(self, ref: str, key: str = "target") -> Event | Claim:
        text = ref.strip()
        if whole_number(text) is None:
            event = self.find_event(text)
            if event is not None:
                return event
            claim = self.session.scalar(select(Claim).where(Claim.key == text))
            if claim is not None:
                return claim
            self.event(text, key)  # fails, naming the events nearest to the text
        return self.claim(text, key)

    def find_source(self, name: str) -> Source | None:
        wanted = name.strip()
        found = self.session.scalar(select(Source).where(Source.name == wanted))
        if found is not None:
            return found
        # Case and typographic variants of a name are the same source, not a new one.
        folded = wanted.casefold()
        return next(
            (s for s in self.session.scalars(select(Source)) if s.name.casefold() == folded), None
        )

    def source(self, name: str, key: str = "source") -> Source:
        found = self.find_source(name)
        if found is None:
            near = nearest(name, self.session.scalars(select(Source.name)))
            raise ModerationError(
                f"there is no source {name.strip()[:80]!r}; add it first with /addsource.",
                key=key,
                suggestions=near,
                example='/addsource name="Testville city council" kind=official side=ukraine',
            )
        return found
