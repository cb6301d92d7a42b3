"""Moderation end to end: the real bot over HTTP against the local Bot API test server.

Admins grant moderators, moderators change the data set with one-line commands and
guided forms, users see the changes at once, and everyone else is refused without
anything changing. After each test the server confirms the bot never sent anything
Telegram would reject.
"""

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import update
from telegram.ext import Application

from bot.moderation.commands import COMMANDS
from bot.moderation.files import LARGE_IMPORT_BYTES
from db.engine import make_engine, make_session_factory, unit_of_work
from db.import_export import export_dataset
from db.models import ModeratorForm, utcnow
from tests.bench.scale_data import generate
from tests.botapi import FakeTelegram, MessageView, TgUser
from tests.botapi.client import CallbackQuery
from tests.botapi.models import CallbackAnswer
from tests.e2e import copy_seeded_sqlite, running_bot

# A valid one-line use of every moderator command, run by people who may not use it.
VALID_USES = {
    "addevent": 'slug=refused-strike title="Refused" date=2023-01-10 place="X" summary="Y"',
    "editevent": 'makiivka-strike title="Renamed"',
    "alias": 'makiivka-strike "Макіївка-2" lang=uk',
    "unalias": 'makiivka-strike "Makeevka"',
    "link": "makiivka-strike kyiv-drone-attack relation=related",
    "unlink": "makiivka-strike russian-losses-dec-31",
    "addsource": 'name="Refused source" kind=official side=ukraine',
    "editsource": '"Rybar" side=unknown',
    "addclaim": 'event=makiivka-strike claimant="Rybar" metric=killed figure=5 quote="Five."',
    "editclaim": '1 figure="about 70"',
    "report": '1 publisher="Example News" url=https://example.org/r',
    "supersede": "3 4",
    "retract": "1",
    "status": '1 false reason="Refused."',
    "delete": "1",
    "restore": "1",
    "undo": "",
    "history": "1",
    "import": "",
    "export": "",
    "grant": "12345",
    "revoke": "12345",
    "moderators": "",
}
ADMIN_ONLY = sorted(name for name, spec in COMMANDS.items() if spec.role.value == "admin")


# Every call the bot makes must be one Telegram would take.
pytestmark = pytest.mark.usefixtures("nothing_rejected")


@pytest.fixture(scope="module")
def admin(tg: FakeTelegram) -> TgUser:
    # Exists before the bot starts, so the start-up can set the admin's command menu.
    return tg.add_user("Ada", username="ada_admin")


