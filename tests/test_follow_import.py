"""An /import that changes a followed event's claims tells its followers, as a command
does: the change opens a notification in the import's own transaction, which tells the
same difference a command's would have."""

import copy
import datetime as dt
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.follow_service import notification_text
from bot.moderation.files import ImportPreview
from bot.moderation.rendering import render_import_preview
from bot.moderation.service import ModerationService
from db.engine import unit_of_work
from db.follows import follow, set_muted
from db.models import Event, Notification
from db.outbox import prepare_due
from tests.moderating import ADMIN

FOLLOWER = 5001
REVISED = "makiivka-russian-mod-89"


def imported(service: ModerationService, document: dict[str, Any], silent: bool = False) -> int:
    """Import `document` through the bot, as a moderator does; how many followers it told."""
    preview = service.preview_import(ADMIN, yaml.safe_dump(document).encode(), "data.yaml")
    assert not preview.rejected, preview.summary
    return service.confirm(ADMIN, service.remember_import(ADMIN, preview)).followers


def test_an_import_changing_a_followed_claim_tells_its_followers(
    seeded: sessionmaker[Session],
) -> None:
    service = ModerationService(seeded, {ADMIN}, follow_quiet=dt.timedelta(0))
    with unit_of_work(seeded) as session:
        event_id = session.scalar(select(Event.id).where(Event.slug == "makiivka-strike"))
        assert event_id is not None
        follow(session, FOLLOWER, event_id, "en")
    document = yaml.safe_load(service.export(ADMIN).content)
    claim = next(c for c in document["claims"] if c["key"] == REVISED)
    claim["low"] = claim["high"] = 90  # a test edit, not seed data

    assert imported(service, document) == 1
    with unit_of_work(seeded) as session:
        assert prepare_due(session, notification_text) == 1
        texts = session.scalars(select(Notification.texts)).one()
    assert texts is not None
    assert "Russian MoD: 90 killed (was 89)" in texts["en"]


def test_an_import_preview_says_how_many_followers_saving_it_will_tell(
    seeded: sessionmaker[Session],
) -> None:
    """As a command's preview does: the revised figure of a followed claim will be told,
    a reworded summary will not, and a follower who muted everything is not counted."""
    service = ModerationService(seeded, {ADMIN}, follow_quiet=dt.timedelta(0))
    with unit_of_work(seeded) as session:
        event_id = session.scalar(select(Event.id).where(Event.slug == "makiivka-strike"))
        assert event_id is not None
        for chat in (FOLLOWER, FOLLOWER + 1, FOLLOWER + 2):
            follow(session, chat, event_id, "en")
        set_muted(session, FOLLOWER + 2, True)
    exported = yaml.safe_load(service.export(ADMIN).content)

    def preview_of(change: dict[str, Any]) -> ImportPreview:
        document = copy.deepcopy(exported)
        next(c for c in document["claims"] if c["key"] == REVISED).update(change)
        preview = service.preview_import(ADMIN, yaml.safe_dump(document).encode(), "data.yaml")
        assert preview.has_changes and not preview.rejected, preview.summary
        return preview

    revised = preview_of({"low": 90, "high": 90})  # a test edit, not seed data
    assert revised.followers == 2
    assert "Saving this will notify 2 followers" in render_import_preview(revised)
    reworded = preview_of({"summary": "Reworded for a test."})
    assert reworded.followers == 0
    assert "notify" not in render_import_preview(reworded)
