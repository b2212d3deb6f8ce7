"""Process-wide state of the extension that is not AWS state: injected faults, the call log, options.

Thread-safe (the server answers from several threads). moto's reset does not touch it; use
:func:`reset_local_state` (or ``POST /orgkit-local/reset`` on the server, which does both).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

_lock = threading.Lock()


def _norm_op(name: str | None) -> str | None:
    return None if name is None else name.replace("_", "").replace("-", "").lower()


@dataclass
class Fault:
    """Answer ``error_code`` instead of calling moto when a request matches; None fields match anything.

    ``operation`` is the API operation name (``ListDetectors`` or ``list_detectors``); ``service`` the boto3
    service name (``guardduty``); ``count`` how many times (None: always).
    """

    error_code: str
    http_status: int = 400
    message: str = "Injected fault"
    account_id: str | None = None
    region: str | None = None
    service: str | None = None
    operation: str | None = None
    count: int | None = None
    id: int = 0
    hits: int = 0

    def matches(self, account_id: str, region: str, service: str, operation: str) -> bool:
        if self.count is not None and self.hits >= self.count:
            return False
        return (
            (self.account_id is None or self.account_id == account_id)
            and (self.region is None or self.region == region)
            and (self.service is None or self.service.lower() == service.lower())
            and (self.operation is None or _norm_op(self.operation) == _norm_op(operation))
        )


@dataclass
class _State:
    faults: list[Fault] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)
    next_id: int = 1
    options: dict[str, Any] = field(default_factory=lambda: {"strict_assume_role": False, "record_calls": True,
                                                             "access_data_frozen": False})
    # with access_data_frozen: how many calls of the log IAM's access reports see (the ones made before it was set)
    access_cutoff: int | None = None


STATE = _State()
FAULT_FIELDS = ("error_code", "http_status", "message", "account_id", "region", "service", "operation", "count")


def add_fault(error_code: str, *, http_status: int = 400, message: str = "Injected fault",
              account_id: str | None = None, region: str | None = None, service: str | None = None,
              operation: str | None = None, count: int | None = None) -> int:
    """Register a fault rule; returns its id."""
    if not error_code:
        raise ValueError("error_code is required")
    if count is not None and int(count) < 1:
        raise ValueError("count must be >= 1 or None")
    with _lock:
        fault = Fault(error_code=error_code, http_status=int(http_status), message=message,
                      account_id=None if account_id is None else str(account_id), region=region, service=service,
                      operation=operation, count=None if count is None else int(count), id=STATE.next_id)
        STATE.next_id += 1
        STATE.faults.append(fault)
        return fault.id


def add_fault_dict(rule: dict[str, Any]) -> int:
    unknown = set(rule) - set(FAULT_FIELDS)
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}")
    rule = dict(rule)
    return add_fault(rule.pop("error_code", ""), **rule)


def clear_faults() -> None:
    with _lock:
        STATE.faults.clear()


def list_faults() -> list[dict[str, Any]]:
    with _lock:
        return [asdict(f) for f in STATE.faults]


def take_fault(account_id: str, region: str, service: str, operation: str) -> Fault | None:
    """The first matching rule, its hit counted (so ``count`` limits the number of injected errors)."""
    with _lock:
        for f in STATE.faults:
            if f.matches(account_id, region, service, operation):
                f.hits += 1
                return f
    return None


def _now_iso() -> str:
    """UTC, microseconds, fixed width: ordered as text (IAM's access reports take the latest call)."""
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_call(account_id: str, region: str, service: str, operation: str) -> None:
    if not STATE.options.get("record_calls", True):
        return
    with _lock:
        STATE.calls.append({"account_id": account_id, "region": region, "service": service, "operation": operation,
                            "at": _now_iso()})


def calls() -> list[dict[str, str]]:
    with _lock:
        return list(STATE.calls)


def clear_calls() -> None:
    with _lock:
        STATE.calls.clear()
        if STATE.access_cutoff is not None:
            STATE.access_cutoff = 0


def access_calls() -> list[dict[str, str]]:
    """The calls IAM's access reports see: all of them, or with the ``access_data_frozen`` option those made before
    it was set (AWS: "Recent activity usually appears within four hours": later calls are not in reports yet)."""
    with _lock:
        return list(STATE.calls if STATE.access_cutoff is None else STATE.calls[:STATE.access_cutoff])


def set_options(**options: Any) -> dict[str, Any]:
    unknown = set(options) - set(STATE.options)
    if unknown:
        raise ValueError(f"unknown options: {sorted(unknown)}")
    with _lock:
        if "access_data_frozen" in options and bool(options["access_data_frozen"]) != \
                bool(STATE.options.get("access_data_frozen")):
            STATE.access_cutoff = len(STATE.calls) if options["access_data_frozen"] else None
        STATE.options.update({k: bool(v) for k, v in options.items()})
        return dict(STATE.options)


def get_options() -> dict[str, Any]:
    with _lock:
        return dict(STATE.options)


def reset_local_state() -> None:
    """Faults and call log cleared; options kept."""
    clear_faults()
    clear_calls()
