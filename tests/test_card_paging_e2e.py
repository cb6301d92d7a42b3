"""Jumping through a long card: an event with 2,000 claims and a 60-character slug, through
the real Application against the local Bot API test server (which refuses callback data
over 64 bytes)."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db.dataset_schema import DataSet
from db.engine import make_engine, make_session_factory, unit_of_work
from db.import_plan import plan_import
from db.import_write import apply_import
from tests.botapi import FakeTelegram, MessageView, TgUser
from tests.e2e import copy_seeded_sqlite, running_bot

SLUG = "long-" + "x" * 50 + "-card"  # 60 characters, the longest slug there is
CLAIMS = 2000


# Every call the bot makes must be one Telegram would take.
pytestmark = pytest.mark.usefixtures("nothing_rejected")


def long_event() -> DataSet:
    sources = [
        {"name": f"Regional administration press office {n}", "kind": "official", "side": "ukraine"}
        for n in range(5)
    ]
    claims = [
        {
            "key": f"paging-claim-{n}",
            "event": SLUG,
            "claimant": sources[n % len(sources)]["name"],
            "metric": "killed",
            "qualifier": "exact",
            "low": n + 1,
            "high": n + 1,
            # As long as real wordings run, so that the card has about as many pages as
            # issue 14 counted for 2,000 claims.
            "wording": f"{n + 1} people killed in the strike and the fire after it, by its count",
            "summary": f"Claim number {n + 1} of the long card",
            "quote": f"We counted {n + 1} people.",
            "stated_on": "2023-01-02",
        }
        for n in range(CLAIMS)
    ]
    return DataSet.model_validate(
        {
            "format": "claimbot-dataset",
            "version": 1,
            "sources": sources,
            "documents": [],
            "events": [
                {
                    "slug": SLUG,
                    "title": "The long card",
                    "summary": "An event with two thousand claims.",
                    "place": "Nowhere",
                    "start_date": "2023-01-01",
                }
            ],
            "claims": claims,
        }
    )


@pytest.fixture(scope="module")
def bot(
    tg: FakeTelegram, seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    url = copy_seeded_sqlite(seeded_sqlite_template, tmp_path_factory.mktemp("paging"))
    engine = make_engine(url)
    sessions: sessionmaker[Session] = make_session_factory(engine)
    with unit_of_work(sessions) as session:
        apply_import(session, plan_import(session, long_event()), "test")
    engine.dispose()
    with running_bot(tg, url) as application:
        yield application


@pytest.fixture
def alice(tg: FakeTelegram, bot: Any) -> TgUser:
    return tg.add_user("Alice")


def press(user: TgUser, message: MessageView, button: str) -> MessageView:
    user.press(message, button).wait_answer(timeout=10)
    event = user.chat.next_bot_event(timeout=10)
    assert event.kind == "edit" and event.message.message_id == message.message_id
    return event.message


def page_of(message: MessageView) -> tuple[int, int]:
    """(page, pages) from the card's title line, e.g. "… (100/142)"."""
    found = re.search(r"\((\d+)/(\d+)\)\s*$", message.content.splitlines()[0])
    assert found, message.content.splitlines()[0]
    return int(found.group(1)), int(found.group(2))


def first_page(user: TgUser) -> MessageView:
    user.send(f"/event {SLUG}")
    return user.chat.next_bot_message(timeout=30)


def test_the_last_page_is_one_press_away(alice: TgUser) -> None:
    first = first_page(alice)
    assert "Next ▶" in first.button_texts
    last_button = next(b for b in first.button_texts if b.endswith(" »"))
    pages = int(last_button.removesuffix(" »"))
    assert pages > 100  # 2,000 claims
    last = press(alice, first, last_button)
    assert page_of(last) == (pages, pages)
    assert f"said: {CLAIMS} people killed" in last.content  # the last claim is shown
    # Back to the first page in one press too, and the ends' neighbours are buttons.
    assert {"« 1", str(pages - 1), f"·{pages}·"} <= set(last.button_texts)
    assert "Next ▶" not in last.button_texts
    back = press(alice, last, "« 1")
    assert back.content == first.content


def test_page_100_is_two_presses_away_and_its_neighbours_one(alice: TgUser) -> None:
    first = first_page(alice)
    chooser = press(alice, first, "…")
    assert chooser.content == first.content  # the page stays; its buttons offer page numbers
    hundredth = press(alice, chooser, "100")
    page, pages = page_of(hundredth)
    assert page == 100
    assert ["« 1", "…", "99", "·100·", "101", "…", f"{pages} »"] in [
        [b.text for b in row] for row in hundredth.keyboard
    ]
    assert page_of(press(alice, hundredth, "101"))[0] == 101


def test_the_chooser_goes_back_to_the_page_it_was_opened_on(alice: TgUser) -> None:
    first = first_page(alice)
    last = press(alice, first, next(b for b in first.button_texts if b.endswith(" »")))
    chooser = press(alice, last, "…")
    assert press(alice, chooser, "◀ Back").content == last.content
