"""pgcortex: long-term memory for AI agents that lives in PostgreSQL."""

from . import errors
from .client import SUPPORTED_SCHEMA_VERSIONS, Client, connect, create_pool
from .errors import PgcortexError

__all__ = [
    "SUPPORTED_SCHEMA_VERSIONS",
    "Client",
    "PgcortexError",
    "connect",
    "create_pool",
    "errors",
]
__version__ = "0.1.0"
