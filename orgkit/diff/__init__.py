"""Change review: what changed between two snapshots, and what a Terraform plan would change (docs/diff.md).

    import orgkit
    changes = orgkit.diff("snapshots/2026-11-01", "snapshots/2026-12-01")   # or two Org objects
    changes[changes.severity == "regression"]
    orgkit.diff.summary_line(changes)

    from orgkit.diff import plan_org, read_plan
    planned = plan_org(org, read_plan("plan.json"))        # the organisation as the plan would leave it
    changes = orgkit.diff(org, planned)                     # (diff_plan() does both and adds not-evaluated rows)

One frame, one row per change: ``kind``, ``severity`` (regression / improvement / neutral / unknown), ``account_id``,
``region``, ``before``, ``after``, ``reason`` and locating columns (``ou_path``, ``policy_id``, ``policy_name``,
``target_id``, ``trail_arn``, ``service``, ``action``, ``count``, ``source``). Pure functions over ``Org`` objects.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any, Mapping, Sequence

import pandas as pd

from orgkit.diff.rows import COLUMNS, KINDS, SEVERITIES, frame, worst
from orgkit.diff.terraform import PlanError, diff_plan, plan_org, read_plan

__all__ = ["diff", "summary_line", "summary", "COLUMNS", "KINDS", "SEVERITIES", "DiffError", "PlanError",
           "read_plan", "plan_org", "diff_plan"]


class DiffError(ValueError):
    """Two snapshots that cannot be compared (different organisations)."""


def _org(x):
    from orgkit.model import Org, load

    if isinstance(x, Org):
        return x
    if x is None or isinstance(x, (str, os.PathLike)):
        return load(x)
    return x  # an Org-like object (tests)


def diff(before, after, *, principal: str | None = None, context: Mapping[str, Any] | None = None,
         resource: str | None = None, actions: Sequence[str] | None = None, coverage: bool = True,
         scp: bool = True, processes: int | None = None,
         _unknown_accounts: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Every change from ``before`` to ``after`` (``Org`` objects or snapshot paths; None: the bundled demo).

    ``principal`` (a persona such as ``role/Developer`` or an ARN; None: any principal), ``context``, ``resource``
    and ``actions`` (names or wildcards; None: the whole catalog) are those of the SCP evaluation.
    ``coverage=False`` compares only the organisation and its SCPs (what a Terraform plan can change);
    ``scp=False`` skips the SCP effect. Snapshots with different regions or account filters are compared where
    they overlap; the difference is reported as ``scope`` rows. ``processes``: 2 or more computes the coverage of
    both sides in forked processes (one per service) while this one evaluates the SCPs, 1 never forks; None (default) forks for
    organisations of 1,000 accounts or more where ``fork`` exists. The answer is the same either way.
    """
    from orgkit.diff.effect import scp_effect_changes
    from orgkit.diff.state import scope
    from orgkit.diff.structure import structure_changes

    b, a = _org(before), _org(after)
    # the coverage of both sides does not depend on the SCP work: on a large organisation it is computed in a
    # forked process meanwhile, so that both cores work (see benchmarks/diff.py)
    pending = [_CoverageInBackground(b, a, part) for part in _PARTS] \
        if coverage and _worth_forking(b, a, processes) else None
    ob, oa = b.organization_id, a.organization_id
    if ob and oa and ob != oa:
        raise DiffError(f"BEFORE is organisation {ob} and AFTER is {oa}: a diff compares two snapshots of one "
                        "organisation")
    rows, touches = structure_changes(b, a)
    sc = scope(b, a)
    rows = sc.rows + rows
    offset = len(sc.rows)
    effect_frame = None
    # the structural rows a change of decisions can come from, with the accounts of BEFORE each touches
    old_accounts = set(b.accounts["account_id"])
    rated = {i: accs & old_accounts for i, accs in touches.items()
             if rows[offset + i]["kind"] not in ("account_added", "scp_created", "rcp_created")}
    if scp:
        eff = scp_effect_changes(b, a, principal, context, resource, actions, _unknown_accounts)
        rows += eff.rows
        effect_frame, attributor = eff.frame, eff.attributor
        by_account = {acc: sorted(sev) for acc, sev in eff.by_account.items()}
        # A structural change is rated by its own effect. An account touched by one change only owes all its
        # effect rows to it; for accounts touched by several, the change is applied alone to BEFORE and only
        # those accounts evaluated again (the attributor); without one, the worst effect seen on them is used.
        times: dict[str, int] = {}
        for accs in rated.values():
            for acc in accs:
                times[acc] = times.get(acc, 0) + 1
        # accounts whose AFTER answer is unknown (a plan's value unknown until apply) have no effect rows: a change
        # touching them is rated by its own effect (the attributor), never by their missing rows
        unknown = set(_unknown_accounts or ())
        moves = {rows[offset + i]["account_id"]: rows[offset + i]["target_id"] for i, accs in rated.items()
                 if rows[offset + i]["kind"] == "account_moved" and any(times[x] > 1 or x in unknown for x in accs)}
        moved = attributor.effect_moves(moves) if attributor is not None and moves else {}
        for i, accounts in rated.items():
            r = rows[offset + i]
            if attributor is None:  # the SCPs of one side could not be evaluated: say so, rate nothing
                r["severity"] = "unknown"
                r["reason"] = f"{r['reason']}; its SCP effect could not be evaluated (see the scp_effect row)"
                continue
            alone = {x for x in accounts if times[x] == 1 and x not in unknown}
            shared = accounts - alone
            sev = [s for acc in alone for s in by_account.get(acc, [])]
            n = len({acc for acc in alone if by_account.get(acc)})
            if shared:
                if r["kind"] == "account_moved":
                    got = moved.get(r["account_id"])
                else:
                    got = attributor.effect(r, shared, a) if attributor is not None else None
                if got is None:  # not isolable: the effect rows seen; none for an unknown account
                    got = (worst([s for acc in shared for s in by_account.get(acc, [])]
                                 + ["unknown" for acc in shared if acc in unknown]),
                           len({acc for acc in shared if by_account.get(acc) or acc in unknown}))
                sev.append(got[0])
                n += got[1]
            got = (worst(sev), n)
            r["severity"], n = got
            dark = len(accounts & unknown)
            if not n and not dark:
                r["reason"] = f"{r['reason']}; no effect on any account's SCP decisions" + (
                    f" (principal {principal})" if principal else "")
            elif not n:  # surely none of its own, but the end state of some accounts it touches is unknown
                r["reason"] = (f"{r['reason']}; by itself changes no account's SCP decisions" + (
                    f" (principal {principal})" if principal else "") + f", but the decisions of {dark} account"
                    f"{'s' if dark != 1 else ''} it touches are unknown until apply (see their scp_effect rows)")
            else:
                r["reason"] = f"{r['reason']}; changes SCP decisions in {n} account{'s' if n != 1 else ''}" + (
                    f"; {dark} account{'s' if dark != 1 else ''} it touches ha{'ve' if dark != 1 else 's'} "
                    "decisions unknown until apply" if dark else "")
    else:  # the SCP effect not evaluated: a structural change that could change decisions is not known to be neutral
        for i, accounts in rated.items():
            if accounts:
                r = rows[offset + i]
                r["severity"] = "unknown"
                r["reason"] = f"{r['reason']}; its SCP effect was not evaluated (scp=False)"
    if coverage:
        for i, part in enumerate(_PARTS):
            got = pending[i].result() if pending is not None else None
            rows += got if got is not None else _coverage_rows(b, a, part)
    df = frame(rows, effect_frame)
    df.attrs.update({"before": _label(b), "after": _label(a), "principal": principal,
                     "regions_compared": list(sc.regions)})
    return df


