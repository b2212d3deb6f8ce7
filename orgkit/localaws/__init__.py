"""A local AWS for tests and the demo: moto, extended to behave like AWS where orgkit needs it.

* :func:`install` patches moto in this process (GuardDuty members and organization admin, organization trails
  in member accounts, ListTrails across regions, Account Management regions, strict AssumeRole, faults);
* :class:`LocalAWS` runs it as a server on 127.0.0.1 (a subprocess by default);
* :mod:`orgkit.localaws.validate` checks responses against botocore's output shapes.

See docs/localaws.md.
"""

from typing import Any

from .cloudtrail import delivery_errors, set_delivery_error
from .ext import install
from .state import add_fault, calls, clear_calls, clear_faults, get_options, list_faults, set_options

__all__ = [
    "LocalAWS",
    "LocalAWSError",
    "add_fault",
    "calls",
    "clear_calls",
    "clear_faults",
    "delivery_errors",
    "get_options",
    "install",
    "list_faults",
    "set_delivery_error",
    "set_options",
]


def __getattr__(name: str) -> Any:
    # Imported lazily so that ``python -m orgkit.localaws.server`` does not import the module twice.
    if name in ("LocalAWS", "LocalAWSError"):
        from . import server

        return getattr(server, name)
    raise AttributeError(name)
