"""The event card: every claim shown, text escaped, revisions chained, limits kept."""

import dataclasses
import datetime as dt
import re
from html.parser import HTMLParser
from typing import ClassVar

from bot.rendering import (
    CARD_PAGE_LIMIT,
    TELEGRAM_MESSAGE_LIMIT,
    card_pages,
    html_to_text,
    render_card,
    render_card_text,
    render_no_match,
    utf16_length,
)
from db.queries import AppearanceView, ClaimView, EventCard, RelatedEventView, SourceView
from db.vocabulary import (
    Basis,
    DatePrecision,
    Lifecycle,
    Metric,
    Qualifier,
    Relation,
    Side,
    SourceKind,
    VerificationStatus,
)

MOD = SourceView("Russian Ministry of Defence", SourceKind.GOVERNMENT, Side.RUSSIA)
UA = SourceView("Ukrainian military", SourceKind.ARMED_FORCES, Side.UKRAINE)


def claim(
    id: int,
    claimant: SourceView,
    wording: str | None,
    low: int | None,
    *,
    supersedes: int | None = None,
    lifecycle: Lifecycle = Lifecycle.CURRENT,
    status: VerificationStatus = VerificationStatus.UNVERIFIED,
    summary: str = "A claim.",
    appearances: tuple[AppearanceView, ...] = (),
    stated_on: dt.date | None = None,
) -> ClaimView:
    qualifier = Qualifier.EXACT if wording else None
    return ClaimView(
        id=id,
        key=f"c{id}",
        claimant=claimant,
        metric=Metric.KILLED if wording else Metric.OTHER,
        subject="Russian servicemen" if wording else None,
        qualifier=qualifier,
        low=low,
        high=low,
        wording=wording,
        summary=summary,
        quote="q",
        stated_on=stated_on,
        basis=Basis.OFFICIAL_STATEMENT,
        supersedes_id=supersedes,
        lifecycle=lifecycle,
        status=status,
        appearances=appearances,
    )


def card(*claims: ClaimView, title: str = "Strike on Makiivka") -> EventCard:
    return EventCard(
        slug="makiivka-strike",
        title=title,
        summary="A strike.",
        place="Makiivka",
        region="Donetsk Oblast",
        country="Ukraine",
        start_date=dt.date(2023, 1, 1),
        end_date=None,
        date_precision=DatePrecision.DAY,
        date_note=None,
        claims=claims,
        related=(
            RelatedEventView(
                "kramatorsk-strike",
                "Kramatorsk strike",
                Relation.PRESENTED_AS_RETALIATION_FOR,
                False,
            ),
        ),
    )


