"""The helpers behind notebooks/03-guardduty-migration.ipynb: display tables over a :class:`MigrationPlan`, and a
runbook that carries the plan out one step group at a time.

    from orgkit.guardduty import plan_migration
    from orgkit.guardduty.notebook import Runbook, invitation_arithmetic, plan_steps

    plan = plan_migration(org)
    invitation_arithmetic(org, plan)        # regions × (accounts − 1), sent / accepted / pending, per new account
    plan_steps(plan)                        # the plan, one row per step, parameters made short
    rb = Runbook(plan)                      # preview: from the snapshot, no AWS call at all
    rb.run("designate")                     # each step group; Runbook(plan, apply=True, ...) writes

``notebook_plan(org, admin=...)`` is ``plan_migration``, except that a snapshot with no GuardDuty administrator to
propose (and no ``admin`` given) gives a :class:`NoPlan` instead of an error: the helpers then show what they can
from the snapshot (today's coverage, administrators, ties) and a :class:`NotShown` note for the rest, so the
notebook runs to the end on any snapshot and says what it cannot show, and why.

The runbook has three modes. ``preview`` (the default) reads nothing but the plan: what each step would do, and
whether the snapshot says it is already done. ``live_check`` runs :func:`orgkit.aws.migrate.execute` with
``dry_run=True`` through a read-only session factory (read calls only). ``apply`` runs it with ``dry_run=False``
and a journal. A step group's cell runs every step of that group *and of the groups before it* (the journal makes
the steps already ``done``/``skipped`` free), region by region in the plan's order, so a skipped or failed earlier
cell is completed first, never overtaken. After a stop, the later groups refuse to run until the failed group's
cell has been run again successfully.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from orgkit.guardduty.plan import MigrationPlan, Step

#: keeps MathJax (JupyterLab typesets HTML outputs) off the text of names such as ``$\alpha$``
_NO_MATH = "class='mathjax_ignore tex2jax_ignore'"

__all__ = [
    "NoPlan",
    "NotShown",
    "notebook_plan",
    "scp_folded",
    "terraform_folded",
    "GROUP_TITLES",
    "STEP_GROUPS",
    "Folded",
    "GroupRun",
    "Runbook",
    "RunbookError",
    "group_of",
    "invitation_arithmetic",
    "issues_table",
    "plan_steps",
    "short_params",
    "status_table",
    "tie_summary",
    "verify_checks",
]

#: the runbook's step groups, in order: a group's cell runs its steps (and any earlier group's not done yet)
STEP_GROUPS: dict[str, tuple[str, ...]] = {
    "release": ("resume_suspended", "disassociate_other_admin"),
    "designate": ("designate_admin", "enable_admin_detector"),
    "configure": ("set_auto_enable", "align_features"),
    "enrol": ("enable_management_detector", "enrol_members", "start_monitoring", "keep_external_members"),
    "verify": ("verify",),
}
GROUP_TITLES = {
    "release": "Release members from their old administrators (and re-enable the suspended detectors they own)",
    "designate": "Designate the delegated administrator and enable its detector",
    "configure": "Set auto-enable and the protection plans (before enrolment: CreateMembers applies them)",
    "enrol": "Enrol the members (the management account's detector first)",
    "verify": "Verify",
}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def group_of(kind: str) -> str:
    return next(g for g, kinds in STEP_GROUPS.items() if kind in kinds)


class RunbookError(RuntimeError):
    """The runbook refuses to run a group (blocked plan, earlier stop, journal of another plan): says what to do."""

    def _repr_html_(self) -> str:
        return f"<div {_NO_MATH} style='color:#b2182b'><b>Not run:</b> {html.escape(str(self))}</div>"


class Folded:
    """Text shown folded in a ``<details>`` block (plain text for text front ends)."""

    def __init__(self, text: str, summary: str, open_: bool = False):
        self.text, self.summary, self.open = text, summary, open_

    def _repr_html_(self) -> str:
        return (f"<details{' open' if self.open else ''} {_NO_MATH}><summary>{html.escape(self.summary)}</summary>"
                f"<pre>{html.escape(self.text)}</pre></details>")

    def __repr__(self) -> str:
        return f"{self.summary}\n\n{self.text}"


class NotShown:
    """A cell's answer when the notebook has no plan: what is not shown, and why."""

    def __init__(self, what: str, why: str):
        self.what, self.why = what, why

    def _repr_html_(self) -> str:
        return (f"<div {_NO_MATH} style='border-left:4px solid #999;padding:4px 8px;color:#555'><b>Not shown:</b> "
                f"{html.escape(self.what)}. {html.escape(self.why)}</div>")

    def __repr__(self) -> str:
        return f"Not shown: {self.what}. {self.why}"


