"""The benchmark harness, run once in its seconds-long form so it cannot rot.

It creates its own database on the test server, loads 2,000 synthetic memories,
measures every shape and writes its results into tmp_path. No timing is asserted:
what must hold is that the harness works and that its exact answers are exact.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import psycopg
import pytest

from bench import report, run
from bench.config import Config
from tests.conftest import make_dsn


@pytest.fixture
def smoke_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGCORTEX_DSN", make_dsn("postgres"))
    monkeypatch.delenv("DATABASE_URL", raising=False)


async def test_bench_smoke(smoke_env: None, tmp_path: Path) -> None:
    suffix = os.environ.get("PGCORTEX_TEST_DBNAME", "test")
    # A small real-embedding corpus too, so that its section runs (it alone queries
    # the table through the model's index expression).
    cfg = dataclasses.replace(
        Config.from_env(smoke=True), name=f"smoke_{suffix}", keep=False, minilm_n=300
    )
    res = await run.main_async(cfg)
    base = report.write(res, tmp_path)

    saved = json.loads(base.with_suffix(".json").read_text())
    assert saved["config"]["n"] == cfg.n
    assert base.with_suffix(".png").stat().st_size > 0
    assert "| shape | recall@10 |" in base.with_suffix(".md").read_text()

    assert saved["errors"] == []
    by_name = {s["name"]: s for s in saved["searches"]}
    # The exact scan is the harness's own check: it must agree with numpy exactly.
    assert by_name["table exact scan (1 backend)"]["recall"] == 1.0
    for s in saved["searches"]:
        assert s["latency"]["n"] > 0
        if "recall" in s:
            assert 0.0 <= s["recall"] <= 1.0
    minilm_sweep = [e for e in saved["ef_sweep"] if e["shape"].startswith("MiniLM")]
    assert [e["ef_search"] for e in minilm_sweep] == list(cfg.ef_sweep)
    assert all(e["recall"] > 0 for e in minilm_sweep)
    table_sweep = [e for e in saved["ef_sweep"] if e["shape"] == "table vector (HNSW)"]
    assert [e["ef_search"] for e in table_sweep] == list(cfg.ef_sweep)
    assert saved["load"]["rows"] == cfg.n
    # The load bypasses the triggers; the text search's term statistics are built.
    assert saved["load"]["term_statistics_documents"] == cfg.n
    assert saved["sizes"]["pgcortex.memories"]["indexes"]


def accesses_counted(dbname: str) -> int:
    """Every access the database has counted: folded and pending."""
    from bench import db

    with psycopg.connect(db.with_dbname(db.server_dsn(), dbname)) as c:
        row = c.execute(
            "select (select count(*) from pgcortex.memory_access_log)"
            " + coalesce((select sum(access_count) from pgcortex.memory_access), 0)"
        ).fetchone()
    assert row is not None
    return int(row[0])


async def test_bench_peer_smoke(
    smoke_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The peer-shaped run (pgcortex against a bare pgvector table) in its smallest form,
    and the CPU comparison on the database it keeps."""
    from bench import cpu, db, peer

    monkeypatch.setenv("BENCH_RESULTS_DIR", str(tmp_path))
    suffix = os.environ.get("PGCORTEX_TEST_DBNAME", "test")
    cfg = dataclasses.replace(
        peer.PeerConfig.from_env(smoke=True),
        n=1000,
        queries=10,
        seconds=0.2,
        store_n=100,
        exact_queries=5,
        keep=True,
        label=f"peer_smoke_{suffix}",
    )
    try:
        res = await peer.run_one(cfg)
        # CPU time per search, inside the server, against the bare table.
        capsys.readouterr()
        cpu.main(["--n", "1000", "--rounds", "3", "--per-round", "5", "--shape", "vector",
                  "--shape", "user", f"pgcortex_bench_{cfg.name}"])  # fmt: skip
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith("1000 memories, 3 rounds of 5 searches")
        measured = [ln for ln in lines if "CPU ms/search median" in ln]
        assert len(measured) == 4  # the database and the bare table, per shape
        assert all(float(ln.split("median ")[1].split()[0]) > 0 for ln in measured)
        # What counting the accesses costs: tracked and untracked, one search a statement.
        name = f"pgcortex_bench_{cfg.name}"
        before = accesses_counted(name)
        cpu.main(["--n", "1000", "--rounds", "3", "--per-round", "4", "--tracking", name])
        lines = capsys.readouterr().out.splitlines()
        tracked = [ln for ln in lines if "tracking costs" in ln]
        assert len(tracked) == 1
        assert tracked[0].split()[0] == name
        assert float(tracked[0].split("tracked ")[1].split(",")[0]) > 0
        assert float(tracked[0].split("untracked ")[1].split(",")[0]) > 0
        # The tracked searches counted their hits (3 rounds of 4, 10 hits each); the
        # untracked ones nothing.
        assert accesses_counted(name) - before == 3 * 4 * 10
    finally:
        with psycopg.connect(db.with_dbname(db.server_dsn(), "postgres"), autocommit=True) as c:
            c.execute(f"drop database if exists pgcortex_bench_{cfg.name} with (force)".encode())
    assert res["errors"] == []
    base = Path(peer.write(res))
    saved = json.loads(base.with_suffix(".json").read_text())
    series = saved["series"]
    # The bare table answers the unfiltered query from the same HNSW parameters.
    assert saved["config"]["hnsw_ef_construction"] > 0
    for name in (
        "bare vector",
        "pgcortex vector, tracked",
        "pgcortex hybrid, user filter, tracked",
    ):
        assert series[name]["latency"]["n"] > 0
    # pgcortex's vector search is exact at every filter on 1,000 rows.
    for f in ("all", *peer.FILTERS):
        assert series[f"pgcortex vector recall, {f}"]["short"] == 0
    figures = {r["figure"] for r in saved["summary"]}
    assert "store rows/s, one client, batches of 100" in figures
    # Planted near copies merge into their originals (the near-duplicate probe).
    merged, planted = (
        int(x)
        for x in saved["writes"][
            "near duplicates merged (planted copies, cosine 0.951-0.99)"
        ].split(" / ")
    )
    assert planted == 20
    assert merged >= 18
    assert all(r["ratio"] is not None and r["ratio"] > 0 for r in saved["summary"])
    assert "| figure | pgcortex | bare table | ratio |" in base.with_suffix(".md").read_text()


