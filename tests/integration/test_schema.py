"""Alembic owns the schema: models and migrations agree, and the migrations round-trip.

The round trip runs on a database of its own: dropping and re-creating the tables under the
session's database would leave every pooled connection (this process's and the workers') with
prepared statements for tables that no longer exist ("cached plan must not change result
type")."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from tests.conftest import ROOT


def _alembic(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url},
    )


@pytest.fixture()
def scratch_database(database: str) -> Iterator[str]:
    from shared.db import drop_database, ensure_database

    url = make_url(database)
    url = url.set(database=f"{url.database}_schema").render_as_string(hide_password=False)
    ensure_database(url)
    try:
        yield url
    finally:
        drop_database(url)


def test_models_and_migrations_agree_and_round_trip(scratch_database):
    database = scratch_database
    assert _alembic(database, "upgrade", "head").returncode == 0
    check = _alembic(database, "check")
    assert check.returncode == 0, check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr

    down = _alembic(database, "downgrade", "base")
    assert down.returncode == 0, down.stderr
    engine = create_engine(database)
    try:
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        with engine.connect() as conn:
            types = conn.exec_driver_sql("SELECT typname FROM pg_type WHERE typname='doc_state'")
            assert types.first() is None  # the enum type goes too
    finally:
        engine.dispose()

    up = _alembic(database, "upgrade", "head")
    assert up.returncode == 0, up.stderr
    assert _alembic(database, "check").returncode == 0
    engine = create_engine(database)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"documents", "articles", "entities", "article_entities", "feeds"} <= tables
        assert {"publishers", "cited_sources", "article_cited_sources"} <= tables
        with engine.connect() as conn:  # compressed raw bodies are not compressed again (0006)
            storage = conn.exec_driver_sql(
                "SELECT attstorage FROM pg_attribute "
                "WHERE attrelid = 'documents'::regclass AND attname = 'raw_body'"
            ).scalar()
        assert storage == "e"
    finally:
        engine.dispose()
