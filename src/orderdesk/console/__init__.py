"""The operator console: a server-rendered web UI under /console that runs the same use cases
as the operator APIs (/ops/v1), behind a session signed with a key derived from the operator
token."""

from orderdesk.console.routes import mount

__all__ = ["mount"]
