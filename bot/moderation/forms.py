"""Guided forms: a command sent without arguments asks for its fields one at a time.

A form only collects the raw values a one-line command would carry; the same
`ModerationService.execute` then previews and runs them. Edit commands ask which
field to change instead of walking through every field. A form is plain data (`state`),
so it can wait in the database between answers (`bot/moderation/form_store.py`), and it
keeps the steps before, so the moderator can go back one.
"""

from dataclasses import dataclass
from typing import Any

from bot.moderation.arguments import check_text
from bot.moderation.errors import ModerationError
from bot.moderation.spec import REFERENCE_KINDS, CommandSpec, Field, Kind

CHOOSE_FIELD = "_field"


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str
    choices: tuple[str, ...]
    # None: the field must be answered; else the label of the button that leaves it out.
    skip: str | None
    can_go_back: bool = False


class Form:
    def __init__(self, spec: CommandSpec[Any], state: dict[str, Any] | None = None) -> None:
        self.spec = spec
        if state is not None:
            self.values: dict[str, str] = dict(state["values"])
            self._queue: list[str] = list(state["queue"])
            self._past: list[dict[str, Any]] = list(state["past"])
            self.step: int = int(state.get("step", 0))
        else:
            # Counts the answers taken (and steps back): a button carries the step it was
            # asked at, so a press replayed or made on an earlier question cannot answer this one.
            self.step = 0
            self.values = {}
            if spec.edits:
                self._queue = [spec.positional[0], CHOOSE_FIELD]
            else:
                self._queue = [f.key for f in spec.fields if f.in_form]
            self._past = []

    def state(self) -> dict[str, Any]:
        """The form as JSON-ready data; `Form(spec, state)` carries on from it."""
        return {
            "values": dict(self.values),
            "queue": list(self._queue),
            "past": list(self._past),
            "step": self.step,
        }

    @property
    def target(self) -> str | None:
        """The field naming the record the command changes, whose version a form pins."""
        return self.spec.positional[0] if self.spec.positional else None

    def _field(self, key: str) -> Field:
        return self.spec.by_key[key]

    def _editable(self) -> tuple[str, ...]:
        return tuple(
            f.key for f in self.spec.fields if f.in_form and f.key != self.spec.positional[0]
        )

    def question(self) -> Question | None:
        """The next thing to ask, or None when the form is complete."""
        back = bool(self._past)
        while self._queue:
            key = self._queue[0]
            if key == CHOOSE_FIELD:
                prompt = "Which field do you want to change?"
                return Question(key, prompt, self._editable(), None, back)
            field = self._field(key)
            if field.waived(self.values):
                self._queue.pop(0)
                continue
            choices = tuple(m.value for m in field.choices) if field.choices else ()
            skip = None if field.required else ("Clear" if self.spec.edits else "Skip")
            return Question(key, field.prompt, choices, skip, back)
        return None

    def needs_lookup(self) -> Kind | None:
        """The reference kind the current answer must be looked up as, if any."""
        if not self._queue or self._queue[0] == CHOOSE_FIELD:
            return None
        kind = self._field(self._queue[0]).kind
        return kind if kind in REFERENCE_KINDS else None

    def answer(self, raw: str | None, version: str | None = None) -> None:
        """Take the answer to the current question (None: skipped); checks it first.

        `version` pins the version of the record the answer named, for an edit.
        """
        key = self._queue[0]
        if raw is not None:
            check_text(raw)
        before = self.state()
        before.pop("past")
        before.pop("step")
        if key == CHOOSE_FIELD:
            if raw not in self._editable():
                raise ModerationError(
                    f"choose one of the fields: {', '.join(self._editable())}.", key=key
                )
            self._queue = [raw]
            self._past.append(before)
            self.step += 1
            return
        field = self._field(key)
        if raw is None or not raw.strip():
            if field.required:
                raise ModerationError(f"{key} is needed.", key=key)
            # In an edit an empty value clears the field; in a new record it is left out.
            if self.spec.edits:
                self.values[key] = ""
        else:
            field.parse(raw)
            self.values[key] = raw.strip()
        if version is not None:
            self.values["version"] = version
        self._queue.pop(0)
        self._past.append(before)
        self.step += 1

    def back(self) -> bool:
        """Undo the last answer, asking its question again; False at the first question."""
        if not self._past:
            return False
        last = self._past.pop()
        self.values, self._queue = dict(last["values"]), list(last["queue"])
        self.step += 1
        return True

    def ask_again(self, key: str) -> bool:
        """Go back to a field the preview found wrong; False if the form cannot ask for it."""
        field = self.spec.by_key.get(key)
        if field is None or not field.in_form:
            return False
        self.values.pop(key, None)
        self._queue.insert(0, key)
        self.step += 1
        return True
