"""Every string of the users' loop, as Telegram HTML: feedback buttons and replies, the
inbox notices and tip replies users see (translated, see `bot/i18n.py`), and the
moderators' inbox and figures (English, like the other moderator screens).

Question and tip text comes from users: it is escaped and cut here, never shown raw.
"""

import datetime as dt
from collections.abc import Sequence

from bot.i18n import N_, Tr
from bot.rendering import escape
from db.models import TiplineItem
from db.tipline_stats import Figures

USER_COMMAND_MENU = (
    ("tip", N_("Send the moderators a tip: /tip TEXT")),
    ("forget", N_("Delete what the bot keeps about you")),
)
THUMBS_UP = "👍"
THUMBS_DOWN = "👎"
VOTE_THANKS = N_("Thanks for the feedback.")
WHAT_WAS_WRONG = N_("What was wrong with this answer?")
REASONS = {
    "w": N_("Wrong event"),
    "m": N_("Missing a claim"),
    "o": N_("Outdated"),
    "x": N_("Other"),
}
REASON_THANKS = N_("Thanks: noted as “{reason}”.")
INBOX_NOTICE = N_(
    "Moderators will see your question, and you will be told here if an answer appears."
)
TIP_USAGE = N_(
    "Send a tip as <code>/tip TEXT</code>, e.g. "
    "<code>/tip a video of the strike: https://example.org/v</code>."
)
TIP_THANKS = N_("Thanks, your tip went to the moderators.")
TIP_BLOCKED = N_("Your tips are not being taken until {until}.")
ANSWER_FOUND = N_("A moderator has answered your question “{question}”:")
FORWARDED_FROM = "forwarded from {origin}"

# ---------------------------------------------------------------- moderators

INBOX_COMMAND_MENU = (
    ("inbox", "Questions the bot could not answer, and tips"),
    ("stats", "Figures: /stats today, 7 or 30"),
    ("answer", "Answer an inbox item: /answer ITEM SLUG"),
)
INBOX_EMPTY = "The inbox is empty: every question has been dealt with."
INBOX_ITEM_GONE = "That inbox item has been dealt with already."
ANSWER_BUTTON = "Answer with event…"
NEW_EVENT_BUTTON = "New event"
DISMISS_BUTTON = "Dismiss"
SPAM_BUTTON = "Spam"
BACK_TO_INBOX_BUTTON = "◀ Inbox"
SAVE_ANSWER_BUTTON = "✅ Answer"
SAVE_WITH_ALIAS_BUTTON = "✅ Answer, add alias “{alias}”"
DISMISS_REASONS = (
    "Duplicate",
    "Not about an event",
    "Not enough to go on",
    "Off topic",
)
STATS_PERIODS = {1: "Today", 7: "7 days", 30: "30 days"}
STATS_USAGE = "Which period? Send /stats today, /stats 7 or /stats 30."
ANSWER_USAGE = "Send /answer ITEM SLUG, e.g. <code>/answer 12 makiivka-strike</code>."
NO_SUCH_EVENT = "There is no event {slug}; choose one with the buttons or send its slug."
NEW_EVENT_START = "New event for inbox item #{item}: “{text}”. The form follows."
ITEM_TEXT_LIMIT = 300
# A page of the inbox shows five items in one message, astral characters counting twice.
INBOX_LINE_LIMIT = 200
ORIGIN_LIMIT = 60
# Titles and questions in /stats are cut so that its 20 lines at most fit one message.
TITLE_LIMIT = 60


