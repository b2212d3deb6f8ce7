"""The read calls, one small ``get_*`` function each (cartography's split): they call AWS and raise on failure.

Nothing here catches an error: the collector (:mod:`orgkit.aws.collect`) decides what a failure means and records
it. Responses are kept as AWS returned them, less ``ResponseMetadata``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import PaginationError

from orgkit.snapshot import strip_metadata


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list:
    """Every item of ``key`` over all pages of ``operation`` (a paginator when botocore has one)."""
    if client.can_paginate(operation):
        out: list = []
        for page in client.get_paginator(operation).paginate(**kwargs):
            out.extend(page.get(key) or [])
        return out
    return list(getattr(client, operation)(**kwargs).get(key) or [])


# -- Organizations ---------------------------------------------------------------------------------------------
def get_organization(org: Any) -> dict:
    return org.describe_organization()["Organization"]


def get_roots(org: Any) -> list[dict]:
    return paginate(org, "list_roots", "Roots")


def get_child_ous(org: Any, parent_id: str) -> list[dict]:
    return paginate(org, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent_id)


def get_child_accounts(org: Any, parent_id: str) -> list[dict]:
    return paginate(org, "list_accounts_for_parent", "Accounts", ParentId=parent_id)


def get_tags(org: Any, resource_id: str) -> list[dict]:
    return paginate(org, "list_tags_for_resource", "Tags", ResourceId=resource_id)


def get_scp_summaries(org: Any) -> list[dict]:
    return paginate(org, "list_policies", "Policies", Filter="SERVICE_CONTROL_POLICY")


def get_rcp_summaries(org: Any) -> list[dict]:
    """Every resource control policy (RCPFullAWSAccess included)."""
    return paginate(org, "list_policies", "Policies", Filter="RESOURCE_CONTROL_POLICY")


def get_policy_content(org: Any, policy_id: str) -> str:
    return org.describe_policy(PolicyId=policy_id)["Policy"]["Content"]


def get_policy_targets(org: Any, policy_id: str) -> list[dict]:
    return paginate(org, "list_targets_for_policy", "Targets", PolicyId=policy_id)


def get_delegated_admins(org: Any) -> list[dict]:
    return paginate(org, "list_delegated_administrators", "DelegatedAdministrators")


def get_delegated_services(org: Any, account_id: str) -> list[dict]:
    return paginate(org, "list_delegated_services_for_account", "DelegatedServices", AccountId=account_id)


def get_service_access(org: Any) -> list[dict]:
    return paginate(org, "list_aws_service_access_for_organization", "EnabledServicePrincipals")


# -- Account (regions) -----------------------------------------------------------------------------------------
def get_regions(account_client: Any, account_id: str | None) -> list[dict]:
    """account:ListRegions for ``account_id`` (None: the caller's own account, as AWS requires for it)."""
    kwargs = {"AccountId": account_id} if account_id else {}
    return paginate(account_client, "list_regions", "Regions", **kwargs)


_EC2_OPT = {"opt-in-not-required": "ENABLED_BY_DEFAULT", "opted-in": "ENABLED", "not-opted-in": "DISABLED"}


def get_regions_ec2(ec2: Any) -> list[dict]:
    """The same answer from ec2:DescribeRegions(AllRegions) in the account itself (the fallback)."""
    regions = ec2.describe_regions(AllRegions=True)["Regions"]
    return [{"RegionName": r["RegionName"], "RegionOptStatus": _EC2_OPT.get(r.get("OptInStatus"), "ENABLED_BY_DEFAULT")}
            for r in regions]


# -- CloudTrail ------------------------------------------------------------------------------------------------
def get_trail_list(ct: Any) -> list[dict]:
    """ListTrails: every trail of the account (all regions), each with its HomeRegion."""
    return paginate(ct, "list_trails", "Trails")


def get_trails(ct: Any, arns: list[str]) -> list[dict]:
    """DescribeTrails in one home region for the trails it owns there."""
    return ct.describe_trails(trailNameList=arns, includeShadowTrails=False)["trailList"]


def get_event_data_stores(ct: Any) -> list[dict]:
    """CloudTrail Lake: every event data store of the account in the client's region (ListEventDataStores, "all event
    data stores in the account, in the current Region"), each with its details (GetEventDataStore: selectors,
    status, scope; the list's own copies of those members are deprecated)."""
    out = []
    for summary in paginate(ct, "list_event_data_stores", "EventDataStores"):
        out.append(strip_metadata(ct.get_event_data_store(EventDataStore=summary["EventDataStoreArn"])))
    return out


def get_trail_status(ct: Any, arn: str) -> dict:
    return strip_metadata(ct.get_trail_status(Name=arn))


def get_event_selectors(ct: Any, arn: str) -> dict:
    r = strip_metadata(ct.get_event_selectors(TrailName=arn))
    r.pop("TrailARN", None)
    return r


def get_trail_tags(ct: Any, arns: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for i in range(0, len(arns), 20):  # ListTags takes at most 20 resource ids
        for r in paginate(ct, "list_tags", "ResourceTagList", ResourceIdList=arns[i:i + 20]):
            out[r["ResourceId"]] = r.get("TagsList") or []
    return out


# -- S3 (who owns a trail's bucket) ---------------------------------------------------------------------------
def get_bucket_names(s3: Any) -> list[str]:
    """ListBuckets: the names of the buckets the account owns (IAM action s3:ListAllMyBuckets), one call."""
    return sorted(b["Name"] for b in paginate(s3, "list_buckets", "Buckets"))


# -- GuardDuty -------------------------------------------------------------------------------------------------
def get_detector_ids(gd: Any) -> list[str]:
    return paginate(gd, "list_detectors", "DetectorIds")


def get_detector(gd: Any, detector_id: str) -> dict:
    return strip_metadata(gd.get_detector(DetectorId=detector_id))


def get_administrator(gd: Any, detector_id: str) -> dict:
    """The account's administrator ({} when it has none: AWS answers 200 with no body)."""
    return gd.get_administrator_account(DetectorId=detector_id).get("Administrator") or {}


def get_members(gd: Any, detector_id: str) -> list[dict]:
    return paginate(gd, "list_members", "Members", DetectorId=detector_id, OnlyAssociated="false")


def get_org_configuration(gd: Any, detector_id: str) -> dict:
    """DescribeOrganizationConfiguration read to its last page: botocore has no paginator for it, but the call takes
    ``MaxResults``/``NextToken`` ("You can use this parameter when paginating results") and a page holds only part
    of ``Features``; the pages' features are joined, the rest comes from the first page."""
    out = strip_metadata(gd.describe_organization_configuration(DetectorId=detector_id))
    token = out.pop("NextToken", None)
    seen = {token}
    while token:
        page = gd.describe_organization_configuration(DetectorId=detector_id, NextToken=token)
        out["Features"] = list(out.get("Features") or []) + list(page.get("Features") or [])
        token = page.get("NextToken")
        if token in seen:  # a token that repeats would loop for ever
            raise PaginationError(message=f"DescribeOrganizationConfiguration repeated NextToken {token!r}")
        seen.add(token)
    return out


def get_org_admin_accounts(gd: Any) -> list[dict]:
    return paginate(gd, "list_organization_admin_accounts", "AdminAccounts")


# -- IAM: Organizations access reports (service last accessed data) ---------------------------------------------
def generate_org_access_report(iam: Any, entity_path: str) -> str:
    """Start a report job for an entity path (``o-.../r-...[/ou-...]*[/123456789012]``); its JobId."""
    return iam.generate_organizations_access_report(EntityPath=entity_path)["JobId"]


def get_org_access_report_page(iam: Any, job_id: str, marker: str | None = None) -> dict:
    """One page of a report job (botocore has no paginator for it: the caller follows ``Marker``)."""
    kwargs: dict[str, Any] = {"JobId": job_id}
    if marker:
        kwargs["Marker"] = marker
    return strip_metadata(iam.get_organizations_access_report(**kwargs))
