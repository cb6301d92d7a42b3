"""Callback queries (a user presses a button) and inline queries, both sides: what a
user does and how the bot answers."""

from __future__ import annotations

import secrets
import zlib
from typing import Any

from .content import MessageContent
from .models import CallbackAnswer, InlineAnswer, JsonDict
from .records import (
    MAX_INLINE_RESULTS,
    QUERY_TOO_OLD,
    CallbackQueryRecord,
    InlineQueryRecord,
    MessageRecord,
    Params,
    bad_request,
)


class QueriesApi(MessageContent):
    """answerCallbackQuery, answerInlineQuery, and the users' side of both."""

    def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        query = self._callback_queries.get(query_id)
        if query is None or query.answer is not None:
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = CallbackAnswer(
            text=text,
            show_alert=params.get_bool("show_alert"),
            url=params.get_str("url"),
            cache_time=params.get_int("cache_time") or 0,
        )
        return True

    def _answer_inline_query(self, params: Params) -> bool:
        query_id = params.get_str("inline_query_id") or ""
        query = self._inline_queries.get(query_id)
        if query is None or query.answer is not None:
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        results = params.get_json("results", "inline query results")
        if not isinstance(results, list):
            raise bad_request("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict):
                raise bad_request(
                    "can't parse inline query result: InlineQueryResult should be an Object"
                )
            if "type" not in result:
                raise bad_request("can't parse inline query result: Can't find field \"type\"")
            if "id" not in result:
                raise bad_request("can't parse inline query result: Can't find field \"id\"")
            result_id = str(result["id"])
            if not result_id or len(result_id.encode("utf-8")) > 64:
                raise bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                self._format(
                    str(content["message_text"]), content.get("parse_mode"), content.get("entities")
                )
            if "reply_markup" in result:
                if not isinstance(result["reply_markup"], dict):
                    raise bad_request("can't parse inline keyboard markup JSON object")
                self._validate_inline_keyboard(result["reply_markup"])
        button = params.get_json("button")
        query.answer = InlineAnswer(
            results=results,
            cache_time=params.get_int("cache_time") or 300,
            is_personal=params.get_bool("is_personal"),
            next_offset=params.get_str("next_offset") or "",
            button=button if isinstance(button, dict) else None,
        )
        return True

    def _sim_press_button(
        self,
        user_id: int,
        *,
        chat_id: int | None,
        message_id: int | None,
        inline_message_id: str | None,
        data: str,
    ) -> CallbackQueryRecord:
        with self._lock:
            query = CallbackQueryRecord(
                id=str(secrets.randbits(62)),
                user_id=user_id,
                data=data,
                chat_id=chat_id,
                message_id=message_id,
                inline_message_id=inline_message_id,
            )
            payload: JsonDict = {
                "id": query.id,
                "from": self._user_api(user_id),
                "chat_instance": str(zlib.crc32(str(chat_id or inline_message_id).encode())),
                "data": data,
            }
            if inline_message_id is not None:
                payload["inline_message_id"] = inline_message_id
            else:
                assert chat_id is not None and message_id is not None
                payload["message"] = self._message_api(self._chats[chat_id].messages[message_id])
            self._callback_queries[query.id] = query
            self._enqueue_update("callback_query", payload)
            self._changed()
            return query

    def _sim_inline_query(
        self, user_id: int, query: str, offset: str, chat_type: str | None
    ) -> InlineQueryRecord:
        with self._lock:
            record = InlineQueryRecord(
                id=str(secrets.randbits(62)),
                user_id=user_id,
                query=query,
                offset=offset,
                chat_type=chat_type,
            )
            payload: JsonDict = {
                "id": record.id,
                "from": self._user_api(user_id),
                "query": query,
                "offset": offset,
            }
            if chat_type:
                payload["chat_type"] = chat_type
            self._inline_queries[record.id] = record
            self._enqueue_update("inline_query", payload)
            self._changed()
            return record

    def _sim_choose_inline_result(
        self, user_id: int, query: InlineQueryRecord, result_id: str, chat_id: int | None
    ) -> MessageRecord | None:
        with self._lock:
            if query.answer is None:
                raise LookupError("the bot has not answered this inline query")
            result = next((r for r in query.answer.results if str(r.get("id")) == result_id), None)
            if result is None:
                ids = [r.get("id") for r in query.answer.results]
                raise LookupError(f"no inline result {result_id!r}; ids: {ids}")
            markup = result.get("reply_markup")
            inline_message_id = secrets.token_urlsafe(18) if markup else None
            msg: MessageRecord | None = None
            if chat_id is not None:
                chat = self._chats[chat_id]
                content = result.get("input_message_content") or {}
                fields: dict[str, Any] = {
                    "via_bot_id": self.bot.id,
                    "inline_message_id": inline_message_id,
                }
                if "message_text" in content:
                    text, entities = self._format(
                        str(content["message_text"]),
                        content.get("parse_mode"),
                        content.get("entities"),
                    )
                    fields.update(
                        text=text,
                        entities=entities,
                        html=content["message_text"],
                        parse_mode=content.get("parse_mode"),
                    )
                else:
                    fields.update(text=str(result.get("title", "")), entities=[])
                if markup:
                    fields["reply_markup"] = markup
                msg = self._new_message(chat, user_id, **fields)
                if inline_message_id is not None:
                    self._inline_messages[inline_message_id] = (chat.id, msg.message_id)
            payload: JsonDict = {
                "result_id": result_id,
                "from": self._user_api(user_id),
                "query": query.query,
            }
            if inline_message_id is not None:
                payload["inline_message_id"] = inline_message_id
            self._enqueue_update("chosen_inline_result", payload)
            if msg is not None and self._chats[msg.chat_id].bot_is_member:
                # Messages sent via the bot reach it (even in privacy mode).
                self._enqueue_update("message", self._message_api(msg))
            self._changed()
            return msg
