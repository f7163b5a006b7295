"""The scripted demo runs end to end against the test server, twice in a row."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pgcortex.demo import data as demo_data
from pgcortex.demo import run_demo
from pgcortex.embedding import MiniLMEmbedder

pytestmark = pytest.mark.embed

SECTIONS = [
    "store",
    "semantic",
    "hybrid",
    "filters",
    "preferences",
    "patterns",
    "clusters",
    "context",
    "forget",
    "summary",
]


async def test_demo_shows_every_capability_and_can_run_again(db_dsn: str) -> None:
    embedder = MiniLMEmbedder()
    reports = []
    outputs = []
    for _ in range(2):
        out = io.StringIO()
        reports.append(await run_demo(db_dsn, out=out, color=False, embedder=embedder))
        outputs.append(out.getvalue())

    first, second = reports
    assert first.sections == SECTIONS
    f = first.facts
    # store: an exact duplicate reinforces the same row, a reworded one merges
    assert f["exact_duplicate"] == ("updated", True)
    assert f["near_duplicate"] == ("merged", True)
    # recall by meaning finds the runway memory first; the ticket by keyword
    assert f["semantic_top"] is True
    assert f["keyword_hit"] is True
    # filters narrow the results
    counts = f["filters"]
    assert counts["(none)"] == 3
    assert counts["types=[market_intelligence]"] == 2
    assert counts["metadata ⊇ {source: october board deck}"] == 1
    # the lower-confidence preference is recorded, not applied
    assert f["conflict_applied"] is False
    assert f["conflict_held"] == "concise bullet points"
    # patterns from the conversation, counted once per turn
    assert "user frequently discusses pricing" in f["patterns"]
    assert "user asks many questions" in f["patterns"]
    assert f["patterns_rerun_new_evidence"] == 0
    assert f["clusters"] > 0
    ctx = f["context_counts"]
    assert ctx["memories"] > 0
    assert ctx["preferences"] == len(demo_data.PREFERENCES)
    assert ctx["recent_turns"] > 0
    assert ctx["patterns"] == 2
    # forgetting with the moved clock removes the unimportant, unused memories
    assert f["forgotten"] >= 3
    assert f["summary"]["preferences"] == len(demo_data.PREFERENCES)
    assert f["summary"]["memories"] > 0

    # the second run starts from a cleared namespace and shows the same
    assert second.sections == SECTIONS
    assert second.facts == first.facts
    text = outputs[1]
    assert "rows from an earlier run" in text
    assert not re.search(r"\b0 rows from an earlier run", text)
    for title in ("Recall by meaning", "hybrid search", "context bundle", "Forgetting"):
        assert title in text


def test_the_demo_command_says_in_one_line_when_the_server_is_unreachable(
    tmp_path: Path,
) -> None:
    unreachable = f"postgresql://nobody@/none?host={tmp_path}&port=1"
    proc = subprocess.run(
        [sys.executable, "-m", "pgcortex.demo", "--no-color", "--dsn", unreachable],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "pgcortex demo: an AI co-founder's long-term memory" in proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line]
    assert len(errors) == 1
    assert errors[0].startswith("pgcortex demo: error [")
    assert "Traceback" not in proc.stderr
