"""What the bot says to people asking questions, besides cards: prompts, usage lines,
button labels, the command menu, apologies. Cards and lists are in `bot/rendering.py`.

The constants are English, marked for translation (`bot/i18n.py`); whoever sends one
translates it for the reader with `tr.gettext(CONSTANT)`.
"""

from bot.i18n import LANGUAGE_NAMES, N_, Language, Tr
from bot.rendering import claim_count, escape
from db.queries import EventCard

# The questions under /start, in the reader's language (each gets a card).
EXAMPLE_QUESTIONS: dict[Language, tuple[str, ...]] = {
    "en": (
        "How many died at Makiivka?",
        "Were 600 Ukrainian soldiers killed in Kramatorsk?",
        "скільки дронів летіло на Київ?",
    ),
    "uk": (
        "Скільки загинуло в Макіївці?",
        "Чи загинули 600 українських військових у Краматорську?",
        "Скільки дронів летіло на Київ?",
    ),
    "ru": (
        "Сколько погибло в Макеевке?",
        "Погибли ли 600 украинских военных в Краматорске?",
        "Сколько дронов летело на Киев?",
    ),
}
# (command, description) for Telegram's command menu.
USER_COMMAND_MENU = (
    ("start", N_("What this bot does")),
    ("help", N_("How to ask")),
    ("events", N_("Browse all events")),
    ("event", N_("One event's claims: /event SLUG")),
    ("sources", N_("Who made and reported the claims")),
    ("about", N_("What the statuses mean")),
    ("language", N_("The language of my replies")),
)
ASK_COMMAND_MENU = ("ask", N_("Ask about an event: /ask QUESTION"))

PREVIOUS_BUTTON = N_("◀ Previous")
NEXT_BUTTON = N_("Next ▶")
BROWSE_BUTTON = N_("Browse all events")
ABOUT_BUTTON = N_("ℹ️ About this event")
ASSESSMENTS_BUTTON = N_("⚖️ Assessments")
BACK_TO_CLAIMS_BUTTON = N_("◀ Back to the claims")
BACK_TO_PAGE_BUTTON = N_("◀ Back")
MORE_PAGES_BUTTON = "…"  # opens the card's page numbers to jump to
OPEN_IN_BROWSER_BUTTON = N_("🌐 Open in browser")
NONE_OF_THESE_BUTTON = N_("None of these")
# Plain text: sent escaped.
NONE_OF_THESE_THANKS = N_(
    "Thank you: none of the events I know matches your question. Try the place and what "
    "happened in other words, or browse all events with /events."
)
BUTTON_TEXT_LIMIT = 60

EMPTY_QUESTION = N_("Ask me about an event, for example: <i>how many died at Makiivka?</i>")
ASK_USAGE = N_("Usage: /ask QUESTION — for example: /ask makiivka death toll")
EVENT_USAGE = N_("Usage: /event SLUG — for example /event makiivka-strike. See /events for all.")
EVENTS_USAGE = N_("Usage: /events or /events PAGE — for example /events 2.")
NOT_AN_EVENT = N_(
    "That is not an event name. Usage: /event SLUG — for example /event makiivka-strike. "
    "See /events for all."
)
STALE_BUTTON = N_("This button is no longer valid. Ask again, or see /events.")
# In the terminal chat too.
UNKNOWN_COMMAND = N_(
    "I don't know that command. Ask me about an event in plain words, e.g. “how many died "
    "at Makiivka?”, or see /events. See /help for what I can do."
)
NOT_TEXT = N_(
    "I can only read text. Ask me about an event in plain words, e.g. “how many died at "
    "Makiivka?”, or see /events; /help lists what I can do."
)
EVENT_GONE = N_("That event is no longer available. See /events.")

# The terminal chat's.
CHAT_GREETING = N_(
    "claimbot: ask about an event (e.g. “how many died at Makiivka?”), or type /help. "
    "Press Ctrl-D to quit."
)
CHOOSE_A_NUMBER = N_("Type a number to see that event.")

SLOW_DOWN = N_("You are asking faster than I can answer. Please wait a minute, then ask again.")
APOLOGY = N_("Sorry, something went wrong while answering. Please try again in a moment.")
UNAVAILABLE = N_("Sorry, answers are temporarily unavailable. Please try again in a minute.")


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


def render_unknown_event(tr: Tr, slug: str, has_suggestions: bool) -> str:
    code = f"<code>{escape(slug)}</code>"
    if has_suggestions:
        text = tr.gettext("There is no event {slug}. Did you mean one of these?")
    else:
        text = tr.gettext("There is no event {slug}. See /events for all events.")
    return text.format(slug=code)


def inline_description(tr: Tr, card: EventCard) -> str:
    """The line under an event in inline mode's list of results."""
    return f"{claim_count(tr, len(card.claims))} · {card.place}"


def render_language_prompt(tr: Tr, current: Language) -> str:
    return tr.gettext("I answer in {language}. Choose the language of my replies:").format(
        language=LANGUAGE_NAMES[current]
    )


def render_language_set(tr: Tr, language: Language) -> str:
    """Said in the newly chosen language."""
    return tr.gettext("From now on I answer in {language}.").format(
        language=LANGUAGE_NAMES[language]
    )


LANGUAGE_USAGE = N_("Usage: /language, or /language en, /language uk, /language ru.")
LANGUAGE_ADMINS_ONLY = N_("Only an administrator of this group can set the language of my replies.")
