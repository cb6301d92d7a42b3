"""What followers read: notifications of an event's changes, and the replies to
following, unfollowing and muting. Every user-visible string of following is here."""

from collections.abc import Mapping, Sequence

from bot.card import FIGURE_CHARS, figure_label
from bot.follow import Change, ChangeKind, Seen
from bot.i18n import ENGLISH
from bot.rendering import METRIC_HEADINGS, STATUS_MARKERS, escape, shorten
from db.vocabulary import VerificationStatus

FOLLOW_BUTTON = "🔔 Follow"
UNFOLLOW_BUTTON = "🔕 Unfollow"
OPEN_CARD_BUTTON = "Open the card"

FOLLOWED = "Following: you will be told when its claims change. /mute stops all of these."
ALREADY_FOLLOWED = "You already follow this event."
UNFOLLOWED = "Unfollowed: no more messages about this event."
NOT_FOLLOWED = "You do not follow this event."
GROUP_ADMINS_ONLY = "Only the group's admins can make the group follow an event."
FOLLOW_EVENT_GONE = "That event is no longer shown, so it cannot be followed."

NOTHING_FOLLOWED = (
    "You follow no events. Ask about one and press <b>🔔 Follow</b> under its card to be told "
    "when its claims change."
)
FOLLOWING_HEADING = "<b>Events you follow</b> (you are told when their claims change):"
FOLLOWING_MUTED = "<i>Muted: nothing is sent until you send /unmute.</i>"
MUTED = "Muted: no notifications about any event until you send /unmute. You still follow them."
ALREADY_MUTED = "Notifications are already muted; /unmute turns them back on."
UNMUTED = "Notifications are back on for the events you follow (/following lists them)."
NOT_MUTED = "Notifications are not muted; /mute stops them all."

FOLLOW_COMMAND_MENU = (
    ("following", "Events you follow"),
    ("mute", "Stop all notifications"),
)

MAX_CHANGES_SHOWN = 6
STATEMENT_CHARS = 80


def render_following(events: Sequence[tuple[str, str]], muted: bool) -> str:
    if not events:
        return NOTHING_FOLLOWED
    lines = [FOLLOWING_HEADING, *(f"• {escape(title)}" for _, title in events)]
    if muted:
        lines.append(FOLLOWING_MUTED)
    return "\n".join(lines)


def render_will_notify(followers: int) -> str:
    """A moderator's preview: who saving it will tell."""
    people = "follower" if followers == 1 else "followers"
    return f"Saving this will notify {followers:,} {people} (silent=yes tells no one)."


SILENT_NOTE = "Silent: followers will not be told about this change."


def _claim(seen: Seen, labels: Mapping[str, str], earlier: Seen | None = None) -> str:
    """A claim in the card's style: "Russian MoD: 89 killed (earlier 63)"."""
    name = escape(shorten(labels.get(seen.claimant, seen.claimant), FIGURE_CHARS))
    figure = figure_label(ENGLISH, seen)
    if figure is None:
        said = f"“{escape(shorten(seen.summary, STATEMENT_CHARS))}”"
    else:
        said = f"{escape(figure)} {METRIC_HEADINGS[seen.metric].lower()}"
    old = figure_label(ENGLISH, earlier) if earlier is not None else None
    return f"{name}: {said} (earlier {escape(old)})" if old else f"{name}: {said}"


def _status(status: VerificationStatus) -> str:
    return f"{STATUS_MARKERS[status]} {status.value}"


def change_line(change: Change, labels: Mapping[str, str]) -> str:
    """One change: what it is, the claim as it is now, and what it was where that helps."""
    now, before = change.now, change.before
    if now is None:
        assert before is not None
        return f"Removed: {_claim(before, labels)}"
    text = _claim(now, labels, change.replaced)
    status = _status(now.status)
    match change.kind:
        case ChangeKind.NEW:
            return f"New: {text} · {status}"
        case ChangeKind.RETRACTED:
            return f"Retracted: {text} · {status}"
        case ChangeKind.RESTORED:
            return f"Restored: {text} · {status}"
        case ChangeKind.SUPERSEDED:
            return f"{text} · {status} · now superseded"
        case ChangeKind.FIGURE if before is not None:
            was = figure_label(ENGLISH, before) or "no figure"
            return f"{text} (was {escape(was)}) · {status}"
        case ChangeKind.STATUS if before is not None:
            return f"{text} · {status} (was {_status(before.status)})"
    return f"{text} · {status}"


def render_notification(title: str, changes: Sequence[Change], labels: Mapping[str, str]) -> str:
    """The message to followers: the event, then its changes, one a line."""
    lines = [change_line(c, labels) for c in changes[:MAX_CHANGES_SHOWN]]
    if len(changes) > len(lines):
        lines.append(f"…and {len(changes) - len(lines)} more changes: open the card.")
    return "\n".join([f"🔔 <b>{escape(title)}</b>", *lines])
