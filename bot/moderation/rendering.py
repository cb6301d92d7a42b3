"""Moderator replies as Telegram HTML: results, previews, history and mistakes.

Every value that came from a moderator or the database goes through `escape`,
and every message is kept within Telegram's length limit.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from bot.follow_rendering import SILENT_NOTE, render_will_notify
from bot.moderation.errors import ModerationError
from bot.moderation.files import ImportPreview
from bot.moderation.forms import CHOOSE_FIELD, Question
from bot.moderation.history import HistoryEntry, HistoryPage
from bot.moderation.service import CommandResult
from bot.moderation.staff import ModeratorView
from bot.moderation.work import RowChange
from bot.rendering import escape, html_to_text, utf16_length
from db.progress import Phase

MESSAGE_LIMIT = 3900  # below Telegram's 4096, with room for a page line


FORM_ENDED = "This form has ended; send the command again."
PRIVATE_ONLY = "Moderator commands work only in a private chat with me."
STALE_BUTTON = "This button is no longer valid; send the command again."
CANCELLED = "Cancelled; nothing was saved."
NOTHING_TO_CANCEL = "There is nothing to cancel."
PREVIEW_GONE = "There is nothing to cancel: already saved or expired."
EXPORT_CAPTION = "The whole data set."
CANCEL_MENU_LINE = "Stop a guided form"


def save_label(command: str) -> str:
    """The label of a preview's confirming button."""
    return "🗑 Hide it" if command == "delete" else "✅ Save"


def render_granted(user_id: int, menu_set: bool) -> str:
    text = f"✅ <code>{user_id}</code> is now a moderator."
    if not menu_set:
        text += " They will see the moderator commands once they start a chat with me."
    return text


def render_revoked(user_id: int) -> str:
    return f"✅ <code>{user_id}</code> is no longer a moderator."


IMPORT_HOW = (
    "To import this file, send it again with the caption /import, or reply /import to it. "
    "It must be a .yaml or .json data set as /export makes."
)


def render_question(command: str, question: Question) -> str:
    """One question of a guided form."""
    prompt = f"<b>/{escape(command)}</b>: {escape(question.prompt)}"
    if question.key == CHOOSE_FIELD or question.choices:
        prompt += "\nChoose below."
    if question.skip:
        prompt += f"\nOr press {escape(question.skip)}."
    return prompt + "\n<i>/cancel stops the form.</i>"


def render_form_expired(command: str, timeout: dt.timedelta) -> str:
    minutes = max(1, round(timeout.total_seconds() / 60))
    return (
        f"⌛ Your /{escape(command)} form waited more than {minutes} minute"
        f"{'s' * (minutes != 1)} for an answer, so it has ended and nothing was saved. "
        f"Send /{escape(command)} to start again."
    )


def render_error(error: ModerationError) -> str:
    text = f"⚠️ {escape(_capitalised(error.problem))}"
    if error.suggestions:
        text += "\nDid you mean: " + ", ".join(
            f"<code>{escape(s)}</code>" for s in error.suggestions
        )
    if error.example:
        text += f"\nExample: <code>{escape(error.example)}</code>"
    return _fit([text])


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------- changes


def _short(value: Any, limit: int) -> str:
    text = "—" if value is None or value == [] else str(value)
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _item_text(key: str, item: Any) -> str:
    """One alias, link, report or assessment, the way moderators name it."""
    if not isinstance(item, dict):
        return str(item)
    if key == "aliases":
        details = ", ".join(filter(None, [item.get("lang"), item.get("kind")]))
        return f"{item['text']} ({details})"
    if key == "related":
        return f"{item['relation']} {item['event']}"
    if key == "appearances":
        parts = [item.get("publisher") or item.get("document"), item.get("url")]
        if item.get("wording"):
            parts.append(f"“{item['wording']}”")
        return " ".join(str(p) for p in parts if p)
    if key == "assessments":
        return f"{item['status']}: {item.get('rationale') or 'no reason given'}"
    return ", ".join(f"{k}={v}" for k, v in item.items() if v not in (None, [], False))


