"""Build an organisation in a (local) AWS endpoint from a declarative scenario, through boto3 only.

A scenario is a JSON document (``scenarios/demo.json`` is the demo organisation)::

    {
      "regions": ["us-east-1", ...],                 regions the scenario uses
      "ous": {"Engineering": {"Production": {}}},    the OU tree under the root
      "service_access": ["account.amazonaws.com"],  trusted access for AWS services
      "enable_opt_in_regions": ["eu-south-1"],      opt-in regions enabled in every account (less disabled_regions)
      "accounts": [{"key": "prod-app", "name": "Production App", "ou": "Engineering/Production",
                    "role": true, "disabled_regions": ["eu-south-1"], "enabled_regions": [...],
                    "joined_days_ago": 400}],
      "external_accounts": [{"key": "partner", "id": "999900001111"}],   accounts outside the organisation
      "policies": [{"name": ..., "description": ..., "document": {...}, "targets": ["root", "ou:Engineering",
                    "account:sandbox"], "detach_full_access": false}],
      "rcps": [{"name": ..., "description": ..., "document": {...}, "targets": [...]}],   resource control
                    policies: the RESOURCE_CONTROL_POLICY type is enabled (AWS then attaches RCPFullAWSAccess
                    everywhere) and each is created and attached, after everything else (moto's ids stay as they were)
      "trails": [{"account": "management", "name": ..., "home_region": ..., "multi_region": true,
                  "organization": false, "logging": true, "stop_logging": false, "global_events": true,
                  "log_file_validation": true, "kms_key_id": null, "delivery_error": "AccessDenied",
                  "bucket": NAME, "bucket_account": KEY (the account that owns the bucket; default the trail's),
                  "event_selectors": [...] | "advanced_event_selectors": [...], "tags": {...}}],
      "event_data_stores": [{"account": "management", "name": ..., "region": ..., "organization": true,
                             "multi_region": true, "advanced_event_selectors": [...], "ingesting": true}],
      "guardduty": {
        "detectors": [{"account": ..., "regions": [...], "enabled": true, "frequency": "SIX_HOURS"}],
        "org_admin": {"account": "security", "regions": [...]},
        "org_members": [{"region": ..., "accounts": [...]}],        CreateMembers by the delegated admin
        "auto_enable": {"us-east-1": "ALL"},
        "invitations": [{"admin": ..., "region": ..., "members": [...], "accept": [...]}],
        "suspend": [{"account": ..., "region": ...}]          the account's own UpdateDetector(Enable=false): an
                                                               organisation member may not (400, docs/localaws.md G16)
      },
      "usage": [{"account": KEY, "region": REGION, "calls": ["lambda:ListFunctions", ...]}]   calls the accounts
                    make (IAM's access reports are computed from them)
    }

Account keys (``"management"`` is the caller's account) resolve to the ids the endpoint gives; :func:`build`
returns that mapping. Accounts are acted as through STS AssumeRole, exactly as the collector does.

A trail's ``global_events`` defaults to true (CreateTrail's default); ``delivery_error`` makes its deliveries to S3
fail with that error (GetTrailStatus ``LatestDeliveryError``), through the local AWS's control endpoint
(``/orgkit-local/cloudtrail/delivery-error``): it is the one setting that is not an AWS API call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

ROLE = "OrganizationAccountAccessRole"


def load_scenario(name_or_path: str | Path) -> dict:
    """A bundled scenario by name (``"demo"``) or a scenario JSON file by path."""
    p = Path(name_or_path)
    if p.suffix == ".json" or p.exists():
        text = p.read_text()
        where = str(p)
    else:
        res = resources.files("orgkit.localaws") / "scenarios" / f"{name_or_path}.json"
        text = res.read_text()
        where = str(res)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{where}: not a valid scenario (JSON error: {e})") from None


@dataclass
class Builder:
    endpoint_url: str | None
    scenario: dict
    region: str = "us-east-1"
    ids: dict[str, str] = field(default_factory=dict)
    ou_ids: dict[str, str] = field(default_factory=dict)
    _clients: dict = field(default_factory=dict)

    # -- clients as an account ---------------------------------------------------------------------------------
    def client(self, key: str, service: str, region: str | None = None) -> Any:
        region = region or self.region
        ck = (key, service, region)
        if ck not in self._clients:
            if key == "management":
                session = boto3.Session(region_name=region)
            else:
                sts = self.client("management", "sts")
                creds = sts.assume_role(RoleArn=f"arn:aws:iam::{self.ids[key]}:role/{ROLE}",
                                        RoleSessionName="orgkit-scenario")["Credentials"]
                session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                                        aws_secret_access_key=creds["SecretAccessKey"],
                                        aws_session_token=creds["SessionToken"], region_name=region)
            self._clients[ck] = session.client(service, region_name=region, endpoint_url=self.endpoint_url)
        return self._clients[ck]

    def account_id(self, key: str) -> str:
        return self.ids[key]

    # -- the organisation --------------------------------------------------------------------------------------
    def organization(self) -> None:
        org = self.client("management", "organizations")
        org.create_organization(FeatureSet="ALL")
        self.ids["management"] = self.client("management", "sts").get_caller_identity()["Account"]
        root = org.list_roots()["Roots"][0]["Id"]
        self.ou_ids["root"] = root
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        for principal in self.scenario.get("service_access", []):
            org.enable_aws_service_access(ServicePrincipal=principal)

        def make(tree: dict, parent: str, prefix: str) -> None:
            for name, sub in tree.items():
                path = f"{prefix}{name}"
                oid = org.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]
                self.ou_ids[path] = oid
                make(sub, oid, path + "/")

        make(self.scenario.get("ous", {}), root, "")
        for a in self.scenario.get("accounts", []):
            st = org.create_account(Email=a.get("email") or f"{a['key']}@example.com", AccountName=a["name"])
            aid = st["CreateAccountStatus"].get("AccountId")
            if not aid:
                aid = org.describe_create_account_status(
                    CreateAccountRequestId=st["CreateAccountStatus"]["Id"])["CreateAccountStatus"]["AccountId"]
            self.ids[a["key"]] = aid
            if a.get("ou"):
                org.move_account(AccountId=aid, SourceParentId=root, DestinationParentId=self.ou_ids[a["ou"]])
            if a.get("tags"):
                org.tag_resource(ResourceId=aid, Tags=[{"Key": k, "Value": v} for k, v in a["tags"].items()])
        for ext in self.scenario.get("external_accounts", []):
            self.ids[ext["key"]] = ext["id"]

    def target_id(self, target: str) -> str:
        if target == "root":
            return self.ou_ids["root"]
        kind, _, name = target.partition(":")
        if kind == "ou":
            return self.ou_ids[name]
        if kind == "account":
            return self.ids[name]
        raise ValueError(f"unknown policy target {target!r} (use root, ou:PATH or account:KEY)")

    def policies(self) -> None:
        org = self.client("management", "organizations")
        full = next(p["Id"] for p in org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
                    if p["Name"] == "FullAWSAccess")
        for p in self.scenario.get("policies", []):
            pid = org.create_policy(Content=json.dumps(p["document"], indent=1), Description=p.get("description", ""),
                                    Name=p["name"], Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
            for t in p.get("targets", []):
                org.attach_policy(PolicyId=pid, TargetId=self.target_id(t))
                if p.get("detach_full_access"):
                    org.detach_policy(PolicyId=full, TargetId=self.target_id(t))

    def regions(self) -> None:
        """Opt-in regions: enable those asked for, from the management account (account:EnableRegion)."""
        acct = self.client("management", "account")
        everywhere = self.scenario.get("enable_opt_in_regions", [])
        for r in everywhere:
            acct.enable_region(RegionName=r)
        for a in self.scenario.get("accounts", []):
            off = set(a.get("disabled_regions", []))
            for r in sorted(set(everywhere + a.get("enabled_regions", [])) - off):
                acct.enable_region(AccountId=self.ids[a["key"]], RegionName=r)

    # -- CloudTrail --------------------------------------------------------------------------------------------
    def trails(self) -> None:
        for t in self.scenario.get("trails", []):
            key, region = t["account"], t.get("home_region", self.region)
            bucket = t.get("bucket") or f"{t['name']}-{self.ids[key]}".lower()
            s3 = self.client(t.get("bucket_account") or key, "s3", region)
            try:
                if region == "us-east-1":
                    s3.create_bucket(Bucket=bucket)
                else:
                    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
            except ClientError as e:
                if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
            ct = self.client(key, "cloudtrail", region)
            kwargs: dict[str, Any] = {
                "Name": t["name"], "S3BucketName": bucket,
                "IsMultiRegionTrail": t.get("multi_region", True),
                "IncludeGlobalServiceEvents": t.get("global_events", True),
                "EnableLogFileValidation": t.get("log_file_validation", True),
                "IsOrganizationTrail": t.get("organization", False),
            }
            if t.get("kms_key_id"):
                kwargs["KmsKeyId"] = t["kms_key_id"]
            if t.get("tags"):
                kwargs["TagsList"] = [{"Key": k, "Value": v} for k, v in t["tags"].items()]
            arn = ct.create_trail(**kwargs)["TrailARN"]
            if "event_selectors" in t:
                ct.put_event_selectors(TrailName=t["name"], EventSelectors=t["event_selectors"])
            if "advanced_event_selectors" in t:
                ct.put_event_selectors(TrailName=t["name"], AdvancedEventSelectors=t["advanced_event_selectors"])
            if t.get("delivery_error"):  # no extra AWS call: moto's ids (and so the demo's) stay as they were
                self.set_delivery_error(arn, t["delivery_error"])
            if t.get("logging", True):
                ct.start_logging(Name=t["name"])
                if t.get("stop_logging"):
                    ct.stop_logging(Name=t["name"])

    def event_data_stores(self) -> None:
        """CloudTrail Lake event data stores (made last: their ids draw on the endpoint's random ids)."""
        for e in self.scenario.get("event_data_stores", []):
            ct = self.client(e.get("account", "management"), "cloudtrail", e.get("region", self.region))
            kwargs: dict[str, Any] = {"Name": e["name"], "OrganizationEnabled": e.get("organization", False),
                                      "MultiRegionEnabled": e.get("multi_region", True),
                                      "StartIngestion": e.get("ingesting", True)}
            if "advanced_event_selectors" in e:
                kwargs["AdvancedEventSelectors"] = e["advanced_event_selectors"]
            ct.create_event_data_store(**kwargs)

    def _local(self, what: str, body: dict, key: str) -> None:
        """A control endpoint of the local AWS (state no AWS API sets); ``key``: the scenario key that asked."""
        import urllib.request

        if not self.endpoint_url:
            raise ValueError(f"scenario: {key} needs the local AWS (an endpoint URL)")
        req = urllib.request.Request(f"{self.endpoint_url.rstrip('/')}/orgkit-local/{what}",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()

    def joined(self) -> None:
        """Accounts with ``joined_days_ago``: their JoinedTimestamp set that many days before now (the demo runs as
        an organisation a year old, so its accounts are older than an access report's window)."""
        from datetime import datetime, timedelta, timezone

        for a in self.scenario.get("accounts", []):
            if a.get("joined_days_ago") is not None and a["key"] in self.ids:
                when = datetime.now(timezone.utc) - timedelta(days=float(a["joined_days_ago"]))
                self._local("organizations/joined", {"account_id": self.ids[a["key"]], "joined": when.isoformat()},
                            "joined_days_ago")

    def set_delivery_error(self, trail_arn: str, error: str) -> None:
        """The local AWS's control endpoint (no AWS API sets a delivery error; a bucket policy would)."""
        self._local("cloudtrail/delivery-error", {"trail_arn": trail_arn, "error": error}, "delivery_error")

    # -- GuardDuty ---------------------------------------------------------------------------------------------
    def detector_id(self, key: str, region: str) -> str:
        ids = self.client(key, "guardduty", region).list_detectors()["DetectorIds"]
        if not ids:
            raise ValueError(f"scenario: account {key} has no GuardDuty detector in {region}")
        return ids[0]

    def ensure_detector(self, key: str, region: str, enabled: bool = True, frequency: str | None = None,
                        features: list | None = None) -> str:
        gd = self.client(key, "guardduty", region)
        ids = gd.list_detectors()["DetectorIds"]
        if ids:
            return ids[0]
        kwargs: dict[str, Any] = {"Enable": enabled}
        if frequency:
            kwargs["FindingPublishingFrequency"] = frequency
        if features:
            kwargs["Features"] = features
        return gd.create_detector(**kwargs)["DetectorId"]

    def guardduty(self) -> None:
        spec = self.scenario.get("guardduty", {})
        for d in spec.get("detectors", []):
            for region in d["regions"]:
                self.ensure_detector(d["account"], region, d.get("enabled", True), d.get("frequency"),
                                     d.get("features"))
        admin = spec.get("org_admin")
        if admin:
            for region in admin["regions"]:
                self.ensure_detector(admin["account"], region)
                self.client("management", "guardduty", region).enable_organization_admin_account(
                    AdminAccountId=self.ids[admin["account"]])
        for inv in spec.get("invitations", []):
            region, adm = inv["region"], inv["admin"]
            gd = self.client(adm, "guardduty", region)
            det = self.ensure_detector(adm, region)
            details = [{"AccountId": self.ids[m], "Email": f"{m}@example.com"} for m in inv["members"]]
            gd.create_members(DetectorId=det, AccountDetails=details)
            gd.invite_members(DetectorId=det, AccountIds=[self.ids[m] for m in inv["members"]],
                              DisableEmailNotification=True)
            for m in inv.get("accept", []):
                mgd = self.client(m, "guardduty", region)
                mdet = self.ensure_detector(m, region)
                invitation = next(i for i in mgd.list_invitations()["Invitations"]
                                  if i["AccountId"] == self.ids[adm])
                mgd.accept_administrator_invitation(DetectorId=mdet, AdministratorId=self.ids[adm],
                                                    InvitationId=invitation["InvitationId"])
        for om in spec.get("org_members", []):
            region = om["region"]
            gd = self.client(admin["account"], "guardduty", region)
            det = self.detector_id(admin["account"], region)
            gd.create_members(DetectorId=det, AccountDetails=[
                {"AccountId": self.ids[m], "Email": f"{m}@example.com"} for m in om["accounts"]])
        # protection plans the organisation auto-enables (with the region's auto-enable mode): accounts enrolled
        # from now on get the NEW ones, every member the ALL ones
        for region, feats in spec.get("org_features", {}).items():
            gd = self.client(admin["account"], "guardduty", region)
            gd.update_organization_configuration(DetectorId=self.detector_id(admin["account"], region),
                                                 AutoEnableOrganizationMembers=spec["auto_enable"][region],
                                                 Features=feats)
        for region, mode in spec.get("auto_enable", {}).items():
            gd = self.client(admin["account"], "guardduty", region)
            gd.update_organization_configuration(DetectorId=self.detector_id(admin["account"], region),
                                                 AutoEnableOrganizationMembers=mode)
        for st in spec.get("stop_monitoring", []):  # the administrator stops monitoring members
            gd = self.client(st["admin"], "guardduty", st["region"])
            gd.stop_monitoring_members(DetectorId=self.detector_id(st["admin"], st["region"]),
                                       AccountIds=[self.ids[m] for m in st["members"]])
        for s in spec.get("suspend", []):
            gd = self.client(s["account"], "guardduty", s["region"])
            gd.update_detector(DetectorId=self.detector_id(s["account"], s["region"]), Enable=False)

    def late_accounts(self) -> None:
        """Accounts that join after GuardDuty was set up (auto-enable NEW applies to them)."""
        late = [a for a in self.scenario.get("late_accounts", [])]
        if not late:
            return
        saved = self.scenario.get("accounts", [])
        self.scenario["accounts"] = late
        try:
            org = self.client("management", "organizations")
            root = self.ou_ids["root"]
            for a in late:
                st = org.create_account(Email=f"{a['key']}@example.com", AccountName=a["name"])
                aid = st["CreateAccountStatus"]["AccountId"]
                self.ids[a["key"]] = aid
                if a.get("ou"):
                    org.move_account(AccountId=aid, SourceParentId=root, DestinationParentId=self.ou_ids[a["ou"]])
        finally:
            self.scenario["accounts"] = saved + late

    def break_roles(self) -> None:
        """Accounts whose role cannot be assumed: delete the role (the local AWS then refuses AssumeRole)."""
        for a in self.scenario.get("accounts", []):
            if a.get("role", True) is False:
                iam = self.client(a["key"], "iam")
                try:
                    iam.delete_role(RoleName=ROLE)
                except ClientError as e:
                    if e.response["Error"]["Code"] != "NoSuchEntity":
                        raise
                self._clients = {k: v for k, v in self._clients.items() if k[0] != a["key"]}

    # -- later: a scenario's changes applied to an organisation built before -----------------------------------
    def policy_id(self, name: str) -> str:
        org = self.client("management", "organizations")
        pols = org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
        found = [p["Id"] for p in pols if p["Name"] == name]
        if len(found) != 1:
            raise ValueError(f"scenario: {len(found)} SCPs named {name!r}")
        return found[0]

    def later(self, steps: list[dict]) -> dict[str, str]:
        """Apply ``steps`` (a later scenario's ``"steps"``) through boto3, in order; returns account key → id.

        Steps (``"do"``): ``create_account`` (key, name, ou), ``move_account`` (account, ou), ``rename_ou`` (ou,
        name), ``update_policy`` (name, document[, indent]), ``attach_policy`` / ``detach_policy`` (name, target),
        ``stop_logging`` / ``start_logging`` (account, trail, home_region), ``suspend_detector`` (account,
        region: not an organisation member, which cannot suspend itself),
        ``set_auto_enable`` (region, mode: the delegated administrator's AutoEnableOrganizationMembers),
        ``enable_org_admin`` (account, region: the management account designates the GuardDuty delegated
        administrator there, which turns its invitation members in the organisation into organisation members).
        """
        org = self.client("management", "organizations")
        for st in steps:
            do = st["do"]
            if do == "create_account":
                res = org.create_account(Email=f"{st['key']}@example.com", AccountName=st["name"])
                aid = res["CreateAccountStatus"].get("AccountId") or org.describe_create_account_status(
                    CreateAccountRequestId=res["CreateAccountStatus"]["Id"])["CreateAccountStatus"]["AccountId"]
                self.ids[st["key"]] = aid
                if st.get("ou"):
                    org.move_account(AccountId=aid, SourceParentId=self.ou_ids["root"],
                                     DestinationParentId=self.ou_ids[st["ou"]])
            elif do == "move_account":
                aid = self.ids[st["account"]]
                src = org.list_parents(ChildId=aid)["Parents"][0]["Id"]
                org.move_account(AccountId=aid, SourceParentId=src, DestinationParentId=self.target_id(st["ou"]))
            elif do == "rename_ou":
                org.update_organizational_unit(OrganizationalUnitId=self.ou_ids[st["ou"]], Name=st["name"])
            elif do == "update_policy":
                org.update_policy(PolicyId=self.policy_id(st["name"]),
                                  Content=json.dumps(st["document"], indent=st.get("indent", 1)))
            elif do in ("attach_policy", "detach_policy"):
                call = org.attach_policy if do == "attach_policy" else org.detach_policy
                call(PolicyId=self.policy_id(st["name"]), TargetId=self.target_id(st["target"]))
            elif do in ("stop_logging", "start_logging"):
                ct = self.client(st["account"], "cloudtrail", st.get("home_region", self.region))
                (ct.stop_logging if do == "stop_logging" else ct.start_logging)(Name=st["trail"])
            elif do == "suspend_detector":
                gd = self.client(st["account"], "guardduty", st["region"])
                gd.update_detector(DetectorId=self.detector_id(st["account"], st["region"]), Enable=False)
            elif do == "set_auto_enable":
                admin = self.scenario["guardduty"]["org_admin"]["account"]
                gd = self.client(admin, "guardduty", st["region"])
                gd.update_organization_configuration(DetectorId=self.detector_id(admin, st["region"]),
                                                     AutoEnableOrganizationMembers=st["mode"])
            elif do == "enable_org_admin":
                self.client("management", "guardduty", st["region"]).enable_organization_admin_account(
                    AdminAccountId=self.ids[st["account"]])
            else:
                raise ValueError(f"scenario: unknown step {do!r}")
        return dict(self.ids)

    def rcps(self) -> None:
        """Resource control policies: the type enabled, each policy created and attached."""
        if not self.scenario.get("rcps"):
            return
        org = self.client("management", "organizations")
        org.enable_policy_type(RootId=self.ou_ids["root"], PolicyType="RESOURCE_CONTROL_POLICY")
        for p in self.scenario["rcps"]:
            pid = org.create_policy(Content=json.dumps(p["document"], indent=1), Description=p.get("description", ""),
                                    Name=p["name"], Type="RESOURCE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
            for t in p.get("targets", []):
                org.attach_policy(PolicyId=pid, TargetId=self.target_id(t))

    def usage(self) -> None:
        """The calls the scenario's accounts make (``"usage"``), so that IAM's access reports have something to
        say: each is an ordinary read call through boto3, acting as the account, logged by the local AWS.

        ``[{"account": KEY, "region": REGION, "calls": ["lambda:ListFunctions", ...]}]`` (boto3 service name and
        API operation). A call that fails still counts as use, as AWS counts it; it is not retried."""
        from botocore import xform_name

        for u in self.scenario.get("usage", []):
            for call in u.get("calls", []):
                service, op = call.split(":", 1)
                try:
                    getattr(self.client(u["account"], service, u.get("region")), xform_name(op))()
                except ClientError:
                    pass

    def build(self) -> dict[str, str]:
        self.organization()
        self.joined()
        self.policies()
        self.regions()
        self.trails()
        self.guardduty()
        self.late_accounts()
        self.break_roles()
        self.rcps()
        self.event_data_stores()
        self.usage()  # last: the ids drawn before it stay as they were
        return dict(self.ids)


def build(endpoint_url: str | None, scenario: dict | str | Path, region: str = "us-east-1") -> dict[str, str]:
    """Build ``scenario`` (a dict, a bundled name or a path) at ``endpoint_url``; returns account key → id."""
    if not isinstance(scenario, dict):
        scenario = load_scenario(scenario)
    return Builder(endpoint_url, json.loads(json.dumps(scenario)), region).build()


def terraform_state(scenario: dict, ids: dict[str, str], partition: str = "aws") -> dict:
    """The Terraform state (format 4, as a ``.tfstate`` file holds it) that the scenario's IaC would have.

    ``scenario["terraform"]["trails"]`` lists the trails Terraform manages (and may name some AWS lacks).
    """
    resources = []
    for t in scenario.get("terraform", {}).get("trails", []):
        acct, region, name = ids[t["account"]], t["home_region"], t["name"]
        resources.append({
            "mode": "managed", "type": "aws_cloudtrail", "name": name.replace("-", "_"),
            "provider": f'provider["registry.terraform.io/hashicorp/aws"].{t["account"].replace("-", "_")}',
            "instances": [{"schema_version": 0, "attributes": {
                "arn": f"arn:{partition}:cloudtrail:{region}:{acct}:trail/{name}", "name": name,
                "home_region": region, "id": name}}],
        })
    return {"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": f"orgkit-{scenario.get('name')}",
            "outputs": {}, "resources": resources, "check_results": None}


def terraform_plan(spec: dict, org: Any, terraform_version: str = "1.9.8",
                   timestamp: str = "2026-12-01T09:00:00Z") -> dict:
    """The JSON of ``terraform show -json PLANFILE`` for the changes ``spec`` describes, against ``org`` (an
    ``orgkit.Org``: the ids, names and texts the plan's ``before`` values and prior state carry).

    It follows Terraform's "JSON Output Format" (format_version 1.2) and the AWS provider's attributes: a policy
    update, a policy created in the same plan (its ``id`` unknown until apply, so an attachment to it has
    ``policy_id`` in ``after_unknown`` and the reference in ``configuration``), attachments deleted, no-op
    resources, and changes of resources orgkit does not model. ``spec``::

        {"policies": [{"address": ..., "policy": NAME (existing) | "name": NAME, "create": true,
                       "document": {...} (omitted: no-op), "description": ...}],
         "attachments": [{"address": ..., "policy": NAME | "policy_address": ADDRESS of a created policy,
                          "target": OU path | account name, "create": true | "delete": true}],
         "unmodelled": [{"address": ..., "type": ..., "before": {...}, "after": {...}}]}
    """
    pols = org.policies.set_index("name")
    ou_ids = dict(zip(org.ous["ou_path"], org.ous["ou_id"]))
    acc_ids = dict(zip(org.accounts["account_name"], org.accounts["account_id"]))
    provider = "registry.terraform.io/hashicorp/aws"

    def target(t: str) -> str:
        return ou_ids[t] if t in ou_ids else acc_ids[t]

    def enc(doc: dict) -> str:  # jsonencode(): compact, object keys sorted
        return json.dumps(doc, sort_keys=True, separators=(",", ":"))

    changes, config, prior, planned = [], [], [], []

    def rc(address: str, rtype: str, actions: list[str], before: Any, after: Any, unknown: dict) -> None:
        name = address.split(".")[1]
        changes.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                        "provider_name": provider, "change": {
                            "actions": actions, "before": before, "after": after, "after_unknown": unknown,
                            "before_sensitive": {} if before is not None else False,
                            "after_sensitive": {} if after is not None else False}})
        if before is not None:
            prior.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                          "provider_name": provider, "schema_version": 0, "values": before,
                          "sensitive_values": {}})
        if after is not None:
            planned.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                            "provider_name": provider, "schema_version": 0, "values": after,
                            "sensitive_values": {}})

    def cfg(address: str, rtype: str, expressions: dict) -> None:
        config.append({"address": address, "mode": "managed", "type": rtype, "name": address.split(".")[1],
                       "provider_config_key": "aws", "expressions": expressions, "schema_version": 0})

    for p in spec.get("policies", []):
        addr, doc = p["address"], p.get("document")
        if p.get("create"):
            after = {"content": enc(doc), "description": p.get("description", ""), "name": p["name"],
                     "skip_destroy": None, "tags": None, "type": "SERVICE_CONTROL_POLICY"}
            rc(addr, "aws_organizations_policy", ["create"], None, after,
               {"arn": True, "id": True, "tags_all": True})
            cfg(addr, "aws_organizations_policy", {
                "content": {"constant_value": after["content"]},
                "description": {"constant_value": after["description"]}, "name": {"constant_value": p["name"]}})
            continue
        cur = pols.loc[p["policy"]]
        before = {"arn": cur["arn"], "content": cur["content"], "description": cur["description"] or "",
                  "id": cur["policy_id"], "name": p["policy"], "skip_destroy": None, "tags": {}, "tags_all": {},
                  "type": "SERVICE_CONTROL_POLICY"}
        after = dict(before, content=enc(doc)) if doc is not None else dict(before)
        rc(addr, "aws_organizations_policy", ["update"] if doc is not None else ["no-op"], before, after, {})
        cfg(addr, "aws_organizations_policy", {"content": {"constant_value": after["content"]},
                                               "name": {"constant_value": p["policy"]}})
    for a in spec.get("attachments", []):
        addr, tid = a["address"], target(a["target"])
        if a.get("delete"):
            pid = pols.loc[a["policy"], "policy_id"]
            rc(addr, "aws_organizations_policy_attachment", ["delete"],
               {"id": f"{tid}:{pid}", "policy_id": pid, "skip_destroy": None, "target_id": tid}, None, False)
            continue
        if a.get("policy_address"):
            ref = a["policy_address"]
            rc(addr, "aws_organizations_policy_attachment", ["create"], None,
               {"skip_destroy": None, "target_id": tid}, {"id": True, "policy_id": True})
            cfg(addr, "aws_organizations_policy_attachment", {
                "policy_id": {"references": [f"{ref}.id", ref]}, "target_id": {"constant_value": tid}})
        else:
            pid = pols.loc[a["policy"], "policy_id"]
            rc(addr, "aws_organizations_policy_attachment", ["create"], None,
               {"policy_id": pid, "skip_destroy": None, "target_id": tid}, {"id": True})
            cfg(addr, "aws_organizations_policy_attachment", {
                "policy_id": {"constant_value": pid}, "target_id": {"constant_value": tid}})
    for u in spec.get("unmodelled", []):
        before, after = u.get("before"), u.get("after")
        actions = ["update"] if before is not None and after is not None else ["create"] if after is not None \
            else ["delete"]
        rc(u["address"], u["type"], actions, before, after, {})
        if after is not None:
            cfg(u["address"], u["type"], {k: {"constant_value": v} for k, v in after.items()})
    return {
        "format_version": "1.2", "terraform_version": terraform_version, "variables": {},
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "prior_state": {"format_version": "1.0", "terraform_version": terraform_version,
                        "values": {"root_module": {"resources": prior}}},
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": provider}},
                          "root_module": {"resources": config}},
        "timestamp": timestamp, "applyable": True, "complete": True, "errored": False,
    }
