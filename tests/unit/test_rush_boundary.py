"""The load generator is a client: `boxoffice_rush` reaches the product only through HTTP and the
public CLI (`python -m boxoffice COMMAND`), except its store benchmark, which times the waiting
room's store through that store's public port."""

from __future__ import annotations

import ast
import pkgutil
import re
from pathlib import Path

import pytest

import boxoffice_rush

# Module (the file's stem) -> the product modules it may import, each with the names it may take.
ALLOWED = {
    "queue_depth_store": {
        "boxoffice.waiting_room.store": {"WaitingRoomStore"},
        "boxoffice.waiting_room.store_redis": {"RedisWaitingRoomStore"},
        "boxoffice.waiting_room.domain": {"QueuePolicy", "RoomStats"},
    },
}
# A product module named in code (`-m boxoffice.x`, `import_module("boxoffice.x")`, "pkg:attr").
_PRODUCT_MODULE = re.compile(r"\bboxoffice\.[a-z_]")


def _is_product(module: str) -> bool:
    return module == "boxoffice" or module.startswith("boxoffice.")


def _docstrings(tree: ast.Module) -> set[int]:
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef))]
    found = set()
    for node in nodes:
        body = getattr(node, "body", [])
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            found.add(id(body[0].value))
    return found


def crossings(source: str, stem: str) -> list[str]:
    """Every way this module's code reaches into the product beyond what ALLOWED grants it."""
    tree = ast.parse(source)
    allowed = ALLOWED.get(stem, {})
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if _is_product(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not _is_product(node.module):
                continue
            granted = allowed.get(node.module, set())
            found += [
                f"from {node.module} import {a.name}" for a in node.names if a.name not in granted
            ]
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and _PRODUCT_MODULE.search(node.value)
        ):
            found.append(f"names a product module: {node.value!r}")
    return found


def _modules() -> dict[str, Path]:
    root = Path(boxoffice_rush.__file__).parent
    names = [m.name for m in pkgutil.walk_packages([str(root)]) if not m.ispkg]
    modules = {name: root / f"{name}.py" for name in names}
    modules["__init__"] = root / "__init__.py"
    return modules


def test_the_rush_reaches_the_product_only_through_http_the_cli_and_the_store_port() -> None:
    modules = _modules()
    # The walk saw the whole package, the store benchmark among it.
    assert "queue_depth_store" in modules
    assert len(modules) > 20
    found = {
        name: crossings(path.read_text(encoding="utf-8"), name)
        for name, path in sorted(modules.items())
    }
    assert {name: lines for name, lines in found.items() if lines} == {}


@pytest.mark.parametrize(
    ("source", "stem"),
    [
        ("from boxoffice.bare import BareApp", "references"),
        ("import boxoffice.platform.runtime", "command"),
        ("from boxoffice import cli", "command"),
        ("from boxoffice.waiting_room.store_redis import _lua", "queue_depth_store"),
        ("from boxoffice.platform.rate_limit import Limit", "queue_depth_store"),
        ("from boxoffice.waiting_room.domain import QueuePolicy", "runner"),
        ("import importlib\nimportlib.import_module('boxoffice.bare')", "runner"),
        ("command = ['python', '-m', 'boxoffice.audit']", "audit"),
    ],
)
def test_a_reach_past_the_public_surface_is_found(source: str, stem: str) -> None:
    assert crossings(source, stem)


@pytest.mark.parametrize(
    ("source", "stem"),
    [
        ("from boxoffice_rush.client import HttpClient", "runner"),
        ("command = ['python', '-m', 'boxoffice', 'serve-bare', 'redis']", "bare_servers"),
        ('"""Run by `python -m boxoffice_rush.benchdoc`; see boxoffice.bare."""', "benchdoc"),
        ("from boxoffice.waiting_room.domain import QueuePolicy", "queue_depth_store"),
    ],
)
def test_what_a_client_may_do_is_not_found(source: str, stem: str) -> None:
    assert crossings(source, stem) == []
