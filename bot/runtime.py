"""What a running claimbot is made of: settings, the database and the services on it."""

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.answering import AnswerService
from bot.card_cache import CardCache
from bot.index_snapshot import snapshot_key
from bot.logs import setup_logging
from bot.matching import Matcher
from config import Settings
from db.bootstrap import initialise
from db.engine import make_engine, make_session_factory
from db.migrate import is_up_to_date, upgrade
from db.queries import is_empty

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from bot.moderation.service import ModerationService
    from bot.tipline.service import TiplineService

log = logging.getLogger(__name__)


def configure_logging(settings: Settings) -> None:
    token = settings.token.get_secret_value() if settings.token else ""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    # The part after the bot id is what must stay secret, however a library quotes the URL.
    secrets = [token, token.partition(":")[2], secret]
    setup_logging(settings.log_level, settings.log_format, [s for s in secrets if s])


class DatabaseNotReady(Exception):
    """The database needs `claimbot init` or `claimbot db upgrade` first."""


@dataclass
class Runtime:
    settings: Settings
    engine: Engine

    @classmethod
    def from_settings(cls, settings: Settings) -> "Runtime":
        return cls(settings, make_engine(settings.database_url))

    @functools.cached_property
    def sessions(self) -> "sessionmaker[Session]":
        """ORM sessions, for writes: made on first use, so that answering never loads the ORM."""
        return make_session_factory(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def ensure_schema(self) -> None:
        """Migrate a SQLite database in place; a PostgreSQL one needs `claimbot db upgrade`."""
        if is_up_to_date(self.engine):
            return
        if not self.is_sqlite:
            raise DatabaseNotReady(
                "the database schema is not up to date: run `claimbot db upgrade` first"
            )
        upgrade(self.engine)

    def ensure_ready(self) -> bool:
        """Set up an empty SQLite database on first use; True when the seed was loaded.

        A PostgreSQL database is shared and deliberate: it needs `claimbot init`.
        """
        if is_up_to_date(self.engine):
            with self.engine.connect() as connection:
                if not is_empty(connection) or not self.is_sqlite:
                    return False
        if not self.is_sqlite:
            raise DatabaseNotReady(
                "the database schema is not up to date: run `claimbot init` (or `claimbot db "
                "upgrade` for an existing database) first"
            )
        return initialise(self.engine, self.sessions).seeded

    def answer_service(self) -> AnswerService:
        cards = CardCache(self.settings.card_cache_size)
        service = AnswerService(self.engine, Matcher(), cards)
        path = self.settings.index_snapshot
        if path is None:
            log.info("match index built for %d events", service.rebuild_index())
            return service
        key = snapshot_key(self.settings.database_url)
        if service.resume(path, key):
            log.info("match index read from %s: %d events", path, len(service))
        else:
            log.info("match index built for %d events", service.rebuild_index((path, key)))
        return service

    def moderation_service(self, answers: AnswerService) -> "ModerationService":
        """Moderators' changes, with the answers' match index following each one."""
        # Imported here: only the Telegram bot moderates, and `claimbot ask` should not wait
        # for the moderators' commands and forms to load.
        from bot.moderation.service import ModerationService

        return ModerationService(
            self.sessions,
            self.settings.admin_ids,
            answers.refresh_events,
            dt.timedelta(seconds=self.settings.form_timeout_seconds),
            dt.timedelta(seconds=self.settings.follow_quiet_seconds),
        )

    def tipline_service(self) -> "TiplineService":
        """Users in the loop: the inbox, feedback and figures, with the configured limits."""
        from bot.tipline.service import Limits, TiplineService

        settings = self.settings
        limits = Limits(settings.tips_per_hour, settings.retention_days, settings.spam_block_hours)
        return TiplineService(self.sessions, limits)
