"""Infrastructure outage or bad document? Decided by cause, not by exception family.

An outage (PostgreSQL restarting, Redis unreachable) is retried by Celery with backoff and never
charged to a document. Everything else that goes wrong while a batch is processed or stored is
the fault of one document: it is isolated and fails alone. The database driver reports some
errors of a single row as `OperationalError` (an index entry too large is SQLSTATE 54000), so the
SQLSTATE class decides, not the SQLAlchemy exception class.
"""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# what Celery's autoretry looks at; `is_infrastructure` narrows it by cause
INFRA_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)

# SQLSTATE classes that say "the server or the connection", not "this row": 08 connection,
# 40 transaction rollback (deadlock, serialization), 53 insufficient resources, 55 object
# not in prerequisite state (lock not available), 57 operator intervention (shutdown,
# cancel), 58 system error, XX internal error
_OUTAGE_CLASSES = frozenset({"08", "40", "53", "55", "57", "58", "XX"})


def sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(exc, "sqlstate", None)


def is_infrastructure(exc: BaseException) -> bool:
    """True for an outage worth retrying the whole task for; False for a document's fault."""
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        state = sqlstate(exc)
        if state is None:
            # no answer from the server at all: a lost connection, not a row
            return isinstance(exc, OperationalError | InterfaceError)
        return state[:2] in _OUTAGE_CLASSES
    return False
