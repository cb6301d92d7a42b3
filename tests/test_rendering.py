"""The event card: every claim shown, text escaped, revisions chained, limits kept."""

import dataclasses
import datetime as dt
import re
from html.parser import HTMLParser
from typing import ClassVar

from bot.rendering import (
    TELEGRAM_MESSAGE_LIMIT,
    html_to_text,
    render_card,
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


def test_a_long_card_splits_on_claim_boundaries_within_the_limit() -> None:
    many = tuple(
        claim(
            n,
            dataclasses.replace(UA, name=f"Claimant number {n} " + "é" * 50),
            str(n),
            n,
            summary="s" * 400,
        )
        for n in range(1, 120)
    )
    messages = render_card(card(*many))
    assert len(messages) > 1
    for message in messages:
        assert_valid_telegram_html(message)
    joined = html_to_text("\n".join(messages))
    assert all(f"Claimant number {n} " in joined for n in range(1, 120))


def test_no_match_escapes_suggestions() -> None:
    reply = render_no_match(["<Makiivka>"])
    assert "&lt;Makiivka&gt;" in reply
    assert "/events" in reply