def _translation_lines(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], value_limit: int
) -> list[str]:
    """`uk title: old → new` for each translated text that changed."""
    lines = []
    for lang in sorted(before.keys() | after.keys()):
        old, new = before.get(lang) or {}, after.get(lang) or {}
        for key in dict.fromkeys([*new, *old]):
            if old.get(key) != new.get(key):
                was, now = _short(old.get(key), value_limit), _short(new.get(key), value_limit)
                lines.append(f"{lang} {key}: {was} → {now}")
    return lines


def field_lines(
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    value_limit: int = 120,
    max_lines: int = 12,
) -> list[str]:
    """What changed, field by field: `title: old → new`, `aliases: + Тествіль (uk, name)`."""
    if after is None:
        return ["removed"]
    lines: list[str] = []
    for key, new in after.items():
        old = before.get(key) if before is not None else None
        if old == new or (before is None and new in (None, [], False, {})):
            continue
        if key == "translations":
            lines += _translation_lines(old or {}, new or {}, value_limit)
        elif isinstance(new, list) or isinstance(old, list):
            old_items = [_item_text(key, i) for i in old or []]
            new_items = [_item_text(key, i) for i in new or []]
            lines += [f"{key}: + {_short(i, value_limit)}" for i in new_items if i not in old_items]
            lines += [f"{key}: − {_short(i, value_limit)}" for i in old_items if i not in new_items]
        elif before is None:
            lines.append(f"{key}: {_short(new, value_limit)}")
        else:
            lines.append(f"{key}: {_short(old, value_limit)} → {_short(new, value_limit)}")
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], f"… and {len(lines) - max_lines + 1} more fields"]
    return lines


def row_title(entity: str, entity_id: int | None, name: str, created: bool, applied: bool) -> str:
    if entity == "claim":
        return "new claim" if created and not applied else f"claim #{entity_id}"
    if entity == "event":
        return f"event {name}"
    if entity == "source":
        return f"source {name}"
    return entity


def _change_block(change: RowChange, applied: bool, value_limit: int, max_lines: int) -> str:
    title = row_title(change.entity, change.entity_id, change.name, change.before is None, applied)
    lines = [f"<b>{escape(title)}</b>"]
    lines += [
        f"  {line}" for line in field_lines(change.before, change.after, value_limit, max_lines)
    ]
    return "\n".join(lines)


def render_outcome(outcome: CommandResult) -> str:
    """A change that was saved, or the preview of one that waits for confirmation."""

    def blocks(value_limit: int, max_lines: int) -> list[str]:
        if outcome.applied:
            head = f"✅ {escape(outcome.message)}"
        else:
            head = (
                f"<b>Preview of /{escape(outcome.command)}</b>: nothing is saved until you "
                "press Save."
            )
        parts = [head]
        parts += [
            _change_block(c, outcome.applied, value_limit, max_lines) for c in outcome.changes
        ]
        parts += [f"ℹ️ {escape(note)}" for note in outcome.notes]
        if outcome.silent:
            parts.append(f"🔕 {SILENT_NOTE}")
        elif outcome.followers and not outcome.applied:
            parts.append(f"🔔 {render_will_notify(outcome.followers)}")
        return parts

    return _shrinking(blocks)


# ---------------------------------------------------------------- history


def _history_block(entry: HistoryEntry, value_limit: int, max_lines: int) -> str:
    name = (entry.after or entry.before or {}).get("slug") or (
        entry.after or entry.before or {}
    ).get("key")
    title = row_title(entry.entity, entry.entity_id, str(name or ""), False, True)
    if entry.entity == "moderator":
        user = (entry.after or entry.before or {}).get("telegram_user_id")
        title = f"moderator {user}"
    when = entry.at.strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"<b>{escape(when)}</b> · {escape(entry.actor)} · {escape(entry.action)} · {escape(title)}"
    ]
    lines += [
        f"  {line}" for line in field_lines(entry.before, entry.after, value_limit, max_lines)
    ]
    return "\n".join(lines)


