"""The WARC intake alone, quickly: `manage.py import FILE` on a throwaway database, no worker.

A short companion of bench/warc.py for working on the import itself (issue 15): it builds the
same archive (bench/warc_build.py) or takes one, then runs `manage.py import` in a child
process on a fresh database `newsflow_intake_<random>` (dropped afterwards) and Redis DB 15
(held by a lock key as the tests hold theirs, flushed before and after; messages wait there,
no worker takes them), `--runs` times, and prints, per run: records per CPU-second of the import process (without the interpreter's
start, measured on an archive of one record), records per wall second, and the stored bytes
per kept record (`octet_length(raw_body)`, what PostgreSQL holds before TOAST).

    .venv/bin/python bench/warc_intake.py [--warc FILE] [--runs 3] [--profile OUT.prof]

`--profile`: one more run in this process under cProfile, written to OUT.prof (read it with
`python -m pstats OUT.prof`), and its top functions printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workers import run_manage  # noqa: E402
from shared.ops import warc  # noqa: E402


class Db:
    def __init__(self, redis_db: int) -> None:
        import redis
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        base = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/x")
        base_redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        name = f"newsflow_intake_{uuid.uuid4().hex[:8]}"
        self.url = make_url(base).set(database=name).render_as_string(False)
        self.redis_url = base_redis.rsplit("/", 1)[0] + f"/{redis_db}"
        self.env = {**os.environ, "DATABASE_URL": self.url, "REDIS_URL": self.redis_url}
        # the tests' convention (tests/support): a DB number is held by a lock key in DB 0
        self.locks = redis.Redis.from_url(base_redis.rsplit("/", 1)[0] + "/0")
        self.lock = f"newsflow:test-db:{redis_db}"
        if not self.locks.set(self.lock, os.getpid(), nx=True, ex=3600):
            raise SystemExit(f"Redis DB {redis_db} is held by another run: --redis-db N")
        self.rds = redis.Redis.from_url(self.redis_url)
        self.rds.flushdb()
        self.manage("migrate")
        self.engine = create_engine(self.url, poolclass=NullPool)

    def manage(self, *args: str, tree: Path = ROOT) -> tuple[str, float, float]:
        return run_manage(self.env, *args, tree=tree)

    def reset(self) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE documents RESTART IDENTITY CASCADE")
        self.rds.flushdb()

    def stored(self) -> tuple[int, int, int]:
        """(documents, sum of stored raw_body bytes, sum of decoded bytes)."""
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT count(*), coalesce(sum(octet_length(raw_body)), 0), "
                "coalesce(sum(raw_size), 0) FROM documents"
            ).one()
        return int(row[0]), int(row[1]), int(row[2])

    def close(self) -> None:
        from shared.db import drop_database

        self.engine.dispose()
        drop_database(self.url)
        self.rds.flushdb()
        self.locks.delete(self.lock)


def profile(db: Db, path: Path, out: str) -> None:
    import cProfile
    import pstats

    os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = db.url, db.redis_url
    from shared.ops.warc_import import import_warc

    db.reset()
    prof = cProfile.Profile(time.process_time)  # CPU, not the waits on PostgreSQL
    prof.enable()
    report = import_warc([str(path)], progress=False)
    prof.disable()
    prof.dump_stats(out)
    print(report.line())
    pstats.Stats(out).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warc", type=Path, help="an archive (default: build the bench's)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--redis-db", type=int, default=15)
    ap.add_argument("--profile", metavar="OUT.prof")
    ap.add_argument("--registered", action="store_true", help="import with --registered")
    ap.add_argument("--tree", type=Path, action="append", help="run manage.py of this checkout "
                    "(repeatable: the runs alternate between them, for a before/after on the same "
                    "machine load; default: this one)")  # fmt: skip
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="newsflow-warc-intake-"))
    db = None
    try:
        path = args.warc
        if path is None:
            from bench.datasets import shared_root
            from bench.warc_build import build, load_pages

            path = tmp / "bench.warc.gz"
            build(load_pages(shared_root()), path)
        records = sum(1 for _ in warc.read_records(open(path, "rb"), wants=lambda r: False))
        empty = tmp / "empty.warc.gz"
        empty.write_bytes(warc.gzip_member(warc.warcinfo_record({"software": "bench"})))
        db = Db(args.redis_db)
        start = min(db.manage("import", str(empty))[1] for _ in range(2))
        print(f"archive {path}: {records} records, {path.stat().st_size / 1e6:.0f} MB; "
              f"interpreter start {start:.2f} s CPU", flush=True)  # fmt: skip
        print("tree | run | records/CPU-s | records/s wall | CPU s | wall s | kept | "
              "stored B/kept | decoded B/kept | ratio", flush=True)  # fmt: skip
        trees = args.tree or [ROOT]
        extra = ["--registered"] if args.registered else []
        results: dict[Path, list[tuple[float, float]]] = {t: [] for t in trees}
        for i in range(args.runs):
            for tree in trees:  # alternating: the same machine load for each
                db.reset()
                line, cpu, wall = db.manage("import", *extra, str(path), tree=tree)
                docs, stored, decoded = db.stored()
                results[tree].append((cpu - start, wall))
                print(f"{tree} | {i + 1} | {records / (cpu - start):,.0f} | "
                      f"{records / wall:,.0f} | {cpu - start:.2f} | {wall:.2f} | {docs} | "
                      f"{stored / max(1, docs):,.0f} | {decoded / max(1, docs):,.0f} | "
                      f"{decoded / max(1, stored):.2f}x", flush=True)  # fmt: skip
        print(line.strip().splitlines()[-1])
        print("median of the runs:")
        for tree, res in results.items():
            cpu = sorted(c for c, _ in res)[len(res) // 2]
            wall = sorted(w for _, w in res)[len(res) // 2]
            print(
                f"  {tree}: {records / cpu:,.0f} records/CPU-s, {records / wall:,.0f} records/s wall"
            )
        if args.profile:
            profile(db, path, args.profile)
    finally:
        if db is not None:
            db.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
