"""An OpenAI-compatible embeddings server on loopback, with real vectors behind it.

``EmbeddingServer`` listens on 127.0.0.1 (a free port) in a background thread
and answers ``POST /v1/embeddings`` the way OpenAI, vLLM or Ollama do, with the
vectors of a real model (MiniLM). It also serves Azure-style deployments
(``/openai/deployments/{name}/embeddings?api-version=...``, key in ``api-key``),
checks the API key, honours ``dimensions`` (cut and re-normalised, as OpenAI does
for its shortenable models) and ``encoding_format="base64"``, and returns the
embeddings in reverse order (each with its ``index``) so clients must restore
the order themselves.

Tests make it fail on purpose by queueing what the next requests get
(:meth:`EmbeddingServer.script`): a reply of their own (429 with Retry-After,
500, a malformed body), a delay before the real answer, or a dropped
connection. Every request is recorded (path, query, headers, body, arrival time).
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from pgcortex.embedding import Embedder

_AZURE_PATH = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/embeddings$")


@dataclass(frozen=True)
class Reply:
    """Answer the request with this status, JSON body and headers (and nothing else)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass(frozen=True)
class Delay:
    """Wait this many seconds, then answer as usual."""

    seconds: float


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering."""


Action = Reply | Delay | Drop


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    at: float


def openai_error(message: str, kind: str = "invalid_request_error", code: Any = None) -> Any:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class EmbeddingServer:
    """See the module docstring."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        model: str | None = None,
        deployment: str = "minilm-deployment",
    ) -> None:
        self.embedder = embedder
        self.model = model or embedder.model_name
        self.deployment = deployment
        #: The key clients must send (None: no key checked, like a local server).
        self.api_key: str | None = None
        #: Every vector is multiplied by this before it is sent (1: unit vectors).
        self.scale = 1.0
        self.requests: list[Recorded] = []
        self._script: deque[Action] = deque()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> EmbeddingServer:
        server = self

        class Handler(_Handler):
            owner = server

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._httpd = self._thread = None

    def __enter__(self) -> EmbeddingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
        self.api_key = None
        self.scale = 1.0

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not started"
        return int(self._httpd.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.endpoint}/v1"

    # -- scripting -------------------------------------------------------------------

    def script(self, *actions: Action) -> None:
        """What the next requests get, one action each, before normal service resumes."""
        with self._lock:
            self._script.extend(actions)

    def next_action(self) -> Action | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    def record(self, entry: Recorded) -> None:
        with self._lock:
            self.requests.append(entry)

    # -- the embeddings API ------------------------------------------------------------

    def answer(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        """(status, JSON body) for one request, as an OpenAI-compatible server answers it."""
        azure = _AZURE_PATH.match(path)
        given: str | None
        model: Any
        if azure:
            if azure["deployment"] != self.deployment:
                return 404, openai_error("The API deployment for this resource does not exist.")
            if not query.get("api-version"):
                return 404, openai_error("Resource not found (api-version is missing)")
            given = headers.get("api-key")
            model = self.model
        elif path == "/v1/embeddings":
            auth = headers.get("authorization", "")
            given = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
            model = body.get("model") if isinstance(body, dict) else None
        else:
            return 404, openai_error(f"Invalid URL (POST {path})")
        if self.api_key is not None and given != self.api_key:
            if given is None:
                return 401, openai_error("You didn't provide an API key.")
            return 401, openai_error(
                f"Incorrect API key provided: {given}.", code="invalid_api_key"
            )
        if not isinstance(body, dict):
            return 400, openai_error("We could not parse the JSON body of your request.")
        if model != self.model:
            return 404, openai_error(f"The model `{model}` does not exist.", code="model_not_found")
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if (
            not isinstance(texts, list)
            or not texts
            or not all(isinstance(t, str) and t for t in texts)
        ):
            return 400, openai_error("'$.input' is invalid. Please check the API reference.")
        vectors = np.asarray(self.embedder.embed(texts), dtype=np.float32)
        dims = body.get("dimensions")
        if dims is not None:
            if not isinstance(dims, int) or not 1 <= dims <= vectors.shape[1]:
                return 400, openai_error(f"dimensions must be 1..{vectors.shape[1]}, not {dims}")
            vectors = vectors[:, :dims]
            vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = (vectors * self.scale).astype(np.float32)
        base64_format = body.get("encoding_format") == "base64"
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": (
                    base64.b64encode(row.astype("<f4").tobytes()).decode()
                    if base64_format
                    else [float(x) for x in row]
                ),
            }
            for i, row in enumerate(vectors)
        ]
        tokens = sum(len(t.split()) for t in texts)
        return 200, {
            "object": "list",
            "data": list(reversed(data)),
            "model": self.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


class _Handler(BaseHTTPRequestHandler):
    owner: EmbeddingServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._send(405, openai_error("Use POST"), {})

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        query = parse_qs(parts.query)
        self.owner.record(Recorded("POST", parts.path, query, headers, body, time.monotonic()))
        action = self.owner.next_action()
        try:
            if isinstance(action, Drop):
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if isinstance(action, Reply):
                self._send(action.status, action.body, action.headers, raw=action.raw)
                return
            if isinstance(action, Delay):
                time.sleep(action.seconds)
            status, payload = self.owner.answer(parts.path, query, headers, body)
            self._send(status, payload, {})
        except (BrokenPipeError, ConnectionResetError, OSError):
            # the client gave up (a timeout test): nobody is left to answer
            self.close_connection = True

    def _send(
        self, status: int, payload: Any, headers: dict[str, str], *, raw: bytes | None = None
    ) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
