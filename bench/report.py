"""Write a run's results: JSON, a markdown table, and a recall/latency plot."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def results_dir() -> Path:
    """BENCH_RESULTS_DIR, else bench/results."""
    value = os.environ.get("BENCH_RESULTS_DIR")
    return Path(value) if value else RESULTS_DIR


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return str(v)


def markdown(res: dict[str, Any]) -> str:
    cfg = res["config"]
    lines = [
        f"# Benchmark `{cfg['name']}`: {cfg['n']:,} memories, "
        f"{cfg['queries']} queries, k={cfg['k']}",
        "",
        f"Machine: {res['machine']['summary']}. Run at {res['started_at']}, "
        f"{res['elapsed_seconds']:.0f} s.",
        "",
        "## Searches",
        "",
        "| shape | recall@10 | p50 ms | p95 ms | p99 ms | short | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for s in res["searches"]:
        lat = s["latency"]
        lines.append(
            f"| {s['name']} | {_fmt(s.get('recall'), 3)} | {_fmt(lat['p50_ms'])} | "
            f"{_fmt(lat['p95_ms'])} | {_fmt(lat['p99_ms'])} | {s.get('short', '–')} | "
            f"{s.get('note', '')} |"
        )
    if res.get("throughput"):
        lines += [
            "",
            "## Throughput (concurrent clients)",
            "",
            "| shape | clients | searches/s | p50 ms | p99 ms |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for t in res["throughput"]:
            lines.append(
                f"| {t['shape']} | {t['clients']} | {_fmt(t['qps'], 0)} | "
                f"{_fmt(t['p50_ms'])} | {_fmt(t['p99_ms'])} |"
            )
    if res.get("ef_sweep"):
        lines += [
            "",
            "## ef_search sweep",
            "",
            "| shape | ef_search | recall@10 | p50 ms | p99 ms |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for e in res["ef_sweep"]:
            lines.append(
                f"| {e['shape']} | {e['ef_search']} | {_fmt(e['recall'], 3)} | "
                f"{_fmt(e['p50_ms'])} | {_fmt(e['p99_ms'])} |"
            )
    if res.get("writes"):
        lines += ["", "## Writes and reads by id", "", "| what | figure |", "| --- | --- |"]
        for key, value in res["writes"].items():
            lines.append(f"| {key} | {_fmt(value)} |")
    load = res.get("load", {})
    if load:
        lines += ["", "## Load and index builds", "", "| step | seconds |", "| --- | ---: |"]
        lines.append(f"| COPY {load['rows']:,} rows | {_fmt(load['copy_seconds'], 1)} |")
        for name, sec in load["index_build_seconds"].items():
            lines.append(f"| build {name} | {_fmt(sec, 1)} |")
        lines.append(f"| vacuum analyze | {_fmt(load['vacuum_analyze_seconds'], 1)} |")
    if res.get("exact_scan"):
        e = res["exact_scan"]
        lines += [
            "",
            "## Exact scan against memory bandwidth",
            "",
            f"Exact scan (one backend, no index) p50 {_fmt(e['p50_ms'])} ms over "
            f"{e['bytes_scanned'] / 1e6:,.0f} MB: {_fmt(e['scan_gb_s'])} GB/s; numpy read "
            f"bandwidth {_fmt(e['numpy_read_gb_s'])} GB/s; ratio {_fmt(e['ratio'], 3)}.",
        ]
    if res.get("sizes"):
        lines += ["", "## Sizes (MB)", "", "| relation | MB |", "| --- | ---: |"]
        for table, s in res["sizes"].items():
            lines.append(f"| {table} heap | {s['heap_bytes'] / 1e6:,.1f} |")
            lines.append(f"| {table} toast | {s['toast_bytes'] / 1e6:,.1f} |")
            for name, b in s["indexes"].items():
                lines.append(f"| {name} | {b / 1e6:,.1f} |")
    if res.get("errors"):
        lines += ["", "## Failed steps", ""]
        lines += [f"- {e}" for e in res["errors"]]
    if res.get("skipped"):
        lines += ["", "## Not measured in this run", ""]
        lines += [f"- {s}" for s in res["skipped"]]
    return "\n".join(lines) + "\n"


def plot(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    shapes: dict[str, list[dict[str, Any]]] = {}
    for e in res.get("ef_sweep", []):
        shapes.setdefault(e["shape"], []).append(e)
    for shape, points in shapes.items():
        points.sort(key=lambda p: p["ef_search"])
        xs = [p["p50_ms"] for p in points]
        ys = [p["recall"] for p in points]
        ax.plot(xs, ys, marker="o", label=shape)
        for p in points:
            ax.annotate(str(p["ef_search"]), (p["p50_ms"], p["recall"]), fontsize=7,
                        textcoords="offset points", xytext=(3, -8))  # fmt: skip
    ax.axhline(0.95, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("p50 latency (ms)")
    ax.set_ylabel("recall@10")
    cfg = res["config"]
    ax.set_title(f"recall@10 against latency over hnsw.ef_search ({cfg['n']:,} rows)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(res: dict[str, Any], directory: Path | None = None) -> Path:
    """Write <name>.json, <name>.md and <name>.png; returns the path without suffix."""
    out = directory or results_dir()
    out.mkdir(parents=True, exist_ok=True)
    name = res["config"]["name"]
    base = out / name
    base.with_suffix(".json").write_text(json.dumps(res, indent=2, sort_keys=False) + "\n")
    base.with_suffix(".md").write_text(markdown(res))
    plot(res, base.with_suffix(".png"))
    return Path(base)
