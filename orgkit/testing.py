"""Hand-built snapshots for tests and examples: the on-disk format of docs/snapshot.md, written by the real writer.

    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    ou = sb.ou("Engineering")
    acct = sb.account("Prod", parent=ou)
    sb.trail(sb.management, "org", home_region="us-east-1", multi_region=True, organization=True)
    sb.detector(acct, "us-east-1")
    sb.access_report(acct, [("s3", "Amazon S3", T0, "us-east-1", acct, 1), ("ec2", "Amazon EC2", None, None, None, 0)])
    org = sb.load(tmp_path / "snap")

Every value is what AWS would return; nothing here talks to AWS.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orgkit.snapshot import SnapshotWriter

T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
FULL_ACCESS = "p-FullAWSAccess"
FULL_ACCESS_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL_ACCESS = "p-RCPFullAWSAccess"
RCP_FULL_ACCESS_DOC = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


def detector_features(on=(), agents=(), offered_in: str | None = None) -> list[dict]:
    """GetDetector's ``Features`` with the given protection plans (and Runtime Monitoring agent managements)
    enabled, the others disabled; with ``offered_in``, a plan that region does not offer is not listed, as
    GetDetector does not list it (:mod:`orgkit.guardduty.availability`)."""
    from orgkit.coverage.guardduty import AGENT_MANAGEMENT, PLANS
    from orgkit.guardduty.availability import is_offered

    out = [{"Name": n, "Status": "ENABLED"} for n in ("CLOUD_TRAIL", "DNS_LOGS", "FLOW_LOGS")]
    for n in PLANS:
        if offered_in and not is_offered(offered_in, n):
            continue
        f = {"Name": n, "Status": "ENABLED" if n in on else "DISABLED"}
        if n == "RUNTIME_MONITORING":
            f["AdditionalConfiguration"] = [{"Name": a, "Status": "ENABLED" if a in agents else "DISABLED"}
                                            for a in AGENT_MANAGEMENT]
        out.append(f)
    return out


@dataclass
class SnapshotSpec:
    regions: list[str] = field(default_factory=lambda: ["us-east-1"])
    management: str = "111111111111"
    org_id: str = "o-abcdef1234"
    root: str = "r-ab12"
    ous: list[dict] = field(default_factory=list)
    accounts: list[dict] = field(default_factory=list)
    policies: dict[str, dict] = field(default_factory=dict)
    docs: dict[str, dict] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    gd_admins: dict[str, list] = field(default_factory=dict)
    delegated: list[dict] = field(default_factory=list)  # ListDelegatedAdministrators, each with DelegatedServices
    #: resource control policies (None: the RCP policy type is not enabled); see :meth:`rcp`
    rcps: dict[str, dict] | None = None
    #: why the RCPs could not be listed (written as the collector records a failed ListPolicies)
    rcp_error: str | None = None
    #: whether the SERVICE_CONTROL_POLICY type is enabled at the root; False: the root's PolicyTypes lists it not,
    #: and every SCP is written detached ("When you disable a policy type, all policies of the specified type are
    #: automatically detached from all entities in the organization root. The policies are not deleted.")
    scp_enabled: bool = True
    #: IAM Organizations access reports (None: not asked for, no access_reports.json)
    access_reports: list[dict] | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.policies[FULL_ACCESS] = {"name": "FullAWSAccess", "doc": FULL_ACCESS_DOC, "targets": [], "aws": True}
        self.account("Management", parent=self.root, account_id=self.management)

    # -- structure ---------------------------------------------------------------------------------------------
    def ou(self, name: str, parent: str | None = None, full_access: bool = True) -> str:
        oid = f"ou-ab12-{next(self._ids):08d}"
        self.ous.append({"Id": oid, "Name": name, "Arn": f"arn:aws:organizations::{self.management}:ou/{oid}",
                         "ParentId": parent or self.root})
        if full_access:
            self.attach(FULL_ACCESS, oid)
        return oid

    def account(self, name: str, parent: str | None = None, account_id: str | None = None,
                access: str = "assume_role", regions: dict[str, str] | None = None, full_access: bool = True,
                status: str = "ACTIVE") -> str:
        aid = account_id or f"{next(self._ids):012d}"
        self.accounts.append({"Id": aid, "Name": name, "Email": f"{name.lower().replace(' ', '-')}@example.com",
                              "Arn": f"arn:aws:organizations::{self.management}:account/{self.org_id}/{aid}",
                              "Status": status, "JoinedMethod": "CREATED", "JoinedTimestamp": T0,
                              "ParentId": parent or self.root, "Tags": []})
        if aid == self.management:
            access = "caller"
        opt = {r: "ENABLED_BY_DEFAULT" for r in self.regions}
        opt.update(regions or {})
        self.docs[aid] = {
            "AccountId": aid,
            "Access": {"Method": access, "RoleArn": None, "Error": None if access != "none" else "AccessDenied"},
            "Regions": [{"RegionName": r, "RegionOptStatus": s} for r, s in opt.items()],
            "CloudTrail": {"ListTrails": [] if access != "none" else None, "Trails": {}},
            "GuardDuty": {r: {"DetectorIds": []} for r in self.regions} if access != "none" else {},
        }
        if full_access:
            self.attach(FULL_ACCESS, aid)
        return aid

    def policy(self, name: str, document: dict, targets: list[str] = ()) -> str:
        pid = f"p-{next(self._ids):08d}"
        self.policies[pid] = {"name": name, "doc": document, "targets": [], "aws": False}
        for t in targets:
            self.attach(pid, t)
        return pid

    def attach(self, policy_id: str, target: str) -> None:
        self.policies[policy_id]["targets"].append(target)

    # -- resource control policies -----------------------------------------------------------------------------
    def enable_rcps(self) -> None:
        """Enable the RESOURCE_CONTROL_POLICY type: AWS attaches RCPFullAWSAccess to the root, every OU and every
        account (also to those made later), which :meth:`write` does."""
        if self.rcps is None:
            self.rcps = {RCP_FULL_ACCESS: {"name": "RCPFullAWSAccess", "doc": RCP_FULL_ACCESS_DOC, "targets": [],
                                           "aws": True}}

    def rcp(self, name: str, document: dict, targets: list[str] = ()) -> str:
        """A customer-managed RCP (enables the policy type if needed)."""
        self.enable_rcps()
        assert self.rcps is not None
        pid = f"p-{next(self._ids):08d}"
        self.rcps[pid] = {"name": name, "doc": document, "targets": list(targets), "aws": False}
        return pid

    def attach_rcp(self, policy_id: str, target: str) -> None:
        assert self.rcps is not None
        self.rcps[policy_id]["targets"].append(target)

    # -- CloudTrail --------------------------------------------------------------------------------------------
    def trail(self, owner: str, name: str, home_region: str = "us-east-1", multi_region: bool = True,
              organization: bool = False, logging: bool = True, event_selectors: list | None = None,
              advanced_event_selectors: list | None = None, status: dict | None = None, **trail: Any) -> str:
        arn = f"arn:aws:cloudtrail:{home_region}:{owner}:trail/{name}"
        entry = {"TrailARN": arn, "Name": name, "HomeRegion": home_region}
        seen_by = [owner]
        if organization:
            seen_by = [a["Id"] for a in self.accounts]
        for aid in seen_by:
            lst = self.docs[aid]["CloudTrail"]["ListTrails"]
            if lst is not None:
                lst.append(entry)
        if advanced_event_selectors is not None:
            selectors = {"AdvancedEventSelectors": advanced_event_selectors}
        else:
            selectors = {"EventSelectors": event_selectors if event_selectors is not None else [
                {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                 "ExcludeManagementEventSources": []}]}
        self.docs[owner]["CloudTrail"]["Trails"][arn] = {
            "Trail": {"Name": name, "TrailARN": arn, "HomeRegion": home_region, "S3BucketName": f"{name}-logs",
                      "IsMultiRegionTrail": multi_region, "IsOrganizationTrail": organization,
                      "IncludeGlobalServiceEvents": True, "LogFileValidationEnabled": True,
                      "HasCustomEventSelectors": bool(event_selectors or advanced_event_selectors),
                      "HasInsightSelectors": False, **trail},
            "Status": status if status is not None else {"IsLogging": logging, "LatestDeliveryTime": T0},
            "EventSelectors": selectors,
            "Tags": [],
            "Error": None,
        }
        return arn

    def event_data_store(self, name: str, home_region: str = "us-east-1", status: str = "ENABLED",
                         organization: bool = True, multi_region: bool = True,
                         advanced_event_selectors: list | None = None, arn: str | None = None,
                         account: str | None = None, seen_by: tuple[str, ...] | None = None) -> str:
        """A CloudTrail Lake event data store (GetEventDataStore's members) owned by ``account`` (default: the
        management account), listed by each account of ``seen_by`` (default: the owner only; a CloudTrail delegated
        administrator also lists the organization's stores). Every requested region's store list of each of those
        accounts is then read (empty unless given a store)."""
        owner = account or self.management
        arn = arn or f"arn:aws:cloudtrail:{home_region}:{owner}:eventdatastore/{name}-0000"
        for who in seen_by or (owner,):
            self._event_data_store(who, home_region, arn, name, status, organization, multi_region,
                                   advanced_event_selectors)
        return arn

    def _event_data_store(self, who: str, home_region: str, arn: str, name: str, status: str, organization: bool,
                          multi_region: bool, advanced_event_selectors: list | None) -> None:
        ct = self.docs[who]["CloudTrail"]
        stores = ct.setdefault("EventDataStores", {r: [] for r in self.regions})
        stores.setdefault(home_region, []).append({
            "EventDataStoreArn": arn, "Name": name, "Status": status, "OrganizationEnabled": organization,
            "MultiRegionEnabled": multi_region, "RetentionPeriod": 2557, "TerminationProtectionEnabled": True,
            "AdvancedEventSelectors": advanced_event_selectors if advanced_event_selectors is not None else [
                {"Name": "Default management events",
                 "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}],
            "CreatedTimestamp": T0, "UpdatedTimestamp": T0})

    def delegate(self, account: str, service_principal: str) -> None:
        """``account`` is a delegated administrator for ``service_principal`` (ListDelegatedAdministrators and
        ListDelegatedServicesForAccount as the collector stores them)."""
        name = next(a["Name"] for a in self.accounts if a["Id"] == account)
        entry = next((d for d in self.delegated if d["Id"] == account), None)
        if entry is None:
            entry = {"Id": account, "Name": name, "DelegationEnabledDate": T0, "DelegatedServices": []}
            self.delegated.append(entry)
        entry["DelegatedServices"].append({"ServicePrincipal": service_principal, "DelegationEnabledDate": T0})

    def lake_read(self, account: str) -> None:
        """``account``'s event data stores were listed in every requested region (none unless given)."""
        self.docs[account]["CloudTrail"].setdefault("EventDataStores", {r: [] for r in self.regions})

    def lake_unread(self, region: str, code: str = "AccessDeniedException", account: str | None = None) -> None:
        """``account``'s (default: the management account's) event data stores in ``region`` could not be
        listed."""
        who = account or self.management
        ct = self.docs[who]["CloudTrail"]
        ct.setdefault("EventDataStores", {r: [] for r in self.regions})[region] = None
        self.error(who, region, "cloudtrail_lake", "ListEventDataStores", code)

    # -- GuardDuty ---------------------------------------------------------------------------------------------
    def detector(self, account: str, region: str, status: str = "ENABLED", administrator: dict | None = None,
                 members: list[dict] | None = None, org_config: dict | None = None,
                 features: list[dict] | None = None) -> str:
        did = f"d{account}{region.replace('-', '')}"[:32]
        r = self.docs[account]["GuardDuty"].setdefault(region, {"DetectorIds": []})
        r["DetectorIds"] = [did]
        r.setdefault("Detectors", {})[did] = {"Status": status, "FindingPublishingFrequency": "SIX_HOURS",
                                             "ServiceRole": f"arn:aws:iam::{account}:role/aws-service-role/x",
                                             "CreatedAt": "2026-01-01T00:00:00.000Z",
                                             "UpdatedAt": "2026-01-01T00:00:00.000Z",
                                             "Features": features or [], "Tags": {}}
        if administrator is not None:
            r["Administrator"] = administrator
        if members is not None:
            r["Members"] = members
        if org_config is not None:
            r["OrganizationConfiguration"] = org_config
        return did

    @staticmethod
    def member(account: str, admin: str, status: str = "Enabled", invited: bool = False,
               detector_id: str | None = None) -> dict:
        m = {"AccountId": account, "AdministratorId": admin, "MasterId": admin, "RelationshipStatus": status,
             "UpdatedAt": "2026-01-02T00:00:00.000Z", "Email": f"{account}@example.com" if invited else ""}
        if detector_id:
            m["DetectorId"] = detector_id
        if invited:
            m["InvitedAt"] = "2026-01-01T00:00:00.000Z"
        return m

    def error(self, account: str | None, region: str | None, service: str, operation: str, code: str,
              message: str = "") -> None:
        self.errors.append({"account_id": account, "region": region, "service": service, "operation": operation,
                            "error_code": code, "message": message or code})

    # -- IAM Organizations access reports ---------------------------------------------------------------------
    def access_report(self, entity_id: str, services: list[tuple] = (), *,
                      job_created: _dt.datetime = T0, job_completed: _dt.datetime | None = None,
                      error: tuple[str, str] | None = None) -> None:
        """The access report of the root, an OU or an account, as GetOrganizationsAccessReport returns it.

        ``services``: ``(namespace, name, last_authenticated or None, region, entity, count)`` per service the
        SCPs on the path allow; ``entity`` is the account that made the last access (its id: written as its
        entity path) and ``count`` how many accounts used the service (0 with ``last_authenticated`` None: not
        used). ``error``: ``(code, message)`` of a report that could not be read (no access details).
        """
        if self.access_reports is None:
            self.access_reports = []
        self.access_reports.append({"entity": entity_id, "services": list(services), "created": job_created,
                                    "completed": job_completed or job_created + _dt.timedelta(minutes=1),
                                    "error": error})

    def entity_path(self, node: str) -> str:
        parents = {o["Id"]: o["ParentId"] for o in self.ous} | {a["Id"]: a["ParentId"] for a in self.accounts}
        chain = [node]
        while chain[-1] != self.root:
            chain.append(parents[chain[-1]])
        return "/".join([self.org_id] + list(reversed(chain)))

    def _access_reports_doc(self) -> dict:
        reports = []
        for r in self.access_reports or []:
            eid = r["entity"]
            kind = "root" if eid == self.root else "ou" if eid.startswith("ou-") else "account"
            rep: dict[str, Any] = {"EntityPath": self.entity_path(eid), "EntityType": kind, "EntityId": eid,
                                   "JobId": f"00000000-0000-0000-0000-{len(reports):012d}",
                                   "JobStatus": "COMPLETED", "JobCreationDate": r["created"],
                                   "JobCompletionDate": r["completed"], "AccessDetails": [], "ErrorDetails": None}
            if r["error"] is not None:
                rep.update(JobStatus="FAILED", AccessDetails=None,
                           ErrorDetails={"Code": r["error"][0], "Message": r["error"][1]})
            for ns, name, last, region, entity, count in sorted(r["services"], key=lambda x: x[0]):
                d: dict[str, Any] = {"ServiceName": name, "ServiceNamespace": ns,
                                     "TotalAuthenticatedEntities": int(count)}
                if last is not None:
                    d.update(LastAuthenticatedTime=last, Region=region,
                             EntityPath=entity if entity is None or "/" in entity else self.entity_path(entity))
                rep["AccessDetails"].append(d) if rep["AccessDetails"] is not None else None
            reports.append(rep)
        return {"Reports": reports, "Requested": True}

    # -- output ------------------------------------------------------------------------------------------------
    def write(self, out: Path) -> Path:
        names = {a["Id"]: a["Name"] for a in self.accounts} | {o["Id"]: o["Name"] for o in self.ous}
        self.attach(FULL_ACCESS, self.root) if self.root not in self.policies[FULL_ACCESS]["targets"] else None

        def ttype(t: str) -> str:
            return "ROOT" if t.startswith("r-") else "ORGANIZATIONAL_UNIT" if t.startswith("ou-") else "ACCOUNT"

        with SnapshotWriter(out) as w:
            w.write("organization.json", {
                "Organization": {"Id": self.org_id, "MasterAccountId": self.management, "FeatureSet": "ALL"},
                "Roots": [{"Id": self.root, "Name": "Root", "Arn": f"arn:aws:organizations::{self.management}:root/"
                           f"{self.org_id}/{self.root}",
                           "PolicyTypes": ([{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
                                           if self.scp_enabled else [])
                           + ([{"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"}]
                              if self.rcps is not None else [])}],
                "OrganizationalUnits": self.ous, "Accounts": self.accounts,
                "DelegatedAdministrators": self.delegated,
                "EnabledServicePrincipals": []})
            w.write("policies.json", {"Policies": [
                {"PolicySummary": {"Id": pid, "Name": p["name"], "Type": "SERVICE_CONTROL_POLICY",
                                   "AwsManaged": p["aws"], "Description": "",
                                   "Arn": f"arn:aws:organizations::aws:policy/service_control_policy/{pid}"},
                 "Content": json.dumps(p["doc"]),
                 "Targets": [{"TargetId": t, "Type": ttype(t), "Name": names.get(t, "Root")} for t in p["targets"]
                             if self.scp_enabled]}
                for pid, p in self.policies.items()], **self._rcp_doc(names, ttype)})
            w.write("guardduty.json", {"OrganizationAdminAccounts": self.gd_admins})
            for aid, doc in self.docs.items():
                w.write(f"accounts/{aid}.json", doc)
            w.write("errors.json", {"Errors": self.errors})
            if self.access_reports is not None:
                w.write("access_reports.json", self._access_reports_doc())
            return w.commit({"orgkit_version": "test", "collected_at": T0.isoformat(), "organization_id": self.org_id,
                             "management_account_id": self.management, "regions": self.regions,
                             "caller": {"Account": self.management}, "counts": {}, "error_count": len(self.errors)})

    def _rcp_doc(self, names: dict, ttype) -> dict:
        if self.rcps is None:
            return {}
        if self.rcp_error:
            return {"ResourceControlPolicies": {"Error": self.rcp_error, "Policies": []}}
        full = self.rcps.get(RCP_FULL_ACCESS)
        if full is not None:  # AWS attaches it to every node while RCPs are enabled
            for node in [self.root, *(o["Id"] for o in self.ous), *(a["Id"] for a in self.accounts)]:
                if node not in full["targets"]:
                    full["targets"].append(node)
        return {"ResourceControlPolicies": {"Policies": [
            {"PolicySummary": {"Id": pid, "Name": p["name"], "Type": "RESOURCE_CONTROL_POLICY", "AwsManaged": p["aws"],
                               "Description": "",
                               "Arn": f"arn:aws:organizations::aws:policy/resource_control_policy/{pid}"},
             "Content": json.dumps(p["doc"]),
             "Targets": [{"TargetId": t, "Type": ttype(t), "Name": names.get(t, "Root")} for t in p["targets"]]}
            for pid, p in self.rcps.items()]}}

    def load(self, out: Path):
        from orgkit.model import load

        return load(self.write(out))
