"""Fuzzing every moderator parser: whatever a moderator types, a clear refusal or a value.

Hypothesis generates text (superscript digits, lone surrogates, quotes, keys, far dates)
for the argument splitter, every typed field, figures, dates, every command's arguments,
the guided forms' answers and the database lookups behind them. Anything but a value or
a `ModerationError` (which the bot shows with an example) is a failure. The seed is fixed
and the budget small, so the suite stays quick on two cores.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from bot.moderation.arguments import (
    parse_date,
    parse_figure,
    parse_language,
    parse_positive_int,
    parse_slug,
    parse_text,
    parse_url,
    parse_urls,
    split_arguments,
)
from bot.moderation.commands import COMMANDS, DATA_COMMANDS
from bot.moderation.errors import ModerationError
from bot.moderation.forms import Form
from bot.moderation.service import ModerationService
from bot.moderation.spec import Kind
from db.engine import make_engine, make_session_factory
from db.vocabulary import Qualifier
from tests.conftest import _fresh_postgres_database

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
ADMIN = 1

# Text as Telegram can deliver it: any code point, lone surrogates included, with a bias
# towards the characters that broke parsers before.
TRICKY = "²³¹٣０#-=\"'“”«»\\ \n:/.,0123456789"
anything = st.text(alphabet=st.characters(blacklist_categories=()), max_size=60)
tricky = st.text(alphabet=st.sampled_from(TRICKY), max_size=30)
texts = st.one_of(anything, tricky, st.builds("".join, st.lists(st.one_of(anything, tricky))))
dates = st.one_of(
    texts,
    st.builds(
        "{:04d}-{:02d}-{:02d}".format,
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
    ),
)


def refused_or_value(parse: Any, *arguments: Any) -> None:
    try:
        parse(*arguments)
    except ModerationError as error:
        assert error.problem  # something to show the moderator


@FUZZ
@given(texts)
def test_the_argument_splitter_never_fails_otherwise(text: str) -> None:
    refused_or_value(split_arguments, text)


@FUZZ
@given(texts, dates)
def test_typed_fields_never_fail_otherwise(text: str, date: str) -> None:
    for parse in (parse_slug, parse_url, parse_urls, parse_language, parse_positive_int):
        refused_or_value(parse, "key", text)
    refused_or_value(parse_text, "key", text, 200)
    refused_or_value(parse_date, "date", date)


@FUZZ
@given(st.one_of(texts, st.from_regex(r"(about |up to |more than )?[0-9²³]{1,12}( ?- ?[0-9]+)?")))
def test_figures_never_fail_otherwise(text: str) -> None:
    refused_or_value(parse_figure, text)
    for qualifier in Qualifier:
        refused_or_value(parse_figure, text, qualifier)


@FUZZ
@given(dates)
def test_dates_outside_1900_to_2100_are_refused(text: str) -> None:
    try:
        date = parse_date("date", text)
    except ModerationError:
        return
    assert 1900 <= date.year <= 2100


@FUZZ
@given(st.sampled_from(sorted(COMMANDS)), texts)
def test_every_commands_arguments_never_fail_otherwise(name: str, text: str) -> None:
    spec = COMMANDS[name]
    refused_or_value(lambda: spec.typed(spec.bind(text)))


@FUZZ
@given(st.sampled_from(sorted(DATA_COMMANDS)), st.lists(texts, max_size=6))
def test_form_answers_never_fail_otherwise(name: str, answers: list[str]) -> None:
    form = Form(COMMANDS[name])
    for answer in answers:
        if form.question() is None:
            return
        refused_or_value(form.answer, answer)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def service(
    request: pytest.FixtureRequest,
    seeded_sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ModerationService]:
    if request.param == "sqlite":
        copy = tmp_path_factory.mktemp("fuzz") / "seeded.db"
        shutil.copyfile(seeded_sqlite_template, copy)
        url = f"sqlite:///{copy}"
    else:
        url = _fresh_postgres_database(
            request.getfixturevalue("postgres_admin_url"),
            request.getfixturevalue("seeded_postgres_template"),
        )
    engine = make_engine(url)
    sessions: sessionmaker[Session] = make_session_factory(engine)
    yield ModerationService(sessions, {ADMIN})
    engine.dispose()


@settings(FUZZ, max_examples=60)
@given(texts, st.sampled_from(["retract", "history", "status", "event", "source", "target"]))
def test_lookups_of_whatever_was_typed_never_fail_otherwise(
    service: ModerationService, text: str, what: str
) -> None:
    """Nothing is written: each lookup either fails or finds a record whose change fails."""
    match what:
        case "retract":
            refused_or_value(
                service.execute, ADMIN, "retract", {"claim": text, "version": "999999"}
            )
        case "history":
            refused_or_value(service.history, ADMIN, text)
        case "status":
            values = {"claim": text, "status": "disputed", "version": "999999"}
            refused_or_value(service.execute, ADMIN, "status", values)
        case _:
            kind = {"event": Kind.EVENT, "source": Kind.SOURCE, "target": Kind.TARGET}[what]
            refused_or_value(service.reference, ADMIN, kind, text, what)