def cut(text: str, limit: int = ITEM_TEXT_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_reason_thanks(tr: Tr, code: str, referred: bool) -> str:
    text = escape(tr.gettext(REASON_THANKS).format(reason=tr.gettext(REASONS[code])))
    return text + ("\n" + escape(tr.gettext(INBOX_NOTICE)) if referred else "")


def render_tip_limit(tr: Tr, limit: int) -> str:
    text = tr.ngettext(
        "You have sent {limit} tip in the last hour, the most the bot takes: please send "
        "more later.",
        "You have sent {limit} tips in the last hour, the most the bot takes: please send "
        "more later.",
        limit,
    )
    return escape(text.format(limit=tr.number(limit)))


def render_tip_blocked(tr: Tr, until: dt.datetime) -> str:
    when = f"{tr.date(until.date())}, {until:%H:%M} UTC"
    return escape(tr.gettext(TIP_BLOCKED).format(until=when))


def render_forgotten(tr: Tr, items: int, votes: int) -> str:
    entries = tr.ngettext("{count} inbox entry", "{count} inbox entries", items)
    feedback = tr.ngettext("{count} feedback vote", "{count} feedback votes", votes)
    text = tr.gettext(
        "Done: the bot no longer keeps anything about you ({entries} and {votes} deleted). "
        "Questions are kept without any user id."
    )
    return escape(
        text.format(
            entries=entries.format(count=tr.number(items)),
            votes=feedback.format(count=tr.number(votes)),
        )
    )


# The notice goes above a card's first page, which leaves 196 units of Telegram's 4096.
NOTICE_QUESTION_LIMIT = 120


def render_answer_found(tr: Tr, question: str) -> str:
    text = tr.gettext(ANSWER_FOUND).format(question=cut(question, NOTICE_QUESTION_LIMIT))
    return escape(text)


def origin_text(origin: str) -> str:
    return FORWARDED_FROM.format(origin=origin)


def _item_line(item: TiplineItem, limit: int = ITEM_TEXT_LIMIT) -> str:
    people = f"{item.askers} asked" if item.kind == "question" else f"tip ×{item.askers}"
    origin = f" ({escape(origin_text(cut(item.origin, ORIGIN_LIMIT)))})" if item.origin else ""
    return f"<b>#{item.id}</b> · {people}{origin}\n{escape(cut(item.text, limit))}"


def render_inbox(items: Sequence[TiplineItem], page: int, pages: int, total: int) -> str:
    if not items:
        return escape(INBOX_EMPTY)
    head = f"<b>Inbox</b>: {total} open, most asked first (page {page + 1} of {pages})"
    return "\n\n".join([head, *(_item_line(item, INBOX_LINE_LIMIT) for item in items)])


def item_button(item: TiplineItem) -> str:
    return f"#{item.id} · {cut(item.text, 40)}"


def render_item(item: TiplineItem) -> str:
    kind = "Question" if item.kind == "question" else "Tip"
    return f"{kind} {_item_line(item)}\n\nWhat should happen to it?"


def render_choose_event(item: TiplineItem) -> str:
    return (
        f"Which event answers #{item.id}, “{escape(cut(item.text, 200))}”? Choose one below, "
        f"or send <code>/answer {item.id} SLUG</code>."
    )


def render_answer_preview(item: TiplineItem, title: str, alias: str) -> str:
    people = "1 person" if item.askers == 1 else f"{item.askers} people"
    lines = [
        f"Answer #{item.id}, “{escape(cut(item.text, 200))}”, with <b>{escape(title)}</b>?",
        f"{people} who asked will get its card, once each.",
    ]
    if alias:
        lines.append(f"You may also add “{escape(alias)}” as a name of the event.")
    return "\n".join(lines)


def alias_button(alias: str) -> str:
    return SAVE_WITH_ALIAS_BUTTON.format(alias=cut(alias, 24))


def render_choose_reason(item: TiplineItem) -> str:
    return f"Why dismiss #{item.id}, “{escape(cut(item.text, 200))}”?"


def render_done(message: str) -> str:
    return escape(message)


def render_answered(item_id: int, title: str, told: int, alias: str | None) -> str:
    text = f"Answered #{item_id} with {title}; {told} asker{'s' * (told != 1)} told."
    if alias:
        text += f" Added “{alias}” as a name of the event."
    return escape(text)


def _share(part: int, whole: int) -> str:
    return f"{part} ({round(100 * part / whole)}%)" if whole else "0"


def render_stats(figures: Figures, days: int) -> str:
    total = figures.questions
    outcomes = figures.outcomes
    lines = [
        f"<b>Figures: {STATS_PERIODS[days].lower()}</b>",
        f"Questions asked: {total}",
        f"Answered: {_share(outcomes.get('answer', 0), total)} · offered a choice: "
        f"{_share(outcomes.get('ambiguous', 0), total)} · no match: "
        f"{_share(outcomes.get('no_match', 0), total)}",
        f"Tips received: {figures.tips}",
    ]
    if figures.feedback:
        lines += ["", "<b>Feedback per event</b> (👍 / 👎)"]
        lines += [
            f"• {escape(cut(f.title, TITLE_LIMIT))}: {f.up} / {f.down}" for f in figures.feedback
        ]
    if figures.top_events:
        lines += ["", "<b>Most asked events</b>"]
        lines += [
            f"• {escape(cut(title, TITLE_LIMIT))}: {count}" for title, count in figures.top_events
        ]
    if figures.top_unanswered:
        lines += ["", "<b>Most asked unanswered questions</b>"]
        lines += [
            f"• “{escape(cut(text, 120))}”: {count}" for text, count in figures.top_unanswered
        ]
    return "\n".join(lines)
