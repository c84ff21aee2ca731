"""Structured JSON logs for workers: one object per line, carrying the task and document id."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from celery.signals import setup_logging, task_postrun, task_prerun

_task: ContextVar[tuple[str, str, object] | None] = ContextVar("newsflow_task", default=None)
_item: ContextVar[int | None] = ContextVar("newsflow_item", default=None)


@contextmanager
def task_context(name: str, task_id: str, ids: object) -> Iterator[None]:
    """Log lines inside carry this task (set by Celery's signals in a worker)."""
    token = _task.set((name, task_id, ids))
    try:
        yield
    finally:
        _task.reset(token)


@contextmanager
def item_context(item_id: int) -> Iterator[None]:
    """Log lines inside carry this id (document, or article for enrich) of the task's batch."""
    token = _item.set(item_id)
    try:
        yield
    finally:
        _item.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = _task.get()
        if current is not None:
            out["task"], out["task_id"], subject = current
            # stage tasks take a batch of ids: document ids, except enrich (article ids);
            # discovery tasks take a URL
            key = {"newsflow.enrich": "article_id"}.get(out["task"], "document_id")
            if isinstance(subject, str):
                out["url"] = subject
            elif isinstance(subject, list):
                out[key + "s"] = subject
            elif subject is not None:
                out[key] = subject
            item = _item.get()
            if item is not None:
                out[key] = item
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(level: int | str = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


@setup_logging.connect
def _on_setup_logging(loglevel=None, **_: object) -> None:
    configure(loglevel or logging.INFO)


@task_prerun.connect
def _on_task_start(task_id=None, task=None, args=None, **_: object) -> None:
    _task.set((task.name, task_id, args[0] if args else None))


@task_postrun.connect
def _on_task_end(**_: object) -> None:
    _task.set(None)
