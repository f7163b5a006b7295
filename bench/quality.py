"""``make bench-quality``: retrieval quality on LoCoMo conversations.

Every turn of each conversation is stored as a conversation turn through
``pgcortex.store_conversation_turn`` (one namespace per conversation, each LoCoMo
session a pgcortex session, every turn a conversation memory of importance 3,
all-MiniLM-L6-v2 embeddings, near-duplicate merging on as by default), then every
question of categories 1-4 is searched with k = 10. recall@k = the share of a
question's evidence turns among the top k, averaged over questions; hit@10 = at least
one evidence turn in the top 10. A memory that absorbed near duplicates holds the
turns of all its occurrences (the memory id each turn's store returned).

Searches compared: the default search, the default without conversation context
(``context_weight`` 0), its vector arm alone and its text arm alone (turned off
through ``weights``), and two baselines computed in Python over the same
stored memories: exact cosine (numpy, the stored vectors) and BM25 (k1 1.2, b 0.75,
over the memories' own full-text lexemes).

Environment: LOCOMO_DIR (the conversations, default ../shared/data/locomo-dev next
to the repository or to a directory above it), BENCH_NAME (results go to
bench/results/quality_<name>.json and .md; default ``latest``), BENCH_RESULTS_DIR,
BENCH_QUALITY_WEIGHTS (a JSON object of extra weights for every pgcortex search, for
tuning), BENCH_KEEP=1 (keep the database, pgcortex_bench_quality[_<name>]), PGCORTEX_DSN
(another server; default the embedded one). The data is read where it lies, never
copied; embeddings are cached in bench/.cache.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import math
import os
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
from pgvector.asyncpg import register_vector

from . import db
from .progress import Progress, note

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
KS = (1, 5, 10)
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
EVIDENCE_RE = re.compile(r"D:?(\d+):0*(\d+)")
SEARCH = """
select s.id
from pgcortex.search_memories(
    query_embedding => $1, query_text => $2, k => $3, weights => $4::jsonb,
    track => $5, embedding_model => $6
) as s
order by s.rank
"""
#: Every turn a conversation memory (the short ones too), of importance 3 like a
#: plain store.
TURN_SETTINGS = (
    "select pgcortex.set_knowledge_settings(turn_memory_min_chars => 0,"
    " turn_memory_importance => 3::smallint, turn_memory_key_importance => 3::smallint)"
)
START_SESSION = "select s.session_id from pgcortex.start_session(metadata => $1::jsonb) as s"
END_SESSION = "select pgcortex.end_session($1)"
STORE_TURN = (
    "select t.memory_id::text from pgcortex.store_conversation_turn(role => $1, content => $2,"
    " session_id => $3, context => $4::jsonb, embedding => $5, embedding_model => $6) as t"
)


def locomo_dir() -> Path:
    given = os.environ.get("LOCOMO_DIR")
    # ../shared/data/locomo-dev next to the repository (or next to a parent
    # directory holding it, as for a git worktree).
    near = [p / "shared" / "data" / "locomo-dev" for p in ROOT.parents]
    path = Path(given) if given else next((p for p in near if p.is_dir()), near[0])
    if not path.is_dir() or not sorted(path.glob("*.json")):
        sys.exit(
            f"bench-quality: no LoCoMo conversations (*.json) in {path}.\n"
            "Set LOCOMO_DIR to a directory holding LoCoMo conversation files "
            "(one JSON object per conversation: speaker_a, session_N, qa, ...)."
        )
    return path


class Conversation:
    """One LoCoMo conversation: its turns as memories, its questions with evidence."""

    def __init__(self, path: Path) -> None:
        raw = json.loads(path.read_text())
        self.name = path.stem
        self.speaker_a = str(raw.get("speaker_a", ""))
        self.turns: list[tuple[str, str, str]] = []  # (dia_id, content, session date)
        sessions = sorted(
            (int(k.split("_")[1]), k)
            for k in raw
            if re.fullmatch(r"session_\d+", k) and isinstance(raw[k], list)
        )
        for _, key in sessions:
            when = str(raw.get(key + "_date_time", ""))
            for turn in raw[key]:
                content = f"{turn['speaker']}: {turn['text']}"
                if turn.get("blip_caption"):
                    content += f" [image: {turn['blip_caption']}]"
                self.turns.append((str(turn["dia_id"]), content, when))
        known = {t[0] for t in self.turns}
        self.questions: list[tuple[str, int, set[str]]] = []
        self.evidence_notes: Counter[str] = Counter()
        for qa in raw.get("qa", []):
            category = int(qa.get("category", 0))
            if category not in CATEGORIES:
                continue
            evidence: set[str] = set()
            for item in qa.get("evidence", []):
                found = EVIDENCE_RE.findall(str(item))
                if len(found) > 1:
                    self.evidence_notes["split (two ids in one string)"] += 1
                if not found:
                    self.evidence_notes["dropped (unreadable)"] += 1
                for session, turn in found:
                    norm = f"D{int(session)}:{int(turn)}"
                    if norm != str(item).strip() and len(found) == 1:
                        self.evidence_notes["normalised (malformed id)"] += 1
                    if norm in known:
                        evidence.add(norm)
                    else:
                        self.evidence_notes["dropped (no such turn)"] += 1
            if evidence:
                self.questions.append((str(qa["question"]), category, evidence))
            else:
                self.evidence_notes["questions without usable evidence (left out)"] += 1


def embed_cached(embedder: Any, texts: list[str], label: str) -> np.ndarray:
    key = hashlib.sha256(("\x00".join(texts) + embedder.model_name).encode()).hexdigest()[:16]
    path = CACHE / f"{label}-{len(texts)}-{key}.npy"
    if path.is_file():
        cached: np.ndarray = np.load(path)
        return cached
    out = np.empty((len(texts), 384), dtype=np.float32)
    step = 128
    with Progress(f"embed {label}", len(texts), unit="texts") as bar:
        for lo in range(0, len(texts), step):
            out[lo : lo + step] = np.asarray(embedder.embed(texts[lo : lo + step]))
            bar.advance(min(step, len(texts) - lo))
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def bm25_scores(
    docs: list[dict[str, int]], query: list[str], k1: float = 1.2, b: float = 0.75
) -> np.ndarray:
    n = len(docs)
    lengths = np.array([sum(d.values()) for d in docs], dtype=np.float64)
    avg = float(lengths.mean()) if n else 1.0
    scores = np.zeros(n)
    for term in set(query):
        tf = np.array([d.get(term, 0) for d in docs], dtype=np.float64)
        df = int((tf > 0).sum())
        if df == 0:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        scores += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths / avg))
    return scores


def top_ids(scores: np.ndarray, ids: list[str], k: int) -> list[str]:
    # Best first; ties by id (ids are random uuids: no bias to old rows).
    order = sorted(range(len(ids)), key=lambda i: (-float(scores[i]), ids[i]))[:k]
    return [ids[i] for i in order if scores[i] > 0 or math.isfinite(scores[i])]


class Tally:
    def __init__(self) -> None:
        self.rows: dict[str, list[list[float]]] = defaultdict(list)

    def add(self, category: int, found: list[set[str]], evidence: set[str]) -> None:
        vals = []
        for k in KS:
            got: set[str] = set().union(*found[:k]) if found[:k] else set()
            vals.append(len(got & evidence) / len(evidence))
        got10: set[str] = set().union(*found[:10]) if found[:10] else set()
        vals.append(1.0 if got10 & evidence else 0.0)
        self.rows[CATEGORIES[category]].append(vals)
        self.rows["overall"].append(vals)

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for cat, vals in self.rows.items():
            arr = np.array(vals)
            out[cat] = {
                "questions": len(vals),
                "recall@1": round(float(arr[:, 0].mean()), 3),
                "recall@5": round(float(arr[:, 1].mean()), 3),
                "recall@10": round(float(arr[:, 2].mean()), 3),
                "hit@10": round(float(arr[:, 3].mean()), 3),
            }
        return out


async def run() -> dict[str, Any]:
    from pgcortex.embedding import MiniLMEmbedder

    data_dir = locomo_dir()
    convs = [Conversation(p) for p in sorted(data_dir.glob("*.json"))]
    embedder = MiniLMEmbedder()
    extra = json.loads(os.environ.get("BENCH_QUALITY_WEIGHTS") or "{}")
    variants: dict[str, tuple[dict[str, Any], bool, bool]] = {
        # name: (weights, use vector, use text); tracking as a user's default.
        "default": ({}, True, True),
        "vector arm": ({"text_weight": 0}, True, True),
        "text arm": ({"vector_weight": 0}, True, True),
        "default, no conversation context": ({"context_weight": 0}, True, True),
    }
    tallies = {name: Tally() for name in [*variants, "exact cosine", "BM25"]}
    timings: dict[str, list[float]] = defaultdict(list)
    store_s = 0.0
    stored = merged = 0
    notes: Counter[str] = Counter()
    keep = os.environ.get("BENCH_KEEP", "") not in ("", "0")
    name = os.environ.get("BENCH_NAME", "latest")
    with db.fresh_database("quality" if name == "latest" else f"quality_{name}", keep=keep) as dsn:
        conn = await asyncpg.connect(db.asyncpg_dsn(dsn))
        try:
            await register_vector(conn)
            for conv in convs:
                notes.update(conv.evidence_notes)
                ns = f"locomo-{conv.name}"
                await conn.execute(
                    "select pg_catalog.set_config('pgcortex.namespace', $1, false)", ns
                )
                vectors = embed_cached(embedder, [t[1] for t in conv.turns], f"locomo-{conv.name}")
                qvecs = embed_cached(
                    embedder, [q[0] for q in conv.questions], f"locomo-{conv.name}-q"
                )
                # Each LoCoMo session a session: the turns keep their order,
                # which the search's conversation context reads.
                await conn.execute(TURN_SETTINGS)
                turn_map: dict[str, set[str]] = defaultdict(set)
                session: Any = None
                session_key = None
                t0 = time.perf_counter()
                with Progress(f"store {conv.name}", len(conv.turns), unit="turns") as bar:
                    for (dia, content, when), vec in zip(conv.turns, vectors, strict=True):
                        key = dia.split(":")[0]
                        if key != session_key:
                            if session is not None:
                                await conn.execute(END_SESSION, session)
                            session = await conn.fetchval(
                                START_SESSION,
                                json.dumps({"locomo_session": key, "session_time": when}),
                            )
                            session_key = key
                        role = "user" if content.startswith(conv.speaker_a + ":") else "assistant"
                        memory_id = await conn.fetchval(
                            STORE_TURN,
                            role,
                            content,
                            session,
                            json.dumps({"dia_id": dia}),
                            vec,
                            embedder.model_name,
                        )
                        stored += 1
                        merged += memory_id in turn_map
                        turn_map[memory_id].add(dia)
                        bar.advance()
                    if session is not None:
                        await conn.execute(END_SESSION, session)
                store_s += time.perf_counter() - t0
                await conn.execute("analyze pgcortex.memories")
                rows = await conn.fetch(
                    "select m.id::text as id, m.embedding,"
                    " (select coalesce(pg_catalog.jsonb_object_agg(u.lexeme,"
                    " pg_catalog.cardinality(u.positions)), '{}') from"
                    " pg_catalog.unnest(m.content_tsv) as u) as tf"
                    " from pgcortex.memories as m where m.namespace = $1 order by m.id",
                    ns,
                )
                ids = [r["id"] for r in rows]
                turns = {r["id"]: turn_map[r["id"]] for r in rows}
                mat = np.array(
                    [np.asarray(r["embedding"].to_list()) for r in rows], dtype=np.float64
                )
                mat /= np.linalg.norm(mat, axis=1, keepdims=True)
                tfs = [json.loads(r["tf"]) if isinstance(r["tf"], str) else r["tf"] for r in rows]
                for (question, category, evidence), qv in zip(conv.questions, qvecs, strict=True):
                    q = np.asarray(qv, dtype=np.float64)
                    q /= np.linalg.norm(q)
                    cos_top = top_ids(mat @ q, ids, 10)
                    tallies["exact cosine"].add(category, [turns[i] for i in cos_top], evidence)
                    qlex = await conn.fetchval(
                        "select pg_catalog.tsvector_to_array("
                        "pg_catalog.to_tsvector('english', $1))",
                        question,
                    )
                    bm = bm25_scores(tfs, list(qlex))
                    bm_top = [i for i in top_ids(bm, ids, 10) if bm[ids.index(i)] > 0]
                    tallies["BM25"].add(category, [turns[i] for i in bm_top], evidence)
                # pgcortex: the arms first without tracking, then the default search
                # as a user runs it (every search counts its accesses).
                for name in [
                    "vector arm",
                    "text arm",
                    "default, no conversation context",
                    "default",
                ]:
                    weights, _, _ = variants[name]
                    track = name == "default"
                    w = json.dumps({**extra, **weights}) if (extra or weights) else None
                    for (question, category, evidence), qv in zip(
                        conv.questions, qvecs, strict=True
                    ):
                        t0 = time.perf_counter()
                        hits = await conn.fetch(
                            SEARCH, qv, question, 10, w, track, embedder.model_name
                        )
                        timings[name].append((time.perf_counter() - t0) * 1000)
                        tallies[name].add(category, [turns[str(h["id"])] for h in hits], evidence)
        finally:
            await conn.close()
    return {
        "name": os.environ.get("BENCH_NAME", "latest"),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data": {
            "conversations": [c.name for c in convs],
            "turns": stored,
            "merged_as_near_duplicates": merged,
            "questions": sum(len(c.questions) for c in convs),
            "evidence_ids": dict(notes),
        },
        "model": embedder.model_name,
        "weights": extra,
        "results": {name: t.summary() for name, t in tallies.items()},
        "search_ms_p50": {n: round(statistics.median(v), 2) for n, v in timings.items()},
        "store_per_s": round(stored / store_s, 1) if store_s else None,
    }


def markdown(res: dict[str, Any]) -> str:
    lines = [
        f"# Retrieval quality: {res['name']} ({res['date']})",
        "",
        f"LoCoMo {', '.join(res['data']['conversations'])}: {res['data']['turns']} turns stored "
        f"({res['data']['merged_as_near_duplicates']} merged as near duplicates), "
        f"{res['data']['questions']} questions of categories 1-4, model {res['model']}, k = 10."
        + (f" Extra weights: `{json.dumps(res['weights'])}`." if res["weights"] else ""),
        "",
        "| search | category | questions | recall@1 | recall@5 | recall@10 | hit@10 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, cats in res["results"].items():
        order = ["overall", *CATEGORIES.values()]
        for cat in [c for c in order if c in cats]:
            s = cats[cat]
            label = f"**{cat}**" if cat == "overall" else cat
            lines.append(
                f"| {name} | {label} | {s['questions']} | {s['recall@1']:.3f} | "
                f"{s['recall@5']:.3f} | {s['recall@10']:.3f} | {s['hit@10']:.3f} |"
            )
    lines += [
        "",
        "Search p50 (ms, one client, these small namespaces): "
        + ", ".join(f"{k} {v}" for k, v in res["search_ms_p50"].items())
        + f"; store {res['store_per_s']} turns/s through store_conversation_turn.",
        "",
        "Evidence ids: "
        + (
            ", ".join(f"{k}: {v}" for k, v in sorted(res["data"]["evidence_ids"].items()))
            or "all clean"
        )
        + ".",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    res = asyncio.run(run())
    out_dir = Path(os.environ.get("BENCH_RESULTS_DIR") or Path(__file__).parent / "results")
    out_dir.mkdir(parents=True, exist_ok=True)
    base = out_dir / f"quality_{res['name']}"
    base.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n")
    md = markdown(res)
    base.with_suffix(".md").write_text(md)
    print(md)
    note(f"wrote {base}.json and .md")


if __name__ == "__main__":
    main()
