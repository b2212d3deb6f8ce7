"""CloudTrail extension of moto: organization trails seen from member accounts, ListTrails across regions.

* ListTrails answers every trail of the account in every region (each with its HomeRegion), plus the
  organization trails of its organization (management account's ARN), as AWS documents ListTrails.
* DescribeTrails with includeShadowTrails (the default) adds, in each region, the account's multi-region trails
  from other regions and the organization's trails that apply there; ``trailNameList`` filters by name or ARN.
* GetTrailStatus by ARN works from a member account for an organization trail.
* StartLogging/StopLogging/DeleteTrail accept a name or an ARN (moto: name only, HTTP 500 for an ARN).
* CreateTrail/UpdateTrail with IsOrganizationTrail check the organization: OrganizationsNotInUseException,
  NotOrganizationMasterAccountException, CloudTrailAccessNotEnabledException (trusted access).
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudtrail import responses as ct_responses
from moto.cloudtrail.exceptions import TrailNotFoundException
from moto.cloudtrail.models import CloudTrailBackend, Trail, cloudtrail_backends

from .common import JsonError, existing_region_backends, management_account_of, org_backends

SERVICE_PRINCIPAL = "cloudtrail.amazonaws.com"


def own_trails(account_id: str) -> list[Trail]:
    out: list[Trail] = []
    for _, backend in existing_region_backends(cloudtrail_backends, account_id):
        out.extend(backend.trails.values())
    return out


def org_trails_for_member(account_id: str) -> list[Trail]:
    """Organization trails of the account's organization, when the account is a member (not the management)."""
    mgmt = management_account_of(account_id)
    if mgmt is None or mgmt == account_id:
        return []
    return [t for t in own_trails(mgmt) if t.is_org_trail]


def _applies_in(trail: Trail, region: str) -> bool:
    return trail.is_multi_region or trail.region_name == region


def _list_trails(self: CloudTrailBackend) -> list[Trail]:
    return own_trails(self.account_id) + org_trails_for_member(self.account_id)


def _describe_trails(self: CloudTrailBackend, include_shadow_trails: bool) -> list[Trail]:
    if not include_shadow_trails:
        return list(self.trails.values())
    trails = [t for t in own_trails(self.account_id) if _applies_in(t, self.region_name)]
    trails += [t for t in org_trails_for_member(self.account_id) if _applies_in(t, self.region_name)]
    return trails


def _get_trail_status(self: CloudTrailBackend, name: str) -> Any:
    """By name: a trail whose home is this region. By ARN: any trail that applies here (shadow and org trails)."""
    if name.startswith("arn:"):
        for t in _describe_trails(self, True):
            if t.arn == name:
                return t.status
    else:
        trail = self.trails.get(name)
        if trail is not None:
            return trail.status
    from moto.cloudtrail.exceptions import TrailNameTooShort

    if len(name) < 3:
        raise TrailNameTooShort(actual_length=len(name))
    arn = name if name.startswith("arn:") else (
        f"arn:{self.partition}:cloudtrail:{self.region_name}:{self.account_id}:trail/{name}")
    raise TrailNotFoundException(account_id=self.account_id, name=arn)


def _check_org_trail(backend: CloudTrailBackend) -> str:
    """Raise as AWS does when the caller cannot own an organization trail; return the management account."""
    mgmt = management_account_of(backend.account_id)
    if mgmt is None:
        raise JsonError("OrganizationsNotInUseException",
                        "This account is not part of an organization.")
    org = org_backends()[mgmt]["aws"]
    if mgmt != backend.account_id:
        delegated = any(a.account.id == backend.account_id and SERVICE_PRINCIPAL in a.services for a in org.admins)
        if not delegated:
            raise JsonError(
                "NotOrganizationMasterAccountException",
                f"The request was rejected because account {backend.account_id} is not the management account or "
                "a delegated administrator account of the organization.",
            )
    if not any(s["ServicePrincipal"] == SERVICE_PRINCIPAL for s in org.services):
        raise JsonError(
            "CloudTrailAccessNotEnabledException",
            "This organization does not have CloudTrail trusted access enabled. Enable it in AWS Organizations "
            "(EnableAWSServiceAccess for cloudtrail.amazonaws.com).",
        )
    return mgmt


_orig_create_trail = CloudTrailBackend.create_trail


