"""Import figures: legacy SQLite import and JSONL restore rates, peak memory.

Usage: python bench/import_figures.py DSN N   (N memories with embeddings)
Runs each step in a fresh process so that the peak memory (max RSS) printed is
that of the importing process alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def step(kind: str, dsn: str, path: str, namespace: str) -> dict[str, float]:
    import pgcortex

    async def run() -> dict[str, float]:
        client = await pgcortex.connect(dsn, namespace=namespace, deploy=False)
        try:
            started = time.perf_counter()
            if kind == "sqlite":
                report = await client.import_sqlite(path)
                rows = report.rows
            elif kind == "jsonl":
                report = await client.import_jsonl(path)
                rows = report.rows
            else:
                rows = await client.export_to(path)
            seconds = time.perf_counter() - started
        finally:
            await client.close()
        return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}

    result = asyncio.run(run())
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    if sys.argv[1] == "--step":
        print(json.dumps(step(*sys.argv[2:6])))
        return
    dsn, n = sys.argv[1], int(sys.argv[2])
    work = Path(os.environ.get("IMPORT_BENCH_DIR", "/tmp"))
    db = work / f"legacy-{n}.db"
    if not db.exists():
        subprocess.run(
            [sys.executable, "-c",
             "import sys; sys.path.insert(0, '.');"
             "from pathlib import Path;"
             "from tests.legacy_sqlite import write_legacy_store, LegacyOptions;"
             f"write_legacy_store(Path('{db}'), LegacyOptions(memories={n}, clusters=20, "
             "patterns=50, preferences=100, sessions=200))"],
            cwd=ROOT, check=True,
        )  # fmt: skip

    def run(kind: str, path: Path, namespace: str) -> dict[str, float]:
        out = subprocess.run(
            [sys.executable, __file__, "--step", kind, dsn, str(path), namespace],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))

    load = os.getloadavg()
    legacy = run("sqlite", db, f"bench_legacy_{n}")
    export = work / f"export-{n}.jsonl"
    exported = run("export", export, f"bench_legacy_{n}")
    restored = run("jsonl", export, f"bench_restore_{n}")
    figures = {
        "memories": n, "load_before": load, "load_after": os.getloadavg(),
        "legacy_import": legacy, "export": exported, "jsonl_import": restored,
    }  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
