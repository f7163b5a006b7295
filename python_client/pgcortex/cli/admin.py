"""Server and schema commands: server start|stop|status|url, deploy, status, deploy-script."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .. import migrate
from ..errors import wrap_errors
from .common import add_json, print_json
from .output import kv, table


def _dsn(args: argparse.Namespace) -> str:
    from ..server import ensure_dsn

    return ensure_dsn(getattr(args, "dsn", None))


def cmd_server(args: argparse.Namespace) -> int:
    from ..server import EmbeddedServer

    server = EmbeddedServer()
    if args.action == "start":
        dsn = server.start()
        if args.json:
            print_json({"running": True, "dsn": dsn})
        else:
            print(f"embedded server running: {dsn}")
    elif args.action == "stop":
        stopped = server.stop()
        if args.json:
            print_json({"stopped": stopped})
        else:
            print("stopped" if stopped else "not running")
    elif args.action == "url":
        status = server.status()
        if not status.running:
            print("not running (pgcortex server start)", file=sys.stderr)
            return 1
        if args.json:
            print_json({"dsn": status.dsn})
        else:
            print(status.dsn)
    else:
        st = server.status()
        if args.json:
            print_json(
                {
                    "data_dir": str(st.data_dir),
                    "initialized": st.initialized,
                    "running": st.running,
                    "pid": st.pid,
                    "dsn": st.dsn,
                }
            )
            return 0 if st.running else 3
        print(
            kv(
                [
                    ("data directory", st.data_dir),
                    ("initialized", st.initialized),
                    ("running", st.running),
                    ("pid", st.pid or "-"),
                    ("dsn", st.dsn or "-"),
                ]
            )
        )
        return 0 if st.running else 3
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    dsn = _dsn(args)
    # With --json, stdout is the one document; the steps go to stderr.
    out = sys.stderr if args.json else sys.stdout
    with wrap_errors():
        report = migrate.deploy(dsn, force=args.force, log=lambda m: print(m, file=out, flush=True))
    if args.json:
        print_json(report)
    else:
        print(report.describe())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    dsn = _dsn(args)
    with wrap_errors():
        states = migrate.status(dsn)
    if args.json:
        print_json([{"file": s.name, "kind": s.kind, "state": s.state} for s in states])
        return 4 if any(s.state == "drift" for s in states) else 0
    print(table(["file", "kind", "state"], [(s.name, s.kind, s.state) for s in states]))
    pending = [s for s in states if s.state != "applied"]
    drift = [s for s in states if s.state == "drift"]
    if drift:
        print(f"\n{len(drift)} run-once file(s) edited after they were applied: deploy will refuse")
        return 4
    print(f"\n{len(states) - len(pending)} applied, {len(pending)} pending or changed")
    return 0


def cmd_deploy_script(args: argparse.Namespace) -> int:
    text = migrate.render_psql_script()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    dsn = _dsn(args)
    if not args.yes:
        answer = input(
            f"drop schemas pgcortex, pgcortex_internal and everything in them at {dsn}? [y/N] "
        )
        if answer.strip().lower() not in {"y", "yes"}:
            print("left as it was")
            return 1
    import psycopg

    with wrap_errors(), psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop schema if exists pgcortex, pgcortex_internal cascade")
    print("dropped schemas pgcortex and pgcortex_internal; run deploy to create them again")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("server", help="manage the embedded PostgreSQL server")
    p.add_argument("action", choices=["start", "stop", "status", "url"])
    add_json(p)
    p.set_defaults(func=cmd_server)

    p = sub.add_parser("deploy", help="apply pending migrations (one transaction)")
    p.add_argument("--force", action="store_true", help="re-apply the re-runnable files")
    add_json(p)
    p.set_defaults(func=cmd_deploy)

    p = sub.add_parser("status", help="applied, pending and drifted migration files")
    add_json(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("deploy-script", help="write the psql-only deploy script")
    p.add_argument("--output", "-o", default="-", help="file to write (default stdout)")
    p.set_defaults(func=cmd_deploy_script)

    register_psql(sub)

    p = sub.add_parser("reset", help="drop the pgcortex schema (asks first)")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(func=cmd_reset)


__all__ = ["register"]


def cmd_psql(args: argparse.Namespace) -> int:
    """Run the embedded wheel's psql (or PATH's) on the configured database."""
    import os
    import shutil

    from ..config import default_namespace
    from ..server import ServerError, bin_path

    dsn = _dsn(args)
    try:
        psql = str(bin_path("psql"))
    except ServerError:  # the server extra is not installed: use PATH's psql
        found = shutil.which("psql")
        if found is None:
            print("pgcortex: no psql found", file=sys.stderr)
            return 1
        psql = found
    env = dict(os.environ)
    ns = args.namespace or default_namespace()
    env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + f" -c pgcortex.namespace={ns}").strip()
    os.execve(psql, [psql, "-X", dsn, *args.psql_args], env)
    return 0  # pragma: no cover


def register_psql(sub: Any) -> None:
    p = sub.add_parser("psql", help="open psql on the database, namespace set")
    p.epilog = "Arguments after `psql` are passed to psql, e.g. pgcortex psql -c '\\dt+ pgcortex.*'"
    p.set_defaults(func=cmd_psql)
