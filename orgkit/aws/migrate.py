"""Carry out a GuardDuty migration plan (:mod:`orgkit.guardduty`): the only code in orgkit that writes to AWS.

    from orgkit.aws.migrate import execute
    result = execute(plan, SessionFactory(allow_writes=True), journal_path="gd-journal.json", dry_run=False)

For every step, in the plan's order: re-read the live state with the step's check (read calls only); if it is
already done the step is ``skipped``; otherwise make the call (only for what is still missing: CreateMembers for
the accounts not yet members, …) and mark it ``done``. The first failure stops the run: the journal (JSON, written
after every step, atomically) holds every step's state (``pending``, ``done``, ``skipped``, ``failed`` with the
error code and message). Running again with the same journal resumes: steps already ``done``/``skipped`` are not
repeated (``verify`` is always re-run). Because each step checks before it acts, a second run changes nothing.

``dry_run=True`` makes only the read calls (give it a ``SessionFactory(allow_writes=False)``: any write would be
refused before it is signed) and reports which steps would run.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from orgkit.aws.session import SessionFactory, error_code, error_message, is_read_only
from orgkit.guardduty.plan import ASSOCIATED, MigrationPlan, Step

AWS_ERRORS = (ClientError, BotoCoreError)
STATUSES = ("pending", "done", "skipped", "failed")
#: in a dry run these answers only mean that an earlier step has not run yet (no detector, not yet the
#: delegated administrator, members missing): the step is reported as pending, not failed
DRY_RUN_EXPECTED = ("VerificationFailed", "NoDetector", "BadRequestException")
BATCH = 50  # CreateMembers / GetMembers / DisassociateMembers take at most 50 accounts


class MigrationError(RuntimeError):
    """The migration cannot start (wrong caller, blocked plan, journal of another plan)."""


class JournalError(MigrationError):
    """The journal file cannot be used: unreadable, of another plan, or not the record of this plan's steps."""


# ----------------------------------------------------------------------------------------------- journal
@dataclass
class StepRecord:
    step_id: str
    region: str
    kind: str
    account_id: str | None
    api: str | None
    status: str = "pending"
    error_code: str | None = None
    message: str | None = None
    calls: list[dict] = field(default_factory=list)  # the write calls made (operation and parameters)
    at: str | None = None


@dataclass
class Journal:
    path: Path | None
    plan_id: str
    admin_account_id: str
    steps: list[StepRecord]
    runs: list[dict] = field(default_factory=list)

    @classmethod
    def for_plan(cls, plan: MigrationPlan, steps: list[Step], path: Path | None) -> "Journal":
        return cls(path=path, plan_id=plan.plan_id, admin_account_id=plan.target.admin_account_id,
                   steps=[StepRecord(s.step_id, s.region, s.kind, s.account_id, s.api) for s in steps])

    @classmethod
    def load(cls, path: Path) -> "Journal":
        try:
            d = json.loads(Path(path).read_text())
            j = cls(path=Path(path), plan_id=d["plan_id"], admin_account_id=d["admin_account_id"],
                    steps=[StepRecord(**s) for s in d["steps"]], runs=d.get("runs") or [])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise JournalError(f"{path}: not a readable migration journal ({type(e).__name__}: {e}); move it "
                               "aside to start again") from None
        if not isinstance(j.runs, list):
            raise JournalError(f"{path}: its record of runs is not a list (edited?); move it aside to start again")
        bad = [r.step_id for r in j.steps if r.status not in STATUSES]
        if bad:
            raise JournalError(f"{path}: step {bad[0]} has an unknown status (edited?); move it aside to start "
                               "again")
        return j

    def check_steps(self, plan: MigrationPlan) -> None:
        """The journal must record exactly this plan's steps (a plan id alone can be copied by hand)."""
        want = [s.step_id for s in plan.steps]
        have = [r.step_id for r in self.steps]
        if have != want:
            missing = [s for s in want if s not in set(have)]
            extra = [s for s in have if s not in set(want)]
            what = (f"lacks step {missing[0]}" + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
                    if missing else f"has step {extra[0]} that the plan has not" if extra
                    else "lists the steps out of order or twice")
            raise JournalError(f"{self.path}: the journal of this plan {what} (edited or truncated?): move it aside "
                               "to start again (each step checks the live state first, so nothing is done twice)")

    def record(self, step_id: str) -> StepRecord:
        return next(r for r in self.steps if r.step_id == step_id)

    def to_dict(self) -> dict:
        return {"plan_id": self.plan_id, "admin_account_id": self.admin_account_id,
                "runs": self.runs, "steps": [asdict(r) for r in self.steps]}

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(self.to_dict(), fh, indent=1)
                fh.write("\n")
            os.replace(tmp, self.path)
        except BaseException:  # Ctrl-C mid-write: the journal on disk stays the previous, whole one
            Path(tmp).unlink(missing_ok=True)
            raise

    def frame(self) -> pd.DataFrame:
        cols = ["step_id", "region", "kind", "account_id", "api", "status", "error_code", "message"]
        return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in self.steps], columns=cols)


