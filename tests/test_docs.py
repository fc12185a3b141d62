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
import urllib.request
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


# --- every response the docs show is the service's real response ---------------------------
#
# A doc's operations run in order against a real server of its own (README's start command),
# as a reader pasting them into GraphiQL would: a json block after a graphql block is its
# variables; a json block holding "data" or "errors" is the response shown, compared with
# the real one. Ids, cursors, times and request ids differ from run to run: they are not
# compared, and an id the doc shows shortened ("Q3VzdG9tZXI6…kdzM") stands for the real id
# found at the same place, in the variables of the operations after it. A response names
# its operation by its root field: a doc may reuse an operation shown earlier, or in
# workflow.md. `<!-- docs-test: serve FLAGS -->` starts the doc's server with FLAGS;
# `<!-- docs-test: not run (why) -->` right before a json block leaves that example out.

COMPARED_DOCS = ["workflow.md", "contacts.md", "errors.md"]
UNCOMPARED_KEYS = frozenset(
    {"id", "cursor", "startCursor", "endCursor", "requestId", "createdAt", "updatedAt", "occurredAt", "associatedAt", "resolvedAt", "credentialRotatedAt"}
)
_LANGUAGE = re.compile(r'\{"Accept-Language": "([\w-]+)"\}')
_LONG_TEXT = re.compile(r"^(.)\1*… \(([\d,]+) characters\)$")
_NOT_RUN = "<!-- docs-test: not run"


@dataclasses.dataclass
class DocExample:
    line: int
    query: str | None
    variables: dict
    language: str | None
    response: dict | None = None


def _root_field(response: dict) -> str | None:
    if response.get("data"):
        return next(iter(response["data"]))
    return next((e["path"][0] for e in response.get("errors", []) if e.get("path")), None)


def _named_operation(prose: str, queries: list[str]) -> str | None:
    """The operation the prose names (`AddContact` ... of section 1), when it names one."""
    for name in reversed(re.findall(r"`(\w+)`", prose)):
        for query in queries:
            if re.match(rf"\s*(query|mutation) {name}\b", query):
                return query
    return None


def _selects(query: str, field: str) -> bool:
    return re.search(rf"(?<![\w$]){re.escape(field)}\s*[({{]", query) is not None


def _takes(query: str, variables: dict) -> bool:
    """Whether `query` declares every variable given."""
    return all(re.search(rf"\${re.escape(name)}\s*:", query) for name in variables)


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value))
    return set()


def _fits(query: str, response: dict) -> bool:
    """Whether `query` can have answered `response`: it selects the root field and every
    field the response holds."""
    root = _root_field(response)
    if root is None or not _selects(query, root):
        return False
    fields = _keys(response.get("data") or {}) - {"__typename"}
    return all(re.search(rf"(?<![\w$]){re.escape(f)}(?!\w)", query) for f in fields)


def doc_examples(path: Path, shared_queries: list[str]) -> list[DocExample]:
    text = path.read_text(encoding="utf-8")
    queries: list[str] = []
    examples: list[DocExample] = []
    current: DocExample | None = None
    previous_end = 0
    skipping = False
    for match in _FENCE.finditer(text):
        prose, previous_end = text[previous_end : match.start()], match.end()
        if match.group(1) not in ("graphql", "json"):
            continue
        line = text.count("\n", 0, match.start()) + 1
        said = _LANGUAGE.findall(prose)
        if match.group(1) == "graphql":
            queries.append(match.group(2))
            current = DocExample(line, match.group(2), {}, said[-1] if said else None)
            if _NOT_RUN in prose:
                current = None  # its variables and response are left out with it
                skipping = True
            else:
                examples.append(current)
                skipping = False
            continue
        if skipping and match.group(1) == "json" and "docs-test" not in prose and not _named_operation(prose, queries + shared_queries):
            continue
        value = json.loads(match.group(2))
        if _NOT_RUN in prose or not isinstance(value, dict) or "type" in value or "__typename" in value:
            continue  # left out, a WebSocket message (test_subscriptions.py runs those) or a payload alone
        if "data" in value or "errors" in value:
            if current is None or current.response is not None:
                current = DocExample(line, None, {}, said[-1] if said else None)
                examples.append(current)
            current.response = value
            # A request's own error (data null, no path) says nothing of its operation: keep it.
            if not (current.query and (_root_field(value) is None or _fits(current.query, value))):
                current.query = next((q for q in reversed(queries) if _fits(q, value)), None) or next(
                    (q for q in shared_queries if _fits(q, value)), None
                )
            continue
        language = said[-1] if said else (current.language if current and current.response is None and not current.variables else None)
        query = _named_operation(prose, queries + shared_queries)
        if query is None and current is not None and current.query and _takes(current.query, value):
            query = current.query
        if query is None:
            query = next((q for q in reversed(queries) if _takes(q, value)), None) or next(
                (q for q in shared_queries if _takes(q, value)), None
            )
        if current is not None and current.response is None and not current.variables and current.query == query:
            current.variables, current.language = value, language
        else:
            current = DocExample(line, query, value, language)
            examples.append(current)
    return [e for e in examples if e.query is None or not e.query.lstrip().startswith("subscription")]


