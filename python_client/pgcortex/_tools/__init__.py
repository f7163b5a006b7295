"""Development tools of the repository (the SQL reference and schema snapshot
generators behind ``make docs`` and ``make snapshot``); not part of the library."""
