"""Callback data: what the bot sends parses back, within Telegram's 64 bytes."""

import pytest

from bot.tg import callbacks


def test_card_page_buttons_round_trip() -> None:
    pressed = callbacks.parse(callbacks.card_page("makiivka-strike", 2))
    assert pressed == callbacks.Callback("p", "makiivka-strike", 2)
    # The longest slug (60 characters) fits with any page up to 99.
    assert callbacks.parse(callbacks.card_page("s" * 60, 99)) == callbacks.Callback(
        "p", "s" * 60, 99
    )


@pytest.mark.parametrize("data", ["p:", "p:makiivka-strike", "px:makiivka-strike", "p1:"])
def test_malformed_page_buttons_are_refused(data: str) -> None:
    assert callbacks.parse(data) is None


def test_callback_data_over_64_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        callbacks.card_page("x" * 61, 100)
