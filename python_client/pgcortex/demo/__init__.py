"""The scripted demo: an AI co-founder's long-term memory, through every capability.

Run it with ``python -m pgcortex.demo`` (``make demo``). It is an example of the
library, not part of it: nothing in :mod:`pgcortex` imports it.
"""

from .agent import main, run_demo

__all__ = ["main", "run_demo"]
