"""``orgkit guardduty plan|migrate``: GuardDuty from invitations to AWS Organizations (see docs/guardduty-migration.md).

    orgkit guardduty plan [SNAPSHOT] [--admin ACCOUNT] [--format table|csv|json|terraform|scp]
    orgkit guardduty migrate --admin ACCOUNT [SNAPSHOT]                 # prints the plan; no call that writes
    orgkit guardduty migrate --admin ACCOUNT --live                     # the same, on a snapshot collected now
    orgkit guardduty migrate --admin ACCOUNT [SNAPSHOT] --apply --journal FILE [--profile P] [--endpoint-url URL]

Without SNAPSHOT, plan and migrate read the bundled demo snapshot; migrate collects one now (read-only) instead
when given --live, --profile or --endpoint-url, and --apply needs one of those or a SNAPSHOT.

Exit codes: 0 done (or plan printed); 1 a step failed, or the plan is blocked by a pre-flight error; 2 bad input
(including an administrator outside the organisation for ``migrate``, and a journal that is not this plan's);
3 AWS access; 130 interrupted (the journal keeps every step done: run the same command again to resume).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from orgkit.output import UserError, add_format, demo_note, plain_help, visible, write_frame

#: pre-flight findings about the administrator itself: the user's choice is wrong, whatever the region
ADMIN_CHECKS = ("admin_not_in_organization", "admin_not_active")


#: the columns a table shows by default (--wide / --columns for the rest; csv and json carry every column)
TABLE_COLUMNS = {
    "administrators": ["region", "administrator_id", "account_name", "delegated_admin", "members", "by_invitation",
                       "by_organization", "auto_enable"],
    "ties": ["region", "account_id", "account_name", "tie", "relationship_status"],
}


def _split(v: str | None) -> list[str] | None:
    return [x.strip() for x in v.split(",") if x.strip()] if v else None


def _plan_args(p: argparse.ArgumentParser, admin_required: bool) -> None:
    p.add_argument("snapshot", nargs="?",
                   help="snapshot directory (default: the bundled demo" + (
                       "; with --live, --profile or --endpoint-url: collect one now, read-only)" if admin_required
                       else ")"))
    p.add_argument("--admin", required=admin_required, metavar="ACCOUNT",
                   help="the account to make GuardDuty delegated administrator (required)" if admin_required else
                   "the account to make GuardDuty delegated administrator (default: the current invitation "
                   "administrator)")
    p.add_argument("--regions", help="comma-separated regions (default: the snapshot's)")
    p.add_argument("--auto-enable", choices=["ALL", "NEW"], default="ALL", type=str.upper,
                   help="auto-enable organisation members: ALL (existing and new) or NEW (default ALL)")
    p.add_argument("--features", help="comma-separated protection plans to keep (default: those the admin has on); "
                                      "'none' for none")
    p.add_argument("--migrate-eks-runtime", action="store_true",
                   help="where the legacy EKS_RUNTIME_MONITORING is in use (and RUNTIME_MONITORING is not), send "
                        "RUNTIME_MONITORING instead (AWS documents this migration; both at once is an error)")
    p.add_argument("--keep-suspended", metavar="ACCOUNTS|all",
                   help="keep these suspended detectors suspended (comma-separated account ids, or 'all'); by "
                        "default the migration re-enables every suspended detector it enrols")
    p.add_argument("--no-management", action="store_true",
                   help="leave the management account out of enrolment (default: enable its detector where "
                        "needed, then enrol it)")
    p.add_argument("--resume-suspended", action="store_true", help=argparse.SUPPRESS)  # the default now
    p.add_argument("--role-name", default="OrganizationAccountAccessRole", help="role assumed in member accounts")


def _features(v: str | None) -> list[str] | None:
    if v is None:
        return None
    return [] if v.strip().lower() == "none" else _split(v)


def _check_args(args: argparse.Namespace) -> None:
    """What can be refused before reading anything: the account id and the region names."""
    from orgkit.cli import check_accounts, check_regions

    if args.admin is not None:
        args.admin = args.admin.strip()
        check_accounts([args.admin], "--admin")
    from orgkit.cli import _split as split_flag
    from orgkit.cli import check_endpoint, check_role_name

    check_regions(split_flag(args.regions, "--regions"))
    check_role_name(args.role_name)
    check_endpoint(getattr(args, "endpoint_url", None))


def _make_plan(args: argparse.Namespace, org):
    from orgkit.guardduty import default_admin, plan_migration
    from orgkit.guardduty.state import no_default_admin_message

    admin, why = default_admin(org) if args.admin is None else (args.admin, "user")
    if admin is None:
        raise UserError(no_default_admin_message(org, why) + " with --admin ACCOUNT_ID")
    return plan_migration(org, admin=args.admin, regions=_split(args.regions), auto_enable=args.auto_enable,
                          features=_features(args.features), keep_suspended=_keep(args.keep_suspended),
                          include_management=not args.no_management, role_name=args.role_name,
                          migrate_eks_runtime=args.migrate_eks_runtime)


def _keep(v: str | None):
    if not v:
        return ()
    return True if v.strip().lower() in ("all", "*") else _split(v)


def _print_plan(plan, out=None, steps: bool = True) -> None:
    """The plan: its summary, its steps (unless ``steps`` is False: ``migrate --apply`` says each step as it runs,
    once), the suspended detectors, the pre-flight findings and today's coverage."""
    import textwrap

    from orgkit.output import terminal_width

    out = out or sys.stdout
    width = terminal_width()
    for line in plan.summary().splitlines():
        out.write(textwrap.fill(visible(line), width, subsequent_indent="  ", break_on_hyphens=False,
                                break_long_words=False) + "\n")
    out.write("\n")
    if steps:
        t = plan.table()
        view = t[["step_id", "account_id", "api", "state", "blocked"]].copy()
        view["params"] = [_short(p) for p in t["params"]]
        view[["account_id", "api"]] = view[["account_id", "api"]].astype(object).where(
            view[["account_id", "api"]].notna(), "-")
        write_frame(view, "table", out, columns=["step_id", "account_id", "api", "state", "blocked"])
    else:
        out.write("the steps are listed below as they run (orgkit guardduty plan lists them beforehand)\n")
    susp = plan.suspended_outcomes()
    if len(susp):
        out.write("\nsuspended detectors (what the migration does to each):\n")
        write_frame(susp[["region", "account_id", "account_name", "outcome", "step_id", "reason"]], "table", out)
    issues = plan.issues_frame()
    if len(issues):
        out.write("\npre-flight findings:\n")
        write_frame(issues[["severity", "check", "region", "account_id", "message"]], "table", out)
    if plan.current is not None and plan.current.status_counts() is not None:
        out.write("\ncoverage today (status counts per region):\n")
        from orgkit.palette import SHORT

        counts = plan.current.status_counts()  # short status names: the table stays narrow
        counts = counts.rename(columns=lambda c: SHORT.get(c) or c).reset_index()
        write_frame(counts, "table", out, columns=list(counts.columns))


