"""OpenAIEmbedder against a real OpenAI-compatible server on loopback (MiniLM behind it).

Nothing of the HTTP layer is replaced: the embedder talks over TCP to
``tests/embedding_server.py``, which answers in the OpenAI wire format, and the
failures (429, 5xx, 400, timeouts, dropped connections) are real HTTP answers or
real socket behaviour.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

import pgcortex
from pgcortex.embedding import AsyncEmbedder, Embedder, MiniLMEmbedder
from pgcortex.errors import (
    EmbedderUnavailableError,
    EmbeddingDimensionError,
    EmbeddingServiceError,
    EmbeddingValueError,
    PgcortexError,
)
from pgcortex.memories import MemoryInput
from pgcortex.openai_embedding import OpenAIEmbedder, retry_after_seconds

from .embedding_server import Delay, Drop, EmbeddingServer, Reply, openai_error
from .legacy_sqlite import LegacyOptions, write_legacy_store

pytestmark = pytest.mark.embed

MODEL = "all-MiniLM-L6-v2"
TEXTS = [
    "The startup is running out of money.",
    "Our company has very little cash left in the bank.",
    "I like to swim in the lake on Sundays.",
    "Deployments go out every Tuesday.",
    "The user prefers concise bullet points.",
]
SECRET = "sk-test-4f9c2a7e1b6d8c3f"


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def _server(minilm: MiniLMEmbedder) -> Iterator[EmbeddingServer]:
    with EmbeddingServer(minilm) as server:
        yield server


@pytest.fixture
def server(_server: EmbeddingServer, monkeypatch: pytest.MonkeyPatch) -> EmbeddingServer:
    """The module's server, with no script, no recorded request and no key required."""
    _server.reset()
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("AZURE_OPENAI_API_KEY", raising=False)
    return _server


def make(server: EmbeddingServer, **options: Any) -> OpenAIEmbedder:
    options.setdefault("backoff_base", 0.01)
    return OpenAIEmbedder(MODEL, 384, base_url=server.base_url, **options)


def embed(embedder: OpenAIEmbedder, texts: list[str], mode: str) -> np.ndarray:
    if mode == "sync":
        return embedder.embed(texts)

    async def run() -> np.ndarray:
        try:
            return await embedder.aembed(texts)
        finally:
            await embedder.aclose()

    return asyncio.run(run())


def inputs(server: EmbeddingServer) -> list[list[str]]:
    return [r.body["input"] for r in server.requests]


both = pytest.mark.parametrize("mode", ["sync", "async"])


# -- the round trip ----------------------------------------------------------------------