def _expand(value, ids: dict[str, str]):
    """The variables as a reader sends them: shortened ids replaced by the real ones, a
    "xxxx… (2,001 characters)" placeholder by that many characters."""
    if isinstance(value, str):
        if (long := _LONG_TEXT.match(value)) is not None:
            return long.group(1) * int(long.group(2).replace(",", ""))
        return ids.get(value, value)
    if isinstance(value, dict):
        return {k: _expand(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, ids) for v in value]
    return value


def _differences(shown, real, where: str, ids: dict[str, str]) -> list[str]:
    if isinstance(shown, dict) and isinstance(real, dict):
        found = [] if set(shown) == set(real) else [f"{where}: keys {sorted(shown)} shown, {sorted(real)} real"]
        for key in shown.keys() & real.keys():
            if key in UNCOMPARED_KEYS:
                if isinstance(shown[key], str) and isinstance(real[key], str):
                    ids[shown[key]] = real[key]
                continue
            found += _differences(shown[key], real[key], f"{where}.{key}", ids)
        return found
    if isinstance(shown, list) and isinstance(real, list):
        found = [] if len(shown) == len(real) else [f"{where}: {len(shown)} items shown, {len(real)} real"]
        for n, (a, b) in enumerate(zip(shown, real)):
            found += _differences(a, b, f"{where}[{n}]", ids)
        return found
    if isinstance(shown, str) and "…" in shown and isinstance(real, str):
        ids[shown] = real  # an id shown shortened
        return []
    return [] if shown == real else [f"{where}: {shown!r} shown, {real!r} real"]


def _serve_flags(path: Path) -> list[str]:
    found = re.search(r"<!-- docs-test: serve ([^>]*?) -->", path.read_text(encoding="utf-8"))
    return found.group(1).split() if found else []


@pytest.mark.parametrize("name", COMPARED_DOCS)
def test_every_response_a_doc_shows_is_what_the_service_answers(name):
    from .server import running_server

    path = ROOT / "docs" / name
    shared = [q for _, q in fenced_blocks(ROOT / "docs" / "workflow.md", "graphql")]
    examples = doc_examples(path, shared)
    assert any(e.response for e in examples), f"docs/{name} shows no response to compare"
    ids: dict[str, str] = {}
    problems: list[str] = []
    with running_server(*_serve_flags(path)) as base:
        for example in examples:
            where = f"docs/{name}, line {example.line}"
            assert example.query is not None, f"{where}: no operation found for these variables or this response"
            variables = _expand(example.variables, ids)
            unresolved = sorted(re.findall(r'"([^"]*…[^"]*)"', json.dumps(variables, ensure_ascii=False)))
            if unresolved:
                problems.append(f"{where}: {unresolved} name no record an earlier example made (give the request that makes it)")
                continue
            headers = {"Content-Type": "application/json", **({"Accept-Language": example.language} if example.language else {})}
            body = json.dumps({"query": example.query, "variables": variables}).encode()
            request = urllib.request.Request(base + "/graphql", data=body, headers=headers)
            with urllib.request.urlopen(request, timeout=30) as answer:
                real = json.loads(answer.read())
            if example.response is not None:
                problems += [f"{where}: {d}" for d in _differences(example.response, real, "response", ids)]
    assert not problems, "\n".join(problems)
