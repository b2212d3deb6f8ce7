"""The ``orgkit`` command: a thin shell over the package's functions (parse, call, format)."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence


from orgkit.output import add_format, write_frame  # noqa: F401  (re-exported for old callers)
from orgkit.snapshot import SnapshotError


def _cmd_collect(args: argparse.Namespace) -> int:
    from orgkit.aws.collect import OrganizationUnreadable, collect

    try:
        out = collect(args.out, profile=args.profile, endpoint_url=args.endpoint_url, role_name=args.role_name,
                      regions=_split(args.regions), accounts=_split(args.accounts),
                      member_roles=not args.no_member_roles, workers=args.workers, progress=not args.quiet)
    except OrganizationUnreadable as e:
        print(f"orgkit collect: {e}", file=sys.stderr)
        return 1
    from orgkit.snapshot import SnapshotReader

    m = SnapshotReader(out).manifest
    c = m["counts"]
    print(f"snapshot written to {out}: {c['accounts']} accounts ({c['accounts_reached']} reached), {c['ous']} OUs, "
          f"{c['policies']} SCPs, {c['trails']} trails, {c['detectors']} detectors, {c['api_calls']} API calls, "
          f"{m['error_count']} errors recorded")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from orgkit.model import load

    org = load(args.snapshot)
    if args.frame:
        if args.frame not in org.frames:
            print(f"orgkit show: no frame {args.frame!r}; frames: {', '.join(org.frames)}", file=sys.stderr)
            return 2
        write_frame(org.frames[args.frame], args.format, args=args)
    else:
        m = org.manifest
        print(f"organization {m.get('organization_id')}  management account {m.get('management_account_id')}  "
              f"collected {m.get('collected_at')}")
        write_frame(org.summary().reset_index(names="frame"), args.format)
    return 0


def _split(v: str | None) -> list[str] | None:
    return [x.strip() for x in v.split(",") if x.strip()] if v else None


REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = []


def _optional_registrars() -> list[Callable]:
    """Sub-command groups that live beside their analyses (each module has ``register(subparsers)``)."""
    import importlib

    found = []
    for mod in ("orgkit.coverage.cli", "orgkit.scp.cli", "orgkit.guardduty.cli", "orgkit.demo"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name and mod.startswith(e.name):
                continue
            raise
        found.append(m.register)
    return found


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="orgkit", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("collect", help="collect an AWS Organization, read-only, into a snapshot directory")
    c.add_argument("--out", required=True, help="snapshot directory to write (replaced atomically)")
    c.add_argument("--profile", help="AWS profile (default: the ordinary boto3 credential chain)")
    c.add_argument("--endpoint-url", help="send every call to this endpoint (e.g. a local moto server)")
    c.add_argument("--role-name", default="OrganizationAccountAccessRole", help="role assumed in member accounts")
    c.add_argument("--regions", help="comma-separated regions (default: every region GuardDuty and CloudTrail have)")
    c.add_argument("--accounts", help="comma-separated account ids (default: every account)")
    c.add_argument("--no-member-roles", action="store_true",
                   help="assume no role in member accounts; keep what the management account and the GuardDuty "
                        "administrator can see")
    c.add_argument("--workers", type=int, default=32, help="calls in flight at once (default 32)")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.set_defaults(fn=_cmd_collect)

    s = sub.add_parser("show", help="summarise a snapshot, or print one of its frames")
    s.add_argument("snapshot", nargs="?", help="snapshot directory (default: the bundled demo)")
    s.add_argument("--frame", help="print this frame (accounts, trails, detectors, …)")
    add_format(s)
    s.set_defaults(fn=_cmd_show)

    for register in REGISTRARS or _optional_registrars():
        register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except SnapshotError as e:
        print(f"orgkit: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