@both
def test_vectors_are_the_models_own(
    server: EmbeddingServer, minilm: MiniLMEmbedder, mode: str
) -> None:
    with make(server) as embedder:
        assert isinstance(embedder, Embedder)
        assert isinstance(embedder, AsyncEmbedder)
        assert (embedder.model_name, embedder.dimensions) == (MODEL, 384)
        vectors = embed(embedder, TEXTS, mode)
    assert vectors.shape == (len(TEXTS), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    direct = minilm.embed(TEXTS)
    cosines = np.sum(vectors * direct, axis=1)
    assert np.all(cosines > 0.9999), cosines
    # one request, the wire format of the OpenAI API, no key and no dimensions sent
    (request,) = server.requests
    assert (request.method, request.path) == ("POST", "/v1/embeddings")
    assert request.body == {"model": MODEL, "input": TEXTS}
    assert "authorization" not in request.headers
    assert request.headers["content-type"] == "application/json"


@both
def test_batches_keep_the_order_of_the_texts(
    server: EmbeddingServer, minilm: MiniLMEmbedder, mode: str
) -> None:
    texts = [f"note {i}: {TEXTS[i % len(TEXTS)]}" for i in range(11)]
    with make(server, batch_size=4) as embedder:
        vectors = embed(embedder, texts, mode)
    # three requests of at most 4, in order; the server answers each in reverse order
    assert inputs(server) == [texts[0:4], texts[4:8], texts[8:11]]
    np.testing.assert_allclose(vectors, minilm.embed(texts), atol=1e-5)


def test_no_text_no_request_and_bad_input_refused(server: EmbeddingServer) -> None:
    with make(server) as embedder:
        assert embedder.embed([]).shape == (0, 384)
        with pytest.raises(TypeError):
            embedder.embed("a bare string is not a batch")
        with pytest.raises(TypeError):
            embedder.embed(["fine", 3])  # type: ignore[list-item]
        assert embedder.embed_one(TEXTS[0]).shape == (384,)
    assert len(server.requests) == 1


def test_constructor_refuses_bad_settings() -> None:
    for bad in (
        {"dimensions": 0},
        {"dimensions": True},
        {"batch_size": 0},
        {"max_retries": -1},
        {"timeout": 0},
        {"backoff_base": -1},
    ):
        settings: dict[str, Any] = {"dimensions": 384, **bad}
        with pytest.raises(ValueError):  # noqa: PT011 - each names its own argument
            OpenAIEmbedder(MODEL, **settings)
    with pytest.raises(ValueError, match="model"):
        OpenAIEmbedder("", 384)


# -- dimensions and normalisation ----------------------------------------------------------


def test_vectors_of_other_dimensions_are_refused(server: EmbeddingServer) -> None:
    with make(server) as embedder:
        embedder.dimensions = 256
        with pytest.raises(EmbeddingDimensionError) as info:
            embedder.embed(TEXTS[:2])
    message = str(info.value)
    assert "384-d" in message
    assert "256" in message
    assert "dimensions=384" in message  # the hint says what would work


def test_dimensions_are_sent_when_asked(server: EmbeddingServer, minilm: MiniLMEmbedder) -> None:
    embedder = OpenAIEmbedder(MODEL, 128, base_url=server.base_url, send_dimensions=True)
    with embedder:
        vectors = embedder.embed(TEXTS[:3])
    assert server.requests[0].body["dimensions"] == 128
    assert vectors.shape == (3, 128)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    cut = minilm.embed(TEXTS[:3])[:, :128]
    cut /= np.linalg.norm(cut, axis=1, keepdims=True)
    np.testing.assert_allclose(vectors, cut, atol=1e-5)


def test_dimensions_are_sent_by_default_only_to_openais_shortenable_models() -> None:
    assert OpenAIEmbedder("text-embedding-3-small", 1536).send_dimensions
    assert OpenAIEmbedder("text-embedding-3-large", 3072).send_dimensions
    assert not OpenAIEmbedder("text-embedding-ada-002", 1536).send_dimensions
    assert not OpenAIEmbedder("nomic-embed-text", 768).send_dimensions


def test_normalisation_is_a_choice(server: EmbeddingServer) -> None:
    server.scale = 3.0
    with make(server) as unit, make(server, normalize=False) as raw:
        normalised = unit.embed(TEXTS[:2])
        as_sent = raw.embed(TEXTS[:2])
    np.testing.assert_allclose(np.linalg.norm(normalised, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(as_sent, axis=1), 3.0, atol=1e-5)
    np.testing.assert_allclose(as_sent / 3.0, normalised, atol=1e-6)


def test_zero_and_non_finite_vectors_are_refused(server: EmbeddingServer) -> None:
    server.scale = 0.0
    with make(server) as embedder, pytest.raises(EmbeddingValueError, match="all-zero"):
        embedder.embed(TEXTS[:1])
    server.scale = float("inf")  # sent as Infinity, which lenient JSON readers accept
    with make(server) as embedder, pytest.raises(EmbeddingValueError, match="NaN or infinite"):
        embedder.embed(TEXTS[:1])


def test_base64_answers_are_decoded(server: EmbeddingServer, minilm: MiniLMEmbedder) -> None:
    with make(server, encoding_format="base64") as embedder:
        vectors = embedder.embed(TEXTS)
    assert server.requests[0].body["encoding_format"] == "base64"
    np.testing.assert_allclose(vectors, minilm.embed(TEXTS), atol=1e-6)


# -- retries -------------------------------------------------------------------------------


@both
def test_429_waits_as_long_as_retry_after_says(server: EmbeddingServer, mode: str) -> None:
    server.script(Reply(429, openai_error("Rate limit reached", "requests"), {"Retry-After": "1"}))
    with make(server) as embedder:
        started = time.monotonic()
        vectors = embed(embedder, TEXTS[:2], mode)
        waited = time.monotonic() - started
    assert vectors.shape == (2, 384)
    first, second = server.requests
    assert second.body == first.body
    assert second.at - first.at >= 1.0
    assert waited >= 1.0


def test_retry_after_as_an_http_date(server: EmbeddingServer) -> None:
    # an HTTP date has whole seconds: 3 s ahead is at least 2 s ahead once written
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    server.script(Reply(503, openai_error("overloaded", "server_error"), {"Retry-After": when}))
    with make(server) as embedder:
        embedder.embed(TEXTS[:1])
    first, second = server.requests
    assert second.at - first.at >= 1.5


def test_retry_after_headers_are_read() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"retry-after": " 0.5 "}) == 0.5
    assert retry_after_seconds({"retry-after-ms": "250", "Retry-After": "9"}) == 0.25
    date = "Fri, 02 Jan 2026 03:04:15 GMT"
    assert retry_after_seconds({"Retry-After": date}, now=now) == 10.0
    assert retry_after_seconds({"Retry-After": "Fri, 02 Jan 2026 03:00:00 GMT"}, now=now) == 0.0
    for unusable in ("soon", "-3", "nan", ""):
        assert retry_after_seconds({"Retry-After": unusable}, now=now) is None
    assert retry_after_seconds({}) is None


