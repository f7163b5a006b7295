"""Embedding-model commands: models, register-model, drop-model, reembed, drop-old-embeddings."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
from typing import TYPE_CHECKING, Any

from ..errors import wrap_errors
from ..queries import models as model_queries
from .common import CliError, add_json, connect, note, print_json, run
from .output import table

if TYPE_CHECKING:
    from ..client import Client
    from ..embedding import Embedder
    from ..records import EmbeddingModel, ReembedStatus

#: How often the build's progress is read (seconds).
PROGRESS_INTERVAL = 0.5


def _model_rows(models: list[EmbeddingModel]) -> str:
    return table(
        ["id", "name", "dims", "distance", "storage", "normalise", "default", "index"],
        [
            (
                m.model_id,
                m.name,
                m.dimensions,
                m.distance,
                m.storage,
                "yes" if m.normalize_vectors else "",
                "yes" if m.is_default else "",
                f"{m.index_name} ({m.index_state})",
            )
            for m in models
        ],
    )


async def _models(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        models = await client.list_embedding_models()
    if args.json:
        print_json(models)
    else:
        print(_model_rows(models))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    return run(_models(args))


async def build_index(client: Client, model: EmbeddingModel, *, quiet: bool = False) -> None:
    """Build the model's HNSW index with ``create index concurrently`` (writes go on
    meanwhile), printing the build's progress from pg_stat_progress_create_index."""
    index = f"pgcortex.{model.index_name}"
    async with client.pool.acquire() as build, client.pool.acquire() as watch:
        with wrap_errors():
            if model.index_state == "building":
                # Left invalid by a build that failed or was cancelled: start over.
                await build.execute(
                    f'drop index concurrently if exists pgcortex."{model.index_name}"'
                )
            ddl = await client.embedding_model_index_sql(model.name, concurrently=True, conn=build)
            task = asyncio.create_task(build.execute(ddl))
            last = ""
            while not task.done():
                await asyncio.wait({task}, timeout=PROGRESS_INTERVAL)
                if quiet or task.done():
                    continue
                row = await watch.fetchrow(model_queries.INDEX_BUILD_PROGRESS, index)
                if row is None:
                    continue
                blocks = (
                    f" {row['blocks_done']:,}/{row['blocks_total']:,} blocks"
                    if row["blocks_total"]
                    else ""
                )
                tuples = (
                    f" {row['tuples_done']:,}/{row['tuples_total']:,} rows"
                    if row["tuples_total"]
                    else ""
                )
                line = f"{model.index_name}: {row['phase']}{blocks}{tuples}"
                if line != last:
                    sys.stderr.write("\r" + line.ljust(len(last)))
                    sys.stderr.flush()
                    last = line
            if last:
                sys.stderr.write("\n")
            await task


