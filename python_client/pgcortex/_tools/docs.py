"""The SQL API reference (docs/sql-api.md), generated from the database catalog.

``python -m pgcortex._tools.docs --write docs/sql-api.md`` (``make docs``) deploys the
schema into a scratch database on the configured server (embedded by default),
reads every function and view of schema ``pgcortex`` (the public API; the helpers
in ``pgcortex_internal`` are not listed) from ``pg_catalog`` (its signature,
result, volatility, security and ``comment on``) and writes Markdown, functions
grouped by area: the area of a function is the SQL file that creates it
(:data:`AREAS`), so the files and the reference say the same.
``tests/test_docs.py`` renders the same text from a freshly deployed test database
and fails when it differs from the committed file.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

#: Where the generated reference is committed, relative to the checkout.
DEFAULT_OUTPUT = Path("docs/sql-api.md")

_FUNCTIONS_SQL = """
select
    p.proname as name,
    pg_catalog.pg_get_function_arguments(p.oid) as arguments,
    pg_catalog.pg_get_function_result(p.oid) as result,
    p.provolatile as volatility,
    p.prosecdef as security_definer,
    p.prokind as kind,
    l.lanname as language,
    pg_catalog.obj_description(p.oid, 'pg_proc') as comment
from pg_catalog.pg_proc as p
inner join pg_catalog.pg_language as l on l.oid = p.prolang
where
    p.pronamespace = 'pgcortex'::regnamespace
    and p.prorettype <> 'pg_catalog.trigger'::regtype
order by p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)
"""

_VIEWS_SQL = """
select
    c.relname as name,
    pg_catalog.obj_description(c.oid, 'pg_class') as comment,
    coalesce(
        (
            select pg_catalog.string_agg(
                pg_catalog.format(
                    '%s %s', a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
                ),
                ', ' order by a.attnum
            )
            from pg_catalog.pg_attribute as a
            where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        ),
        ''
    ) as columns
