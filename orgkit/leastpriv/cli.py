"""``orgkit scp suggest``: the least-privilege SCP for an OU or account, and its proof (docs/least-privilege.md).

Exit codes: 0 a proven proposal (or nothing to propose: the reason is on stderr); 1 the proposal would deny something
used in the window or in the core (never printed as ready; ``--format terraform`` prints nothing); 2 usage or input
error (unknown target, bad exception, unreadable snapshot).
"""

from __future__ import annotations

import json
import sys

from orgkit.output import add_format, visible, write_frame

TABLE_COLUMNS = ["severity", "account_id", "account_name", "service", "before", "after", "count", "reason"]


def _err(msg: str) -> None:
    print(visible(msg), file=sys.stderr)


def cmd_suggest(args) -> int:
    from orgkit.leastpriv import LeastPrivError, suggest  # noqa: F401 (LeastPrivError: documented input errors)
    from orgkit.model import load
    from orgkit.output import demo_note

    exceptions = [e for item in (args.exceptions or []) for e in item.split(",") if e.strip()]
    try:
        demo_note("orgkit scp suggest", args.snapshot)
        org = load(args.snapshot)
        s = suggest(org, args.target, days=args.days, strategy=args.strategy, exceptions=exceptions)
    except (LeastPrivError, ValueError, KeyError) as e:  # PolicyError, DiffError are ValueErrors
        _err(f"orgkit scp suggest: {e.args[0] if isinstance(e, KeyError) and e.args else e}")
        return 2
    counts = s.services["status"].value_counts()
    _err(f"{s.target_name} ({s.target}): " + ", ".join(f"{counts.get(k, 0)} {k}" for k in
                                                        ("used", "unused", "unknown", "denied", "core"))
         + f" services over the {s.days} days before {s.services.attrs['reference_time']}")
    for n in s.notes:
        _err(f"note: {n}")
    for g in s.given_up[:5]:
        _err(f"given up: {g['service']}: {g['why']}")
    if len(s.given_up) > 5:
        _err(f"given up: {len(s.given_up) - 5} more (--format json lists them)")
    if not s.policies:
        _err("nothing to propose: no service is surely unused" if not s.notes else "nothing to propose")
        if args.format == "json":
            print(json.dumps(s.to_json(), indent=2, default=str))
        elif args.format == "table":  # why nothing: the services by status and reason
            g = s.services.groupby(["status", "reason"], sort=False).agg(
                services=("service", "count"), examples=("service", lambda x: ", ".join(list(x)[:4]))).reset_index()
            write_frame(g[["status", "services", "reason", "examples"]], "table", args=args)
        return 0
    ready = s.ready
    if args.format == "json":
        print(json.dumps(s.to_json(), indent=2, default=str))
    elif args.format == "terraform":
        if ready:
            sys.stdout.write(s.terraform())
    else:
        rows = s.violations if not ready else s.proof[s.proof["kind"] == "scp_effect"]
        cols = [*TABLE_COLUMNS, "violation"] if not ready else TABLE_COLUMNS
        write_frame(rows[[c for c in cols if c in rows.columns]].reset_index(drop=True), args.format,
                    columns=cols, args=args)
    for line in exception_lines(s):
        _err(line)
    sizes = ", ".join(str(len(t)) for t in s.policy_texts())
    if ready:
        _err(f"ready: {len(s.policies)} SCP(s) ({sizes} of 5,120 characters) deny {len(s.denied_services)} "
             f"unused service(s) in {len(s.services.attrs['accounts'])} account(s); proven with orgkit diff for "
             f"{s.probe}: nothing used in the window and nothing in the core is denied")
        return 0
    _err(f"NOT READY: the proposal would deny {len(s.violations)} thing(s) in use or in the core "
         f"(first: {s.violations['violation'].iloc[0] if len(s.violations) else '?'})")
    return 1


def exception_lines(s) -> list[str]:
    """One line per exception principal: does it keep access to what the proposal takes away (from the proof)."""
    ep = s.exceptions_proof
    if ep is None or ep.empty:
        return []
    out = []
    for exc, g in ep.groupby("exception", sort=False):
        lost = g[g["verdict"] != "keeps access"]
        if lost.empty:
            out.append(f"exception {exc} keeps access to the {int(g['services_denied'].max())} service(s) denied to "
                       f"the others, in {len(g)} account(s) (SCP engine, aws:PrincipalArn = {g['principal'].iloc[0]} ...)")
        else:
            out.append(f"exception {exc} LOSES access in {len(lost)} account(s): "
                       + "; ".join(f"{a}: {x}" for a, x in zip(lost["account_id"], lost["lost"]))[:300])
    return out


def register(sub) -> None:
    """Add ``suggest`` to the ``scp`` command group's subparsers."""
    p = sub.add_parser(
        "suggest", help="least-privilege SCP for an OU or account from its access reports, proven before attaching",
        description="From the snapshot's IAM Organizations access reports: the services each account under TARGET "
                    "used in the window, those surely unused, those unknown; an SCP that denies only the surely unused "
                    "ones (never the core, never the exception principals), within AWS's 5,120 characters and 5 SCPs "
                    "per target; and its proof with orgkit diff. Exit 1 if the proof fails.")
    p.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    p.add_argument("--target", required=True, help="OU id, account id, root id or OU path (Root/Workloads)")
    p.add_argument("--days", type=int, default=90, help="the window: used within this many days before collection (default 90)")
    p.add_argument("--strategy", choices=["deny-list", "allow-list"], default="deny-list",
                   help="deny the unused services (default), or allow only the others in place of the target's Allow SCPs")
    p.add_argument("--except", dest="exceptions", action="append", metavar="PRINCIPAL[,PRINCIPAL]",
                   help="principals never restricted: role/NAME, user/NAME or an IAM ARN (wildcards allowed)")
    add_format(p, ("table", "json", "terraform"),
               help="table: the change review rows of the proof; json: policies, services, proof; terraform: "
                    "aws_organizations_policy + attachment (only when proven)")
    p.set_defaults(fn=cmd_suggest)
