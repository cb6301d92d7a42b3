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


def card_page(slug: str, page: int) -> str:
    """Turn a card's page: the same message shows page `page` (from 0) of its claims.

    "p12:slug": the page number in the action keeps a 60-character slug within the limit
    for up to 100 pages.
    """
    return _checked(f"p{page}:{slug}")


def events_page(page: int) -> str:
    return _checked(f"ev:{page}")


def example_question(index: int) -> str:
    return _checked(f"x:{index}")


@dataclass(frozen=True)
class Callback:
    action: str  # "e", "o", "p", "ev" or "x"
    argument: str  # a slug, or a page or question number
    page: int = 0  # of a "p" button


def parse(data: str | None) -> Callback | None:
    """The button that was pressed, or None for data this bot never sends."""
    if not data or ":" not in data:
        return None
    action, argument = data.split(":", 1)
    if action[:1] == "p" and action[1:].isdigit() and argument:
        return Callback("p", argument, int(action[1:]))
    if action not in {"e", "o", "ev", "x"} or not argument:
        return None
    if action in {"ev", "x"} and not argument.isdigit():
        return None
    return Callback(action, argument)