def test_retry_after_ms_is_honoured(server: EmbeddingServer) -> None:
    server.script(Reply(429, openai_error("slow down"), {"retry-after-ms": "600"}))
    with make(server) as embedder:
        embedder.embed(TEXTS[:1])
    first, second = server.requests
    assert second.at - first.at >= 0.6


@both
def test_5xx_answers_are_retried(server: EmbeddingServer, mode: str) -> None:
    server.script(
        Reply(500, openai_error("The server had an error", "server_error")),
        Reply(502, raw=b"<html>Bad Gateway</html>"),
    )
    with make(server) as embedder:
        vectors = embed(embedder, TEXTS[:3], mode)
    assert vectors.shape == (3, 384)
    assert len(server.requests) == 3


@both
def test_exhausted_retries_raise_with_status_and_message(
    server: EmbeddingServer, mode: str
) -> None:
    server.script(*[Reply(503, openai_error("Engine is overloaded", "server_error"))] * 3)
    with make(server, max_retries=2) as embedder, pytest.raises(EmbeddingServiceError) as info:
        embed(embedder, TEXTS[:2], mode)
    error = info.value
    assert isinstance(error, PgcortexError)
    assert error.status == 503
    assert error.attempts == 3
    assert "HTTP 503" in str(error)
    assert "Engine is overloaded" in str(error)
    assert "gave up after 3 attempts" in str(error)
    assert server.base_url in str(error)  # the detail names the endpoint
    assert len(server.requests) == 3


def test_a_wait_longer_than_allowed_is_not_waited_for(server: EmbeddingServer) -> None:
    server.script(Reply(429, openai_error("quota exceeded"), {"Retry-After": "3600"}))
    with make(server, max_retry_wait=30) as embedder, pytest.raises(EmbeddingServiceError) as info:
        embedder.embed(TEXTS[:1])
    assert info.value.status == 429
    assert "asks to wait 3600 s" in str(info.value)
    assert len(server.requests) == 1


@both
def test_400_is_raised_at_once_with_the_servers_message(server: EmbeddingServer, mode: str) -> None:
    with make(server) as embedder, pytest.raises(EmbeddingServiceError) as info:
        embed(embedder, ["fine", ""], mode)  # the server refuses an empty input
    assert info.value.status == 400
    assert info.value.attempts == 1
    assert "'$.input' is invalid" in str(info.value)
    assert len(server.requests) == 1


