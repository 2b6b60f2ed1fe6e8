"""The one place a worker process becomes an eventlet process.

Importing eventlet prints a multi-line ``EventletDeprecationWarning`` on stderr; a log line must be
one JSON object, and the warning says nothing an operator can act on (nameko 2 needs eventlet), so
it is filtered here, before the import that raises it. Other warnings go through the JSON logger
(``logs.configure_logging``).
"""

from __future__ import annotations

import warnings


def monkey_patch() -> None:
    """Patch the standard library for eventlet; call before anything else is imported."""
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
