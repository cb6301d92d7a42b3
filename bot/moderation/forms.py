"""Guided forms: a command sent without arguments asks for its fields one at a time.

A form only collects the raw values a one-line command would carry; the same
`ModerationService.execute` then previews and runs them. Edit commands ask which
field to change instead of walking through every field.
"""

from dataclasses import dataclass
from typing import Any

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


class Form:
    def __init__(self, spec: CommandSpec[Any]) -> None:
        self.spec = spec
        self.values: dict[str, str] = {}
        if spec.edits:
            self._queue = [spec.positional[0], CHOOSE_FIELD]
        else:
            self._queue = [f.key for f in spec.fields if f.in_form]

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
        while self._queue:
            key = self._queue[0]
            if key == CHOOSE_FIELD:
                return Question(key, "Which field do you want to change?", self._editable(), None)
            field = self._field(key)
            if field.needs and not self.values.get(field.needs):
                self._queue.pop(0)
                continue
            choices = tuple(m.value for m in field.choices) if field.choices else ()
            skip = None if field.required else ("Clear" if self.spec.edits else "Skip")
            return Question(key, field.prompt, choices, skip)
        return None

    def needs_lookup(self) -> Kind | None:
        """The reference kind the current answer must be looked up as, if any."""
        if not self._queue or self._queue[0] == CHOOSE_FIELD:
            return None
        kind = self._field(self._queue[0]).kind
        return kind if kind in REFERENCE_KINDS else None

    def answer(self, raw: str | None) -> None:
        """Take the answer to the current question (None: skipped); checks it first."""
        key = self._queue[0]
        if key == CHOOSE_FIELD:
            if raw not in self._editable():
                raise ModerationError(
                    f"choose one of the fields: {', '.join(self._editable())}.", key=key
                )
            self._queue = [raw]
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
        self._queue.pop(0)

    def ask_again(self, key: str) -> bool:
        """Go back to a field the preview found wrong; False if the form cannot ask for it."""
        field = self.spec.by_key.get(key)
        if field is None or not field.in_form:
            return False
        self.values.pop(key, None)
        self._queue.insert(0, key)
        return True
