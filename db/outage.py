"""Telling a database that went away from a query it refused, and saying so in one line."""

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


def is_database_outage(error: BaseException | None) -> bool:
    """The database could not be reached, as opposed to a query it refused."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def describe(error: BaseException) -> str:
    """One line for a log or a report: the database's own message, without the SQL."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__
