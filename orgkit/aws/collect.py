"""Collect a whole AWS Organization, read-only, into a snapshot directory.

The run, in three phases, each fanned out over a bounded thread pool:

1. the organization from the management account: root, OUs at every depth, accounts with tags, delegated
   administrators, service access, every SCP once with its content and targets, and GuardDuty's organization admin
   accounts per region;
2. per account: the role (STS AssumeRole; the management account uses the caller's session), its enabled regions
   (account:ListRegions from the management account, ec2:DescribeRegions in the account as a fallback), CloudTrail
   (one ListTrails for all its trails, then the details of the trails it owns, read in their home region by ARN);
   and the GuardDuty delegated administrators' view per region (members, organization configuration);
3. GuardDuty per (account, region): members the administrator already vouches for need one GetDetector; the rest
   ListDetectors, GetDetector, and GetAdministratorAccount / ListMembers only where the administrator's view leaves
   a doubt.

Every failed call is recorded (account, region, service, operation, error code, message) and the run goes on. Only
a failure to read the organization itself raises :class:`OrganizationUnreadable`.
"""

from __future__ import annotations

import datetime as _dt
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from botocore.exceptions import BotoCoreError, ClientError

import orgkit
from orgkit.aws import services as S
from orgkit.aws.session import SessionFactory, error_code, error_message
from orgkit.model import account_id_of_arn
from orgkit.snapshot import SnapshotWriter

ENABLED_OPT = ("ENABLED", "ENABLED_BY_DEFAULT")
UNREADABLE_STATES = ("SUSPENDED", "PENDING_CLOSURE", "CLOSED")
AWS_ERRORS = (ClientError, BotoCoreError)


class OrganizationUnreadable(RuntimeError):
    """The organization itself could not be read (wrong account, no permission): nothing to collect."""


@dataclass
class CollectOptions:
    out: Path
    regions: list[str] | None = None
    accounts: list[str] | None = None
    member_roles: bool = True
    workers: int = 32
    progress: bool = True
    collected_at: _dt.datetime | None = None


@dataclass
class _Progress:
    enabled: bool
    stream: Any = sys.stderr
    done: int = 0
    total: int = 0
    phase: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    last: float = 0.0

    def start(self, phase: str, total: int) -> None:
        with self.lock:
            self.phase, self.total, self.done = phase, total, 0
        self._draw(force=True)

    def step(self, calls: int, errors: int) -> None:
        with self.lock:
            self.done += 1
        self._draw(calls=calls, errors=errors)

    def _draw(self, force: bool = False, calls: int = 0, errors: int = 0) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.2 and self.done < self.total:
            return
        self.last = now
        width = 24
        frac = self.done / self.total if self.total else 1.0
        bar = "#" * int(frac * width)
        line = f"\r{self.phase:<12} [{bar:<{width}}] {self.done}/{self.total}  {calls} calls  {errors} errors"
        tty = getattr(self.stream, "isatty", lambda: False)()
        if tty:
            self.stream.write(line)
            if self.done >= self.total:
                self.stream.write("\n")
        elif self.done >= self.total or force:
            self.stream.write(line.lstrip("\r") + "\n")
        self.stream.flush()


