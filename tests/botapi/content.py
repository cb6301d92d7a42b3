"""Checking what a bot sends in a message: HTML and entities, reply markup, replies,
link previews, and finding the message an edit is for."""

from __future__ import annotations

from typing import Any

from .html import (
    EntityParseError,
    find_auto_entities,
    merge_entities,
    parse_html,
    strip_formatted,
    utf16_len,
)
from .models import BUTTON_ACTIONS, JsonDict
from .records import (
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    ChatRecord,
    MessageRecord,
    Params,
    bad_request,
)
from .state import ServerState


class MessageContent(ServerState):
    """Validation of message content, shared by messages, files and queries."""

    def _format(
        self,
        text: str | None,
        parse_mode: str | None,
        entities: Any,
        *,
        caption: bool = False,
    ) -> tuple[str, list[JsonDict]]:
        """Validate a text/caption as Telegram does; returns (visible text, entities)."""
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        text = text or ""
        if not text and not caption:
            raise bad_request("message text is empty")
        mode = (parse_mode or "").strip().lower()
        if mode == "html":
            try:
                parsed = parse_html(
                    text, strict=self.strict_html, resolve_user=self._resolve_user_api
                )
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
            visible, ents = parsed.text, parsed.entities
        elif mode in ("", "none"):
            visible, ents = text, self._explicit_entities(entities, text)
        elif mode in ("markdown", "markdownv2"):
            # Not validated by this test server: the text is stored as sent.
            visible, ents = text, []
        else:
            raise bad_request("unsupported parse_mode")
        stripped = strip_formatted(visible, ents)
        visible, ents = stripped.text, stripped.entities
        if not visible and not caption:
            raise bad_request("message text is empty")
        if utf16_len(visible) > limit:
            raise bad_request("message caption is too long" if caption else "message is too long")
        ents = merge_entities(ents, find_auto_entities(visible, ents))
        return visible, ents

    @staticmethod
    def _explicit_entities(entities: Any, text: str) -> list[JsonDict]:
        if entities is None:
            return []
        if not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        total = utf16_len(text)
        result: list[JsonDict] = []
        for entity in entities:
            if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
                raise bad_request("can't parse MessageEntity: Can't find field \"type\"")
            offset, length = entity.get("offset"), entity.get("length")
            if not isinstance(offset, int) or not isinstance(length, int):
                raise bad_request(
                    'can\'t parse MessageEntity: Field "offset" must be of type Number'
                )
            if offset < 0 or length <= 0 or offset + length > total:
                continue
            result.append(dict(entity))
        return sorted(result, key=lambda e: (e["offset"], -e["length"]))

    def _parse_reply_markup(
        self, params: Params, *, inline_only: bool = False
    ) -> tuple[JsonDict | None, JsonDict | None]:
        """(inline keyboard markup, other markup) from ``reply_markup``."""
        markup = params.get_json("reply_markup", "reply keyboard markup")
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return self._validate_inline_keyboard(markup), None
        if inline_only:
            raise bad_request("can't parse inline keyboard markup JSON object")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    label = button if isinstance(button, str) else (button or {}).get("text")
                    if not isinstance(label, str) or not label:
                        raise bad_request("can't parse keyboard button: Text must be non-empty")
            return None, markup
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return None, markup
        raise bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _validate_inline_keyboard(markup: JsonDict) -> JsonDict:
        rows = markup.get("inline_keyboard")
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict):
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "InlineKeyboardButton should be an Object"
                    )
                if "text" not in button:
                    raise bad_request(
                        "can't parse inline keyboard button: Can't find field \"text\""
                    )
                for name in (
                    "text",
                    "url",
                    "callback_data",
                    "switch_inline_query",
                    "switch_inline_query_current_chat",
                ):
                    if name in button and not isinstance(button[name], str):
                        raise bad_request(
                            "can't parse inline keyboard button: "
                            f'Field "{name}" must be of type String'
                        )
                if not button["text"].strip():
                    raise bad_request("can't parse inline keyboard button: Text must be non-empty")
                actions = [a for a in BUTTON_ACTIONS if a in button]
                if not actions:
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                if len(actions) > 1:
                    raise bad_request(
                        "can't parse inline keyboard button: exactly one of the optional "
                        f"fields must be used, found {', '.join(actions)}"
                    )
                if "callback_data" in button:
                    size = len(button["callback_data"].encode("utf-8"))
                    if size == 0 or size > MAX_CALLBACK_DATA_BYTES:
                        raise bad_request("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"].lower()
                    if not url.startswith(("http://", "https://", "tg://")) or len(url) < 9:
                        raise bad_request("BUTTON_URL_INVALID")
        return {"inline_keyboard": rows}

    def _resolve_reply(self, chat: ChatRecord, params: Params) -> tuple[int, int] | None:
        reply = params.get_json("reply_parameters")
        if reply is not None:
            if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
                raise bad_request("can't parse reply parameters JSON object")
            message_id = reply["message_id"]
            allow = bool(reply.get("allow_sending_without_reply"))
            target_chat = chat
            if reply.get("chat_id") not in (None, chat.id):
                other = (
                    self._chats.get(int(reply["chat_id"]))
                    if str(reply["chat_id"]).lstrip("-").isdigit()
                    else None
                )
                if other is None:
                    raise bad_request("chat not found")
                target_chat = other
        elif params.has("reply_to_message_id"):
            message_id = params.get_int("reply_to_message_id") or 0
            allow = params.get_bool("allow_sending_without_reply")
            target_chat = chat
        else:
            return None
        target = target_chat.messages.get(message_id)
        if target is None or target.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return target_chat.id, message_id

    @staticmethod
    def _link_preview(params: Params) -> JsonDict | None:
        options = params.get_json("link_preview_options")
        if options is not None:
            if not isinstance(options, dict):
                raise bad_request("can't parse link preview options JSON object")
            return dict(options)
        if params.has("disable_web_page_preview"):
            return {"is_disabled": params.get_bool("disable_web_page_preview")}
        return None

    def _message_for_edit(self, params: Params) -> tuple[MessageRecord, bool]:
        """(message, is_inline) addressed by chat_id+message_id or inline_message_id."""
        inline_id = params.get_str("inline_message_id")
        if inline_id:
            location = self._inline_messages.get(inline_id)
            if location is None:
                raise bad_request("MESSAGE_ID_INVALID")
            return self._chats[location[0]].messages[location[1]], True
        chat = self._resolve_chat(params)
        message_id = params.get_int("message_id", "message to edit not found")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise bad_request("message to edit not found")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        return msg, False

    def _edit_result(self, msg: MessageRecord, is_inline: bool) -> Any:
        msg.edit_date = self._now()
        msg.version += 1
        self._record_event("edit", msg)
        return True if is_inline else self._message_api(msg)
