"""The public client class, assembled from one mixin per area."""

from __future__ import annotations

from .admin import AdminMixin
from .client import ClientBase
from .memories import MemoriesMixin


class Client(MemoriesMixin, AdminMixin, ClientBase):
    """Async pgcortex client; make one with :func:`pgcortex.connect`."""
