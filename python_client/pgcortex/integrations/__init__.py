"""Bridges from agent frameworks to pgcortex, each an optional extra.

* :mod:`pgcortex.integrations.mcp`: a Model Context Protocol server over stdio
  (``pgcortex mcp``; extra ``mcp``).
* :mod:`pgcortex.integrations.openai_agents`: ``PgcortexSession``, a session of the
  OpenAI Agents SDK kept in pgcortex sessions and turns (extra ``openai-agents``).
* :mod:`pgcortex.integrations.langgraph`: ``AsyncPgcortexStore``, a LangGraph store
  kept in the pgcortex key-value store (extra ``langgraph``).

Importing this package imports no framework; each module imports its own when it
is imported.
"""
