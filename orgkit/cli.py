"""The ``orgkit`` command: a thin shell over the package's functions (parse, call, format)."""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import traceback
from pathlib import Path
from typing import Callable, Sequence


from orgkit.output import (EXIT_AWS, EXIT_CHECK, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED,  # noqa: F401
                           UserError, add_format, demo_note, visible, write_frame)
from orgkit.snapshot import SnapshotError

ACCOUNT_ID = re.compile(r"\d{12}")
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")  # IAM role names; a path before it is allowed (path/Name)


#: what ``orgkit --help`` opens with (user words; the module docstring is for developers)
USER_DESCRIPTION = (
    "Review the security coverage of a whole AWS Organization: CloudTrail and GuardDuty in every account and "
    "region, what the service control policies (SCPs) allow, whether an account can switch its own logging off "
    "(tamper), what changed between two reviews, and the move of GuardDuty to AWS Organizations. "
    "`orgkit collect` reads your organisation once, read-only, into a snapshot directory; every other command "
    "reads a snapshot (without one, the bundled demo organisation, and says so).")


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (``orgkit collect: argument --workers: …: see orgkit collect -h``),
    exit status 2."""

    def error(self, message: str):  # noqa: D401
        self.exit(EXIT_INPUT, f"{self.prog}: {' '.join(message.split())} (see {self.prog} --help)\n")


def check_endpoint(url: str | None, flag: str = "--endpoint-url") -> str | None:
    """An http(s) URL with a host, or None. A UserError otherwise (botocore would raise a ValueError later)."""
    if url is None:
        return None
    from urllib.parse import urlparse

    u = urlparse(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise UserError(f"{flag} {url!r}: not an http(s) URL with a host (e.g. http://127.0.0.1:5000)")
    try:
        u.port
    except ValueError:
        raise UserError(f"{flag} {url!r}: the port is not a number from 0 to 65535") from None
    return url


def check_role_name(name: str, flag: str = "--role-name") -> str:
    """An IAM role name (with an optional path): letters, digits and +=,.@_- , at most 64 for the name."""
    parts = name.split("/")
    if not name or not all(ROLE_NAME.fullmatch(p) for p in parts[-1:]) or any(
            p and not ROLE_NAME.fullmatch(p) for p in parts[:-1]):
        raise UserError(f"{flag} {name!r}: not an IAM role name (letters, digits and +=,.@_- ; at most 64)")
    return name


def check_accounts(ids: list[str] | None, flag: str = "--accounts") -> list[str] | None:
    """Account ids as AWS writes them: exactly 12 digits (a leading zero kept). A UserError otherwise."""
    if ids is None:
        return None
    bad = [a for a in ids if not ACCOUNT_ID.fullmatch(a)]
    if bad:
        raise UserError(f"{flag}: {', '.join(repr(b) for b in bad[:5])} "
                        f"{'is not an account id' if len(bad) == 1 else 'are not account ids'} "
                        "(an AWS account id is exactly 12 digits, leading zeros included)")
    return ids


def check_regions(regions: list[str] | None, flag: str = "--regions") -> list[str] | None:
    """Region names botocore knows (orgkit/aws/regions.py), before any call. A UserError otherwise."""
    if regions is None:
        return None
    from orgkit.aws.regions import UnknownRegion, check_regions as _check

    try:
        return _check(regions)
    except UnknownRegion as e:
        raise UserError(f"{flag}: {e}") from None


def _snapshot_id(out: Path) -> bytes | None:
    try:
        return (out / "manifest.json").read_bytes()
    except OSError:
        return None


def _cmd_collect(args: argparse.Namespace) -> int:
    from orgkit.snapshot import check_target, sweep_leftovers

    regions = check_regions(_split(args.regions, "--regions"))
    accounts = check_accounts(_split(args.accounts, "--accounts"))
    check_endpoint(args.endpoint_url)
    check_role_name(args.role_name)
    if args.workers < 1:
        raise UserError(f"--workers must be at least 1, not {args.workers}")
    out = check_target(args.out)
    removed, kept = sweep_leftovers(out)
    for p in removed:
        print(f"orgkit collect: removed {p.name}, left by a run that was killed", file=sys.stderr)
    for p, why in kept:
        print(f"orgkit collect: note: {p} is a leftover partial snapshot ({why})", file=sys.stderr)
    before = _snapshot_id(out)

    def interrupted() -> str:
        if before is not None and _snapshot_id(out) != before:
            return f"interrupted after the new snapshot was written to {out}"
        kept_msg = f"the previous snapshot at {out} is unchanged" if before else f"nothing was written to {out}"
        return f"interrupted: {kept_msg}; run the same command again to collect"

    args.on_interrupt = interrupted
    from orgkit.aws.collect import OrganizationUnreadable, collect

    try:
        out = collect(out, profile=args.profile, endpoint_url=args.endpoint_url, role_name=args.role_name,
                      regions=regions, accounts=accounts,
                      member_roles=not args.no_member_roles, workers=args.workers, progress=not args.quiet,
                      call_timeout=args.call_timeout, deadline=args.deadline or None,
                      access_reports=args.access_reports)
    except OrganizationUnreadable as e:
        raise UserError(str(e), EXIT_AWS) from None
    except ValueError as e:  # e.g. --accounts naming accounts outside the organization
        if "--accounts" in str(e):
            raise UserError(str(e)) from None
        raise
    from orgkit.snapshot import SnapshotReader

    m = SnapshotReader(out).manifest
    c = m["counts"]
    print(f"snapshot written to {out}: {c['accounts']} accounts ({c['accounts_reached']} reached), {c['ous']} OUs,\n"
          f"  {c['policies']} SCPs, {c['trails']} trails, {c['detectors']} detectors, {c['api_calls']} API calls, "
          f"{m['error_count']} error{'' if m['error_count'] == 1 else 's'} recorded"
          + (f", {c['access_reports']} access reports" if "access_reports" in c else ""))
    _name_errors(out)
    if m.get("manifest_sha256"):
        print(f"manifest sha256 {m['manifest_sha256']} (keep it to tell later whether the snapshot was edited)")
    return 0


def _name_errors(out: Path, most: int = 5) -> None:
    """The errors a collect recorded, one line each (at most ``most``; ``orgkit show --frame errors`` lists all)."""
    from orgkit.output import terminal_width
    from orgkit.snapshot import SnapshotReader

    try:
        errors = SnapshotReader(out).read("errors.json").get("Errors") or []
    except Exception:  # noqa: BLE001 - the summary above stands; the list is a convenience
        return
    import textwrap

    width = terminal_width()
    for e in errors[:most]:
        where = " ".join(str(e[k]) for k in ("account_id", "region") if e.get(k))
        line = f"error: {e.get('operation') or '?'} {where}: {e.get('error_code') or ''} {e.get('message') or ''}"
        print(textwrap.fill(line, width, initial_indent="  ", subsequent_indent="    ", break_long_words=False,
                            break_on_hyphens=False))
    if len(errors) > most:
        print(f"  … and {len(errors) - most} more: orgkit show {out} --frame errors")


def rcp_state(org) -> str:
    """One phrase: whether RCPs are enabled, read, and which are attached beyond RCPFullAWSAccess."""
    if org.rcp_enabled is None:
        return "unknown (the snapshot does not say whether the policy type is enabled)"
    if not org.rcp_enabled:
        return "not enabled"
    if org.rcp_unread:
        return f"enabled, but unknown: {org.rcp_unread}"
    own = org.rcps[org.rcps["policy_id"] != "p-RCPFullAWSAccess"] if len(org.rcps) else org.rcps
    names = ", ".join(sorted(map(visible, own["name"]))) if len(own) else "none besides RCPFullAWSAccess"
    return f"enabled, {len(own)} attached beyond RCPFullAWSAccess ({names}); see --frame rcps, rcp_targets"


def _cmd_show(args: argparse.Namespace) -> int:
    from orgkit.model import load

    demo_note("orgkit show", args.snapshot)
    org = load(args.snapshot)
    if args.frame:
        if args.frame not in org.frames:
            print(visible(f"orgkit show: no frame {args.frame!r}; frames: {', '.join(org.frames)}"), file=sys.stderr)
            return 2
        write_frame(org.frames[args.frame], args.format, args=args)
    else:
        m = org.manifest
        if args.format == "table":  # csv and json carry only the frame's rows
            print(visible(f"organization {m.get('organization_id')}, management account "
                          f"{m.get('management_account_id')}"))
            print(visible(f"collected {m.get('collected_at')}"))
            import textwrap

            from orgkit.output import terminal_width

            print(textwrap.fill(f"resource control policies: {rcp_state(org)}", terminal_width(),
                                subsequent_indent="  ", break_on_hyphens=False, break_long_words=False))
        write_frame(org.summary().reset_index(names="frame"), args.format)
    return 0


def _split(v: str | None, flag: str | None = None) -> list[str] | None:
    """A comma-separated option as a list (None when not given). Given but empty is an error when ``flag``
    names it: ``--regions ,`` must not quietly mean every region."""
    if v is None:
        return None
    items = [x.strip() for x in v.split(",") if x.strip()]
    if not items and flag:
        raise UserError(f"{flag} is empty: give at least one value, or leave {flag} out for the default")
    return items or None


REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = []


def _optional_registrars() -> list[Callable]:
    """Sub-command groups that live beside their analyses (each module has ``register(subparsers)``)."""
    import importlib

    found = []
    for mod in ("orgkit.coverage.cli", "orgkit.scp.cli", "orgkit.guardduty.cli", "orgkit.diff.cli", "orgkit.demo",
                "orgkit.report", "orgkit.memberrole"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name and mod.startswith(e.name):
                continue
            raise
        found.append(m.register)
    return found


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="orgkit", description=USER_DESCRIPTION,
        epilog="exit statuses: 0 ok; 1 a check failed (--fail-on, a blocked plan, a failed migration step); "
               "2 usage or input (arguments, snapshot, journal, --out); 3 AWS access (credentials, profile, "
               "endpoint, organization unreadable); 70 internal error; 130 interrupted")
    p.add_argument("--debug", action="store_true", help="show the traceback of a failure (anywhere on the line)")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("collect", help="collect an AWS Organization, read-only, into a snapshot directory")
    c.add_argument("--out", required=True, help="snapshot directory to write (replaced atomically)")
    c.add_argument("--profile", help="AWS profile (default: the ordinary boto3 credential chain)")
    c.add_argument("--endpoint-url", help="send every call to this endpoint (e.g. a local moto server)")
    c.add_argument("--role-name", default="OrganizationAccountAccessRole", help="role assumed in member accounts")
    c.add_argument("--regions", help="comma-separated regions, checked against botocore's region list before any "
                                     "call (default: every region GuardDuty and CloudTrail have)")
    c.add_argument("--accounts", help="comma-separated 12-digit account ids (default: every account)")
    c.add_argument("--no-member-roles", action="store_true",
                   help="assume no role in member accounts; keep what the management account and the GuardDuty "
                        "administrator can see")
    c.add_argument("--workers", type=int, default=128, help="calls in flight at once (default 128)")
    c.add_argument("--call-timeout", type=float, default=20.0, metavar="SECONDS",
                   help="how long one call may wait to connect or for an answer (default 20); a call that times "
                        "out is retried, then recorded as a failure and its cells are unknown")
    c.add_argument("--deadline", type=float, default=3600.0, metavar="SECONDS",
                   help="time allowed for the whole run (default 3600; 0: none); calls not made by then are "
                        "recorded as failures and their cells are unknown")
    c.add_argument("--access-reports", action="store_true",
                   help="also read IAM's Organizations access reports (which services each account, OU and the "
                        "root used, and when) from the management account: one report job per entity, slow; "
                        "off by default")
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


#: botocore errors that mean "AWS could not be reached or would not accept the credentials" (exit 3)
_AUTH_CODES = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
               "SignatureDoesNotMatch", "InvalidSignatureException", "AuthFailure", "RequestExpired",
               "AccessDenied", "AccessDeniedException", "InvalidAccessKeyId", "MissingAuthenticationToken"}


def describe_failure(e: BaseException) -> tuple[int, str]:
    """(exit status, one line) for an exception that reached the command line. The classes are told apart by
    type (and an AWS error by its code), never by matching the text."""
    from orgkit.aws.regions import UnknownRegion

    if isinstance(e, UserError):
        return e.code, str(e)
    if isinstance(e, SnapshotError):
        return EXIT_INPUT, str(e)
    if isinstance(e, UnknownRegion):
        return EXIT_INPUT, str(e)
    try:
        from orgkit.guardduty.plan import PlanError

        if isinstance(e, PlanError):
            return EXIT_INPUT, str(e)
    except ImportError:  # pragma: no cover
        pass
    try:
        from orgkit.aws.migrate import JournalError, MigrationError

        if isinstance(e, JournalError):
            return EXIT_INPUT, str(e)
        if isinstance(e, MigrationError):
            return EXIT_CHECK, str(e)
    except ImportError:  # pragma: no cover
        pass
    try:
        from orgkit.scp.policy import PolicyError

        if isinstance(e, PolicyError):
            return EXIT_INPUT, (f"a policy in the snapshot cannot be read ({e}): every SCP is needed for the "
                                f"answer; correct the policy in AWS and collect again")
    except ImportError:  # pragma: no cover
        pass
    try:
        import botocore.exceptions as bx
    except ImportError:  # pragma: no cover
        bx = None
    if bx is not None:
        if isinstance(e, bx.NoCredentialsError):
            return EXIT_AWS, ("no AWS credentials found: give --profile (after `aws sso login --profile P` for "
                              "SSO), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        if isinstance(e, bx.PartialCredentialsError):
            return EXIT_AWS, f"incomplete AWS credentials ({e}): check the profile or the environment"
        if isinstance(e, bx.ProfileNotFound):
            name = getattr(e, "kwargs", {}).get("profile")
            return EXIT_AWS, (f"AWS profile {name!r} not found in ~/.aws/config or ~/.aws/credentials: check "
                              "--profile (`aws configure list-profiles` lists them)")
        sso = tuple(getattr(bx, n) for n in ("SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError",
                                             "SSOError") if hasattr(bx, n))
        if sso and isinstance(e, sso):
            return EXIT_AWS, f"the AWS SSO session is missing or expired ({e}): run `aws sso login --profile P`"
        net = tuple(getattr(bx, n) for n in ("EndpointConnectionError", "ConnectionClosedError",
                                             "ConnectTimeoutError", "ReadTimeoutError", "ProxyConnectionError",
                                             "SSLError", "HTTPClientError") if hasattr(bx, n))
        if net and isinstance(e, net):
            where = getattr(e, "kwargs", {}).get("endpoint_url") or "the AWS endpoint"
            return EXIT_AWS, (f"cannot reach {where} ({type(e).__name__}): check --endpoint-url, the network "
                              "or the proxy, then run the command again")
        if isinstance(e, (bx.CredentialRetrievalError, bx.NoRegionError, bx.InvalidConfigError)
                      if hasattr(bx, "InvalidConfigError") else (bx.CredentialRetrievalError, bx.NoRegionError)):
            return EXIT_AWS, f"AWS configuration: {e}"
        if isinstance(e, bx.ClientError):
            err = e.response.get("Error", {}) if isinstance(getattr(e, "response", None), dict) else {}
            code, msg = err.get("Code") or "ClientError", err.get("Message") or str(e)
            op = getattr(e, "operation_name", None) or "a call"
            if code in _AUTH_CODES:
                return EXIT_AWS, (f"AWS refused {op} ({code}: {msg}): refresh the credentials or choose another "
                                  "--profile")
            return EXIT_AWS, f"AWS answered {op} with {code}: {msg}"
        if isinstance(e, bx.BotoCoreError):
            return EXIT_AWS, f"AWS: {e}"
    if isinstance(e, OSError) and getattr(e, "filename", None):
        return EXIT_INPUT, f"{e.filename}: {e.strerror or e}"
    return EXIT_INTERNAL, (f"internal error ({type(e).__name__}: {e}): run again with --debug for the traceback, "
                           "and please report it")


def _one_line(text: str) -> str:
    """One line, control characters (from names in the data) shown, not acted on (docs/faults.md)."""
    return visible(" ".join(str(text).split()))


def _prog(args: argparse.Namespace | None) -> str:
    if args is None:
        return "orgkit"
    words = ["orgkit", getattr(args, "command", None)]
    for k in ("guardduty_command", "scp_command", "coverage_command"):
        if getattr(args, k, None):
            words.append(getattr(args, k))
            break
    return " ".join(w for w in words if w)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``orgkit`` command. Exit statuses (README): 0 ok, 1 a check failed, 2 usage or input, 3 AWS access,
    70 internal error, 130 interrupted. ``--debug`` (anywhere on the line, or ORGKIT_DEBUG=1) shows tracebacks."""
    real = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("ORGKIT_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    args = build_parser().parse_args(argv)
    prog = _prog(args)
    said = threading.Event()

    def say_interrupted() -> None:
        if said.is_set():
            return
        said.set()
        hint = getattr(args, "on_interrupt", None)
        try:
            msg = hint() if callable(hint) else (hint or "interrupted")
        except Exception:  # the hint is a courtesy: never let it hide the interrupt
            msg = "interrupted"
        print(f"{prog}: {_one_line(msg)}", file=sys.stderr)
        _flush()

    if real:
        _install_interrupt(say_interrupted)
    try:
        return int(args.fn(args) or 0)
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        say_interrupted()
        if real:  # do not wait for worker threads still blocked in a call: the state on disk is already safe
            os._exit(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        try:  # stdout was closed early (| head): say nothing more
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except Exception as e:
        code, msg = describe_failure(e)
        if debug:
            traceback.print_exc()
        print(f"{prog}: {_one_line(msg)}", file=sys.stderr)
        return code


#: seconds the program may take to unwind after Ctrl-C (remove its temporary directory, save the journal) before
#: it is ended anyway: a worker thread blocked in a hung call must not hold the command
INTERRUPT_GRACE = 3.0


def _install_interrupt(say: Callable[[], None]) -> None:
    """Ctrl-C raises KeyboardInterrupt as usual (the snapshot writer and the journal clean up as they unwind); if
    the program has not ended ``INTERRUPT_GRACE`` seconds later (a thread pool waiting for a hung call), or on a
    second Ctrl-C, it says the interrupt line and exits 130 at once. Nothing on disk is half-written then: a
    snapshot is renamed into place whole, the journal is replaced whole."""
    import signal

    state = {"n": 0}

    def hard_exit() -> None:
        say()
        os._exit(EXIT_INTERRUPTED)

    def on_sigint(signum, frame):  # noqa: ANN001
        state["n"] += 1
        if state["n"] > 1:
            hard_exit()
        t = threading.Timer(INTERRUPT_GRACE, hard_exit)
        t.daemon = True
        t.start()
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread
        pass


def _flush() -> None:
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass


if __name__ == "__main__":
    sys.exit(main())
