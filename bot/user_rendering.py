"""What the bot says to people asking questions, besides cards: prompts, usage lines,
button labels, the command menu, apologies. Cards and lists are in `bot/rendering.py`."""

from bot.rendering import escape
from db.queries import EventCard

EXAMPLE_QUESTIONS = (
    "How many died at Makiivka?",
    "Were 600 Ukrainian soldiers killed in Kramatorsk?",
    "скільки дронів летіло на Київ?",
)
# (command, description) for Telegram's command menu.
USER_COMMAND_MENU = (
    ("start", "What this bot does"),
    ("help", "How to ask"),
    ("events", "Browse all events"),
    ("event", "One event's claims: /event SLUG"),
    ("sources", "Who made and reported the claims"),
    ("about", "What the statuses mean"),
)
ASK_COMMAND_MENU = ("ask", "Ask about an event: /ask QUESTION")

PREVIOUS_BUTTON = "◀ Previous"
NEXT_BUTTON = "Next ▶"
BROWSE_BUTTON = "Browse all events"
ABOUT_BUTTON = "ℹ️ About this event"
ASSESSMENTS_BUTTON = "⚖️ Assessments"
BACK_TO_CLAIMS_BUTTON = "◀ Back to the claims"
BACK_TO_PAGE_BUTTON = "◀ Back"
MORE_PAGES_BUTTON = "…"  # opens the card's page numbers to jump to
OPEN_IN_BROWSER_BUTTON = "🌐 Open in browser"
NONE_OF_THESE_BUTTON = "None of these"
# Plain text: sent escaped.
NONE_OF_THESE_THANKS = (
    "Thank you: none of the events I know matches your question. Try the place and what "
    "happened in other words, or browse all events with /events."
)
BUTTON_TEXT_LIMIT = 60

EMPTY_QUESTION = "Ask me about an event, for example: <i>how many died at Makiivka?</i>"
ASK_USAGE = "Usage: /ask QUESTION — for example: /ask makiivka death toll"
EVENT_USAGE = "Usage: /event SLUG — for example /event makiivka-strike. See /events for all."
EVENTS_USAGE = "Usage: /events or /events PAGE — for example /events 2."
NOT_AN_EVENT = f"That is not an event name. {EVENT_USAGE}"
STALE_BUTTON = "This button is no longer valid. Ask again, or see /events."
# In the terminal chat too.
UNKNOWN_COMMAND = (
    "I don't know that command. Ask me about an event in plain words, e.g. “how many died "
    "at Makiivka?”, or see /events. See /help for what I can do."
)
NOT_TEXT = (
    "I can only read text. Ask me about an event in plain words, e.g. “how many died at "
    "Makiivka?”, or see /events; /help lists what I can do."
)
EVENT_GONE = "That event is no longer available. See /events."

SLOW_DOWN = "You are asking faster than I can answer. Please wait a minute, then ask again."
APOLOGY = "Sorry, something went wrong while answering. Please try again in a moment."
UNAVAILABLE = "Sorry, answers are temporarily unavailable. Please try again in a minute."


def button_text(text: str) -> str:
    """A button's label, shortened to what a phone shows."""
    return text if len(text) <= BUTTON_TEXT_LIMIT else text[: BUTTON_TEXT_LIMIT - 1] + "…"


def page_number_button(page: int, pages: int, current: int) -> str:
    """A page number under a card (from 0): the current one marked, the ends with arrows."""
    if page == current:
        return f"·{page + 1}·"
    if page == 0:
        return "« 1"
    if page == pages - 1:
        return f"{pages} »"
    return str(page + 1)


def related_button(title: str) -> str:
    return button_text(f"→ {title}")


def render_unknown_event(slug: str, has_suggestions: bool) -> str:
    text = f"There is no event <code>{escape(slug)}</code>."
    if has_suggestions:
        return text + " Did you mean one of these?"
    return text + " See /events for all events."


def inline_description(card: EventCard) -> str:
    """The line under an event in inline mode's list of results."""
    return f"{len(card.claims)} claims · {card.place}"
