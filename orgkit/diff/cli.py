"""``orgkit diff``: what changed between two snapshots, or what a Terraform plan would change.

    orgkit diff BEFORE AFTER [--principal role/Dev] [--kind tamper,guardduty] [--fail-on regression]
    orgkit diff SNAPSHOT --terraform-plan plan.json [--fail-on regression]

Exit status: 0, or 1 with ``--fail-on`` when a row has one of the severities given (``regression``,
``improvement``, ``neutral``, ``unknown``; a CI gate: ``--fail-on regression,unknown``); 2 for bad input (a snapshot
or plan that cannot be read, two different organisations). The last line on stderr is a one-line summary a
scheduled CI job can post (``--summary-only`` prints it alone, on stdout).
"""

from __future__ import annotations

import sys

from orgkit.output import UserError, add_demo, add_format, demo_note, plain_help, visible, write_frame

#: the table's default columns (--wide: every column; --columns: those); what does not fit is left out and named
#: (``policy_name``: the SCP a policy row is about; an edit's reason names only the statement)
TABLE_COLUMNS = ["kind", "severity", "account_id", "account_name", "region", "policy_name", "before", "after",
                 "reason"]


def _err(msg: str) -> int:
    print(visible(f"orgkit diff: {msg}"), file=sys.stderr)
    return 2


def _parse_context(items) -> dict:
    ctx: dict = {}
    for item in items or []:
        k, sep, v = item.partition("=")
        if not sep or not k:
            raise ValueError(f"--context {item!r}: use KEY=VALUE")
        ctx.setdefault(k, []).append(v)
    return {k: v[0] if len(v) == 1 else v for k, v in ctx.items()}


def _cmd_diff(args) -> int:
    from orgkit import diff as d
    from orgkit.diff.rows import SEVERITIES
    from orgkit.model import load
    from orgkit.snapshot import SnapshotError

    fail_on = [s.strip() for s in (args.fail_on or "").split(",") if s.strip()]
    bad = [s for s in fail_on if s not in SEVERITIES]
    if bad:
        return _err(f"--fail-on {','.join(bad)}: use one or more of {', '.join(SEVERITIES)}")
    kinds = [k.strip() for k in (args.kind or "").split(",") if k.strip()]
    unknown = [k for k in kinds if k not in d.KINDS]
    if unknown:
        return _err(f"--kind {','.join(unknown)}: unknown kind; kinds: {', '.join(d.KINDS)}")
    try:
        ctx = _parse_context(args.context)
        if args.principal and not args.principal.startswith("arn:"):
            from orgkit.scp import resolve_principal

            resolve_principal(args.principal, "000000000000")
    except ValueError as e:
        return _err(str(e))
    actions = [a.strip() for a in args.actions.split(",")] if args.actions else None
    try:
        demo_note("orgkit diff", args.before, gate=fail_on, demo=args.demo)
    except UserError as e:
        return _err(str(e))
    kw = dict(principal=args.principal, context=ctx or None, actions=actions)
    try:
        if args.terraform_plan:
            if args.after is not None:
                return _err("give one snapshot with --terraform-plan (the plan is the AFTER)")
            plan = d.read_plan(args.terraform_plan)
            org = load(args.before)
            changes = d.diff_plan(org, plan, **kw)
        else:
            if args.after is None:
                return _err("give BEFORE and AFTER snapshot directories, or one snapshot and --terraform-plan")
            org = load(args.after)
            changes = d.diff(load(args.before), org, **kw)
    except (SnapshotError, d.PlanError, d.DiffError) as e:
        return _err(str(e))
    except ValueError as e:  # e.g. --actions matching nothing in the catalog
        return _err(str(e))
    if kinds:
        changes = changes[changes["kind"].isin(kinds)].reset_index(drop=True)
    if args.severity:
        want = [s.strip() for s in args.severity.split(",")]
        changes = changes[changes["severity"].isin(want)].reset_index(drop=True)
    line = d.summary_line(changes)
    if args.summary_only:
        print(visible(line))
    else:
        write_frame(changes, args.format, columns=TABLE_COLUMNS, args=args,
                    ocsf={"kind": "diff", "organization_id": org.organization_id,
                          "collected_at": org.manifest.get("collected_at")})
        sys.stdout.flush()
        print(visible(line), file=sys.stderr)
    if fail_on and changes["severity"].isin(fail_on).any():
        return 1
    return 0


def register(sub) -> None:
    p = sub.add_parser("diff", help="what changed between two snapshots, or what a Terraform plan would change",
                       description=plain_help(__doc__.split("\n\n")[0]))
    p.add_argument("before", nargs="?", help="BEFORE snapshot directory (default: the bundled demo)")
    p.add_argument("after", nargs="?", help="AFTER snapshot directory")
    p.add_argument("--terraform-plan", metavar="PLAN_JSON",
                   help="the output of `terraform show -json PLANFILE`: compare SNAPSHOT with the organisation as "
                        "the plan would leave it")
    p.add_argument("--principal", help="SCP effect for this persona or ARN (role/NAME, root, sso/NAME; default: any "
                                       "principal)")
    p.add_argument("--context", action="append", metavar="KEY=VALUE", help="a condition key value (repeatable)")
    p.add_argument("--actions", help="SCP effect over these actions or wildcards only (comma-separated; default: "
                                     "every action of the catalog)")
    p.add_argument("--kind", help="only these kinds (comma-separated)")
    p.add_argument("--severity", help="only these severities (comma-separated)")
    p.add_argument("--fail-on", metavar="SEVERITY", help="exit 1 when a change has one of these severities "
                                                         "(e.g. regression,unknown)")
    p.add_argument("--summary-only", action="store_true", help="print only the one-line summary")
    add_format(p, ("table", "csv", "json", "ocsf"),
               help="output format (ocsf: OCSF 1.5 Compliance Findings, one per regression or unknown)")
    add_demo(p)
    p.set_defaults(fn=_cmd_diff)
