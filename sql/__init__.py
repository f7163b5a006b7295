"""The SQL files of pgcortex, as the data package ``pgcortex.sql``.

The files stay here, in the repository's ``sql/`` (a DBA deploys from this directory
with ``psql -X -v ON_ERROR_STOP=1 -f deploy.psql``); the build maps the directory to
``pgcortex/sql`` in the wheel, and an editable install maps it to this directory, so
``importlib.resources.files("pgcortex.sql")`` finds the same files either way.
"""
