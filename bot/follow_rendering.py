"""What followers read: notifications of an event's changes, and the replies to
following, unfollowing and muting. Every user-visible string of following is here, marked
for translation (`bot/i18n.py`); the moderator's preview lines are English, as the rest of
the moderators' replies."""

from collections.abc import Mapping, Sequence

from bot.claim_text import FIGURE_CHARS, figure_label
from bot.follow import Change, ChangeKind, Seen
from bot.i18n import N_, Tr
from bot.rendering import METRIC_HEADINGS, STATUS_MARKERS, escape, shorten, status_name
from db.vocabulary import VerificationStatus

FOLLOW_BUTTON = N_("🔔 Follow")
UNFOLLOW_BUTTON = N_("🔕 Unfollow")
OPEN_CARD_BUTTON = N_("Open the card")

FOLLOWED = N_("Following: you will be told when its claims change. /mute stops all of these.")
ALREADY_FOLLOWED = N_("You already follow this event.")
UNFOLLOWED = N_("Unfollowed: no more messages about this event.")
NOT_FOLLOWED = N_("You do not follow this event.")
GROUP_ADMINS_ONLY = N_("Only the group's admins can change what the group follows.")
FOLLOW_EVENT_GONE = N_("That event is no longer shown, so it cannot be followed.")

NOTHING_FOLLOWED = N_(
    "You follow no events. Ask about one and press <b>🔔 Follow</b> under its card to be told "
    "when its claims change."
)
FOLLOWING_HEADING = N_("<b>Events you follow</b> (you are told when their claims change):")
FOLLOWING_MUTED = N_("<i>Muted: nothing is sent until you send /unmute.</i>")
MUTED = N_("Muted: no notifications about any event until you send /unmute. You still follow them.")
ALREADY_MUTED = N_("Notifications are already muted; /unmute turns them back on.")
UNMUTED = N_("Notifications are back on for the events you follow (/following lists them).")
NOT_MUTED = N_("Notifications are not muted; /mute stops them all.")

FOLLOW_COMMAND_MENU = (
    ("following", N_("Events you follow")),
    ("mute", N_("Stop all notifications")),
)

MAX_CHANGES_SHOWN = 6
STATEMENT_CHARS = 80


def render_following(tr: Tr, events: Sequence[tuple[str, str]], muted: bool) -> str:
    if not events:
        return tr.gettext(NOTHING_FOLLOWED)
    lines = [tr.gettext(FOLLOWING_HEADING), *(f"• {escape(title)}" for _, title in events)]
    if muted:
        lines.append(tr.gettext(FOLLOWING_MUTED))
    return "\n".join(lines)


def render_will_notify(followers: int, *, imported: bool = False) -> str:
    """A moderator's preview: who saving it will tell (an import has no silent=yes)."""
    people = "follower" if followers == 1 else "followers"
    tail = "of changed claims." if imported else "(silent=yes tells no one)."
    return f"Saving this will notify {followers:,} {people} {tail}"


SILENT_NOTE = "Silent: followers will not be told about this change."


def _claim(tr: Tr, seen: Seen, labels: Mapping[str, str], earlier: Seen | None = None) -> str:
    """A claim in the card's style: "Russian MoD: 89 killed (earlier 63)"."""
    name = escape(shorten(labels.get(seen.claimant, seen.claimant), FIGURE_CHARS))
    figure = figure_label(tr, seen)
    if figure is None:
        said = f"“{escape(shorten(seen.summary, STATEMENT_CHARS))}”"
    else:
        metric = tr.gettext(METRIC_HEADINGS[seen.metric]).lower()
        said = tr.gettext("{figure} {measure}").format(figure=escape(figure), measure=metric)
    text = f"{name}: {said}"
    old = figure_label(tr, earlier) if earlier is not None else None
    if old:
        return tr.gettext("{claim} (earlier {figure})").format(claim=text, figure=escape(old))
    return text


def _status(tr: Tr, status: VerificationStatus) -> str:
    return f"{STATUS_MARKERS[status]} {status_name(tr, status)}"


def change_line(tr: Tr, change: Change, labels: Mapping[str, str]) -> str:
    """One change: what it is, the claim as it is now, and what it was where that helps."""
    now, before = change.now, change.before
    if now is None:
        assert before is not None
        return tr.gettext("Removed: {claim}").format(claim=_claim(tr, before, labels))
    claim = _claim(tr, now, labels, change.replaced)
    status = _status(tr, now.status)
    match change.kind:
        case ChangeKind.NEW:
            line = tr.gettext("New: {claim} · {status}")
        case ChangeKind.RETRACTED:
            line = tr.gettext("Retracted: {claim} · {status}")
        case ChangeKind.RESTORED:
            line = tr.gettext("Restored: {claim} · {status}")
        case ChangeKind.SUPERSEDED:
            line = tr.gettext("{claim} · {status} · now superseded")
        case ChangeKind.FIGURE if before is not None:
            was = escape(figure_label(tr, before) or tr.gettext("no figure"))
            line = tr.gettext("{claim} (was {figure}) · {status}")
            return line.format(claim=claim, figure=was, status=status)
        case ChangeKind.STATUS if before is not None:
            line = tr.gettext("{claim} · {status} (was {old_status})")
            old_status = _status(tr, before.status)
            return line.format(claim=claim, status=status, old_status=old_status)
        case _:
            line = "{claim} · {status}"
    return line.format(claim=claim, status=status)


def render_notification(
    tr: Tr, title: str, changes: Sequence[Change], labels: Mapping[str, str]
) -> str:
    """The message to followers: the event, then its changes, one a line."""
    lines = [change_line(tr, c, labels) for c in changes[:MAX_CHANGES_SHOWN]]
    hidden = len(changes) - len(lines)
    if hidden:
        more = tr.ngettext(
            "…and {count} more change: open the card.",
            "…and {count} more changes: open the card.",
            hidden,
        )
        lines.append(more.format(count=tr.number(hidden)))
    return "\n".join([f"🔔 <b>{escape(title)}</b>", *lines])
