"""An OpenAI Agents SDK session kept in pgcortex (extra ``openai-agents``).

:class:`PgcortexSession` implements the SDK's ``Session`` protocol (``get_items``,
``add_items``, ``pop_item``, ``clear_session``) over pgcortex conversation sessions
and turns. The SDK's ``session_id`` is the key of one pgcortex session of the
client's namespace (kept in its metadata as ``session_key``). Every item is one
turn holding the item's exact JSON, so ``get_items`` returns what was added;
user and assistant messages are ordinary conversation turns too (searchable, and
substantial ones become conversation memories, embedded by the client's
embedder). Each method is one SQL function call (``pgcortex.add_session_items``
and friends), plus one to learn which items to embed when the client embeds::

    import pgcortex
    from agents import Agent, Runner
    from pgcortex.integrations.openai_agents import PgcortexSession

    client = await pgcortex.connect(namespace="alice")
    session = PgcortexSession("support-chat", client)
    result = await Runner.run(agent, "Hello", session=session)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from agents.memory.session_settings import (
    SessionSettings,
    coerce_session_settings,
    resolve_session_limit,
)

from .. import args
from ..queries import integrations as q

if TYPE_CHECKING:
    from agents.items import TResponseInputItem

    from ..client import Client

__all__ = ["PgcortexSession"]


class PgcortexSession:
    """The SDK's ``Session`` over the pgcortex session keyed ``session_id``.

    ``client`` is a :class:`pgcortex.Client`; its namespace holds the session
    (another namespace never sees it). The client is not closed by the session
    unless the session made it (:meth:`open`).
    """

    session_id: str
    session_settings: SessionSettings | None

    def __init__(
        self,
        session_id: str,
        client: Client,
        *,
        session_settings: SessionSettings | dict[str, Any] | None = None,
        owns_client: bool = False,
    ) -> None:
        self.session_id = session_id
        self.client = client
        self.session_settings = (
            coerce_session_settings(session_settings) if session_settings is not None else None
        )
        self._owns_client = owns_client

    @classmethod
    async def open(
        cls,
        session_id: str,
        dsn: str | None = None,
        *,
        namespace: str | None = None,
        embedder: Any = None,
        session_settings: SessionSettings | dict[str, Any] | None = None,
    ) -> PgcortexSession:
        """A session on a client of its own (see :func:`pgcortex.connect`); close it
        with :meth:`close`."""
        from ..client import connect

        client = await connect(dsn, namespace=namespace, embedder=embedder)
        return cls(session_id, client, session_settings=session_settings, owns_client=True)

    async def close(self) -> None:
        """Close the client when the session made it."""
        if self._owns_client:
            await self.client.close()

    def __repr__(self) -> str:
        return f"PgcortexSession({self.session_id!r}, namespace={self.client.namespace!r})"

    # -- the Session protocol ---------------------------------------------------------

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """The session's items in the order they were added; with ``limit`` (or the
        settings' limit), the latest ``limit`` of them, still oldest first."""
        max_items = resolve_session_limit(limit, self.session_settings)
        records = await self.client._fetch(q.GET_SESSION_ITEMS, self.session_id, max_items)
        return [cast("TResponseInputItem", r["item"]) for r in records]

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Append ``items`` (one turn each, in order, in one transaction)."""
        if not items:
            return
        payload = list(items)
        embeddings, model = await self._embeddings(payload)
        await self.client._fetch(
            q.ADD_SESSION_ITEMS, self.session_id, payload, args.vectors(embeddings), model, None
        )

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove the most recent item and return it (None when the session is empty)."""
        record = await self.client._fetchrow(q.POP_SESSION_ITEM, self.session_id)
        return None if record is None else cast("TResponseInputItem", record["item"])

    async def clear_session(self) -> None:
        """Remove every item of the session (conversation memories they became stay)."""
        await self.client._fetchval(q.CLEAR_SESSION_ITEMS, self.session_id)

    # -- pgcortex ---------------------------------------------------------------------

    async def pgcortex_session_id(self) -> UUID | None:
        """The id of the pgcortex session behind this key (None before the first item),
        for the rest of the API: end_session, get_conversation_context, ..."""
        value: UUID | None = await self.client._fetchval(q.SESSION_BY_KEY, self.session_id)
        return value

    async def _embeddings(self, payload: Sequence[Any]) -> tuple[list[Any] | None, str | None]:
        """Embeddings for the conversational items (the others get None) when the
        client embeds; which items those are is the database's rule."""
        if self.client.embedder is None:
            return None, None
        turns = await self.client._fetch(q.SESSION_ITEM_TURNS, list(payload))
        wanted = [(int(t["ordinality"]), str(t["content"])) for t in turns if t["conversational"]]
        if not wanted:
            return None, None
        vectors = await self.client._embed([text for _, text in wanted])
        if vectors is None:
            return None, None
        embeddings: list[Any] = [None] * len(payload)
        for (ordinality, _), vector in zip(wanted, vectors, strict=True):
            embeddings[ordinality - 1] = vector
        return embeddings, self.client._model(None)
