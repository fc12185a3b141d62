"""The strategy plugin example in docs/matching.md runs as printed."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from service.settings import Settings

from .helpers import create_customer, make_client, record

DOC = Path(__file__).resolve().parent.parent / "docs" / "matching.md"


def load_example(tmp_path):
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Writing a strategy plugin") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    path = tmp_path / "acme_name_matching.py"
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("acme_name_matching", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_documented_strategy_plugin_offers_candidates_and_never_decides(tmp_path):
    plugin = load_example(tmp_path)
    for gql in make_client(Settings(matching="name"), plugins=[plugin]):
        jan = create_customer(gql, firstName="Jan", lastName="Novák")
        result = record(gql, channel="CHAT", name="jan novak")
        assert result["outcome"] == "ADDED_TO_OPEN_LIST"
        (candidate,) = result["openListEntry"]["candidates"]
        assert candidate["customer"]["id"] == jan["id"] and candidate["score"] == 0.6
        assert candidate["reasons"] == [{"field": "name", "method": "PREFIX", "strength": 0.6}]
