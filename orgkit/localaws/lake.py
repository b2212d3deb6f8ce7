"""CloudTrail Lake event data stores for moto (which has none), as AWS documents them.

* CreateEventDataStore: ``AdvancedEventSelectors`` default to every management event ("By default, all management
  events are logged"); ``MultiRegionEnabled`` and ``TerminationProtectionEnabled`` default to true,
  ``OrganizationEnabled`` to false; ``StartIngestion`` (default true) makes the store ``ENABLED``, else
  ``STOPPED_INGESTION``. ``OrganizationEnabled`` needs the management account or a CloudTrail delegated
  administrator (the same checks as an organization trail), and "When a delegated administrator creates an
  organization event data store, the organization event data store exists in the management account".
* ListEventDataStores: "all event data stores in the account, in the current Region"; member accounts do not see
  the organization's stores ("Member accounts can't see the organization event data store"), except a CloudTrail
  delegated administrator, which "has administrative permissions on all organization trails and event data stores
  in the organization" and can "create, update, query, and delete" them: its ListEventDataStores in a region also
  answers the organization's stores of that region (their ARNs name the management account, which owns them), and
  it can Get/Update/Stop/Start/Delete them by ARN (conformance row L4).
* GetEventDataStore by ARN or the id at its end; Stop/StartEventDataStoreIngestion; UpdateEventDataStore
  (selectors, multi-region, organization, termination protection); DeleteEventDataStore refused while termination
  protection is on, else the store is ``PENDING_DELETION`` (restorable for seven days) and no longer ingests.

Statuses: CREATED, ENABLED, PENDING_DELETION, STARTING_INGESTION, STOPPING_INGESTION, STOPPED_INGESTION (botocore's
EventDataStoreStatus); start and stop complete at once here.
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudtrail import responses as ct_responses
from moto.cloudtrail.models import cloudtrail_backends
from moto.moto_api._internal import mock_random

from .common import JsonError, now

ALL_MANAGEMENT = [{"Name": "Default management events",
                   "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]


def _stores(backend: Any) -> dict[str, dict]:
    return backend.__dict__.setdefault("_orgkit_event_data_stores", {})


def _delegated_org_stores(backend: Any) -> dict[str, dict]:
    """The organization's stores of ``backend``'s region when its account is a CloudTrail delegated administrator
    (not the management account) of its organization; else nothing."""
    from .cloudtrail import SERVICE_PRINCIPAL
    from .common import management_account_of, org_backends

    mgmt = management_account_of(backend.account_id)
    if mgmt is None or mgmt == backend.account_id:
        return {}
    org = org_backends()[mgmt]["aws"]
    if not any(a.account.id == backend.account_id and SERVICE_PRINCIPAL in a.services for a in org.admins):
        return {}
    owner = cloudtrail_backends[mgmt][backend.region_name]
    return {arn: e for arn, e in _stores(owner).items() if e["OrganizationEnabled"]}


def _visible(backend: Any) -> dict[str, dict]:
    """The stores the account sees in this region: its own, and the organization's for a delegated administrator."""
    return {**_stores(backend), **_delegated_org_stores(backend)}


def _find(backend: Any, ref: str) -> dict:
    for arn, eds in _visible(backend).items():
        if ref == arn or arn.endswith("/" + ref):
            return eds
    raise JsonError("EventDataStoreNotFoundException", f"The specified event data store {ref} was not found.")


def _ts(dt) -> float:
    return dt.timestamp()


def _view(eds: dict) -> dict:
    keys = ("EventDataStoreArn", "Name", "Status", "AdvancedEventSelectors", "MultiRegionEnabled",
            "OrganizationEnabled", "RetentionPeriod", "TerminationProtectionEnabled", "BillingMode")
    out = {k: eds[k] for k in keys}
    out["CreatedTimestamp"] = _ts(eds["created"])
    out["UpdatedTimestamp"] = _ts(eds["updated"])
    return out


def _owner_backend(self: Any, organization: bool) -> Any:
    """The backend that holds a new store: the management account's for an organization store."""
    if not organization:
        return self._orgkit_ct_backend
    from .cloudtrail import _check_org_trail

    mgmt = _check_org_trail(self._orgkit_ct_backend)
    return cloudtrail_backends[mgmt][self.region]


