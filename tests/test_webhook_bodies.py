"""Fuzzing the webhook's parser: whatever is posted, an update or a refusal, never a crash.

Real replicas posting real bodies are in tests/test_deployment.py.
"""

import json
from typing import Any

from hypothesis import given, seed, settings
from hypothesis import strategies as st
from telegram import Bot

from bot.tg.webhook import parse_update

BOT = Bot("7000000001:AAfuzz-token")

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
# Bodies shaped like updates, with any value where Telegram puts a message's fields.
message_like = st.fixed_dictionaries(
    {},
    optional={
        "message_id": json_values,
        "date": st.integers() | json_values,
        "chat": st.fixed_dictionaries({"id": json_values, "type": json_values}) | json_values,
        "from": json_values,
        "text": json_values,
        "entities": json_values,
        "reply_to_message": json_values,
    },
)
update_like = st.builds(
    lambda update_id, kind, value: {"update_id": update_id, kind: value},
    st.integers(),
    st.sampled_from(["message", "edited_message", "callback_query", "inline_query", "poll"]),
    message_like | json_values,
)


@seed(11)
@settings(max_examples=300, deadline=None)
@given(update_like | json_values)
def test_any_json_body_is_an_update_or_refused(body: Any) -> None:
    parsed = parse_update(json.dumps(body).encode(), BOT)
    if parsed is not None:
        data, update = parsed
        assert data == body and update.update_id == body["update_id"]


@seed(12)
@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_an_update_or_refused(body: bytes) -> None:
    parse_update(body, BOT)


def test_deep_nesting_is_refused() -> None:
    assert (
        parse_update(b'{"update_id": 1, "message": ' + b"[" * 10**6 + b"]" * 10**6 + b"}", BOT)
        is None
    )