class Collector:
    def __init__(self, factory: SessionFactory, options: CollectOptions):
        self.f = factory
        self.o = options
        self.errors: list[dict] = []
        self._elock = threading.Lock()
        self.progress = _Progress(options.progress)

    # -- helpers -----------------------------------------------------------------------------------------------
    def record(self, exc: BaseException, account_id: str | None, region: str | None, service: str,
               operation: str | None = None) -> dict:
        op = getattr(exc, "operation_name", None) or operation
        e = {"account_id": account_id, "region": region, "service": service, "operation": op,
             "error_code": error_code(exc), "message": error_message(exc)}
        with self._elock:
            self.errors.append(e)
        return e

    def _pool_map(self, phase: str, fn: Callable, items: Iterable) -> list:
        items = list(items)
        self.progress.start(phase, len(items))
        results: list = [None] * len(items)
        with ThreadPoolExecutor(max_workers=max(1, self.o.workers), thread_name_prefix="orgkit") as pool:
            futs = {pool.submit(fn, it): i for i, it in enumerate(items)}
            for fut in as_completed(futs):
                results[futs[fut]] = fut.result()  # fn records AWS errors itself; anything else is a bug: raise
                self.progress.step(self.f.calls.total, len(self.errors))
        return results

    # -- phase 1: the organization -----------------------------------------------------------------------------
    def collect_organization(self) -> dict:
        org = self.f.caller_client("organizations")
        try:
            organization = S.get_organization(org)
            roots = S.get_roots(org)
        except AWS_ERRORS as e:
            err = self.record(e, self.f.caller_account, None, "organizations")
            raise OrganizationUnreadable(
                f"cannot read the organization from account {self.f.caller_account}: {err['error_code']}: "
                f"{err['message']} (run from the management account or an Organizations delegated administrator)"
            ) from e
        ous: list[dict] = []
        accounts: list[dict] = []
        frontier = [r["Id"] for r in roots]
        while frontier:  # breadth first, one level of the tree at a time in parallel
            def children(parent: str) -> tuple[list, list]:
                kids = [dict(o, ParentId=parent) for o in S.get_child_ous(org, parent)]
                accts = [dict(a, ParentId=parent) for a in S.get_child_accounts(org, parent)]
                return kids, accts

            try:
                level = self._pool_map("org tree", children, frontier)
            except AWS_ERRORS as e:
                err = self.record(e, self.f.caller_account, None, "organizations")
                raise OrganizationUnreadable(f"cannot list the organization's tree: {err['error_code']}: "
                                             f"{err['message']}") from e
            frontier = []
            for kids, accts in level:
                ous.extend(kids)
                accounts.extend(accts)
                frontier.extend(k["Id"] for k in kids)

        def tags(acct: dict) -> None:
            try:
                acct["Tags"] = S.get_tags(org, acct["Id"])
            except AWS_ERRORS as e:
                self.record(e, acct["Id"], None, "organizations")
                acct["Tags"] = None

        self._pool_map("tags", tags, accounts)

        delegated: list[dict] = []
        service_access: list[dict] | None = None
        try:
            delegated = S.get_delegated_admins(org)
        except AWS_ERRORS as e:
            self.record(e, self.f.caller_account, None, "organizations")
        for d in delegated:
            try:
                d["DelegatedServices"] = S.get_delegated_services(org, d["Id"])
            except AWS_ERRORS as e:
                self.record(e, d["Id"], None, "organizations")
                d["DelegatedServices"] = None
        try:
            service_access = S.get_service_access(org)
        except AWS_ERRORS as e:
            self.record(e, self.f.caller_account, None, "organizations")

        # every SCP once, however many targets it has
        policies: list[dict] = []
        try:
            summaries = S.get_scp_summaries(org)
        except AWS_ERRORS as e:
            self.record(e, self.f.caller_account, None, "organizations")
            summaries = []

        def policy(summary: dict) -> dict:
            entry: dict[str, Any] = {"PolicySummary": summary}
            try:
                entry["Content"] = S.get_policy_content(org, summary["Id"])
                entry["Targets"] = S.get_policy_targets(org, summary["Id"])
            except AWS_ERRORS as e:
                self.record(e, self.f.caller_account, None, "organizations")
                entry.setdefault("Content", None)
                entry["Targets"] = None
            return entry

        policies = self._pool_map("policies", policy, summaries)
        sort_id = lambda x: x["Id"]  # noqa: E731
        return {
            "organization": {
                "Organization": organization,
                "Roots": roots,
                "OrganizationalUnits": sorted(ous, key=sort_id),
                "Accounts": sorted(accounts, key=sort_id),
                "DelegatedAdministrators": sorted(delegated, key=sort_id),
                "EnabledServicePrincipals": service_access,
            },
            "policies": {"Policies": sorted(policies, key=lambda p: p["PolicySummary"]["Id"])},
        }

    def guardduty_admins(self, regions: list[str]) -> dict[str, list | None]:
        def one(region: str) -> tuple[str, list | None]:
            try:
                return region, S.get_org_admin_accounts(self.f.caller_client("guardduty", region))
            except AWS_ERRORS as e:
                # an organisation-wide read: recorded without an account, so it does not taint the management
                # account's own GuardDuty read in that region
                self.record(e, None, region, "guardduty")
                return region, None

        return dict(self._pool_map("gd admins", one, regions))

    # -- phase 2: per account ----------------------------------------------------------------------------------
    def account_access(self, aid: str, doc: dict) -> bool:
        if aid == self.f.caller_account:
            doc["Access"] = {"Method": "caller", "RoleArn": None, "Error": None}
            return True
        if not self.o.member_roles:
            doc["Access"] = {"Method": "none", "RoleArn": None, "Error": "member roles not used (--no-member-roles)"}
            return False
        try:
            self.f.credentials_for(aid)
        except AWS_ERRORS as e:
            err = self.record(e, aid, None, "access", "AssumeRole")
            doc["Access"] = {"Method": "none", "RoleArn": self.f.role_arn(aid),
                             "Error": f"{err['error_code']}: {err['message']}"}
            return False
        doc["Access"] = {"Method": "assume_role", "RoleArn": self.f.role_arn(aid), "Error": None}
        return True

    def account_regions(self, aid: str, doc: dict, reachable: bool) -> None:
        own = aid == self.f.caller_account
        try:
            doc["Regions"] = S.get_regions(self.f.caller_client("account"), None if own else aid)
            return
        except AWS_ERRORS as e:
            failed = [e]
        if reachable:
            try:
                doc["Regions"] = S.get_regions_ec2(self.f.client(aid, "ec2"))
                return
            except AWS_ERRORS as e:
                failed.append(e)
        for e in failed:  # both answers are kept: the first says why the fallback was needed
            self.record(e, aid, None, "regions")
        doc["Regions"] = None

    def account_cloudtrail(self, aid: str, doc: dict) -> None:
        ct_doc: dict[str, Any] = {"ListTrails": None, "Trails": {}}
        doc["CloudTrail"] = ct_doc
        try:
            listed = S.get_trail_list(self.f.client(aid, "cloudtrail"))
        except AWS_ERRORS as e:
            self.record(e, aid, None, "cloudtrail")
            return
        ct_doc["ListTrails"] = sorted(listed, key=lambda t: t["TrailARN"])
        own: dict[str, list[str]] = {}
        for t in listed:
            if account_id_of_arn(t["TrailARN"]) == aid:
                own.setdefault(t["HomeRegion"], []).append(t["TrailARN"])
        for region, arns in sorted(own.items()):
            ct = self.f.client(aid, "cloudtrail", region)
            try:
                described = {t["TrailARN"]: t for t in S.get_trails(ct, arns)}
            except AWS_ERRORS as e:
                err = self.record(e, aid, region, "cloudtrail")
                for arn in arns:
                    ct_doc["Trails"][arn] = {"Error": f"{err['operation']}: {err['error_code']}"}
                continue
            try:
                tags = S.get_trail_tags(ct, arns)
            except AWS_ERRORS as e:
                self.record(e, aid, region, "cloudtrail")
                tags = {}
            for arn in arns:
                entry: dict[str, Any] = {"Trail": described.get(arn), "Tags": tags.get(arn)}
                problems = []
                for key, getter in (("Status", S.get_trail_status), ("EventSelectors", S.get_event_selectors)):
                    try:
                        entry[key] = getter(ct, arn)
                    except AWS_ERRORS as e:
                        err = self.record(e, aid, region, "cloudtrail")
                        entry[key] = None
                        problems.append(f"{err['operation']}: {err['error_code']}")
                entry["Error"] = "; ".join(problems) or None
                ct_doc["Trails"][arn] = entry

    def guardduty_admin_view(self, aid: str, region: str, gd_doc: dict) -> None:
        """The delegated administrator's own detector, its members and the organization configuration."""
        gd = self.f.client(aid, "guardduty", region)
        r = gd_doc.setdefault(region, {})
        try:
            ids = S.get_detector_ids(gd)
            r["DetectorIds"] = ids
            r["Detectors"] = {i: S.get_detector(gd, i) for i in ids}
            if ids:
                r["Members"] = sorted(S.get_members(gd, ids[0]), key=lambda m: m["AccountId"])
                r["OrganizationConfiguration"] = S.get_org_configuration(gd, ids[0])
        except AWS_ERRORS as e:
            self.record(e, aid, region, "guardduty")
            r.setdefault("DetectorIds", None)

    def guardduty_region(self, aid: str, region: str, gd_doc: dict, vouched: dict | None) -> None:
        """One (account, region). ``vouched``: an administrator's member record with RelationshipStatus Enabled."""
        gd = self.f.client(aid, "guardduty", region)
        r = gd_doc.setdefault(region, {})
        try:
            if vouched and vouched.get("DetectorId"):
                try:
                    det = S.get_detector(gd, vouched["DetectorId"])
                    r["DetectorIds"] = [vouched["DetectorId"]]
                    r["DetectorIdsSource"] = "administrator"
                    r["Detectors"] = {vouched["DetectorId"]: det}
                    return
                except ClientError as e:
                    if error_code(e) not in ("BadRequestException", "ResourceNotFoundException"):
                        raise
            ids = S.get_detector_ids(gd)
            r["DetectorIds"] = ids
            r["Detectors"] = {i: S.get_detector(gd, i) for i in ids}
            if not ids:
                return
            admin = S.get_administrator(gd, ids[0])
            r["Administrator"] = admin
            if not admin:  # an invitation administrator, or standalone: its member list tells
                r["Members"] = sorted(S.get_members(gd, ids[0]), key=lambda m: m["AccountId"])
        except AWS_ERRORS as e:
            self.record(e, aid, region, "guardduty")
            r.setdefault("DetectorIds", None)

    # -- the run -----------------------------------------------------------------------------------------------
    def run(self) -> Path:
        started = time.monotonic()
        caller = self.f.identity()
        collected_at = self.o.collected_at or _dt.datetime.now(_dt.timezone.utc)
        org = self.collect_organization()
        organization = org["organization"]["Organization"]
        mgmt = organization.get("MasterAccountId")
        regions = list(self.o.regions or default_regions(self.f))
        all_accounts = org["organization"]["Accounts"]
        wanted = set(self.o.accounts or [a["Id"] for a in all_accounts])
        unknown = wanted - {a["Id"] for a in all_accounts}
        if unknown:
            raise ValueError(f"--accounts names accounts not in the organization: {', '.join(sorted(unknown))}")
        # accounts that cannot be read (suspended or closed) are listed, not called
        state = {a["Id"]: a.get("State") or a.get("Status") for a in all_accounts}
        targets = [aid for aid in state if aid in wanted and state[aid] not in UNREADABLE_STATES]
        admins = self.guardduty_admins(regions)

        docs: dict[str, dict] = {aid: {"AccountId": aid, "GuardDuty": {}} for aid in sorted(wanted)}
        for aid in sorted(wanted - set(targets)):
            docs[aid]["Access"] = {"Method": "none", "RoleArn": None, "Error": f"account is {state[aid]}: not read"}
        reachable: dict[str, bool] = {}

        def per_account(aid: str) -> None:
            doc = docs[aid]
            ok = self.account_access(aid, doc)
            reachable[aid] = ok
            self.account_regions(aid, doc, ok)
            if ok:
                self.account_cloudtrail(aid, doc)
            else:
                doc["CloudTrail"] = {"ListTrails": None, "Trails": {}}

        self._pool_map("accounts", per_account, targets)

        def enabled(aid: str, region: str) -> bool:
            regs = docs[aid].get("Regions")
            if regs is None:
                return True  # unknown: ask, and let the answer (or its error) tell
            return any(r["RegionName"] == region and r.get("RegionOptStatus") in ENABLED_OPT for r in regs)

        admin_tasks = [(a["AdminAccountId"], reg) for reg, lst in admins.items() for a in lst or []
                       if a.get("AdminStatus", "ENABLED") == "ENABLED" and a["AdminAccountId"] in docs
                       and reachable.get(a["AdminAccountId"]) and enabled(a["AdminAccountId"], reg)]
        self._pool_map("gd admin", lambda t: self.guardduty_admin_view(t[0], t[1], docs[t[0]]["GuardDuty"]),
                       admin_tasks)
        vouched: dict[tuple[str, str], dict] = {}
        for adm, reg in admin_tasks:
            for m in docs[adm]["GuardDuty"].get(reg, {}).get("Members") or []:
                if m.get("RelationshipStatus") == "Enabled":
                    vouched[(m["AccountId"], reg)] = m
        done = set(admin_tasks)
        tasks = [(aid, reg) for aid in targets for reg in regions
                 if (aid, reg) not in done and reachable.get(aid) and enabled(aid, reg)]
        self._pool_map("guardduty", lambda t: self.guardduty_region(t[0], t[1], docs[t[0]]["GuardDuty"],
                                                                    vouched.get(t)), tasks)

        counts = {
            "accounts": len(all_accounts),
            "accounts_collected": len(targets),
            "accounts_reached": sum(1 for v in reachable.values() if v),
            "ous": len(org["organization"]["OrganizationalUnits"]),
            "policies": len(org["policies"]["Policies"]),
            "trails": sum(len(d.get("CloudTrail", {}).get("Trails") or {}) for d in docs.values()),
            "detectors": sum(len(r.get("Detectors") or {}) for d in docs.values() for r in d["GuardDuty"].values()),
            "api_calls": self.f.calls.total,
        }
        manifest = {
            "orgkit_version": orgkit.__version__,
            "collected_at": collected_at.astimezone(_dt.timezone.utc).isoformat(),
            "organization_id": organization.get("Id"),
            "management_account_id": mgmt,
            "caller": caller,
            "regions": regions,
            "options": {"role_name": self.f.role_name, "member_roles": self.o.member_roles,
                        "accounts": sorted(self.o.accounts) if self.o.accounts else None,
                        "workers": self.o.workers},
            "counts": counts,
            "error_count": len(self.errors),
            "duration_seconds": round(time.monotonic() - started, 3),
        }
        errors = sorted(self.errors, key=lambda e: tuple(str(e.get(k) or "") for k in
                                                        ("account_id", "region", "service", "operation")))
        with SnapshotWriter(self.o.out) as w:
            w.write("organization.json", org["organization"])
            w.write("policies.json", org["policies"])
            w.write("guardduty.json", {"OrganizationAdminAccounts": admins})
            for aid, doc in docs.items():
                w.write(f"accounts/{aid}.json", doc)
            w.write("errors.json", {"Errors": errors})
            return w.commit(manifest)


def default_regions(factory: SessionFactory) -> list[str]:
    """Every region where both GuardDuty and CloudTrail exist in the caller's partition (botocore's endpoint data)."""
    s = factory.base
    gd = set(s.get_available_regions("guardduty", partition_name=factory.partition))
    ct = set(s.get_available_regions("cloudtrail", partition_name=factory.partition))
    return sorted(gd & ct)


def collect(out: str | Path, *, profile: str | None = None, endpoint_url: str | None = None,
            role_name: str = "OrganizationAccountAccessRole", regions: list[str] | None = None,
            accounts: list[str] | None = None, member_roles: bool = True, workers: int = 32,
            progress: bool = True, collected_at: _dt.datetime | None = None,
            factory: SessionFactory | None = None) -> Path:
    """Collect the organization that the caller's credentials manage into the snapshot directory ``out``."""
    factory = factory or SessionFactory(profile=profile, endpoint_url=endpoint_url, role_name=role_name,
                                        max_pool=max(10, workers + 4))
    opts = CollectOptions(out=Path(out), regions=regions, accounts=accounts, member_roles=member_roles,
                          workers=workers, progress=progress, collected_at=collected_at)
    return Collector(factory, opts).run()