@pytest.fixture(scope="module")
def database(seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_seeded_sqlite(seeded_sqlite_template, tmp_path_factory.mktemp("moderation"))


@pytest.fixture(scope="module")
def bot(
    tg: FakeTelegram, admin: TgUser, database: str
) -> Iterator[Application[Any, Any, Any, Any, Any, Any]]:
    with running_bot(tg, database, admin_ids=str(admin.id)) as application:
        yield application


@pytest.fixture(scope="module")
def moderator(tg: FakeTelegram, admin: TgUser, bot: Any) -> TgUser:
    mod = tg.add_user("Mo", username="mo_moderator")
    assert "is now a moderator" in say(admin, f"/grant {mod.id}").content
    return mod


def dataset_text(url: str) -> str:
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            return export_dataset(session).model_dump_json()
    finally:
        engine.dispose()


def say(user: TgUser, text: str) -> MessageView:
    """Send a message and return the bot's first reply."""
    user.send(text)
    return user.chat.next_bot_message(timeout=10)


def replies(user: TgUser, text: str) -> list[MessageView]:
    user.send(text)
    found = [user.chat.next_bot_message(timeout=10)]
    while True:
        try:
            found.append(user.chat.next_bot_message(timeout=0.5))
        except TimeoutError:
            return found


def press(user: TgUser, message: MessageView, button: str) -> MessageView:
    """Press a button and return the message as the bot left it (edited in place)."""
    user.press(message, button).wait_answer(timeout=10)
    return user.chat.next_bot_event(timeout=10, kinds=("edit",)).message


def claim_id(reply: MessageView) -> int:
    found = re.search(r"claim #(\d+)", reply.content)
    assert found, reply.content
    return int(found.group(1))


# ---------------------------------------------------------------- permissions


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_non_moderator_is_refused_every_moderator_command_and_nothing_changes(
    tg: FakeTelegram, bot: Any, database: str, command: str
) -> None:
    assert set(VALID_USES) == set(COMMANDS)
    outsider = tg.add_user("Olga")
    before = dataset_text(database)
    found = replies(outsider, f"/{command} {VALID_USES[command]}".strip())
    assert len(found) == 1
    assert re.fullmatch(r"Sorry, only (moderators|admins) can do that\.", found[0].content)
    # A bare command would start a form for a moderator; an outsider's next words stay a
    # question for the answering side, not an answer to a form.
    assert dataset_text(database) == before
    assert not tg.documents_sent(outsider)


@pytest.mark.parametrize("command", ADMIN_ONLY)
def test_a_moderator_is_refused_admin_commands(
    moderator: TgUser, database: str, command: str
) -> None:
    before = dataset_text(database)
    found = replies(moderator, f"/{command} {VALID_USES[command]}".strip())
    assert [m.content for m in found] == ["Sorry, only admins can do that."]
    assert dataset_text(database) == before


def test_moderator_commands_work_only_in_private_chats(tg: FakeTelegram, moderator: TgUser) -> None:
    group = tg.add_group("Newsroom", [moderator])
    moderator.send("/history 1", chat=group)
    assert "only in a private chat" in group.next_bot_message(timeout=10).content


def test_menus_show_moderator_commands_only_to_moderators_and_admins(
    tg: FakeTelegram, admin: TgUser, bot: Any
) -> None:
    def menu(user: TgUser) -> set[str]:
        return {c["command"] for c in tg.visible_commands(user)}

    assert {"grant", "revoke", "moderators", "addevent", "status"} <= menu(admin)
    newcomer = tg.add_user("Nina")
    assert "addevent" not in menu(newcomer) and "events" in menu(newcomer)
    say(admin, f"/grant {newcomer.id}")
    assert {"addevent", "status", "undo", "cancel", "events"} <= menu(newcomer)
    assert "grant" not in menu(newcomer)
    listing = say(admin, "/moderators").content
    assert f"{newcomer.id} — moderator, granted by {admin.id}" in listing
    assert "no longer a moderator" in say(admin, f"/revoke {newcomer.id}").content
    assert "addevent" not in menu(newcomer)
    assert say(newcomer, "/addevent").content == "Sorry, only moderators can do that."


def test_an_admin_grants_by_replying_in_a_group(tg: FakeTelegram, admin: TgUser, bot: Any) -> None:
    candidate = tg.add_user("Gus")
    group = tg.add_group("Desk", [admin, candidate])
    their_message = candidate.send("I can help moderate", chat=group)
    admin.send("/grant", chat=group, reply_to=their_message)
    assert f"{candidate.id} is now a moderator" in group.next_bot_message(timeout=10).content
    admin.send(f"/revoke {candidate.id}", chat=group)
    assert "no longer a moderator" in group.next_bot_message(timeout=10).content


# ---------------------------------------------------------------- the moderator's day


def test_a_moderator_builds_an_event_users_see_it_history_shows_it_and_undo_reverts(
    tg: FakeTelegram, moderator: TgUser, database: str
) -> None:
    actor = f"tg:{moderator.id}"
    added = say(
        moderator,
        '/addevent slug=test-strike title="Strike on Testville" date=2023-01-10 '
        'place="Testville" summary="A strike hit the council building in Testville."',
    )
    assert "Added event test-strike" in added.content
    assert "Added the name" in say(moderator, '/alias test-strike "Тествіль" lang=uk').content
    assert (
        "Added source"
        in say(
            moderator, '/addsource name="Testville city council" kind=official side=ukraine'
        ).content
    )
    first = say(
        moderator,
        '/addclaim event=test-strike claimant="Testville city council" metric=killed '
        'figure="about 12" quote="About 12 people were killed." date=2023-01-10 '
        'publisher="Example News" url=https://example.org/a',
    )
    assert "Added claim #" in first.content and "Example News" in first.content
    second = say(
        moderator,
        '/addclaim event=test-strike claimant="Russian Ministry of Defence" metric=killed '
        'figure="more than 600" quote="More than 600 militants were destroyed." '
        "date=2023-01-11 url=https://example.org/mod",
    )
    first_id, second_id = claim_id(first), claim_id(second)
    reported = say(
        moderator,
        f'/report {second_id} publisher="Example News" url=https://example.org/b '
        'wording="Moscow claimed over 600 dead"',
    )
    assert f"claim #{second_id} was reported" in reported.content
    disputed = say(
        moderator,
        f'/status {second_id} disputed reason="The city council counts about 12 dead." '
        "evidence=https://example.org/a",
    )
    assert f"Claim #{second_id} is now disputed" in disputed.content

    # Users see the new card at once, by its title and by the new alias (asked in
    # Ukrainian, answered in Ukrainian).
    user = tg.add_user("Uma")
    for question, words in (
        (
            "how many were killed in the strike on Testville?",
            ("about 12", "more than 600", "(Ukraine)", "🟠 disputed", "⚪ unverified"),
        ),
        (
            "Тествіль",
            ("близько 12", "понад 600", "(Україна)", "🟠 оспорюється", "⚪ не перевірено"),
        ),
    ):
        card = "\n".join(m.content for m in replies(user, question))
        assert "Strike on Testville" in card, question
        assert all(word in card for word in words), (question, words)
        assert "Testville city council" in card and "Example News" in card

    history = say(moderator, "/history test-strike").content
    for action in ("status", "report", "addclaim", "alias", "addevent"):
        assert f"{actor} · {action}" in history, action
    assert history.index("· status") < history.index("· addevent")  # newest first

    undone = say(moderator, "/undo")
    assert "Undid your /status" in undone.content
    card = "\n".join(m.content for m in replies(user, "/event test-strike"))
    assert "🟠 disputed" not in card and "more than 600" in card
    assert f"{actor} · undo" in say(moderator, f"/history {second_id}").content
    assert first_id < second_id


def test_mistakes_say_what_was_wrong_show_an_example_and_write_nothing(
    moderator: TgUser, database: str
) -> None:
    before = dataset_text(database)
    cases = {
        "/addevent slug=x title=Strike on Testville": "put a value with spaces in quotes",
        '/addclaim event=makiivka-strik claimant="Rybar" metric=killed figure=1 quote="q" '
        "url=https://example.org/q": ("Did you mean: makiivka-strike"),
        "/history 999999": "There is no claim '999999'",
        '/addevent slug=bad-date title="T" date=2023-13-45 place="P" summary="S"': (
            "is not a date"
        ),
        '/addclaim event=makiivka-strike claimant="Rybar" metric=killed figure=lots quote="q"': (
            "does not parse"
        ),
        '/status 1 probably reason="r"': "is not one of: unverified, disputed",
        '/report 1 url=ftp://example.org/x publisher="Example News"': "http:// or https://",
        "/status 1 confirmed": "Confirmed needs a reason",
        '/alias makiivka-strike "x" colour=red': "/alias has no colour=; it takes: event, text",
    }
    for command, expected in cases.items():
        reply = say(moderator, command)
        assert expected in reply.content, (command, reply.content)
        assert "⚠️" in reply.content and "Example:" in reply.content, command
    assert dataset_text(database) == before


def test_a_moderator_translates_an_event_and_undo_restores_the_translation(
    moderator: TgUser, database: str
) -> None:
    before = dataset_text(database)
    refused = say(moderator, '/editevent russian-mobilisation lang=de title="Mobilmachung"')
    assert "'de' is not a language the bot answers in: use lang=en or lang=uk or lang=ru" in (
        refused.content
    )
    assert "Example: /editevent test-strike lang=uk" in refused.content
    assert dataset_text(database) == before
    saved = say(
        moderator, '/editevent russian-mobilisation lang=uk title="Друга хвиля <мобілізації>"'
    )
    assert "Updated the uk text of event russian-mobilisation" in saved.content
    history = say(moderator, "/history russian-mobilisation").content
    assert "uk title: Нібито друга хвиля мобілізації в Росії → Друга хвиля <мобілізації>" in (
        history
    )
    assert "Undid your /editevent" in say(moderator, "/undo").content
    assert dataset_text(database) == before


def test_text_from_moderators_is_stored_as_given_and_shown_escaped(
    tg: FakeTelegram, moderator: TgUser
) -> None:
    title = 'Strike on <b>Bold</b> & "Quoted" town'
    added = say(
        moderator,
        f'/addevent slug=escaped-strike title=\'{title}\' place="<i>x</i>" summary="a < b"',
    )
    assert "Added event escaped-strike" in added.content
    card = say(tg.add_user("Eve"), "/event escaped-strike")
    assert card.content.splitlines()[0] == title


# ---------------------------------------------------------------- forms and buttons


def test_a_guided_form_asks_each_field_with_buttons_previews_and_saves(
    moderator: TgUser, database: str
) -> None:
    question = say(moderator, "/addsource")
    assert "name" in question.content.lower() and "/cancel" in question.content
    kind = say(moderator, "Form-made source")
    assert "official" in kind.button_texts
    moderator.press(kind, "official").wait_answer(timeout=10)
    side = moderator.chat.next_bot_message(timeout=10)
    moderator.press(side, "ukraine").wait_answer(timeout=10)
    country = moderator.chat.next_bot_message(timeout=10)
    moderator.press(country, "Skip").wait_answer(timeout=10)
    description = moderator.chat.next_bot_message(timeout=10)
    moderator.press(description, "Skip").wait_answer(timeout=10)
    preview = moderator.chat.next_bot_message(timeout=10)
    assert "Preview of /addsource" in preview.content and "side: ukraine" in preview.content
    assert "Form-made source" not in dataset_text(database)
    saved = press(moderator, preview, "✅ Save")
    assert "Added source 'Form-made source'" in saved.content
    assert "Form-made source" in dataset_text(database)


def test_a_form_can_be_cancelled_and_checks_each_answer(moderator: TgUser, database: str) -> None:
    before = dataset_text(database)
    say(moderator, "/addevent")
    wrong = replies(moderator, "Not A Slug")
    assert "is not a slug" in wrong[0].content
    assert "slug" in wrong[-1].content.lower()  # asked again
    assert say(moderator, "/cancel").content == "Cancelled; nothing was saved."
    assert dataset_text(database) == before
    answer = "\n".join(m.content for m in replies(moderator, "makiivka strike"))
    assert "Makiivka" in answer  # after /cancel, words are questions again


def test_back_asks_the_previous_question_again_and_forgets_its_answer(
    moderator: TgUser,
) -> None:
    first = say(moderator, "/addsource")
    assert "◀ Back" not in first.button_texts  # nothing to go back to
    kind = say(moderator, "Back-tested source")
    assert "◀ Back" in kind.button_texts
    moderator.press(kind, "◀ Back").wait_answer(timeout=10)
    again = moderator.chat.next_bot_message(timeout=10)
    assert again.content == first.content
    kind = say(moderator, "Renamed source")
    moderator.press(kind, "official").wait_answer(timeout=10)
    side = moderator.chat.next_bot_message(timeout=10)
    moderator.press(side, "◀ Back").wait_answer(timeout=10)
    kind_again = moderator.chat.next_bot_message(timeout=10)
    assert "What kind of source" in kind_again.content
    assert say(moderator, "/cancel").content == "Cancelled; nothing was saved."


def test_the_guided_addclaim_offers_events_and_keeps_the_data_rules(
    moderator: TgUser, database: str
) -> None:
    say(moderator, '/editevent kyiv-drone-attack date_note="Reports differ by a day."')
    first = say(moderator, "/addclaim")
    # The event is offered as buttons, the most recently changed first.
    assert first.button_texts[0] == "Overnight drone attack on Kyiv"
    near = replies(moderator, "makiivka strik")
    assert "makiivka-strike" in near[-1].button_texts  # the events matching what was typed
    moderator.press(near[-1], "makiivka-strike").wait_answer(timeout=10)
    claimant = moderator.chat.next_bot_message(timeout=10)
    assert "Who made the claim" in claimant.content
    metric = say(moderator, "Rybar")
    moderator.press(metric, "other").wait_answer(timeout=10)
    stated = moderator.chat.next_bot_message(timeout=10)
    assert "no_figure" in stated.button_texts
    moderator.press(stated, "Skip").wait_answer(timeout=10)
    figure = moderator.chat.next_bot_message(timeout=10)
    assert "figure in the claimant's words" in figure.content
    assert "Skip" not in figure.button_texts  # a figure, or no_figure one step back
    question = say(moderator, "9")
    for _ in range(20):
        if "Preview" in question.content or "⚠️" in question.content:
            break
        if "quoted word for word" in question.content:
            question = say(moderator, "Nine were hit, a blogger wrote.")
        else:  # every optional field, where it was reported too, is skipped
            moderator.press(question, "Skip").wait_answer(timeout=10)
            question = moderator.chat.next_bot_message(timeout=10)
    assert "Say where the claim was reported" in question.content
    again = moderator.chat.next_bot_message(timeout=10)
    assert "Who reported it" in again.content
    preview = say(moderator, "Example News")
    assert "Preview of /addclaim" in preview.content and "Example News" in preview.content
    assert "Nine were hit" not in dataset_text(database)
    saved = press(moderator, preview, "✅ Save")
    assert "Added claim #" in saved.content
    assert "Nine were hit" in dataset_text(database)


def test_a_form_left_too_long_ends_with_a_clear_message(moderator: TgUser, database: str) -> None:
    say(moderator, "/addevent")
    engine = make_engine(database)
    with unit_of_work(make_session_factory(engine)) as session:
        session.execute(update(ModeratorForm).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    engine.dispose()
    late = replies(moderator, "late-strike")
    assert [m.content for m in late] == [
        "⌛ Your /addevent form waited more than 60 minutes for an answer, so it has ended and "
        "nothing was saved. Send /addevent to start again."
    ]
    assert say(moderator, "/cancel").content == "There is nothing to cancel."


def test_a_stale_edit_form_is_refused_rather_than_overwriting(
    moderator: TgUser, admin: TgUser, database: str
) -> None:
    say(moderator, "/editclaim")
    which = say(moderator, "#5")
    assert "Which field" in which.content
    moderator.press(which, "subject").wait_answer(timeout=10)
    moderator.chat.next_bot_message(timeout=10)
    # Meanwhile someone else corrects the same claim.
    assert "Updated claim #5" in say(admin, '/editclaim 5 subject="Changed by the admin"').content
    refused = say(moderator, "My correction")
    assert "has changed since version" in refused.content
    assert "Changed by the admin" in dataset_text(database)
    assert "My correction" not in dataset_text(database)


def test_delete_asks_first_hides_from_users_and_an_admin_restores(
    tg: FakeTelegram, moderator: TgUser, admin: TgUser
) -> None:
    reader = tg.add_user("Rita")
    assert "Kyiv" in say(reader, "/event kyiv-drone-attack").content
    preview = say(moderator, "/delete kyiv-drone-attack")
    assert "hidden: False → True" in preview.content
    assert "Kyiv" in say(reader, "/event kyiv-drone-attack").content  # not yet
    hidden = press(moderator, preview, "🗑 Hide it")
    assert "Hid event kyiv-drone-attack" in hidden.content
    assert "There is no event" in say(reader, "/event kyiv-drone-attack").content
    assert "Sorry, only admins" in say(moderator, "/restore kyiv-drone-attack").content
    assert (
        "can see event kyiv-drone-attack again" in say(admin, "/restore kyiv-drone-attack").content
    )
    assert "Kyiv" in say(reader, "/event kyiv-drone-attack").content


def test_history_is_paginated_with_buttons(moderator: TgUser) -> None:
    first = say(moderator, "/history")
    assert "page 1 of" in first.content and "Older ▶" in first.button_texts
    second = press(moderator, first, "Older ▶")
    assert "page 2 of" in second.content and "◀ Newer" in second.button_texts


# ---------------------------------------------------------------- files


def test_export_sends_the_data_set_as_a_document(tg: FakeTelegram, moderator: TgUser) -> None:
    reply = say(moderator, "/export")
    assert reply.document is not None and reply.document.file_name
    assert reply.document.file_name.endswith(".yaml")
    document = yaml.safe_load(reply.document.content)
    assert {"sources", "events", "claims"} <= set(document)
    as_json = say(moderator, "/export format=json")
    assert as_json.document is not None
    assert (as_json.document.file_name or "").endswith(".json")


def test_a_bad_import_changes_nothing_and_says_why(moderator: TgUser, database: str) -> None:
    before = dataset_text(database)
    document = json.loads(before)
    document["claims"][0]["event"] = "no-such-event"
    upload = send_file(
        moderator, yaml.safe_dump(document, allow_unicode=True).encode(), "data.yaml"
    )
    reply = say_reply(moderator, "/import", upload)
    assert "Nothing was imported" in reply.content
    assert "event 'no-such-event' does not exist" in reply.content
    assert not reply.buttons
    for content, name, expected in (
        (b"sources: [unclosed", "broken.yaml", "not valid YAML"),
        (b"claim_key,event_slug\n", "claims.csv", "CSV files cannot be imported"),
        (b"\x89PNG\r\n", "picture.png", "unsupported file type '.png'"),
        (b"x" * (20 * 2**20 + 1), "huge.yaml", "larger than 20 MB"),
    ):
        upload = send_file(moderator, content, name)
        assert expected in say_reply(moderator, "/import", upload).content, name
    assert "Send /import in reply to" in say(moderator, "/import").content
    assert dataset_text(database) == before


def test_a_good_import_applies_after_confirmation(
    tg: FakeTelegram, moderator: TgUser, database: str
) -> None:
    document = json.loads(dataset_text(database))
    event = dict(document["events"][0], slug="imported-strike", title="Imported strike")
    event["related"], event["aliases"] = [], [{"text": "Imported Town", "kind": "name"}]
    document["events"].append(event)
    content = yaml.safe_dump(document, allow_unicode=True).encode()
    moderator.send_document(content, "data.yaml", caption="/import")
    preview = moderator.chat.next_bot_message(timeout=10)
    assert "Import preview" in preview.content and "1 new" in preview.content
    assert "imported-strike" not in dataset_text(database)
    applied = press(moderator, preview, "✅ Save")
    assert "Imported" in applied.content
    assert "imported-strike" in dataset_text(database)
    assert "Imported strike" in say(tg.add_user("Ivan"), "/event imported-strike").content
    assert "Undid your import" in say(moderator, "/undo").content
    assert "There is no event" in say(tg.add_user("Ivy"), "/event imported-strike").content


def edits_until(user: TgUser, words: str) -> list[MessageView]:
    """The bot's edits in the chat, up to the first one that contains `words`."""
    edits = [user.chat.next_bot_event(timeout=60, kinds=("edit",)).message]
    while words not in edits[-1].content:
        edits.append(user.chat.next_bot_event(timeout=60, kinds=("edit",)).message)
    return edits


def test_a_large_import_shows_its_progress_then_its_outcome(
    moderator: TgUser, database: str
) -> None:
    content = json.dumps(generate(600)).encode()  # 4,300 records
    assert len(content) > LARGE_IMPORT_BYTES
    moderator.send_document(content, "large.json", caption="/import")
    assert "Checking large.json" in moderator.chat.next_bot_message(timeout=10).content
    *working, preview = edits_until(moderator, "Import preview")
    assert working and all(m.content.startswith("⏳ ") for m in working)
    assert "reading: 1.3/1.3 MB (100%)" in working[0].content
    assert "events: 600 new" in preview.content
    moderator.press(preview, "✅ Save").wait_answer(timeout=60)  # answered once written
    *writing, _ = edits_until(moderator, "Imported")
    assert writing and all(m.content.startswith("⏳ ") for m in writing)
    assert "records" in writing[0].content and not writing[0].buttons
    assert "event-599-" in dataset_text(database)


def send_file(moderator: TgUser, content: bytes, name: str) -> MessageView:
    """A file sent without the /import caption: the bot says how to import it."""
    upload = moderator.send_document(content, name)
    how = moderator.chat.next_bot_message(timeout=10)
    assert how.content.startswith("To import this file, send it again with the caption /import")
    return upload


def say_reply(user: TgUser, text: str, to: MessageView) -> MessageView:
    user.send(text, reply_to=to)
    return user.chat.next_bot_message(timeout=10)


# ---------------------------------------------------------------- nothing goes unanswered

ATTACHMENTS: dict[str, dict[str, Any]] = {
    "photo": {"photo": [{"file_id": "p1", "file_unique_id": "p1", "width": 9, "height": 9}]},
    "sticker": {
        "sticker": {
            "file_id": "s1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 9,
            "height": 9,
            "is_animated": False,
            "is_video": False,
        }
    },
    "voice": {"voice": {"file_id": "v1", "file_unique_id": "v1", "duration": 2}},
}


def send_attachment(tg: FakeTelegram, user: TgUser, attachment: dict[str, Any]) -> None:
    """A photo, sticker or voice message from the user: the simulator sends only text and
    files itself, so the update is queued as Telegram would deliver it."""
    with tg._lock:
        chat = tg._chats[user.chat.id]
        payload = {
            "message_id": 900_000 + tg._next_update_id,
            "from": tg._user_api(user.id),
            "chat": tg._chat_api(chat),
            "date": int(time.time()),
            **attachment,
        }
        tg._enqueue_update("message", payload)
        tg._changed()


@pytest.mark.parametrize("command", ["/unknowncmd", "/settings", "/settings now please"])
def test_an_unknown_command_says_what_the_bot_can_do(
    tg: FakeTelegram, bot: Any, command: str
) -> None:
    found = replies(tg.add_user("Uma"), command)
    assert [m.content for m in found] == [
        "I don't know that command. Ask me about an event in plain words, e.g. “how many died "
        "at Makiivka?”, or see /events. See /help for what I can do."
    ]


def test_unknown_commands_in_groups_are_answered_only_when_addressed_to_the_bot(
    tg: FakeTelegram, bot: Any
) -> None:
    member = tg.add_user("Gil")
    group = tg.add_group("Readers", [member])
    member.send("/settings", chat=group)
    member.send(f"/settings@{tg.bot_username}", chat=group)
    assert "I don't know that command" in group.next_bot_message(timeout=10).content
    with pytest.raises(TimeoutError):
        group.next_bot_message(timeout=1)


@pytest.mark.parametrize("kind", [*ATTACHMENTS, "document"])
def test_a_users_photo_sticker_voice_or_file_gets_one_short_reply(
    tg: FakeTelegram, bot: Any, kind: str
) -> None:
    user = tg.add_user("Pia")
    if kind == "document":
        user.send_document(b"some bytes", "notes.txt")
    else:
        send_attachment(tg, user, ATTACHMENTS[kind])
    found = [user.chat.next_bot_message(timeout=10)]
    with pytest.raises(TimeoutError):
        found.append(user.chat.next_bot_message(timeout=1))
    assert [m.content for m in found] == [
        "I can only read text. Ask me about an event in plain words, e.g. “how many died at "
        "Makiivka?”, or see /events; /help lists what I can do."
    ]


# ---------------------------------------------------------------- odd input


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/history ²", "There is no event '²'"),
        ("/status ³ disputed", "There is no claim '³'"),
        ("/retract ¹", "There is no claim '¹'"),
        ("/editclaim ² subject=x", "There is no claim '²'"),
        ("/history 1 page=²", "Page '²' is not a number"),
        ("/grant ²", "User '²' is not a number"),
        ("/addevent slug=old title=T place=P summary=S date=0001-01-01", "outside 1900-2100"),
        ("/addevent slug=far title=T place=P summary=S end=9999-12-31", "outside 1900-2100"),
        ('/alias makiivka-strike "\ud800x"', "broken character"),
        ("/history \udfff", "broken character"),
    ],
)
def test_odd_moderator_input_gets_a_clear_reply(
    moderator: TgUser, admin: TgUser, database: str, command: str, expected: str
) -> None:
    before = dataset_text(database)
    sender = admin if command.startswith("/grant") else moderator
    found = replies(sender, command)
    assert len(found) == 1 and expected in found[0].content, found[0].content
    assert dataset_text(database) == before


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/events ²", "Usage: /events or /events PAGE"),
        ("/event \ud800", "That is not an event name"),
    ],
)
def test_odd_user_input_gets_a_clear_reply(
    tg: FakeTelegram, bot: Any, command: str, expected: str
) -> None:
    user = tg.add_user("Odile")
    found = replies(user, command)
    assert [expected in m.content for m in found] == [True], found


