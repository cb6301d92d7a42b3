"""Telegram's HTML subset: parser, UTF-16 helpers and automatic entity detection.

The parser follows tdlib's ``parse_html`` (which the Bot API server uses for
``parse_mode=HTML``) closely, including its error wording, so that a message the
real Telegram would reject is rejected here with the same description.

``strict=True`` (the default of the test server) is deliberately a little stricter
than Telegram, in the direction the Bot API documentation demands:

* a bare ``&`` that does not start ``&lt;``/``&gt;``/``&amp;``/``&quot;`` or a
  numeric reference is an error (Telegram silently shows it literally);
* ``<a>`` needs an ``href`` with an ``http``/``https``/``tg``/``mailto`` URL
  (Telegram silently drops links it does not like).

``strict=False`` reproduces tdlib's lenient behaviour for those two cases.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EntityParseError",
    "ParsedText",
    "escape",
    "find_auto_entities",
    "parse_html",
    "strip_formatted",
    "utf16_len",
    "utf16_slice",
]

JsonDict = dict[str, Any]

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
}
_SPACES = frozenset(" \t\r\n\v\f")
_ALLOWED_LINK_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_TG_USER_RE = re.compile(r"^tg://user\?id=(\d+)$", re.IGNORECASE)


class EntityParseError(ValueError):
    """The text can't be parsed; ``str(exc)`` is the part after "can't parse entities: "."""


@dataclass(frozen=True)
class ParsedText:
    """The text a user sees and its entities (Bot API ``MessageEntity`` dicts)."""

    text: str
    entities: list[JsonDict]


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of ``text`` that a Telegram entity (``offset``/``length`` in UTF-16) covers."""
    raw = text.encode("utf-16-le", "surrogatepass")
    return raw[2 * offset : 2 * (offset + length)].decode("utf-16-le", "surrogatepass")


def escape(text: str) -> str:
    """Escape text for ``parse_mode=HTML`` the way the Bot API documentation asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MARKUP_RE = re.compile("[<&]")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode an HTML entity at ``text[pos] == '&'`` like tdlib: returns (char, end) or None."""
    n = len(text)
    end = pos + 1
    code = 0
    if end < n and text[end] == "#":
        end += 1
        digits_start = end
        if end < n and text[end] == "x":
            end += 1
            digits_start = end
            while end < n and text[end] in "0123456789abcdefABCDEF":
                code = code * 16 + int(text[end], 16)
                end += 1
                if code >= 0x10FFFF:
                    return None
        else:
            while end < n and text[end].isascii() and text[end].isdigit():
                code = code * 10 + int(text[end])
                end += 1
                if code >= 0x10FFFF:
                    return None
        if end == digits_start or code == 0 or end - pos >= 10:
            return None
        char = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        name = text[pos + 1 : end]
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(name)
        if named is None:
            return None
        char = named
    if end < n and text[end] == ";":
        end += 1
    return char, end


def _check_link(url: str) -> str | None:
    """Normalise a link like Telegram's ``get_checked_link`` (roughly); None if unusable."""
    url = url.strip()
    if not url or any(c in _SPACES for c in url):
        return None
    lower = url.lower()
    if lower.startswith(_ALLOWED_LINK_SCHEMES):
        return url
    if ":" in lower.split("/", 1)[0]:
        return None  # another scheme, e.g. javascript:
    if "." in lower.split("/", 1)[0]:
        return "http://" + url
    return None


@dataclass
class _Open:
    tag: str
    argument: str
    utf16_start: int
    out_start: int
    byte_pos: int
    has_argument: bool


