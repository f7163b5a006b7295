"""SQL of the agent framework integrations (``pgcortex.integrations``)."""

from ..retry import idempotent

SESSION_ITEM_TURNS = idempotent("select * from pgcortex.session_item_turns(items => $1)")
ADD_SESSION_ITEMS = (
    "select * from pgcortex.add_session_items(session_key => $1, items => $2, "
    "embeddings => $3, embedding_model => $4, as_of => coalesce($5::timestamptz, now()))"
)
GET_SESSION_ITEMS = idempotent(
    "select * from pgcortex.get_session_items(session_key => $1, max_items => $2)"
)
POP_SESSION_ITEM = "select * from pgcortex.pop_session_item(session_key => $1)"
CLEAR_SESSION_ITEMS = "select pgcortex.clear_session_items(session_key => $1)"
SESSION_BY_KEY = idempotent("select pgcortex.session_by_key(session_key => $1)")

__all__ = [
    "ADD_SESSION_ITEMS",
    "CLEAR_SESSION_ITEMS",
    "GET_SESSION_ITEMS",
    "POP_SESSION_ITEM",
    "SESSION_BY_KEY",
    "SESSION_ITEM_TURNS",
]
