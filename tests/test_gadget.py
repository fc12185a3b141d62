"""The reference Customer Context gadget (service/gadget, served at /gadget; docs/gadget.md).

Fast checks first (its GraphQL validates against the schema, its files are served and
packaged, every word is translated), then the real thing: tests/browser/gadget.mjs drives
Debian's chromium (playwright-core, installed by `npm ci` into tests/browser on first run)
through every screen against a real server, and saves a screenshot of each screen under
test-artifacts/gadget/ (or $CUSTOMER_CONTEXT_ARTIFACTS).

The browser tests are skipped when node, npm or chromium is missing, unless
CUSTOMER_CONTEXT_REQUIRE_BROWSER=1 (set by .ci/run, which installs chromium) makes that a
failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import graphql
import pytest
from starlette.testclient import TestClient

from service.app import GADGET_DIR, create_app
from service.authentication import hash_token
from service.i18n import SUPPORTED
from service.schema import schema
from service.settings import Settings

from .server import ROOT, running_server

BROWSER_TESTS = ROOT / "tests" / "browser"
JS = GADGET_DIR / "js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("CUSTOMER_CONTEXT_ARTIFACTS") or ROOT / "test-artifacts") / "gadget"
SCHEMA_HAS_SUBSCRIPTIONS = "openListChanged" in schema.as_str()


# --- the gadget's GraphQL, files and words, without a browser ----------------------------------


def gadget_operations() -> list[tuple[str, str]]:
    source = (JS / "operations.js").read_text(encoding="utf-8")
    return re.findall(r"export const (\w+) = gql`(.*?)`;", source, re.S)


OPERATIONS = gadget_operations()


def test_the_gadget_has_its_operations():
    names = {name for name, _ in OPERATIONS}
    assert {"OPEN_LIST", "OPEN_LIST_CHANGED", "CREATE_FROM_OPEN_LIST", "DISCARD", "DIRECTORY", "ADD_CONTACT"} <= names


@pytest.mark.parametrize("name, document", OPERATIONS, ids=[name for name, _ in OPERATIONS])
def test_every_operation_of_the_gadget_validates_against_the_schema(name, document):
    parsed = graphql.parse(document)
    if parsed.definitions[0].operation == graphql.OperationType.SUBSCRIPTION and not SCHEMA_HAS_SUBSCRIPTIONS:
        pytest.skip("the schema has no subscriptions yet: the gadget falls back to re-querying")
    errors = graphql.validate(schema._schema, parsed)
    assert not errors, f"{name}: " + "; ".join(e.message for e in errors)


def _placeholder(kind: graphql.TypeNode):
    """A value of a required variable's type, enough for the service to take the operation in."""
    if isinstance(kind, graphql.NonNullTypeNode):
        return _placeholder(kind.type)
    if isinstance(kind, graphql.ListTypeNode):
        return []
    return {"ID": "x", "Int": 1, "String": "x", "Boolean": False}.get(kind.name.value, {})


@pytest.mark.parametrize("name, document", OPERATIONS, ids=[name for name, _ in OPERATIONS])
def test_the_service_takes_every_operation_of_the_gadget_in(http, name, document):
    """No operation of the gadget is one the service refuses as a whole (too costly, too deep,
    too many aliases...): a limit that grows past the gadget fails here, not in a browser."""
    parsed = graphql.parse(document)
    operation = parsed.definitions[0]
    if operation.operation == graphql.OperationType.SUBSCRIPTION:
        pytest.skip("subscriptions are taken in over WebSocket (tests/test_subscriptions*.py)")
    variables = {
        v.variable.name.value: _placeholder(v.type)
        for v in operation.variable_definitions or ()
        if isinstance(v.type, graphql.NonNullTypeNode)
    }
    response = http.post("/graphql", json={"query": document, "variables": variables})
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    assert response.status_code == 200 and "data" in body and body["data"] is not None, (name, body)
    assert not [c for c in codes if c and c.startswith(("QUERY_TOO", "TOO_MANY", "LIST_TOO"))], (name, body)


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as client:
        yield client


def test_the_gadget_is_served_at_gadget(http):
    response = http.get("/gadget", follow_redirects=False)
    assert response.status_code in (301, 302, 307, 308) and response.headers["location"].endswith("/gadget/")
    page = http.get("/gadget/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="js/main.js">' in page.text


def test_every_module_the_gadget_imports_is_served_as_javascript(http):
    pending, seen = ["js/main.js"], set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        response = http.get(f"/gadget/{path}")
        assert response.status_code == 200, path
        assert "javascript" in response.headers["content-type"], (path, response.headers["content-type"])
        folder = path.rsplit("/", 1)[0]
        for target in re.findall(r"^import .*? from '(\./[\w./-]+)';", response.text, re.M):
            pending.append(f"{folder}/{target[2:]}")
    assert {f"js/{p.name}" for p in JS.glob("*.js")} == seen, "a module nobody imports, or one that is missing"
    assert http.get("/gadget/gadget.css").headers["content-type"].startswith("text/css")


def test_the_gadget_is_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]["service"]
    assert "gadget/*" in patterns and "gadget/**/*" in patterns


