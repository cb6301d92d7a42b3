"""An /import that changes a followed event's claims tells its followers, as a command
does: the change opens a notification in the import's own transaction, which tells the
same difference a command's would have."""

import datetime as dt
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.follow_service import notification_text
from bot.moderation.service import ModerationService
from db.engine import unit_of_work
from db.follows import follow
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