class NoPlan:
    """Stands in for a :class:`MigrationPlan` when none can be made from the snapshot as asked (no GuardDuty
    administrator to propose, and none given). ``current`` and ``regions`` are today's state, as a plan has them."""

    def __init__(self, org, reason: str, regions: Iterable[str] | None = None):
        from orgkit.guardduty.state import current_state

        self.reason = reason
        self.regions = list(regions or org.regions_requested)
        self.current = current_state(org, self.regions)

    def summary(self) -> str:
        return (f"No migration plan: {self.reason}. Shown below: GuardDuty today (coverage, administrators, member "
                "ties). Not shown: the invitation arithmetic, the plan, its pre-flight checks, its code and the "
                "runbook. Set ADMIN to the account that should become the delegated administrator and run the "
                "notebook again.")

    def suspended_outcomes(self) -> NotShown:
        return self.not_shown("what the plan does with each suspended detector")

    def not_shown(self, what: str) -> NotShown:
        return NotShown(what, f"There is no plan: {self.reason}; set ADMIN to plan one")

    def __repr__(self) -> str:
        return self.summary()


def notebook_plan(org, admin: str | None = None, **kwargs: Any):
    """:func:`orgkit.guardduty.plan_migration`, or a :class:`NoPlan` when the snapshot has no GuardDuty
    administrator to propose and ``admin`` is None (any other problem with the arguments still raises)."""
    from orgkit.guardduty.plan import plan_migration
    from orgkit.guardduty.state import default_admin, no_default_admin_message

    proposed, why = default_admin(org) if admin is None else (admin, "user")
    if proposed is None:
        reason = ("the snapshot has no GuardDuty administrator to propose (no invitation administrator, no delegated "
                  "administrator)" if why == "none" else no_default_admin_message(org, why))
        return NoPlan(org, reason + " and ADMIN is not set", kwargs.get("regions"))
    return plan_migration(org, admin=admin, **kwargs)


def terraform_folded(plan):
    """The plan's target as Terraform, folded (``plan.terraform()``)."""
    if isinstance(plan, NoPlan):
        return plan.not_shown("the Terraform of the target")
    text = plan.terraform()
    return Folded(text, f"Terraform: {len(text.splitlines())} lines")


def scp_folded(plan):
    """The member-protection SCP, folded (``plan.scp_text()``), with its size against the 5,120-character quota."""
    if isinstance(plan, NoPlan):
        return plan.not_shown("the member-protection SCP")
    text = plan.scp_text()
    return Folded(text, f"The member-protection SCP: {len(text)} of 5,120 characters")


def _styled(df: pd.DataFrame, uuid: str, caption: str | None = None, wrap: Iterable[str] = (), first=()):
    """A stable table (fixed uuid, no index, text left-aligned, status cells in the heatmaps' palette, missing
    values as one mark, regions unbroken, the ``wrap`` columns wrapped, the columns in the order given as many as fit
    the page, the rest folded below): :class:`orgkit.display.Table`."""
    from orgkit.display import Table

    return Table(df, columns=list(df.columns), uuid=uuid, caption=caption, wrap=wrap, first=first)


# ----------------------------------------------------------------------------------------------- today
def status_table(plan: MigrationPlan) -> pd.DataFrame:
    """Coverage status counts per region (today), with a total row and column."""
    t = plan.current.status_counts() if plan.current is not None else None
    if t is None or t.empty:
        return pd.DataFrame()
    t = t.reindex(plan.regions).fillna(0).astype(int)
    t.loc["total"] = t.sum()
    t["total"] = t.sum(axis=1)
    t.index.name = "region"
    return t