class _Handlers:
    """Methods added to moto's CloudTrailResponse (moto routes ``CreateEventDataStore`` to
    ``create_event_data_store``)."""

    @property
    def _orgkit_ct_backend(self) -> Any:
        return cloudtrail_backends[self.current_account][self.region]

    def create_event_data_store(self) -> str:
        p = json.loads(self.body or "{}")
        name = p["Name"]
        org = bool(p.get("OrganizationEnabled", False))
        backend = _owner_backend(self, org)
        if any(e["Name"] == name for e in _stores(backend).values()):
            raise JsonError("EventDataStoreAlreadyExistsException",
                            f"An event data store with the name {name} already exists.")
        arn = f"arn:aws:cloudtrail:{self.region}:{backend.account_id}:eventdatastore/{mock_random.uuid4()}"
        t = now()
        eds = {"EventDataStoreArn": arn, "Name": name,
               "Status": "ENABLED" if p.get("StartIngestion", True) else "STOPPED_INGESTION",
               "AdvancedEventSelectors": p.get("AdvancedEventSelectors") or ALL_MANAGEMENT,
               "MultiRegionEnabled": bool(p.get("MultiRegionEnabled", True)), "OrganizationEnabled": org,
               "RetentionPeriod": int(p.get("RetentionPeriod", 2557)),
               "TerminationProtectionEnabled": bool(p.get("TerminationProtectionEnabled", True)),
               "BillingMode": p.get("BillingMode", "EXTENDABLE_RETENTION_PRICING"), "created": t, "updated": t}
        _stores(backend)[arn] = eds
        return json.dumps(_view(eds))

    def list_event_data_stores(self) -> str:
        p = json.loads(self.body or "{}")
        items = [{"EventDataStoreArn": e["EventDataStoreArn"], "Name": e["Name"]}
                 for e in sorted(_visible(self._orgkit_ct_backend).values(), key=lambda e: e["EventDataStoreArn"])]
        size = int(p.get("MaxResults") or 1000)
        start = int(p.get("NextToken") or 0) if str(p.get("NextToken") or "0").isdigit() else 0
        out: dict[str, Any] = {"EventDataStores": items[start:start + size]}
        if start + size < len(items):
            out["NextToken"] = f"{start + size:04d}"
        return json.dumps(out)

    def get_event_data_store(self) -> str:
        p = json.loads(self.body or "{}")
        return json.dumps(_view(_find(self._orgkit_ct_backend, p["EventDataStore"])))

    def _set_status(self, status: str) -> str:
        p = json.loads(self.body or "{}")
        eds = _find(self._orgkit_ct_backend, p["EventDataStore"])
        if eds["Status"] == "PENDING_DELETION":
            raise JsonError("InvalidEventDataStoreStatusException",
                            "The event data store is pending deletion.")
        eds["Status"] = status
        eds["updated"] = now()
        return "{}"

    def stop_event_data_store_ingestion(self) -> str:
        return self._set_status("STOPPED_INGESTION")

    def start_event_data_store_ingestion(self) -> str:
        return self._set_status("ENABLED")

    def update_event_data_store(self) -> str:
        p = json.loads(self.body or "{}")
        eds = _find(self._orgkit_ct_backend, p["EventDataStore"])
        if p.get("OrganizationEnabled"):
            from .cloudtrail import _check_org_trail

            _check_org_trail(self._orgkit_ct_backend)
        for k in ("AdvancedEventSelectors", "MultiRegionEnabled", "OrganizationEnabled", "RetentionPeriod",
                  "TerminationProtectionEnabled", "Name", "BillingMode"):
            if k in p:
                eds[k] = p[k]
        eds["updated"] = now()
        return json.dumps(_view(eds))

    def delete_event_data_store(self) -> str:
        p = json.loads(self.body or "{}")
        eds = _find(self._orgkit_ct_backend, p["EventDataStore"])
        if eds["TerminationProtectionEnabled"]:
            raise JsonError("EventDataStoreTerminationProtectedException",
                            "The event data store cannot be deleted because termination protection is enabled.")
        eds["Status"] = "PENDING_DELETION"
        eds["updated"] = now()
        return "{}"


EXTENDED_OPERATIONS = ["CreateEventDataStore", "ListEventDataStores", "GetEventDataStore",
                       "StopEventDataStoreIngestion", "StartEventDataStoreIngestion", "UpdateEventDataStore",
                       "DeleteEventDataStore"]


def install() -> None:
    R = ct_responses.CloudTrailResponse
    for name, fn in vars(_Handlers).items():
        if not name.startswith("__"):
            setattr(R, name, fn)