@dataclass
class RunResult:
    journal: Journal
    dry_run: bool
    stopped_at: str | None  # the step that failed
    read_calls: int
    write_calls: int  # write calls counted by the factory's botocore hook
    writes: list[tuple[str, str, str]] = field(default_factory=list)  # (account, region, operation) issued
    would_run: list[str] = field(default_factory=list)  # dry run: steps not done yet
    after_snapshot: Path | None = None
    before_after: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        return self.stopped_at is None

    def frame(self) -> pd.DataFrame:
        return self.journal.frame()


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------------------------- live reads
class _Live:
    """The read and write calls of the steps, through one SessionFactory."""

    def __init__(self, plan: MigrationPlan, factory: SessionFactory):
        self.plan = plan
        self.f = factory
        self.writes: list[dict] = []

    def gd(self, account: str, region: str) -> Any:
        return self.f.client(account, "guardduty", region)

    def detector(self, account: str, region: str) -> tuple[str | None, str | None]:
        """(detector id, status) of the account's detector in the region, or (None, None)."""
        gd = self.gd(account, region)
        ids = gd.list_detectors().get("DetectorIds") or []
        if not ids:
            return None, None
        return ids[0], gd.get_detector(DetectorId=ids[0]).get("Status")

    def members(self, account: str, region: str, detector_id: str, accounts: list[str]) -> dict[str, dict]:
        gd = self.gd(account, region)
        out: dict[str, dict] = {}
        for i in range(0, len(accounts), BATCH):
            r = gd.get_members(DetectorId=detector_id, AccountIds=accounts[i:i + BATCH])
            for m in r.get("Members") or []:
                out[m["AccountId"]] = m
        return out

    def org_admins(self, region: str) -> list[dict]:
        gd = self.gd(self.plan.management_account_id, region)
        out: list[dict] = []
        for page in gd.get_paginator("list_organization_admin_accounts").paginate():
            out.extend(page.get("AdminAccounts") or [])
        return out

    def org_config(self, admin: str, region: str, detector_id: str) -> dict:
        return self.gd(admin, region).describe_organization_configuration(DetectorId=detector_id)

    def write(self, account: str, region: str, operation: str, **params: Any) -> dict:
        client = self.gd(account, region)
        method = getattr(client, _snake(operation))
        self.writes.append({"account_id": account, "region": region, "operation": operation, "params": params})
        return method(**params)


def _snake(op: str) -> str:
    out = ""
    for i, ch in enumerate(op):
        out += ("_" + ch.lower()) if ch.isupper() and i else ch.lower()
    return out