def invitation_arithmetic(org, plan: MigrationPlan) -> pd.DataFrame:
    """What the invitation model costs: one row per quantity (``value`` and ``how`` it is counted)."""
    if isinstance(plan, NoPlan):
        return plan.not_shown("the invitation arithmetic (it counts the memberships a plan expects)")
    c = plan.current.cost_summary
    cost = plan.current.invitation_cost
    accounts = org.accounts
    n_acc = int(accounts["status"].fillna("ACTIVE").eq("ACTIVE").sum())
    regions = plan.regions
    n_reg = len(regions)
    expected = sum(len(plan.expected_members.get(r, [])) for r in regions)

    def per_region(col: str) -> str:
        parts = [f"{r}: {int(v)}" for r, v in zip(cost["region"], cost[col]) if v]
        return ", ".join(parts) or "none"

    rows = [
        ("regions in scope", n_reg, ", ".join(regions)),
        ("active accounts in the organisation", n_acc, "one of them is the administrator"),
        ("invitations to cover every account", n_reg * (n_acc - 1),
         f"regions × (accounts − 1) = {n_reg} × {n_acc - 1}; each one accepted by its account"),
        ("memberships the plan expects", expected,
         ("less the regions an account has not enabled, and old administrators kept for members outside the "
          "organisation")),
        ("invitations sent (today)", c["invitations_sent"], per_region("invitations_sent")),
        ("accepted", c["invitations_accepted"], per_region("accepted")),
        ("pending (invited, never accepted)", c["invitations_pending"], per_region("pending")),
        ("sent to accounts outside the organisation", int(cost["outside_organization"].sum()),
         per_region("outside_organization")),
        ("invitations per new account, today", c["invitations_per_new_account"],
         (f"one per region in scope; {c['calls_per_new_account']} calls (CreateMembers and InviteMembers by the "
          "administrator, AcceptAdministratorInvitation by the account, in each region)")),
        ("invitations per new account, after", c["invitations_per_new_account_after"],
         f"auto-enable {plan.target.auto_enable}: "
         + ("new and existing accounts are enrolled by AWS" if plan.target.auto_enable == "ALL"
            else "new accounts are enrolled by AWS")),
    ]
    return pd.DataFrame(rows, columns=["quantity", "value", "how"]).set_index("quantity")


def tie_summary(plan: MigrationPlan) -> pd.DataFrame:
    """Members per (region, administrator, tie, in the organisation, relationship status), with their names."""
    t = plan.current.ties
    cols = ["region", "administrator_id", "tie", "in_organization", "relationship_status"]
    if t.empty:
        return pd.DataFrame(columns=[*cols, "members", "accounts"])
    t = t.assign(who=[n if isinstance(n, str) and n else a for a, n in zip(t["account_id"], t["account_name"])])
    g = t.groupby(cols, sort=False).agg(members=("account_id", "size"),
                                         accounts=("who", lambda s: ", ".join(sorted(s))))
    g = g.reset_index()
    g["region"] = pd.Categorical(g["region"], categories=plan.regions, ordered=True)
    return g.sort_values(cols, kind="stable").reset_index(drop=True).astype({"region": str})


# ----------------------------------------------------------------------------------------------- the plan
def short_params(params: dict, limit: int = 6) -> str:
    """Call parameters as ``Name=value`` text, lists of account details shortened to their ids."""
    out = []
    for k, v in params.items():
        if k == "AccountDetails":
            ids = [d["AccountId"] for d in v]
            v = ids if len(ids) <= limit else [*ids[:limit], f"… {len(ids) - limit} more"]
        elif k == "Features":
            v = [f"{f['Name']}:{f['AutoEnable']}" + "".join(f" + {a['Name']}:{a['AutoEnable']}"
                                                          for a in f.get("AdditionalConfiguration") or [])
                 for f in v]
        elif isinstance(v, list) and len(v) > limit:
            v = [*v[:limit], f"… {len(v) - limit} more"]
        out.append(f"{k}={', '.join(map(str, v)) if isinstance(v, list) else v}"
                   if not isinstance(v, list) else f"{k}=[{', '.join(map(str, v))}]")
    return "; ".join(out)


def _who(plan: MigrationPlan, account_id: str | None) -> str:
    if not account_id:
        return "—"
    name = plan.account_names.get(account_id)
    if account_id == plan.management_account_id:
        return f"{account_id} (management)"
    return f"{account_id} ({name})" if name else account_id


