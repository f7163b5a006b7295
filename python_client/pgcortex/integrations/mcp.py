"""pgcortex as a Model Context Protocol server over stdio (extra ``mcp``).

``pgcortex mcp`` serves one namespace to an MCP client (Claude Desktop, Claude Code,
Cursor, ...) with the official ``mcp`` SDK. Each tool is one client call:

========================  =====================================================
remember                  :meth:`~pgcortex.Client.store_memory`
recall                    :meth:`~pgcortex.Client.search_memories` (score breakdown)
forget                    :meth:`~pgcortex.Client.delete_memory`
update_memory             :meth:`~pgcortex.Client.update_memory`
get_context               :meth:`~pgcortex.Client.get_contextual_knowledge`
set_preference            :meth:`~pgcortex.Client.learn_user_preference`
get_preferences           :meth:`~pgcortex.Client.get_user_preferences`
list_recent_memories      :meth:`~pgcortex.Client.list_memories`
memory_summary            :meth:`~pgcortex.Client.get_memory_summary`
========================  =====================================================

A tool returns its result as JSON (text and structured content). A pgcortex error
comes back as a tool error whose structured content is
``{"error": {"code", "message", "detail", "hint"}}`` (code: the SQLSTATE, e.g.
PC030). The namespace and the database come from the arguments or PGCORTEX_NAMESPACE
and PGCORTEX_DSN (else the embedded server); the embedder is MiniLM when the extra
``embed`` is installed (loaded once, at start), else search is by text only.
Everything but the protocol goes to stderr.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from .. import __version__
from ..errors import PgcortexError

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["build_server", "main", "serve"]

#: Memory types every pgcortex database has (pgcortex.memory_types may hold more).
MEMORY_TYPES = (
    "business_fact, strategic_insight, user_preference, process_knowledge, "
    "market_intelligence, technical_knowledge, relationship, conversation"
)

INSTRUCTIONS = (
    "pgcortex is your long-term memory. Call get_context at the start of a task for what "
    "is known about it; remember facts, decisions and preferences worth keeping; recall "
    "by meaning before asking the user again; forget or update what turned out wrong."
)

# -- results ---------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A JSON-ready copy of a client result (dataclasses, UUIDs, times); embeddings and
    the raw copy of a context bundle are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in ("embedding", "raw")
        }
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _ok(data: dict[str, Any], text: str | None = None) -> CallToolResult:
    body = text if text is not None else json.dumps(data, ensure_ascii=False, indent=1)
    return CallToolResult(content=[TextContent(type="text", text=body)], structured_content=data)


def _error(exc: PgcortexError) -> CallToolResult:
    error = {"code": exc.code, "message": exc.message, "detail": exc.detail, "hint": exc.hint}
    text = f"pgcortex error {exc.code or '-'}: {exc}"
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content={"error": error},
        is_error=True,
    )


async def _call(
    call: Awaitable[Any], shape: Callable[[Any], dict[str, Any]], text: Callable[[Any], str] | None
) -> CallToolResult:
    try:
        value = await call
    except PgcortexError as exc:
        return _error(exc)
    return _ok(shape(value), None if text is None else text(value))


def render_context(bundle: Mapping[str, Any]) -> str:
    """The context bundle as text for a prompt: memories, preferences, recent turns,
    clusters and patterns, best first."""
    lines: list[str] = []
    memories = bundle.get("memories") or []
    if memories:
        lines.append("## Relevant memories")
        for m in memories:
            tags = f" [{', '.join(m['tags'])}]" if m.get("tags") else ""
            lines.append(
                f"- ({m['memory_type']}, importance {m['importance']}{tags}) {m['content']} "
                f"(id {m['id']})"
            )
    preferences = bundle.get("preferences") or {}
    if preferences:
        lines.append("## User preferences")
        for key, pref in preferences.items():
            lines.append(
                f"- {key}: {json.dumps(pref['value'], ensure_ascii=False)} "
                f"(confidence {pref['confidence']})"
            )
    turns = bundle.get("recent_turns") or []
    if turns:
        lines.append("## Recent conversation")
        for t in turns:
            lines.append(f"- {t['role']}: {t['content']}")
    clusters = bundle.get("clusters") or []
    if clusters:
        lines.append("## Knowledge clusters")
        for c in clusters:
            lines.append(f"- {c['name']}: {', '.join(c.get('topics') or [])}")
    patterns = bundle.get("patterns") or []
    if patterns:
        lines.append("## Learned patterns")
        for p in patterns:
            lines.append(f"- {p.get('description') or p.get('pattern_key') or p}")
    return "\n".join(lines) if lines else "Nothing is known yet for this query."


# -- the server ------------------------------------------------------------------------

_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def build_server(client: Client) -> MCPServer:
    """The MCP server whose tools call ``client`` (one call per tool)."""
    server = MCPServer(
        "pgcortex",
        title="pgcortex memory",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )

    @server.tool(
        name="remember",
        description=(
            "Store a memory (a fact, decision, preference, insight...) for the long term. "
            "The same content stored again reinforces the existing memory; a near "
            "duplicate is merged into it. Returns its id and whether it was inserted, "
            "updated or merged."
        ),
        annotations=ToolAnnotations(destructive_hint=False, open_world_hint=False),
    )
    async def remember(
        content: Annotated[
            str, Field(description="What to remember, as a self-contained sentence.")
        ],
        memory_type: Annotated[str, Field(description=f"Kind of memory: {MEMORY_TYPES}.")],
        importance: Annotated[
            int, Field(ge=1, le=5, description="1 (trivia) to 5 (critical).")
        ] = 3,
        tags: Annotated[list[str] | None, Field(description="Short labels to filter by.")] = None,
    ) -> CallToolResult:
        return await _call(
            client.store_memory(content, memory_type, importance, tags=tags), plain, None
        )

    @server.tool(
        name="recall",
        description=(
            "Search memories by meaning and by words (hybrid search), best first, each with "
            "its score breakdown: similarity, text_rank, relevance, fused_relevance and the "
            "recency, importance, confidence and access factors whose product is the score. "
            "Counts an access of each memory returned."
        ),
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, open_world_hint=False
        ),
    )
    async def recall(
        query: Annotated[str, Field(description="What to look for, in plain words.")],
        k: Annotated[int, Field(ge=1, le=100, description="How many memories at most.")] = 5,
        memory_types: Annotated[
            list[str] | None, Field(description="Only these kinds of memory.")
        ] = None,
        tags_any: Annotated[
            list[str] | None, Field(description="Only memories with one of these tags.")
        ] = None,
        min_importance: Annotated[
            int | None, Field(ge=1, le=5, description="Only this important or more.")
        ] = None,
        min_relevance: Annotated[
            float | None,
            Field(ge=0, le=1, description="Only memories at least this relevant (0..1)."),
        ] = None,
    ) -> CallToolResult:
        return await _call(
            client.search_memories(
                query,
                k=k,
                memory_types=memory_types,
                tags_any=tags_any,
                min_importance=min_importance,
                min_relevance=min_relevance,
            ),
            lambda hits: {"memories": plain(hits)},
            None,
        )

    @server.tool(
        name="forget",
        description="Delete one memory by id, for good (its links go too).",
        annotations=ToolAnnotations(
            destructive_hint=True, idempotent_hint=False, open_world_hint=False
        ),
    )
    async def forget(
        memory_id: Annotated[str, Field(description="The id of the memory (a UUID).")],
    ) -> CallToolResult:
        return await _call(client.delete_memory(memory_id), lambda i: {"deleted": str(i)}, None)

    @server.tool(
        name="update_memory",
        description=(
            "Change a memory: only the fields given change (the old version is kept in its "
            "history). New content is embedded again."
        ),
        annotations=ToolAnnotations(
            destructive_hint=True, idempotent_hint=True, open_world_hint=False
        ),
    )
    async def update_memory(
        memory_id: Annotated[str, Field(description="The id of the memory (a UUID).")],
        content: Annotated[str | None, Field(description="The new content.")] = None,
        memory_type: Annotated[
            str | None, Field(description=f"The new kind: {MEMORY_TYPES}.")
        ] = None,
        importance: Annotated[
            int | None, Field(ge=1, le=5, description="The new importance.")
        ] = None,
        confidence: Annotated[
            float | None, Field(ge=0, le=1, description="The new confidence.")
        ] = None,
        tags: Annotated[
            list[str] | None, Field(description="The new tags (replace the old).")
        ] = None,
    ) -> CallToolResult:
        return await _call(
            client.update_memory(
                memory_id,
                content=content,
                memory_type=memory_type,
                importance=importance,
                confidence=confidence,
                tags=tags,
            ),
            plain,
            None,
        )

    @server.tool(
        name="get_context",
        description=(
            "Everything known that bears on a query, ready for a prompt: the most relevant "
            "memories, the user's preferences, the recent conversation turns, relevant "
            "knowledge clusters and learned patterns. The text is for reading; the "
            "structured content is the whole bundle."
        ),
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, open_world_hint=False
        ),
    )
    async def get_context(
        query: Annotated[str | None, Field(description="The task or question at hand.")] = None,
        session_id: Annotated[
            str | None, Field(description="A conversation session id (UUID) for its recent turns.")
        ] = None,
        max_memories: Annotated[int, Field(ge=0, le=100, description="Memories at most.")] = 10,
        max_turns: Annotated[int, Field(ge=0, le=100, description="Recent turns at most.")] = 5,
    ) -> CallToolResult:
        return await _call(
            client.get_contextual_knowledge(
                query, session_id=session_id, max_memories=max_memories, max_turns=max_turns
            ),
            lambda bundle: plain(dict(bundle.raw)),
            lambda bundle: render_context(plain(dict(bundle.raw))),
        )

    @server.tool(
        name="set_preference",
        description=(
            "Record a user preference (any JSON value). It replaces the held value only when "
            "its confidence is at least the held one; every offer is kept in the history."
        ),
        annotations=ToolAnnotations(destructive_hint=False, open_world_hint=False),
    )
    async def set_preference(
        key: Annotated[str, Field(description="The preference, e.g. 'communication.tone'.")],
        value: Annotated[Any, Field(description="Its value: any JSON value.")],
        confidence: Annotated[float, Field(ge=0, le=1, description="How sure (0..1).")] = 1.0,
    ) -> CallToolResult:
        return await _call(
            client.learn_user_preference(key, value, confidence, source="mcp"), plain, None
        )

    @server.tool(
        name="get_preferences",
        description="The user's preferences by key: all, or those whose key contains a word.",
        annotations=_READ,
    )
    async def get_preferences(
        category: Annotated[str | None, Field(description="Only keys containing this.")] = None,
    ) -> CallToolResult:
        return await _call(
            client.get_user_preferences(category), lambda p: {"preferences": plain(p)}, None
        )

    @server.tool(
        name="list_recent_memories",
        description="The newest memories, newest first (no search; counts no access).",
        annotations=_READ,
    )
    async def list_recent_memories(
        limit: Annotated[int, Field(ge=1, le=200, description="How many at most.")] = 10,
        memory_types: Annotated[
            list[str] | None, Field(description="Only these kinds of memory.")
        ] = None,
    ) -> CallToolResult:
        return await _call(
            client.list_memories(memory_types=memory_types, order_by="newest", page_size=limit),
            lambda rows: {"memories": plain(rows)},
            None,
        )

    @server.tool(
        name="memory_summary",
        description=(
            "What the memory holds: memories by type, preferences, clusters, patterns, "
            "sessions and turns, the most accessed and the most important memories."
        ),
        annotations=_READ,
    )
    async def memory_summary() -> CallToolResult:
        return await _call(client.get_memory_summary(), plain, None)

    return server


# -- running it ------------------------------------------------------------------------


def _note(text: str) -> None:
    print(f"pgcortex mcp: {text}", file=sys.stderr, flush=True)


async def _open(dsn: str | None, namespace: str | None, text_only: bool) -> Client:
    """The client the server calls: connected, its embedder (if any) loaded."""
    import asyncio

    from ..client import connect
    from ..embedding import default_embedder

    embedder = None if text_only else default_embedder()
    # stdout is the protocol: nothing else may write to it, even while starting.
    with contextlib.redirect_stdout(sys.stderr):
        if embedder is None:
            _note(
                "search by text only"
                + ("" if text_only else " (install the extra 'embed' for search by meaning)")
            )
        else:
            started = time.perf_counter()
            await asyncio.to_thread(embedder.load)
            _note(f"embedder {embedder.model_name} loaded in {time.perf_counter() - started:.1f} s")
        return await connect(dsn, namespace=namespace, embedder=embedder)


async def serve(
    dsn: str | None = None, *, namespace: str | None = None, text_only: bool = False
) -> None:
    """Connect (the embedded server unless a DSN is given or set), load the embedder
    once, and serve over stdin/stdout until the client hangs up."""
    await _serve(dsn, namespace, text_only, sigterm=False)


async def _serve(dsn: str | None, namespace: str | None, text_only: bool, *, sigterm: bool) -> bool:
    """:func:`serve`; with ``sigterm``, SIGTERM ends it too, and True says it did.

    On SIGTERM the calls under way finish and their answers are written, then the
    database connections are closed. The serving task itself is left as it is: its
    reader of stdin waits in a thread that nothing can interrupt, so the caller
    ends the process.
    """
    import asyncio
    import signal

    client = await _open(dsn, namespace, text_only)
    loop = asyncio.get_running_loop()
    terminated = asyncio.Event()
    if sigterm:
        loop.add_signal_handler(signal.SIGTERM, terminated.set)
    try:
        _note(f"serving namespace {client.namespace!r} over stdio")
        serving = asyncio.ensure_future(build_server(client).run_stdio_async())
        waiting = asyncio.ensure_future(terminated.wait())
        await asyncio.wait({serving, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if serving.done():
            waiting.cancel()
            serving.result()  # the client hung up, or the server failed: say so
            return False
        _note("stopping (SIGTERM)")
        return True
    finally:
        if sigterm:
            loop.remove_signal_handler(signal.SIGTERM)
        await client.close()


def main(dsn: str | None = None, *, namespace: str | None = None, text_only: bool = False) -> int:
    """``pgcortex mcp``: serve until stdin closes or SIGTERM comes; exit status 0 either way."""
    import asyncio
    import os

    if asyncio.run(_serve(dsn, namespace, text_only, sigterm=True)):
        sys.stdout.flush()
        sys.stderr.flush()
        # The stdin reader's thread still waits on a pipe that stays open; the
        # connections are closed and nothing is left to write.
        os._exit(0)
    return 0
