"""SQL of the security area: export and erase a namespace, and their audit log."""

from ..retry import idempotent

#: Streamed through a cursor: one JSON value per line of the export.
EXPORT_NAMESPACE = "select t.line from pgcortex.export_namespace() as t (line)"
#: Erasing twice leaves what erasing once does (the second finds nothing; both audited).
ERASE_NAMESPACE = idempotent("select * from pgcortex.erase_namespace(confirm => $1)")
NAMESPACE_AUDIT_LOG = idempotent("select * from pgcortex.namespace_audit_log(max_rows => $1)")

__all__ = ["ERASE_NAMESPACE", "EXPORT_NAMESPACE", "NAMESPACE_AUDIT_LOG"]