def _admin_problems(plan) -> list[str]:
    return [i.message for i in plan.issues if i.severity == "error" and i.check in ADMIN_CHECKS]


def _short(params: dict, width: int = 70) -> str:
    import json

    text = json.dumps(params, separators=(",", ":"), default=str)
    return text if len(text) <= width else text[:width - 1] + "…"


def _cmd_plan(args: argparse.Namespace) -> int:
    from orgkit.guardduty import PlanError
    from orgkit.model import load

    _check_args(args)
    try:
        demo_note("orgkit guardduty plan", args.snapshot)
        plan = _make_plan(args, load(args.snapshot))
    except PlanError as e:
        print(visible(f"orgkit guardduty plan: {e}"), file=sys.stderr)
        return 2
    for msg in _admin_problems(plan):  # first, in one line: the plan below is blocked by it
        print(visible(f"orgkit guardduty plan: {msg}"), file=sys.stderr)
    if args.format == "terraform":
        sys.stdout.write(plan.terraform())
    elif args.format == "scp":
        sys.stdout.write(plan.scp_text(_split(args.exempt_principal) or ()) + "\n")
    elif args.format == "json":
        sys.stdout.write(plan.to_json() + "\n")
    elif args.format == "csv":
        write_frame(plan.table(), "csv")
    else:
        _print_plan(plan)
    return 1 if plan.blocked_regions() else 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from orgkit.aws.migrate import Journal, JournalError, MigrationError, execute
    from orgkit.aws.session import SessionFactory
    from orgkit.guardduty import PlanError
    from orgkit.model import load

    if args.apply and not args.journal:
        print("orgkit guardduty migrate: --apply needs --journal FILE (the state of every step, to resume from)",
              file=sys.stderr)
        return 2
    _check_args(args)
    if args.apply and Path(args.journal).exists():
        if not Path(args.journal).is_file():
            raise UserError(f"--journal {args.journal}: is not a file")
        Journal.load(Path(args.journal))  # a journal that cannot be read is refused before any call
    snapshot = args.snapshot
    tmp = None
    live = args.live or args.profile or args.endpoint_url
    if snapshot is None and args.apply and not live:
        print("orgkit guardduty migrate: --apply carries out a plan of your organisation: give a SNAPSHOT of it, "
              "or --live / --profile / --endpoint-url to collect one now", file=sys.stderr)
        return 2
    if snapshot is None and not live:
        print("orgkit guardduty migrate: no snapshot given: planning on the bundled demo (fictional); give a SNAPSHOT "
              "or --live", file=sys.stderr)
    elif snapshot is None:
        from orgkit.aws.collect import collect

        if args.apply and args.journal:
            # kept beside the journal: a resumed run must plan from the same snapshot (the journal is tied to it)
            before = Path(str(Path(args.journal).with_suffix("")) + "-before")
        else:
            tmp = tempfile.TemporaryDirectory(prefix="orgkit-gd-")
            before = Path(tmp.name) / "before"
        args.on_interrupt = (f"interrupted while collecting the snapshot to plan from ({before}); nothing was "
                             "changed in AWS: run the same command again")
        if (before / "manifest.json").exists():
            print(f"planning from {before} (collected by the earlier run of this journal)", file=sys.stderr)
            snapshot = before
        else:
            ro = SessionFactory(profile=args.profile, endpoint_url=args.endpoint_url, role_name=args.role_name)
            print(f"no snapshot given: collecting one now, read-only, into {before}", file=sys.stderr)
            # no credentials, an unknown profile, an endpoint that does not answer: one line and exit 3 (orgkit.cli)
            snapshot = collect(before, factory=ro, regions=_split(args.regions), progress=False)
    try:
        plan = _make_plan(args, load(snapshot))
    except PlanError as e:
        print(visible(f"orgkit guardduty migrate: {e}"), file=sys.stderr)
        return 2
    problems = _admin_problems(plan)
    if problems:  # said first, in one line, instead of a plan that cannot run
        raise UserError(problems[0] + " (choose another --admin; `orgkit guardduty plan` shows the whole plan)")
    _print_plan(plan, steps=not args.apply)
    if not args.apply:
        if args.live_check:
            ro = SessionFactory(profile=args.profile, endpoint_url=args.endpoint_url, role_name=args.role_name)
            try:
                result = execute(plan, ro, dry_run=True, allow_blocked=True)
            except MigrationError as e:
                print(visible(f"orgkit guardduty migrate: {e}"), file=sys.stderr)
                return 1
            print("\nlive check (read calls only):")
            write_frame(result.frame()[["step_id", "status", "error_code", "message"]], "table")
            print(f"{result.read_calls} read call(s), {result.write_calls} write call(s)")
        print("\ndry run: nothing was changed (add --apply to carry the plan out)")
        return 1 if plan.blocked_regions() else 0
    factory = SessionFactory(profile=args.profile, endpoint_url=args.endpoint_url, role_name=args.role_name,
                             allow_writes=True)
    after = args.after_snapshot or str(Path(args.journal).with_suffix("")) + "-after"
    if not args.no_recollect:
        from orgkit.snapshot import check_target

        check_target(after)  # refused now, not after the last step
    args.on_interrupt = lambda: _interrupted(args.journal)
    print()
    try:
        result = execute(plan, factory, journal_path=args.journal, dry_run=False,
                         recollect_to=None if args.no_recollect else after,
                         progress=lambda s: print(visible(s), flush=True))
    except JournalError as e:
        raise UserError(str(e)) from None
    except MigrationError as e:
        print(visible(f"orgkit guardduty migrate: {e}"), file=sys.stderr)
        return 1
    finally:
        if tmp is not None:
            tmp.cleanup()
    # each step was said once above as it ran; here the count, and the table only of the steps that need a look
    steps = result.frame()
    print("\nsteps: " + ", ".join(f"{n} {s}" for s, n in steps["status"].value_counts().items()))
    look = steps[~steps["status"].isin(["done", "skipped"])]
    if len(look):
        write_frame(look[["step_id", "status", "error_code", "message"]], "table")
    print(f"\n{result.write_calls} write call(s), {result.read_calls} read call(s); journal: {args.journal}")
    if not result.ok:
        print(f"stopped at {result.stopped_at}: fix the cause and run the same command again to resume",
              file=sys.stderr)
        return 1
    if result.before_after is not None:
        print(f"\ncoverage before and after (new snapshot: {result.after_snapshot}):")
        write_frame(result.before_after, "table")
    return 0


