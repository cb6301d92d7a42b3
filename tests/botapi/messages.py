"""Messages a bot sends, edits and deletes, and chat actions."""

from __future__ import annotations

from typing import Any

from .content import MessageContent
from .models import ChatAction, JsonDict
from .records import CHAT_ACTIONS, NOT_MODIFIED, ChatRecord, MessageRecord, Params, bad_request


class MessagesApi(MessageContent):
    """sendMessage, editMessage*, deleteMessage(s), sendChatAction."""

    def _send_message(self, params: Params) -> JsonDict:
        chat = self._resolve_chat(params)
        self._check_can_send(chat)
        raw = params.get_str("text")
        parse_mode = params.get_str("parse_mode")
        text, entities = self._format(raw, parse_mode, params.get_json("entities"))
        inline, other = self._parse_reply_markup(params)
        reply_to = self._resolve_reply(chat, params)
        msg = self._new_message(
            chat,
            self.bot.id,
            text=text,
            entities=entities,
            html=raw,
            parse_mode=parse_mode,
            reply_markup=inline,
            reply_keyboard=other,
            reply_to=reply_to,
            link_preview_options=self._link_preview(params),
        )
        self._record_event("message", msg)
        return self._message_api(msg)

    def _edit_message_text(self, params: Params) -> Any:
        msg, is_inline = self._message_for_edit(params)
        if msg.text is None:
            raise bad_request("there is no text in the message to edit")
        raw = params.get_str("text")
        parse_mode = params.get_str("parse_mode")
        text, entities = self._format(raw, parse_mode, params.get_json("entities"))
        inline, _ = self._parse_reply_markup(params, inline_only=True)
        preview = self._link_preview(params)
        if text == msg.text and entities == msg.entities and inline == msg.reply_markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.text, msg.entities, msg.html, msg.parse_mode = text, entities, raw, parse_mode
        msg.reply_markup = inline
        if preview is not None:
            msg.link_preview_options = preview
        return self._edit_result(msg, is_inline)

    def _edit_message_caption(self, params: Params) -> Any:
        msg, is_inline = self._message_for_edit(params)
        if msg.file_id is None:
            raise bad_request("there is no caption in the message to edit")
        raw = params.get_str("caption")
        parse_mode = params.get_str("parse_mode")
        caption, entities = self._format(
            raw, parse_mode, params.get_json("caption_entities"), caption=True
        )
        inline, _ = self._parse_reply_markup(params, inline_only=True)
        if (
            (caption or None) == msg.caption
            and entities == msg.caption_entities
            and inline == msg.reply_markup
        ):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.caption, msg.caption_entities, msg.caption_html = caption or None, entities, raw
        msg.reply_markup = inline
        return self._edit_result(msg, is_inline)

    def _edit_message_reply_markup(self, params: Params) -> Any:
        msg, is_inline = self._message_for_edit(params)
        inline, _ = self._parse_reply_markup(params, inline_only=True)
        if inline == msg.reply_markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.reply_markup = inline
        return self._edit_result(msg, is_inline)

    def _delete_one(self, chat: ChatRecord, message_id: int | None) -> MessageRecord:
        msg = chat.messages.get(message_id or 0)
        if msg is None or msg.deleted:
            raise bad_request("message to delete not found")
        if not msg.from_bot and chat.type != "private" and not chat.bot_is_admin:
            raise bad_request("message can't be deleted")
        return msg

    def _delete_message(self, params: Params) -> bool:
        chat = self._resolve_chat(params)
        msg = self._delete_one(chat, params.get_int("message_id", "message to delete not found"))
        msg.deleted = True
        self._record_event("delete", msg)
        return True

    def _delete_messages(self, params: Params) -> bool:
        chat = self._resolve_chat(params)
        ids = params.get_json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be a non-empty list of at most 100 identifiers")
        deleted = 0
        for message_id in ids:
            msg = chat.messages.get(int(message_id))
            if msg is None or msg.deleted:
                continue
            if not msg.from_bot and chat.type != "private" and not chat.bot_is_admin:
                continue
            msg.deleted = True
            self._record_event("delete", msg)
            deleted += 1
        if not deleted:
            raise bad_request("message to delete not found")
        return True

    def _send_chat_action(self, params: Params) -> bool:
        chat = self._resolve_chat(params)
        self._check_can_send(chat)
        action = params.get_str("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._chat_actions.append(ChatAction(chat.id, action, self._clock()))
        return True
