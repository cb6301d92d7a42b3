"""Every moderator command by name, in the order the command menu lists them."""

from typing import Any

from bot.moderation.actions import claims, events, sources, verdicts
from bot.moderation.service_commands import SERVICE_COMMANDS
from bot.moderation.spec import CommandSpec
from bot.moderation.work import DataCommand

DATA_COMMANDS: dict[str, DataCommand[Any]] = {
    command.spec.name: command
    for command in (
        events.addevent,
        events.editevent,
        events.alias,
        events.unalias,
        events.link,
        events.unlink,
        sources.addsource,
        sources.editsource,
        claims.addclaim,
        claims.editclaim,
        claims.report,
        verdicts.supersede,
        verdicts.retract,
        verdicts.status,
        verdicts.delete,
        verdicts.restore,
    )
}
COMMANDS: dict[str, CommandSpec[Any]] = {
    **{name: command.spec for name, command in DATA_COMMANDS.items()},
    **{spec.name: spec for spec in SERVICE_COMMANDS},
}
