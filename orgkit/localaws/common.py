"""Helpers shared by the moto extensions: Organizations look-ups, timestamps, errors."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from moto.core.exceptions import JsonRESTError


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso_ms(dt: datetime) -> str:
    """GuardDuty's string timestamps: ``2024-05-01T12:00:00.123Z``."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class JsonError(JsonRESTError):
    """A JSON-protocol error with an explicit HTTP status and optional ``X-Amzn-ErrorType``.

    ``error_type`` is what botocore reports as ``Error.Code`` (the header wins over the body's ``__type``
    in botocore's rest-json parser); ``body_type`` is the ``__type`` in the body, for services that send a
    different, more specific one (GuardDuty: header ``BadRequestException``, body ``InvalidInputException``).
    """

    def __init__(self, error_type: str, message: str, status: int = 400, body_type: str | None = None):
        super().__init__(body_type or error_type, message)
        self.code = status
        self._header_type = error_type

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [("Content-Type", "application/json"), ("X-Amzn-ErrorType", self._header_type)]


def gd_bad_request(message: str) -> JsonError:
    """GuardDuty's 400: header BadRequestException, body __type InvalidInputException (as AWS answers)."""
    return JsonError("BadRequestException", message, 400, body_type="InvalidInputException")


def gd_access_denied(message: str) -> JsonError:
    return JsonError("AccessDeniedException", message, 403)


# --- Organizations look-ups (moto keeps one OrganizationsBackend per account, partition "aws") ---------------


def org_backends() -> Any:
    from moto.organizations.models import organizations_backends

    return organizations_backends


def management_account_of(account_id: str) -> str | None:
    """The management account of the organization ``account_id`` belongs to (itself if it is one), or None."""
    ob = org_backends()
    if account_id in ob.master_accounts:
        return ob.master_accounts[account_id][0]
    asb = dict.get(ob, account_id)
    if asb is not None:
        backend = dict.get(asb, "aws")
        if backend is not None and backend.org is not None:
            return account_id
    return None


def is_management_account(account_id: str) -> bool:
    return management_account_of(account_id) == account_id


def org_accounts(management_id: str) -> list[Any]:
    """Active FakeAccount objects of the organization (management account included)."""
    backend = org_backends()[management_id]["aws"]
    return [a for a in backend.accounts if getattr(a, "status", "ACTIVE") == "ACTIVE"]


def org_account(management_id: str, account_id: str) -> Any | None:
    for a in org_accounts(management_id):
        if a.id == account_id:
            return a
    return None


def existing_region_backends(backend_dict: Any, account_id: str) -> list[tuple[str, Any]]:
    """(region, backend) pairs already created for an account, without creating new ones."""
    asb = dict.get(backend_dict, account_id)
    if asb is None:
        return []
    return list(dict.items(asb))


def set_joined(account_id: str, joined: datetime) -> dict[str, str]:
    """Set when a member account joined its organization (moto stamps ``JoinedTimestamp`` with the moment the demo
    created it): a scenario can model an organisation that has run for a year, so that the accounts are older than
    an access report's window. Raises KeyError for an account in no organization."""
    mgmt = management_account_of(account_id)
    acct = org_account(mgmt, account_id) if mgmt else None
    if acct is None:
        raise KeyError(account_id)
    acct.create_time = joined.astimezone(timezone.utc).replace(tzinfo=None)
    return {"account_id": account_id, "joined": joined.isoformat()}