# ---------------------------------------------------------------- forged buttons


def press_data(tg: FakeTelegram, user: TgUser, message: MessageView, data: str) -> CallbackAnswer:
    """Press a button carrying `data` that the bot never sent (a forged or truncated one)."""
    # The simulator's press by data: the public press looks the button up on the message.
    record = tg._sim_press_button(
        user.id,
        chat_id=message.chat_id,
        message_id=message.message_id,
        inline_message_id=None,
        data=data,
    )
    return CallbackQuery(tg, record).wait_answer(timeout=10)


@pytest.mark.parametrize(
    "data",
    [
        "mk:²",
        "mk:99999999999999999999999",
        "mn:²",
        "mh:c:²:1",
        "mh:e:99999999999999999999:1",
        "mf:status",  # a form button when no form is open
        "ev:²",
        "x:99999999999999999999",
        "p:makiivka-strike",
        "e:",
        "",
        "zz:1",
        "ev:" + "1" * 70,
    ],
)
def test_forged_buttons_get_a_clear_answer_and_change_nothing(
    tg: FakeTelegram, moderator: TgUser, database: str, data: str
) -> None:
    shown = say(moderator, "/history 1")
    before = dataset_text(database)
    answer = press_data(tg, moderator, shown, data)
    assert answer.text is not None
    assert "no longer valid" in answer.text or "form has ended" in answer.text
    with pytest.raises(TimeoutError):  # no apology, no other message
        moderator.chat.next_bot_message(timeout=0.5)
    assert dataset_text(database) == before