FORK_FROM_ACCOUNTS = 1000


def _worth_forking(b, a, processes: int | None) -> bool:
    import multiprocessing as mp

    if processes is not None and processes < 2:
        return False
    if "fork" not in mp.get_all_start_methods():
        return False
    if processes is None:
        return max(len(b.accounts), len(a.accounts)) >= FORK_FROM_ACCOUNTS and (os.cpu_count() or 1) > 1
    return True


_PARTS = ("cloudtrail", "guardduty")


def _coverage_rows(b, a, part: str) -> list[dict]:
    """The change rows of one service: its coverage per cell, and its trails (CloudTrail) or its management
    (GuardDuty)."""
    from orgkit.coverage import cloudtrail_coverage, guardduty_coverage
    from orgkit.diff.state import (cell_changes, event_data_store_changes, guardduty_management_changes, new_accounts,
                                   scope, trail_changes)

    sc = scope(b, a)
    new = new_accounts(b, a)
    acc = a.accounts
    closed = set(acc.loc[acc["status"].isin(["SUSPENDED", "CLOSED", "PENDING_CLOSURE"]), "account_id"])
    if part == "cloudtrail":
        return cell_changes("cloudtrail", cloudtrail_coverage(b), cloudtrail_coverage(a), sc, new, closed) \
            + trail_changes(b, a, sc) + event_data_store_changes(b, a, sc)
    return guardduty_management_changes(b, a, sc) \
        + cell_changes("guardduty", guardduty_coverage(b), guardduty_coverage(a), sc, new, closed)


