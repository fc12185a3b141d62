"""The documentation stays true to the code: its GraphQL validates against the schema, every
hook and Storage method is documented, the README's quickstart is the two commands, and
every `serve` flag is described."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import graphql
import pytest

from service.schema import schema
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
PLUGINS_MD = ROOT / "docs" / "plugins.md"

_FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def fenced_blocks(path: Path, language: str) -> list[tuple[str, str]]:
    """(label naming the file, block number and line, text) of every ```language block."""
    text = path.read_text(encoding="utf-8")
    found = []
    for number, match in enumerate((m for m in _FENCE.finditer(text) if m.group(1) == language), start=1):
        line = text.count("\n", 0, match.start()) + 1
        found.append((f"{path.relative_to(ROOT)}: {language} block {number} (line {line})", match.group(2)))
    return found


def sections(markdown: str) -> list[tuple[str, str]]:
    """(heading line, heading plus body up to the next heading) for every heading."""
    lines = markdown.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"#{1,6} ", line)]
    out = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        out.append((lines[start], "\n".join(lines[start:end])))
    return out


def _parsed(relative: str) -> ast.Module:
    return ast.parse((ROOT / relative).read_text(encoding="utf-8"))


def _names_hookspec(decorator: ast.expr) -> bool:
    """`@hookspec` or `@hookspec(firstresult=True)`."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Name) and target.id == "hookspec"


def hookspec_signatures() -> dict[str, str]:
    """Every function marked @hookspec in service/hookspecs.py: name -> `name(args)`."""
    specs = {}
    for node in _parsed("service/hookspecs.py").body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            _names_hookspec(d) for d in node.decorator_list
        ):
            specs[node.name] = f"{node.name}({ast.unparse(node.args)})"
    return specs


def storage_methods() -> list[str]:
    """The public methods of the Storage protocol class in service/storage.py."""
    for node in _parsed("service/storage.py").body:
        if isinstance(node, ast.ClassDef) and node.name == "Storage":
            return [
                item.name
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not item.name.startswith("_")
            ]
    raise AssertionError("service/storage.py has no class Storage")


GRAPHQL_BLOCKS = [block for path in DOCS for block in fenced_blocks(path, "graphql")]
JSON_BLOCKS = [block for path in DOCS for block in fenced_blocks(path, "json")]


def test_the_docs_show_graphql():
    assert GRAPHQL_BLOCKS, "no ```graphql blocks found in docs/*.md or README.md"


@pytest.mark.parametrize("label,source", GRAPHQL_BLOCKS, ids=[label for label, _ in GRAPHQL_BLOCKS])
def test_graphql_blocks_validate_against_the_schema(label, source):
    try:
        document = graphql.parse(source)
    except graphql.GraphQLError as err:
        pytest.fail(f"{label} does not parse: {err}\n{source}")
    errors = graphql.validate(schema._schema, document)
    assert not errors, f"{label} does not validate against the schema:\n" + "\n".join(
        f"  {e.message}" for e in errors
    ) + f"\n{source}"


@pytest.mark.parametrize("label,source", JSON_BLOCKS, ids=[label for label, _ in JSON_BLOCKS])
def test_json_blocks_are_json(label, source):
    try:
        json.loads(source)
    except json.JSONDecodeError as err:
        pytest.fail(f"{label} is not valid JSON (variables must paste into GraphiQL): {err}\n{source}")


def test_there_are_hooks_and_storage_methods_to_check():
    assert hookspec_signatures(), "found no @hookspec functions in service/hookspecs.py"
    assert storage_methods(), "found no public methods on service.storage.Storage"


@pytest.mark.parametrize("name,signature", sorted(hookspec_signatures().items()))
def test_every_hook_has_a_section_with_its_signature(name, signature):
    found = [body for heading, body in sections(PLUGINS_MD.read_text(encoding="utf-8")) if name in heading]
    assert found, f"docs/plugins.md has no section (heading) for the hook {name}"
    assert any(signature in body for body in found), (
        f"docs/plugins.md's section on {name} does not show its signature `{signature}` as written in service/hookspecs.py"
    )


@pytest.mark.parametrize("method", storage_methods())
def test_every_storage_method_is_documented(method):
    text = PLUGINS_MD.read_text(encoding="utf-8")
    assert re.search(rf"\b{re.escape(method)}\b", text), f"docs/plugins.md does not name Storage.{method}"


def test_readme_quickstart_is_exactly_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = [heading for heading, _ in sections(readme)]
    assert headings[:2] == ["# Customer Context", "## Quickstart"], (
        f"README.md must open with its title, then ## Quickstart; headings are {headings[:3]}"
    )
    quickstart = dict(sections(readme))["## Quickstart"]
    blocks = list(_FENCE.finditer(quickstart))
    assert len(blocks) == 1, f"README.md's Quickstart should hold one code block, not {len(blocks)}"
    commands = [line.strip() for line in blocks[0].group(2).splitlines() if line.strip()]
    assert commands == ["./run serve", "./run test"], f"README.md's Quickstart commands are {commands}"


SERVE_FLAGS = ["--" + f.name.replace("_", "-") for f in dataclasses.fields(Settings)]


@pytest.mark.parametrize("flag", SERVE_FLAGS)
def test_every_serve_flag_is_documented(flag):
    text = "\n".join((ROOT / "docs" / name).read_text(encoding="utf-8") for name in ("quickstart.md", "operations.md"))
    assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text), (
        f"`customer-context serve {flag}` is described in neither docs/quickstart.md nor docs/operations.md"
    )


@pytest.mark.parametrize("flag", SERVE_FLAGS)
def test_quickstarts_settings_table_has_a_row_for_every_flag(flag):
    # quickstart.md promises "every setting" in its table; a flag only mentioned elsewhere drifted.
    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| `{re.escape(flag)}`", text, re.M), f"docs/quickstart.md's settings table has no row for {flag}"


def test_quickstart_shows_what_customer_context_plugins_prints():
    (shown,) = [body for _, body in fenced_blocks(ROOT / "docs" / "quickstart.md", "console") if "customer-context plugins" in body]
    command, _, output = shown.partition("\n")
    assert command == "$ .venv/bin/customer-context plugins", command
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_CONTEXT_")}
    real = subprocess.run(
        [sys.executable, "-m", "service", "plugins"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert real.returncode == 0, real.stderr
    assert output == real.stdout, f"docs/quickstart.md shows:\n{output}\nthe command prints:\n{real.stdout}"