def test_a_form_button_pressed_again_does_not_answer_a_later_question(
    tg: FakeTelegram, moderator: TgUser
) -> None:
    """A press delivered twice (an update replayed after a restart) or made on an earlier
    question's message must not be taken as the answer to the question asked since."""
    say(moderator, "/addclaim")
    say(moderator, "makiivka-strike")
    metric = say(moderator, "Rybar")
    assert "What does the claim count" in metric.content
    killed = metric.button("killed").callback_data
    assert killed is not None
    moderator.press(metric, "killed").wait_answer(timeout=10)
    stated = moderator.chat.next_bot_message(timeout=10)
    assert "How is the figure stated" in stated.content
    with tg._lock:
        again = tg._sim_press_button(
            moderator.id,
            chat_id=moderator.chat.id,
            message_id=metric.message_id,
            inline_message_id=None,
            data=killed,
        )
    answered = tg.wait_until(lambda: again.answer, 10, "the repeated press's answer")
    assert answered.text is not None and "no longer valid" in answered.text
    with pytest.raises(TimeoutError):
        moderator.chat.next_bot_message(timeout=1)
    moderator.press(stated, "Skip").wait_answer(timeout=10)
    assert "figure in the claimant's words" in moderator.chat.next_bot_message(timeout=10).content
    say(moderator, "/cancel")
