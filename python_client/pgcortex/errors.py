"""One exception hierarchy for pgcortex, and the one place driver errors are mapped.

The SQL API raises errors of class ``PC`` (see ``pgcortex.error_codes`` in the
database and the table in README.md). :func:`wrap_errors` turns a driver error into
the matching :class:`PgcortexError` subclass: by SQLSTATE first, then by constraint
name, then a few standard SQLSTATEs, else the base class, always ``from`` the
original and keeping its message, detail and hint. A message text never decides
the class. An argument the driver refused to encode (nothing was sent) is mapped
by the kind of encoding failure; only a broken connection is a
:class:`ConnectionLostError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar


class PgcortexError(Exception):
    """Base of every pgcortex error."""

    sqlstate: ClassVar[str | None] = None

    def __init__(
        self,
        message: str,
        *,
        detail: str | None = None,
        hint: str | None = None,
        sqlstate: str | None = None,
        constraint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.hint = hint
        self.code = sqlstate or type(self).sqlstate
        self.constraint = constraint
        #: True when the driver refused an argument before sending anything.
        self.client_side = False

    def __str__(self) -> str:
        parts = [self.message]
        if self.detail:
            parts.append(f"DETAIL: {self.detail}")
        if self.hint:
            parts.append(f"HINT: {self.hint}")
        return "\n".join(parts)


class ValidationError(PgcortexError):
    """Bad input: nothing was written."""


class NamespaceNotSetError(PgcortexError):
    sqlstate = "PC001"


class InvalidNamespaceError(ValidationError):
    sqlstate = "PC002"


class InvalidArgumentError(ValidationError):
    sqlstate = "PC003"


class OutOfRangeError(ValidationError):
    sqlstate = "PC004"


class EmbeddingError(ValidationError):
    """Something is wrong with an embedding."""


class EmbeddingDimensionError(EmbeddingError):
    sqlstate = "PC010"


class EmbeddingValueError(EmbeddingError):
    sqlstate = "PC011"


class EmbeddingModelMismatchError(EmbeddingError):
    sqlstate = "PC012"


class EmbeddingModelUnknownError(EmbeddingError):
    sqlstate = "PC013"


class EmbeddingModelConflictError(EmbeddingError):
    sqlstate = "PC014"


class ReembedIncompleteError(PgcortexError):
    sqlstate = "PC015"


class EmbedderModelMismatchError(PgcortexError):
    """The client's embedder disagrees with the registry (dimensions, or the
    namespace's current model): checked on connect."""


class InvalidContentError(ValidationError):
    sqlstate = "PC020"


class UnknownMemoryTypeError(ValidationError):
    sqlstate = "PC021"


class UnknownPatternTypeError(ValidationError):
    sqlstate = "PC022"


class InvalidMetadataError(ValidationError):
    sqlstate = "PC023"


class InvalidTagsError(ValidationError):
    sqlstate = "PC024"


class DuplicateContentError(ValidationError):
    sqlstate = "PC025"


class IdConflictError(ValidationError):
    sqlstate = "PC026"


class InvalidIdError(ValidationError):
    """A malformed uuid (SQLSTATE 22P02 for uuid input)."""


class NotFoundError(PgcortexError):
    sqlstate = "PC030"


class SessionClosedError(PgcortexError):
    sqlstate = "PC031"


class InvalidSessionTimeError(ValidationError):
    sqlstate = "PC032"


class SchemaVersionError(PgcortexError):
    sqlstate = "PC040"


class MigrationDriftError(PgcortexError):
    sqlstate = "PC041"


class ConfirmationRequiredError(PgcortexError):
    """A destructive call (erase_namespace) was not confirmed with the namespace's name."""

    sqlstate = "PC050"


class NamespaceNotPermittedError(PgcortexError):
    """The login role may not use the namespace it set: it is bound to other namespaces,
    or it has no binding while unbound logins are refused (fail-closed)."""

    sqlstate = "PC051"


class ConcurrencyError(PgcortexError):
    """Serialization failure or deadlock (SQLSTATE 40001, 40P01): safe to retry if idempotent."""


