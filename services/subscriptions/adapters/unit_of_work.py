"""The subscriptions unit of work on the database: one session, one transaction.

Commit wakes the outbox relay, so the events of a command go out at once rather than at the
relay's next poll. Errors that mean "a concurrent change won" (a unique key taken meanwhile) or
"the server dropped the connection" leave as ``TryAgain``, for the handler to decide whether to
run the command again: which database errors mean that is this module's knowledge, not theirs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from types import TracebackType
from typing import Final, Self

from sqlalchemy import Boolean, bindparam
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.subscriptions.adapters import signup_rows
from services.subscriptions.adapters.consent_ledger import SqlConsentLedger
from services.subscriptions.adapters.privacy_notices import SqlPublishedNotices
from services.subscriptions.adapters.signup_requests import SqlSignupRequests
from services.subscriptions.adapters.subscribers import SqlSubscribers
from services.subscriptions.adapters.subscriptions import SqlSubscriptions
from services.subscriptions.unit_of_work import NewPerson, Stored, TryAgain
from shared.events import Event
from shared.outbox import append_statement, outbox_row, record
from shared.web import rate_limit

_APPEND_IF: Final = append_statement(only_if=bindparam("keep", type_=Boolean))


class SqlRateLimits:
    """The rate-limit counters in the database, inside one session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def allow_all(self, limits: list[rate_limit.Limit], now: datetime) -> bool:
        """Count one request against each limit, in its window; tell whether all hold."""
        return await rate_limit.allow_all(self._session, limits, now)

    async def reached_until(self, limits: list[rate_limit.Limit], now: datetime) -> datetime:
        """Return when a request refused over ``limits`` may come again (the Retry-After)."""
        return await rate_limit.reached_until(self._session, limits, now)


class _Stores:
    """The stores of one session, as attributes of a unit of work."""

    subscribers: SqlSubscribers
    requests: SqlSignupRequests
    subscriptions: SqlSubscriptions
    ledger: SqlConsentLedger
    notices: SqlPublishedNotices
    limits: SqlRateLimits
    _session: AsyncSession

    def _bind(self, session: AsyncSession) -> None:
        self._session = session
        self.subscribers = SqlSubscribers(session)
        self.requests = SqlSignupRequests(session)
        self.subscriptions = SqlSubscriptions(session)
        self.ledger = SqlConsentLedger(session)
        self.notices = SqlPublishedNotices(session)
        self.limits = SqlRateLimits(session)

    async def record(self, *events: Event) -> None:
        """Record events in the outbox, in this transaction."""
        await record(self._session, *events)

    async def record_if(self, keep: bool, event: Event) -> None:
        """Record an event only if ``keep``, by the one statement that runs either way."""
        await self._session.execute(_APPEND_IF, {**outbox_row(event), "keep": keep})


def _spoiled(exc: BaseException | None) -> bool:
    """Tell whether an error means the transaction can succeed if run again."""
    if isinstance(exc, IntegrityError):
        return True
    # The pool does not ping before each checkout; a connection the server dropped (restart,
    # failover) fails once, the pool discards it, and a new attempt gets a live one.
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class SqlUnitOfWork(_Stores):
    """A transaction of its own per ``async with``; one object serves one command at a time."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        on_commit: Callable[[], None] | None = None,
        after_erasure: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._on_commit = on_commit
        self._after_erasure = after_erasure

    @property
    def session(self) -> AsyncSession:
        """Return the open transaction's session, for a record another service keeps of the same
        step (the admin's audit entry of an organisation's erasure), committed with it."""
        return self._session

    async def add_new_person(self, new: NewPerson) -> Stored:
        """Store a sign-up in a transaction of its own, kept only if within every limit (one
        statement on PostgreSQL, whether the address is new or known); see ``UnitOfWork``."""
        try:
            stored = await signup_rows.insert_new(self._sessions, new)
        except Exception as exc:
            if _spoiled(exc):
                raise TryAgain(str(exc)) from exc
            raise
        if stored is Stored.KEPT and self._on_commit is not None:
            self._on_commit()
        return stored

    async def __aenter__(self) -> Self:
        """Begin a transaction on a new session."""
        session = self._sessions()
        await session.begin()
        self._bind(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed and release the connection."""
        await self._session.close()
        if _spoiled(exc):
            raise TryAgain(str(exc)) from exc

    async def commit(self) -> None:
        """Commit, then tell the outbox relay there is something to publish.

        A commit that deleted someone then scrubs the deleted rows from the disk (the
        write-ahead log of SQLite), before the person is told their address is gone.
        """
        await self._session.commit()
        if self._on_commit is not None:
            self._on_commit()
        if self.subscribers.removed and self._after_erasure is not None:
            await self._after_erasure()


class ConsumerUnitOfWork(_Stores):
    """The stores inside an event consumer's transaction, which the bus owns and commits.

    The bus commits the consumer's work together with the row that marks the event handled, so
    ``commit`` here only lets the handler say it is done; errors pass unchanged, because the bus
    tells a redelivered event by its own unique-key error.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._bind(session)

    async def add_new_person(self, new: NewPerson) -> Stored:
        """Refuse: a sign-up is a transaction of its own, and a consumer's is the bus's."""
        raise TypeError("an event consumer does not store sign-ups")

    async def __aenter__(self) -> Self:
        """Join the consumer's transaction."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Leave the transaction to the bus."""

    async def commit(self) -> None:
        """Leave the commit to the bus (see the class)."""
