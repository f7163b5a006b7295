"""Embeddings from any OpenAI-compatible embeddings endpoint, over HTTP.

:class:`OpenAIEmbedder` is an :class:`~pgcortex.embedding.Embedder` that asks a
server for its vectors: ``POST {base_url}/embeddings`` with
``{"model": ..., "input": [...]}``, answered by
``{"data": [{"index": i, "embedding": [...]}, ...]}``. OpenAI, Azure OpenAI,
Ollama, vLLM, LM Studio and text-embeddings-inference all speak it::

    from pgcortex.openai_embedding import OpenAIEmbedder

    openai = OpenAIEmbedder("text-embedding-3-small", 1536)  # key from OPENAI_API_KEY
    ollama = OpenAIEmbedder("nomic-embed-text", 768, base_url="http://localhost:11434/v1")
    azure = OpenAIEmbedder.azure(
        "https://my-resource.openai.azure.com", "my-deployment", dimensions=1536
    )  # key from AZURE_OPENAI_API_KEY, sent as the api-key header

What it does for you:

* **Batches**: texts go out ``batch_size`` at a time; each answer is put back in
  the order of the texts by its ``index``, whatever order the server sends.
* **Checks**: every vector must have ``dimensions`` components
  (:class:`~pgcortex.errors.EmbeddingDimensionError` otherwise) and finite
  values; with ``normalize=True`` (the default: the client stores unit vectors)
  each row is scaled to unit length. ``send_dimensions`` sends ``dimensions``
  in the request, for models that can shorten their vectors (OpenAI's
  ``text-embedding-3-*``, where it is on by default; other servers may refuse
  the parameter, so it is off for them unless you turn it on).
* **Retries**: a 408, 429 or 5xx answer, a refused or dropped connection and a
  timeout are tried again, up to ``max_retries`` times, after the wait the
  server asks for (``Retry-After`` in seconds or as an HTTP date, or
  ``retry-after-ms``) or else an exponential backoff with jitter. A server that
  asks for more than ``max_retry_wait`` seconds is not waited for. Any other
  answer, and the last failure, raise
  :class:`~pgcortex.errors.EmbeddingServiceError` with the HTTP status and the
  server's own message.
* **Keys**: the API key is read from the environment (``OPENAI_API_KEY``, or the
  variable named by ``api_key_env``) and sent as ``Authorization: Bearer``, or
  as ``api-key`` for Azure-style deployments (``api_version`` given). With no
  key nothing is sent, which is what local servers expect. The key is never
  logged, never shown by ``repr`` and cut out of every error message.

The client calls :meth:`OpenAIEmbedder.aembed` on its own event loop (no
thread); :meth:`OpenAIEmbedder.embed` is the blocking form for scripts. The
HTTP client behind them is ``httpx2`` (the extra ``http``: ``pip install
'pgcortex[http]'``); it is imported on first use, and without it
``OpenAIEmbedder()`` raises :class:`~pgcortex.errors.EmbedderUnavailableError`.
Close the embedder (``close()``/``aclose()`` or ``with``/``async with``) to
release its connections; the pgcortex client does not close it.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import importlib.util
import itertools
import json
import logging
import math
import os
import random
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from .errors import (
    EmbedderUnavailableError,
    EmbeddingDimensionError,
    EmbeddingServiceError,
    EmbeddingValueError,
)

if TYPE_CHECKING:
    import httpx2
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

#: OpenAI's API; give ``base_url`` for any other server.
DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: Where the API key is read from unless ``api_key_env`` says otherwise.
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
#: Where :meth:`OpenAIEmbedder.azure` reads its key from.
AZURE_API_KEY_ENV = "AZURE_OPENAI_API_KEY"
#: The Azure OpenAI REST API version :meth:`OpenAIEmbedder.azure` asks for by default.
AZURE_API_VERSION = "2024-10-21"
#: The HTTP client package (a maintained continuation of httpx, same API).
HTTP_PACKAGE = "httpx2"
_INSTALL_HINT = "pip install 'pgcortex[http]' (in a checkout: make install)"
#: Longest piece of a server's error text put into an exception.
_MAX_SERVER_MESSAGE = 1000
_REDACTED = "[redacted]"

logger = logging.getLogger("pgcortex.embedding")


def http_available() -> bool:
    """True when the HTTP client :class:`OpenAIEmbedder` needs is installed."""
    return importlib.util.find_spec(HTTP_PACKAGE) is not None


def _httpx() -> ModuleType:
    try:
        return importlib.import_module(HTTP_PACKAGE)
    except ImportError as exc:
        raise EmbedderUnavailableError(
            f"the HTTP embedder needs the extra 'http' (missing: {HTTP_PACKAGE})",
            hint=_INSTALL_HINT,
        ) from exc


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds a server asks the client to wait, from its headers, or None.

    ``retry-after-ms`` (milliseconds, sent by OpenAI) wins over ``Retry-After``,
    which is either a number of seconds or an HTTP date (a date in the past
    means 0). A missing, negative or unreadable value gives None.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000.0
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _retryable_status(status: int) -> bool:
    return status in (408, 429) or status >= 500


class _Retry(Exception):
    """Internal: this attempt failed in a way worth repeating."""

    def __init__(
        self, error: EmbeddingServiceError, wait: float | None, cause: Exception | None = None
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait
        self.cause = cause


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible endpoint; see the module docstring.

    ``model`` is what the server is asked for; ``model_name`` (default: ``model``)
    is what pgcortex records beside every vector and checks against the
    registry. ``dimensions`` is the size of the model's vectors.
    """

    def __init__(
        self,
        model: str,
        dimensions: int,
        *,
        base_url: str = DEFAULT_BASE_URL,
        model_name: str | None = None,
        api_key_env: str | None = DEFAULT_API_KEY_ENV,
        api_key: str | None = None,
        api_version: str | None = None,
        auth_header: Literal["bearer", "api-key"] | None = None,
        headers: Mapping[str, str] | None = None,
        send_dimensions: bool | None = None,
        normalize: bool = True,
        encoding_format: Literal["float", "base64"] | None = None,
        batch_size: int = 128,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
        max_retry_wait: float = 60.0,
    ) -> None:
        if not isinstance(model, str) or not model:
            raise ValueError("model must be a non-empty string")
        if isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1:
            raise ValueError("dimensions must be a positive integer")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if not timeout > 0:
            raise ValueError("timeout must be more than 0 seconds")
        if backoff_base < 0 or backoff_max < 0 or max_retry_wait < 0:
            raise ValueError("backoff_base, backoff_max and max_retry_wait must not be negative")
        if auth_header not in (None, "bearer", "api-key"):
            raise ValueError("auth_header must be 'bearer' or 'api-key'")
        if encoding_format not in (None, "float", "base64"):
            raise ValueError("encoding_format must be 'float' or 'base64'")
        self._httpx = _httpx()
        self.model = model
        self.model_name = model_name or model
        self.dimensions = dimensions
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.api_key_env = api_key_env
        self.send_dimensions = (
            model.startswith("text-embedding-3") if send_dimensions is None else send_dimensions
        )
        self.normalize = normalize
        self.encoding_format = encoding_format
        self.batch_size = batch_size
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_wait = max_retry_wait
        key = (
            api_key
            if api_key is not None
            else (os.environ.get(api_key_env) if api_key_env else None)
        )
        self._api_key = key or None
        #: Where the key was looked for, for the hint of a 401 (never the key itself).
        self._key_source = (
            "api_key=" if api_key is not None else f"${api_key_env}" if api_key_env else "api_key="
        )
        self._auth_header = auth_header or ("api-key" if api_version else "bearer")
        self._headers = {"accept": "application/json", **dict(headers or {})}
        self._lock = threading.Lock()
        self._client: httpx2.Client | None = None
        self._aclient: httpx2.AsyncClient | None = None
        self._aloop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def azure(
        cls,
        endpoint: str,
        deployment: str,
        *,
        dimensions: int,
        api_version: str = AZURE_API_VERSION,
        model_name: str | None = None,
        api_key_env: str | None = AZURE_API_KEY_ENV,
        **options: Any,
    ) -> OpenAIEmbedder:
        """An Azure OpenAI deployment: ``{endpoint}/openai/deployments/{deployment}/embeddings
        ?api-version=...``, the key (``AZURE_OPENAI_API_KEY``) in the ``api-key`` header.
        ``model_name`` is recorded in pgcortex (default: the deployment's name)."""
        return cls(
            deployment,
            dimensions,
            base_url=f"{endpoint.rstrip('/')}/openai/deployments/{deployment}",
            api_version=api_version,
            model_name=model_name,
            api_key_env=api_key_env,
            **options,
        )

    def __repr__(self) -> str:
        return (
            f"OpenAIEmbedder(model={self.model!r}, dimensions={self.dimensions}, "
            f"base_url={self.base_url!r}, model_name={self.model_name!r})"
        )

    @property
    def url(self) -> str:
        """Where the requests go (without the query string)."""
        return f"{self.base_url}/embeddings"

    @property
    def has_api_key(self) -> bool:
        """True when a key was found (it is sent with every request)."""
        return self._api_key is not None

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the blocking HTTP client (``aclose`` closes the async one)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close both HTTP clients; the async one only when made on the running loop."""
        client, loop = self._aclient, self._aloop
        self._aclient = self._aloop = None
        if client is not None and loop is asyncio.get_running_loop():
            await client.aclose()
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _timeout(self) -> httpx2.Timeout:
        timeout: httpx2.Timeout = self._httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))
        return timeout

    def _sync_client(self) -> httpx2.Client:
        with self._lock:
            if self._client is None:
                self._client = self._httpx.Client(timeout=self._timeout())
            return self._client

    def _async_client(self) -> httpx2.AsyncClient:
        # An AsyncClient's connections belong to the loop that opened them.
        loop = asyncio.get_running_loop()
        if self._aclient is None or self._aloop is not loop:
            self._aclient = self._httpx.AsyncClient(timeout=self._timeout())
            self._aloop = loop
        return self._aclient

    # -- embedding ---------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` (blocking): float32, shape ``(len(texts), dimensions)``."""
        items = self._texts(texts)
        if not items:
            return self._empty()
        client = self._sync_client()
        parts = [self._embed_batch(client, batch) for batch in self._batches(items)]
        return self._stack(parts)

    async def aembed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` without blocking the event loop; same result as :meth:`embed`."""
        items = self._texts(texts)
        if not items:
            return self._empty()
        client = self._async_client()
        parts = [await self._aembed_batch(client, batch) for batch in self._batches(items)]
        return self._stack(parts)

    def embed_one(self, text: str) -> Vectors:
        """One text's embedding, shape ``(dimensions,)``."""
        row: Vectors = self.embed([text])[0]
        return row

    def _embed_batch(self, client: httpx2.Client, batch: list[str]) -> Vectors:
        for attempt in itertools.count(1):
            try:
                try:
                    response = client.post(
                        self.url,
                        json=self._body(batch),
                        params=self._params(),
                        headers=self._auth(),
                    )
                except self._httpx.TransportError as exc:
                    raise self._transport_failure(exc, attempt) from None
                return self._vectors(response, batch, attempt)
            except _Retry as retry:
                wait = self._wait(retry, attempt)
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _aembed_batch(self, client: httpx2.AsyncClient, batch: list[str]) -> Vectors:
        for attempt in itertools.count(1):
            try:
                try:
                    response = await client.post(
                        self.url,
                        json=self._body(batch),
                        params=self._params(),
                        headers=self._auth(),
                    )
                except self._httpx.TransportError as exc:
                    raise self._transport_failure(exc, attempt) from None
                return self._vectors(response, batch, attempt)
            except _Retry as retry:
                wait = self._wait(retry, attempt)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- one request -------------------------------------------------------------------

    def _body(self, batch: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "input": batch}
        if self.send_dimensions:
            body["dimensions"] = self.dimensions
        if self.encoding_format is not None:
            body["encoding_format"] = self.encoding_format
        return body

    def _params(self) -> dict[str, str]:
        return {"api-version": self.api_version} if self.api_version else {}

    def _auth(self) -> dict[str, str]:
        headers = dict(self._headers)
        if self._api_key is not None:
            if self._auth_header == "api-key":
                headers["api-key"] = self._api_key
            else:
                headers["authorization"] = f"Bearer {self._api_key}"
        return headers

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, _REDACTED) if self._api_key else text

    def _error(
        self, message: str, *, status: int | None, attempts: int, hint: str | None = None
    ) -> EmbeddingServiceError:
        return EmbeddingServiceError(
            self._redact(message),
            detail=f"POST {self.url} (model {self.model!r}), {attempts} attempt(s)",
            hint=hint,
            status=status,
            attempts=attempts,
        )

    def _transport_failure(self, exc: Exception, attempt: int) -> _Retry:
        if isinstance(exc, self._httpx.TimeoutException):
            what = f"no answer within {self.timeout:g} s ({type(exc).__name__})"
            hint = "raise timeout= or lower batch_size="
        else:
            what = f"the connection failed ({type(exc).__name__}: {exc})"
            hint = "check base_url and that the server is running"
        error = self._error(
            f"the embedding endpoint {self.url} could not be used: {what}",
            status=None,
            attempts=attempt,
            hint=hint,
        )
        return _Retry(error, None, exc)

    def _wait(self, retry: _Retry, attempt: int) -> float:
        """Seconds to sleep before the next attempt; raises when no attempt is left."""
        error = retry.error
        if attempt > self.max_retries:
            if self.max_retries:
                error.message = f"{error.message} (gave up after {attempt} attempts)"
                error.args = (error.message,)
            raise error from retry.cause
        if retry.wait is not None:
            if retry.wait > self.max_retry_wait:
                error.message = (
                    f"{error.message} (the server asks to wait {retry.wait:g} s, "
                    f"more than max_retry_wait={self.max_retry_wait:g})"
                )
                error.args = (error.message,)
                raise error from retry.cause
            wait = retry.wait
        else:
            wait = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
            wait *= 0.5 + random.random() / 2
        logger.info(
            "embedding request failed (%s); retry %d of %d in %.2f s",
            "no answer" if error.status is None else f"HTTP {error.status}",
            attempt,
            self.max_retries,
            wait,
        )
        return wait

    def _vectors(self, response: httpx2.Response, batch: list[str], attempt: int) -> Vectors:
        status = response.status_code
        if not 200 <= status < 300:
            error = self._error(
                f"the embedding endpoint answered HTTP {status}"
                f"{' ' + response.reason_phrase if response.reason_phrase else ''}: "
                f"{_server_message(response)}",
                status=status,
                attempts=attempt,
                hint=self._status_hint(status),
            )
            if _retryable_status(status):
                raise _Retry(error, retry_after_seconds(response.headers))
            raise error
        try:
            payload = response.json()
            rows = self._rows(payload, len(batch))
        except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
            raise self._error(
                f"the embedding endpoint's answer is not an embeddings list: {exc}",
                status=status,
                attempts=attempt,
                hint="check that base_url points at an OpenAI-compatible API (ending in /v1)",
            ) from exc
        return self._finish(rows)

    def _status_hint(self, status: int) -> str | None:
        if status in (401, 403):
            if self._api_key is None:
                return f"no API key was found: set {self._key_source}"
            return f"check the API key in {self._key_source} and its access to model {self.model!r}"
        if status == 404:
            return (
                "check base_url (the part before /embeddings, e.g. https://api.openai.com/v1) "
                f"and that the server has model {self.model!r}"
            )
        if status == 429:
            return "rate-limited: lower batch_size or raise max_retries / max_retry_wait"
        if status == 400 and self.send_dimensions:
            return "the server may not accept the 'dimensions' parameter: send_dimensions=False"
        return None

    def _rows(self, payload: Any, count: int) -> list[Any]:
        """The embeddings of ``payload`` in the order of the texts sent."""
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise ValueError("no 'data' list in the answer")
        data: list[Any] = payload["data"]
        if len(data) != count:
            raise ValueError(f"{len(data)} embeddings came back for {count} texts")
        rows: list[Any] = [None] * count
        for position, item in enumerate(data):
            if not isinstance(item, dict) or "embedding" not in item:
                raise ValueError(f"data[{position}] has no 'embedding'")
            index = item.get("index", position)
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
                raise ValueError(f"data[{position}] has index {index!r}, not 0..{count - 1}")
            if rows[index] is not None:
                raise ValueError(f"index {index} came back twice")
            rows[index] = _decode(item["embedding"])
        return rows

    def _finish(self, rows: list[Any]) -> Vectors:
        import numpy as np

        for row in rows:
            if len(row) != self.dimensions:
                raise EmbeddingDimensionError(
                    f"the embedding endpoint returned {len(row)}-d vectors for model "
                    f"{self.model!r}; this embedder is set to {self.dimensions} dimensions",
                    hint=(
                        f"give dimensions={len(row)} (and a model registered with it), or "
                        "send_dimensions=True if the model can shorten its vectors"
                    ),
                )
        out = np.asarray(rows, dtype=np.float64)
        if not np.all(np.isfinite(out)):
            raise EmbeddingValueError(
                f"the embedding endpoint returned a vector with NaN or infinite values "
                f"(model {self.model!r})"
            )
        if not self.normalize:
            raw: Vectors = out.astype(np.float32)
            return raw
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        if not np.all(norms > 0):
            raise EmbeddingValueError(
                f"the embedding endpoint returned an all-zero vector (model {self.model!r})"
            )
        unit = (out / norms).astype(np.float32)
        # normalise again in float32 so every row is unit length to float32 precision
        result: Vectors = unit / np.linalg.norm(unit, axis=1, keepdims=True)
        return result.astype(np.float32, copy=False)

    # -- batches -----------------------------------------------------------------------

    @staticmethod
    def _texts(texts: Sequence[str]) -> list[str]:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts; use embed_one() for one text")
        items = list(texts)
        for i, text in enumerate(items):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] is {type(text).__name__}, not str")
        return items

    def _batches(self, items: list[str]) -> list[list[str]]:
        return [items[i : i + self.batch_size] for i in range(0, len(items), self.batch_size)]

    def _empty(self) -> Vectors:
        import numpy as np

        empty: Vectors = np.zeros((0, self.dimensions), dtype=np.float32)
        return empty

    def _stack(self, parts: list[Vectors]) -> Vectors:
        import numpy as np

        stacked: Vectors = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
        return stacked


def _decode(embedding: Any) -> list[float]:
    """An embedding as sent: a list of numbers, or base64 of little-endian float32."""
    if isinstance(embedding, str):
        import numpy as np

        try:
            raw = base64.b64decode(embedding, validate=True)
        except ValueError as exc:
            raise ValueError(f"an embedding is a string but not base64: {exc}") from exc
        if len(raw) % 4:
            raise ValueError("a base64 embedding is not a whole number of float32 values")
        decoded: list[float] = np.frombuffer(raw, dtype="<f4").tolist()
        return decoded
    if not isinstance(embedding, list) or not all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in embedding
    ):
        raise ValueError("an embedding is not a list of numbers")
    return embedding


def _server_message(response: httpx2.Response) -> str:
    """The server's own words about an error: OpenAI's ``{"error": {"message"}}``, the
    ``{"error": "..."}`` of TEI and Ollama, FastAPI's ``detail``, or the body's text."""
    text = response.text
    message: Any = None
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            message = error.get("message")
        elif isinstance(error, str):
            message = error
        if message is None:
            message = payload.get("message", payload.get("detail"))
    if message is None:
        message = text.strip() or "(no message)"
    elif not isinstance(message, str):
        message = json.dumps(message)
    if len(message) > _MAX_SERVER_MESSAGE:
        message = message[:_MAX_SERVER_MESSAGE] + "..."
    return str(message)
