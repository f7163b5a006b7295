"""The public client class, assembled from one mixin per area."""

from __future__ import annotations

from .client import ClientBase


class Client(ClientBase):
    """Async pgcortex client; make one with :func:`pgcortex.connect`."""