def _create_trail(self: CloudTrailBackend, name: str, bucket_name: str, s3_key_prefix: str, sns_topic_name: str,
                  is_global: bool, is_multi_region: bool, log_validation: bool, is_org_trail: bool,
                  cw_log_group_arn: str, cw_role_arn: str, kms_key_id: str, tags_list: list) -> Trail:
    args = (name, bucket_name, s3_key_prefix, sns_topic_name, is_global, is_multi_region, log_validation,
            is_org_trail, cw_log_group_arn, cw_role_arn, kms_key_id, tags_list)
    if self.trails.get(name) is not None:
        raise JsonError("TrailAlreadyExistsException",
                        f"Trail {name} already exists for customer: {self.account_id}")
    if is_org_trail:
        mgmt = _check_org_trail(self)
        if mgmt != self.account_id:
            # A delegated administrator's organization trail belongs to the management account.
            return _orig_create_trail(cloudtrail_backends[mgmt][self.region_name], *args)
    return _orig_create_trail(self, *args)


_orig_update_trail = CloudTrailBackend.update_trail


def _update_trail(self: CloudTrailBackend, **kwargs: Any) -> Trail:
    if kwargs.get("is_organization_trail"):
        _check_org_trail(self)
    return _orig_update_trail(self, **kwargs)


def _start_logging(self: CloudTrailBackend, name: str) -> None:
    self.get_trail(name).start_logging()  # name or ARN, TrailNotFoundException otherwise


def _stop_logging(self: CloudTrailBackend, name: str) -> None:
    self.get_trail(name).stop_logging()


def _delete_trail(self: CloudTrailBackend, name: str) -> None:
    trail = self.get_trail(name)
    self.trails.pop(trail.trail_name, None)


def _r_describe_trails(self: Any) -> str:
    include_shadow_trails = self._get_bool_param("includeShadowTrails", True)
    names = self._get_param("trailNameList") or []
    trails = self.cloudtrail_backend.describe_trails(include_shadow_trails)
    if names:
        trails = [t for t in trails if t.trail_name in names or t.arn in names]
    return json.dumps({"trailList": [t.description(include_region=True) for t in trails]})


_orig_description = Trail.description


def _description(self: Trail, include_region: bool = False) -> dict[str, Any]:
    desc = _orig_description(self, include_region)
    desc["HasCustomEventSelectors"] = bool(self.event_selectors or self.advanced_event_selectors)
    desc["HasInsightSelectors"] = bool(self.insight_selectors)
    return desc


_CREATE_TRAIL_KEYS = ("Name", "S3BucketName", "S3KeyPrefix", "SnsTopicName", "SnsTopicARN",
                      "IncludeGlobalServiceEvents", "IsMultiRegionTrail", "TrailARN", "LogFileValidationEnabled",
                      "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn", "KmsKeyId", "IsOrganizationTrail")
_orig_r_create_trail = ct_responses.CloudTrailResponse.create_trail


def _r_create_trail(self: Any) -> str:
    # CreateTrailResponse has no HasCustomEventSelectors/HasInsightSelectors (moto sends them).
    out = json.loads(_orig_r_create_trail(self))
    return json.dumps({k: v for k, v in out.items() if k in _CREATE_TRAIL_KEYS})


EXTENDED_OPERATIONS = ["ListTrails", "DescribeTrails", "GetTrailStatus", "CreateTrail", "StartLogging",
                       "StopLogging", "DeleteTrail"]


def install() -> None:
    B = CloudTrailBackend
    B.list_trails = _list_trails  # type: ignore[method-assign,assignment]
    B.describe_trails = _describe_trails  # type: ignore[method-assign,assignment]
    B.get_trail_status = _get_trail_status  # type: ignore[method-assign]
    B.create_trail = _create_trail  # type: ignore[method-assign]
    B.update_trail = _update_trail  # type: ignore[method-assign]
    B.start_logging = _start_logging  # type: ignore[method-assign]
    B.stop_logging = _stop_logging  # type: ignore[method-assign]
    B.delete_trail = _delete_trail  # type: ignore[method-assign]
    ct_responses.CloudTrailResponse.describe_trails = _r_describe_trails  # type: ignore[method-assign]
    ct_responses.CloudTrailResponse.create_trail = _r_create_trail  # type: ignore[method-assign]
    Trail.description = _description  # type: ignore[method-assign]
