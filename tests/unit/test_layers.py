"""The dependency rule (docs/architecture.md): each layer imports only from the layers below it,
and no service imports another service.

  1 ground    shared/*.py, shared/publishers/
  2 services  services/<stage>/ pure logic
  3 runtime   shared/runtime/, and each stage's plumbing services/<stage>/{tasks,store}.py
  4 ops       shared/ops/
  5 entry     manage.py
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUMBING = {"tasks", "store"}
NAMES = {1: "ground", 2: "services", 3: "runtime", 4: "ops", 5: "entry"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] == "manage":
        return 5
    if parts[0] == "services":
        return 3 if len(parts) > 2 and parts[2] in PLUMBING else 2
    if parts[0] == "shared":
        if len(parts) > 1 and parts[1] == "ops":
            return 4
        if len(parts) > 1 and parts[1] == "runtime":
            return 3
        return 1
    return None  # third-party or standard library


def service_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "services" and len(parts) > 1 else None


def imports_of(source: str, module: str) -> list[str]:
    """Every module `source` imports, at any depth (function-level imports included)."""
    found: list[str] = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + [base]
                )
            found.append(base.strip("."))
    return found


def violations(module: str, imported: list[str]) -> list[str]:
    own_layer, own_service = layer(module), service_of(module)
    if own_layer is None:
        return []
    out = []
    for target in imported:
        target_layer = layer(target)
        if target_layer is None:
            continue
        if target_layer > own_layer:
            out.append(
                f"{module} ({NAMES[own_layer]}) imports {target} ({NAMES[target_layer]}): upward"
            )
        other = service_of(target)
        if own_service and other and other != own_service:
            out.append(f"{module} imports {target}: one service never imports another")
        if own_layer == 3 and other and own_service is None and target_layer == 3:
            out.append(f"{module} imports the stage plumbing {target}: tasks are found by name")
    return out


def project_modules() -> list[Path]:
    files = [ROOT / "manage.py"]
    for top in ("shared", "services"):
        files += sorted((ROOT / top).rglob("*.py"))
    return [f for f in files if "data" not in f.relative_to(ROOT).parts[:-1]]


def test_no_module_imports_a_higher_layer_or_another_service() -> None:
    problems = []
    for path in project_modules():
        module = module_name(path)
        problems += violations(module, imports_of(path.read_text(encoding="utf-8"), module))
    assert not problems, "\n".join(problems)


def test_the_checker_catches_each_kind_of_forbidden_import() -> None:
    """The rule itself can fail: forbidden imports of each kind are reported."""
    assert violations("shared.models", ["shared.runtime.celery_app"])  # ground -> runtime
    assert violations("services.parser.core", ["services.fetcher.http"])  # service -> service
    assert violations("services.parser.core", ["shared.runtime.handover"])  # service -> runtime
    assert violations("shared.runtime.maintenance", ["shared.ops.status"])  # runtime -> ops
    assert violations("services.parser.tasks", ["services.enricher.store"])
    src = "def f():\n    from shared.ops import status\n"
    assert violations("shared.db", imports_of(src, "shared.db"))  # function-level import too
    assert not violations("shared.ops.status", ["shared.runtime.queues", "shared.models"])
    assert not violations("services.parser.tasks", ["shared.runtime.batch", "services.parser"])
