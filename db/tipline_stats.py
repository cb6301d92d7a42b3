"""The moderators' figures for a period: questions and their outcomes, feedback per event,
the most asked events and unanswered questions, tips received."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AnswerFeedback, AskedQuestion, Event, TiplineAsker, TiplineItem
from db.tipline import ANSWERED, DOWN, QUESTION, TIP, UP

TOP = 5


@dataclass(frozen=True)
class EventFeedback:
    title: str
    up: int
    down: int


@dataclass(frozen=True)
class Figures:
    questions: int
    outcomes: dict[str, int]  # answer, ambiguous, no_match
    feedback: list[EventFeedback]
    top_events: list[tuple[str, int]]  # (title, questions)
    top_unanswered: list[tuple[str, int]]  # (question, askers)
    tips: int


def figures(session: Session, since: dt.datetime) -> Figures:
    outcomes: dict[str, int] = {}
    for outcome, count in session.execute(
        select(AskedQuestion.outcome, func.count(AskedQuestion.id))
        .where(AskedQuestion.asked_at >= since)
        .group_by(AskedQuestion.outcome)
    ):
        outcomes[outcome] = count
    votes: dict[str, dict[str, int]] = {}
    for title, vote, count in session.execute(
        select(Event.title, AnswerFeedback.vote, func.count(AnswerFeedback.id))
        .join(Event, Event.id == AnswerFeedback.event_id)
        .where(AnswerFeedback.at >= since)
        .group_by(Event.title, AnswerFeedback.vote)
    ):
        votes.setdefault(title, {})[vote] = count
    feedback = sorted(
        (EventFeedback(title, v.get(UP, 0), v.get(DOWN, 0)) for title, v in votes.items()),
        key=lambda f: (-(f.up + f.down), f.title),
    )
    asked = func.count(AskedQuestion.id)
    top_events = session.execute(
        select(Event.title, asked)
        .join(Event, Event.id == AskedQuestion.event_id)
        .where(AskedQuestion.asked_at >= since)
        .group_by(Event.title)
        .order_by(asked.desc(), Event.title)
        .limit(TOP)
    ).all()
    top_unanswered = session.execute(
        select(TiplineItem.text, TiplineItem.askers)
        .where(
            TiplineItem.kind == QUESTION,
            TiplineItem.status != ANSWERED,
            TiplineItem.created_at >= since,
        )
        .order_by(TiplineItem.askers.desc(), TiplineItem.id)
        .limit(TOP)
    ).all()
    tips = session.scalar(
        select(func.count(TiplineAsker.id))
        .join(TiplineItem, TiplineItem.id == TiplineAsker.item_id)
        .where(TiplineItem.kind == TIP, TiplineAsker.asked_at >= since)
    )
    return Figures(
        questions=sum(outcomes.values()),
        outcomes=outcomes,
        feedback=feedback[: TOP * 2],
        top_events=[(title, count) for title, count in top_events],
        top_unanswered=[(text, count) for text, count in top_unanswered],
        tips=tips or 0,
    )
