"""Collect a whole AWS Organization, read-only, into a snapshot directory.

What is read (see docs/collect.md for every call and how often):

* the organization from the management account: root, OUs at every depth, accounts with tags, delegated
  administrators, service access, every SCP once with its content and targets, and GuardDuty's organization admin
  accounts per region;
* per account, one after the other: the role (STS AssumeRole; the management account uses the caller's session),
  its enabled regions (account:ListRegions from the management account, ec2:DescribeRegions in the account as a
  fallback), CloudTrail (one ListTrails for all its trails, then the details of the trails it owns, read in their
  home region by ARN); CloudTrail Lake per enabled region (ListEventDataStores, GetEventDataStore per store);
  then GuardDuty per enabled region: members the delegated administrator already vouches for
  need one GetDetector; the rest ListDetectors, GetDetector, and GetAdministratorAccount / ListMembers only where the
  administrator's view leaves a doubt;
* the GuardDuty delegated administrators' view per region (members, organization configuration);
* with ``access_reports`` (``orgkit collect --access-reports``), while the accounts are read (the jobs are tasks of
  the same scheduler, started first): IAM's Organizations access report for the root, every OU and every account
  collected (:meth:`Collector.access_reports`).

How the work overlaps (figures in BENCHMARKS.md): only the organization's tree is read before any account starts.
Every other piece is a task in one scheduler (:class:`_Scheduler`): a fixed set of daemon worker threads, deeper
steps first (an account's GuardDuty regions before a new account), at most ``PER_ACCOUNT`` calls in flight per
member account so that concurrency is spread across accounts. An account's GuardDuty regions wait only for the
delegated administrator's view of that region (a gate per region), not for the other accounts. For a large
organisation on a machine with several cores, the accounts are shared among a few worker processes (forked: each
has its own interpreter, so the per-call CPU of botocore is spread over the cores); the parent reads the
organisation-wide pieces and the administrators' views and tells the workers each region's vouched members.

Every failed call is recorded (account, region, service, operation, error code, message) and the run goes on; a
call that times out or that the run's deadline refused is a failure like any other. Only a failure to read the
organization itself raises :class:`OrganizationUnreadable`. Nothing is written until the end (the snapshot writer
renames a complete directory into place), so an interrupted run leaves the previous snapshot as it was.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import itertools
import os
import signal
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

import orgkit
from orgkit.aws import services as S
from orgkit.aws.session import DEFAULT_CALL_TIMEOUT, SessionFactory, error_code, error_message, last_operation
from orgkit.model import account_id_of_arn
from orgkit.snapshot import REGIONS_UNLISTED, SnapshotWriter, region_lists_fault, unlisted_regions

ENABLED_OPT = ("ENABLED", "ENABLED_BY_DEFAULT")
UNREADABLE_STATES = ("SUSPENDED", "PENDING_CLOSURE", "CLOSED")
AWS_ERRORS = (ClientError, BotoCoreError)
DEFAULT_WORKERS = 128  # calls in flight at once, over all worker processes
DEFAULT_DEADLINE = 3600.0  # seconds for the whole run
PER_ACCOUNT = 4  # calls in flight at once in one member account (each account-region is read one call at a time)
# worker processes: only for organisations large enough that the second core pays for forking (about 1 s of CPU
# per process to build its clients), and at most one per core
PROCESS_MIN_ACCOUNTS = 150
PROCESS_SHARE = 100  # at least this many accounts per worker process


class OrganizationUnreadable(RuntimeError):
    """The organization itself could not be read (wrong account, no permission): nothing to collect."""


class CollectorFailed(RuntimeError):
    """A worker process of the collector stopped without handing back its accounts (a bug or the OS killed it)."""


@dataclass
class CollectOptions:
    out: Path
    regions: list[str] | None = None
    accounts: list[str] | None = None
    member_roles: bool = True
    workers: int = DEFAULT_WORKERS
    progress: bool | str = True  # a str: on, and the bar's label (which collection it is)
    collected_at: _dt.datetime | None = None
    deadline: float | None = DEFAULT_DEADLINE
    processes: int | None = None  # None: decided by the organisation's size and the cores; 0 or 1: threads only
    access_reports: bool = False  # IAM Organizations access reports for the root, every OU and every account


@dataclass
class _Progress:
    enabled: bool
    stream: Any = sys.stderr
    done: int = 0
    total: int = 0
    phase: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    last: float = 0.0
    label: str = ""  # which collection (the demo makes two: snapshot, snapshot-later)

    def start(self, phase: str, total: int) -> None:
        with self.lock:
            self.phase, self.total, self.done = phase, total, 0
        self._draw(force=True)

    def step(self, calls: int, errors: int, n: int = 1) -> None:
        with self.lock:
            self.done += n
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
        phase = f"{self.label}: {self.phase}" if self.label else self.phase
        line = f"\r{phase:<12} [{bar:<{width}}] {self.done}/{self.total}  {calls} calls  {errors} error{'' if errors == 1 else 's'}"
        tty = getattr(self.stream, "isatty", lambda: False)()
        if tty:
            self.stream.write(line)
            if self.done >= self.total:
                self.stream.write("\n")
        elif self.done >= self.total or force:
            self.stream.write(line.lstrip("\r") + "\n")
        self.stream.flush()


class _Scheduler:
    """Tasks run by ``workers`` daemon threads, lowest priority first, at most ``per_account`` at once per account.

    Daemon threads: an interrupted run does not wait for a call that hangs (its thread dies with the process).
    A task that raises anything but an AWS error (which the collector records itself) is a bug: :meth:`wait`
    raises it.
    """

    def __init__(self, workers: int, per_account: int = PER_ACCOUNT):
        self.workers = max(1, workers)
        self.per_account = max(1, per_account)
        self._cv = threading.Condition()
        self._ready: list = []
        self._pending: dict[str, list] = defaultdict(list)
        self._running: Counter = Counter()
        self._outstanding = 0
        self._seq = itertools.count()
        self._error: BaseException | None = None
        self._stopped = False
        self._threads: list[threading.Thread] = []

    def submit(self, priority: int, account: str | None, fn: Callable[[], None]) -> None:
        item = (priority, next(self._seq), account, fn)
        with self._cv:
            self._outstanding += 1
            if account is not None and self._running[account] >= self.per_account:
                heapq.heappush(self._pending[account], item)
                return
            if account is not None:
                self._running[account] += 1
            heapq.heappush(self._ready, item)
            self._cv.notify()
            if len(self._threads) < self.workers and len(self._threads) < self._outstanding:
                t = threading.Thread(target=self._work, name=f"orgkit-{len(self._threads)}", daemon=True)
                self._threads.append(t)
                t.start()

    def submit_later(self, delay: float, priority: int, account: str | None, fn: Callable[[], None]) -> None:
        """Submit ``fn`` after ``delay`` seconds without holding a worker meanwhile (a timer thread waits);
        counted as outstanding from now, so :meth:`wait` does not return before it has run."""
        with self._cv:
            self._outstanding += 1

        def fire() -> None:
            self.submit(priority, account, fn)
            with self._cv:
                self._outstanding -= 1

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        timer.start()

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._ready and not self._stopped:
                    self._cv.wait()
                if self._stopped:
                    return
                _, _, account, fn = heapq.heappop(self._ready)
            try:
                fn()
            except BaseException as e:  # noqa: BLE001  (handed to the waiting thread, which raises it)
                with self._cv:
                    if self._error is None:
                        self._error = e
                    self._cv.notify_all()
            with self._cv:
                self._outstanding -= 1
                if account is not None:
                    self._running[account] -= 1
                    queue = self._pending.get(account)
                    if queue:
                        self._running[account] += 1
                        heapq.heappush(self._ready, heapq.heappop(queue))
                        self._cv.notify()
                if self._outstanding == 0:
                    self._cv.notify_all()

    def wait(self, tick: Callable[[], None] | None = None) -> None:
        """Until every task (and every task they submitted) is done; interruptible (Ctrl-C) at any moment."""
        with self._cv:
            while self._outstanding and self._error is None:
                self._cv.wait(timeout=0.2)
                if tick is not None:
                    tick()
            if self._error is not None:
                raise self._error

    def close(self, join: bool = True) -> None:
        """Stop the idle workers (join them: no thread of this scheduler is left, e.g. before a fork)."""
        with self._cv:
            self._stopped = True
            self._cv.notify_all()
        if join:
            for t in self._threads:
                t.join()


class _ReportJobs:
    """IAM Organizations access report jobs as short tasks on a :class:`_Scheduler` (see
    :meth:`Collector.access_reports`): generate, poll, read the pages; a job that ends (read, failed, or its call
    failed) opens the next, so that at most ``Collector.REPORT_JOBS`` are open at once."""

    def __init__(self, collector: Any, sched: _Scheduler, iam: Any, done: list):
        self.c, self.sched, self.iam, self.done = collector, sched, iam, done
        self.lock = threading.Lock()
        self.queue: deque = deque()

    def start(self, reports: list[dict]) -> None:
        self.queue.extend(reports)
        for _ in range(min(self.c.REPORT_JOBS, len(reports))):
            self._next()

    def _next(self) -> None:
        with self.lock:
            rep = self.queue.popleft() if self.queue else None
        if rep is not None:
            self.sched.submit(0, None, lambda: self._generate(rep, 0, self.c.REPORT_BACKOFF))

    def _end(self, rep: dict, exc: BaseException | None = None) -> None:
        if exc is not None:
            err = self.c.record(exc, rep["EntityId"] if rep["EntityType"] == "account" else None, None,
                                "access_reports")
            rep["AccessDetails"] = None
            rep["ErrorDetails"] = {"Code": err["error_code"], "Message": err["message"], "Operation": err["operation"]}
        with self.lock:
            self.done.append(rep)
        self._next()

    def _generate(self, rep: dict, attempt: int, delay: float) -> None:
        try:
            rep["JobId"] = S.generate_org_access_report(self.iam, rep["EntityPath"])
        except ClientError as e:
            if error_code(e) == "ReportGenerationLimitExceeded" and attempt < self.c.REPORT_ATTEMPTS - 1:
                self.sched.submit_later(delay, 0, None, lambda: self._generate(
                    rep, attempt + 1, min(self.c.REPORT_BACKOFF_CAP, delay * 2)))
                return
            return self._end(rep, e)
        except AWS_ERRORS as e:
            return self._end(rep, e)
        self._poll(rep, self.c.REPORT_POLL)

    def _poll(self, rep: dict, wait: float) -> None:
        try:
            page = S.get_org_access_report_page(self.iam, rep["JobId"])
            if page.get("JobStatus") == "IN_PROGRESS":
                self.sched.submit_later(wait, 0, None, lambda: self._poll(rep, min(10.0, wait * 1.5)))
                return
            rep.update(JobStatus=page.get("JobStatus"), JobCreationDate=page.get("JobCreationDate"),
                       JobCompletionDate=page.get("JobCompletionDate"), ErrorDetails=page.get("ErrorDetails"))
            if page.get("JobStatus") == "COMPLETED":  # FAILED: AWS's ErrorDetails say why; no access details
                details = list(page.get("AccessDetails") or [])
                while page.get("IsTruncated"):
                    page = S.get_org_access_report_page(self.iam, rep["JobId"], page.get("Marker"))
                    details.extend(page.get("AccessDetails") or [])
                rep["AccessDetails"] = details
        except AWS_ERRORS as e:
            return self._end(rep, e)
        self._end(rep)


class _Gates:
    """Per region: the GuardDuty member records the delegated administrator vouches for, once they are known.

    An account's GuardDuty task for a region is parked here until that region's gate opens, so that no account
    waits for any other account, only for the administrator's view of the regions it is in.
    """

    def __init__(self, submit: Callable[[int, str | None, Callable[[], None]], None]):
        self._submit = submit
        self._lock = threading.Lock()
        self.vouched: dict[str, dict[str, dict]] = {}  # region -> account id -> member record
        self._parked: dict[str, list[tuple[int, str, Callable[[dict | None], None]]]] = defaultdict(list)

    def when_open(self, region: str, priority: int, account: str, fn: Callable[[dict | None], None]) -> None:
        with self._lock:
            members = self.vouched.get(region)
            if members is None:
                self._parked[region].append((priority, account, fn))
                return
        self._submit(priority, account, lambda: fn(members.get(account)))

    def open(self, region: str, members: dict[str, dict]) -> None:
        with self._lock:
            self.vouched[region] = members
            parked = self._parked.pop(region, [])
        for priority, account, fn in parked:
            self._submit(priority, account, lambda fn=fn, account=account: fn(members.get(account)))


class Collector:
    def __init__(self, factory: SessionFactory, options: CollectOptions):
        self.f = factory
        self.o = options
        self.errors: list[dict] = []
        self._elock = threading.Lock()
        self.progress = _Progress(bool(options.progress),
                                  label=options.progress if isinstance(options.progress, str) else "")

    # -- helpers -----------------------------------------------------------------------------------------------
    def record(self, exc: BaseException, account_id: str | None, region: str | None, service: str,
               operation: str | None = None) -> dict:
        op = getattr(exc, "operation_name", None) or operation or last_operation()
        e = {"account_id": account_id, "region": region, "service": service, "operation": op,
             "error_code": error_code(exc), "message": error_message(exc)}
        with self._elock:
            self.errors.append(e)
        return e

    def _workers(self, share: int) -> int:
        return max(1, min(self.o.workers, share))

    # -- the organization's tree (read before any account starts) ----------------------------------------------
    def organization_tree(self, regions: list[str]) -> tuple[dict, dict[str, list | None]]:
        """Organization, roots, OUs and accounts; and GuardDuty's organization admin accounts per region."""
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
        sched = _Scheduler(self._workers(64))
        admins: dict[str, list | None] = {}
        ous: list[dict] = []
        accounts: list[dict] = []
        failed: list[BaseException] = []
        lock = threading.Lock()

        def admin_list(region: str) -> None:
            try:
                admins[region] = S.get_org_admin_accounts(self.f.caller_client("guardduty", region))
            except AWS_ERRORS as e:
                # an organisation-wide read: recorded without an account, so it does not taint the management
                # account's own GuardDuty read in that region
                self.record(e, None, region, "guardduty")
                admins[region] = None

        def children(parent: str) -> None:  # breadth first: each OU's children as soon as the OU is known
            try:
                kids = [dict(o, ParentId=parent) for o in S.get_child_ous(org, parent)]
                accts = [dict(a, ParentId=parent) for a in S.get_child_accounts(org, parent)]
            except AWS_ERRORS as e:
                with lock:
                    failed.append(e)
                return
            with lock:
                ous.extend(kids)
                accounts.extend(accts)
            for k in kids:
                sched.submit(0, None, lambda k=k: children(k["Id"]))

        try:
            for r in roots:
                sched.submit(0, None, lambda r=r: children(r["Id"]))
            for region in regions:
                sched.submit(1, None, lambda region=region: admin_list(region))
            if self.o.member_roles:  # the member clients, made while the tree is read (and shared by any fork)
                wanted = [("guardduty", reg) for reg in regions] + [("cloudtrail", self.f.default_region),
                                                                     ("s3", self.f.default_region)]
                sched.submit(2, None, lambda: self.f.warm(True, wanted))
            sched.wait()
        finally:
            sched.close()
        if failed:
            err = self.record(failed[0], self.f.caller_account, None, "organizations")
            raise OrganizationUnreadable(f"cannot list the organization's tree: {err['error_code']}: "
                                         f"{err['message']}") from failed[0]
        sort_id = lambda x: x["Id"]  # noqa: E731
        return ({"Organization": organization, "Roots": roots, "OrganizationalUnits": sorted(ous, key=sort_id),
                 "Accounts": sorted(accounts, key=sort_id)}, admins)

    def organization_extras(self, sched: _Scheduler, organization: dict, policies_out: list,
                            rcps_out: dict | None = None) -> None:
        """Tasks: every account's tags, delegated administrators, service access, every SCP once, and every RCP
        once where the RESOURCE_CONTROL_POLICY type is enabled (``rcps_out``: ``Enabled``, ``Error``,
        ``Policies``)."""
        org = self.f.caller_client("organizations")

        def tags(acct: dict) -> None:
            try:
                acct["Tags"] = S.get_tags(org, acct["Id"])
            except AWS_ERRORS as e:
                self.record(e, acct["Id"], None, "organizations")
                acct["Tags"] = None

        def delegated() -> None:
            found: list[dict] = []
            try:
                found = S.get_delegated_admins(org)
            except AWS_ERRORS as e:
                self.record(e, self.f.caller_account, None, "organizations")
            for d in found:
                try:
                    d["DelegatedServices"] = S.get_delegated_services(org, d["Id"])
                except AWS_ERRORS as e:
                    self.record(e, d["Id"], None, "organizations")
                    d["DelegatedServices"] = None
            organization["DelegatedAdministrators"] = sorted(found, key=lambda x: x["Id"])

        def service_access() -> None:
            organization["EnabledServicePrincipals"] = None
            try:
                organization["EnabledServicePrincipals"] = S.get_service_access(org)
            except AWS_ERRORS as e:
                self.record(e, self.f.caller_account, None, "organizations")

        def policy(summary: dict, out: list = policies_out) -> None:
            entry: dict[str, Any] = {"PolicySummary": summary}
            try:
                entry["Content"] = S.get_policy_content(org, summary["Id"])
                entry["Targets"] = S.get_policy_targets(org, summary["Id"])
            except AWS_ERRORS as e:
                self.record(e, self.f.caller_account, None, "organizations")
                entry.setdefault("Content", None)
                entry["Targets"] = None
            out.append(entry)

        def policies() -> None:  # every SCP once, however many targets it has
            try:
                summaries = S.get_scp_summaries(org)
            except AWS_ERRORS as e:
                self.record(e, self.f.caller_account, None, "organizations")
                summaries = []
            for summary in summaries:
                sched.submit(0, None, lambda summary=summary: policy(summary))

        def rcps() -> None:  # read only where the type is enabled: RCPFullAWSAccess exists in every organisation
            assert rcps_out is not None
            try:
                summaries = S.get_rcp_summaries(org)
            except AWS_ERRORS as e:
                err = self.record(e, self.f.caller_account, None, "organizations")
                rcps_out["Error"] = f"{err['operation']}: {err['error_code']}"
                return
            for summary in summaries:
                sched.submit(0, None, lambda summary=summary: policy(summary, rcps_out["Policies"]))

        sched.submit(0, None, delegated)
        sched.submit(0, None, service_access)
        sched.submit(0, None, policies)
        if rcps_out is not None:
            rcps_out.update(Enabled=rcp_enabled(organization), Error=None, Policies=[])
            if rcps_out["Enabled"]:
                sched.submit(0, None, rcps)
        for acct in organization["Accounts"]:
            sched.submit(3, None, lambda acct=acct: tags(acct))

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

    def account_buckets(self, aid: str, doc: dict) -> None:
        """The names of the account's S3 buckets (one ListBuckets): who owns each trail's bucket."""
        try:
            doc["S3"] = {"Buckets": S.get_bucket_names(self.f.client(aid, "s3")), "Error": None}
        except AWS_ERRORS as e:
            err = self.record(e, aid, None, "s3")
            doc["S3"] = {"Buckets": None, "Error": f"{err['operation']}: {err['error_code']}"}

    def account_lake(self, aid: str, region: str, ct_doc: dict) -> None:
        """CloudTrail Lake event data stores ``aid`` sees in one region (ListEventDataStores, then GetEventDataStore
        per store); None when the read failed. Read in every account reached, like its trails: an account's own
        stores (which record that account only), and, in the management account (which owns them) and in a
        CloudTrail delegated administrator (which administers them), the organization's stores. The loader keeps
        each store once, by ARN, with the accounts it was read through."""
        stores = ct_doc.setdefault("EventDataStores", {})
        try:
            stores[region] = sorted(S.get_event_data_stores(self.f.client(aid, "cloudtrail", region)),
                                    key=lambda e: e["EventDataStoreArn"])
        except AWS_ERRORS as e:
            self.record(e, aid, region, "cloudtrail_lake")
            stores[region] = None

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

    # -- IAM Organizations access reports (collect --access-reports) ------------------------------------------
    #: seconds before the first retry of a GenerateOrganizationsAccessReport refused with
    #: ReportGenerationLimitExceeded (doubled each time, at most REPORT_BACKOFF_CAP, REPORT_ATTEMPTS attempts)
    REPORT_BACKOFF = 1.0
    REPORT_BACKOFF_CAP = 30.0
    REPORT_ATTEMPTS = 8
    #: seconds between two GetOrganizationsAccessReport calls of a job still IN_PROGRESS (grows 1.5x, at most 10 s)
    REPORT_POLL = 0.5
    REPORT_JOBS = 8  # report jobs generated and read at once

    def access_reports(self, organization: dict, accounts: list[str], sched: "_Scheduler | None" = None) -> dict:
        """One report per entity (the root, every OU, each of ``accounts``), read from the management account.

        Entity paths as AWS documents them: ``o-a1b2c3d4e5/r-f6g7h8i9j0example/ou-rge0-awsabcde/123456789012``.
        Each job: GenerateOrganizationsAccessReport (backing off on ReportGenerationLimitExceeded), then
        GetOrganizationsAccessReport until the job is no longer IN_PROGRESS, then every page through ``Marker``
        (botocore has no paginator for it). A failed call is recorded (service ``access_reports``) and the entity's
        report keeps ``AccessDetails`` None with ``ErrorDetails`` saying why: never an empty report.

        Every step is a short task on ``sched`` (the run's one scheduler, so the jobs run while the accounts are
        read): the waits between polls and back-offs hold no worker (:meth:`_Scheduler.submit_later`), and at most
        ``REPORT_JOBS`` jobs are open at once. The returned document is complete once ``sched`` has no work left
        (:meth:`_finish_access_reports` sorts it); without ``sched``, a scheduler of its own is run to the end.
        """
        org_id = organization["Organization"].get("Id")
        parents = {o["Id"]: o.get("ParentId") for o in organization["OrganizationalUnits"]}
        acct_parent = {a["Id"]: a.get("ParentId") for a in organization["Accounts"]}

        def path_of(node: str) -> str:
            chain = [node]
            parent = acct_parent.get(node) if node in acct_parent else parents.get(node)
            seen = {node}
            while parent and parent not in seen:
                chain.append(parent)
                seen.add(parent)
                parent = parents.get(parent)
            return "/".join([org_id] + list(reversed(chain)))

        entities = [("root", r["Id"]) for r in organization["Roots"]]
        entities += [("ou", o["Id"]) for o in organization["OrganizationalUnits"]]
        entities += [("account", a) for a in accounts]
        out: dict = {"Reports": [], "Requested": True}
        own = sched is None
        run = _Scheduler(self._workers(self.REPORT_JOBS)) if own else sched
        jobs = _ReportJobs(self, run, self.f.caller_client("iam"), out["Reports"])
        jobs.start([{"EntityPath": path_of(eid), "EntityType": kind, "EntityId": eid, "JobId": None,
                     "JobStatus": None, "JobCreationDate": None, "JobCompletionDate": None,
                     "AccessDetails": None, "ErrorDetails": None} for kind, eid in entities])
        if own:
            try:
                run.wait()
            finally:
                run.close()
            self._finish_access_reports(out)
        return out

    @staticmethod
    def _finish_access_reports(out: dict) -> None:
        order = {"root": 0, "ou": 1, "account": 2}
        out["Reports"].sort(key=lambda r: (order[r["EntityType"]], r["EntityPath"]))

    # -- the run -----------------------------------------------------------------------------------------------
    def run(self) -> Path:
        started = time.monotonic()
        if self.o.deadline:
            self.f.deadline, self.f.deadline_seconds = started + self.o.deadline, self.o.deadline
        try:
            return self._run(started)
        finally:
            self.f.deadline = self.f.deadline_seconds = None

    def _run(self, started: float) -> Path:
        caller = self.f.identity()
        collected_at = self.o.collected_at or _dt.datetime.now(_dt.timezone.utc)
        regions = list(self.o.regions or default_regions(self.f))
        organization, admins = self.organization_tree(regions)
        mgmt = organization["Organization"].get("MasterAccountId")
        all_accounts = organization["Accounts"]
        wanted = set(self.o.accounts or [a["Id"] for a in all_accounts])
        unknown = wanted - {a["Id"] for a in all_accounts}
        if unknown:
            raise ValueError(f"--accounts names accounts not in the organization: {', '.join(sorted(unknown))}")
        # accounts that cannot be read (suspended or closed) are listed, not called
        state = {a["Id"]: a.get("State") or a.get("Status") for a in all_accounts}
        targets = [aid for aid in sorted(state) if aid in wanted and state[aid] not in UNREADABLE_STATES]
        docs: dict[str, dict] = {aid: {"AccountId": aid, "GuardDuty": {}} for aid in sorted(wanted)}
        for aid in sorted(wanted - set(targets)):
            docs[aid]["Access"] = {"Method": "none", "RoleArn": None, "Error": f"account is {state[aid]}: not read"}

        # the delegated administrators (per region) stay with this process; the other accounts may be shared
        # among worker processes
        admin_pairs = {(a["AdminAccountId"], reg) for reg, lst in admins.items() for a in lst or []
                       if a.get("AdminStatus", "ENABLED") == "ENABLED" and a["AdminAccountId"] in docs}
        admin_accounts = sorted({adm for adm, _ in admin_pairs if adm in set(targets)})
        others = [aid for aid in targets if aid not in set(admin_accounts)]
        self._admin_done = frozenset(admin_pairs)  # read by the administrator's view, not again per account
        self.progress.start("accounts", len(targets))
        shares = self._shares(others)
        if len(shares) > 1:
            # every client a worker may need is made before the fork: a forked process that makes a TLS context
            # can hang on a lock of OpenSSL's held by another thread of the parent at the moment of the fork
            home = sorted(set(regions) | set(default_regions(self.f)))
            self.f.warm(True, [("cloudtrail", r) for r in home] + [("guardduty", r) for r in regions]
                        + [("ec2", self.f.default_region), ("s3", self.f.default_region)])
            self.f.warm(False, [("account", self.f.default_region), ("sts", self.f.default_region)])
        workers = _WorkerPool(self, shares, regions, docs) if len(shares) > 1 else None
        local = admin_accounts + (others if workers is None else [])

        sched = _Scheduler(self._workers(self.o.workers if workers is None else 16 + len(admin_pairs)))
        gates = _Gates(sched.submit)
        policies: list[dict] = []
        rcps: dict = {}
        access = None
        try:
            if self.o.access_reports:  # the report jobs first: they run while the accounts are read
                access = self.access_reports(organization, targets, sched)
            self.organization_extras(sched, organization, policies, rcps)
            self._admin_gates(sched, gates, admin_pairs, set(targets), regions, docs, workers)
            for aid in local:
                self._account_chain(sched, gates, aid, docs[aid], regions,
                                    done=lambda: self.progress.step(self._calls(workers), self._error_count(workers)),
                                    after_regions=self._after_regions.get(aid))
            if workers is not None:
                workers.start_listening(gates)
            sched.wait(tick=None if workers is None else workers.check)
            if workers is not None:
                workers.join()
        except BaseException:
            if workers is not None:
                workers.kill()
            sched.close(join=False)
            raise
        sched.close()
        if access is not None:
            self._finish_access_reports(access)

        reached = [aid for aid in targets if (docs[aid].get("Access") or {}).get("Method") in ("caller", "assume_role")]
        counts = {
            "accounts": len(all_accounts),
            "accounts_collected": len(targets),
            "accounts_reached": len(reached),
            "ous": len(organization["OrganizationalUnits"]),
            "policies": len(policies),
            "trails": sum(len(d.get("CloudTrail", {}).get("Trails") or {}) for d in docs.values()),
            "detectors": sum(len(r.get("Detectors") or {}) for d in docs.values() for r in d["GuardDuty"].values()),
            "api_calls": self.f.calls.total,
        }
        if access is not None:
            counts["access_reports"] = len(access["Reports"])
        manifest = {
            "orgkit_version": orgkit.__version__,
            "collected_at": collected_at.astimezone(_dt.timezone.utc).isoformat(),
            "organization_id": organization["Organization"].get("Id"),
            "management_account_id": mgmt,
            "caller": caller,
            "regions": regions,
            "options": {"role_name": self.f.role_name, "member_roles": self.o.member_roles,
                        "accounts": sorted(self.o.accounts) if self.o.accounts else None,
                        "workers": self.o.workers, "access_reports": self.o.access_reports},
            "counts": counts,
            "error_count": len(self.errors),
            "duration_seconds": round(time.monotonic() - started, 3),
        }
        # regions botocore knows (every one asked for is checked against its endpoint data) that no account's region
        # list has: recorded, by the rule the loader holds the manifest to (their cells read not_applicable)
        unlisted = unlisted_regions(regions, docs)
        if unlisted:
            manifest[REGIONS_UNLISTED] = unlisted
        fault = region_lists_fault(manifest, docs)
        if fault:  # cannot happen: the same rule computed the record; never write what load would refuse
            raise RuntimeError(f"the collected snapshot breaks its own rule: {fault}")
        retried = Counter(self.f.calls.retries)
        if retried:  # throttling and transient errors that botocore retried (absent: none)
            manifest["retries"] = {f"{svc}:{op}": n for (svc, op), n in sorted(retried.items())}
        errors = sorted(self.errors, key=lambda e: tuple(str(e.get(k) or "") for k in
                                                        ("account_id", "region", "service", "operation")))
        organization.setdefault("DelegatedAdministrators", [])
        organization.setdefault("EnabledServicePrincipals", None)
        with SnapshotWriter(self.o.out) as w:
            w.write("organization.json", organization)
            rcps["Policies"] = sorted(rcps.get("Policies") or [], key=lambda p: p["PolicySummary"]["Id"])
            w.write("policies.json", {"Policies": sorted(policies, key=lambda p: p["PolicySummary"]["Id"]),
                                      "ResourceControlPolicies": rcps})
            w.write("guardduty.json", {"OrganizationAdminAccounts": admins})
            for aid, doc in docs.items():
                w.write(f"accounts/{aid}.json", doc)
            if access is not None:  # absent when not asked for
                w.write("access_reports.json", access)
            w.write("errors.json", {"Errors": errors})
            return w.commit(manifest)

    def _calls(self, workers: "_WorkerPool | None") -> int:
        return self.f.calls.total + (workers.calls if workers is not None else 0)

    def _error_count(self, workers: "_WorkerPool | None") -> int:
        return len(self.errors) + (workers.errors if workers is not None else 0)

    def _shares(self, accounts: list[str]) -> list[list[str]]:
        """The accounts split among worker processes (round robin), or one share (threads in this process)."""
        n = self.o.processes
        if n is None:
            n = 1
            if len(accounts) >= PROCESS_MIN_ACCOUNTS and _can_fork():
                n = max(1, min(os.cpu_count() or 1, 4, len(accounts) // PROCESS_SHARE))
        n = max(1, min(n, len(accounts))) if accounts else 1
        if n > 1 and not _can_fork():
            n = 1
        return [accounts[i::n] for i in range(n)]

    def _account_chain(self, sched: _Scheduler, gates: _Gates, aid: str, doc: dict, regions: list[str],
                       done: Callable[[], None], after_regions: Callable[[bool], None] | None = None) -> None:
        """One account, step after step: access, regions, CloudTrail; then its GuardDuty regions (each behind its
        region's gate). ``done`` is called when the account's last task ends."""
        left = [0]
        lock = threading.Lock()

        def finished() -> None:
            with lock:
                left[0] -= 1
                last = left[0] == 0
            if last:
                done()

        def first() -> None:
            try:
                ok = self.account_access(aid, doc)
                self.account_regions(aid, doc, ok)
                if after_regions is not None:
                    after_regions(ok)
                if ok:
                    self.account_cloudtrail(aid, doc)
                    self.account_buckets(aid, doc)
                else:
                    doc["CloudTrail"] = {"ListTrails": None, "Trails": {}}
                    doc["S3"] = {"Buckets": None, "Error": None}
                mine = [reg for reg in regions if ok and _enabled(doc, reg) and (aid, reg) not in self._admin_done]
                lake = [reg for reg in regions if ok and _enabled(doc, reg)]
                with lock:
                    left[0] += len(mine) + len(lake)
                for reg in lake:
                    sched.submit(1, aid, lambda reg=reg: _lake(reg))
                for reg in mine:
                    gates.when_open(reg, 1, aid, lambda vouched, reg=reg: _region(reg, vouched))
            finally:
                finished()

        def _lake(reg: str) -> None:
            try:
                self.account_lake(aid, reg, doc["CloudTrail"])
            finally:
                finished()

        def _region(reg: str, vouched: dict | None) -> None:
            try:
                self.guardduty_region(aid, reg, doc["GuardDuty"], vouched)
            finally:
                finished()

        left[0] = 1
        sched.submit(2, aid, first)

    _admin_done: frozenset = frozenset()

    def _admin_gates(self, sched: _Scheduler, gates: _Gates, admin_pairs: set[tuple[str, str]], targets: set[str],
                     regions: list[str], docs: dict[str, dict], workers: "_WorkerPool | None") -> None:
        """Open each region's gate once the administrators' views of it are read (or cannot be)."""
        waiting: Counter = Counter(reg for _, reg in admin_pairs)
        lock = threading.Lock()

        def settle(reg: str) -> None:
            with lock:
                waiting[reg] -= 1
                ready = waiting[reg] == 0
            if ready:
                open_region(reg)

        def open_region(reg: str) -> None:
            members: dict[str, dict] = {}
            for adm, r in sorted(admin_pairs):
                if r != reg:
                    continue
                for m in docs[adm]["GuardDuty"].get(reg, {}).get("Members") or []:
                    if m.get("RelationshipStatus") == "Enabled":
                        members.setdefault(m["AccountId"], m)
            gates.open(reg, members)
            if workers is not None:
                workers.open(reg, members)

        by_admin: dict[str, list[str]] = defaultdict(list)
        for adm, reg in sorted(admin_pairs):
            by_admin[adm].append(reg)

        self._after_regions: dict[str, Callable[[bool], None]] = {}
        for adm, regs in by_admin.items():
            def after(ok: bool, adm: str = adm, regs: list[str] = regs) -> None:
                for reg in regs:
                    if ok and _enabled(docs[adm], reg):
                        def view(reg: str = reg) -> None:
                            try:
                                self.guardduty_admin_view(adm, reg, docs[adm]["GuardDuty"])
                            finally:
                                settle(reg)
                        sched.submit(0, None, view)
                    else:
                        settle(reg)
            self._after_regions[adm] = after
            if adm not in targets:  # suspended or closed: its view is not read
                after(False)
        for reg in regions:
            if not waiting[reg]:
                open_region(reg)

def rcp_enabled(organization: dict) -> bool | None:
    """Whether the RESOURCE_CONTROL_POLICY type is enabled at the root (None: the root does not say)."""
    roots = organization.get("Roots") or []
    if not roots or any("PolicyTypes" not in r for r in roots):
        return None
    return any(t.get("Type") == "RESOURCE_CONTROL_POLICY" and t.get("Status") == "ENABLED"
               for r in roots for t in r.get("PolicyTypes") or [])


def _enabled(doc: dict, region: str) -> bool:
    regs = doc.get("Regions")
    if regs is None:
        return True  # unknown: ask, and let the answer (or its error) tell
    return any(r["RegionName"] == region and r.get("RegionOptStatus") in ENABLED_OPT for r in regs)


def _can_fork() -> bool:
    """Worker processes are forked (they inherit the session and the read-only guard): Linux only."""
    import multiprocessing

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


class _WorkerPool:
    """Worker processes, each collecting a share of the accounts with its own threads, clients and interpreter.

    Forked from the collector while no other thread of it runs; each worker keeps the parent's session factory
    (and so its read-only guard and deadline) but makes its own clients. Messages over one pipe per worker: the
    parent sends each region's vouched GuardDuty members as they become known; the worker sends a tick per account
    done and, at the end, its accounts' documents, its errors and its call counts. A worker ignores Ctrl-C: the
    parent, interrupted, kills the workers and returns at once.
    """

    def __init__(self, collector: Collector, shares: list[list[str]], regions: list[str], docs: dict[str, dict]):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.c = collector
        self.shares = shares
        self.docs = docs
        self.calls = 0
        self.errors = 0
        self._ticks: list[tuple[int, int]] = [(0, 0)] * len(shares)
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._results: list[tuple | None] = [None] * len(shares)
        self._failure: str | None = None
        self._threads: list[threading.Thread] = []
        self.conns = []
        self.procs = []
        per = max(8, collector.o.workers // len(shares))
        for share in shares:
            parent_end, child_end = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, args=(collector, share, regions, docs, child_end, per),
                               daemon=True, name="orgkit-collect")
            proc.start()
            child_end.close()
            self.conns.append(parent_end)
            self.procs.append(proc)

    def start_listening(self, gates: _Gates) -> None:
        for i, conn in enumerate(self.conns):
            t = threading.Thread(target=self._listen, args=(i, conn), daemon=True, name=f"orgkit-listen-{i}")
            t.start()
            self._threads.append(t)

    def _listen(self, i: int, conn: Any) -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                with self._lock:
                    if self._results[i] is None and self._failure is None:
                        self._failure = f"worker process {i} stopped without handing back its accounts"
                return
            kind = msg[0]
            if kind == "tick":
                with self._lock:
                    self._ticks[i] = (msg[1], msg[2])
                    self.calls = sum(t[0] for t in self._ticks)
                    self.errors = sum(t[1] for t in self._ticks)
                self.c.progress.step(self.c._calls(self), self.c._error_count(self))
            elif kind == "done":
                with self._lock:
                    self._results[i] = msg[1:]
                return
            elif kind == "failed":
                with self._lock:
                    self._failure = f"worker process {i} failed:\n{msg[1]}"
                return

    def open(self, region: str, members: dict[str, dict]) -> None:
        with self._send_lock:  # regions open from several threads: one message at a time on each pipe
            for share, conn in zip(self.shares, self.conns):
                mine = set(share)
                try:
                    conn.send(("open", region, {a: m for a, m in members.items() if a in mine}))
                except (OSError, ValueError):
                    pass  # a worker that is gone is reported by its listener

    def check(self) -> None:
        with self._lock:
            failure = self._failure
        if failure is not None:
            raise CollectorFailed(failure)

    def join(self) -> None:
        """Wait for every worker's accounts (interruptible), then merge them into this run. A worker that has not
        answered well after the deadline (its calls are bounded by their timeouts) is taken as failed."""
        f = self.c.f
        hard_stop = None
        if f.deadline is not None:
            hard_stop = f.deadline + 2 * f.call_timeout * 8 + 60
        while True:
            self.check()
            if hard_stop is not None and time.monotonic() > hard_stop:
                self.kill()
                raise CollectorFailed("a worker process did not hand back its accounts after the deadline")
            with self._lock:
                if all(r is not None for r in self._results):
                    break
            time.sleep(0.05)
        for docs, errors, counts, retries in self._results:  # type: ignore[misc]
            self.docs.update(docs)
            self.c.errors.extend(errors)
            self.c.f.calls.merge(counts, retries)
        self.calls = self.errors = 0
        for p in self.procs:
            p.join(5)

    def kill(self) -> None:
        for p in self.procs:
            if p.is_alive():
                p.kill()


def _worker_main(c: Collector, share: list[str], regions: list[str], docs: dict[str, dict], conn: Any,
                 workers: int) -> None:
    """A forked worker process: collect ``share`` and hand it back over ``conn``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it kills us when interrupted
    send_lock = threading.Lock()

    def send(msg: tuple) -> None:
        with send_lock:
            conn.send(msg)

    try:
        c.f.reset_after_fork()
        c.errors, c._elock, c.progress = [], threading.Lock(), _Progress(False)
        sched = _Scheduler(workers)
        gates = _Gates(sched.submit)

        opened = threading.Event()
        gone = []

        def listen() -> None:
            while True:
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    gone.append(True)
                    opened.set()
                    return
                if msg[0] == "open":
                    gates.open(msg[1], msg[2])
                    if set(gates.vouched) >= set(regions):
                        opened.set()
                        return

        threading.Thread(target=listen, daemon=True, name="orgkit-gates").start()
        for aid in share:
            c._account_chain(sched, gates, aid, docs[aid], regions,
                             done=lambda: send(("tick", c.f.calls.total, len(c.errors))))
        opened.wait()  # every region's gate open: no task is left parked when the scheduler runs dry
        if gone:
            raise CollectorFailed("the collector's parent process went away")
        sched.wait()
        send(("done", {aid: docs[aid] for aid in share}, c.errors, c.f.calls.counts, c.f.calls.retries))
    except BaseException:  # noqa: BLE001  (handed to the parent, which raises CollectorFailed)
        send(("failed", traceback.format_exc()))


def default_regions(factory: SessionFactory) -> list[str]:
    """Every region where both GuardDuty and CloudTrail exist in the caller's partition (botocore's endpoint data)."""
    s = factory.base
    gd = set(s.get_available_regions("guardduty", partition_name=factory.partition))
    ct = set(s.get_available_regions("cloudtrail", partition_name=factory.partition))
    return sorted(gd & ct)


def collect(out: str | Path, *, profile: str | None = None, endpoint_url: str | None = None,
            role_name: str = "OrganizationAccountAccessRole", regions: list[str] | None = None,
            accounts: list[str] | None = None, member_roles: bool = True, workers: int = DEFAULT_WORKERS,
            progress: bool | str = True, collected_at: _dt.datetime | None = None,
            factory: SessionFactory | None = None, call_timeout: float = DEFAULT_CALL_TIMEOUT,
            deadline: float | None = DEFAULT_DEADLINE, processes: int | None = None,
            access_reports: bool = False) -> Path:
    """Collect the organization that the caller's credentials manage into the snapshot directory ``out``.

    ``call_timeout``: seconds each call may wait for an answer (connect and read timeouts; a timed-out call is
    retried like a throttled one, then recorded as a failure). ``deadline``: seconds for the whole run; calls not
    yet made when it passes are not sent and are recorded as failures (``DeadlineExceeded``), so their cells are
    ``unknown``; None or 0: no deadline. ``processes``: worker processes (None: decided by the organisation's
    size and the machine's cores; 1: threads only). ``access_reports``: also IAM's Organizations access reports
    (service last accessed data) for the root, every OU and every account collected, into ``access_reports.json``
    (off by default: one report job per entity, each taking time). ``progress``: a progress bar on stderr; a
    string turns it on and labels it (``snapshot-later: accounts [###...]``).
    """
    from orgkit.aws.regions import check_regions

    check_regions(regions)  # a misspelled region is an error before any call (UnknownRegion, a ValueError)
    factory = factory or SessionFactory(profile=profile, endpoint_url=endpoint_url, role_name=role_name,
                                        max_pool=max(10, workers + 4), call_timeout=call_timeout)
    opts = CollectOptions(out=Path(out), regions=regions, accounts=accounts, member_roles=member_roles,
                          workers=workers, progress=progress, collected_at=collected_at, deadline=deadline,
                          processes=processes, access_reports=access_reports)
    return Collector(factory, opts).run()
