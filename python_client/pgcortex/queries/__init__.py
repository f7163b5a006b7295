"""Every SQL statement the client sends, as named constants (one module per area).

Calls always use named arguments (``name => $1``) so that adding a defaulted
parameter to a SQL function never breaks a caller.
"""

from .admin import *  # noqa: F403
from .core import *  # noqa: F403
from .knowledge import *  # noqa: F403
from .memories import *  # noqa: F403
