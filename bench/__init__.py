"""pgcortex benchmarks: ``make bench`` (``python -m bench.run``).

Loads deterministic data into a fresh database of its own on the embedded server (or
``PGCORTEX_DSN``), measures the SQL API against the exact answer computed with numpy,
and writes ``bench/results/<name>.json``, ``<name>.md`` and ``<name>.png``.
"""