async def test_bench_dims_smoke(
    smoke_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The long-embedding run (vector and halfvec against bare tables), smallest form."""
    from bench import dims

    suffix = os.environ.get("PGCORTEX_TEST_DBNAME", "test")
    for key, value in {
        "BENCH_SMOKE": "1", "BENCH_N": "500", "BENCH_QUERIES": "5", "BENCH_STORE_N": "100",
        "BENCH_NAME": f"dims_smoke_{suffix}",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    res = await dims.main_async()
    assert [r["storage"] for r in res["runs"]] == ["vector", "halfvec"]
    for run_ in res["runs"]:
        assert run_["index"]["bytes"] > 0
        assert run_["bare"]["hnsw_bytes"] > 0
        assert [q["filter"] for q in run_["searches"]] == ["none", "sel10 (10%)", "sel1 (1%)"]
        for q in run_["searches"]:
            assert 0.0 <= q["pgcortex"]["recall"] <= 1.0
    assert "| HNSW build (s) | halfvec |" in dims.markdown(res)


async def test_bench_quality_smoke(
    smoke_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make bench-quality`` on a two-session conversation in LoCoMo's format: every
    turn is stored as a turn of its session and found again by its evidence id."""
    from bench import quality

    turns = [
        ("Ann", "D1:1", "Hi Bo, how was your weekend?"),
        ("Bo", "D1:2", "We went hiking in the Alps with my sister."),
        ("Ann", "D1:3", "Where did you go hiking?"),
        ("Bo", "D1:4", "To Zermatt, near the Matterhorn."),
    ]
    later = [
        ("Bo", "D2:1", "I adopted a greyhound yesterday."),
        ("Ann", "D2:2", "What is the dog called?"),
        ("Bo", "D2:3", "Her name is Luna."),
    ]
    conversation = {
        "speaker_a": "Ann",
        "speaker_b": "Bo",
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [{"speaker": s, "dia_id": d, "text": x} for s, d, x in turns],
        "session_2_date_time": "2:10 pm on 15 May, 2023",
        "session_2": [{"speaker": s, "dia_id": d, "text": x} for s, d, x in later],
        "qa": [
            {"question": "Where did Bo go hiking?", "evidence": ["D1:4"], "category": 4},
            {"question": "What is Bo's greyhound called?", "evidence": ["D2:3"], "category": 1},
            {"question": "Left out: adversarial", "evidence": ["D1:1"], "category": 5},
        ],
    }
    data = tmp_path / "locomo"
    data.mkdir()
    (data / "conv-smoke.json").write_text(json.dumps(conversation))
    suffix = os.environ.get("PGCORTEX_TEST_DBNAME", "test")
    monkeypatch.setenv("LOCOMO_DIR", str(data))
    monkeypatch.setenv("BENCH_NAME", f"smoke_{suffix}")
    monkeypatch.delenv("BENCH_QUALITY_WEIGHTS", raising=False)
    monkeypatch.delenv("BENCH_KEEP", raising=False)
    res = await quality.run()
    assert res["data"]["turns"] == 7
    assert res["data"]["questions"] == 2
    assert set(res["results"]) == {
        "default",
        "default, no conversation context",
        "vector arm",
        "text arm",
        "exact cosine",
        "BM25",
    }
    # Seven memories, k = 10: every search returns every turn, so each finds its
    # evidence only if each memory maps back to its turn's id.
    for name, cats in res["results"].items():
        assert cats["overall"]["recall@10"] == 1.0, name
    assert "| default | **overall** | 2 |" in quality.markdown(res)
