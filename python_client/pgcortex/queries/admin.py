"""SQL of the security area: export and erase a namespace, and their audit log."""

from .call import Call

#: Streamed through a cursor: one JSON value per row of the export.
EXPORT_NAMESPACE = Call("export_namespace")
#: Erasing twice leaves what erasing once does (the second finds nothing; both audited).
ERASE_NAMESPACE = Call("erase_namespace", ("confirm",), returns="row", idempotent=True)
NAMESPACE_AUDIT_LOG = Call("namespace_audit_log", (), ("max_rows",), idempotent=True)

__all__ = ["ERASE_NAMESPACE", "EXPORT_NAMESPACE", "NAMESPACE_AUDIT_LOG"]
