"""``orgkit coverage``: the coverage analyses as tables, CSV or JSON, with ``--fail-on`` for CI.

    orgkit coverage [SNAPSHOT] [--service cloudtrail|guardduty] [--format table|csv|json]
                    [--status STATUS[,STATUS]] [--fail-on STATUS[,STATUS]]
                    [--require-plans PLAN[,PLAN]] [--plans]
                    [--trails | --duplicates | --tfstate FILE [FILE ...] | --summary {account,ou,ou_tree} | --gaps]

Without SNAPSHOT: the bundled demo snapshot. Exit codes: 0; 1 when ``--fail-on`` matched a row; 2 on a usage
error, an unreadable snapshot or Terraform state.
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from orgkit.coverage import cloudtrail as ct_mod
from orgkit.coverage import guardduty as gd_mod

CORE = ["service", "account_id", "account_name", "ou_path", "region", "status", "reason", "source"]
VOCAB = {
    "coverage": set(ct_mod.STATUSES) | set(gd_mod.STATUSES),
    "cloudtrail": set(ct_mod.STATUSES),
    "guardduty": set(gd_mod.STATUSES),
    "trails": {"ok", "not_logging", "delivery_error", "delivery_stale", "unknown"},
    "tfstate": {"unmanaged", "missing", "unknown", "managed"},
    "gaps": (set(ct_mod.STATUSES) | set(gd_mod.STATUSES)) - {"covered", "org_member", "invited_member",
                                                            "administrator", "not_applicable"},
}


#: the columns a table shows by default, per view (--wide / --columns for the rest; csv and json carry every column)
TABLE_COLUMNS = {
    "coverage": ["service", "account_id", "account_name", "region", "status", "reason"],
    "cloudtrail": ["account_id", "account_name", "region", "status", "reason"],
    "guardduty": ["account_id", "account_name", "region", "status", "reason"],
    "plans": ["account_id", "account_name", "region", "status", "missing_plans"],
    "trails": ["name", "account_id", "home_region", "kind", "status", "reason"],
    "duplicates": ["account_id", "account_name", "region", "copies", "paid_copies", "est_monthly_usd", "reason"],
    "tfstate": ["name", "account_id", "home_region", "status", "reason", "address"],
    "summary": ["account_id", "account_name", "ou_path", "accounts", "regions", "cloudtrail_share",
                "cloudtrail_unknown", "guardduty_share", "guardduty_unknown"],
    "gaps": ["priority", "service", "account_id", "account_name", "region", "status", "reason"],
}


def _split(v: str | None) -> list[str]:
    return [x.strip() for x in (v or "").split(",") if x.strip()]


def register(sub: argparse._SubParsersAction) -> None:
    from orgkit.output import add_demo, add_format, plain_help

    p = sub.add_parser("coverage", help="CloudTrail and GuardDuty coverage of every account and region",
                       description=plain_help(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    p.add_argument("--service", choices=["cloudtrail", "guardduty"],
                   help="one service (default: both, with a 'service' column and the common columns)")
    add_format(p, ("table", "csv", "json", "ocsf"),
               help="output format (ocsf: OCSF 1.5 Compliance Findings, one per coverage cell that needs attention)")
    add_demo(p)
    p.add_argument("--status", metavar="STATUS[,STATUS]", help="show only rows with these statuses")
    p.add_argument("--fail-on", metavar="STATUS[,STATUS]",
                   help="exit 1 when any row shown has one of these statuses "
                        "(e.g. none,not_logging,not_delivering,unknown)")
    view = p.add_mutually_exclusive_group()
    view.add_argument("--trails", action="store_true", help="the trail inventory: every trail once")
    view.add_argument("--duplicates", action="store_true",
                      help="extra copies of management events and overlapping data events, with estimated cost")
    view.add_argument("--tfstate", nargs="+", metavar="FILE",
                      help="trails AWS has that these Terraform states do not know, and the reverse")
    view.add_argument("--summary", choices=["account", "ou", "ou_tree"],
                      help="share of enabled regions covered, per account, OU, or OU with everything beneath it")
    view.add_argument("--gaps", action="store_true", help="the gaps, in the order to fix them")
    view.add_argument("--plans", action="store_true",
                      help="GuardDuty protection plans per account and region (on / off / off (required) / "
                           "not_applicable)")
    p.add_argument("--require-plans", metavar="PLAN[,PLAN]",
                   help="GuardDuty: a detector missing one of these plans is partial (default: the plans the "
                        "organisation configuration auto-enables; 'none' requires none). Plans: "
                        + ", ".join(gd_mod.PLAN_NAMES))
    cost = p.add_argument_group("cost assumptions (with --duplicates)")
    cost.add_argument("--management-events", type=float, default=None, metavar="N",
                      help="management events per account and region per month (default 1,000,000)")
    cost.add_argument("--data-events", type=float, default=None, metavar="N",
                      help="data events per account, region and resource type per month (default 1,000,000)")
    cost.add_argument("--read-fraction", type=float, default=None, metavar="F",
                      help="share of read events (default 0.9)")
    p.set_defaults(fn=run)


def _printable(df: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """Lists and dicts as text for table and CSV output (JSON keeps them as arrays and objects)."""
    if fmt == "json" or df.empty:
        return df
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            sample = out[c].dropna()
            if len(sample) and sample.map(lambda v: isinstance(v, (list, tuple, dict))).any():
                out[c] = out[c].map(lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else
                                    json.dumps(v, sort_keys=True) if isinstance(v, dict) else v)
    return out


def build_frame(org, args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
    """The frame a command line asks for, and the name of its status vocabulary."""
    from orgkit import coverage as cov

    if args.trails:
        return cov.trail_inventory(org), "trails"
    if args.duplicates:
        kw = {}
        if args.management_events is not None:
            kw["management_events_per_month"] = args.management_events
        if args.data_events is not None:
            kw["data_events_per_month"] = args.data_events
        if args.read_fraction is not None:
            kw["read_fraction"] = args.read_fraction
        return cov.duplicates(org, **kw), ""
    if args.tfstate:
        return cov.unmanaged_trails(org, args.tfstate), "tfstate"
    req = getattr(args, "require_plans", None)
    gd_kw = {"guardduty": cov.guardduty_coverage(org, require_plans=req)} if req is not None else {}
    if args.summary:
        return cov.summary(org, by=args.summary, **gd_kw), ""
    if args.gaps:
        g = cov.gaps(org, **gd_kw)
        if args.service:
            g = g[g["service"] == args.service]
        return g, "gaps"
    if args.service == "cloudtrail":
        return cov.cloudtrail_coverage(org), "cloudtrail"
    if getattr(args, "plans", False):
        return gd_mod.plan_view(cov.guardduty_coverage(org, require_plans=req)), "guardduty"
    if args.service == "guardduty":
        return cov.guardduty_coverage(org, require_plans=req), "guardduty"
    parts = []
    for name, df in (("cloudtrail", cov.cloudtrail_coverage(org)),
                     ("guardduty", cov.guardduty_coverage(org, require_plans=req))):
        parts.append(df.assign(service=name)[CORE])
    return pd.concat(parts, ignore_index=True), "coverage"


def run(args: argparse.Namespace) -> int:
    from orgkit.output import demo_note, visible, write_frame
    from orgkit.coverage.iac import TerraformStateError
    from orgkit.model import load

    wanted, fail_on = _split(args.status), _split(args.fail_on)
    if (wanted or fail_on) and (args.duplicates or args.summary):
        print("orgkit coverage: --status and --fail-on apply to views with a status column "
              "(coverage, --trails, --tfstate, --gaps)", file=sys.stderr)
        return 2
    if args.service and (args.trails or args.duplicates or args.tfstate or args.summary):
        print("orgkit coverage: --service applies to the coverage rows and --gaps only", file=sys.stderr)
        return 2
    demo_note("orgkit coverage", args.snapshot, gate=fail_on, demo=args.demo)
    org = load(args.snapshot)
    try:
        df, vocab = build_frame(org, args)
    except TerraformStateError as e:
        print(visible(f"orgkit coverage: {e}"), file=sys.stderr)
        return 2
    except ValueError as e:
        print(visible(f"orgkit coverage: {e}"), file=sys.stderr)
        return 2
    known = VOCAB.get(vocab, set())
    bad = sorted(set(wanted + fail_on) - known)
    if bad:
        print(visible(f"orgkit coverage: unknown status {', '.join(bad)}; this view's statuses: "
                      f"{', '.join(sorted(known))}"), file=sys.stderr)
        return 2
    if wanted:
        df = df[df["status"].isin(wanted)]
    view = ("duplicates" if args.duplicates else "summary" if args.summary else "plans" if args.plans
            else vocab or "coverage")
    # findings for other tools: the coverage cells (each row a cell of one service), never the other views
    ocsf = ({"kind": "coverage" if view == "coverage" else view, "organization_id": org.organization_id,
             "collected_at": org.manifest.get("collected_at")} if view in ("coverage", "cloudtrail", "guardduty")
            and not getattr(args, "plans", False) else None)
    hits = df[df["status"].isin(fail_on)] if fail_on else df
    if fail_on and args.format == "table":
        # a gate's verdict first, then only the rows that fail it (csv and json keep every row, for tools)
        counts = ", ".join(f"{n} {s}" for s, n in hits["status"].value_counts().items())
        import textwrap

        from orgkit.output import terminal_width

        print(textwrap.fill(f"gate failed: {counts} of {len(df)} rows; the rows that fail:" if len(hits) else
                            f"gate passed: no row of {len(df)} is {' or '.join(fail_on)}", terminal_width(),
                            break_long_words=False, break_on_hyphens=False))
        if len(hits):
            write_frame(_printable(hits.reset_index(drop=True), args.format), args.format,
                        columns=TABLE_COLUMNS.get(view), args=args, ocsf=ocsf)
    else:
        write_frame(_printable(df.reset_index(drop=True), args.format), args.format, columns=TABLE_COLUMNS.get(view),
                    args=args, ocsf=ocsf)
    if fail_on:
        if len(hits):
            counts = hits["status"].value_counts()
            print("orgkit coverage: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + " (--fail-on)",
                  file=sys.stderr)
            return 1
    return 0
