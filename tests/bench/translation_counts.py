"""Print how many of the strings marked for translation each language has:
`python tests/bench/translation_counts.py` (or `make translation-counts`).

Counts the entries of bot/locale/claimbot.pot (as `make translations` last extracted them)
that each language's .po file translates (not fuzzy, every plural form filled).
"""

from pathlib import Path

from babel.messages.pofile import read_po

from bot.i18n import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, LOCALE_DIR


def main() -> None:
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as pot:
        marked = [m for m in read_po(pot) if m.id]
    print(f"{len(marked)} strings marked for translation")
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        path = Path(LOCALE_DIR, language, "LC_MESSAGES", f"{DOMAIN}.po")
        with path.open("rb") as po:
            catalogue = read_po(po, locale=language)
        translated = 0
        for message in marked:
            entry = catalogue.get(message.id, context=message.context)
            forms = entry.string if entry and isinstance(entry.string, tuple | list) else None
            if entry and not entry.fuzzy and (all(forms) if forms else entry.string):
                translated += 1
        print(f"{language}: {translated} of {len(marked)} translated")


if __name__ == "__main__":
    main()