def test_unknown_model_gets_a_hint(server: EmbeddingServer) -> None:
    embedder = OpenAIEmbedder("no-such-model", 384, base_url=server.base_url)
    with embedder, pytest.raises(EmbeddingServiceError) as info:
        embedder.embed(TEXTS[:1])
    assert info.value.status == 404
    assert "The model `no-such-model` does not exist" in str(info.value)
    assert "base_url" in str(info.value.hint)


def test_a_wrong_base_url_is_a_404_with_a_hint(server: EmbeddingServer) -> None:
    embedder = OpenAIEmbedder(MODEL, 384, base_url=server.endpoint)  # /v1 left out
    with embedder, pytest.raises(EmbeddingServiceError) as info:
        embedder.embed(TEXTS[:1])
    assert info.value.status == 404
    assert "Invalid URL" in str(info.value)


@both
def test_timeouts_are_retried_then_raised(server: EmbeddingServer, mode: str) -> None:
    server.script(Delay(1.5))
    with make(server, timeout=0.3, max_retries=1) as embedder:
        assert embed(embedder, TEXTS[:1], mode).shape == (1, 384)
    assert len(server.requests) == 2

    server.reset()
    server.script(Delay(1.5), Delay(1.5))
    with (
        make(server, timeout=0.3, max_retries=1) as embedder,
        pytest.raises(EmbeddingServiceError) as info,
    ):
        embed(embedder, TEXTS[:1], mode)
    assert info.value.status is None
    assert info.value.attempts == 2
    assert "no answer within 0.3 s" in str(info.value)
    assert "timeout=" in str(info.value.hint)


def test_a_dropped_connection_is_retried(server: EmbeddingServer) -> None:
    server.script(Drop())
    with make(server) as embedder:
        assert embedder.embed(TEXTS[:2]).shape == (2, 384)
    assert len(server.requests) == 2


@both
def test_a_refused_connection_raises_after_the_retries(mode: str) -> None:
    with socket.socket() as s:  # a port nobody listens on any more
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    embedder = OpenAIEmbedder(
        MODEL, 384, base_url=f"http://127.0.0.1:{port}/v1", max_retries=2, backoff_base=0.01
    )
    with embedder, pytest.raises(EmbeddingServiceError) as info:
        embed(embedder, TEXTS[:1], mode)
    assert info.value.status is None
    assert info.value.attempts == 3
    assert "the connection failed" in str(info.value)
    assert info.value.__cause__ is not None  # the transport's own error, kept


