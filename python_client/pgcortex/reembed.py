"""Re-embed a namespace into another model, online.

:func:`reembed` registers the model when needed, then embeds every memory of
the namespace that has an embedding with the new model, a batch at a time, and
stores the vectors beside the current ones (``pgcortex.reembed_stage``): searches
keep answering from the current model throughout. When nothing is left it
switches the namespace to the new model in one transaction
(``pgcortex.reembed_switch``). Killed at any point, it resumes where it stopped:
staged vectors stay staged and ``pgcortex.reembed_pending`` lists only the rest
(memories stored or changed meanwhile included). ``max_rate`` bounds the
memories embedded per second, so live traffic keeps its latency.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from .embedding import Embedder
from .errors import EmbedderModelMismatchError, ReembedIncompleteError
from .models import ModelsMixin
from .records import ReembedStatus, ReembedSwitch

#: Memories embedded and staged per round trip.
DEFAULT_BATCH_SIZE = 64
#: Rounds of "embed what is left, then switch" before giving up on a namespace
#: whose writers keep adding memories faster than they are embedded.
MAX_SWITCH_ATTEMPTS = 5

#: Called after every batch: the status before the run, memories staged so far by this run.
Progress = Callable[[ReembedStatus, int], None]


@dataclass(frozen=True, slots=True)
class ReembedReport:
    """What :func:`reembed` did."""

    model: str
    staged: int
    seconds: float
    switch: ReembedSwitch | None
    status: ReembedStatus


async def reembed(
    client: ModelsMixin,
    embedder: Embedder,
    *,
    distance: str | None = None,
    storage: str | None = None,
    normalize_vectors: bool | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_rate: float | None = None,
    switch: bool = True,
    progress: Progress | None = None,
) -> ReembedReport:
    """Re-embed the client's namespace with ``embedder`` (its ``model_name`` and
    ``dimensions`` name the model, registered here when it is not) and, with
    ``switch``, make it the namespace's current model once every memory has a
    vector of it."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    name, dims = embedder.model_name, int(embedder.dimensions)
    model = await client.embedding_model_row(name)
    if model is None:
        model = await client.register_embedding_model(
            name, dims, distance=distance, storage=storage, normalize_vectors=normalize_vectors
        )
    if model.dimensions != dims:
        raise EmbedderModelMismatchError(
            f"the embedder makes {dims}-d vectors; model {name} is registered with "
            f"{model.dimensions}"
        )
    started = time.monotonic()
    before = await client.reembed_status(name)
    staged = 0
    done: ReembedSwitch | None = None
    for _ in range(MAX_SWITCH_ATTEMPTS):
        while True:
            pending = await client.reembed_pending(name, batch_size)
            if not pending:
                break
            vectors = await asyncio.to_thread(embedder.embed, [p.content for p in pending])
            staged += await client.reembed_stage(
                name,
                [p.memory_id for p in pending],
                list(vectors),
                [p.content_hash for p in pending],
            )
            if progress is not None:
                progress(before, staged)
            if max_rate:
                # Sleep until this run's average is back at the rate asked for.
                ahead = staged / max_rate - (time.monotonic() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
        if not switch:
            break
        try:
            done = await client.reembed_switch(name)
            break
        except ReembedIncompleteError:
            continue  # memories stored or changed meanwhile: embed them too
    return ReembedReport(
        model=name,
        staged=staged,
        seconds=time.monotonic() - started,
        switch=done,
        status=await client.reembed_status(name),
    )


__all__ = ["DEFAULT_BATCH_SIZE", "ReembedReport", "reembed"]
