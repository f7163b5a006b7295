"""Every SQL call the client makes, as :class:`~pgcortex.queries.call.Call` constants
(one module per area).

Calls always use named arguments (``name => $1``) and leave out optional arguments
that are ``None``, so that the SQL function's defaults apply and adding a defaulted
parameter to a SQL function never breaks a caller.
"""

from .admin import *  # noqa: F403
from .call import Call as Call
from .core import *  # noqa: F403
from .knowledge import *  # noqa: F403
from .memories import *  # noqa: F403
from .models import *  # noqa: F403
