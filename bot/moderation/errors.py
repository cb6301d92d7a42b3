"""The one exception moderators see: what was wrong, the nearest matches, a correct example."""

from collections.abc import Sequence


class ModerationError(Exception):
    """A mistake in a moderator command; nothing was written.

    `key` names the argument at fault, so a guided form can ask for it again.
    """

    def __init__(
        self,
        problem: str,
        *,
        example: str | None = None,
        suggestions: Sequence[str] = (),
        key: str | None = None,
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.example = example
        self.suggestions = tuple(suggestions)
        self.key = key

    def with_example(self, example: str) -> "ModerationError":
        """The same mistake, with the command's example unless a more specific one is set."""
        if self.example is not None:
            return self
        return ModerationError(
            self.problem, example=example, suggestions=self.suggestions, key=self.key
        )

    def __str__(self) -> str:
        text = self.problem
        if self.suggestions:
            text += " Did you mean: " + ", ".join(self.suggestions) + "?"
        if self.example:
            text += f" Example: {self.example}"
        return text


class NotAllowed(ModerationError):
    """The user may not run this command at all."""


class PendingGone(ModerationError):
    """A confirmation button whose preview was already applied, cancelled or has expired."""
