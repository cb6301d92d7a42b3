"""What users do: join, open groups and send messages, as tests ask through the client."""

from __future__ import annotations

from typing import Any

from .html import find_auto_entities
from .models import JsonDict
from .records import ChatRecord, MessageRecord, UserRecord
from .state import ServerState


class Simulation(ServerState):
    """Users' actions, as updates the bot receives."""

    def _sim_add_user(
        self,
        first_name: str,
        *,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        is_bot: bool,
    ) -> UserRecord:
        with self._lock:
            user = UserRecord(
                id=self._next_user_id,
                first_name=first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
                is_bot=is_bot,
            )
            self._next_user_id += 1
            self._users[user.id] = user
            self._chats[user.id] = ChatRecord(
                id=user.id, type="private", user_id=user.id, members=[user.id]
            )
            self._changed()
            return user

    def _sim_add_group(
        self,
        title: str,
        member_ids: list[int],
        *,
        supergroup: bool,
        username: str | None,
        admin_ids: list[int],
        creator_id: int | None,
        bot_is_admin: bool,
    ) -> ChatRecord:
        with self._lock:
            seq = self._next_group_seq
            self._next_group_seq += 1
            chat_id = -(1_000_000_000_000 + seq) if supergroup else -(4_000_000 + seq)
            for user_id in member_ids:
                if user_id not in self._users:
                    raise KeyError(f"unknown user {user_id}")
            chat = ChatRecord(
                id=chat_id,
                type="supergroup" if supergroup else "group",
                title=title,
                username=username,
                members=list(member_ids),
                admins=set(admin_ids),
                creator_id=creator_id
                if creator_id is not None
                else (member_ids[0] if member_ids else None),
                bot_is_admin=bot_is_admin,
            )
            self._chats[chat_id] = chat
            self._changed()
            return chat

    def _sim_user_message(
        self,
        user_id: int,
        chat_id: int,
        *,
        text: str | None = None,
        entities: list[JsonDict] | None = None,
        reply_to: int | None = None,
        document: tuple[bytes, str | None, str | None] | None = None,
        caption: str | None = None,
        caption_entities: list[JsonDict] | None = None,
        photo: bool = False,
        forward_origin: JsonDict | None = None,
    ) -> tuple[MessageRecord, JsonDict | None]:
        with self._lock:
            chat = self._chats[chat_id]
            if chat.type != "private" and user_id not in chat.members:
                raise ValueError(f"user {user_id} is not a member of chat {chat_id}")
            if chat.type == "private" and chat.user_id != user_id:
                raise ValueError(f"chat {chat_id} is the private chat of another user")
            reply: tuple[int, int] | None = None
            if reply_to is not None:
                target = chat.messages.get(reply_to)
                if target is None or target.deleted:
                    raise LookupError(f"no message {reply_to} in chat {chat_id}")
                reply = (chat_id, reply_to)
            fields: dict[str, Any] = {
                "reply_to": reply,
                "photo": photo,
                "forward_origin": forward_origin,
            }
            if text is not None:
                fields["text"] = text
                fields["entities"] = entities if entities is not None else find_auto_entities(text)
            if document is not None:
                content, file_name, mime_type = document
                record = self._new_file(content, file_name, mime_type, user_id)
                fields["file_id"] = record.file_id
                if caption:
                    fields["caption"] = caption
                    fields["caption_entities"] = (
                        caption_entities
                        if caption_entities is not None
                        else find_auto_entities(caption)
                    )
            msg = self._new_message(chat, user_id, **fields)
            update = None
            if self._bot_sees(chat, msg):
                update = self._enqueue_update("message", self._message_api(msg))
            self._changed()
            return msg, update

    def _bot_sees(self, chat: ChatRecord, msg: MessageRecord) -> bool:
        """Privacy mode: in groups the bot only gets commands for it and replies to it."""
        if chat.type == "private":
            return True
        if not chat.bot_is_member:
            return False
        if not self.privacy_mode or chat.bot_is_admin:
            return True
        if msg.reply_to is not None:
            target = self._chats[msg.reply_to[0]].messages.get(msg.reply_to[1])
            if target is not None and target.from_bot:
                return True
        text = msg.text if msg.text is not None else (msg.caption or "")
        entities = msg.entities if msg.text is not None else msg.caption_entities
        bot_name = (self.bot.username or "").lower()
        for entity in entities:
            if entity["type"] != "bot_command":
                continue
            from .html import utf16_slice

            command = utf16_slice(text, entity["offset"], entity["length"])
            if "@" not in command or command.split("@", 1)[1].lower() == bot_name:
                return True
        return False