def _interrupted(journal: str) -> str:
    """The line said on Ctrl-C during --apply: where the journal stands and how to resume."""
    import json

    try:
        steps = json.loads(Path(journal).read_text()).get("steps") or []
    except (OSError, ValueError):
        return (f"interrupted before the first step was recorded; nothing in {journal} yet: run the same command "
                "again to start (each step checks the live state first)")
    done = sum(1 for s in steps if s.get("status") in ("done", "skipped"))
    nxt = next((s.get("step_id") for s in steps if s.get("status") not in ("done", "skipped")), None)
    return (f"interrupted: the journal {journal} records {done} of {len(steps)} steps done"
            + (f" (next: {nxt})" if nxt else "") + "; run the same command again to resume")


def register(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser("guardduty", help="GuardDuty: plan and carry out the move from invitations to Organizations")
    gs = g.add_subparsers(dest="guardduty_command", required=True)

    p = gs.add_parser("plan", help="the migration plan from a snapshot (no AWS call)")
    _plan_args(p, admin_required=False)
    add_format(p, choices=["table", "csv", "json", "terraform", "scp"],
               help="output: the steps (table, csv, json), Terraform for the target, or the SCP to attach after")
    p.add_argument("--exempt-principal", help="comma-separated principal ARNs the SCP also exempts (--format scp)")
    p.set_defaults(fn=_cmd_plan)

    m = gs.add_parser("migrate", help="print the plan (no write); with --apply, carry it out step by step",
                      description=plain_help(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter)
    _plan_args(m, admin_required=True)
    m.add_argument("--apply", action="store_true", help="carry the plan out (the only orgkit command that writes)")
    m.add_argument("--live", action="store_true",
                   help="with no SNAPSHOT: collect one now from AWS (read-only) with the ordinary credential chain")
    m.add_argument("--profile", help="AWS profile of the management account (with no SNAPSHOT: collect one now)")
    m.add_argument("--endpoint-url", help="send every call to this endpoint (e.g. a local moto server)")
    m.add_argument("--live-check", action="store_true",
                   help="without --apply: also run each step's check against the live accounts (read calls only)")
    m.add_argument("--journal", help="JSON file with the state of every step; an existing one is resumed")
    m.add_argument("--after-snapshot", help="where to re-collect after the last step (default: JOURNAL-after)")
    m.add_argument("--no-recollect", action="store_true", help="do not re-collect after the last step")
    m.set_defaults(fn=_cmd_migrate)

    s = gs.add_parser("state", help="today's GuardDuty from a snapshot: administrators, member ties, suspended "
                                    "detectors, regions with no detector, invitation cost, members outside the org")
    s.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    s.add_argument("--what", choices=list(STATE_FRAMES), default="administrators", help="which table")
    add_format(s)
    s.set_defaults(fn=_cmd_state)


STATE_FRAMES = {"administrators": "administrators", "ties": "ties", "suspended": "suspended",
                "no-detector": "no_detector", "cost": "invitation_cost", "external": "external_members",
                "coverage": "coverage"}


def _cmd_state(args: argparse.Namespace) -> int:
    from orgkit.guardduty import current_state
    from orgkit.model import load

    demo_note("orgkit guardduty state", args.snapshot)
    cur = current_state(load(args.snapshot))
    df = getattr(cur, STATE_FRAMES[args.what])
    if df is None:
        print(visible(f"orgkit guardduty state: {cur.coverage_note}"), file=sys.stderr)
        return 2
    write_frame(df, args.format, columns=TABLE_COLUMNS.get(args.what), args=args)
    return 0