class TelegramHtmlChecker(HTMLParser):
    """Fails on tags Telegram does not know and on unbalanced tags."""

    ALLOWED: ClassVar[set[str]] = {"b", "i", "u", "s", "a", "code", "pre", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in self.ALLOWED, tag
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag


def assert_valid_telegram_html(message: str) -> None:
    # Only the three entities Telegram needs may appear; a bare '<' or '&' would be an error.
    assert not re.search(r"&(?!(lt|gt|amp|quot|#x27);)", message)
    checker = TelegramHtmlChecker()
    checker.feed(message)
    checker.close()
    assert checker.stack == []
    assert utf16_length(html_to_text(message)) <= TELEGRAM_MESSAGE_LIMIT


def test_the_card_shows_every_claim_with_claimant_side_and_status() -> None:
    messages = render_card(
        card(
            claim(1, MOD, "63", 63, lifecycle=Lifecycle.SUPERSEDED, stated_on=dt.date(2023, 1, 2)),
            claim(2, MOD, "89", 89, supersedes=1, status=VerificationStatus.DISPUTED),
            claim(3, UA, "about 400", 400),
        )
    )
    text = html_to_text("\n".join(messages))
    assert "63 (2 Jan 2023) → 89" in text
    assert "Russian Ministry of Defence (Russia)" in text
    assert "Ukrainian military (Ukraine) said: about 400" in text
    assert "superseded" in text and "🟠 disputed" in text and "⚪ unverified" in text
    assert "3 claims from 2 claimants · killed: from 63 to about 400" in text
    assert "cited as the reason for: Kramatorsk strike" in text
    assert "/about" in text


def test_user_and_claim_text_is_escaped() -> None:
    nasty = SourceView("<b>Fake</b> & Co", SourceKind.BLOGGER, Side.UNKNOWN)
    messages = render_card(
        card(claim(1, nasty, None, None, summary="x < y & <script>"), title="A <i>title")
    )
    for message in messages:
        assert_valid_telegram_html(message)
    text = html_to_text("\n".join(messages))
    assert "<b>Fake</b> & Co" in text
    assert "x < y & <script>" in text


def test_links_are_shown_for_outlets_with_a_url() -> None:
    report = AppearanceView(
        "Example <News>",
        None,
        None,
        "https://example.org/a?b=1&c=2",
        None,
        dt.date(2023, 1, 9),
        "some 400",
    )
    messages = render_card(card(claim(1, UA, "about 400", 400, appearances=(report,))))
    assert '<a href="https://example.org/a?b=1&amp;c=2">Example &lt;News&gt;</a>' in messages[0]
    assert_valid_telegram_html(messages[0])


def many_claims(count: int) -> tuple[ClaimView, ...]:
    return tuple(
        claim(
            n,
            dataclasses.replace(UA, name=f"Claimant number {n} " + "é" * 50),
            str(n),
            n,
            summary="s" * 400,
        )
        for n in range(1, count + 1)
    )


def test_a_long_card_pages_on_claim_boundaries_within_the_budget() -> None:
    for limit in (CARD_PAGE_LIMIT, 900, 2500, 3900):
        pages = card_pages(card(*many_claims(119)), limit)
        assert len(pages) > 1
        for number, page in enumerate(pages, start=1):
            assert_valid_telegram_html(page)
            assert utf16_length(html_to_text(page)) <= limit
            # Every page says which card and which page it is.
            assert (
                html_to_text(page).splitlines()[0] == f"Strike on Makiivka ({number}/{len(pages)})"
            )
        texts = [html_to_text(page) for page in pages]
        # Each claim is shown once, whole, on one page.
        for n in range(1, 120):
            shown = [t for t in texts if f"Claimant number {n} " in t]
            assert len(shown) == 1, n
        assert "119 claims from 119 claimants" in texts[0] and "1 Jan 2023" in texts[0]
        assert all("claims from" not in t for t in texts[1:])
        # The metric's heading is repeated where a page continues its group.
        assert all("Killed (continued)" in t.splitlines()[2] for t in texts[1:])
        assert "Related events" in texts[-1] and "/about" in texts[-1]
        assert all("/about" not in t for t in texts[:-1])


def test_a_short_card_is_one_page_without_a_page_number() -> None:
    pages = card_pages(card(claim(1, MOD, "63", 63)))
    assert len(pages) == 1
    text = html_to_text(pages[0])
    assert text.splitlines()[0] == "Strike on Makiivka"
    assert "63" in text and "Related events" in text and "/about" in text


def test_revision_chains_are_never_split_across_pages() -> None:
    chain = (
        claim(1, MOD, "63", 63, lifecycle=Lifecycle.SUPERSEDED, summary="m" * 300),
        claim(2, MOD, "89", 89, supersedes=1, lifecycle=Lifecycle.SUPERSEDED, summary="m" * 300),
        claim(3, MOD, "91", 91, supersedes=2),
    )
    for limit in (600, 800, 1000, 1200):
        pages = card_pages(card(*many_claims(6), *chain), limit)
        with_chain = [p for p in pages if "63 → 89 → 91" in html_to_text(p)]
        assert len(with_chain) == 1, limit
        assert sum(html_to_text(p).count("63") for p in pages) == html_to_text(with_chain[0]).count(
            "63"
        )


def test_a_claim_longer_than_the_budget_gets_a_page_of_its_own() -> None:
    long = claim(1, MOD, "63", 63, summary="x" * 3000)
    huge = dataclasses.replace(long, claimant=dataclasses.replace(MOD, name="M" * 2500))
    pages = card_pages(card(huge, claim(2, UA, "about 400", 400)), 1800)
    assert all(len(html_to_text(p)) <= TELEGRAM_MESSAGE_LIMIT for p in pages)
    assert any("M" * 2500 in p for p in pages) and "about 400" in "".join(pages)
    for page in pages:
        assert_valid_telegram_html(page)


def test_the_whole_card_text_has_every_page_without_page_titles() -> None:
    big = card(*many_claims(40))
    text = html_to_text(render_card_text(big))
    assert all(f"Claimant number {n} " in text for n in range(1, 41))
    assert "(1/" not in text and "(2/" not in text
    assert text.count("Strike on Makiivka") == 1
    assert len(render_card(big)) > 1


def test_no_match_escapes_suggestions() -> None:
    reply = render_no_match(["<Makiivka>"])
    assert "&lt;Makiivka&gt;" in reply
    assert "/events" in reply