def parse_html(
    html: str,
    *,
    strict: bool = True,
    resolve_user: Callable[[int], JsonDict | None] | None = None,
) -> ParsedText:
    """Parse Telegram-flavoured HTML into text and entities; raise :class:`EntityParseError`."""
    out: list[str] = []
    out_len = 0  # in characters of ``out`` joined
    utf16 = 0
    entities: list[JsonDict] = []
    stack: list[_Open] = []
    n = len(html)
    i = 0

    def emit(chars: str) -> None:
        nonlocal out_len, utf16
        out.append(chars)
        out_len += len(chars)
        utf16 += utf16_len(chars)

    while i < n:
        c = html[i]
        if c == "&":
            decoded = _decode_entity(html, i)
            if decoded is not None:
                char, i = decoded
                if 0xD800 <= ord(char) <= 0xDFFF:
                    raise EntityParseError(
                        "Text contains invalid Unicode characters after decoding HTML entities, "
                        "check for unmatched surrogate code units"
                    )
                emit(char)
                continue
            if strict:
                raise EntityParseError(
                    f'Unescaped "&" at byte offset {_byte_offset(html, i)}; use "&amp;"'
                )
        if c != "<":
            # The plain text up to the next tag or entity in one piece: char by char, the
            # server spent more time on a 3 KB message than the bot that sent it.
            markup = _MARKUP_RE.search(html, i + 1)
            end = markup.start() if markup else n
            emit(html[i:end])
            i = end
            continue

        begin = i
        i += 1
        if i >= n or html[i] != "/":
            # start tag
            while i < n and html[i] not in _SPACES and html[i] != ">":
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(html, begin)}"
                )
            tag = html[begin + 1 : i].lower()
            if tag not in ALLOWED_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(html, begin)}'
                )
            argument = ""
            has_argument = False
            while i < n and html[i] != ">":
                while i < n and html[i] in _SPACES:
                    i += 1
                if i < n and html[i] == ">":
                    break
                attr_begin = i
                while i < n and html[i] not in _SPACES and html[i] not in "=>":
                    i += 1
                attr_name = html[attr_begin:i]
                if not attr_name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(html, begin)}"
                    )
                while i < n and html[i] in _SPACES:
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(html, begin)}"
                    )
                if html[i] != "=":
                    if tag == "blockquote" and attr_name.lower() == "expandable":
                        argument = "expandable"
                        has_argument = True
                        continue
                    raise EntityParseError(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                        f"at byte offset {_byte_offset(html, begin)}"
                    )
                i += 1
                while i < n and html[i] in _SPACES:
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(html, begin)}'
                    )
                if html[i] not in "'\"":
                    token_begin = i
                    while i < n and ((html[i].isascii() and html[i].isalnum()) or html[i] in ".-"):
                        i += 1
                    value = html[token_begin:i].lower()
                    if i < n and html[i] not in _SPACES and html[i] != ">":
                        raise EntityParseError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(html, token_begin)}"
                        )
                else:
                    quote = html[i]
                    i += 1
                    parts: list[str] = []
                    while i < n and html[i] != quote:
                        if html[i] == "&":
                            decoded = _decode_entity(html, i)
                            if decoded is not None:
                                parts.append(decoded[0])
                                i = decoded[1]
                                continue
                        parts.append(html[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(parts)
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(html, begin)}"
                    )
                attr = attr_name.lower()
                if tag == "a" and attr == "href":
                    argument, has_argument = value, True
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument, has_argument = value[len("language-") :], True
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument, has_argument = value[len("tg-") :], True
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument, has_argument = value, True
            if tag == "span" and argument != "spoiler":
                offset = _byte_offset(html, begin)
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                )
            if strict and tag == "a" and not has_argument:
                raise EntityParseError(
                    f'Tag "a" must have attribute "href" at byte offset {_byte_offset(html, begin)}'
                )
            if (
                strict
                and tag == "a"
                and _TG_USER_RE.match(argument) is None
                and (
                    not argument.lower().startswith(_ALLOWED_LINK_SCHEMES)
                    or _check_link(argument) is None
                )
            ):
                raise EntityParseError(
                    f'Unsupported URL "{argument}" in tag "a" at byte offset '
                    f"{_byte_offset(html, begin)}"
                )
            stack.append(
                _Open(tag, argument, utf16, out_len, _byte_offset(html, begin), has_argument)
            )
            i += 1  # skip '>'
            continue

        # end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(html, begin)}")
        while i < n and html[i] not in _SPACES and html[i] != ">":
            i += 1
        end_tag = html[begin + 2 : i].lower()
        while i < n and html[i] in _SPACES:
            i += 1
        if i >= n or html[i] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(html, begin)}")
        i += 1
        top = stack[-1]
        if end_tag and end_tag != top.tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {_byte_offset(html, begin)}, "
                f'expected "</{top.tag}>", found "</{end_tag}>"'
            )
        stack.pop()
        length = utf16 - top.utf16_start
        if length <= 0:
            continue
        offset = top.utf16_start
        tag = top.tag
        if tag in _SIMPLE_TAG_TYPES:
            entities.append({"type": _SIMPLE_TAG_TYPES[tag], "offset": offset, "length": length})
        elif tag == "span":
            entities.append({"type": "spoiler", "offset": offset, "length": length})
        elif tag == "tg-emoji":
            if not top.argument.isdigit() or int(top.argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entities.append(
                {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": length,
                    "custom_emoji_id": top.argument,
                }
            )
        elif tag == "a":
            url = top.argument or "".join(out)[top.out_start :]
            user_match = _TG_USER_RE.match(url)
            if user_match is not None:
                user_id = int(user_match.group(1))
                user = (resolve_user(user_id) if resolve_user else None) or {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": "",
                }
                entities.append(
                    {"type": "text_mention", "offset": offset, "length": length, "user": user}
                )
            else:
                checked = _check_link(url)
                if checked is not None:
                    entities.append(
                        {"type": "text_link", "offset": offset, "length": length, "url": checked}
                    )
        elif tag == "pre":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == offset
                and last["length"] == length
                and last.get("language")
            ):
                last["type"] = "pre"
            else:
                entities.append({"type": "pre", "offset": offset, "length": length})
        elif tag == "code":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "pre"
                and last["offset"] == offset
                and last["length"] == length
                and top.argument
            ):
                last["language"] = top.argument
            else:
                entity: JsonDict = {"type": "code", "offset": offset, "length": length}
                if top.argument:
                    entity["language"] = top.argument
                entities.append(entity)
        elif tag == "blockquote":
            kind = "expandable_blockquote" if top.argument == "expandable" else "blockquote"
            entities.append({"type": kind, "offset": offset, "length": length})

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities)


