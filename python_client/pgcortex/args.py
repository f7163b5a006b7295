"""Arguments as the client sends them to the SQL API.

Each helper turns a Python value into what the driver encodes, and refuses
before anything is sent what no SQL call could accept: an id that is not a
uuid (:class:`~pgcortex.errors.InvalidIdError`), an embedding with more
dimensions than pgvector can hold or with a non-finite component
(:class:`~pgcortex.errors.EmbeddingDimensionError`,
:class:`~pgcortex.errors.EmbeddingValueError`). ``None`` always stays ``None``:
the call then leaves the argument out and SQL's default applies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from pgvector import Vector

from .errors import EmbeddingDimensionError, EmbeddingValueError, InvalidIdError

#: The most dimensions a pgvector ``vector`` holds.
MAX_VECTOR_DIMENSIONS = 16_000


def vector(value: Any, name: str = "embedding") -> Vector | None:
    """An embedding as the driver sends it, refused when pgvector cannot hold it."""
    if value is None:
        return None
    try:
        vec = value if isinstance(value, Vector) else Vector(_listed(value))
    except (TypeError, ValueError):
        raise EmbeddingValueError(
            f"{name} is not a list of numbers", hint="give a flat list or 1-d array of floats"
        ) from None
    dims = vec.dimensions()
    if dims > MAX_VECTOR_DIMENSIONS:
        raise EmbeddingDimensionError(
            f"{name} has {dims} dimensions; a vector holds at most {MAX_VECTOR_DIMENSIONS}",
            hint="give an embedding of the namespace's dimensions (384 for MiniLM)",
        )
    # float32 components summed in float64 cannot overflow: the sum is finite
    # exactly when every component is.
    if not math.isfinite(sum(vec.to_list())):
        raise EmbeddingValueError(
            f"{name} has a NaN or infinite component",
            hint="every component of an embedding must be a finite number",
        )
    return vec


def _listed(value: Any) -> Any:
    """A list for the driver's vector type (which takes a list or a 1-d array)."""
    return list(value) if isinstance(value, tuple | range) else value


def vectors(values: Sequence[Any] | None, name: str = "embeddings") -> list[Vector | None] | None:
    """A list of embeddings (each may be ``None``)."""
    if values is None:
        return None
    return [vector(v, f"{name}[{n}]") for n, v in enumerate(values)]


def uuid(value: UUID | str | None, name: str = "id") -> UUID | None:
    """An id as a :class:`~uuid.UUID`; a malformed one raises InvalidIdError."""
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidIdError(
            f"{name} is not a uuid: {str(value)[:60]!r}",
            hint="ids look like 0190a4b2-7c3e-7d1f-9a2b-3c4d5e6f7a8b",
        ) from None


def uuids(
    values: Sequence[UUID | str | None] | None, name: str = "ids"
) -> list[UUID | None] | None:
    """A list of ids (see :func:`uuid`)."""
    if values is None:
        return None
    return [uuid(v, f"{name}[{n}]") for n, v in enumerate(values)]


def texts(values: Sequence[str] | None) -> list[str] | None:
    """A text array (``None`` stays ``None``)."""
    return None if values is None else list(values)


def json(value: Any) -> Any:
    """A JSON argument as sent (a mapping as a dict; anything else as given, for SQL to judge)."""
    return dict(value) if isinstance(value, Mapping) else value


__all__ = ["MAX_VECTOR_DIMENSIONS", "json", "texts", "uuid", "uuids", "vector", "vectors"]
