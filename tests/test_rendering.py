"""The event card: the answer first, every claim shown with its status explained, text
escaped, revisions chained, pages within Telegram's limits."""

import dataclasses
import datetime as dt
import re
from html.parser import HTMLParser
from typing import ClassVar

from bot.card import FIRST_PAGE_LIMIT, focus_of, render_card, render_card_text
from bot.card_notes import render_assessments, render_event_about
from bot.rendering import (
    CARD_PAGE_LIMIT,
    TELEGRAM_MESSAGE_LIMIT,
    html_to_text,
    render_no_match,
    telegram_length,
)
from db.queries import (
    AppearanceView,
    AssessmentView,
    ClaimView,
    DocumentView,
    EventCard,
    RelatedEventView,
    SourceView,
)
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

MOD = SourceView("Russian Ministry of Defence", SourceKind.GOVERNMENT, Side.RUSSIA, "Russian MoD")
UA = SourceView("Ukrainian military", SourceKind.ARMED_FORCES, Side.UKRAINE, "Ukraine's military")
BNE = DocumentView("bne", "bne IntelliNews", "Russia claims", None, dt.date(2023, 1, 9), None)
KYIV = DocumentView(
    "kyiv",
    None,
    "Kyiv Dismisses Russia's Claim That It Launched A Deadly Attack On Ukrainian Troops",
    None,
    None,
    None,
)


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
    qualifier: Qualifier | None = None,
    metric: Metric | None = None,
    assessments: tuple[AssessmentView, ...] = (),
) -> ClaimView:
    if qualifier is None and low is not None:
        qualifier = Qualifier.EXACT
    return ClaimView(
        id=id,
        key=f"c{id}",
        claimant=claimant,
        metric=metric or (Metric.KILLED if wording else Metric.OTHER),
        subject="Russian servicemen" if wording else None,
        qualifier=qualifier,
        low=low if qualifier != Qualifier.UP_TO else None,
        high=low if qualifier not in (Qualifier.AT_LEAST, Qualifier.MORE_THAN) else None,
        wording=wording,
        summary=summary,
        quote="q",
        stated_on=stated_on,
        basis=Basis.OFFICIAL_STATEMENT,
        supersedes_id=supersedes,
        lifecycle=lifecycle,
        status=status,
        appearances=appearances,
        assessments=assessments,
    )


def seen_in(document: DocumentView, figure_wording: str | None = None) -> AppearanceView:
    return AppearanceView(
        None, None, None, None, None, None, None, figure_wording, source_document=document
    )


def assessed(status: VerificationStatus, reason: str | None, rationale: str) -> AssessmentView:
    at = dt.datetime(2023, 1, 9, tzinfo=dt.UTC)
    return AssessmentView(status, rationale, reason, "Institute of War", (), ("bne",), "mod", at)