def plan_steps(plan: MigrationPlan, styled: bool = True):
    """The plan, one row per step in order: region, step, who calls, the call and its parameters, why, how it
    is checked, and its state in the snapshot (``to_do``, ``done_in_snapshot``, ``no_call``)."""
    if isinstance(plan, NoPlan):
        return plan.not_shown("the steps of the migration")
    t = plan.table()
    df = pd.DataFrame({
        "#": t["order"], "region": t["region"], "step": t["kind"],
        "calling account": [_who(plan, a) for a in t["account_id"]],
        "call": [a.split(":", 1)[1] if isinstance(a, str) else "(no call)" for a in t["api"]],
        "parameters": [short_params(p) for p in t["params"]],
        "why": t["why"], "checked by": t["check"], "state": t["state"],
        "blocked": t["blocked"],
    })
    if not styled:
        return df
    from orgkit.display import Table

    # the columns that fit a page first; why and how each step is checked fold below
    return Table(df, columns=["#", "region", "step", "calling account", "call", "parameters", "state", "blocked"],
                 uuid="gd-plan-steps", wrap=["parameters"], first=["#", "step", "state", "region", "call", "blocked"])


def issues_table(plan: MigrationPlan) -> pd.DataFrame:
    """Pre-flight findings, errors first; an empty frame says there are none."""
    if isinstance(plan, NoPlan):
        return plan.not_shown("the pre-flight checks")
    t = plan.issues_frame()
    if t.empty:
        return t
    t = t.assign(_o=t["severity"].map(SEVERITY_ORDER)).sort_values(["_o", "region", "check", "account_id"],
                                                                  kind="stable", na_position="first")
    return t.drop(columns=["_o", "step_id"]).reset_index(drop=True)


def verify_checks(plan: MigrationPlan) -> pd.DataFrame:
    """What the ``verify`` step reads back in each region, and today's coverage counts there."""
    if isinstance(plan, NoPlan):
        return plan.not_shown("what the verify step will check")
    counts = plan.current.status_counts() if plan.current is not None else None
    rows = []
    for st in plan.steps:
        if st.kind != "verify":
            continue
        today = ""
        if counts is not None and st.region in counts.index:
            today = ", ".join(f"{k} {int(v)}" for k, v in counts.loc[st.region].items() if v)
        rows.append({"region": st.region, "delegated administrator": _who(plan, plan.target.admin_account_id),
                     "expected members": len(st.accounts), "auto-enable": plan.target.auto_enable,
                     "checked by": st.check, "coverage today": today})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------- the runbook
@dataclass
class _GroupView(MigrationPlan):
    """The same plan (same steps, same plan_id, so the same journal), narrowed to some step kinds for
    :func:`orgkit.aws.migrate.execute`, which selects the steps to run with ``plan.steps_in(regions)``."""

    kinds: tuple[str, ...] = ()

    def steps_in(self, regions: Iterable[str] | None = None) -> list[Step]:
        return [s for s in super().steps_in(regions) if s.kind in self.kinds]


def _view(plan: MigrationPlan, kinds: Iterable[str]) -> _GroupView:
    return _GroupView(**{f.name: getattr(plan, f.name) for f in fields(MigrationPlan)}, kinds=tuple(kinds))


@dataclass
class GroupRun:
    """What one step group did (or would do): ``frame`` has a row per step of the group."""

    group: str
    mode: str  # preview | live_check | apply
    frame: pd.DataFrame
    stopped_at: str | None = None
    read_calls: int | None = None
    write_calls: int | None = None
    regions_left_out: list[str] = field(default_factory=list)
    before_after: pd.DataFrame | None = None
    after_snapshot: Path | None = None

    @property
    def ok(self) -> bool:
        return self.stopped_at is None

    def headline(self) -> str:
        n = self.frame["status"].value_counts()
        counts = ", ".join(f"{int(n[s])} {s}" for s in ("done", "pending", "skipped", "failed") if s in n)
        what = {"preview": "Preview from the snapshot, no AWS call (APPLY = False)",
                "live_check": "Dry run against live AWS: read calls only",
                "apply": "Applied"}[self.mode]
        line = f"{GROUP_TITLES[self.group]}: {what}. {counts or 'no step in this group'}."
        if self.read_calls is not None:
            line += f" {self.read_calls} read call(s), {self.write_calls} write call(s)."
        if self.regions_left_out:
            line += f" Left out (blocked by pre-flight errors): {', '.join(self.regions_left_out)}."
        if self.stopped_at:
            line += f" STOPPED at {self.stopped_at}: fix the cause, then run this cell again (the journal resumes)."
        return line

    def outcome(self) -> str:
        """``stopped`` (a step failed), ``pending`` (steps still to do or skipped), or ``done`` (nothing left)."""
        n = self.frame["status"].value_counts() if len(self.frame) else pd.Series(dtype=int)
        if self.stopped_at or n.get("failed", 0):
            return "stopped"
        return "pending" if n.get("pending", 0) else "done"

    def _repr_html_(self) -> str:
        # the palette's tiers, darkened for text; a word says the same for readers who do not see the colour
        colour, word = {"stopped": ("#CC3311", "Stopped"), "pending": ("#7A5C00", "Pending"),
                        "done": ("#225588", "Done")}[self.outcome()]
        table = _styled(self.frame, f"gd-run-{self.group}", wrap=["message", "expected"],
                        first=["step", "status", "message", "region", "call"]).to_html()
        return (f"<p {_NO_MATH} style='color:{colour}'><b>{word}. {html.escape(self.headline())}</b></p>{table}")

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", 80, "display.width", 200):
            return f"{self.headline()}\n{self.frame.to_string(index=False)}"


