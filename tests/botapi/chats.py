"""Chats and the bot's settings: getMe, getChat and members, command menus, the menu
button, the bot's name and descriptions."""

from __future__ import annotations

import re

from .models import JsonDict
from .records import _COMMAND_RE, SCOPE_TYPES, ChatRecord, Params, bad_request
from .state import ServerState


class ChatsApi(ServerState):
    """getMe, getChat*, *MyCommands, *ChatMenuButton, setMy*/getMy*."""

    def _set_my_commands(self, params: Params) -> bool:
        commands = params.get_json("commands", "bot commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse bot commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        clean: list[JsonDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand: BotCommand should be an Object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.match(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": description})
        key = (*self._scope_key(params), self._language(params))
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: Params) -> list[JsonDict]:
        key = (*self._scope_key(params), self._language(params))
        return [dict(c) for c in self._commands.get(key, [])]

    def _delete_my_commands(self, params: Params) -> bool:
        key = (*self._scope_key(params), self._language(params))
        self._commands.pop(key, None)
        return True

    def _set_chat_menu_button(self, params: Params) -> bool:
        chat_id: int | None = None
        if params.has("chat_id"):
            chat = self._resolve_chat(params)
            if chat.type != "private":
                raise bad_request("chat must be a private chat")
            chat_id = chat.id
        button = params.get_json("menu_button", "menu button")
        if button is None:
            button = {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise bad_request("can't parse menu button JSON object")
        if button["type"] == "web_app" and (
            not isinstance(button.get("text"), str) or not isinstance(button.get("web_app"), dict)
        ):
            raise bad_request("can't parse menu button JSON object")
        self._menu_buttons[chat_id] = dict(button)
        return True

    def _get_chat_menu_button(self, params: Params) -> JsonDict:
        chat_id = self._resolve_chat(params).id if params.has("chat_id") else None
        return dict(
            self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "default"}
        )

    def _get_chat(self, params: Params) -> JsonDict:
        chat = self._resolve_chat(params)
        return {**self._chat_api(chat), "accent_color_id": 0, "max_reaction_count": 11}

    def _member_api(self, chat: ChatRecord, user_id: int) -> JsonDict:
        user = self._user_api(user_id)
        if user_id == self.bot.id:
            status = (
                "administrator"
                if chat.bot_is_admin
                else ("member" if chat.bot_is_member else "left")
            )
        elif chat.type == "private":
            status = "member" if user_id == chat.user_id else "left"
        elif user_id == chat.creator_id:
            status = "creator"
        elif user_id in chat.admins:
            status = "administrator"
        elif user_id in chat.members:
            status = "member"
        else:
            status = "left"
        data: JsonDict = {"status": status, "user": user}
        if status == "creator":
            data["is_anonymous"] = False
        if status == "administrator":
            rights = [
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
                "can_pin_messages",
            ]
            data.update(
                {"can_be_edited": False, "is_anonymous": False, **dict.fromkeys(rights, True)}
            )
        return data

    def _get_chat_member(self, params: Params) -> JsonDict:
        chat = self._resolve_chat(params)
        user_id = params.get_int("user_id")
        if user_id is None or self._user(user_id) is None:
            raise bad_request("user not found")
        return self._member_api(chat, user_id)

    def _get_chat_administrators(self, params: Params) -> list[JsonDict]:
        chat = self._resolve_chat(params)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        ids = sorted({*chat.admins, *([chat.creator_id] if chat.creator_id else [])})
        if chat.bot_is_admin:
            ids.append(self.bot.id)
        return [self._member_api(chat, user_id) for user_id in ids]

    def _get_chat_member_count(self, params: Params) -> int:
        chat = self._resolve_chat(params)
        if chat.type == "private":
            return 2
        return len(chat.members) + (1 if chat.bot_is_member else 0)

    def _set_bot_text(self, kind: str, params: Params) -> bool:
        value = params.get_str(kind) or ""
        limits = {"description": 512, "short_description": 120, "name": 64}
        if len(value) > limits[kind]:
            raise bad_request(f"{kind.upper()}_INVALID")
        key = (kind, self._language(params))
        if value:
            self._bot_texts[key] = value
        else:
            self._bot_texts.pop(key, None)
        return True

    def _get_bot_text(self, kind: str, params: Params) -> str:
        return self._bot_texts.get((kind, self._language(params)), "")

    def _scope_key(self, params: Params) -> tuple[str, int | None, int | None]:
        scope = params.get_json("scope", "BotCommandScope")
        if scope is None:
            return "default", None, None
        if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope JSON object: unsupported scope type")
        kind = str(scope["type"])
        chat_id: int | None = None
        user_id: int | None = None
        if kind in ("chat", "chat_administrators", "chat_member"):
            raw = scope.get("chat_id")
            chat: ChatRecord | None = None
            if isinstance(raw, str) and raw.startswith("@"):
                chat = next((c for c in self._chats.values() if c.username == raw[1:]), None)
            elif raw is not None:
                try:
                    chat = self._chats.get(int(raw))
                except (TypeError, ValueError):
                    chat = None
            if chat is None:
                raise bad_request("chat not found")
            chat_id = chat.id
            if kind == "chat_member":
                try:
                    user_id = int(scope.get("user_id"))  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    raise bad_request("invalid user_id specified") from None
                if user_id not in chat.members and user_id != chat.user_id:
                    raise bad_request("user not found")
        return kind, chat_id, user_id

    def _language(self, params: Params) -> str:
        code = params.get_str("language_code") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise bad_request("invalid language code specified")
        return code

    def _get_me(self, params: Params) -> JsonDict:
        return {
            **self.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": self.supports_inline_queries,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