async def _register(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        model = await client.register_embedding_model(
            args.name,
            args.dimensions,
            distance=args.distance,
            storage=args.storage,
            normalize_vectors=True if args.normalize else None,
            create_index=False,
        )
        if model.index_state != "valid":
            started = time.monotonic()
            await build_index(client, model, quiet=args.quiet)
            note(f"built {model.index_name} in {time.monotonic() - started:.1f} s")
            model = await client.embedding_model_row(model.name) or model
    if args.json:
        print_json(model)
    else:
        print(_model_rows([model]))
    return 0


def cmd_register(args: argparse.Namespace) -> int:
    return run(_register(args))


async def _drop(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        model = await client.drop_embedding_model(args.name)
    if args.json:
        print_json(model)
    else:
        print(f"dropped model {model.name} and its index {model.index_name}")
    return 0


def cmd_drop(args: argparse.Namespace) -> int:
    return run(_drop(args))


def resolve_embedder(args: argparse.Namespace) -> Embedder:
    """The embedder of the model to re-embed into: ``--embedder module:callable``
    (a callable returning an :class:`~pgcortex.embedding.Embedder`), else the
    offline MiniLM when ``--to`` names it."""
    if args.embedder:
        module, _, attr = args.embedder.partition(":")
        if not module or not attr:
            raise CliError("--embedder takes module:callable", hint="e.g. mypkg.embedders:make")
        try:
            factory = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise CliError(f"cannot load {args.embedder}: {exc}") from exc
        embedder: Embedder = factory()
    else:
        from ..embedding import MINILM_MODEL_NAME, MiniLMEmbedder

        if args.to != MINILM_MODEL_NAME:
            raise CliError(
                f"no embedder for model {args.to}",
                hint="give --embedder module:callable returning an embedder of that model",
            )
        embedder = MiniLMEmbedder()
    if embedder.model_name != args.to:
        raise CliError(f"the embedder makes {embedder.model_name}, not {args.to}")
    return embedder


class ReembedBar:
    """One line on stderr: memories embedded of the namespace's total, per second."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, before: ReembedStatus, staged: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        done = before.staged + staged
        share = min(done / before.total, 1.0) if before.total else 1.0
        filled = int(share * 24)
        rate = staged / max(now - self.started, 1e-9)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (24 - filled)}] {share:4.0%} {done:>10,}/{before.total:,}"
            f" memories  {rate:>7,.0f}/s"
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.last:
            self.stream.write("\n")
            self.stream.flush()


async def _reembed(args: argparse.Namespace) -> int:
    from ..reembed import reembed

    embedder = resolve_embedder(args)
    bar = ReembedBar()
    async with await connect(args) as client:
        try:
            report = await reembed(
                client,
                embedder,
                distance=args.distance,
                storage=args.storage,
                normalize_vectors=True if args.normalize else None,
                batch_size=args.batch_size,
                max_rate=args.rate,
                switch=not args.no_switch,
                progress=None if args.quiet else bar,
            )
        finally:
            bar.finish()
    if args.json:
        print_json(report)
        return 0
    st = report.status
    print(
        f"embedded {report.staged:,} memories with {report.model} in {report.seconds:.1f} s;"
        f" {st.remaining:,} of {st.total:,} left"
    )
    if report.switch is not None:
        print(
            f"namespace switched to {report.switch.current_model}"
            + (
                f" (from {report.switch.previous_model}; drop its vectors with"
                " pgcortex drop-old-embeddings)"
                if report.switch.previous_model
                else ""
            )
        )
    return 0


def cmd_reembed(args: argparse.Namespace) -> int:
    return run(_reembed(args))


async def _drop_old(args: argparse.Namespace) -> int:
    async with await connect(args) as client:
        dropped = await client.maint_drop_old_embeddings(args.model)
    if args.json:
        print_json(dropped)
    else:
        print(table(["model", "vectors dropped"], sorted(dropped.items())) if dropped else "none")
    return 0


def cmd_drop_old(args: argparse.Namespace) -> int:
    return run(_drop_old(args))


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--distance", choices=["cosine", "l2", "inner_product"], help="default cosine")
    p.add_argument(
        "--storage",
        choices=["vector", "halfvec"],
        help="index storage (default vector up to 1,024 dimensions, halfvec above)",
    )
    p.add_argument("--normalize", action="store_true", help="scale vectors to length 1")


def register(sub: Any) -> None:
    p = sub.add_parser("models", help="list the registered embedding models and their indexes")
    add_json(p)
    p.set_defaults(func=cmd_models)

    p = sub.add_parser(
        "register-model",
        help="register an embedding model and build its HNSW index without blocking writes",
    )
    p.add_argument("name")
    p.add_argument("--dimensions", "-d", type=int, required=True)
    _model_options(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    add_json(p)
    p.set_defaults(func=cmd_register)

    p = sub.add_parser("drop-model", help="unregister a model no vector uses, and drop its index")
    p.add_argument("name")
    add_json(p)
    p.set_defaults(func=cmd_drop)

    p = sub.add_parser(
        "reembed",
        help="embed the namespace with another model beside the current one, then switch to it",
    )
    p.add_argument("--to", required=True, help="the model to re-embed into")
    p.add_argument(
        "--embedder",
        help="module:callable returning the model's embedder (default: the offline MiniLM)",
    )
    _model_options(p)
    p.add_argument("--batch-size", type=int, default=64, help="memories per batch (default 64)")
    p.add_argument("--rate", type=float, help="at most this many memories per second")
    p.add_argument(
        "--no-switch", action="store_true", help="embed only; switch later with a second run"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    add_json(p)
    p.set_defaults(func=cmd_reembed)

    p = sub.add_parser(
        "drop-old-embeddings",
        help="drop the vectors the last switch left beside the current ones",
    )
    p.add_argument("--model", help="drop this model's vectors instead (cancels its re-embed)")
    add_json(p)
    p.set_defaults(func=cmd_drop_old)
