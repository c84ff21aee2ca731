"""The fault table: one row per scenario, printed at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass

from tests.faults.harness import Audit


@dataclass
class Row:
    fault: str
    documents_in: int
    enriched: int
    failed: int
    lost: int
    duplicates: int
    seconds: float
    notes: str
    # from the fault (the kill, the restart, the server back) until every document was terminal
    after_fault: float | None = None


RESULTS: list[Row] = []


@dataclass
class PoisonRow:
    kind: str
    state: str
    error_class: str
    reason: str
    seconds: float  # from the document's creation to its terminal state


POISON: list[PoisonRow] = []


def record(
    fault: str,
    audit: Audit,
    notes: str,
    seconds: float,
    resent: dict[str, int] | None = None,
    after_fault: float | None = None,
) -> Row:
    row = Row(
        fault=fault,
        documents_in=audit.documents_in,
        enriched=audit.enriched,
        failed=audit.failed,
        lost=len(audit.lost),
        duplicates=len(audit.duplicate_docs) + len(audit.duplicate_articles),
        seconds=seconds,
        after_fault=after_fault,
        notes=notes
        + (f"; sweeper re-sent {sum(resent.values())} {resent}" if resent else "")
        + (f"; {len(audit.infra_failures)} failed on infra errors" if audit.infra_failures else "")
        + (f"; {len(audit.unexpected)} unexpected outcomes" if audit.unexpected else ""),
    )
    RESULTS.append(row)
    return row


def table(rows: list[Row]) -> str:
    head = ("fault", "documents in", "enriched", "failed", "lost", "duplicates", "time",
            "minutes until every document is terminal after the fault", "notes")  # fmt: skip
    body = [
        (r.fault, str(r.documents_in), str(r.enriched), str(r.failed), str(r.lost),
         str(r.duplicates), f"{r.seconds:.0f}s",
         "-" if r.after_fault is None else f"{r.after_fault / 60:.1f}", r.notes)
        for r in rows
    ]  # fmt: skip
    return _render(head, body)


def poison_table(rows: list[PoisonRow]) -> str:
    head = ("page kind", "final state", "error class", "reason", "seconds to terminal")
    body = [
        (r.kind, r.state, r.error_class or "-", r.reason or "-", f"{r.seconds:.1f}") for r in rows
    ]
    return _render(head, body)


def _render(head: tuple[str, ...], body: list[tuple[str, ...]]) -> str:
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("-|-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    return "\n".join(lines)
