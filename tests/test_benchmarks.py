"""The load benchmark's claims hold on a small data set: the baseline app
(benchmarks/baseline_app.py) answers every workload's requests exactly as the service
does (the benchmark compares throughput only where the answers are the same), and a growth
row is measured without an error. No timing is asserted: benchmarks/ measures speed."""

from __future__ import annotations

import gc
import importlib
import json
import re
import shutil
import sys
from pathlib import Path

from starlette.testclient import TestClient

from service.app import create_app
from service.settings import Settings

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _module(name: str):
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


def test_the_baseline_answers_every_workload_as_the_service_does(tmp_path, monkeypatch):
    load = _module("service_load")
    import random

    data = tmp_path / "data" / "data.journal"
    data.parent.mkdir()
    load.write_data_file(data, *load.make_dataset(400))
    copies = {}
    for name in ("service", "baseline"):
        (tmp_path / name).mkdir()
        for f in data.parent.glob("data.journal*"):
            shutil.copy(f, tmp_path / name / f.name)
        copies[name] = tmp_path / name / "data.journal"
    monkeypatch.setenv("BASELINE_DATA_FILE", str(copies["baseline"]))
    baseline = _module("baseline_app")

    workloads = load.workloads(400, random.Random(3))
    assert [label for label, _ in workloads] == [
        "screen pop: matchCustomers by phone",
        "50 customers with their MAIN contacts",
        "contact directory search, 20 per page",
        "recordActivity (a known caller)",
    ]
    try:
        with TestClient(create_app(Settings(data_file=str(copies["service"])))) as service, TestClient(baseline.app) as ceiling:
            _same_answers(service, ceiling, workloads)
    finally:
        gc.unfreeze()  # the baseline freezes its heap after start-up, as a server does


def _same_answers(service: TestClient, ceiling: TestClient, workloads) -> None:
    for label, bodies in workloads:
        for body in bodies[:12]:
            ours = service.post("/graphql", json=body)
            theirs = ceiling.post("/graphql", json=body)
            assert ours.status_code == theirs.status_code == 200, label
            assert "errors" not in ours.json(), (label, ours.text)
            assert json.dumps(ours.json(), ensure_ascii=False) == json.dumps(theirs.json(), ensure_ascii=False), label


def test_a_growth_row_is_measured_without_an_error():
    load = _module("service_load")
    row = load.growth_row(300, 5, False)
    assert row["customers"] == 300 and row["contacts"] > 0
    assert set(row["median"]) == {"pop", "search", "number"}
    assert row["matches"][1] > 0  # the broad searches found something


def test_the_saturation_benchmark_runs_every_configuration(capsys):
    """benchmarks/saturation.py in a tiny mode against the real server: every configuration
    gets a row, its probes were made and its searches answered; every answer other than 2xx
    was a counted 503 (the `other` column is 0). No timing is asserted."""
    saturation = _module("saturation")
    configs = ["asyncio, max 1 in flight, wait 0 s", "uvloop, no admission control"]
    saturation.main(["--customers", "200", "--clients", "8", "--duration", "1", "--rounds", "1", "--configs", "asyncio:1:0,uvloop:0"])
    out = capsys.readouterr().out
    rows = {}
    for line in out.splitlines():
        for config in configs:
            if line.startswith(config + " "):
                rows[config] = line[len(config):].split()
    assert set(rows) == set(configs), out
    for config, cells in rows.items():
        probes, _p50, _p99, _max, _unanswered, answered, shed, other = cells[:8]
        assert int(probes) > 0 and int(answered.replace(",", "")) > 0, out
        assert int(other) == 0, out
    assert rows["uvloop, no admission control"][6] == "0"  # nothing to shed without admission control
    # The accept experiment ran on both loops (what it measures is for docs/performance.md).
    assert re.search(r"^  uvloop +first accepted after +[\d,]+ ms, the last after +[\d,]+ ms$", out, re.M), out
    assert re.search(r"^  asyncio +first accepted after +[\d,]+ ms, the last after +[\d,]+ ms$", out, re.M), out
