"""Moderators' translations: `lang=uk` or `lang=ru` on /editevent (an event's title, summary
and note on dates) and on /editclaim (a claim's summary).

A translation is the moderators' own words in another language; a field without one is
shown in English, and quotes and figures are never translated. An empty value clears a
field's translation, and a language left with no field is removed.
"""

from dataclasses import replace
from typing import Any

from pydantic import BaseModel

from bot.moderation.errors import ModerationError
from bot.moderation.spec import CommandArguments, Kind, field_spec
from bot.moderation.work import Work
from db.models import Claim, Event
from db.vocabulary import BASE_LANGUAGE, LANGUAGES, TRANSLATED_LANGUAGES

LANG = field_spec(
    "lang", Kind.LANGUAGE, "In which language is the text (en, uk or ru)?", in_form=False
)
# The fields `lang=uk` sets, by command: an event's and a claim's translations have these.
EVENT_TEXTS = ("title", "summary", "date_note")
CLAIM_TEXTS = ("summary",)
EXAMPLES = {
    "editevent": '/editevent test-strike lang=uk title="Удар по Тествілю" summary="..."',
    "editclaim": '/editclaim 12 lang=uk summary="..."',
}


def translating(w: Work, lang: str) -> bool:
    """Whether `lang=` asks for a translation rather than the English text; a language the
    bot does not answer in is refused."""
    if lang == BASE_LANGUAGE:
        return False
    if lang not in TRANSLATED_LANGUAGES:
        raise ModerationError(
            f"{lang!r} is not a language the bot answers in: use "
            f"{' or '.join(f'lang={code}' for code in LANGUAGES)} (en edits the English "
            "text).",
            example=EXAMPLES[w.spec.name],
            key="lang",
        )
    return True


def without_lang(arguments: CommandArguments) -> Any:
    """The arguments as if `lang=` had not been given (it selects, it changes nothing)."""
    return replace(arguments, given=arguments.given - {"lang"})


def _texts(
    w: Work, arguments: CommandArguments, target: str, lang: str, fields: tuple[str, ...]
) -> dict[str, Any]:
    changes = w.edited(without_lang(arguments), target, ())
    untranslated = [key for key in changes if key not in fields]
    if untranslated:
        raise ModerationError(
            f"lang={lang} translates only {', '.join(fields)}; give "
            f"{', '.join(untranslated)} in a separate /{w.spec.name} without lang=.",
            example=EXAMPLES[w.spec.name],
            key=untranslated[0],
        )
    return changes


def _outcome(what: str, lang: str, kept: dict[str, Any] | None) -> str:
    if kept is None:
        return f"Removed the {lang} text of {what}: {lang} readers see it in English."
    english = [key for key, value in kept.items() if value is None]
    shown = f"; its {' and '.join(english)} show in English" if english else ""
    return f"Updated the {lang} text of {what}{shown}."


def translate_event(
    w: Work, event: Event, before: BaseModel, arguments: CommandArguments, lang: str
) -> str:
    # Imported here, as in `Work.snapshot`: only a moderator's change needs the records.
    from db.dataset_schema import EventTranslationRecord
    from db.import_export import event_record
    from db.import_write import set_event_translations

    changes = _texts(w, arguments, "event", lang, EVENT_TEXTS)
    translations = dict(event_record(event).translations)
    current = translations.pop(lang, None)
    texts = (current.model_dump() if current else {}) | changes
    if any(texts.values()):
        translations[lang] = EventTranslationRecord(**texts)
    set_event_translations(event, translations)
    w.save("editevent", event, before)
    w.touched.add(event.slug)
    kept = translations[lang].model_dump() if lang in translations else None
    return _outcome(f"event {event.slug} (now version {event.version})", lang, kept)


def translate_claim(
    w: Work, claim: Claim, before: BaseModel, arguments: CommandArguments, lang: str
) -> str:
    from db.dataset_schema import ClaimTranslationRecord  # as in translate_event
    from db.import_export import claim_record
    from db.import_write import set_claim_translations

    changes = _texts(w, arguments, "claim", lang, CLAIM_TEXTS)
    translations = dict(claim_record(claim).translations)
    translations.pop(lang, None)
    if changes["summary"] is not None:
        translations[lang] = ClaimTranslationRecord(summary=changes["summary"])
    set_claim_translations(claim, translations)
    w.save("editclaim", claim, before)
    w.touched.add(claim.event.slug)
    kept = translations[lang].model_dump() if lang in translations else None
    return _outcome(f"claim #{claim.id} (now version {claim.version})", lang, kept)
