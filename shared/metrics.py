"""Opt-in stage CPU accounting for benchmarks (NEWSFLOW_METRICS=1).

Tasks wrap their pure stage logic in `stage_cpu("parse")`; the CPU time spent inside (thread
time, so waiting on I/O does not count) is summed in the process and flushed to a Redis hash by
a background thread at most every FLUSH_SECONDS (a Redis round trip per call would itself show
up as overhead). bench/e2e.py compares it with the worker processes' total CPU to find the share
spent outside stage logic (Celery, Redis, SQL).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from celery.signals import task_postrun, task_prerun, worker_process_shutdown, worker_shutdown

KEY = "newsflow:metrics:stage_cpu"
FLUSH_SECONDS = 0.2

_lock = threading.Lock()
_pending: dict[str, float] = {}
_flusher: threading.Thread | None = None


def enabled() -> bool:
    return os.environ.get("NEWSFLOW_METRICS", "") in {"1", "true", "yes"}


@contextmanager
def stage_cpu(stage: str, *, count: bool = True) -> Iterator[None]:
    """Count the CPU spent inside as `stage` logic (`count`: as one more call)."""
    if not enabled():
        yield
        return
    start = time.thread_time()
    try:
        yield
    finally:
        _add(stage, time.thread_time() - start, calls=int(count))


# Tasks of a thread-pool worker (fetch) overlap: process CPU is counted from the moment one
# task is running until none is, once, so overlapping tasks do not count the same CPU twice.
_tasks_running = 0
_busy_since = 0.0


def task_started() -> None:
    """Celery task_prerun: start the clock of the task bodies (stage logic + SQL + Redis)."""
    global _tasks_running, _busy_since
    if enabled():
        with _lock:
            if _tasks_running == 0:
                _busy_since = time.process_time()
            _tasks_running += 1


def task_finished(task_name: str) -> None:
    global _tasks_running
    if not enabled():
        return
    with _lock:
        if _tasks_running == 0:  # started before metrics were on
            return
        _tasks_running -= 1
        spent = time.process_time() - _busy_since if _tasks_running == 0 else 0.0
    stage = task_name.removeprefix("newsflow.")
    # the busy stretch is counted when it ends; each task counts as one
    _add(stage, spent, kind="task_cpu", counter="tasks")


def _add(
    stage: str, spent: float, *, kind: str = "cpu", counter: str = "calls", calls: int = 1
) -> None:
    global _flusher
    with _lock:
        _pending[f"{stage}:{kind}"] = _pending.get(f"{stage}:{kind}", 0.0) + spent
        _pending[f"{stage}:{counter}"] = _pending.get(f"{stage}:{counter}", 0) + calls
        if _flusher is None or not _flusher.is_alive():
            _flusher = threading.Thread(target=_flush_loop, name="stage-cpu-flush", daemon=True)
            _flusher.start()


def _flush_loop() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        flush()


def flush() -> None:
    """Add what was counted since the last flush to the Redis hash."""
    with _lock:
        pending = dict(_pending)
        _pending.clear()
    if not pending:
        return
    from shared.redis_client import get_redis

    try:
        pipe = get_redis().pipeline()
        for key, value in pending.items():
            if key.endswith((":calls", ":tasks")):
                pipe.hincrby(KEY, key, int(value))
            else:
                pipe.hincrbyfloat(KEY, key, value)
        pipe.execute()
    except Exception:  # Redis away: keep the counts for the next flush
        with _lock:
            for key, value in pending.items():
                _pending[key] = _pending.get(key, 0) + value


# --------------------------------------------------------------------------- worker profiles
# NEWSFLOW_PROFILE_DIR=/some/dir: the worker runs under cProfile with a CPU clock (waiting on
# the network or the database does not count) and writes <dir>/<pid>.pstats when it stops.
# Used by `bench/e2e.py --cprofile` to show where each worker's CPU goes, function by function.
_profiler = None


def start_profile() -> None:
    global _profiler
    if _profiler is not None or not os.environ.get("NEWSFLOW_PROFILE_DIR"):
        return
    import cProfile

    _profiler = cProfile.Profile(time.process_time)
    _profiler.enable()


def stop_profile() -> None:
    if _profiler is None:
        return
    _profiler.disable()
    out = os.path.join(os.environ["NEWSFLOW_PROFILE_DIR"], f"{os.getpid()}.pstats")
    _profiler.dump_stats(out)


# --------------------------------------------------------------------------- worker hooks
@task_prerun.connect
def _on_task_start(**_: object) -> None:
    task_started()


@task_postrun.connect
def _on_task_end(task=None, **_: object) -> None:
    task_finished(task.name)


@worker_shutdown.connect
@worker_process_shutdown.connect
def _on_stop(**_: object) -> None:
    flush()
    stop_profile()