from pg_catalog.pg_class as c
where c.relnamespace = 'pgcortex'::regnamespace and c.relkind in ('v', 'm')
order by c.relname
"""

_ERROR_CODES_SQL = """
select sqlstate, name, meaning from pgcortex.error_codes order by sqlstate
"""

#: Area titles of the re-runnable SQL files, in the order the reference lists them.
#: A file not named here gets a title made from its name (``070_graph_store.sql``:
#: "Graph store"), after these.
AREAS: dict[str, str] = {
    "021_memories_write": "Memories: writes",
    "020_memories_read": "Memories: reads",
    "022_memories_search": "Memories: search",
    "023_memories_links": "Memories: links",
    "024_memories_access": "Memories: access tracking",
    "030_preferences": "Knowledge",
    "031_patterns": "Knowledge",
    "033_clusters": "Knowledge",
    "034_context": "Knowledge",
    "032_sessions": "Sessions",
    "035_maintenance": "Maintenance",
    "050_import": "Import",
    "012_embedding_models": "Embedding models",
    "060_integrations": "Integrations",
    "065_langgraph_store": "Key-value store (LangGraph)",
    "010_core": "Admin and security",
    "040_security": "Admin and security",
}

_CREATES = re.compile(
    r"^create\s+(?:or\s+replace\s+)?(?:function|procedure)\s+pgcortex\.([a-z_0-9]+)\s*\(",
    re.I | re.M,
)


def area_title(stem: str) -> str:
    """The area of a re-runnable SQL file (its name without ``.sql``)."""
    if stem in AREAS:
        return AREAS[stem]
    words = stem.split("_", 1)[-1].replace("_", " ")
    return words[:1].upper() + words[1:]


def function_areas(directory: Path | None = None) -> dict[str, str]:
    """Function name -> area title, from the files that create them."""
    from ..config import sql_dir

    root = directory or sql_dir()
    out: dict[str, str] = {}
    for path in sorted((root / "idempotent").glob("*.sql")):
        for m in _CREATES.finditer(path.read_text()):
            out.setdefault(m.group(1), area_title(path.stem))
    return out


def _area_order() -> list[str]:
    return list(dict.fromkeys(AREAS.values()))


def anchor(title: str) -> str:
    """The Markdown anchor of a heading."""
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


_VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}
_KIND = {"f": "function", "p": "procedure", "a": "aggregate", "w": "window function"}


def split_arguments(arguments: str) -> list[str]:
    """Split pg_get_function_arguments() output on its top-level commas."""
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for i, ch in enumerate(arguments):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in "([":
            depth += 1
        elif not quoted and ch in ")]":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            parts.append(arguments[start:i].strip())
            start = i + 1
    tail = arguments[start:].strip()
    if tail:
        parts.append(tail)
    return parts


@dataclass(frozen=True, slots=True)
class FunctionDoc:
    name: str
    arguments: str
    result: str
    volatility: str
    security_definer: bool
    kind: str
    language: str
    comment: str | None

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> FunctionDoc:
        return cls(
            name=row["name"],
            arguments=row["arguments"],
            result=row["result"] or "",
            volatility=_VOLATILITY[row["volatility"]],
            security_definer=bool(row["security_definer"]),
            kind=_KIND.get(row["kind"], row["kind"]),
            language=row["language"],
            comment=row["comment"],
        )

    def markdown(self) -> str:
        signature = f"pgcortex.{self.name}({self.arguments})"
        if len(signature) > 80:
            args = ",\n    ".join(split_arguments(self.arguments))
            signature = f"pgcortex.{self.name}(\n    {args}\n)"
        result = self.result
        if len(result) > 80 and result.startswith("TABLE(") and result.endswith(")"):
            columns = ",\n    ".join(split_arguments(result[len("TABLE(") : -1]))
            result = f"TABLE(\n    {columns}\n)"
        head = f"{signature}\nreturns {result}"
        if self.kind == "procedure":
            head = f"call {signature}"
        security = "security definer" if self.security_definer else "security invoker"
        facts = f"{self.language}, {self.volatility}, {security}"
        if self.kind not in ("function", "procedure"):
            facts = f"{self.kind}, {facts}"
        comment = (self.comment or "_(no comment)_").strip()
        return f"### `{self.name}`\n\n```sql\n{head}\n```\n\n{facts}.\n\n{comment}\n"


@dataclass(frozen=True, slots=True)
class ViewDoc:
    name: str
    columns: str
    comment: str | None

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> ViewDoc:
        return cls(name=row["name"], columns=row["columns"], comment=row["comment"])

    def markdown(self) -> str:
        cols = "\n".join(f"    {col}" for col in self.columns.split(", ")) if self.columns else ""
        comment = (self.comment or "_(no comment)_").strip()
        return f"### `{self.name}`\n\n```sql\npgcortex.{self.name} (\n{cols}\n)\n```\n\n{comment}\n"


def _rows(conn: psycopg.Connection[Any], query: str) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(query)
        return list(cur.fetchall())


def render(conn: psycopg.Connection[Any], directory: Path | None = None) -> str:
    """The Markdown reference of the pgcortex schema deployed in ``conn``'s database.

    ``directory``: the SQL files whose names give the areas (default: the shipped ones).
    """
    with conn.transaction():
        # an empty search_path makes format_type() qualify types (public.vector)
        conn.execute("set local search_path = ''")
        functions = [FunctionDoc.from_record(r) for r in _rows(conn, _FUNCTIONS_SQL)]
        views = [ViewDoc.from_record(r) for r in _rows(conn, _VIEWS_SQL)]
        codes = _rows(conn, _ERROR_CODES_SQL)
    where = function_areas(directory)
    grouped: dict[str, list[FunctionDoc]] = {}
    for f in functions:
        grouped.setdefault(where.get(f.name, "Other"), []).append(f)
    known = _area_order()
    order = [a for a in known if a in grouped]
    order += sorted(a for a in grouped if a not in known)

    out = [
        "# pgcortex SQL API",
        "",
        "<!-- Generated by `make docs` (python -m pgcortex._tools.docs) from a freshly deployed",
        "     database: do not edit by hand. tests/test_docs.py checks it is current. -->",
        "",
        "Every function and view of schema `pgcortex`, the public API, with its signature",
        "and comment, functions grouped by area. Call functions with named arguments",
        "(`pgcortex.f(name => value)`); every call works in the namespace set for the",
        "session (`set pgcortex.namespace = 'x'` in psql; the Python client sets it when",
        "it connects). The functions these call (checks, row builders, triggers, column",
        "defaults) live in schema `pgcortex_internal`, closed to the application role.",
        "",
        "## Contents",
        "",
    ]
    sections: list[tuple[str, list[str]]] = [
        (area, [f.name for f in grouped[area]]) for area in order
    ]
    sections.append(("Views", [v.name for v in views]))
    for title, names in sections:
        if not names:
            continue
        unique = list(dict.fromkeys(names))
        out.append(f"- [{title}](#{anchor(title)}): " + ", ".join(f"`{n}`" for n in unique))
    out.append("- [Error codes](#error-codes)")
    out.append("")
    for area in order:
        out += [f"## {area}", ""] + [f.markdown() for f in grouped[area]]
    if views:
        out += ["## Views", ""] + [v.markdown() for v in views]
    out += [
        "## Error codes",
        "",
        "Raised as SQLSTATE `PCnnn` (class PC); the Python client raises the matching",
        "subclass of `pgcortex.PgcortexError`.",
        "",
        error_table(codes),
    ]
    return "\n".join(out).rstrip() + "\n"


def error_table(codes: list[dict[str, Any]]) -> str:
    """The error codes as a Markdown table, with the Python exception of each."""
    from ..errors import BY_SQLSTATE

    lines = ["| SQLSTATE | name | Python exception | meaning |", "| --- | --- | --- | --- |"]
    for c in codes:
        meaning = c["meaning"].replace("|", "\\|")
        cls = BY_SQLSTATE.get(c["sqlstate"])
        exception = f"`{cls.__name__}`" if cls is not None else "—"
        lines.append(f"| `{c['sqlstate']}` | `{c['name']}` | {exception} | {meaning} |")
    return "\n".join(lines)


#: The README block that `make docs` keeps equal to the database's error codes.
README_BEGIN = "<!-- error-codes: generated by make docs -->"
README_END = "<!-- /error-codes -->"


def error_codes(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    return _rows(conn, _ERROR_CODES_SQL)


def with_readme_table(readme: str, codes: list[dict[str, Any]]) -> str:
    """``readme`` with the text between the error-code markers replaced by the table."""
    start = readme.find(README_BEGIN)
    end = readme.find(README_END)
    if start < 0 or end < start:
        return readme
    head = readme[: start + len(README_BEGIN)]
    return f"{head}\n{error_table(codes)}\n{readme[end:]}"


def render_fresh(dsn: str, directory: Path | None = None) -> tuple[str, list[dict[str, Any]]]:
    """Deploy into a scratch database on ``dsn``'s server; the reference and error codes."""
    from ..migrate import deploy
    from .snapshot import scratch_database

    with scratch_database(dsn) as scratch:
        deploy(scratch, directory=directory)
        with psycopg.connect(scratch) as conn:
            return render(conn, directory), error_codes(conn)


def main(argv: list[str] | None = None) -> int:
    from ..server import ensure_dsn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="server to use (default: configured or embedded)")
    parser.add_argument("--write", metavar="FILE", help="write the reference to FILE")
    parser.add_argument(
        "--readme", metavar="FILE", help="also refresh the error-code table in FILE"
    )
    args = parser.parse_args(argv)
    text, codes = render_fresh(ensure_dsn(args.dsn))
    if args.readme:
        readme = Path(args.readme)
        current = readme.read_text()
        updated = with_readme_table(current, codes)
        if updated != current:
            readme.write_text(updated)
            print(f"updated the error-code table in {args.readme}")
    if args.write:
        Path(args.write).write_text(text)
        print(f"wrote {args.write}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
