"""A failed fetch attempt counts from the stored count (real PostgreSQL), whatever the claimed
row said: a page cannot be retried forever."""

from __future__ import annotations

from sqlalchemy import insert, select

from services.fetcher.errors import ServerError
from services.fetcher.store import pages, settle_failure
from shared.db import session_scope
from shared.models import DocState, Document


def _doc(url: str, state: DocState, attempts: int) -> int:
    with session_scope() as db:
        return db.execute(
            insert(Document)
            .values(url=url, domain="example.com", state=state, attempts=attempts)
            .returning(Document.id)
        ).scalar_one()


def _row(doc_id: int) -> tuple:
    with session_scope() as db:
        return db.execute(
            select(Document.state, Document.attempts, Document.last_error_class).where(
                Document.id == doc_id
            )
        ).one()


def test_attempts_are_counted_in_the_store(clean_db: str) -> None:
    err = ServerError("HTTP 500 for https://example.com/a", url="https://example.com/a")
    fresh = _doc("https://example.com/a", DocState.fetching, 0)
    assert settle_failure(fresh, err, lambda attempt: attempt < 3) == (1, True)
    assert tuple(_row(fresh)) == (DocState.retrying, 1, "ServerError")

    # the third failure fails the page, even if a stale claim thought it was the first
    worn = _doc("https://example.com/b", DocState.fetching, 2)
    seen: list[int] = []
    assert settle_failure(worn, err, lambda attempt: seen.append(attempt) or attempt < 3) == (
        3,
        False,
    )
    assert seen == [3] and tuple(_row(worn)) == (DocState.failed, 3, "ServerError")

    # no longer this fetch's (another worker settled it): nothing is counted or changed
    done = _doc("https://example.com/c", DocState.fetched, 0)
    assert settle_failure(done, err, lambda attempt: True) is None
    assert tuple(_row(done)) == (DocState.fetched, 0, None)


def test_a_claimed_row_with_a_non_text_validator_loses_it() -> None:
    (page,) = pages([(7, "https://example.com/a", 1, None, None)])
    assert page.etag is None and page.last_modified is None and page.attempts == 0
