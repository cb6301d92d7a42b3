"""The public web site and JSON API (`claimbot web`) over HTTP: a real process on a real
database, read as a reader or another tool would. Its pages in a real browser are in
`tests/test_web_browser.py`."""

import hashlib
import html
import json
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pyld import jsonld

from bot.answering import AnswerService
from bot.runtime import Runtime
from config import load_settings
from db.engine import make_engine, make_session_factory, unit_of_work
from db.import_export import export_dataset
from db.import_plan import plan_import
from db.import_write import apply_import
from tests.botapi import FakeTelegram
from tests.e2e import copy_seeded_sqlite, running_bot
from tests.web_site import fetch, fetch_json, running_site

SCHEMA = "http://schema.org/"
MAKIIVKA = "/events/makiivka-strike"


@pytest.fixture(scope="module")
def seeded_copy(seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("web")
    copy_seeded_sqlite(seeded_sqlite_template, directory)
    return directory / "bot.db"


@pytest.fixture(scope="module")
def site(seeded_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("web-log") / "web.log"
    with running_site(f"sqlite:///{seeded_copy}", log) as base:
        yield base


@pytest.fixture(scope="module")
def service(seeded_copy: Path) -> AnswerService:
    """The bot's own answer service on the same database, to compare decisions with."""
    return Runtime.from_settings(
        load_settings(database_url=f"sqlite:///{seeded_copy}")
    ).answer_service()


def page(base: str, path: str) -> str:
    status, body, kind = fetch(base + path)
    assert status == 200 and kind == "text/html", (status, body[:300])
    return body.decode()


def visible_text(markup: str) -> str:
    """Roughly what a reader sees: the body's text, without tags, scripts or styles."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def json_ld(markup: str) -> list[dict[str, Any]]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', markup, re.S)
    assert len(found) == 1
    data = json.loads(found[0])
    assert isinstance(data, list)
    return data


def test_the_event_page_is_the_full_card(site: str) -> None:
    markup = page(site, MAKIIVKA)
    text = visible_text(markup)
    _, api = fetch_json(site + "/api/events/makiivka-strike")
    claims = api["claims"]
    # Every claim, with its claimant, words and status, and each an anchor of its own.
    assert len(re.findall(r'<article class="claim[^"]*" id="claim-', markup)) == len(claims) > 20
    for claim in claims:
        assert f'id="claim-{claim["key"]}"' in markup
        assert claim["claimant"] in text
        assert claim["quote"] in text
        if claim["wording"]:
            assert claim["wording"] in text
        for assessment in claim["status_history"]:  # the evidence behind every status
            assert all(e in text for e in assessment["evidence"])
            assert assessment["rationale"] is None or assessment["rationale"] in text
    for figure in ("63 Russian servicemen", "89 Russian servicemen", "around 400 fatalities"):
        assert figure in text
    assert "disputed" in text and "unverified" in text
    # The Kramatorsk strike, presented as retaliation for this one, is linked.
    assert 'href="/events/kramatorsk-strike"' in markup
    assert "Status history" in text


def test_pages_follow_lang_then_the_browsers_accept_language(site: str) -> None:
    ukrainian = page(site, MAKIIVKA + "?lang=uk")
    text = visible_text(ukrainian)
    assert '<html lang="uk">' in ukrainian
    assert "оспорюється" in text and "Повідомляли:" in text and "1 січ. 2023" in text
    # The claims stay in the words printed; the links keep the chosen language.
    assert "63 Russian servicemen" in text and "Reported by" not in text
    assert 'href="/events/kramatorsk-strike?lang=uk"' in ukrainian
    # Without ?lang=, the browser's most wanted of our languages; else English.
    _, body, _ = fetch(site + MAKIIVKA, {"Accept-Language": "de-DE, ru;q=0.8, en;q=0.5"})
    assert '<html lang="ru">' in body.decode() and "Сообщали:" in visible_text(body.decode())
    _, body, _ = fetch(site + MAKIIVKA, {"Accept-Language": "de, fr;q=0.9"})
    assert '<html lang="en">' in body.decode() and "Reported by:" in visible_text(body.decode())
    index = visible_text(page(site, "/?lang=ru&q=makeevka+death+toll"))
    assert "Лучшее совпадение" in index and "Все события" in index
    assert re.search(r"\d+ заявлени(е|я|й)", index)
    status, body, _ = fetch(site + "/events/no-such-event?lang=uk")
    assert status == 404 and "Події «no-such-event» немає." in body.decode()


def test_the_embedded_claim_reviews_are_valid_json_ld_with_googles_required_properties(
    site: str,
) -> None:
    markup = page(site, MAKIIVKA)
    reviews = json_ld(markup)
    _, api = fetch_json(site + "/api/events/makiivka-strike")
    assessed = [c for c in api["claims"] if c["status_history"]]
    assert len(reviews) == len(assessed) > 0

    def offline_schema_org(url: str, options: dict[str, Any]) -> dict[str, Any]:
        # schema.org's context maps every term into its vocabulary; nothing is downloaded.
        assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": {"@context": {"@vocab": SCHEMA}},
        }

    expanded = jsonld.expand(reviews, {"documentLoader": offline_schema_org})
    assert len(expanded) == len(reviews)
    for review in expanded:
        assert review["@type"] == [SCHEMA + "ClaimReview"]
        for required in ("claimReviewed", "reviewRating", "url", "author", "itemReviewed"):
            assert review.get(SCHEMA + required), required
        rating = review[SCHEMA + "reviewRating"][0]
        assert rating[SCHEMA + "alternateName"][0]["@value"]
        url = review[SCHEMA + "url"][0]["@value"]
        # Each review is its claim on this very page.
        assert url.startswith(site + MAKIIVKA + "#claim-")
        assert f'id="{url.split("#", 1)[1]}"' in markup


def test_the_public_url_names_the_pages_the_reviews_point_to(
    seeded_copy: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "bot.db"
    shutil.copyfile(seeded_copy, copy)
    public = "https://claims.example.org"
    with running_site(f"sqlite:///{copy}", tmp_path / "web.log", public_url=public) as base:
        reviews = json_ld(page(base, MAKIIVKA))
    assert all(r["url"].startswith(public + MAKIIVKA + "#claim-") for r in reviews)
    assert all(r["author"]["name"] == "claimbot" for r in reviews)  # no organisation set


@pytest.mark.parametrize(
    "question", ["makeevka death toll", "strike", "скільки загинуло в Макіївці?", "qwzx vbnm"]
)
def test_the_api_and_the_search_box_decide_as_the_bot_does(
    site: str, service: AnswerService, question: str
) -> None:
    bot = service.ask(question)
    status, answer = fetch_json(f"{site}/api/ask?q={quote(question)}")
    assert status == 200 and answer["api_version"] == "v1"
    assert answer["outcome"] == bot.outcome.value
    assert [c["slug"] for c in answer["candidates"]] == [c.slug for c in bot.candidates]
    shown = page(site, f"/?q={quote(question)}")
    if bot.event is not None:
        assert answer["event"]["slug"] == bot.event.slug
        assert f'<a id="best" href="/events/{bot.event.slug}">' in shown
    else:
        for candidate in bot.candidates:
            assert f'href="/events/{candidate.slug}"' in shown


def test_the_decisions_cover_answer_offer_and_no_match(site: str) -> None:
    outcomes = {
        fetch_json(f"{site}/api/ask?q={quote(q)}")[1]["outcome"]
        for q in ("makeevka death toll", "strike", "qwzx vbnm")
    }
    assert outcomes == {"answer", "ambiguous", "no_match"}


def test_the_api_lists_every_event_and_is_versioned(site: str) -> None:
    status, listing = fetch_json(site + "/api/events")
    assert status == 200 and listing["api_version"] == "v1"
    slugs = [e["slug"] for e in listing["events"]]
    assert "makiivka-strike" in slugs and len(slugs) == 10
    assert fetch_json(site + "/api/v1/events") == (status, listing)
    _, card = fetch_json(site + "/api/v1/events/makiivka-strike")
    assert card["event"]["title"].startswith("Strike on Russian troops in Makiivka")
    revised = [c for c in card["claims"] if c["supersedes"]]
    assert any(c["key"] == "makiivka-russian-mod-89" for c in revised)  # 63, then 89


def test_bad_requests_get_clear_answers(site: str) -> None:
    status, body, kind = fetch(site + "/events/no-such-event")
    assert status == 404 and kind == "text/html"
    assert "There is no event" in body.decode() and 'href="/"' in body.decode()
    status, error = fetch_json(site + "/api/events/no-such-event")
    assert status == 404 and "no-such-event" in error["error"]
    status, error = fetch_json(site + "/api/ask")
    assert status == 400 and "?q=" in error["error"]
    assert fetch(site + "/events/")[0] == 404


def test_text_from_the_address_is_escaped(site: str) -> None:
    attack = '"><script>alert(1)</script>'
    markup = page(site, f"/?q={quote(attack)}")
    assert "<script>alert(1)" not in markup and attack not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup  # shown back as typed
    status, body, _ = fetch(site + "/events/" + quote("<b>x</b>"))
    assert status == 404 and b"<b>x</b>" not in body


def test_healthz_reports_the_database_and_the_index(site: str) -> None:
    status, report = fetch_json(site + "/healthz")
    assert status == 200 and report["status"] == "ok"
    assert report["index"]["events"] == 10


def test_prometheus_counts_requests_by_route_and_status(site: str) -> None:
    def requests(text: str) -> dict[tuple[str, str], float]:
        return {
            (sample.labels["route"], sample.labels["status"]): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "claimbot_web_requests_total"
        }

    before = requests(fetch(site + "/metrics")[1].decode())
    page(site, MAKIIVKA)
    page(site, "/events/kramatorsk-strike")
    fetch(site + "/events/no-such-event")
    status, body, kind = fetch(site + "/metrics")
    assert status == 200 and kind == "text/plain"
    after = requests(body.decode())
    pages = ("/events/{slug}", "200")
    assert after[pages] - before.get(pages, 0) == 2  # one series, whatever the slug
    assert after[("/events/{slug}", "404")] - before.get(("/events/{slug}", "404"), 0) == 1
    assert "claimbot_index_events 10.0" in body.decode()


def test_hidden_events_and_claims_never_appear_and_the_site_writes_nothing(
    seeded_copy: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "bot.db"
    shutil.copyfile(seeded_copy, copy)
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE events SET hidden = 1 WHERE slug = 'kramatorsk-strike'")
        db.execute("UPDATE claims SET hidden = 1 WHERE key = 'makiivka-russian-mod-63'")
    db.close()
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    with running_site(f"sqlite:///{copy}", tmp_path / "web.log") as base:
        index = page(base, "/?q=kramatorsk")
        markup = page(base, MAKIIVKA)
        _, listing = fetch_json(base + "/api/events")
        _, card = fetch_json(base + "/api/events/makiivka-strike")
        gone = [
            fetch(base + p)[0]
            for p in ("/events/kramatorsk-strike", "/api/events/kramatorsk-strike")
        ]
    assert "kramatorsk-strike" not in index
    assert "kramatorsk-strike" not in [e["slug"] for e in listing["events"]]
    assert gone == [404, 404]
    assert "makiivka-russian-mod-63" not in markup
    assert "63 Russian servicemen" not in visible_text(markup)
    assert 'href="/events/kramatorsk-strike"' not in markup
    assert "makiivka-russian-mod-63" not in json.dumps(card)
    assert "kramatorsk-strike" not in [r["slug"] for r in card["related"]]
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before


def test_cards_in_telegram_open_their_page_in_the_browser(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    url = copy_seeded_sqlite(seeded_sqlite_template, tmp_path)
    with FakeTelegram() as tg:
        alice = tg.add_user("Alice")
        with running_bot(tg, url, public_url="https://claims.example.org/"):
            alice.send("how many died at Makiivka?")
            card = alice.chat.next_bot_message(timeout=30)
            alice.send("qwzx vbnm")
            no_match = alice.chat.next_bot_message(timeout=30)
        tg.assert_no_rejected_calls()
    link = card.button("🌐 Open in browser")
    assert link.action == "url"
    assert link.value == "https://claims.example.org/events/makiivka-strike"
    assert "🌐 Open in browser" not in no_match.button_texts


@pytest.mark.parametrize("new_database", ["postgresql"], indirect=True)
def test_the_site_serves_from_postgresql(seeded_database_url: str, tmp_path: Path) -> None:
    with running_site(seeded_database_url, tmp_path / "web.log") as base:
        text = visible_text(page(base, MAKIIVKA))
        _, answer = fetch_json(base + "/api/ask?q=makeevka+death+toll")
        _, listing = fetch_json(base + "/api/events")
    assert "89 Russian servicemen" in text and "around 400 fatalities" in text
    assert answer["outcome"] == "answer" and answer["event"]["slug"] == "makiivka-strike"
    assert len(listing["events"]) == 10


def test_a_change_made_elsewhere_reaches_the_page(seeded_copy: Path, tmp_path: Path) -> None:
    copy = tmp_path / "bot.db"
    shutil.copyfile(seeded_copy, copy)
    url = f"sqlite:///{copy}"
    with running_site(url, tmp_path / "web.log", index_poll_seconds="0.2") as base:
        assert "89 Russian servicemen" in visible_text(page(base, MAKIIVKA))  # now kept
        # Another process (here an import, as a moderator's would be) changes a claim.
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with unit_of_work(sessions) as session:
            dataset = export_dataset(session)
            claims = [
                c.model_copy(update={"wording": "89 Russian servicemen, later said"})
                if c.key == "makiivka-russian-mod-89"
                else c
                for c in dataset.claims
            ]
            changed = dataset.model_copy(update={"claims": claims})
            apply_import(session, plan_import(session, changed), "test")
        engine.dispose()
        deadline = time.monotonic() + 20
        while "89 Russian servicemen, later said" not in visible_text(page(base, MAKIIVKA)):
            assert time.monotonic() < deadline, "the page never showed the change"
            time.sleep(0.2)
