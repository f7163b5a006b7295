"""The public client class, assembled from one mixin per area."""

from __future__ import annotations

from .admin import AdminMixin
from .client import ClientBase
from .importing import ImportMixin
from .knowledge import KnowledgeMixin
from .memories import MemoriesMixin


class Client(MemoriesMixin, KnowledgeMixin, AdminMixin, ImportMixin, ClientBase):
    """Async pgcortex client; make one with :func:`pgcortex.connect`."""
