"""The bundled seed data: valid, complete, and faithful to the articles it was curated from.

The articles themselves do not ship with the package. The faithfulness tests read them
from the directory in CLAIMBOT_SEED_ARTICLES, else from `<repo>/../shared/seeds/`; they
are skipped when it is absent, except under CI=true, where that is a failure.
"""

import functools
import os
from collections import Counter
from pathlib import Path

import pytest
import yaml

from db.dataset_schema import DataSet

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


def _not_in_articles(text: str, document: str | None, articles: dict[str, str]) -> bool:
    if document is not None:
        return _collapse(text) not in articles.get(document, "")
    return not any(_collapse(text) in article for article in articles.values())


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
    assert urls == []


# --- faithfulness: every quoted text occurs in the articles ---------------------------


def test_every_claim_quote_and_figure_wording_is_verbatim(seed: DataSet) -> None:
    articles = _articles()
    missing = [
        (claim.key, text)
        for claim in seed.claims
        for text in (claim.quote, claim.wording)
        if text is not None and _not_in_articles(text, None, articles)
    ]
    assert missing == []


def test_every_appearance_wording_and_title_is_verbatim_in_its_article(seed: DataSet) -> None:
    articles = _articles()
    missing = [
        (claim.key, appearance.document, text)
        for claim in seed.claims
        for appearance in claim.appearances
        for text in (appearance.wording, appearance.title)
        if text is not None and _not_in_articles(text, appearance.document, articles)
    ]
    assert missing == []


def test_every_document_reference_is_a_seed_article(seed: DataSet) -> None:
    articles = _articles()
    documents = {a.document for claim in seed.claims for a in claim.appearances if a.document}
    assert documents - set(articles) == set()
