"""Fault suite hooks: the `faults` marker and the summary table at the end of the run."""

from __future__ import annotations

import pytest

from tests.faults.report import POISON, RESULTS, poison_table, table


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: fault-injection scenarios on real workers")


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter,
    exitstatus: int,  # noqa: ARG001
    config: pytest.Config,  # noqa: ARG001
) -> None:
    if RESULTS:
        terminalreporter.section("newsflow fault injection")
        terminalreporter.write_line(table(RESULTS))
    if POISON:
        terminalreporter.section("newsflow poison pages")
        terminalreporter.write_line(poison_table(POISON))
