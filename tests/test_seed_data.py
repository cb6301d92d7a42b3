"""The bundled seed data: valid, complete, and faithful to the articles it was curated from.

The articles themselves do not ship with the package. The faithfulness tests read them
from the directory in CLAIMBOT_SEED_ARTICLES, else from `<repo>/../shared/seeds/`; they
are skipped when it is absent, except under CI=true, where that is a failure.
"""

import datetime as dt
import functools
import os
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from db.dataset_schema import DataSet
from db.vocabulary import Qualifier, VerificationStatus

REPO = Path(__file__).resolve().parents[1]
SEED_FILE = REPO / "db" / "seed" / "seed.yaml"

REQUIRED_EVENTS = {
    "makiivka-strike",
    "kramatorsk-strike",
    "kyiv-drone-attack",
    "russian-mobilisation",
    "russian-losses-dec-31",
    "new-year-missile-strikes",
    "kherson-incendiary-attack",
    "bakhmut-wagner-losses",
    "orthodox-christmas-ceasefire",
    "uk-mod-fifth-gen-jet-assessment",
}


@pytest.fixture(scope="module")
def seed() -> DataSet:
    return DataSet.model_validate(yaml.safe_load(SEED_FILE.read_text(encoding="utf-8")))


def _collapse(text: str) -> str:
    """Runs of whitespace (including no-break spaces) become one space; nothing else changes."""
    return " ".join(text.split())


