"""Alembic owns the schema: models and migrations agree, and the migrations round-trip."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import create_engine, inspect

from tests.conftest import ROOT


def _alembic(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ,
    )


def test_models_and_migrations_agree_and_round_trip(database):
    check = _alembic("check")
    assert check.returncode == 0, check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr

    down = _alembic("downgrade", "base")
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

    up = _alembic("upgrade", "head")
    assert up.returncode == 0, up.stderr
    assert _alembic("check").returncode == 0
    engine = create_engine(database)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"documents", "articles", "entities", "article_entities", "feeds"} <= tables
        assert {"publishers", "cited_sources", "article_cited_sources"} <= tables
    finally:
        engine.dispose()
