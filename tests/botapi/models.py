"""Immutable views of the fake Telegram's state, handed to tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JsonDict = dict[str, Any]

BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

EventKind = Literal["message", "edit", "delete"]


@dataclass(frozen=True)
class Button:
    """One inline keyboard button as a user sees it."""

    text: str
    action: str
    value: Any
    raw: JsonDict = field(repr=False)

    @property
    def callback_data(self) -> str | None:
        return self.value if self.action == "callback_data" else None

    @property
    def url(self) -> str | None:
        return self.value if self.action == "url" else None


@dataclass(frozen=True)
class DocumentView:
    """A document stored by the fake server (sent by the bot or uploaded by a test user)."""

    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    content: bytes = field(repr=False)
    file_path: str

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class MessageView:
    """A message as it is (or was, for event snapshots) in a chat.

    ``text``/``caption`` are what a user sees (HTML parsed out); ``html``/``caption_html``
    are the raw strings the sender passed (``None`` for messages that test users sent).
    """

    chat_id: int
    message_id: int
    from_id: int
    from_bot: bool
    date: int
    text: str | None
    html: str | None
    parse_mode: str | None
    entities: tuple[JsonDict, ...]
    caption: str | None
    caption_html: str | None
    caption_entities: tuple[JsonDict, ...]
    reply_markup: JsonDict | None
    reply_keyboard: JsonDict | None
    reply_to_message_id: int | None
    document: DocumentView | None
    edit_date: int | None
    deleted: bool
    via_bot_id: int | None
    inline_message_id: str | None
    link_preview_options: JsonDict | None
    version: int

    @property
    def content(self) -> str:
        """The visible text: the message text, else the caption, else ''."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def keyboard(self) -> list[list[Button]]:
        """Rows of inline buttons ([] without an inline keyboard)."""
        if not self.reply_markup:
            return []
        rows: list[list[Button]] = []
        for row in self.reply_markup.get("inline_keyboard", []):
            buttons: list[Button] = []
            for raw in row:
                action = next((a for a in BUTTON_ACTIONS if a in raw), "")
                buttons.append(Button(str(raw.get("text", "")), action, raw.get(action), raw))
            rows.append(buttons)
        return rows

    @property
    def buttons(self) -> list[Button]:
        return [button for row in self.keyboard for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [button.text for button in self.buttons]

    def button(self, text_or_data: str) -> Button:
        """The button whose text, else callback_data, equals ``text_or_data``."""
        for button in self.buttons:
            if button.text == text_or_data:
                return button
        for button in self.buttons:
            if button.callback_data == text_or_data:
                return button
        raise LookupError(
            f"no button {text_or_data!r} in message {self.message_id}: {self.button_texts}"
        )

    def entities_of_type(self, kind: str) -> list[str]:
        """The texts covered by entities of one type, e.g. ``entities_of_type("bold")``."""
        from .html import utf16_slice

        source = self.text if self.text is not None else (self.caption or "")
        entities = self.entities if self.text is not None else self.caption_entities
        return [
            utf16_slice(source, e["offset"], e["length"]) for e in entities if e["type"] == kind
        ]


@dataclass(frozen=True)
class BotEvent:
    """Something the bot did to a message that users can see."""

    seq: int
    kind: EventKind
    message: MessageView

    @property
    def chat_id(self) -> int:
        return self.message.chat_id


@dataclass(frozen=True)
class CallbackAnswer:
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass(frozen=True)
class InlineAnswer:
    results: list[JsonDict]
    cache_time: int
    is_personal: bool
    next_offset: str
    button: JsonDict | None


@dataclass(frozen=True)
class ApiCall:
    """One request that reached a known method (after token check)."""

    method: str
    params: JsonDict
    status: int
    description: str | None
    injected: bool
    time: float


@dataclass(frozen=True)
class ChatAction:
    chat_id: int
    action: str
    time: float


@dataclass
class Fault:
    """A fault to inject into the next ``remaining`` matching calls."""

    methods: frozenset[str] | None  # lowercase method names; None = all methods
    remaining: int
    status: int | None
    retry_after: float
    delay: float
    description: str | None
    answer_delay: float = 0.0  # after the call took effect: an answer slow to come back

    def matches(self, method: str) -> bool:
        return self.remaining > 0 and (self.methods is None or method.lower() in self.methods)
