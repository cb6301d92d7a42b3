"""Callback data of inline buttons: short, typed, and always within Telegram's 64 bytes."""

from dataclasses import dataclass

CALLBACK_DATA_LIMIT = 64


def _checked(data: str) -> str:
    if len(data.encode()) > CALLBACK_DATA_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {data!r}")
    return data


def show_event(slug: str) -> str:
    """Pick an event from a list or a question: the card replaces that message."""
    return _checked(f"e:{slug}")


def open_event(slug: str) -> str:
    """Open another event from a card: the card stays, the new one follows it."""
    return _checked(f"o:{slug}")


def events_page(page: int) -> str:
    return _checked(f"ev:{page}")


def example_question(index: int) -> str:
    return _checked(f"x:{index}")


@dataclass(frozen=True)
class Callback:
    action: str  # "e", "o", "ev" or "x"
    argument: str


def parse(data: str | None) -> Callback | None:
    """The button that was pressed, or None for data this bot never sends."""
    if not data or ":" not in data:
        return None
    action, argument = data.split(":", 1)
    if action not in {"e", "o", "ev", "x"} or not argument:
        return None
    if action in {"ev", "x"} and not argument.isdigit():
        return None
    return Callback(action, argument)