_RUN_COLS = ["region", "step", "calling account", "call", "status", "message", "expected"]


class Runbook:
    """Carries ``plan`` out one step group at a time (see the module docstring for the three modes).

    ``apply=True`` needs the management account's credentials (``profile``, or the environment) and writes the
    journal to ``journal``; ``live_check=True`` only reads. The session factory is made on the first run that
    needs one, never in preview. ``recollect_to`` (apply): where the ``verify`` group collects GuardDuty again
    (default: the journal's path + ``-after``).
    """

    def __init__(self, plan: MigrationPlan, *, apply: bool = False, live_check: bool = False,
                 profile: str | None = None, endpoint_url: str | None = None, journal: str | Path | None = None,
                 role_name: str | None = None, recollect_to: str | Path | None = None, factory: Any = None):
        if apply and not journal and not isinstance(plan, NoPlan):
            raise RunbookError("applying needs a journal file (JOURNAL): it is how a stopped run resumes")
        self.plan = plan
        if isinstance(plan, NoPlan):  # nothing to run: every cell says so
            self.mode, self.runs, self.stopped, self.journal = "no plan", {}, None, None
            return
        self.mode = "apply" if apply else ("live_check" if live_check else "preview")
        self.profile, self.endpoint_url, self.role_name = profile, endpoint_url, role_name or plan.target.role_name
        self.journal = Path(journal) if journal else None
        self.recollect_to = Path(recollect_to) if recollect_to else (
            self.journal.with_name(self.journal.name + "-after") if self.journal else None)
        self._factory = factory
        self.stopped: tuple[str, str] | None = None  # (group, step_id) of the last stop
        self.runs: dict[str, GroupRun] = {}

    # -- what the runbook will run -----------------------------------------------------------------------------
    def regions(self) -> tuple[list[str], list[str]]:
        """(regions to run, regions left out because a pre-flight error blocks them)."""
        blocked = set(self.plan.blocked_regions())
        return [r for r in self.plan.regions if r not in blocked], [r for r in self.plan.regions if r in blocked]

    def steps(self, group: str) -> list[Step]:
        kinds = STEP_GROUPS[group]
        ok, _ = self.regions()
        return [s for s in self.plan.steps if s.kind in kinds and s.region in ok]

    def factory(self):
        if self.mode == "preview":
            raise RunbookError("preview mode makes no AWS call: set APPLY = True (or a live check) to use AWS")
        if self._factory is None:
            from orgkit.aws.session import SessionFactory

            self._factory = SessionFactory(profile=self.profile, endpoint_url=self.endpoint_url,
                                           role_name=self.role_name, allow_writes=self.mode == "apply")
        return self._factory

    # -- running a group ---------------------------------------------------------------------------------------
    def run(self, group: str) -> GroupRun:
        if isinstance(self.plan, NoPlan):
            return self.plan.not_shown(f"step group {group!r} of the runbook")
        if group not in STEP_GROUPS:
            raise RunbookError(f"unknown step group {group!r}: one of {', '.join(STEP_GROUPS)}")
        names = list(STEP_GROUPS)
        if self.stopped and names.index(self.stopped[0]) < names.index(group):
            raise RunbookError(f"the run stopped at {self.stopped[1]} (group {self.stopped[0]!r}): fix the cause "
                               f"and run that group's cell again before this one")
        ok, left_out = self.regions()
        if not ok:
            raise RunbookError(f"pre-flight errors block every region ({', '.join(left_out)}): see 'What could "
                               "make a step fail?'")
        if self.mode == "preview":
            r = GroupRun(group, "preview", self._preview(group), regions_left_out=left_out)
        else:
            r = self._execute(group, ok, left_out)
        if r.stopped_at:
            self.stopped = (group, r.stopped_at)
        elif self.stopped and self.stopped[0] == group:
            self.stopped = None
        self.runs[group] = r
        return r

    def _row(self, st: Step, status: str, message: str) -> dict:
        return {"region": st.region, "step": st.kind, "calling account": _who(self.plan, st.account_id),
                "call": st.operation or "(no call)", "status": status, "message": message, "expected": st.check}

    def _preview(self, group: str) -> pd.DataFrame:
        rows = []
        for st in self.steps(group):
            if st.kind == "verify":
                rows.append(self._row(st, "pending", "would read back the result"))
            elif st.api is None:
                rows.append(self._row(st, "skipped", "no call: " + (st.note or "nothing to do")))
            elif st.done_in_snapshot:
                rows.append(self._row(st, "skipped", "already done in the snapshot (the run checks it live first)"))
            else:
                rows.append(self._row(st, "pending", f"would run: {st.operation}({short_params(st.params)})"))
        return pd.DataFrame(rows, columns=_RUN_COLS)

    def _execute(self, group: str, ok: list[str], left_out: list[str]) -> GroupRun:
        from orgkit.aws.migrate import MigrationError, execute

        names = list(STEP_GROUPS)
        kinds = [k for g in names[:names.index(group) + 1] for k in STEP_GROUPS[g]]
        apply = self.mode == "apply"
        if not _view(self.plan, kinds).steps_in(ok):  # nothing in this group or before it (say, no old admin)
            return GroupRun(group, self.mode, pd.DataFrame(columns=_RUN_COLS), read_calls=0, write_calls=0,
                            regions_left_out=left_out)
        last = group == names[-1]
        before = {}
        if apply and self.journal is not None and self.journal.exists():
            before = {s.get("step_id"): s.get("at") for s in json.loads(self.journal.read_text()).get("steps", [])}
        try:
            res = execute(_view(self.plan, kinds), self.factory(), journal_path=self.journal if apply else None,
                          dry_run=not apply, regions=ok,
                          recollect_to=self.recollect_to if (apply and last) else None)
        except MigrationError as e:
            raise RunbookError(str(e)) from None
        by_id = {s.step_id: s for s in self.plan.steps}
        mine = {s.step_id for s in self.steps(group)}
        rows = []
        for rec in res.journal.steps:
            st = by_id[rec.step_id]
            # this group's steps, the step the run stopped at, and (applied) any earlier group's step that this
            # run had to complete first
            touched = apply and rec.at is not None and rec.at != before.get(rec.step_id)
            if rec.step_id in mine or rec.step_id == res.stopped_at or (
                    touched and rec.region in ok and st.kind in kinds and rec.status in ("done", "failed")):
                msg = rec.message or ""
                if rec.error_code and rec.status == "failed":
                    msg = f"{rec.error_code}: {msg}"
                if apply and not touched and rec.status in ("done", "skipped"):
                    msg = f"in an earlier run: {msg}"
                rows.append(self._row(st, rec.status, msg))
        return GroupRun(group, self.mode, pd.DataFrame(rows, columns=_RUN_COLS), stopped_at=res.stopped_at,
                        read_calls=res.read_calls, write_calls=res.write_calls, regions_left_out=left_out,
                        before_after=res.before_after, after_snapshot=res.after_snapshot)

    # -- did it work? ------------------------------------------------------------------------------------------
    def outcome(self):
        """After an applied verify: coverage counts per region and status, before → after. Otherwise what the
        verify step will check (:func:`verify_checks`)."""
        if isinstance(self.plan, NoPlan):
            return self.plan.not_shown("whether the migration worked")
        r = self.runs.get("verify")
        if r is not None and r.before_after is not None:
            ba = r.before_after.copy()
            ba["change"] = ba["after"] - ba["before"]
            return ba.set_index(["region", "status"])
        return _styled(verify_checks(self.plan), "gd-verify-checks", wrap=["checked by"],
                       caption="Not applied: what the verify step will read back, region by region")

    def journal_frame(self) -> pd.DataFrame | None:
        """The journal on disk (apply), one row per step; None when there is none."""
        if self.journal is None or not self.journal.exists():
            return None
        d = json.loads(self.journal.read_text())
        cols = ["step_id", "status", "error_code", "message"]
        return pd.DataFrame([{c: s.get(c) for c in cols} for s in d["steps"]], columns=cols)
