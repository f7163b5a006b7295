"""SQL of the core area: schema version and namespace."""

SCHEMA_VERSION = "select * from pgcortex.schema_version()"
CURRENT_NAMESPACE = "select pgcortex.current_namespace()"

__all__ = ["CURRENT_NAMESPACE", "SCHEMA_VERSION"]
