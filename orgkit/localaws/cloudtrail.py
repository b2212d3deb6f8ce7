"""CloudTrail extension of moto: organization trails seen from member accounts, ListTrails across regions.

* ListTrails answers every trail of the account in every region (each with its HomeRegion), plus the
  organization trails of its organization (management account's ARN), as AWS documents ListTrails.
* DescribeTrails with includeShadowTrails (the default) adds, in each region, the account's multi-region trails
  from other regions and the organization's trails that apply there; ``trailNameList`` filters by name or ARN.
* GetTrailStatus by ARN works from a member account for an organization trail.
* StartLogging/StopLogging/DeleteTrail accept a name or an ARN (moto: name only, HTTP 500 for an ARN).
* CreateTrail/UpdateTrail with IsOrganizationTrail check the organization: OrganizationsNotInUseException,
  NotOrganizationMasterAccountException, CloudTrailAccessNotEnabledException (trusted access).
* CreateTrail/UpdateTrail refuse a multi-region trail without global service events, as AWS does
  (InvalidParameterCombinationException "Multi-Region trail must include global service events."); UpdateTrail
  making a single-region trail multi-region turns them on when the call does not say otherwise.
* GetTrailStatus can report a delivery failure: :func:`set_delivery_error` (``POST /orgkit-local/cloudtrail/
  delivery-error`` on the server) makes a trail's S3 deliveries fail. While it fails, ``LatestDeliveryError`` shows
  the error, ``LatestDeliveryTime`` stays at the last successful delivery and ``LatestDeliveryAttemptTime`` moves on;
  clearing the error lets deliveries succeed again. The state lives on the trail (moto's reset clears it).
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudtrail import responses as ct_responses
from moto.cloudtrail.exceptions import TrailNotFoundException
from moto.cloudtrail.models import CloudTrailBackend, Trail, TrailStatus, cloudtrail_backends, datetime2int
from moto.core.utils import iso_8601_datetime_without_milliseconds, utcnow

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


MULTI_REGION_NEEDS_GSE = "Multi-Region trail must include global service events."


def _check_multi_region_gse(is_multi_region: bool, include_gse: bool) -> None:
    if is_multi_region and not include_gse:
        raise JsonError("InvalidParameterCombinationException", MULTI_REGION_NEEDS_GSE)


_orig_create_trail = CloudTrailBackend.create_trail


def _create_trail(self: CloudTrailBackend, name: str, bucket_name: str, s3_key_prefix: str, sns_topic_name: str,
                  is_global: bool, is_multi_region: bool, log_validation: bool, is_org_trail: bool,
                  cw_log_group_arn: str, cw_role_arn: str, kms_key_id: str, tags_list: list) -> Trail:
    args = (name, bucket_name, s3_key_prefix, sns_topic_name, is_global, is_multi_region, log_validation,
            is_org_trail, cw_log_group_arn, cw_role_arn, kms_key_id, tags_list)
    _check_multi_region_gse(bool(is_multi_region), bool(is_global))
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
    trail = self.get_trail(kwargs["name"])
    multi = kwargs.get("is_multi_region_trail")
    gse = kwargs.get("include_global_service_events")
    if multi and gse is None and not trail.is_multi_region:
        # "if you change the configuration of a trail from logging a single Region to logging all Regions, global
        # service event logging is turned on automatically for that trail" (CloudTrail concepts)
        kwargs["include_global_service_events"] = gse = True
    _check_multi_region_gse(trail.is_multi_region if multi is None else bool(multi),
                            trail.include_global_service_events if gse is None else bool(gse))
    if kwargs.get("is_organization_trail"):
        _check_org_trail(self)
    return _orig_update_trail(self, **kwargs)


# -- S3 delivery: GetTrailStatus LatestDeliveryTime / LatestDeliveryError --------------------------------------
def _iso(t: Any) -> str:
    return iso_8601_datetime_without_milliseconds(t)


def _status_description(self: TrailStatus) -> dict[str, Any]:
    """moto's answer, with deliveries that can fail (``delivery_error``) and whose last success is remembered.

    A logging trail delivers "about every 5 minutes"; here, at each GetTrailStatus: a success moves
    ``LatestDeliveryTime`` (and the attempt fields) to now; a failure moves only ``LatestDeliveryAttemptTime`` and
    shows ``LatestDeliveryError``.
    """
    error = getattr(self, "delivery_error", None)
    now = utcnow()
    if self.is_logging:
        if error:
            self.latest_delivery_attempt = _iso(now)
        else:
            self.last_success = now
            self.latest_delivery_time = datetime2int(now)
            self.latest_delivery_attempt = _iso(now)
    last_success = getattr(self, "last_success", None)
    desc: dict[str, Any] = {
        "IsLogging": self.is_logging,
        "LatestDeliveryAttemptTime": self.latest_delivery_attempt or "",
        "LatestNotificationAttemptTime": "",
        "LatestNotificationAttemptSucceeded": "",
        "LatestDeliveryAttemptSucceeded": _iso(last_success) if last_success is not None else "",
        "TimeLoggingStarted": "",
        "TimeLoggingStopped": "",
    }
    if self.started:
        desc["StartLoggingTime"] = datetime2int(self.started)
        desc["TimeLoggingStarted"] = _iso(self.started)
    if last_success is not None and self.latest_delivery_time is not None:
        desc["LatestDeliveryTime"] = self.latest_delivery_time
    if error:
        desc["LatestDeliveryError"] = error
    if self.stopped:
        desc["StopLoggingTime"] = datetime2int(self.stopped)
        desc["TimeLoggingStopped"] = _iso(self.stopped)
    return desc


def _start_logging_status(self: TrailStatus) -> None:
    self.is_logging = True
    self.started = utcnow()
    if not getattr(self, "delivery_error", None):  # the first delivery only succeeds if the bucket accepts it
        self.last_success = self.started
        self.latest_delivery_time = datetime2int(self.started)
    self.latest_delivery_attempt = _iso(self.started)


def find_trail(trail_arn: str) -> Trail:
    """The trail (in its home region's backend) with this ARN; TrailNotFoundException otherwise."""
    parts = trail_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "cloudtrail" or not parts[5].startswith("trail/"):
        raise ValueError(f"not a trail ARN: {trail_arn!r}")
    region, account, name = parts[3], parts[4], parts[5][len("trail/"):]
    backend = dict(existing_region_backends(cloudtrail_backends, account)).get(region)
    trail = backend.trails.get(name) if backend is not None else None
    if trail is None or trail.arn != trail_arn:
        raise TrailNotFoundException(account_id=account, name=trail_arn)
    return trail


def set_delivery_error(trail_arn: str, error: str | None) -> dict[str, Any]:
    """Make the trail's deliveries to S3 fail with ``error`` (an S3 error code such as ``AccessDenied``,
    ``NoSuchBucket``, or a KMS one such as ``KMS.AccessDeniedException``), or succeed again (``None``).

    Returns the trail's GetTrailStatus answer after the change.
    """
    if error is not None and (not isinstance(error, str) or not error):
        raise ValueError("error is a non-empty string, or null to let deliveries succeed again")
    status = find_trail(trail_arn).status
    if error and not getattr(status, "delivery_error", None):
        status.description()  # the deliveries up to now succeeded: remember the last one
    status.delivery_error = error
    return status.description()


def delivery_errors() -> dict[str, str]:
    """Every trail whose deliveries are failing: ARN -> error."""
    out = {}
    for account_id in list(dict.keys(cloudtrail_backends)):
        for _, backend in existing_region_backends(cloudtrail_backends, account_id):
            for t in backend.trails.values():
                err = getattr(t.status, "delivery_error", None)
                if err:
                    out[t.arn] = err
    return out


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


_orig_r_update_trail = ct_responses.CloudTrailResponse.update_trail


def _r_update_trail(self: Any) -> str:
    # UpdateTrailResponse has the members of CreateTrailResponse (moto sends the whole description).
    out = json.loads(_orig_r_update_trail(self))
    return json.dumps({k: v for k, v in out.items() if k in _CREATE_TRAIL_KEYS})


EXTENDED_OPERATIONS = ["ListTrails", "DescribeTrails", "GetTrailStatus", "CreateTrail", "UpdateTrail",
                       "StartLogging", "StopLogging", "DeleteTrail"]


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
    ct_responses.CloudTrailResponse.update_trail = _r_update_trail  # type: ignore[method-assign]
    Trail.description = _description  # type: ignore[method-assign]
    TrailStatus.description = _status_description  # type: ignore[method-assign]
    TrailStatus.start_logging = _start_logging_status  # type: ignore[method-assign]
