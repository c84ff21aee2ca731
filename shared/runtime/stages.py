"""The pipeline, declared once: which stage follows which, on which queue, under which task.

Routes, hand-over, the sweeper, `status`, retry/reparse/reenrich and the local stack all read
this table; no other module names a stage's successor. Adding a stage is one row here and one
`tasks.py` module that registers the row's task name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.models import DocState


@dataclass(frozen=True)
class Stage:
    name: str
    queue: str
    task: str  # the Celery task name; its body lives in `module`
    module: str
    # documents in these states wait for (or are inside) this stage
    input_states: tuple[DocState, ...]
    # the state whose message sits in `queue` (the others are in progress inside a task)
    waiting_state: DocState
    next: str | None  # the stage that takes over this stage's output, None at the end
    ids: Literal["document", "article"]  # what the task's ids name


STAGES: tuple[Stage, ...] = (
    Stage(
        name="fetch",
        queue="fetch",
        task="newsflow.fetch",
        module="services.fetcher.tasks",
        input_states=(DocState.queued, DocState.retrying, DocState.fetching),
        waiting_state=DocState.queued,
        next="parse",
        ids="document",
    ),
    Stage(
        name="parse",
        queue="parse",
        task="newsflow.parse",
        module="services.parser.tasks",
        input_states=(DocState.fetched,),
        waiting_state=DocState.fetched,
        next="enrich",
        ids="document",
    ),
    Stage(
        name="enrich",
        queue="enrich",
        task="newsflow.enrich",
        module="services.enricher.tasks",
        input_states=(DocState.parsed,),
        waiting_state=DocState.parsed,
        next=None,
        ids="article",
    ),
)

# Tasks outside the document flow: discovery runs on the fetch workers (it downloads), the
# beat tasks on a queue of their own.
MAINTENANCE_QUEUE = "maintenance"
MAINTENANCE_MODULE = "shared.runtime.maintenance"
FEED_TASK = "newsflow.fetch_feed"
SITEMAP_TASK = "newsflow.fetch_sitemap"
SWEEP_TASK = "newsflow.sweep"
POLL_FEEDS_TASK = "newsflow.poll_feeds"
AUXILIARY_TASKS: dict[str, str] = {
    FEED_TASK: "fetch",
    SITEMAP_TASK: "fetch",
    SWEEP_TASK: MAINTENANCE_QUEUE,
    POLL_FEEDS_TASK: MAINTENANCE_QUEUE,
}

# States no stage takes documents out of.
TERMINAL_STATES: tuple[DocState, ...] = (
    DocState.enriched,
    DocState.failed,
    DocState.rejected,
    DocState.duplicate,
)

_BY_NAME = {s.name: s for s in STAGES}


def stage(name: str) -> Stage:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no stage {name!r}; stages: {', '.join(_BY_NAME)}") from None


def stage_for_task(task_name: str) -> Stage:
    """The stage whose task is `task_name`."""
    for s in STAGES:
        if s.task == task_name:
            return s
    raise KeyError(f"{task_name!r} is not a stage task")


def stage_for_state(state: DocState) -> Stage | None:
    """The stage that moves a document on from `state` (None for a terminal state)."""
    return next((s for s in STAGES if state in s.input_states), None)


def queues() -> tuple[str, ...]:
    """Every queue a worker may consume, stage queues first, in pipeline order."""
    names = [s.queue for s in STAGES] + list(AUXILIARY_TASKS.values())
    return tuple(dict.fromkeys(names))


def routes() -> dict[str, dict[str, str]]:
    """Celery `task_routes`: every task name to its queue."""
    table = {s.task: {"queue": s.queue} for s in STAGES}
    table.update({task: {"queue": q} for task, q in AUXILIARY_TASKS.items()})
    return table


def task_modules() -> list[str]:
    """The modules a worker imports so that every task in the table is registered."""
    return list(dict.fromkeys([s.module for s in STAGES] + [MAINTENANCE_MODULE]))