class ConnectionLostError(PgcortexError):
    """The connection to the server broke; the call's outcome is unknown."""


class QueryTimeoutError(PgcortexError):
    """The statement was cancelled by statement_timeout or by the caller."""


class SqlFilesNotFoundError(PgcortexError):
    """The SQL files to deploy are not where PGCORTEX_SQL_DIR or the package says."""


class EmbedderUnavailableError(PgcortexError):
    """The embedder's packages are not installed (install the extra 'embed')."""


class EmbeddingServiceError(PgcortexError):
    """An embedding endpoint refused a request, gave an answer that is not an embeddings
    list, or could not be reached after the retries. ``status`` is its HTTP status
    (None when no answer came); ``attempts`` counts the requests made."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        attempts: int = 1,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, detail=detail, hint=hint)
        self.status = status
        self.attempts = attempts


def _all_subclasses(cls: type[PgcortexError]) -> Iterator[type[PgcortexError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


#: SQLSTATE -> exception class, for every code of our own.
BY_SQLSTATE: dict[str, type[PgcortexError]] = {
    cls.sqlstate: cls for cls in _all_subclasses(PgcortexError) if cls.sqlstate
}

#: Constraint (or domain check) name -> exception class, for checks enforced by tables.
BY_CONSTRAINT: dict[str, type[PgcortexError]] = {
    "namespace_name_check": InvalidNamespaceError,
    "memories_content_check": InvalidContentError,
    "conversation_turns_content_check": InvalidContentError,
    "memories_importance_check": OutOfRangeError,
    "memories_confidence_check": OutOfRangeError,
    "memories_tags_check": InvalidTagsError,
    "memories_metadata_check": InvalidMetadataError,
    "memories_memory_type_fkey": UnknownMemoryTypeError,
    "memories_embedding_model_fkey": EmbeddingModelUnknownError,
    "knowledge_clusters_centroid_model_fkey": EmbeddingModelUnknownError,
    "learning_patterns_pattern_type_fkey": UnknownPatternTypeError,
    "conversation_sessions_ended_at_check": InvalidSessionTimeError,
    "user_preferences_confidence_check": OutOfRangeError,
    "learning_patterns_confidence_check": OutOfRangeError,
    "knowledge_clusters_confidence_check": OutOfRangeError,
    "conversation_turns_role_check": InvalidArgumentError,
}

#: Standard SQLSTATEs with a meaning of their own to a caller.
BY_STANDARD_SQLSTATE: dict[str, type[PgcortexError]] = {
    "22P02": InvalidArgumentError,  # invalid text representation (malformed uuid, number)
    "22000": InvalidArgumentError,  # data exception (e.g. NaN in a vector given in SQL)
    "22003": OutOfRangeError,  # numeric value out of range
    "22021": InvalidContentError,  # NUL byte or invalid UTF-8
    "22P05": InvalidContentError,  # untranslatable character
    "54000": InvalidArgumentError,  # program limit exceeded (a value too large for its type)
    "54001": InvalidMetadataError,  # statement too complex (JSON nested too deep)
    "40001": ConcurrencyError,
    "40P01": ConcurrencyError,
    "57014": QueryTimeoutError,
    "57P01": ConnectionLostError,  # admin shutdown
    "57P02": ConnectionLostError,  # crash shutdown
    "57P03": ConnectionLostError,  # cannot connect now (starting up, recovering)
}


def from_driver_error(exc: BaseException) -> PgcortexError:
    """The pgcortex exception for a driver (asyncpg or psycopg) error."""
    sqlstate = getattr(exc, "sqlstate", None)
    diag: Any = getattr(exc, "diag", None)
    if sqlstate is None and diag is not None:
        sqlstate = diag.sqlstate
    message = getattr(exc, "message", None) or (diag.message_primary if diag else None) or str(exc)
    detail = getattr(exc, "detail", None) or (diag.message_detail if diag else None)
    hint = getattr(exc, "hint", None) or (diag.message_hint if diag else None)
    constraint = getattr(exc, "constraint_name", None) or (diag.constraint_name if diag else None)
    cls: type[PgcortexError] = PgcortexError
    if sqlstate in BY_SQLSTATE:
        cls = BY_SQLSTATE[sqlstate]
    elif constraint and constraint in BY_CONSTRAINT:
        cls = BY_CONSTRAINT[constraint]
    elif sqlstate in BY_STANDARD_SQLSTATE:
        cls = BY_STANDARD_SQLSTATE[sqlstate]
    elif sqlstate and sqlstate.startswith("08"):
        cls = ConnectionLostError
    return cls(message, detail=detail, hint=hint, sqlstate=sqlstate, constraint=constraint)


#: What the driver raises when it cannot encode an argument, and what that means.
_ENCODING_FAILURES: tuple[tuple[type[BaseException], type[PgcortexError]], ...] = (
    (UnicodeError, InvalidContentError),  # text with no UTF-8 form (a lone surrogate)
    (OverflowError, OutOfRangeError),  # a number too large for its SQL type
    (RecursionError, InvalidMetadataError),  # JSON nested too deeply to encode
    (ValueError, InvalidArgumentError),
    (TypeError, InvalidArgumentError),
)


def from_encoding_error(exc: BaseException) -> PgcortexError | None:
    """The pgcortex error for an argument the driver could not encode, else None.

    The driver raises its own error ``from`` the encoder's exception; the kind of
    that exception decides (its message is kept for the reader).
    """
    cause = exc.__cause__
    if cause is None:
        return None
    for kind, cls in _ENCODING_FAILURES:
        if isinstance(cause, kind):
            error = cls(f"an argument could not be sent: {exc}")
            error.client_side = True
            return error
    return None


def _is_connection_failure(exc: BaseException) -> bool:
    """True for a broken or refused connection (the outcome of a call is unknown)."""
    import asyncpg
    import psycopg
    from asyncpg.exceptions._base import InternalClientError

    if isinstance(exc, asyncpg.exceptions.ConnectionDoesNotExistError | ConnectionError):
        return True
    if isinstance(exc, InternalClientError):
        # The protocol in a state it cannot leave, seen when the server dies
        # mid-call (the pool then drops the connection).
        return True
    if isinstance(exc, psycopg.OperationalError) and exc.sqlstate is None:
        return True
    # A socket that could not be reached (no file name: not a file the caller named).
    return isinstance(exc, OSError) and getattr(exc, "filename", None) is None


def _driver_error_types() -> tuple[type[BaseException], ...]:
    import asyncpg
    import psycopg
    from asyncpg.exceptions._base import InternalClientError

    return (
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        # The protocol in a state it cannot leave, seen when the server dies
        # mid-call (the pool then drops the connection): the outcome is unknown.
        InternalClientError,
        psycopg.Error,
        ConnectionError,
        OSError,
    )


@contextmanager
def wrap_errors() -> Iterator[None]:
    """Re-raise driver errors as pgcortex errors (``from`` the original)."""
    try:
        yield
    except PgcortexError:
        raise
    except RecursionError as exc:
        # The JSON codec gave up on an argument nested too deeply to encode;
        # nothing was sent.
        error = InvalidMetadataError(
            "a JSON argument is nested too deeply to encode", hint="flatten the value"
        )
        error.client_side = True
        raise error from exc
    except _driver_error_types() as exc:
        if isinstance(exc, OSError) and exc.filename is not None:
            raise  # a file the caller named, not the connection
        encoding = from_encoding_error(exc)
        if encoding is not None:
            raise encoding from exc
        if _is_postgres_error(exc):
            raise from_driver_error(exc) from exc
        if _is_connection_failure(exc):
            raise ConnectionLostError(str(exc) or type(exc).__name__) from exc
        raise PgcortexError(f"{type(exc).__name__}: {exc}") from exc


def _is_postgres_error(exc: BaseException) -> bool:
    import asyncpg
    import psycopg

    if isinstance(exc, asyncpg.PostgresError):
        return True
    return isinstance(exc, psycopg.Error) and exc.sqlstate is not None