class StepFailed(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# each handler: (live, step, apply) -> (already_done, message). With apply=False it only reads.
def _designate(live: _Live, st: Step, apply: bool) -> tuple[bool, str]:
    admin = st.params["AdminAccountId"]
    current = {a["AdminAccountId"]: a.get("AdminStatus") for a in live.org_admins(st.region)}
    if current.get(admin) == "ENABLED":
        return True, f"{admin} is already the delegated administrator in {st.region}"
    others = [a for a, s in current.items() if a != admin and s == "ENABLED"]
    if others:
        raise StepFailed("OtherDelegatedAdmin", f"{', '.join(others)} is the delegated administrator in "
                                                f"{st.region}: not changing it")
    if apply:
        live.write(st.account_id, st.region, st.operation, AdminAccountId=admin)
    return False, f"EnableOrganizationAdminAccount(AdminAccountId={admin})"


def _enable_detector(live: _Live, st: Step, apply: bool) -> tuple[bool, str]:
    """The calling account's own detector, created or re-enabled (the admin's; the management account's before it
    is added as a member)."""
    did, status = live.detector(st.account_id, st.region)
    if did and status == "ENABLED":
        return True, f"detector {did} is enabled"
    if apply:
        if did:
            live.write(st.account_id, st.region, "UpdateDetector", DetectorId=did, Enable=True)
        else:
            live.write(st.account_id, st.region, "CreateDetector", Enable=True)
    return False, f"UpdateDetector({did}, Enable=True)" if did else "CreateDetector(Enable=True)"


def _need_detector(live: _Live, account: str, region: str) -> str:
    did, _ = live.detector(account, region)
    if not did:
        raise StepFailed("NoDetector", f"{account} has no GuardDuty detector in {region}")
    return did


def _disassociate(live: _Live, st: Step, apply: bool) -> tuple[bool, str]:
    if st.operation == "DisassociateFromAdministratorAccount":
        return _leave(live, st, apply)
    did, _ = live.detector(st.account_id, st.region)
    if not did:
        return True, f"{st.account_id} has no detector in {st.region}: it administers nobody there"
    found = live.members(st.account_id, st.region, did, st.accounts)
    still = sorted(a for a, m in found.items() if m.get("RelationshipStatus") in ASSOCIATED)
    if not still:
        return True, f"none of {len(st.accounts)} accounts is still associated with {st.account_id}"
    if apply:
        for i in range(0, len(still), BATCH):
            r = live.write(st.account_id, st.region, "DisassociateMembers", DetectorId=did,
                           AccountIds=still[i:i + BATCH])
            _unprocessed(r)
    return False, f"DisassociateMembers({len(still)} accounts)"


def _leave(live: _Live, st: Step, apply: bool) -> tuple[bool, str]:
    """The member leaves an administrator outside the organisation itself."""
    did, _ = live.detector(st.account_id, st.region)
    if not did:
        return True, f"{st.account_id} has no detector in {st.region}"
    adm = live.gd(st.account_id, st.region).get_administrator_account(DetectorId=did).get("Administrator") or {}
    if adm.get("AccountId") != st.other_admin or adm.get("RelationshipStatus") not in ASSOCIATED:
        return True, f"{st.account_id} is not associated with {st.other_admin}"
    if apply:
        live.write(st.account_id, st.region, "DisassociateFromAdministratorAccount", DetectorId=did)
    return False, f"DisassociateFromAdministratorAccount in {st.account_id} (leaves {st.other_admin})"


def _unprocessed(resp: dict) -> None:
    un = resp.get("UnprocessedAccounts") or []
    if un:
        raise StepFailed("UnprocessedAccounts",
                         "; ".join(f"{u.get('AccountId')}: {u.get('Result')}" for u in un))


def _enrol(live: _Live, st: Step, apply: bool) -> tuple[bool, str]:
    if not st.accounts:
        return True, "no account to enrol"
    did = _need_detector(live, st.account_id, st.region)
    found = live.members(st.account_id, st.region, did, st.accounts)
    missing = [a for a in st.accounts if (found.get(a) or {}).get("RelationshipStatus") not in ASSOCIATED]
    if not missing:
        return True, f"all {len(st.accounts)} accounts are members"
    if apply:
        emails = {d["AccountId"]: d.get("Email") for d in st.params.get("AccountDetails") or []}
        emails.update({a: m.get("Email") for a, m in found.items() if m.get("Email")})
        for i in range(0, len(missing), BATCH):
            details = [{"AccountId": a, "Email": emails.get(a) or f"{a}@invalid.example"}
                       for a in missing[i:i + BATCH]]
            _unprocessed(live.write(st.account_id, st.region, "CreateMembers", DetectorId=did,
                                    AccountDetails=details))
    return False, f"CreateMembers({', '.join(missing)})"


def _start_monitoring(live: _Live, st: Step, apply: bool) -> tuple[bool, str]:
    did = _need_detector(live, st.account_id, st.region)
    found = live.members(st.account_id, st.region, did, st.accounts)
    stopped = [a for a in st.accounts if (found.get(a) or {}).get("RelationshipStatus") == "Disabled"]
    if not stopped:
        return True, "monitoring is on for every account of the step"
    if apply:
        for i in range(0, len(stopped), BATCH):
            _unprocessed(live.write(st.account_id, st.region, "StartMonitoringMembers", DetectorId=did,
                                    AccountIds=stopped[i:i + BATCH]))
    return False, f"StartMonitoringMembers({', '.join(stopped)})"


def _auto_enable(live: _Live, st: Step, apply: bool) -> tuple[bool, str]:
    did = _need_detector(live, st.account_id, st.region)
    mode = st.params["AutoEnableOrganizationMembers"]
    cur = live.org_config(st.account_id, st.region, did).get("AutoEnableOrganizationMembers")
    if cur == mode:
        return True, f"auto-enable is {mode}"
    if apply:
        live.write(st.account_id, st.region, "UpdateOrganizationConfiguration", DetectorId=did,
                   AutoEnableOrganizationMembers=mode)
    return False, f"auto-enable {cur} → {mode}"


def _features(live: _Live, st: Step, apply: bool) -> tuple[bool, str]:
    did = _need_detector(live, st.account_id, st.region)
    # a feature and, for Runtime Monitoring, its AdditionalConfiguration (automated agent management)
    want = {f["Name"]: f["AutoEnable"] for f in st.params["Features"]}
    want_add = {(f["Name"], a["Name"]): a["AutoEnable"] for f in st.params["Features"]
                for a in f.get("AdditionalConfiguration") or []}
    cfg = live.org_config(st.account_id, st.region, did)
    cur = {f.get("Name"): f.get("AutoEnable") for f in cfg.get("Features") or []}
    cur_add = {(f.get("Name"), a.get("Name")): a.get("AutoEnable") for f in cfg.get("Features") or []
               for a in f.get("AdditionalConfiguration") or []}
    off = sorted(n for n, v in want.items() if cur.get(n) != v) + \
        sorted(f"{n}/{a}" for (n, a), v in want_add.items() if cur_add.get((n, a)) != v)
    if not off:
        return True, "features already set"
    if apply:
        live.write(st.account_id, st.region, "UpdateOrganizationConfiguration", DetectorId=did,
                   AutoEnableOrganizationMembers=st.params["AutoEnableOrganizationMembers"],
                   Features=[f for f in sorted(st.params["Features"], key=lambda f: f["Name"])])
    return False, f"features to set: {', '.join(off)}"


def _resume(live: _Live, st: Step, apply: bool) -> tuple[bool, str]:
    did, status = live.detector(st.account_id, st.region)
    if not did:
        raise StepFailed("NoDetector", f"{st.account_id} has no detector in {st.region}")
    if status == "ENABLED":
        return True, f"detector {did} is enabled"
    if apply:
        live.write(st.account_id, st.region, "UpdateDetector", DetectorId=did, Enable=True)
    return False, f"UpdateDetector({did}, Enable=True)"


def _keep(live: _Live, st: Step, apply: bool) -> tuple[bool, str]:
    return True, "no call: " + (st.note or "accounts outside the organisation are left as they are")


def _verify(live: _Live, st: Step, apply: bool) -> tuple[bool, str]:
    plan, admin, region = live.plan, live.plan.target.admin_account_id, st.region
    problems = []
    admins = {a["AdminAccountId"]: a.get("AdminStatus") for a in live.org_admins(region)}
    if admins.get(admin) != "ENABLED":
        problems.append(f"{admin} is not the delegated administrator")
    did, status = live.detector(admin, region)
    if not did:
        problems.append("the admin has no detector")
    else:
        found = live.members(admin, region, did, st.accounts) if st.accounts else {}
        missing = [a for a in st.accounts if (found.get(a) or {}).get("RelationshipStatus") not in ASSOCIATED]
        if missing:
            problems.append(f"not members: {', '.join(missing)}")
        mode = live.org_config(admin, region, did).get("AutoEnableOrganizationMembers")
        want = plan.auto_enable_in(region)
        if mode != want:
            problems.append(f"auto-enable is {mode}, not {want}")
        # a member whose detector is suspended shows Disabled: the ones the plan re-enables must show Enabled
        # (auto-enable ALL re-enables the ones already members "within 24 hours": said, not failed)
        resumed = [r for r in plan.suspended if r["region"] == region and r["outcome"] == "re-enabled"]
        still = [r for r in resumed if (found.get(r["account_id"]) or {}).get("RelationshipStatus") != "Enabled"]
        if [r for r in still if r.get("by") != "auto-enable ALL"]:
            problems.append("detectors still suspended: " + ", ".join(r["account_id"] for r in still
                                                                      if r.get("by") != "auto-enable ALL"))
        later = [r["account_id"] for r in still if r.get("by") == "auto-enable ALL"]
    if problems:
        raise StepFailed("VerificationFailed", "; ".join(problems))
    return False, (f"verified: {len(st.accounts)} members, auto-enable {plan.auto_enable_in(region)}"
                   + (f"; still suspended until auto-enable ALL reaches them (up to 24 h): {', '.join(later)}"
                      if later else ""))


HANDLERS: dict[str, Callable[[_Live, Step, bool], tuple[bool, str]]] = {
    "designate_admin": _designate,
    "enable_admin_detector": _enable_detector,
    "enable_management_detector": _enable_detector,
    "disassociate_other_admin": _disassociate,
    "enrol_members": _enrol,
    "start_monitoring": _start_monitoring,
    "set_auto_enable": _auto_enable,
    "align_features": _features,
    "resume_suspended": _resume,
    "keep_external_members": _keep,
    "verify": _verify,
}


# ----------------------------------------------------------------------------------------------- the run
def execute(plan: MigrationPlan, factory: SessionFactory, *, journal_path: str | os.PathLike | None = None,
            dry_run: bool = True, regions: list[str] | None = None, allow_blocked: bool = False,
            recollect_to: str | os.PathLike | None = None, progress: Callable[[str], None] | None = None
            ) -> RunResult:
    """Carry out ``plan`` (``dry_run=False``) or only check it live (``dry_run=True``, read calls only).

    ``regions`` narrows the plan. A region with an error-level pre-flight finding is refused unless
    ``allow_blocked``. ``journal_path``: written after every step; if it exists and belongs to the same plan, the
    run resumes from it. ``recollect_to``: after a complete run, collect GuardDuty again (same factory, the plan's
    regions) into this snapshot directory and compare coverage before and after.
    """
    say = progress or (lambda s: None)
    steps = plan.steps_in(regions)
    if not steps:
        raise MigrationError("no step to run (check --regions)")
    blocked = sorted({s.region for s in steps} & set(plan.blocked_regions()))
    if blocked and not allow_blocked:
        raise MigrationError(f"pre-flight errors block {', '.join(blocked)}: fix them (see the plan's issues) "
                             "or leave those regions out")
    if not dry_run and not factory.allow_writes:
        raise MigrationError("applying a plan needs SessionFactory(allow_writes=True)")
    jpath = Path(journal_path) if journal_path else None
    journal: Journal
    if jpath is not None and jpath.exists() and not dry_run:
        journal = Journal.load(jpath)
        if journal.plan_id != plan.plan_id:
            raise JournalError(f"{jpath} is the journal of another plan ({journal.plan_id}, this one is "
                               f"{plan.plan_id}): use another journal file")
        journal.check_steps(plan)
        say(f"resuming from {jpath}")
    else:
        journal = Journal.for_plan(plan, plan.steps, None if dry_run else jpath)
    # the journal is checked first (above: no call made for a journal that cannot be used), then the caller
    ident = factory.identity()
    if ident["Account"] != plan.management_account_id:
        raise MigrationError(f"the credentials are for {ident['Account']}, not the management account "
                             f"{plan.management_account_id}: EnableOrganizationAdminAccount must come from it")
    wanted = {s.step_id for s in steps}
    live = _Live(plan, factory)
    total_before, writes_before = factory.calls.total, _write_count(factory)
    journal.runs.append({"started_at": _now(), "dry_run": dry_run, "regions": sorted({s.region for s in steps})})
    stopped = None
    would_run: list[str] = []
    for st in plan.steps:
        if st.step_id not in wanted:
            continue
        rec = journal.record(st.step_id)
        if not dry_run and rec.status in ("done", "skipped") and st.kind != "verify":
            say(f"{st.step_id}: {rec.status} in an earlier run")
            continue
        n_writes = len(live.writes)
        try:
            already, msg = HANDLERS[st.kind](live, st, not dry_run)
        except StepFailed as e:
            rec.status, rec.error_code, rec.message = "failed", e.code, e.message
            if dry_run and e.code in DRY_RUN_EXPECTED:
                rec.status, rec.message = "pending", f"not yet ({e.code}: {e.message})"
                would_run.append(st.step_id)
        except AWS_ERRORS as e:
            rec.status, rec.error_code, rec.message = "failed", error_code(e), error_message(e)
            if dry_run and rec.error_code in DRY_RUN_EXPECTED:
                rec.status, rec.message = "pending", f"not yet ({rec.error_code}: {rec.message})"
                would_run.append(st.step_id)
        except Exception as e:  # a bug: record it in the journal, then let it surface
            rec.status, rec.error_code, rec.message, rec.at = "failed", type(e).__name__, str(e), _now()
            journal.save()
            raise
        else:
            if dry_run:
                if st.kind == "verify":
                    already, msg = True, msg.replace("verified", "already verified", 1)
                rec.status = "skipped" if already else "pending"
                rec.message = msg if already else f"would run: {msg}"
                if not already:
                    would_run.append(st.step_id)
            else:
                rec.status = "skipped" if already else "done"
                rec.message, rec.error_code = msg, None
        rec.calls = [{k: v for k, v in w.items()} for w in live.writes[n_writes:]]
        rec.at = _now()
        say(f"{st.step_id}: {rec.status}" + (f" ({rec.error_code}: {rec.message})" if rec.status == "failed"
                                              else f" — {rec.message}"))
        journal.save()
        if rec.status == "failed":
            stopped = st.step_id
            break
    journal.runs[-1]["finished_at"] = _now()
    journal.runs[-1]["stopped_at"] = stopped
    journal.save()
    writes_made = _write_count(factory) - writes_before
    result = RunResult(journal=journal, dry_run=dry_run, stopped_at=stopped,
                       read_calls=factory.calls.total - total_before - writes_made, write_calls=writes_made,
                       writes=[(w["account_id"], w["region"], w["operation"]) for w in live.writes],
                       would_run=would_run)
    if stopped is None and not dry_run and recollect_to is not None:
        result.after_snapshot, result.before_after = recollect(plan, factory, recollect_to, steps)
    return result


def _write_count(factory: SessionFactory) -> int:
    return sum(n for (svc, op), n in factory.calls.counts.items() if not is_read_only(svc, op))


def recollect(plan: MigrationPlan, factory: SessionFactory, out: str | os.PathLike,
              steps: list[Step] | None = None) -> tuple[Path, pd.DataFrame]:
    """Collect again (same factory, the plan's regions) into ``out``; coverage status counts before and after."""
    from orgkit.aws.collect import collect
    from orgkit.coverage.guardduty import guardduty_coverage
    from orgkit.model import load

    regions = sorted({s.region for s in (steps or plan.steps)})
    path = collect(out, factory=factory, regions=regions, progress=False)
    after = guardduty_coverage(load(path))
    before = plan.current.coverage if plan.current is not None else None
    return path, before_after(before, after, regions)


def before_after(before: pd.DataFrame | None, after: pd.DataFrame, regions: list[str] | None = None
                 ) -> pd.DataFrame:
    """Coverage status counts per region, before and after: columns ``region, status, before, after``."""
    a = after.groupby(["region", "status"], observed=True).size().rename("after")
    if before is not None and len(before):
        b = before.groupby(["region", "status"], observed=True).size().rename("before")
        df = pd.concat([b, a], axis=1)
    else:
        df = a.to_frame()
        df.insert(0, "before", pd.NA)
    df = df.fillna(0).astype({"after": int}).reset_index()
    df.columns = ["region", "status", "before", "after"]
    df["region"] = df["region"].astype(str)
    df["status"] = df["status"].astype(str)
    if regions:
        df = df[df["region"].isin(regions)]
    df["before"] = df["before"].astype(int)
    return df.sort_values(["region", "status"]).reset_index(drop=True)


__all__ = ["execute", "recollect", "before_after", "Journal", "StepRecord", "RunResult", "MigrationError",
           "HANDLERS", "STATUSES"]