class _CoverageInBackground:
    """The coverage change rows (:func:`_coverage_rows`), computed by a forked child (which shares the loaded
    snapshots without copying them) and sent back through a pipe: only the rows that changed cross it. Any
    failure there, or a child that dies, makes :meth:`result` answer None, and the caller computes the rows
    itself: never a different answer."""

    def __init__(self, b, a, part: str):
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_coverage_child, args=(b, a, part, send), daemon=True)
        try:
            self._proc.start()
        except OSError:
            self._proc = None
        send.close()

    def result(self):
        if self._proc is None:
            return None
        try:
            got = self._recv.recv()
        except (EOFError, OSError):
            got = None
        finally:
            self._recv.close()
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()
        return got if isinstance(got, list) else None


def _coverage_child(b, a, part: str, send) -> None:
    try:
        send.send(_coverage_rows(b, a, part))
    except BaseException as e:  # reported to the parent as "no result": it then computes the coverage itself
        try:
            send.send(f"{type(e).__name__}: {e}")
        except Exception:
            pass
    finally:
        send.close()
        os._exit(0)


def _label(org) -> str:
    m = getattr(org, "manifest", {}) or {}
    return str(m.get("collected_at") or getattr(org, "path", None) or "?")


def summary(changes: pd.DataFrame) -> pd.DataFrame:
    """Counts of changes by kind and severity (one row per kind)."""
    if changes.empty:
        return pd.DataFrame(columns=["kind", *SEVERITIES, "total"])
    t = pd.crosstab(changes["kind"], changes["severity"]).reindex(columns=list(SEVERITIES), fill_value=0)
    t["total"] = t.sum(axis=1)
    order = {k: i for i, k in enumerate(KINDS)}
    t = t.reset_index()
    return t.sort_values("kind", key=lambda s: s.map(order).fillna(len(KINDS))).reset_index(drop=True)


#: the summary line's length at most (a CI message, a terminal line)
SUMMARY_WIDTH = 120


def summary_line(changes: pd.DataFrame) -> str:
    """One line of at most :data:`SUMMARY_WIDTH` characters for a CI job to post: the counts by severity (regressions
    and unknowns always, the others when there are some), then, as
    far as they fit and in this order, the accounts whose tamper protection weakened, the unknowns by kind, the
    regressions by kind (as many kinds as fit, the rest counted), scope and planned changes not evaluated."""
    n = len(changes)
    if not n:
        return "orgkit diff: no changes"
    by = changes["severity"].value_counts()
    # regressions and unknowns always (what a gate fails on), improvements and neutral changes when there are some
    parts = [f"{int(by.get(s, 0))} {s}{'s' if s not in ('neutral', 'unknown') and by.get(s, 0) != 1 else ''}"
             for s in SEVERITIES if s in ("regression", "unknown") or by.get(s, 0)]
    line = "orgkit diff: " + ", ".join(parts)
    order = {k: i for i, k in enumerate(KINDS)}

    def by_kind(label: str, rows: pd.DataFrame, room: int) -> str:
        """``; LABEL: kind n, …`` with as many kinds as fit in ``room`` characters, the rest counted (``+N more``);
        empty when none fits (the table, or --kind and --severity, list them)."""
        kinds = rows["kind"].value_counts()
        shown = [f"{k} {int(kinds[k])}" for k in sorted(kinds.index, key=lambda k: order.get(k, len(KINDS)))]
        for keep in range(len(shown), 0, -1):
            more = len(shown) - keep
            text = f"; {label}: " + ", ".join(shown[:keep]) + (f", +{more} more" if more else "")
            if len(text) <= room:
                return text
        return ""

    reg = changes[changes["severity"] == "regression"]
    unk = changes[changes["severity"] == "unknown"]
    pieces: list = []  # texts, or (label, rows) to fit by kind
    lost = reg[(reg["kind"] == "tamper")]["account_id"].nunique() if len(reg) else 0
    if lost:
        pieces.append(f"; tamper protection weakened in {lost} account{'s' if lost != 1 else ''}")
    if len(unk):  # what cannot be known before apply (or read): a gate may fail on it (--fail-on unknown)
        pieces.append(("unknown", unk))
    if len(reg):
        pieces.append(("regressions", reg))
    scope_rows = changes[changes["kind"] == "scope"]
    if len(scope_rows):
        pieces.append(f"; scope differs ({len(scope_rows)} region/account{'s' if len(scope_rows) != 1 else ''} "
                      "in one snapshot only)")
    ne = changes[changes["kind"] == "not_evaluated"]
    if len(ne):
        pieces.append(f"; {len(ne)} planned change{'s' if len(ne) != 1 else ''} not evaluated")
    for piece in pieces:
        room = SUMMARY_WIDTH - len(line)
        text = by_kind(*piece, room) if isinstance(piece, tuple) else (piece if len(piece) <= room else "")
        line += text
    return line


class _CallableModule(types.ModuleType):
    """``orgkit.diff(before, after)`` calls :func:`diff`; ``orgkit.diff.summary_line`` etc. stay reachable."""

    def __call__(self, *args, **kwargs) -> pd.DataFrame:
        return diff(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
