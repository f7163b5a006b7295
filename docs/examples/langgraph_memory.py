"""A LangGraph agent whose long-term memory is pgcortex (no LLM: the replies are scripted).

Each turn runs three nodes: ``recall`` searches the user's memories in the store for
the message, ``respond`` answers from what it recalled, ``remember`` keeps any
"I like ..." / "my ... is ..." fact the user states. The memories live in pgcortex
(``AsyncPgcortexStore``), one path per user inside the pgcortex namespace, so a new
conversation (a new thread) still knows them. With the extra ``embed`` installed the
store searches by meaning (MiniLM); without it, by full text.

Run it against the embedded server (``make db-up``) or any deployed database::

    python docs/examples/langgraph_memory.py [--dsn postgresql://...] [--namespace demo]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import uuid
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.store.base import BaseStore

import pgcortex
from pgcortex.embedding import default_embedder
from pgcortex.integrations.langgraph import AsyncPgcortexStore, PgcortexIndexConfig

FACT = re.compile(r"\b(?:i (?:like|love|prefer)|my [a-z ]+ is)\b[^?]*$", re.IGNORECASE)


class State(TypedDict):
    user_id: str
    message: str
    recalled: list[str]
    reply: str


async def recall(state: State, *, store: BaseStore) -> dict[str, Any]:
    hits = await store.asearch(
        ("users", state["user_id"], "memories"), query=state["message"], limit=3
    )
    return {"recalled": [h.value["text"] for h in hits]}


async def respond(state: State) -> dict[str, Any]:
    if FACT.search(state["message"]):
        return {"reply": "Noted, I will remember that."}
    if state["recalled"]:
        return {"reply": "From what you told me: " + "; ".join(state["recalled"])}
    return {"reply": "I do not know anything about that yet."}


async def remember(state: State, *, store: BaseStore) -> dict[str, Any]:
    match = FACT.search(state["message"])
    if match:
        await store.aput(
            ("users", state["user_id"], "memories"), str(uuid.uuid4()), {"text": match.group(0)}
        )
    return {}


def build_graph(store: BaseStore) -> Any:
    graph = StateGraph(State)
    graph.add_node("recall", recall)
    graph.add_node("respond", respond)
    graph.add_node("remember", remember)
    graph.add_edge(START, "recall")
    graph.add_edge("recall", "respond")
    graph.add_edge("respond", "remember")
    graph.add_edge("remember", END)
    return graph.compile(store=store)


async def main(dsn: str | None = None, namespace: str = "langgraph-demo") -> list[str]:
    """Run a short scripted conversation; return the agent's replies."""
    embedder = default_embedder()
    index: PgcortexIndexConfig | None = None
    if embedder is not None:
        index = {
            "dims": embedder.dimensions,
            "embed": lambda texts: embedder.embed(texts).tolist(),
            "fields": ["text"],
            "embedding_model": embedder.model_name,
        }
    client = await pgcortex.connect(dsn, namespace=namespace)
    replies = []
    async with AsyncPgcortexStore(client, index=index) as store:
        await store.setup()
        agent = build_graph(store)
        for message in [
            "Hi! I like green tea in the morning.",
            "My favourite city is Lisbon.",
            "What do I like to drink?",
            "Which city do I like?",
        ]:
            out = await agent.ainvoke({"user_id": "alice", "message": message, "recalled": []})
            print(f"user:  {message}\nagent: {out['reply']}")
            replies.append(out["reply"])
    await client.close()
    return replies


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=None, help="database (default: the embedded server)")
    parser.add_argument("--namespace", default="langgraph-demo")
    options = parser.parse_args()
    asyncio.run(main(options.dsn, options.namespace))
