"""The client's shape: no import circle, and every SQL call matches the deployed API.

* The package's import graph (every module of ``python_client/pgcortex``, relative
  imports resolved, imports inside functions included) has no cycle.
* Every :class:`~pgcortex.queries.Call` names only parameters the SQL function has
  (``pg_proc.proargnames``), sends every parameter without a default, and leaves
  out only parameters that have one.
* Every function the application role may execute (the public API, schema
  pgcortex) has a caller in the client.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import psycopg
import pytest

import pgcortex
from pgcortex import queries as q
from pgcortex.queries import Call

PACKAGE = Path(pgcortex.__file__).resolve().parent

#: Functions the application role may execute that the client does not call, each
#: with the reason. None: helpers, checks, row builders and triggers live in schema
#: pgcortex_internal, which the application role cannot use.
NOT_CALLED_BY_THE_CLIENT: dict[str, str] = {}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def import_graph() -> dict[str, set[str]]:
    """Module -> the pgcortex modules it imports (anywhere in its body)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node)
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            for target in targets:
                # `from . import queries` names a module; `from .x import name` names x.
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("pgcortex"):
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (a package importing its own submodules aside)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if node.startswith(dep + "."):
                continue  # a submodule's import of its package's __init__ while it loads
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "pgcortex.client" in graph
    assert "pgcortex.base" in graph["pgcortex.memories"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_library_does_not_import_the_demo_or_the_tools() -> None:
    """No module of the library (client, command line, integrations, import) imports
    the demo or the generators of docs and snapshot; they import the library."""
    apart = ("pgcortex.demo", "pgcortex._tools")
    graph = import_graph()
    assert "pgcortex.client" in graph["pgcortex.demo.agent"]  # the demo uses the library
    reaching = {
        module: sorted(m for m in imported if m.startswith(apart))
        for module, imported in graph.items()
        if not module.startswith(apart)
    }
    assert {module: found for module, found in reaching.items() if found} == {}


def test_records_and_mixins_stay_apart() -> None:
    """Records hold data only; the public names still import from ``pgcortex``."""
    graph = import_graph()
    assert graph["pgcortex.records"] == set()
    assert graph["pgcortex.args"] == {"pgcortex.errors"}
    assert "pgcortex.memories" not in graph["pgcortex.knowledge"]
    assert inspect.signature(pgcortex.connect).return_annotation in ("Client", pgcortex.Client)


def _calls() -> dict[str, Call]:
    return {name: value for name, value in vars(q).items() if isinstance(value, Call)}


def _functions(db: psycopg.Connection) -> dict[str, tuple[list[str], int]]:
    rows = db.execute(
        """
        select p.proname, coalesce(p.proargnames, '{}'), p.pronargs, p.pronargdefaults
        from pg_catalog.pg_proc as p
        where p.pronamespace = 'pgcortex'::regnamespace
        """
    ).fetchall()
    functions: dict[str, tuple[list[str], int]] = {}
    for name, argnames, nargs, ndefaults in rows:
        assert name not in functions, f"pgcortex.{name} is overloaded"
        functions[name] = (list(argnames)[:nargs], ndefaults)
    return functions


def test_every_call_names_existing_parameters(db: psycopg.Connection) -> None:
    functions = _functions(db)
    problems = []
    for const, call in _calls().items():
        if call.function not in functions:
            problems.append(f"{const}: no function pgcortex.{call.function}")
            continue
        names, ndefaults = functions[call.function]
        without_default = names[: len(names) - ndefaults]
        unknown = set(call.parameters) - set(names)
        if unknown:
            problems.append(f"{const}: pgcortex.{call.function} has no {sorted(unknown)}")
        if set(call.required) != set(without_default):
            problems.append(
                f"{const}: sends {call.required} always, SQL has no default for {without_default}"
            )
        if len(set(call.parameters)) != len(call.parameters):
            problems.append(f"{const}: a parameter is listed twice")
        text = call.sql(*call.parameters)
        assert text.startswith("select ")
        assert f"pgcortex.{call.function}(" in text
    assert problems == []


def test_a_call_leaves_out_none_and_refuses_an_unknown_name() -> None:
    sql, values = q.STORE_MEMORY.bind({"content": "c", "memory_type": "t", "importance": None})
    assert sql == "select * from pgcortex.store_memory(content => $1, memory_type => $2)"
    assert values == ["c", "t"]
    sql, values = q.STORE_MEMORY.bind({"content": None, "memory_type": "t", "tags": ["a"]})
    assert sql.endswith("(content => $1, memory_type => $2, tags => $3)")
    assert values == [None, "t", ["a"]]
    assert q.DELETE_MEMORY.sql() == "select pgcortex.delete_memory(memory_id => $1)"
    with pytest.raises(TypeError, match="no parameter"):
        q.STORE_MEMORY.bind({"content": "c", "memory_type": "t", "importanse": 3})


def test_every_function_the_app_may_execute_has_a_caller(db: psycopg.Connection) -> None:
    executable = {
        name
        for (name,) in db.execute(
            """
            select p.proname from pg_catalog.pg_proc as p
            where p.pronamespace = 'pgcortex'::regnamespace
              and pg_catalog.has_function_privilege('pgcortex_app', p.oid, 'execute')
            """
        ).fetchall()
    }
    called = {call.function for call in _calls().values()}
    # Modules that send SQL text of their own (import, integrations) call by name too.
    raw_sql = "\n".join(path.read_text() for path in (PACKAGE / "queries").glob("*.py"))
    called |= {name for name in executable if f"pgcortex.{name}(" in raw_sql}
    exempt = set(NOT_CALLED_BY_THE_CLIENT)
    assert sorted(executable - called - exempt) == []
    # The exemptions stay true: nothing listed is called, nothing listed is gone.
    assert sorted(exempt & called) == []
    assert sorted(exempt - set(_functions(db))) == []


def test_every_call_is_used_by_a_client_method() -> None:
    """No unused constants: each Call is referenced by the client's code."""
    source = "\n".join(p.read_text() for p in PACKAGE.glob("*.py"))
    unused = [name for name in _calls() if f"q.{name}" not in source]
    assert unused == []


def test_methods_are_named_after_their_sql_function() -> None:
    client_methods = {n for n in dir(pgcortex.Client) if not n.startswith("_")}
    missing = sorted(c.function for c in _calls().values() if c.function not in client_methods)
    # schema_version is read by check_schema_version on connect.
    assert missing == ["schema_version"]
