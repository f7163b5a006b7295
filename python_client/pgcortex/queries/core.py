"""SQL of the core area: schema version, namespace and the connection's set-up."""

from .call import Call

SCHEMA_VERSION = Call("schema_version", returns="row", idempotent=True)
CURRENT_NAMESPACE = Call("current_namespace", returns="value", idempotent=True)
#: Run once per new pooled connection, before the vector codec is registered
#: (the one statement that is not a call of the API).
VECTOR_TYPE_EXISTS = "select to_regtype('public.vector') is not null"

__all__ = ["CURRENT_NAMESPACE", "SCHEMA_VERSION", "VECTOR_TYPE_EXISTS"]