def test_answers_that_are_not_an_embeddings_list(server: EmbeddingServer) -> None:
    for reply, words in (
        (Reply(200, raw=b"not json"), "not an embeddings list"),
        (Reply(200, {"object": "list"}), "no 'data' list"),
        (Reply(200, {"data": [{"index": 0, "embedding": [1.0] * 384}]}), "1 embeddings came back"),
        (
            Reply(
                200, {"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]}
            ),
            "index 0 came back twice",
        ),
        (
            Reply(200, {"data": [{"index": 5, "embedding": [1]}, {"index": 0, "embedding": [1]}]}),
            "index 5",
        ),
        (Reply(200, {"data": [{"index": 0}, {"index": 1}]}), "has no 'embedding'"),
        (
            Reply(200, {"data": [{"embedding": ["a"]}, {"embedding": [1]}]}),
            "not a list of numbers",
        ),
    ):
        server.script(reply)
        with make(server) as embedder, pytest.raises(EmbeddingServiceError) as info:
            embedder.embed(TEXTS[:2])
        assert info.value.status == 200
        assert words in str(info.value)


# -- keys and Azure --------------------------------------------------------------------------


def test_the_api_key_is_sent_and_never_shown(
    server: EmbeddingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.api_key = SECRET
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with make(server) as embedder:
        assert embedder.has_api_key
        assert embedder.embed(TEXTS[:1]).shape == (1, 384)
        assert SECRET not in repr(embedder)
        public = {k: v for k, v in vars(embedder).items() if not k.startswith("_")}
        assert SECRET not in str(public)
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"

    # a server that echoes a wrong key back: the error shows it redacted
    server.api_key = "sk-the-right-one"
    with make(server) as embedder, pytest.raises(EmbeddingServiceError) as info:
        embedder.embed(TEXTS[:1])
    error = info.value
    assert error.status == 401
    assert "Incorrect API key provided: [redacted]" in str(error)
    for text in (str(error), repr(error), error.message, str(error.detail), str(error.hint)):
        assert SECRET not in text
    assert "$OPENAI_API_KEY" in str(error.hint)


def test_the_key_comes_from_the_variable_named(
    server: EmbeddingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.api_key = SECRET
    monkeypatch.setenv("MY_EMBEDDINGS_KEY", SECRET)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-this-one")
    with make(server, api_key_env="MY_EMBEDDINGS_KEY") as embedder:
        embedder.embed(TEXTS[:1])
    assert server.requests[-1].headers["authorization"] == f"Bearer {SECRET}"

    # no key at all: nothing is sent, and the 401 says where a key was looked for
    monkeypatch.delenv("MY_EMBEDDINGS_KEY")
    with make(server, api_key_env="MY_EMBEDDINGS_KEY") as embedder:
        assert not embedder.has_api_key
        with pytest.raises(EmbeddingServiceError) as info:
            embedder.embed(TEXTS[:1])
    assert "authorization" not in server.requests[-1].headers
    assert "You didn't provide an API key" in str(info.value)
    assert "no API key was found: set $MY_EMBEDDINGS_KEY" in str(info.value.hint)


def test_azure_deployments(
    server: EmbeddingServer, minilm: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.api_key = SECRET
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", SECRET)
    embedder = OpenAIEmbedder.azure(
        server.endpoint,
        server.deployment,
        dimensions=384,
        api_version="2024-10-21",
        model_name=MODEL,
        backoff_base=0.01,
    )
    with embedder:
        assert embedder.model_name == MODEL
        vectors = embedder.embed(TEXTS)
    np.testing.assert_allclose(vectors, minilm.embed(TEXTS), atol=1e-5)
    (request,) = server.requests
    assert request.path == f"/openai/deployments/{server.deployment}/embeddings"
    assert request.query == {"api-version": ["2024-10-21"]}
    assert request.headers["api-key"] == SECRET
    assert "authorization" not in request.headers


def test_extra_headers_are_sent(server: EmbeddingServer) -> None:
    with make(server, headers={"X-Title": "pgcortex tests"}) as embedder:
        embedder.embed(TEXTS[:1])
    assert server.requests[0].headers["x-title"] == "pgcortex tests"


# -- the async client across event loops and without the package ------------------------------


def test_aembed_works_on_one_loop_after_another(server: EmbeddingServer) -> None:
    embedder = make(server)

    async def once() -> np.ndarray:
        return await embedder.aembed(TEXTS[:1])

    first = asyncio.run(once())
    second = asyncio.run(once())  # the first loop is closed: a new client is made
    np.testing.assert_allclose(first, second, atol=1e-6)

    async def close() -> None:
        await embedder.aclose()

    asyncio.run(close())
    assert len(server.requests) == 2


def test_without_the_http_package_the_error_says_what_to_install() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["httpx2"] = None  # as if it were not installed
        import pgcortex, pgcortex.openai_embedding as m
        from pgcortex.errors import EmbedderUnavailableError
        assert not m.http_available()
        try:
            m.OpenAIEmbedder("text-embedding-3-small", 1536)
        except EmbedderUnavailableError as exc:
            print(type(exc).__name__, exc.hint)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("EmbedderUnavailableError")
    assert "pgcortex[http]" in proc.stdout


def test_importing_pgcortex_loads_no_http_client() -> None:
    script = "import sys, pgcortex, pgcortex.openai_embedding; print('httpx2' in sys.modules)"
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_the_http_package_is_found_when_installed() -> None:
    from pgcortex.openai_embedding import http_available

    assert http_available()
    assert issubclass(EmbedderUnavailableError, PgcortexError)


# -- end to end: the client stores and searches with vectors from the endpoint ----------------

RUNWAY = (
    "With the seed funding from June, the bank balance covers fourteen more months of expenses."
)
QUESTION = "How long can we survive financially?"
PREFERENCE = "The user prefers concise bullet points."
DISTRACTORS = (
    "Brightloop sells demand-forecasting software to independent bakeries.",
    "Deployments go out every Tuesday after the integration suite passes on staging.",
    "The team ordered pizza for lunch last Thursday.",
)


async def test_the_client_stores_and_searches_by_meaning_through_the_endpoint(
    client: pgcortex.Client, server: EmbeddingServer, minilm: MiniLMEmbedder
) -> None:
    async with make(server, batch_size=2) as embedder:
        client.embedder = embedder
        stored = await client.store_memories(
            [MemoryInput(RUNWAY, "business_fact")]
            + [MemoryInput(text, "business_fact") for text in DISTRACTORS]
        )
        runway_id = stored[0].id
        one = await client.store_memory(PREFERENCE, "user_preference")
        hits = await client.search_memories(QUESTION, k=3)
        context = await client.get_contextual_knowledge(QUESTION)
        # the client awaited aembed: no blocking HTTP client was ever made
        assert embedder._client is None

    assert hits[0].id == runway_id
    assert hits[0].matched_by == "vector"
    assert hits[0].keyword_overlap == 0
    assert hits[0].similarity is not None
    assert hits[0].similarity > 0.25
    assert context.memories[0].id == runway_id
    # batch of 4 in requests of 2, then the single store, then the question twice
    assert inputs(server) == [
        [RUNWAY, DISTRACTORS[0]],
        [DISTRACTORS[1], DISTRACTORS[2]],
        [PREFERENCE],
        [QUESTION],
        [QUESTION],
    ]
    # what was stored is MiniLM's vector, recorded under the embedder's model name
    async with client.pool.acquire() as conn:
        row = await conn.fetchrow(
            "select embedding_model, embedding from pgcortex.memories where id = $1", one.id
        )
    assert row["embedding_model"] == MODEL
    direct = minilm.embed([PREFERENCE])[0]
    assert float(np.dot(np.asarray(row["embedding"].to_numpy()), direct)) > 0.9999


def test_the_server_answers_the_model_it_serves(
    server: EmbeddingServer,
) -> None:
    """The test server itself refuses what a real one refuses (so the tests above can fail)."""
    status, body = server.answer("/v1/embeddings", {}, {}, {"model": MODEL, "input": []})
    assert status == 400
    status, body = server.answer("/v1/embeddings", {}, {}, {"model": "x", "input": ["a"]})
    assert status == 404
    status, body = server.answer("/v1/embeddings", {}, {}, {"model": MODEL, "input": ["a", "b"]})
    assert status == 200
    assert [d["index"] for d in body["data"]] == [1, 0]


async def test_an_import_embeds_again_through_the_endpoint(
    tmp_path: Path, db_dsn: str, db: psycopg.Connection, server: EmbeddingServer
) -> None:
    """A legacy store's unusable embedding is made again by the HTTP embedder."""
    path = tmp_path / "memory.db"
    marker = tmp_path / "payload-ran"
    write_legacy_store(path, LegacyOptions(memories=5, payload_marker=marker, payload_rows=(2,)))
    async with make(server) as embedder:
        client = await pgcortex.connect(db_dsn, namespace="test", deploy=False, embedder=embedder)
        try:
            report = await client.import_sqlite(path)
        finally:
            await client.close()
    assert report.tables["memories"].reembedded == 1
    assert len(server.requests) == 1
    (content,) = server.requests[0].body["input"]
    row = db.execute(
        "select embedding_model from pgcortex.memories where namespace = 'test' and content = %s",
        (content,),
    ).fetchone()
    assert row == (MODEL,)