def catalogue() -> dict[str, set[str]]:
    """Keys of each language's messages in i18n.js."""
    source = (JS / "i18n.js").read_text(encoding="utf-8")
    languages = {}
    for variable, body in re.findall(r"^const (\w+) = \{\n(.*?)^\};", source, re.S | re.M):
        languages[variable] = set(re.findall(r"^  (\w+):", body, re.M))
    return languages


def test_the_gadget_speaks_the_service_languages():
    source = (JS / "i18n.js").read_text(encoding="utf-8")
    listed = re.search(r"export const SUPPORTED = \[(.*?)\];", source).group(1)
    assert tuple(re.findall(r"'([\w-]+)'", listed)) == SUPPORTED


def test_every_language_has_every_word():
    languages = catalogue()
    assert set(languages) == {"en", "cs", "sk", "de", "nb", "srLatn"}
    for name, keys in languages.items():
        assert keys == languages["en"], f"{name}: missing {sorted(languages['en'] - keys)}, extra {sorted(keys - languages['en'])}"


def catalogue_texts() -> dict[str, dict[str, str | dict[str, str]]]:
    """Each language's messages in i18n.js: key -> text, or plural category -> text."""
    source = (JS / "i18n.js").read_text(encoding="utf-8")
    languages: dict[str, dict] = {}
    for variable, body in re.findall(r"^const (\w+) = \{\n(.*?)^\};", source, re.S | re.M):
        messages: dict = {}
        for key, value in re.findall(r"^  (\w+): (.*),$", body, re.M):
            if value.startswith("{"):
                messages[key] = dict(re.findall(r"(\w+): '((?:[^'\\]|\\.)*)'", value))
            else:
                quoted = re.fullmatch(r"'((?:[^'\\]|\\.)*)'|\"([^\"]*)\"", value)
                messages[key] = quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
        languages[variable] = messages
    return languages


def _placeholders(text) -> set[str]:
    texts = text.values() if isinstance(text, dict) else [text]
    return {name for t in texts for name in re.findall(r"\{(\w+)\}", t)}


#: The plural categories Intl.PluralRules (CLDR) selects for each language; a message that
#: varies with {count} has a text for each (cs/sk "many" is for fractions: 1,5 kontaktu).
PLURAL_CATEGORIES = {
    "en": {"one", "other"},
    "de": {"one", "other"},
    "nb": {"one", "other"},
    "cs": {"one", "few", "many", "other"},
    "sk": {"one", "few", "many", "other"},
    "srLatn": {"one", "few", "other"},
}


def test_every_translation_says_what_the_english_says_and_picks_plurals_by_the_languages_rules():
    languages = catalogue_texts()
    english = languages["en"]
    assert len(english) > 150, "the catalogue parser found too few messages"
    for name, messages in languages.items():
        assert messages.keys() == english.keys(), name
        for key, text in messages.items():
            assert _placeholders(text) == _placeholders(english[key]), (name, key, text)
            if isinstance(text, dict):
                assert set(text) == PLURAL_CATEGORIES[name], (name, key, sorted(text))
                assert isinstance(english[key], dict), (name, key)
            assert text, (name, key)


def _call_params(source: str) -> list[tuple[str, set[str]]]:
    """(key, parameter names) of every t('key', {...}) call with a literal object."""
    calls = []
    for match in re.finditer(r"\bt\('(\w+)', \{", source):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(source[i], 0)
            i += 1
        inner = source[match.end() : i - 1]
        # Names at the object's own level: drop nested (...), {...}, `...` first.
        flat = inner
        for pattern in (r"`[^`]*`", r"\([^()]*\)", r"\{[^{}]*\}"):
            for _ in range(5):
                flat = re.sub(pattern, "", flat)
        names = {m for m in re.findall(r"(?:^|,)\s*(\w+)\s*(?=:|,|$)", flat.strip())}
        calls.append((match.group(1), names))
    return calls


def test_every_placeholder_is_filled_and_every_parameter_used():
    english = catalogue_texts()["en"]
    calls = [call for path in JS.glob("*.js") for call in _call_params(path.read_text(encoding="utf-8"))]
    assert len(calls) > 30, "the call parser found too few t(key, {...}) calls"
    for key, params in calls:
        wanted = _placeholders(english[key])
        assert params == wanted, f"t('{key}', {{{', '.join(sorted(params))}}}): the message uses {sorted(wanted)}"


