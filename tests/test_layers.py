"""The layering rules of docs/design: data flows down, never back up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                found.add(".".join(base + ([node.module] if node.module else [])))
            else:
                found.add(node.module or "")
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize(
    "folder, forbidden",
    [
        ("service", ("plugins",)),  # the service reaches plugins only through pluggy
        ("service/usecases", ("strawberry", "graphql", "starlette", "service.schema")),
        ("service/domain", ("strawberry", "graphql", "starlette", "service.schema", "service.usecases", "plugins")),
        ("plugins", ("service.schema", "service.usecases", "strawberry", "starlette")),
    ],
)
def test_layers_import_only_downwards(folder, forbidden):
    offenders = []
    for path in modules(folder):
        for name in imports_of(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_every_message_key_the_code_raises_is_translated():
    import re

    from service.i18n import CATALOGUE
    from service.schema.errors import _TYPE_NAMES

    used = set()
    for path in modules("service/domain") + modules("service/usecases"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in {"add", "Problem", "UserError"}:
                    for arg in node.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and re.fullmatch(r"[a-z]+(_[a-z]+)+", arg.value):
                            used.add(arg.value)
    used |= {f"{kind}_not_found" for kind in _TYPE_NAMES}
    used |= {"already_created", "already_discarded", "already_associated", "unknown_customer", "field_too_long", "too_many_items"}
    assert len(used) > 10
    assert used - set(CATALOGUE) == set()
