"""Account Management extension of moto: ListRegions, GetRegionOptStatus, EnableRegion, DisableRegion.

Per account: the regions enabled by default answer ENABLED_BY_DEFAULT, the opt-in regions DISABLED until
EnableRegion. The state lives on moto's ``AccountBackend`` (partition backend), so moto's reset clears it.
A request made by an account in an opt-in region it has not enabled is refused by ``ext`` (HTTP 403
UnrecognizedClientException), as AWS does.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from moto.account import responses as acc_responses
from moto.account import urls as acc_urls
from moto.account.models import AccountBackend, account_backends

from .common import JsonError, management_account_of, org_account, org_backends

# Regions enabled by default in every account (AWS General Reference, "Enable or disable AWS Regions").
DEFAULT_REGIONS = frozenset({
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
    "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1",
})


def _partition_regions() -> list[str]:
    data = botocore.session.get_session().get_data("endpoints")
    part = next(p for p in data["partitions"] if p["partition"] == "aws")
    return sorted(part["regions"])


ALL_REGIONS: list[str] = _partition_regions()
OPT_IN_REGIONS = frozenset(r for r in ALL_REGIONS if r not in DEFAULT_REGIONS)
STATUSES = ("ENABLED", "ENABLING", "DISABLING", "DISABLED", "ENABLED_BY_DEFAULT")
SERVICE_PRINCIPAL = "account.amazonaws.com"

_orig_init = AccountBackend.__init__


def _init(self: AccountBackend, region_name: str, account_id: str) -> None:
    _orig_init(self, region_name, account_id)
    self.orgkit_regions: dict[str, str] = {}


def region_status(account_id: str, region: str) -> str:
    if region in DEFAULT_REGIONS:
        return "ENABLED_BY_DEFAULT"
    return account_backends[account_id]["aws"].orgkit_regions.get(region, "DISABLED")


def region_enabled(account_id: str, region: str) -> bool:
    if region not in OPT_IN_REGIONS:
        return True
    return region_status(account_id, region) in ("ENABLED", "DISABLING")


def set_region_status(account_id: str, region: str, status: str) -> None:
    account_backends[account_id]["aws"].orgkit_regions[region] = status


def _validation(message: str) -> JsonError:
    return JsonError("ValidationException", message, 400)


def _access_denied(message: str) -> JsonError:
    return JsonError("AccessDeniedException", message, 403)


def _target(resp: Any, body: dict[str, Any], action: str) -> str:
    caller = resp.current_account
    acct = body.get("AccountId")
    if acct is None:
        return caller
    mgmt = management_account_of(caller)
    if acct == caller:
        if mgmt == caller:
            raise _validation("The management account can't specify its own AccountId. Call the operation "
                              "without the AccountId parameter.")
        raise _access_denied(f"User is not authorized to perform account:{action} on account {acct}.")
    delegated = False
    if mgmt is not None:
        org = org_backends()[mgmt]["aws"]
        delegated = any(a.account.id == caller and SERVICE_PRINCIPAL in a.services for a in org.admins)
    if mgmt is None or (mgmt != caller and not delegated) or org_account(mgmt, acct) is None:
        raise _access_denied(f"User is not authorized to perform account:{action} on account {acct}.")
    org = org_backends()[mgmt]["aws"]
    if not any(s["ServicePrincipal"] == SERVICE_PRINCIPAL for s in org.services):
        raise _access_denied("Trusted access for AWS Account Management (account.amazonaws.com) is not enabled "
                             "in the organization.")
    return acct


def _body(resp: Any) -> dict[str, Any]:
    try:
        return json.loads(resp.body) if resp.body else {}
    except ValueError:
        return {}


def _region_name(body: dict[str, Any]) -> str:
    region = body.get("RegionName")
    if region not in ALL_REGIONS:
        raise _validation(f"Invalid region-name: {region}")
    return region


def _r_list_regions(self: Any) -> str:
    body = _body(self)
    acct = _target(self, body, "ListRegions")
    max_results = body.get("MaxResults")
    if max_results is not None and not 1 <= int(max_results) <= 50:
        raise _validation("1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
                          "Member must have value between 1 and 50")
    wanted = body.get("RegionOptStatusContains")
    for w in wanted or []:
        if w not in STATUSES:
            raise _validation(f"Invalid RegionOptStatusContains value: {w}")
    regions = [{"RegionName": r, "RegionOptStatus": region_status(acct, r)} for r in ALL_REGIONS]
    if wanted:
        regions = [r for r in regions if r["RegionOptStatus"] in wanted]
    start = 0
    token = body.get("NextToken")
    if token:
        try:
            start = int(token)
        except ValueError:
            raise _validation("The NextToken is not valid.")
    size = int(max_results or 50)
    page = regions[start:start + size]
    out: dict[str, Any] = {"Regions": page}
    if start + size < len(regions):
        out["NextToken"] = str(start + size)
    return json.dumps(out)


def _r_get_region_opt_status(self: Any) -> str:
    body = _body(self)
    acct = _target(self, body, "GetRegionOptStatus")
    region = _region_name(body)
    return json.dumps({"RegionName": region, "RegionOptStatus": region_status(acct, region)})


def _toggle(self: Any, action: str, to: str) -> str:
    body = _body(self)
    acct = _target(self, body, action)
    region = _region_name(body)
    if region in DEFAULT_REGIONS:
        raise _validation(f"{region} is enabled by default and cannot be {'enabled' if to == 'ENABLED' else 'disabled'}.")
    current = region_status(acct, region)
    if current in ("ENABLING", "DISABLING"):
        raise JsonError("ConflictException", f"{region} is currently {current.lower()}; try again later.", 409)
    set_region_status(acct, region, to)
    return "{}"


def _r_enable_region(self: Any) -> str:
    return _toggle(self, "EnableRegion", "ENABLED")


def _r_disable_region(self: Any) -> str:
    return _toggle(self, "DisableRegion", "DISABLED")


EXTENDED_OPERATIONS = ["ListRegions", "GetRegionOptStatus", "EnableRegion", "DisableRegion"]


def install() -> None:
    AccountBackend.__init__ = _init  # type: ignore[method-assign]
    R = acc_responses.AccountResponse
    R.list_regions = _r_list_regions  # type: ignore[attr-defined]
    R.get_region_opt_status = _r_get_region_opt_status  # type: ignore[attr-defined]
    R.enable_region = _r_enable_region  # type: ignore[attr-defined]
    R.disable_region = _r_disable_region  # type: ignore[attr-defined]
    for op in ("listRegions", "getRegionOptStatus", "enableRegion", "disableRegion"):
        acc_urls.url_paths.setdefault("{0}/" + op + "$", acc_responses.AccountResponse.dispatch)
