"""What followers are told: the difference between the claims they saw and the claims now,
and the message that says it (in every language, within Telegram's limits)."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.follow import ChangeKind, changes_between
from bot.follow_rendering import MAX_CHANGES_SHOWN, render_notification
from bot.i18n import LANGUAGES, Language, translator
from db.outbox import State
from db.vocabulary import Lifecycle, Metric, Qualifier, VerificationStatus
from tests.test_card_limits import assert_sendable


def claim(**changes: Any) -> dict[str, Any]:
    """A claim as followers see it: the Russian MoD's 89 killed, unless changed."""
    fields: dict[str, Any] = {
        "claimant": "Russian Ministry of Defence",
        "metric": "killed",
        "qualifier": "exact",
        "low": 89,
        "high": 89,
        "supersedes": None,
        "lifecycle": "current",
        "status": "disputed",
        "wording": "89 Russian servicemen",
        "summary": "The ministry said 89 servicemen were killed.",
    }
    return fields | changes


SAW: State = {"mod-63": claim(low=63, high=63, lifecycle="superseded"), "mod-89": claim()}
LABELS = {"Russian Ministry of Defence": "Russian MoD"}


def lines(before: State, now: State) -> list[str]:
    changes = changes_between(before, now)
    text = render_notification(translator("en"), "Makiivka", changes, LABELS)
    return text.split("\n")[1:]


def test_a_change_undone_or_a_wording_edit_is_no_change() -> None:
    assert changes_between(SAW, dict(SAW)) == []
    reworded = {**SAW, "mod-89": claim(wording="eighty-nine", summary="Reworded.")}
    assert changes_between(SAW, reworded) == []


def test_a_revision_is_told_once_with_the_figure_it_replaced() -> None:
    now = {
        **SAW,
        "mod-89": claim(lifecycle="superseded"),
        "mod-120": claim(low=120, high=120, supersedes="mod-89", status="unverified"),
    }
    assert [c.kind for c in changes_between(SAW, now)] == [ChangeKind.REVISED]
    assert lines(SAW, now) == ["Russian MoD: 120 killed (earlier 89) · ⚪ unverified"]


def test_status_retraction_figure_and_removal_each_say_what_they_were() -> None:
    now = {
        "mod-63": claim(low=63, high=63, lifecycle="retracted"),
        "mod-89": claim(status="false"),
        "mod-new": claim(qualifier="approx", low=400, high=400, claimant="Ukraine"),
    }
    assert lines(SAW, now) == [
        "Retracted: Russian MoD: 63 killed · 🟠 disputed",
        "Russian MoD: 89 killed · 🔴 false (was 🟠 disputed)",
        "New: Ukraine: about 400 killed · 🟠 disputed",
    ]
    assert lines(now, {**now, "mod-89": claim(low=90, high=90, status="false")}) == [
        "Russian MoD: 90 killed (was 89) · 🔴 false"
    ]
    assert lines(SAW, {"mod-63": SAW["mod-63"]}) == ["Removed: Russian MoD: 89 killed"]


def test_claimant_names_and_statements_are_escaped() -> None:
    now = {**SAW, "x": claim(claimant="<b>Evil</b> & co", qualifier=None, summary="<i>hi</i>")}
    assert lines(SAW, now) == [
        "New: &lt;b&gt;Evil&lt;/b&gt; &amp; co: “&lt;i&gt;hi&lt;/i&gt;” · 🟠 disputed"
    ]


names = st.text(min_size=1, max_size=200)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(names, st.lists(names, min_size=1, max_size=30), st.sampled_from(LANGUAGES))
def test_a_notification_of_any_changes_fits_one_message(
    title: str, claimants: list[str], language: Language
) -> None:
    now: State = {
        f"c{n}": claim(
            claimant=name,
            metric=Metric.KILLED_OR_WOUNDED.value,
            qualifier=Qualifier.RANGE.value,
            low=10**14,
            high=10**15,
            lifecycle=Lifecycle.RETRACTED.value if n % 2 else Lifecycle.CURRENT.value,
            status=VerificationStatus.INCONCLUSIVE.value,
        )
        for n, name in enumerate(claimants)
    }
    changes = changes_between({}, now)
    assert len(changes) == len(claimants)
    text = render_notification(translator(language), title * 5, changes, {})
    assert_sendable(text)
    # One line per change shown, and one saying how many more; titles and names may hold
    # line breaks of their own.
    shown = claimants[:MAX_CHANGES_SHOWN]
    breaks = text.count("\n") - 5 * title.count("\n") - sum(n.count("\n") for n in shown)
    assert breaks == len(shown) + (len(claimants) > MAX_CHANGES_SHOWN)