def test_every_word_the_screens_use_is_in_the_catalogue():
    english = catalogue()["en"]
    used = set()
    for path in JS.glob("*.js"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\('(\w+)'", text))
        used |= {m for pair in re.findall(r"\bt\(\w[^()]*\? '(\w+)' : '(\w+)'", text) for m in pair}
    used |= set(re.findall(r'data-i18n(?:-aria-label)?="(\w+)"', (GADGET_DIR / "index.html").read_text(encoding="utf-8")))
    assert used - english == set()


def test_the_docs_show_the_screenshots_the_browser_tests_take():
    page = (ROOT / "docs" / "gadget.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\(images/(gadget-[\w-]+\.png)\)", page))
    committed = {p.name for p in (ROOT / "docs" / "images").glob("gadget-*.png")}
    assert shown and shown == committed, f"shown but not committed: {shown - committed}; committed, not shown: {committed - shown}"
    taken = set(re.findall(r"shot\('([\w-]+)'\)", (BROWSER_TESTS / "gadget.mjs").read_text(encoding="utf-8")))
    assert {name[len("gadget-") : -len(".png")] for name in committed} <= taken, "a docs picture no scenario takes"


# --- in a real browser ----------------------------------------------------------------------------

TOKENS = {
    "admin": ("ADMIN", "ccs_gadget-admin-0123456789abcdef"),
    "agent-7": ("AGENT", "ccs_gadget-agent7-0123456789abcdef"),
    "agent-8": ("AGENT", "ccs_gadget-agent8-0123456789abcdef"),
    "auditor": ("READ_ONLY", "ccs_gadget-auditor-0123456789abcdef"),
}


def _browser_or_skip() -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if not Path(CHROMIUM).exists():
        missing.append(CHROMIUM)
    if missing:
        reason = f"the gadget's browser tests need {' and '.join(missing)}"
        if os.environ.get("CUSTOMER_CONTEXT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def _npm_dependencies() -> None:
    """`npm ci` when tests/browser/node_modules is missing or older than the lockfile."""
    installed = BROWSER_TESTS / "node_modules" / ".package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= (BROWSER_TESTS / "package-lock.json").stat().st_mtime:
        return
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER_TESTS, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"npm ci in tests/browser failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def browser_ready() -> None:
    _browser_or_skip()
    _npm_dependencies()


def _staff_server(tmp_path_factory) -> Iterator[str]:
    tokens_file = tmp_path_factory.mktemp("gadget") / "tokens"
    tokens_file.write_text("".join(f"{who} {role} {hash_token(token)}\n" for who, (role, token) in TOKENS.items()))
    with running_server("--tokens-file", str(tokens_file)) as base:
        yield base


@pytest.fixture(scope="module")
def staff_server(browser_ready, tmp_path_factory) -> Iterator[str]:
    """A real server with staff tokens: the gadget signs in as a partner's frontend would."""
    yield from _staff_server(tmp_path_factory)


@pytest.fixture
def own_staff_server(browser_ready, tmp_path_factory) -> Iterator[str]:
    """The same, for one test alone: its screenshots show only its own data."""
    yield from _staff_server(tmp_path_factory)


def drive(base: str, scenario: str, **extra) -> dict:
    config = {
        **extra,
        "base": base,
        "scenario": scenario,
        "artifacts": str(ARTIFACTS),
        "tokens": {
            "admin": TOKENS["admin"][1],
            "agent": TOKENS["agent-7"][1],
            "agent2": TOKENS["agent-8"][1],
            "readOnly": TOKENS["auditor"][1],
        },
        "agentId": "agent-7",
        "agent2Id": "agent-8",
        "live": SCHEMA_HAS_SUBSCRIPTIONS,
    }
    result = subprocess.run(
        ["node", "gadget.mjs", json.dumps(config)],
        cwd=BROWSER_TESTS,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CHROMIUM": CHROMIUM},
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"node gadget.mjs {scenario} printed no result:\n{result.stdout}\n{result.stderr}"
    outcome = json.loads(lines[-1])
    assert outcome["ok"] and result.returncode == 0, (
        f"{scenario} failed after: {outcome['checks']}\n{outcome.get('error')}\n"
        f"page errors: {outcome.get('pageErrors')}\nscreenshots: {ARTIFACTS}\n{result.stderr[-2000:]}"
    )
    return outcome


@pytest.mark.parametrize("scenario", ["open-list", "contacts", "directory", "narrow", "languages", "fallback"])
def test_the_gadget_in_chromium(staff_server, scenario):
    outcome = drive(staff_server, scenario)
    assert outcome["checks"], "the scenario checked nothing"
    for screenshot in outcome["screenshots"]:
        assert Path(screenshot).stat().st_size > 1000, screenshot


@pytest.mark.parametrize("width", [1280, 800])
def test_the_gadget_as_an_agent_needs_it_mid_call(own_staff_server, width):
    """Issue 15: the caller first, candidates told apart, the pane's search first, editing a
    customer (stale saves, other screens following), the activities tab page by page, a new
    contact from the directory, and tables that break no word: at 1280 and 800 px."""
    outcome = drive(own_staff_server, "mid-call", width=width)
    assert any("no word in a visible table cell is broken" in c for c in outcome["checks"])
    for screenshot in outcome["screenshots"]:
        assert Path(screenshot).stat().st_size > 1000, screenshot


def test_the_phone_hint_follows_the_services_default_region(browser_ready):
    with running_server("--default-region", "SK") as base:
        drive(base, "phone-region")


def test_the_gadget_needs_no_sign_in_in_local_development_mode(browser_ready, server):
    drive(server, "dev-mode")
