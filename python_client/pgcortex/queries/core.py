"""SQL of the core area: schema version, namespace and the connection's set-up."""

from ..retry import idempotent

SCHEMA_VERSION = idempotent("select * from pgcortex.schema_version()")
CURRENT_NAMESPACE = idempotent("select pgcortex.current_namespace()")
#: Run once per new pooled connection, before the vector codec is registered.
VECTOR_TYPE_EXISTS = "select to_regtype('public.vector') is not null"

__all__ = ["CURRENT_NAMESPACE", "SCHEMA_VERSION", "VECTOR_TYPE_EXISTS"]
