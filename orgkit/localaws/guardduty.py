"""GuardDuty extension of moto: one detector per region, features, members, invitations, the organization admin.

State lives on moto's own ``GuardDutyBackend`` objects (one per account and region), so moto's reset clears it:

* on the administrator's backend: ``orgkit_members`` (member account id -> :class:`Member`) and
  ``orgkit_org_config`` (auto-enable and features);
* on the member's backend: ``orgkit_invitations`` (administrator id -> invitation) and
  ``orgkit_administrator`` (the administrator relationship the member sees);
* on the management account's backend: moto's ``admin_account_ids`` (the delegated administrator of the region).

Behaviour follows the GuardDuty API reference (see docs/localaws.md for the page of each rule).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from moto.guardduty import models as gd_models
from moto.guardduty import responses as gd_responses
from moto.guardduty import urls as gd_urls
from moto.guardduty.models import GuardDutyBackend, guardduty_backends
from moto.moto_api._internal import mock_random

from .common import (
    existing_region_backends,
    gd_bad_request,
    iso_ms,
    management_account_of,
    now,
    org_account,
    org_accounts,
    org_backends,
)

SERVICE_PRINCIPAL = "guardduty.amazonaws.com"

# DetectorFeatureResult as GetDetector shows it (RUNTIME_MONITORING supersedes EKS_RUNTIME_MONITORING).
FOUNDATIONAL = ("CLOUD_TRAIL", "DNS_LOGS", "FLOW_LOGS")
OPTIONAL_FEATURES = (
    "S3_DATA_EVENTS",
    "EKS_AUDIT_LOGS",
    "EBS_MALWARE_PROTECTION",
    "RDS_LOGIN_EVENTS",
    "LAMBDA_NETWORK_LOGS",
    "RUNTIME_MONITORING",
)
RUNTIME_ADDITIONAL = ("EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT")
ORG_FEATURES = ("S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
                "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING")


def _offered(region: str, name: str) -> bool:
    """Whether GuardDuty offers the feature in the region: "every feature may not be available in each Region.
    Therefore, the available feature names may differ based on the Region." (GuardDuty API changes in March 2023).
    Where: orgkit.guardduty.availability, the one table (each entry with AWS's sentence)."""
    from orgkit.guardduty.availability import is_offered

    return is_offered(region, "RUNTIME_MONITORING" if name == "EKS_RUNTIME_MONITORING" else name)


def check_features_offered(region: str, features: list[dict[str, Any]] | None) -> None:
    """A request naming a feature the region does not offer is refused with 400 before anything is stored (AWS
    documents that feature names differ by region, not the error: BadRequestException chosen, as for other invalid
    input)."""
    for feat in features or []:
        name = feat.get("name")
        if isinstance(name, str) and not _offered(region, name):
            raise gd_bad_request(f"The request is rejected because the feature {name} is not available in "
                                 f"{region}.")


# ----------------------------------------------------------------------------------------------- detector


class Detector(gd_models.Detector):
    """moto's detector plus a feature table shown as GetDetector shows it (Features and DataSources agree)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        ts = self.created_at
        self.feature_state: dict[str, dict[str, Any]] = {}
        for name in FOUNDATIONAL:
            self.feature_state[name] = {"status": "ENABLED", "updated_at": ts, "additional": {}}
        self.region = args[1] if len(args) > 1 else kwargs.get("region_name", "")
        for name in OPTIONAL_FEATURES:
            if not _offered(self.region, name):
                continue  # not a feature name of this region: GetDetector does not list it
            add = {a: "DISABLED" for a in RUNTIME_ADDITIONAL} if name == "RUNTIME_MONITORING" else {}
            self.feature_state[name] = {"status": "DISABLED", "updated_at": ts, "additional": add}
        self._apply(self.datasources, self.features)

    def _apply(self, datasources: dict[str, Any] | None, features: list[dict[str, Any]] | None) -> None:
        ts = now()
        ds = datasources or {}
        legacy = {
            "S3_DATA_EVENTS": (ds.get("s3Logs") or {}).get("enable"),
            "EKS_AUDIT_LOGS": ((ds.get("kubernetes") or {}).get("auditLogs") or {}).get("enable"),
            "EBS_MALWARE_PROTECTION": ((ds.get("malwareProtection") or {}).get("scanEc2InstanceWithFindings")
                                       or {}).get("ebsVolumes"),
        }
        for name, flag in legacy.items():
            if flag is not None and name in self.feature_state:
                self.feature_state[name].update(status="ENABLED" if flag else "DISABLED", updated_at=ts)
        for feat in features or []:
            name = feat.get("name")
            if name == "EKS_RUNTIME_MONITORING":
                name = "RUNTIME_MONITORING"
            if name not in self.feature_state:
                continue
            if feat.get("status"):
                self.feature_state[name].update(status=feat["status"], updated_at=ts)
            for add in feat.get("additionalConfiguration") or []:
                if add.get("name") in self.feature_state[name]["additional"] and add.get("status"):
                    self.feature_state[name]["additional"][add["name"]] = add["status"]

    def update(self, enable: Any, finding_publishing_frequency: Any, data_sources: Any, features: Any) -> None:
        check_features_offered(self.region, features)
        super().update(enable, finding_publishing_frequency, data_sources, features)
        self._apply(data_sources, features)
        self.updated_at = now()

    def to_json(self) -> dict[str, Any]:
        fs = self.feature_state

        def st(name: str) -> dict[str, str]:
            return {"status": fs[name]["status"]}

        data_sources = {
            "cloudTrail": st("CLOUD_TRAIL"),
            "dnsLogs": st("DNS_LOGS"),
            "flowLogs": st("FLOW_LOGS"),
            "s3Logs": st("S3_DATA_EVENTS"),
            "kubernetes": {"auditLogs": st("EKS_AUDIT_LOGS")},
            "malwareProtection": {
                "scanEc2InstanceWithFindings": {"ebsVolumes": st("EBS_MALWARE_PROTECTION")},
                "serviceRole": self.service_role.replace("AWSServiceRoleForAmazonGuardDuty",
                                                         "AWSServiceRoleForAmazonGuardDutyMalwareProtection")
                .replace("guardduty.amazonaws.com", "malware-protection.guardduty.amazonaws.com"),
            },
        }
        features = []
        for name in ("FLOW_LOGS", "CLOUD_TRAIL", "DNS_LOGS") + OPTIONAL_FEATURES:
            if name not in fs:
                continue
            entry: dict[str, Any] = {
                "name": name,
                "status": fs[name]["status"],
                "updatedAt": fs[name]["updated_at"].timestamp(),
            }
            if fs[name]["additional"]:
                entry["additionalConfiguration"] = [
                    {"name": a, "status": s, "updatedAt": fs[name]["updated_at"].timestamp()}
                    for a, s in fs[name]["additional"].items()
                ]
            features.append(entry)
        return {
            "createdAt": iso_ms(self.created_at),
            "findingPublishingFrequency": self.finding_publish_freq,
            "serviceRole": self.service_role,
            "status": "ENABLED" if self.enabled else "DISABLED",
            "updatedAt": iso_ms(self.updated_at),
            "dataSources": data_sources,
            "tags": self.tags,
            "features": features,
        }


# ----------------------------------------------------------------------------------------------- members


@dataclass
class Member:
    account_id: str
    email: str
    administrator_id: str
    state: str = "Created"  # Created | Invited | Associated | Removed | Resigned
    org: bool = False  # added through AWS Organizations (by the delegated administrator)
    invited_at: str | None = None
    updated_at: str = field(default_factory=lambda: iso_ms(now()))
    monitoring: bool = True  # StopMonitoringMembers sets False

    def touch(self) -> None:
        self.updated_at = iso_ms(now())


def _backend(account_id: str, region: str) -> GuardDutyBackend:
    return guardduty_backends[account_id][region]


def _the_detector(backend: GuardDutyBackend) -> Detector | None:
    return next(iter(backend.detectors.values()), None)


def relationship_status(member: Member, region: str) -> str:
    """The status the administrator sees (Member.RelationshipStatus)."""
    if member.state != "Associated":
        return member.state
    detector = _the_detector(_backend(member.account_id, region))
    if detector is None:
        return "Removed"
    if not detector.enabled or not member.monitoring:
        return "Disabled"
    return "Enabled"


def member_json(member: Member, region: str) -> dict[str, Any]:
    detector = _the_detector(_backend(member.account_id, region))
    out: dict[str, Any] = {
        "accountId": member.account_id,
        "masterId": member.administrator_id,
        "administratorId": member.administrator_id,
        "email": member.email,
        "relationshipStatus": relationship_status(member, region),
        "updatedAt": member.updated_at,
    }
    if detector is not None:
        out["detectorId"] = detector.id
    if member.invited_at is not None and not member.org:
        out["invitedAt"] = member.invited_at
    return out


def _unprocessed(account_id: str, result: str) -> dict[str, str]:
    return {"accountId": account_id, "result": result}


# -------------------------------------------------------------------------------- backend: state + methods


_orig_init = GuardDutyBackend.__init__


def _init(self: GuardDutyBackend, region_name: str, account_id: str) -> None:
    _orig_init(self, region_name, account_id)
    self.orgkit_members: dict[str, Member] = {}
    self.orgkit_invitations: dict[str, dict[str, str]] = {}
    self.orgkit_administrator: dict[str, Any] | None = None
    self.orgkit_org_config: dict[str, Any] = {
        "auto_enable_members": "NONE",
        "features": {name: {"auto": "NONE", "additional": {}} for name in ORG_FEATURES
                     if _offered(region_name, name)},
    }


def _create_detector(self: GuardDutyBackend, enable: Any, finding_publishing_frequency: Any,
                     data_sources: Any, tags: Any, features: Any) -> str:
    if self.detectors:
        raise gd_bad_request("The request is rejected because a detector already exists for the current account.")
    check_features_offered(self.region_name, features)
    if finding_publishing_frequency not in ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"):
        finding_publishing_frequency = "SIX_HOURS"
    created = now()
    detector = Detector(
        account_id=self.account_id,
        region_name=self.region_name,
        created_at=created,
        finding_publish_freq=finding_publishing_frequency,
        enabled=True if enable is None else bool(enable),
        datasources=data_sources,
        tags=tags,
        features=features,
    )
    self.detectors[detector.id] = detector
    return detector.id


def _update_detector(self: GuardDutyBackend, detector_id: str, enable: Any, finding_publishing_frequency: Any,
                     data_sources: Any, features: Any) -> None:
    """UpdateDetector. An organisation member cannot suspend its own detector: its GuardDuty status is the
    delegated administrator's to set (AWS: an administrator can "enable, suspend, or disable the status of GuardDuty on
    behalf of associated member accounts"; a member removed from the organisation's GuardDuty "can disable GuardDuty
    themselves"; "With autoEnableOrganizationMembers configuration for your organization set to ALL, you'll receive
    an error if you attempt to disable GuardDuty in a member account."). The exact error is not documented: 400
    BadRequestException, as for other refused requests. An invitation member still can ("Users from member accounts
    can suspend GuardDuty for their own account")."""
    detector = self.get_detector(detector_id)
    rel = self.orgkit_administrator
    if enable is False and detector.enabled and rel and rel["status"] == "Enabled":
        m = _backend(rel["account_id"], self.region_name).orgkit_members.get(self.account_id)
        if m is not None and m.org and m.state == "Associated":
            raise gd_bad_request(
                "The request is rejected because an organization member account cannot suspend GuardDuty: its "
                "delegated administrator manages the status of GuardDuty for it.")
    detector.update(enable, finding_publishing_frequency, data_sources, features)


def ensure_detector(account_id: str, region: str, features: list[dict[str, Any]] | None = None) -> Detector:
    backend = _backend(account_id, region)
    detector = _the_detector(backend)
    if detector is None:
        backend.create_detector(True, "SIX_HOURS", None, None, features)
        detector = _the_detector(backend)
    assert detector is not None
    return detector


def delegated_admin(management_id: str, region: str) -> str | None:
    ids = _backend(management_id, region).admin_account_ids
    return ids[0] if ids else None


def _org_admin_of(account_id: str, region: str) -> tuple[str | None, str | None]:
    """(management account, delegated GuardDuty administrator in the region) of the account's organization."""
    mgmt = management_account_of(account_id)
    if mgmt is None:
        return None, None
    return mgmt, delegated_admin(mgmt, region)


def _require_delegated_admin(self: GuardDutyBackend) -> str:
    mgmt, admin = _org_admin_of(self.account_id, self.region_name)
    if admin != self.account_id:
        raise gd_bad_request(
            "The request is rejected because the current account is not the GuardDuty delegated administrator "
            "account of the organization."
        )
    assert mgmt is not None
    return mgmt


def _feature_list_for_new_member(admin_backend: GuardDutyBackend, new: bool) -> list[dict[str, Any]]:
    wanted = ("NEW", "ALL") if new else ("ALL",)
    out = []
    for name, cfg in admin_backend.orgkit_org_config["features"].items():
        if cfg["auto"] in wanted:
            feat: dict[str, Any] = {"name": name, "status": "ENABLED"}
            adds = [{"name": a, "status": "ENABLED"} for a, auto in cfg["additional"].items() if auto in wanted]
            if adds:
                feat["additionalConfiguration"] = adds
            out.append(feat)
    return out


def _active_members(backend: GuardDutyBackend) -> list[str]:
    return sorted(a for a, m in backend.orgkit_members.items() if m.state == "Associated")


def enrol_org_member(admin_id: str, account_id: str, region: str, email: str | None = None,
                     features: list[dict[str, Any]] | None = None, create_detector: bool = True) -> str | None:
    """Make ``account_id`` an organization member of ``admin_id`` in ``region``. Returns an error text or None.

    As AWS documents: the member's GuardDuty is enabled (a detector created, or a suspended one re-enabled: "using
    CreateMembers will enable GuardDuty in the added member accounts"), with the organization's auto-enable
    feature settings applied ("irrespective of the accounts being new or existing members"); the management
    account is the exception ("Before the management account gets added as a GuardDuty member, it must have
    GuardDuty enabled"); an account that administers active members cannot become a member."""
    from .account import region_enabled

    if not region_enabled(account_id, region):
        # GuardDuty cannot be enabled for an account in an opt-in region the account has not enabled.
        return f"The request is rejected because the region {region} is not enabled for the input account."
    admin_backend = _backend(admin_id, region)
    member_backend = _backend(account_id, region)
    rel = member_backend.orgkit_administrator
    if rel and rel["status"] == "Enabled" and rel["account_id"] != admin_id:
        return ("The request is rejected because the input account is already associated with a different "
                "administrator account.")
    if _active_members(member_backend):
        return ("The request is rejected because the input account is an administrator account with active "
                "member accounts.")
    mgmt = management_account_of(admin_id)
    existing_detector = _the_detector(member_backend)
    if account_id == mgmt and (existing_detector is None or not existing_detector.enabled):
        return ("The request is rejected because the organization management account must enable GuardDuty "
                "before it can be added as a member.")
    if create_detector:
        detector = ensure_detector(account_id, region, features)
        if detector is existing_detector:
            detector.enabled = True  # a suspended detector runs again
            detector._apply(None, features)
    if email is None:
        acct = org_account(mgmt, account_id) if mgmt else None
        email = acct.email if acct is not None else f"{account_id}@example.com"
    existing = admin_backend.orgkit_members.get(account_id)
    member = existing or Member(account_id=account_id, email=email, administrator_id=admin_id)
    member.state = "Associated"
    member.org = True
    member.invited_at = None
    member.monitoring = True
    member.touch()
    admin_backend.orgkit_members[account_id] = member
    member_backend.orgkit_invitations.pop(admin_id, None)
    member_backend.orgkit_administrator = {"account_id": admin_id, "status": "Enabled", "invitation_id": None,
                                           "invited_at": None}
    return None


# CreateMembers


def create_members(self: GuardDutyBackend, detector_id: str, details: list[dict[str, str]]) -> list[dict[str, str]]:
    self.get_detector(detector_id)
    mgmt, admin = _org_admin_of(self.account_id, self.region_name)
    is_delegated_admin = admin == self.account_id
    unprocessed = []
    for d in details:
        acct, email = d.get("accountId", ""), d.get("email", "")
        if acct == self.account_id:
            unprocessed.append(_unprocessed(acct, "The request is rejected because the current account cannot be "
                                                  "added as a member of itself."))
            continue
        existing = self.orgkit_members.get(acct)
        in_org = is_delegated_admin and mgmt is not None and org_account(mgmt, acct) is not None
        if existing and existing.state in ("Created", "Invited", "Associated") and not (
            in_org and not existing.org
        ):
            unprocessed.append(_unprocessed(acct, "The request is rejected because the input account is already a "
                                                  "member of the current account."))
            continue
        if in_org:
            # "GuardDuty applies your organization's auto-enable settings to the member accounts in this request,
            # irrespective of the accounts being new or existing members" (CreateMembers)
            err = enrol_org_member(self.account_id, acct, self.region_name, email=email or None,
                                   features=_feature_list_for_new_member(self, new=True))
            if err:
                unprocessed.append(_unprocessed(acct, err))
            continue
        self.orgkit_members[acct] = Member(account_id=acct, email=email, administrator_id=self.account_id)
    return unprocessed


def invite_members(self: GuardDutyBackend, detector_id: str, account_ids: list[str]) -> list[dict[str, str]]:
    self.get_detector(detector_id)
    unprocessed = []
    for acct in account_ids:
        member = self.orgkit_members.get(acct)
        if member is None:
            unprocessed.append(_unprocessed(acct, "The request is rejected because the input account ID is not "
                                                  "associated with the current account as a member."))
            continue
        if member.state == "Associated":
            unprocessed.append(_unprocessed(acct, "The request is rejected because the input account is already "
                                                  "associated with the current account."))
            continue
        invitation_id = mock_random.get_random_hex(length=32)
        invited_at = iso_ms(now())
        member.state = "Invited"
        member.org = False
        member.invited_at = invited_at
        member.touch()
        _backend(acct, self.region_name).orgkit_invitations[self.account_id] = {
            "invitation_id": invitation_id,
            "invited_at": invited_at,
        }
    return unprocessed


def accept_administrator_invitation(self: GuardDutyBackend, detector_id: str, admin_id: str,
                                    invitation_id: str) -> None:
    self.get_detector(detector_id)
    invitation = self.orgkit_invitations.get(admin_id)
    admin_member = _backend(admin_id, self.region_name).orgkit_members.get(self.account_id)
    if invitation is None or invitation["invitation_id"] != invitation_id or admin_member is None:
        raise gd_bad_request("The request is rejected because the input invitationId is not valid.")
    rel = self.orgkit_administrator
    if rel and rel["status"] == "Enabled" and rel["account_id"] != admin_id:
        raise gd_bad_request(
            "The request is rejected because the current account has already accepted an invitation from another "
            "administrator account."
        )
    self.orgkit_invitations.pop(admin_id, None)
    self.orgkit_administrator = {"account_id": admin_id, "status": "Enabled", "invitation_id": invitation_id,
                                 "invited_at": invitation["invited_at"]}
    admin_member.state = "Associated"
    admin_member.monitoring = True
    admin_member.touch()


def _members_for(self: GuardDutyBackend, detector_id: str) -> dict[str, Member]:
    self.get_detector(detector_id)
    return self.orgkit_members


def list_members(self: GuardDutyBackend, detector_id: str, only_associated: bool) -> list[dict[str, Any]]:
    members = _members_for(self, detector_id)
    out = [member_json(m, self.region_name) for m in members.values()]
    if only_associated:
        out = [m for m in out if m["relationshipStatus"] in ("Enabled", "Disabled")]
    return out


def get_members(self: GuardDutyBackend, detector_id: str, account_ids: list[str]) -> tuple[list, list]:
    members = _members_for(self, detector_id)
    found, unprocessed = [], []
    for acct in account_ids:
        if acct in members:
            found.append(member_json(members[acct], self.region_name))
        else:
            unprocessed.append(_unprocessed(acct, "The request is rejected because the input account ID is not "
                                                  "associated with the current account as a member."))
    return found, unprocessed


def _check_auto_enable_all(self: GuardDutyBackend, account_ids: list[str], verb: str) -> None:
    if self.orgkit_org_config["auto_enable_members"] != "ALL":
        return
    for acct in account_ids:
        m = self.orgkit_members.get(acct)
        if m is not None and m.org:
            raise gd_bad_request(
                f"The request is rejected because you cannot {verb} an organization member account while "
                "autoEnableOrganizationMembers is set to ALL."
            )


def disassociate_members(self: GuardDutyBackend, detector_id: str, account_ids: list[str]) -> list[dict[str, str]]:
    members = _members_for(self, detector_id)
    _check_auto_enable_all(self, account_ids, "disassociate")
    unprocessed = []
    for acct in account_ids:
        m = members.get(acct)
        if m is None:
            unprocessed.append(_unprocessed(acct, "The request is rejected because the input account ID is not "
                                                  "associated with the current account as a member."))
            continue
        m.state = "Removed"
        m.touch()
        member_backend = _backend(acct, self.region_name)
        rel = member_backend.orgkit_administrator
        if rel and rel["account_id"] == self.account_id:
            rel["status"] = "Removed"
    return unprocessed


def delete_members(self: GuardDutyBackend, detector_id: str, account_ids: list[str]) -> list[dict[str, str]]:
    members = _members_for(self, detector_id)
    _check_auto_enable_all(self, account_ids, "delete")
    unprocessed = []
    for acct in account_ids:
        if members.pop(acct, None) is None:
            unprocessed.append(_unprocessed(acct, "The request is rejected because the input account ID is not "
                                                  "associated with the current account as a member."))
            continue
        member_backend = _backend(acct, self.region_name)
        rel = member_backend.orgkit_administrator
        if rel and rel["account_id"] == self.account_id:
            member_backend.orgkit_administrator = None
        member_backend.orgkit_invitations.pop(self.account_id, None)
    return unprocessed


def set_monitoring(self: GuardDutyBackend, detector_id: str, account_ids: list[str], on: bool) -> list:
    members = _members_for(self, detector_id)
    if not on:
        _check_auto_enable_all(self, account_ids, "stop monitoring")
    unprocessed = []
    for acct in account_ids:
        m = members.get(acct)
        if m is None or m.state != "Associated":
            unprocessed.append(_unprocessed(acct, "The request is rejected because the input account ID is not "
                                                  "associated with the current account as a member."))
            continue
        m.monitoring = on
        if on and m.org:
            # an organisation member's GuardDuty status is the administrator's to set: restarting it re-enables a
            # suspended detector (the API page says "Turns on GuardDuty monitoring of the specified member
            # accounts"; that it re-enables the member's own detector is this extension's reading, docs/localaws.md)
            det = _the_detector(_backend(acct, self.region_name))
            if det is not None and not det.enabled:
                det.enabled = True
                det.updated_at = now()
        m.touch()
    return unprocessed


def disassociate_from_administrator(self: GuardDutyBackend, detector_id: str) -> None:
    self.get_detector(detector_id)
    rel = self.orgkit_administrator
    if rel is None:
        return
    admin_backend = _backend(rel["account_id"], self.region_name)
    m = admin_backend.orgkit_members.get(self.account_id)
    if m is not None and m.org and rel["status"] == "Enabled":
        raise gd_bad_request(
            "The request is rejected because an organization member account cannot disassociate itself from the "
            "GuardDuty delegated administrator."
        )
    if m is not None and m.state == "Associated":
        m.state = "Resigned"
        m.touch()
    self.orgkit_administrator = None


def get_administrator(self: GuardDutyBackend, detector_id: str) -> dict[str, Any]:
    self.get_detector(detector_id)
    rel = self.orgkit_administrator
    if rel is None:
        return {}
    out = {"accountId": rel["account_id"], "relationshipStatus": rel["status"]}
    if rel["invitation_id"]:
        out["invitationId"] = rel["invitation_id"]
        out["invitedAt"] = rel["invited_at"]
    return out


def drop_invitations(self: GuardDutyBackend, account_ids: list[str]) -> list[dict[str, str]]:
    unprocessed = []
    for acct in account_ids:
        if self.orgkit_invitations.pop(acct, None) is None:
            unprocessed.append(_unprocessed(acct, "The request is rejected because there is no invitation from the "
                                                  "input account ID."))
    return unprocessed


def list_invitations(self: GuardDutyBackend) -> list[dict[str, str]]:
    return [
        {"accountId": admin, "invitationId": inv["invitation_id"], "relationshipStatus": "Invited",
         "invitedAt": inv["invited_at"]}
        for admin, inv in self.orgkit_invitations.items()
    ]


# organization administrator (management account side)


def _require_management(self: GuardDutyBackend) -> str:
    mgmt = management_account_of(self.account_id)
    if mgmt != self.account_id:
        raise gd_bad_request(
            "The request is rejected because the current account is not the management account of the organization."
        )
    return mgmt


def enable_organization_admin_account(self: GuardDutyBackend, admin_account_id: str) -> None:
    mgmt = _require_management(self)
    if org_account(mgmt, admin_account_id) is None:
        raise gd_bad_request("The request is rejected because the input account is not a member of the organization.")
    current = self.admin_account_ids[0] if self.admin_account_ids else None
    if current == admin_account_id:
        return
    org = org_backends()[mgmt]["aws"]
    others = [a.account.id for a in org.admins if SERVICE_PRINCIPAL in a.services]
    if current is not None or (others and others != [admin_account_id]):
        raise gd_bad_request(
            "The request is rejected because another account is already enabled as the GuardDuty delegated "
            "administrator for the organization."
        )
    self.admin_account_ids.append(admin_account_id)
    # Designating the delegated administrator also enables GuardDuty for it in the region (GuardDuty user guide,
    # "Permissions required to designate a delegated GuardDuty administrator account").
    ensure_detector(admin_account_id, self.region_name)
    # GuardDuty enables its trusted access in Organizations itself when it sets the delegated administrator.
    if not any(sv["ServicePrincipal"] == SERVICE_PRINCIPAL for sv in org.services):
        org.enable_aws_service_access(ServicePrincipal=SERVICE_PRINCIPAL)
    if not others:
        org.register_delegated_administrator(AccountId=admin_account_id, ServicePrincipal=SERVICE_PRINCIPAL)
    # Invitation members of the new delegated administrator that belong to the organization become
    # organization members (GuardDuty user guide, "Managing accounts with AWS Organizations").
    admin_backend = _backend(admin_account_id, self.region_name)
    for acct, m in list(admin_backend.orgkit_members.items()):
        if org_account(mgmt, acct) is not None and m.state == "Associated" and not m.org:
            m.org = True
            m.invited_at = None
            m.touch()
            rel = _backend(acct, self.region_name).orgkit_administrator
            if rel and rel["account_id"] == admin_account_id:
                rel.update(invitation_id=None, invited_at=None)


def disable_organization_admin_account(self: GuardDutyBackend, admin_account_id: str) -> None:
    mgmt = _require_management(self)
    if admin_account_id not in self.admin_account_ids:
        raise gd_bad_request("The request is rejected because the input account is not the GuardDuty delegated "
                             "administrator of the organization.")
    self.admin_account_ids.remove(admin_account_id)
    admin_backend = _backend(admin_account_id, self.region_name)
    admin_backend.orgkit_org_config["auto_enable_members"] = "NONE"
    for acct, m in admin_backend.orgkit_members.items():
        if m.org and m.state == "Associated":
            m.state = "Removed"
            m.touch()
            rel = _backend(acct, self.region_name).orgkit_administrator
            if rel and rel["account_id"] == admin_account_id:
                rel["status"] = "Removed"
    still = any(admin_account_id in b.admin_account_ids for _, b in existing_region_backends(guardduty_backends, mgmt))
    if not still:
        org = org_backends()[mgmt]["aws"]
        admin = next((a for a in org.admins if a.account.id == admin_account_id), None)
        if admin is not None and SERVICE_PRINCIPAL in admin.services:
            org.deregister_delegated_administrator(AccountId=admin_account_id, ServicePrincipal=SERVICE_PRINCIPAL)


def list_organization_admin_accounts(self: GuardDutyBackend) -> list[str]:
    _require_management(self)
    return list(self.admin_account_ids)


# organization configuration (delegated administrator side)


def describe_organization_configuration(self: GuardDutyBackend, detector_id: str) -> dict[str, Any]:
    self.get_detector(detector_id)
    _require_delegated_admin(self)
    cfg = self.orgkit_org_config
    auto = cfg["auto_enable_members"]
    feats = cfg["features"]

    def on(name: str) -> bool:
        return name in feats and feats[name]["auto"] != "NONE"

    features = []
    for name in ORG_FEATURES:
        if name not in feats:
            continue  # not offered in this region
        entry: dict[str, Any] = {"name": name, "autoEnable": feats[name]["auto"]}
        if name == "RUNTIME_MONITORING":
            entry["additionalConfiguration"] = [
                {"name": a, "autoEnable": feats[name]["additional"].get(a, "NONE")} for a in RUNTIME_ADDITIONAL
            ]
        features.append(entry)
    return {
        "autoEnable": auto != "NONE",
        "autoEnableOrganizationMembers": auto,
        "memberAccountLimitReached": False,
        "dataSources": {
            "s3Logs": {"autoEnable": on("S3_DATA_EVENTS")},
            "kubernetes": {"auditLogs": {"autoEnable": on("EKS_AUDIT_LOGS")}},
            "malwareProtection": {"scanEc2InstanceWithFindings": {"ebsVolumes": {
                "autoEnable": on("EBS_MALWARE_PROTECTION")}}},
        },
        "features": features,
    }


def update_organization_configuration(self: GuardDutyBackend, detector_id: str, auto_enable: bool | None,
                                      auto_enable_members: str | None, data_sources: dict | None,
                                      features: list | None) -> None:
    self.get_detector(detector_id)
    mgmt = _require_delegated_admin(self)
    if (auto_enable is None) == (auto_enable_members is None):
        # "You must provide a value for either autoEnableOrganizationMembers or autoEnable, but not both."
        raise gd_bad_request("The request is rejected because you must provide a value for either "
                             "autoEnableOrganizationMembers or autoEnable, but not both.")
    if auto_enable_members is not None and auto_enable_members not in ("NEW", "ALL", "NONE"):
        raise gd_bad_request("The request is rejected because the input autoEnableOrganizationMembers is not valid.")
    if auto_enable_members is None:
        auto_enable_members = "NEW" if auto_enable else "NONE"  # the legacy boolean means NEW
    names = {f.get("name") for f in features or []}
    check_features_offered(self.region_name, features)
    if {"EKS_RUNTIME_MONITORING", "RUNTIME_MONITORING"} <= names:
        # "Specifying both EKS Runtime Monitoring (EKS_RUNTIME_MONITORING) and Runtime Monitoring
        # (RUNTIME_MONITORING) will cause an error." (UpdateOrganizationConfiguration)
        raise gd_bad_request("The request is rejected because EKS_RUNTIME_MONITORING and RUNTIME_MONITORING cannot "
                             "both be specified.")
    for feat in features or []:
        name = feat.get("name")
        if name == "EKS_RUNTIME_MONITORING":
            name = "RUNTIME_MONITORING"  # the legacy name of the same protection plan (as for detectors)
        if name not in ORG_FEATURES:
            raise gd_bad_request(f"The request is rejected because the feature {name} is not valid.")
        for add in feat.get("additionalConfiguration") or []:
            # botocore's model: OrgFeatureAdditionalConfiguration is EKS_ADDON_MANAGEMENT |
            # ECS_FARGATE_AGENT_MANAGEMENT | EC2_AGENT_MANAGEMENT, "applicable to only Runtime Monitoring protection
            # plan"; the client does not check enums, the service does (400 before anything is stored)
            if add.get("name") not in RUNTIME_ADDITIONAL or name != "RUNTIME_MONITORING":
                raise gd_bad_request(f"The request is rejected because the additional configuration "
                                     f"{add.get('name')} is not valid for the feature {name}.")
            if add.get("autoEnable") not in (None, "NEW", "ALL", "NONE"):
                raise gd_bad_request("The request is rejected because the input autoEnable is not valid.")
    cfg = self.orgkit_org_config
    cfg["auto_enable_members"] = auto_enable_members
    ds = data_sources or {}
    legacy = {
        "S3_DATA_EVENTS": (ds.get("s3Logs") or {}).get("autoEnable"),
        "EKS_AUDIT_LOGS": ((ds.get("kubernetes") or {}).get("auditLogs") or {}).get("autoEnable"),
        "EBS_MALWARE_PROTECTION": (((ds.get("malwareProtection") or {}).get("scanEc2InstanceWithFindings") or {})
                                   .get("ebsVolumes") or {}).get("autoEnable"),
    }
    for name, flag in legacy.items():
        if flag is not None and name in cfg["features"]:
            cfg["features"][name]["auto"] = "NEW" if flag else "NONE"
    for feat in features or []:
        name = feat.get("name")
        if name == "EKS_RUNTIME_MONITORING":
            name = "RUNTIME_MONITORING"
        if feat.get("autoEnable"):
            cfg["features"][name]["auto"] = feat["autoEnable"]
        for add in feat.get("additionalConfiguration") or []:
            if add.get("autoEnable"):
                cfg["features"][name]["additional"][add["name"]] = add["autoEnable"]
    # Features set to ALL reach every existing member ("all accounts in the organization"); NEW ones only accounts
    # enrolled from now on.
    all_feats = [f for f in _feature_list_for_new_member(self, new=False)]
    if all_feats:
        for acct, m in self.orgkit_members.items():
            if m.org and m.state == "Associated":
                det = _the_detector(_backend(acct, self.region_name))
                if det is not None:
                    det._apply(None, all_feats)
    if auto_enable_members == "ALL":
        # ALL enrols the existing accounts too, "and accounts that may have been suspended or removed from the
        # organization in GuardDuty" (AWS: "may take up to 24 hours"; here at once). The management account is
        # the exception: it is enrolled only once it has GuardDuty enabled itself.
        feats = _feature_list_for_new_member(self, new=True)
        for acct in org_accounts(mgmt):
            if acct.id == self.account_id:
                continue
            m = self.orgkit_members.get(acct.id)
            if m is not None and m.org and m.state == "Associated":
                det = _the_detector(_backend(acct.id, self.region_name))
                if det is not None and not det.enabled:
                    det.enabled = True
                    det.updated_at = now()
                continue
            enrol_org_member(self.account_id, acct.id, self.region_name, email=acct.email, features=feats)


def on_account_joined_org(management_id: str, account_id: str) -> None:
    """Auto-enable NEW/ALL: a new organization account becomes a member in every region configured for it."""
    for region, backend in existing_region_backends(guardduty_backends, management_id):
        if not backend.admin_account_ids:
            continue
        admin = backend.admin_account_ids[0]
        admin_backend = _backend(admin, region)
        if admin_backend.orgkit_org_config["auto_enable_members"] in ("NEW", "ALL") and _the_detector(admin_backend):
            enrol_org_member(admin, account_id, region,
                             features=_feature_list_for_new_member(admin_backend, new=True))


# ------------------------------------------------------------------------------------------ responses


def _detector_id_from_path(resp: Any, index: int) -> str:
    return resp.path.split("/")[index]


def _body(resp: Any) -> dict[str, Any]:
    try:
        return json.loads(resp.body) if resp.body else {}
    except ValueError:
        return {}


def _paginate(items: list[Any], resp: Any, default: int = 50) -> tuple[list[Any], str | None]:
    max_results = int(resp._get_param("maxResults") or default)
    if not 1 <= max_results <= 50:
        raise gd_bad_request("The request is rejected because the input maxResults is not valid: it must be "
                             "between 1 and 50.")
    try:
        start = int(resp._get_param("nextToken") or 0)
    except ValueError:
        raise gd_bad_request("The request is rejected because the input nextToken is not valid.")
    page = items[start:start + max_results]
    nxt = start + max_results
    return page, (str(nxt) if nxt < len(items) else None)


def _r_create_members(self: Any) -> str:
    detector_id = _detector_id_from_path(self, -2)
    unprocessed = self.guardduty_backend.create_members(detector_id, _body(self).get("accountDetails") or [])
    return json.dumps({"unprocessedAccounts": unprocessed})


def _r_account_ids_op(method: str, idx: int) -> Any:
    def handler(self: Any) -> str:
        detector_id = _detector_id_from_path(self, idx)
        unprocessed = getattr(self.guardduty_backend, method)(detector_id, _body(self).get("accountIds") or [])
        return json.dumps({"unprocessedAccounts": unprocessed})

    handler.__name__ = method
    return handler


def _r_list_members(self: Any) -> str:
    detector_id = _detector_id_from_path(self, -2)
    only = str(self._get_param("onlyAssociated") or "true").lower() != "false"
    members = self.guardduty_backend.list_members(detector_id, only)
    page, token = _paginate(members, self)
    out: dict[str, Any] = {"members": page}
    if token:
        out["nextToken"] = token
    return json.dumps(out)


def _r_get_members(self: Any) -> str:
    detector_id = _detector_id_from_path(self, -3)
    found, unprocessed = self.guardduty_backend.get_members(detector_id, _body(self).get("accountIds") or [])
    return json.dumps({"members": found, "unprocessedAccounts": unprocessed})


def _r_start_monitoring(self: Any) -> str:
    detector_id = _detector_id_from_path(self, -3)
    un = self.guardduty_backend.set_monitoring(detector_id, _body(self).get("accountIds") or [], True)
    return json.dumps({"unprocessedAccounts": un})


def _r_stop_monitoring(self: Any) -> str:
    detector_id = _detector_id_from_path(self, -3)
    un = self.guardduty_backend.set_monitoring(detector_id, _body(self).get("accountIds") or [], False)
    return json.dumps({"unprocessedAccounts": un})


def _r_accept_administrator_invitation(self: Any) -> str:
    detector_id = _detector_id_from_path(self, -2)
    body = _body(self)
    self.guardduty_backend.accept_administrator_invitation(
        detector_id, body.get("administratorId") or "", body.get("invitationId") or "")
    return "{}"


def _r_accept_invitation(self: Any) -> str:
    detector_id = _detector_id_from_path(self, -2)
    body = _body(self)
    self.guardduty_backend.accept_administrator_invitation(
        detector_id, body.get("masterId") or "", body.get("invitationId") or "")
    return "{}"


def _r_disassociate_from_administrator(self: Any) -> str:
    self.guardduty_backend.disassociate_from_administrator(_detector_id_from_path(self, -3))
    return "{}"


def _r_get_administrator_account(self: Any) -> str:
    admin = self.guardduty_backend.get_administrator(_detector_id_from_path(self, -2))
    return json.dumps({"administrator": admin} if admin else {})


def _r_get_master_account(self: Any) -> str:
    admin = self.guardduty_backend.get_administrator(_detector_id_from_path(self, -2))
    return json.dumps({"master": admin} if admin else {})


def _r_list_invitations(self: Any) -> str:
    page, token = _paginate(self.guardduty_backend.list_invitations(), self)
    out: dict[str, Any] = {"invitations": page}
    if token:
        out["nextToken"] = token
    return json.dumps(out)


def _r_get_invitations_count(self: Any) -> str:
    return json.dumps({"invitationsCount": len(self.guardduty_backend.orgkit_invitations)})


def _r_drop_invitations(self: Any) -> str:
    return json.dumps({"unprocessedAccounts": self.guardduty_backend.drop_invitations(
        _body(self).get("accountIds") or [])})


def _r_enable_org_admin(self: Any) -> str:
    self.guardduty_backend.enable_organization_admin_account(_body(self).get("adminAccountId") or "")
    return "{}"


def _r_disable_org_admin(self: Any) -> str:
    self.guardduty_backend.disable_organization_admin_account(_body(self).get("adminAccountId") or "")
    return "{}"


def _r_list_org_admins(self: Any) -> str:
    ids = self.guardduty_backend.list_organization_admin_accounts()
    page, token = _paginate([{"adminAccountId": a, "adminStatus": "ENABLED"} for a in ids], self)
    out: dict[str, Any] = {"adminAccounts": page}
    if token:
        out["nextToken"] = token
    return json.dumps(out)


def _r_describe_org_config(self: Any) -> str:
    # MaxResults / NextToken page the Features list (botocore's model has both on the call, and NextToken in the
    # answer; the other fields come with every page)
    out = self.guardduty_backend.describe_organization_configuration(_detector_id_from_path(self, -2))
    out["features"], nxt = _paginate(out["features"], self, default=50)
    if nxt:
        out["nextToken"] = nxt
    return json.dumps(out)


def _r_update_org_config(self: Any) -> str:
    body = _body(self)
    self.guardduty_backend.update_organization_configuration(
        _detector_id_from_path(self, -2),
        body.get("autoEnable"),
        body.get("autoEnableOrganizationMembers"),
        body.get("dataSources"),
        body.get("features"),
    )
    return "{}"


def _r_list_detectors(self: Any) -> str:
    ids = self.guardduty_backend.list_detectors()
    page, token = _paginate(ids, self)
    out: dict[str, Any] = {"detectorIds": page}
    if token:
        out["nextToken"] = token
    return json.dumps(out)


NEW_PATHS = {
    "{0}/detector/(?P<detector_id>[^/]+)/member$": gd_responses.GuardDutyResponse.dispatch,
    "{0}/detector/(?P<detector_id>[^/]+)/member/(?P<member_op>[^/]+)$": gd_responses.GuardDutyResponse.dispatch,
    "{0}/detector/(?P<detector_id>[^/]+)/administrator/disassociate$": gd_responses.GuardDutyResponse.dispatch,
    "{0}/detector/(?P<detector_id>[^/]+)/master$": gd_responses.GuardDutyResponse.dispatch,
    "{0}/detector/(?P<detector_id>[^/]+)/master/disassociate$": gd_responses.GuardDutyResponse.dispatch,
    "{0}/detector/(?P<detector_id>[^/]+)/admin$": gd_responses.GuardDutyResponse.dispatch,
    "{0}/invitation$": gd_responses.GuardDutyResponse.dispatch,
    "{0}/invitation/(?P<inv_op>[^/]+)$": gd_responses.GuardDutyResponse.dispatch,
    "{0}/admin/disable$": gd_responses.GuardDutyResponse.dispatch,
}

EXTENDED_OPERATIONS = [
    "CreateDetector", "GetDetector", "ListDetectors", "CreateMembers", "InviteMembers", "ListMembers", "GetMembers",
    "DisassociateMembers", "DeleteMembers", "StartMonitoringMembers", "StopMonitoringMembers",
    "AcceptAdministratorInvitation", "AcceptInvitation", "ListInvitations", "GetInvitationsCount",
    "DeclineInvitations", "DeleteInvitations", "DisassociateFromAdministratorAccount",
    "DisassociateFromMasterAccount", "GetAdministratorAccount", "GetMasterAccount",
    "EnableOrganizationAdminAccount", "DisableOrganizationAdminAccount", "ListOrganizationAdminAccounts",
    "DescribeOrganizationConfiguration", "UpdateOrganizationConfiguration",
]


def install() -> None:
    B = GuardDutyBackend
    B.__init__ = _init  # type: ignore[method-assign]
    B.create_detector = _create_detector  # type: ignore[method-assign,assignment]
    B.update_detector = _update_detector  # type: ignore[method-assign,assignment]
    B.create_members = create_members  # type: ignore[attr-defined]
    B.invite_members = invite_members  # type: ignore[attr-defined]
    B.accept_administrator_invitation = accept_administrator_invitation  # type: ignore[attr-defined]
    B.list_members = list_members  # type: ignore[attr-defined]
    B.get_members = get_members  # type: ignore[attr-defined]
    B.disassociate_members = disassociate_members  # type: ignore[attr-defined]
    B.delete_members = delete_members  # type: ignore[attr-defined]
    B.set_monitoring = set_monitoring  # type: ignore[attr-defined]
    B.disassociate_from_administrator = disassociate_from_administrator  # type: ignore[attr-defined]
    B.get_administrator = get_administrator  # type: ignore[attr-defined]
    B.drop_invitations = drop_invitations  # type: ignore[attr-defined]
    B.list_invitations = list_invitations  # type: ignore[attr-defined]
    B.enable_organization_admin_account = enable_organization_admin_account  # type: ignore[method-assign]
    B.disable_organization_admin_account = disable_organization_admin_account  # type: ignore[attr-defined]
    B.list_organization_admin_accounts = list_organization_admin_accounts  # type: ignore[method-assign]
    B.describe_organization_configuration = describe_organization_configuration  # type: ignore[attr-defined]
    B.update_organization_configuration = update_organization_configuration  # type: ignore[attr-defined]
    gd_models.Detector = Detector  # type: ignore[misc]

    R = gd_responses.GuardDutyResponse
    R.create_members = _r_create_members  # type: ignore[attr-defined]
    R.invite_members = _r_account_ids_op("invite_members", -3)  # type: ignore[attr-defined]
    R.disassociate_members = _r_account_ids_op("disassociate_members", -3)  # type: ignore[attr-defined]
    R.delete_members = _r_account_ids_op("delete_members", -3)  # type: ignore[attr-defined]
    R.list_members = _r_list_members  # type: ignore[attr-defined]
    R.get_members = _r_get_members  # type: ignore[attr-defined]
    R.start_monitoring_members = _r_start_monitoring  # type: ignore[attr-defined]
    R.stop_monitoring_members = _r_stop_monitoring  # type: ignore[attr-defined]
    R.accept_administrator_invitation = _r_accept_administrator_invitation  # type: ignore[attr-defined]
    R.accept_invitation = _r_accept_invitation  # type: ignore[attr-defined]
    R.disassociate_from_administrator_account = _r_disassociate_from_administrator  # type: ignore[attr-defined]
    R.disassociate_from_master_account = _r_disassociate_from_administrator  # type: ignore[attr-defined]
    R.get_administrator_account = _r_get_administrator_account  # type: ignore[method-assign]
    R.get_master_account = _r_get_master_account  # type: ignore[attr-defined]
    R.list_invitations = _r_list_invitations  # type: ignore[attr-defined]
    R.get_invitations_count = _r_get_invitations_count  # type: ignore[attr-defined]
    R.decline_invitations = _r_drop_invitations  # type: ignore[attr-defined]
    R.delete_invitations = _r_drop_invitations  # type: ignore[attr-defined]
    R.enable_organization_admin_account = _r_enable_org_admin  # type: ignore[method-assign]
    R.disable_organization_admin_account = _r_disable_org_admin  # type: ignore[attr-defined]
    R.list_organization_admin_accounts = _r_list_org_admins  # type: ignore[method-assign]
    R.describe_organization_configuration = _r_describe_org_config  # type: ignore[attr-defined]
    R.update_organization_configuration = _r_update_org_config  # type: ignore[attr-defined]
    R.list_detectors = _r_list_detectors  # type: ignore[method-assign]
    for path, handler in NEW_PATHS.items():
        gd_urls.url_paths.setdefault(path, handler)