_STRIP_CHARS = " \n\t\r"


def strip_formatted(text: str, entities: list[JsonDict]) -> ParsedText:
    """Trim leading/trailing whitespace as Telegram does, shifting and clipping entities."""
    left = len(text) - len(text.lstrip(_STRIP_CHARS))
    stripped = text.strip(_STRIP_CHARS)
    shift = utf16_len(text[:left])
    total = utf16_len(stripped)
    result: list[JsonDict] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, result)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _is_ascii_word(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def _match_bot_commands(text: str) -> list[tuple[int, int]]:
    """Port of tdlib's ``match_bot_commands``: (start, end) character indexes."""
    result: list[tuple[int, int]] = []
    n = len(text)
    pos = text.find("/")
    while pos != -1:
        if pos > 0:
            prev = text[pos - 1]
            if _is_word_char(prev) or prev in "/<>":
                pos = text.find("/", pos + 1)
                continue
        p = pos + 1
        while p < n and _is_ascii_word(text[p]):
            p += 1
        end = p
        ok = 1 <= end - (pos + 1) <= 64
        if ok and p < n and text[p] == "@":
            m = p + 1
            while m < n and _is_ascii_word(text[m]):
                m += 1
            if 3 <= m - (p + 1) <= 32:
                end = p = m
            else:
                ok = False
                p = m
        if ok and p < n and (_is_word_char(text[p]) or text[p] in "/<>"):
            ok = False
        if ok:
            result.append((pos, end))
        pos = text.find("/", max(p, pos + 1))
    return result


def _match_mentions(text: str) -> list[tuple[int, int]]:
    """Port of tdlib's ``match_mentions`` plus its 5-character minimum for usernames."""
    result: list[tuple[int, int]] = []
    n = len(text)
    pos = text.find("@")
    while pos != -1:
        if pos > 0 and _is_word_char(text[pos - 1]):
            pos = text.find("@", pos + 1)
            continue
        p = pos + 1
        while p < n and _is_ascii_word(text[p]):
            p += 1
        size = p - (pos + 1)
        if 5 <= size <= 32 and not (p < n and _is_word_char(text[p])):
            result.append((pos, p))
        pos = text.find("@", max(p, pos + 1))
    return result


_URL_RE = re.compile(r"(?<![\w@/.])(?:https?://)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)
_HASHTAG_RE = re.compile(r"(?<![\w#])#(?=\w*[^\W\d_])\w{1,256}(?![\w#])")


def find_auto_entities(text: str, existing: list[JsonDict] | None = None) -> list[JsonDict]:
    """Entities Telegram detects by itself: bot_command, mention, url, hashtag.

    Matches overlapping an existing code/pre/link entity are skipped, as Telegram does.
    """
    blocked: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"])
        for e in existing or []
        if e["type"] in {"code", "pre", "text_link", "text_mention", "url", "custom_emoji"}
    ]
    found: list[tuple[int, int, str]] = []
    found += [(s, e, "bot_command") for s, e in _match_bot_commands(text)]
    found += [(s, e, "mention") for s, e in _match_mentions(text)]
    found += [(m.start(), m.end(), "url") for m in _URL_RE.finditer(text)]
    found += [(m.start(), m.end(), "hashtag") for m in _HASHTAG_RE.finditer(text)]
    result: list[JsonDict] = []
    taken: list[tuple[int, int]] = []
    for start, end, kind in sorted(found):
        offset = utf16_len(text[:start])
        length = utf16_len(text[start:end])
        span = (offset, offset + length)
        if any(a < span[1] and span[0] < b for a, b in blocked + taken):
            continue
        taken.append(span)
        result.append({"type": kind, "offset": offset, "length": length})
    return result


def merge_entities(first: list[JsonDict], second: list[JsonDict]) -> list[JsonDict]:
    """All entities sorted the way Telegram returns them."""
    return sorted([*first, *second], key=lambda e: (e["offset"], -e["length"]))
