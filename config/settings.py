"""All runtime settings, from `CLAIMBOT_*` environment variables or a `.env` file."""

import re
from pathlib import Path
from typing import Annotated, Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def default_database_url() -> str:
    """A SQLite file in the per-user data directory, so `claimbot` works from any folder."""
    directory = Path(user_data_dir("claimbot", appauthor=False))
    return f"sqlite:///{directory / 'claimbot.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CLAIMBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = Field(default=None, description="Bot token from @BotFather.")
    database_url: str = Field(default_factory=default_database_url)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    bot_api_url: str = "https://api.telegram.org/bot"
    bot_api_file_url: str | None = None

    # The public base URL of the web site (`claimbot web`), where cards link to and
    # ClaimReview exports point, and the organisation that runs the bot (the reviews' author).
    public_url: str | None = None
    organisation: str | None = Field(default=None, min_length=1, max_length=200)
    # Where `claimbot web` listens; a reverse proxy serves it at public_url.
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8090, ge=1, le=65535)

    log_level: str = "INFO"
    # `json`: one JSON object a line, for a log collector.
    log_format: Literal["text", "json"] = "text"

    # Webhook mode (`claimbot run --webhook`, or CLAIMBOT_WEBHOOK=true): Telegram posts updates
    # to webhook_url, which a reverse proxy forwards to webhook_listen:webhook_port/webhook_path.
    webhook: bool = False
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = "/telegram"
    webhook_secret: SecretStr | None = None

    # Prometheus metrics: webhook mode serves GET /metrics on the webhook's address; polling
    # mode serves it on this address when a port is set.
    metrics_listen: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    # Telegram lets a bot send about 30 messages a second; 0 turns the limit off (tests only).
    rate_limit_per_second: float = Field(default=30, ge=0)
    # How often each process looks for data changed by other processes.
    index_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    # Where to keep the match index between starts (a file); unset, every start builds it.
    # At 100,000 events a start from it takes seconds instead of a minute or more.
    index_snapshot: Path | None = None
    # Event cards (with their rendered pages) kept in memory; the least recently asked go first.
    card_cache_size: int = Field(default=1000, ge=1)
    # A moderator's guided form left unanswered this long ends, with nothing saved.
    form_timeout_seconds: float = Field(default=3600, gt=0)
    # Questions one person may ask a minute; past it they are told once to slow down.
    questions_per_minute: int = Field(default=20, ge=1)
    # Following events: changes to one event within this many seconds are told in one
    # message; the delivery worker sends notifications at most this many a second, leaving
    # the rest of Telegram's ~30 for answers, which also pause it while they are in hand.
    follow_quiet_seconds: float = Field(default=600, ge=0)
    follow_messages_per_second: float = Field(default=25, gt=0)
    # How long a sender holds the deliveries it took; a killed sender's are sent by another
    # (or after a restart) once it runs out.
    follow_lease_seconds: float = Field(default=60, gt=0)
    # The largest file `claimbot import` reads, in MB: an import holds about ten times its
    # file in memory; a JSON export of 100,000 events is about 225 MB.
    import_max_mb: int = Field(default=512, ge=1)
    # Users in the loop: tips one person may send an hour; how long a moderator's "Spam"
    # stops that person's tips; how long closed inbox items, questions and feedback are kept.
    tips_per_hour: int = Field(default=10, ge=1)
    spam_block_hours: float = Field(default=24, gt=0)
    retention_days: int = Field(default=90, ge=1)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            try:
                return frozenset(int(part) for part in parts if part)
            except ValueError:
                raise ValueError(
                    "must be comma-separated Telegram user ids, e.g. 12345,67890"
                ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+", "postgres:")):
            raise ValueError("must be a sqlite:///PATH or postgresql://USER@HOST/DB URL")
        return value

    @field_validator("bot_api_url", "bot_api_file_url", "public_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be the public https:// URL Telegram posts updates to")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _check_webhook_path(cls, value: str) -> str:
        if not re.fullmatch(r"/[A-Za-z0-9._~/-]*", value):
            raise ValueError("must be a URL path starting with /, e.g. /telegram")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for secret_token; checked here so a bad one fails at start.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level


class SettingsError(Exception):
    """Invalid settings, explained in one line that names the variable."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"CLAIMBOT_{field.upper()}: {message}") from None