def render_history(page: HistoryPage) -> str:
    def blocks(value_limit: int, max_lines: int) -> list[str]:
        head = (
            f"<b>History of {escape(page.target.title)}</b>, newest first "
            f"(page {page.page} of {page.pages})"
        )
        if not page.entries:
            return [head, "No changes recorded."]
        return [head] + [_history_block(e, value_limit, max_lines) for e in page.entries]

    return _shrinking(blocks)


# ---------------------------------------------------------------- other screens


def render_moderators(staff: Sequence[ModeratorView]) -> str:
    lines = ["<b>Moderators</b>"]
    for person in staff:
        if person.granted_at is None:
            lines.append(f"• <code>{person.user_id}</code> — admin (CLAIMBOT_ADMIN_IDS)")
        else:
            when = person.granted_at.strftime("%Y-%m-%d %H:%M UTC")
            lines.append(
                f"• <code>{person.user_id}</code> — {person.role.value}, granted by "
                f"<code>{person.granted_by}</code> on {when}"
            )
    return _fit(["\n".join(lines)])


def render_import_preview(preview: ImportPreview) -> str:
    if preview.rejected:
        head = "⚠️ <b>Nothing was imported</b>: fix the rejected records and send the file again."
    elif not preview.has_changes:
        head = "Nothing to import: the database already holds everything in this file."
    else:
        head = "<b>Import preview</b>: nothing is saved until you press Save."
    lines = preview.summary.splitlines()
    shown: list[str] = []
    for number, line in enumerate(lines):
        candidate = "\n".join([*shown, line])
        if utf16_length(candidate) > MESSAGE_LIMIT - 300:
            shown.append(f"… and {len(lines) - number} more lines")
            break
        shown.append(line)
    told = ""
    if preview.followers and preview.has_changes and not preview.rejected:
        told = f"\n🔔 {render_will_notify(preview.followers, imported=True)}"
    return f"{head}\n" + escape("\n".join(shown)) + told


# ---------------------------------------------------------------- fitting


def _length(html: str) -> int:
    return utf16_length(html_to_text(html))


def _shrinking(make: Callable[[int, int], list[str]]) -> str:
    """The fullest rendering that fits one message: values and field lists get shorter."""
    for value_limit, max_lines in ((300, 20), (120, 8), (60, 3), (30, 1)):
        text = "\n\n".join(make(value_limit, max_lines))
        if _length(text) <= MESSAGE_LIMIT:
            return text
    return _fit(make(30, 1))


def _fit(blocks: Sequence[str]) -> str:
    """Whole blocks while they fit; a last resort that never cuts inside a tag."""
    text = ""
    for block in blocks:
        candidate = f"{text}\n\n{block}" if text else block
        if _length(candidate) > MESSAGE_LIMIT:
            return (
                text + "\n\n…" if text else escape(html_to_text(block)[: MESSAGE_LIMIT - 1]) + "…"
            )
        text = candidate
    return text


# ---------------------------------------------------------------- import progress


def render_import_progress(phase: Phase, done: int, total: int, remaining: float | None) -> str:
    """One plain-text line: `planning: 12,000/600,000 records (2%), about 40 s left`."""
    if phase == Phase.READING:
        counts = f"{done / 2**20:,.1f}/{total / 2**20:,.1f} MB"
    else:
        counts = f"{done:,}/{total:,} records"
    share = f" ({done * 100 // total}%)" if total else ""
    left = ""
    if remaining is not None and done < total:
        left = (
            f", about {remaining:.0f} s left"
            if remaining < 90
            else f", about {remaining / 60:.0f} min left"
        )
    return f"{phase.value}: {counts}{share}{left}"


def render_import_checking(name: str) -> str:
    return f"⏳ Checking <b>{escape(name)}</b>…"


def render_import_working(progress: str) -> str:
    return f"⏳ {escape(progress)}"