@functools.cache
def _read_articles(directory: Path) -> dict[str, str]:
    return {
        path.name: _collapse(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.txt"))
    }


def _articles() -> dict[str, str]:
    """The seed articles by file name, whitespace collapsed; skips (or fails on CI) if absent."""
    configured = os.environ.get("CLAIMBOT_SEED_ARTICLES")
    directory = Path(configured) if configured else REPO.parent / "shared" / "seeds"
    articles = _read_articles(directory.resolve()) if directory.is_dir() else {}
    if not articles:
        reason = f"seed articles not found in {directory} (set CLAIMBOT_SEED_ARTICLES)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return articles


def _archives(seed: DataSet) -> dict[str, str | None]:
    """Each document's key and the article file it was curated from."""
    return {document.key: document.archive for document in seed.documents}


def _in_article(text: str, archive: str | None, articles: dict[str, str]) -> bool:
    return archive is not None and _collapse(text) in articles.get(archive, "")


# --- the file is a valid, complete data set -------------------------------------------


def test_seed_validates_as_a_data_set(seed: DataSet) -> None:
    assert seed.sources and seed.events and seed.claims


def test_seed_has_exactly_the_required_events(seed: DataSet) -> None:
    assert {event.slug for event in seed.events} == REQUIRED_EVENTS


def test_every_event_has_claims(seed: DataSet) -> None:
    per_event = Counter(claim.event for claim in seed.claims)
    assert [event.slug for event in seed.events if not per_event[event.slug]] == []


def test_names_slugs_and_keys_are_unique(seed: DataSet) -> None:
    for values in (
        [source.name for source in seed.sources],
        [event.slug for event in seed.events],
        [claim.key for claim in seed.claims],
    ):
        assert [value for value, n in Counter(values).items() if n > 1] == []


# --- references resolve ---------------------------------------------------------------


def test_claimants_publishers_and_vias_are_listed_sources(seed: DataSet) -> None:
    sources = {source.name for source in seed.sources}
    named = {claim.claimant for claim in seed.claims}
    for claim in seed.claims:
        for appearance in claim.appearances:
            named |= {name for name in (appearance.publisher, appearance.via) if name}
    assert named - sources == set()


def test_claims_refer_to_listed_events_and_claims(seed: DataSet) -> None:
    slugs = {event.slug for event in seed.events}
    keys = {claim.key for claim in seed.claims}
    assert {claim.event for claim in seed.claims} - slugs == set()
    assert {claim.supersedes for claim in seed.claims if claim.supersedes} - keys == set()


def test_related_events_exist(seed: DataSet) -> None:
    slugs = {event.slug for event in seed.events}
    linked = {link.event for event in seed.events for link in event.related}
    assert linked - slugs == set()


def test_kramatorsk_is_linked_to_makiivka_as_retaliation(seed: DataSet) -> None:
    kramatorsk = next(event for event in seed.events if event.slug == "kramatorsk-strike")
    links = {(link.event, link.relation.value) for link in kramatorsk.related}
    assert ("makiivka-strike", "presented_as_retaliation_for") in links


def test_no_alias_points_at_two_events(seed: DataSet) -> None:
    owners = Counter(
        text for event in seed.events for text in {a.text.casefold() for a in event.aliases}
    )
    assert [text for text, n in owners.items() if n > 1] == []


# --- the Makiivka event: what users ask about most -----------------------------------


def test_makiivka_keeps_every_competing_figure(seed: DataSet) -> None:
    figures = {
        figure
        for claim in seed.claims
        if claim.event == "makiivka-strike"
        for figure in (claim.low, claim.high)
        if figure is not None
    }
    assert {63, 89, 400} <= figures


def test_makiivka_is_found_by_its_common_spellings(seed: DataSet) -> None:
    makiivka = next(event for event in seed.events if event.slug == "makiivka-strike")
    aliases = {alias.text for alias in makiivka.aliases}
    spellings = {"Makiivka", "Makeyevka", "Makeevka", "Makiyivka", "Макіївка", "Макеевка"}
    assert spellings <= aliases


def test_russian_89_supersedes_63(seed: DataSet) -> None:
    claims = {claim.key: claim for claim in seed.claims}
    later = next(claim for claim in claims.values() if claim.low == 89)
    assert later.supersedes is not None
    earlier = claims[later.supersedes]
    assert (earlier.low, earlier.lifecycle.value) == (63, "superseded")


# --- statuses and sourcing ------------------------------------------------------------


def test_every_non_default_status_has_a_reasoned_assessment(seed: DataSet) -> None:
    unexplained = [
        claim.key
        for claim in seed.claims
        if claim.status.value != "unverified"
        and not (claim.assessments and claim.assessments[-1].rationale)
    ]
    assert unexplained == []


def test_every_claim_says_where_it_was_reported(seed: DataSet) -> None:
    assert [claim.key for claim in seed.claims if not claim.appearances] == []


def test_no_urls_since_the_articles_carry_none(seed: DataSet) -> None:
    urls = [
        claim.key
        for claim in seed.claims
        for appearance in claim.appearances
        if appearance.url or any(a.evidence for a in claim.assessments)
    ]
    assert urls == [] and [d.key for d in seed.documents if d.url] == []


def test_every_appearance_is_a_recorded_document(seed: DataSet) -> None:
    # The document names outlet, headline and date once; a file name is never shown.
    loose = [
        (claim.key, appearance)
        for claim in seed.claims
        for appearance in claim.appearances
        if appearance.article not in _archives(seed) or appearance.document
    ]
    assert loose == []


def test_only_the_article_that_names_its_outlet_and_date_has_them(seed: DataSet) -> None:
    dated = {(d.publisher, d.published_on) for d in seed.documents if d.publisher or d.published_on}
    assert dated == {("bne IntelliNews", dt.date(2023, 1, 9))}


def test_denials_and_verdicts_carry_no_figure(seed: DataSet) -> None:
    figures = [
        claim.key
        for claim in seed.claims
        if claim.qualifier is not None
        and re.search(r"\bden(y|ied|ial)|\bfalse\b|no one|no deaths|no .*casualties", claim.quote)
        and not re.search(r"\d", claim.wording or "")
    ]
    assert figures == []
    assert not [c.key for c in seed.claims if c.qualifier == Qualifier.NONE]


def test_kramatorsk_600_is_false_on_the_verdict_and_the_on_site_reports(seed: DataSet) -> None:
    claim = next(c for c in seed.claims if c.key == "kramatorsk-russian-mod-600-killed")
    verdict = claim.assessments[-1]
    assert claim.status == verdict.status == VerificationStatus.FALSE
    assert verdict.given_by == "Institute of War" and verdict.reason
    assert "this claim is false" in (verdict.rationale or "")
    assert "no one had been killed" in (verdict.rationale or "")
    assert {"bne-intellinews-2023-01-09", "kyiv-dismisses-russias-claim"} <= set(verdict.documents)
    # The verdict is an assessment now, not one more claim with the figure 0.
    assert not [c.key for c in seed.claims if c.claimant == "Institute of War"]


def test_the_63_to_89_order_is_labelled_an_inference(seed: DataSet) -> None:
    later = next(c for c in seed.claims if c.key == "makiivka-russian-mod-89")
    assert "inferred from publication dates" in (later.assessments[-1].rationale or "")


def test_outlets_keep_their_own_wording_of_a_figure(seed: DataSet) -> None:
    worded = {
        (claim.key, appearance.article): appearance.figure_wording
        for claim in seed.claims
        for appearance in claim.appearances
        if appearance.figure_wording
    }
    bne = "bne-intellinews-2023-01-09"
    assert worded[("makiivka-ukraine-mod-up-to-400-killed", bne)] == "some 400"
    assert worded[("kramatorsk-russian-mod-at-least-700-dormitory-28", bne)] == "over 700"


def test_the_1300_total_is_the_reports_own_not_the_ministrys(seed: DataSet) -> None:
    claim = next(c for c in seed.claims if c.low == 1300)
    assert claim.claimant == "Unattributed report"


def test_statements_without_a_figure_are_claims_of_their_speakers(seed: DataSet) -> None:
    speakers = {c.claimant for c in seed.claims if c.event == "makiivka-strike"}
    assert {
        "Grigory Karasin",
        "Sergey Markov",
        "Boris Rozhin",
        "Daniil Bezsonov",
        "Igor Girkin",
    } <= speakers
    assert "Alex Rossi" in {c.claimant for c in seed.claims if c.event == "kramatorsk-strike"}


def test_users_never_see_a_file_name_or_an_article_number(seed: DataSet) -> None:
    shown = [e.summary for e in seed.events] + [e.date_note or "" for e in seed.events]
    shown += [link.note or "" for e in seed.events for link in e.related]
    shown += [c.summary for c in seed.claims]
    shown += [a.rationale or "" for c in seed.claims for a in c.assessments]
    shown += [a.reason or "" for c in seed.claims for a in c.assessments]
    leaks = [text for text in shown if re.search(r"\.txt\b|\b[Aa]rticles? 00\d|\(00\d", text)]
    assert leaks == []


# --- faithfulness: every quoted text occurs in the articles ---------------------------


def test_every_claim_quote_and_figure_wording_is_in_an_article_it_appeared_in(
    seed: DataSet,
) -> None:
    articles, archives = _articles(), _archives(seed)
    missing = [
        (claim.key, text)
        for claim in seed.claims
        for text in (claim.quote, claim.wording)
        if text is not None
        and not any(
            _in_article(text, archives.get(a.article or ""), articles) for a in claim.appearances
        )
    ]
    assert missing == []


def test_every_appearance_wording_is_verbatim_in_its_own_article(seed: DataSet) -> None:
    articles, archives = _articles(), _archives(seed)
    missing = [
        (claim.key, appearance.article, text)
        for claim in seed.claims
        for appearance in claim.appearances
        for text in (appearance.wording, appearance.figure_wording)
        if text is not None
        and not _in_article(text, archives.get(appearance.article or ""), articles)
    ]
    assert missing == []


def test_every_document_headline_or_opening_is_its_articles_own(seed: DataSet) -> None:
    articles = _articles()
    wrong = [
        document.key
        for document in seed.documents
        if document.archive not in articles
        or (document.headline and not _in_article(document.headline, document.archive, articles))
        or (
            document.opening_words
            and not articles[document.archive].startswith(_collapse(document.opening_words))
        )
    ]
    assert wrong == []


# --- translations ---------------------------------------------------------------------

# Standard Ukrainian and Russian spellings of the places and people the summaries name.
NAMES = {
    "Makiivka": ("Макіїв", "Макеевк"),
    "Kramatorsk": ("Краматорськ", "Краматорск"),
    "Kyiv": ("Києв", "Киев"),
    "Donetsk": ("Донецьк", "Донецк"),
    "Kharkiv": ("Харков", "Харьков"),
    "Chernihiv": ("Черніг", "Чернигов"),
    "Kherson": ("Херсон", "Херсон"),
    "Bakhmut": ("Бахмут", "Бахмут"),
    "Putin": ("Путін", "Путин"),
    "Wagner": ("«Вагнер", "«Вагнер"),
}


def _numbers(text: str) -> set[str]:
    return {re.sub(r"[,\s]", "", n) for n in re.findall(r"\d[\d,\s\u00a0]*\d|\d", text)}


def test_every_event_has_a_ukrainian_and_a_russian_title_and_summary(seed: DataSet) -> None:
    for event in seed.events:
        assert set(event.translations) == {"uk", "ru"}, event.slug
        for translation in event.translations.values():
            assert translation.title and translation.summary, event.slug


def test_translations_state_no_figure_or_date_the_english_does_not(seed: DataSet) -> None:
    for event in seed.events:
        english = _numbers(f"{event.title} {event.summary}")
        for lang, translation in event.translations.items():
            text = f"{translation.title} {translation.summary}"
            assert _numbers(text) <= english, (event.slug, lang, _numbers(text) - english)


def test_translations_leave_quotes_and_headlines_as_printed(seed: DataSet) -> None:
    for event in seed.events:
        for quote in re.findall(r"“[^”]+”", event.summary):
            for lang, translation in event.translations.items():
                assert translation.summary and quote in translation.summary, (event.slug, lang)


def test_translations_spell_places_and_people_the_standard_way(seed: DataSet) -> None:
    for event in seed.events:
        english = re.sub(r"“[^”]+”", "", f"{event.title} {event.summary}")  # quotes stay as printed
        for name, spellings in NAMES.items():
            if name in english:
                for lang, other in (("uk", "ru"), ("ru", "uk")):
                    translation = event.translations[lang]
                    text = f"{translation.title} {translation.summary}"
                    spelling, others = spellings[lang == "ru"], spellings[other == "ru"]
                    assert spelling in text, (event.slug, lang, name)
                    assert spelling == others or others not in text, (event.slug, lang, name)