def card(
    *claims: ClaimView, title: str = "Strike on Makiivka", summary: str = "A strike."
) -> EventCard:
    return EventCard(
        slug="makiivka-strike",
        title=title,
        summary=summary,
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
        documents=(BNE, KYIV),
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
    assert telegram_length(message) <= TELEGRAM_MESSAGE_LIMIT


def makiivka() -> EventCard:
    return card(
        claim(1, MOD, "63", 63, lifecycle=Lifecycle.SUPERSEDED, stated_on=dt.date(2023, 1, 2)),
        claim(
            2,
            MOD,
            "89",
            89,
            supersedes=1,
            status=VerificationStatus.DISPUTED,
            appearances=(seen_in(BNE, "a lower 89"), seen_in(KYIV)),
            assessments=(
                assessed(VerificationStatus.DISPUTED, "both sides dispute the toll", "Long."),
            ),
        ),
        claim(3, UA, "around 400 fatalities", 400, qualifier=Qualifier.APPROX),
        claim(4, UA, "300 injuries", 300, qualifier=Qualifier.APPROX, metric=Metric.WOUNDED),
        claim(5, UA, None, None, summary="Ukraine denied it.", metric=Metric.KILLED),
        claim(6, MOD, None, None, summary="Those responsible must be held accountable."),
    )


def test_the_first_lines_answer_the_question_per_claimant() -> None:
    first = html_to_text(render_card(makiivka())[0]).splitlines()
    assert first[0] == "Strike on Makiivka"
    assert first[1] == "1 Jan 2023 · Makiivka, Donetsk Oblast, Ukraine"
    # Current figures only, the superseded one as "earlier", a denial never as a bound.
    assert first[2] == "Killed: 🟠 89 (Russian MoD; earlier 63) · about 400 (Ukraine's military)"
    assert first[3] == "Wounded: about 300 (Ukraine's military)"


def test_the_measure_the_question_asks_about_comes_first() -> None:
    assert focus_of("how many Russians were injured at Makiivka?") == Metric.WOUNDED
    assert focus_of("how many died at Makiivka?") is None
    first = html_to_text(render_card(makiivka(), focus_of("injured in Makiivka"))[0])
    assert first.splitlines()[2].startswith("Wounded: about 300")


def test_every_status_explains_itself() -> None:
    text = html_to_text(render_card(makiivka())[0])
    assert "🟠 disputed: both sides dispute the toll" in text
    # The legend names what each marker on the page means.
    assert "🟠 disputed: contradicted, not settled" in text
    assert "⚪ unverified: not yet checked" in text
    full = html_to_text(render_assessments(makiivka())[0])
    assert "verdict of Institute of War" in full and "Long." in full
    assert "Cites: bne IntelliNews, 9 Jan 2023" in full


def test_sources_are_named_by_outlet_and_date_or_headline_never_by_file() -> None:
    text = html_to_text(render_card(makiivka())[0])
    assert "bne IntelliNews, 9 Jan 2023 (as “a lower 89”)" in text
    assert "“Kyiv Dismisses Russia's Claim That It…”" in text
    about = html_to_text("\n".join(render_event_about(makiivka())))
    assert "“Kyiv Dismisses Russia's Claim That It Launched A Deadly Attack On Ukrainian" in about
    assert "undated, no URL given" in about and "A strike." in about


def test_statements_without_a_figure_are_a_compact_part_of_their_own() -> None:
    text = html_to_text(render_card(makiivka())[0])
    assert "Other statements\n• Russian MoD: Those responsible must be held accountable." in text
    assert "Killed\n" in text and "Ukraine denied it." in text


def test_the_card_shows_every_claim_with_claimant_side_and_status() -> None:
    messages = render_card(makiivka())
    text = html_to_text("\n".join(messages))
    assert "said: 63 (2 Jan 2023) — Russian servicemen\n" in text and "\n    → 89\n" in text
    assert "Russian Ministry of Defence (Russia)" in text
    assert "Ukrainian military (Ukraine) said: around 400 fatalities" in text
    assert "superseded" in text and "🟠 disputed" in text and "⚪ unverified" in text
    assert "cited as the reason for: Kramatorsk strike" in text
    assert "/about" in text


def test_user_and_claim_text_is_escaped() -> None:
    nasty = SourceView("<b>Fake</b> & Co", SourceKind.BLOGGER, Side.UNKNOWN)
    event = card(claim(1, nasty, None, None, summary="x < y & <script>"), title="A <i>title")
    messages = [*render_card(event), *render_event_about(event), *render_assessments(event)]
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
    assert (
        '<a href="https://example.org/a?b=1&amp;c=2">Example &lt;News&gt;, 9 Jan 2023</a>'
        in messages[0]
    )
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
    pages = render_card(card(*many_claims(119)))
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert_valid_telegram_html(page)
        assert telegram_length(page) <= (FIRST_PAGE_LIMIT if number == 1 else CARD_PAGE_LIMIT)
        # Every page says which card and which page it is.
        assert html_to_text(page).splitlines()[0] == f"Strike on Makiivka ({number}/{len(pages)})"
    texts = [html_to_text(page) for page in pages]
    # Each claim is shown once, whole, on one page.
    for n in range(1, 120):
        shown = [t for t in texts if f"Claimant number {n} " in t]
        assert len(shown) == 1, n
    assert "1 Jan 2023" in texts[0] and all("1 Jan 2023" not in t for t in texts[1:])
    # The metric's heading is repeated where a page continues its group.
    with_claims = [t for t in texts[1:] if "Claimant number" in t]
    assert with_claims and all(t.splitlines()[2] == "Killed (continued)" for t in with_claims)
    assert "Related events" in texts[-1] and "/about" in texts[-1]
    assert all("/about" not in t for t in texts[:-1])


def test_a_short_card_is_one_page_without_a_page_number() -> None:
    pages = render_card(card(claim(1, MOD, "63", 63)))
    assert len(pages) == 1
    text = html_to_text(pages[0])
    assert text.splitlines()[0] == "Strike on Makiivka"
    assert "63" in text and "Related events" in text and "/about" in text


def test_a_revision_chain_stays_whole_where_a_page_holds_it() -> None:
    pages = render_card(card(*many_claims(2), *makiivka().claims[:2]))
    with_chain = [html_to_text(p) for p in pages if "→ 89" in html_to_text(p)]
    assert len(with_chain) == 1 and "said: 63 (2 Jan 2023)" in with_chain[0]


def test_a_long_revision_chain_is_split_with_a_continued_mark() -> None:
    # Issue 11: a chain of 12 long revisions made a 6,454-unit page (never split).
    chain = [claim(1, MOD, "0 " + "w" * 480, 1, summary="m" * 400)]
    chain += [
        claim(n, MOD, f"{n} " + "w" * 480, n, supersedes=n - 1, summary="m" * 400)
        for n in range(2, 13)
    ]
    chain = [
        dataclasses.replace(c, lifecycle=Lifecycle.SUPERSEDED) if c.id < 12 else c for c in chain
    ]
    pages = render_card(card(*chain))
    assert len(pages) > 1
    for page in pages:
        assert_valid_telegram_html(page)
    texts = [html_to_text(p) for p in pages]
    continuing = [t for t in texts[1:] if "→" in t]
    assert continuing and all(
        "Russian Ministry of Defence (Russia) (continued)" in t for t in continuing
    )
    assert "Killed: 12 (Russian MoD; earlier 11)" in texts[0]
    assert sum(t.count("w" * 480) for t in texts) == 12


def test_a_summary_longer_than_a_page_stays_within_telegrams_limit() -> None:
    # Issue 11: a 4,200-character summary made a first page of 4,293 UTF-16 units.
    event = card(claim(1, MOD, "63", 63), summary=("A strike was reported. " * 190)[:4200])
    pages = [*render_card(event), *render_event_about(event)]
    for page in pages:
        assert_valid_telegram_html(page)
    assert telegram_length(render_card(event)[0]) <= FIRST_PAGE_LIMIT
    about = "".join(html_to_text(p) for p in render_event_about(event))
    assert about.count("reported.") == 4200 // len("A strike was reported. ")


def test_the_whole_card_text_has_every_claim_without_page_titles() -> None:
    big = card(*many_claims(40))
    text = html_to_text(render_card_text(big))
    assert all(f"Claimant number {n} " in text for n in range(1, 41))
    assert "(1/" not in text and "(2/" not in text
    # The title, once for the claims and once for what the About pages hold.
    assert text.count("Strike on Makiivka") == 2 and "Strike on Makiivka · ℹ️ about" in text
    assert len(render_card(big)) > 1


def test_no_match_escapes_suggestions() -> None:
    reply = render_no_match(["<Makiivka>"])
    assert "&lt;Makiivka&gt;" in reply
    assert "/events" in reply
