"""The shared batch loop on the real PostgreSQL: a document's fault fails that document alone,
and outages are told apart from bad rows by cause (SQLSTATE), not by exception class."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from shared.db import session_scope
from shared.models import Document
from shared.runtime.batch import process_each, process_together, store_isolated
from shared.runtime.failures import is_infrastructure, sqlstate


def _insert_documents(db, urls) -> list[int]:
    rows = [{"url": u, "domain": "example.org", "origin": "url"} for u in urls]
    return list(db.execute(insert(Document).returning(Document.id), rows).scalars())


def _index_row_too_large(db) -> DBAPIError:
    # a btree entry is limited to about 2.7 kB: a long random URL cannot be indexed
    import secrets

    huge = "https://example.org/" + secrets.token_hex(6000)
    try:
        with db.begin_nested():
            _insert_documents(db, [huge])
    except DBAPIError as exc:
        return exc
    raise AssertionError("PostgreSQL took a 12 kB btree entry")


def test_a_row_the_index_cannot_hold_is_the_documents_fault_not_an_outage(clean_db):
    with session_scope() as db:
        exc = _index_row_too_large(db)
    # the driver calls it an OperationalError, yet it is one row's fault
    assert isinstance(exc, OperationalError) and sqlstate(exc) == "54000"
    assert not is_infrastructure(exc)


def test_a_server_that_does_not_answer_is_an_outage(clean_db):
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    with pytest.raises(OperationalError) as info:
        engine.connect()
    assert is_infrastructure(info.value)


def test_a_duplicate_key_is_the_documents_fault(clean_db):
    with session_scope() as db:
        _insert_documents(db, ["https://example.org/a"])
        with pytest.raises(DBAPIError) as info, db.begin_nested():
            _insert_documents(db, ["https://example.org/a"])
    assert sqlstate(info.value) == "23505" and not is_infrastructure(info.value)


def test_a_store_that_raises_for_one_document_stores_the_others(clean_db):
    import secrets

    urls = [
        "https://example.org/1",
        "https://example.org/" + secrets.token_hex(6000),
        "https://example.org/3",
    ]
    with session_scope() as db:
        stored, failed = store_isolated(db, "test", urls, len, _insert_documents)
    assert [u for u, _ in failed] == [urls[1]]
    assert sqlstate(failed[0][1]) == "54000"
    assert len(stored) == 2  # the two healthy ones, each in its own savepoint
    with session_scope() as db:
        kept = set(db.scalars(select(Document.url)))
    assert kept == {urls[0], urls[2]}


def test_an_outage_in_the_store_propagates_for_celery_to_retry(clean_db):
    def store(db, items):
        db.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    with pytest.raises(DBAPIError) as info, session_scope() as db:
        store_isolated(db, "test", [1, 2], int, store)
    assert is_infrastructure(info.value)


def test_one_bad_item_fails_alone_in_per_item_and_whole_batch_work():
    def work(x: int) -> int:
        if x == 2:
            raise ValueError("two is poison")
        return x * 10

    results = process_each("test", [1, 2, 3], int, work)
    assert [r if not isinstance(r, Exception) else "failed" for _, r in results] == [
        10,
        "failed",
        30,
    ]

    def work_many(xs):  # a batch model call that one item breaks
        return [work(x) for x in xs]

    together = process_together("test", [1, 2, 3], int, work_many)
    assert [type(r).__name__ for _, r in together] == ["int", "ValueError", "int"]
