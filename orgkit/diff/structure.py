"""What changed in the organisation's structure: accounts, OUs, SCPs, resource control policies (RCPs) and their
attachments."""

from __future__ import annotations

import json
from typing import Any

import networkx as nx
import pandas as pd

from orgkit.diff.rows import records, row

SCP_TYPE = "SERVICE_CONTROL_POLICY"
CLOSED = {"SUSPENDED", "CLOSED", "PENDING_CLOSURE"}


def _scps(org) -> pd.DataFrame:
    p = org.policies
    if "type" in p.columns:
        p = p[p["type"].fillna(SCP_TYPE) == SCP_TYPE]
    return p.set_index("policy_id", drop=False)


def _val(v):
    return None if v is None or (isinstance(v, float) and v != v) else v


def accounts_under(org, node: str) -> set[str]:
    """Accounts at or below ``node`` in ``org``'s tree."""
    g = org.graph
    if node not in g:
        return set()
    nodes = {node} | nx.descendants(g, node)
    return {n for n in nodes if g.nodes[n].get("kind") == "account"}


def structure_changes(before, after) -> tuple[list[dict], dict[int, set[str]]]:
    """Rows for accounts, OUs, SCPs and attachments; and, for the rows whose consequence is an SCP effect, the
    accounts each touches (row index → account ids), so that their severity can be the effect's."""
    rows: list[dict] = []
    touches: dict[int, set[str]] = {}

    def add(r: dict, touched: set[str] | None = None) -> None:
        if touched is not None:
            touches[len(rows)] = touched
        rows.append(r)

    # --- accounts
    cols = ["account_id", "account_name", "ou_path", "parent_id", "status"]
    ab = records(before.accounts, cols, "account_id")
    aa = records(after.accounts, cols, "account_id")
    for aid in sorted(set(aa) - set(ab)):
        a = aa[aid]
        add(row("account_added", account_id=aid, account_name=a["account_name"], ou_path=a["ou_path"],
                after=a["status"], target_id=a["parent_id"], reason=f"joined the organisation in {a['ou_path']}"),
            {aid})
    for aid in sorted(set(ab) - set(aa)):
        a = ab[aid]
        add(row("account_removed", account_id=aid, account_name=a["account_name"], ou_path=a["ou_path"],
                before=a["status"], target_id=a["parent_id"], reason="no longer in the organisation"))
    common = sorted(set(ab) & set(aa))
    for aid in common:
        b, a = ab[aid], aa[aid]
        if b["parent_id"] != a["parent_id"]:
            add(row("account_moved", account_id=aid, account_name=a["account_name"], ou_path=a["ou_path"],
                    before=b["ou_path"], after=a["ou_path"], target_id=a["parent_id"],
                    reason=f"moved from {b['ou_path']} ({b['parent_id']}) to {a['ou_path']} ({a['parent_id']})"),
                {aid})
        if _val(b["account_name"]) != _val(a["account_name"]):
            add(row("account_renamed", account_id=aid, account_name=a["account_name"], ou_path=a["ou_path"],
                    before=b["account_name"], after=a["account_name"], reason="account name changed"))
        if _val(b["status"]) != _val(a["status"]):
            kind = "account_suspended" if a["status"] in CLOSED else "account_status"
            add(row(kind, account_id=aid, account_name=a["account_name"], ou_path=a["ou_path"],
                    before=b["status"], after=a["status"], reason=f"account state {b['status']} -> {a['status']}"))

    # --- OUs (the root is compared as an OU would be, but is never added or removed in one organisation)
    ocols = ["ou_id", "name", "parent_id", "ou_path"]
    ob = records(before.ous, ocols, "ou_id")
    oa = records(after.ous, ocols, "ou_id")
    for oid in sorted(set(oa) - set(ob)):
        o = oa[oid]
        add(row("ou_added", ou_path=o["ou_path"], after=o["name"], target_id=oid, reason="new OU"))
    for oid in sorted(set(ob) - set(oa)):
        o = ob[oid]
        add(row("ou_removed", ou_path=o["ou_path"], before=o["name"], target_id=oid, reason="OU deleted"))
    for oid in sorted(set(ob) & set(oa)):
        b, a = ob[oid], oa[oid]
        if b["name"] != a["name"]:
            add(row("ou_renamed", ou_path=a["ou_path"], before=b["name"], after=a["name"], target_id=oid,
                    reason=f"renamed: {b['ou_path']} is now {a['ou_path']}"))
        if _val(b["parent_id"]) != _val(a["parent_id"]):
            add(row("ou_moved", ou_path=a["ou_path"], before=b["ou_path"], after=a["ou_path"], target_id=oid,
                    reason=f"OU moved from under {b['parent_id']} to under {a['parent_id']}"),
                accounts_under(before, oid) | accounts_under(after, oid))

    # --- the SCP policy type
    if before.scp_enabled is not None and after.scp_enabled is not None and before.scp_enabled != after.scp_enabled:
        add(row("scp_policy_type", before="enabled" if before.scp_enabled else "disabled",
                after="enabled" if after.scp_enabled else "disabled", target_id=after.root_id,
                reason="the SERVICE_CONTROL_POLICY type was " + ("enabled" if after.scp_enabled else "disabled")
                       + " at the root"),
            set(after.accounts["account_id"]) | set(before.accounts["account_id"]))

    # --- SCPs, then resource control policies (the same rows, ``rcp_*``)
    pb, pa = _scps(before), _scps(after)
    new_nodes = (set(aa) - set(ab)) | (set(oa) - set(ob))
    with_pols = _policy_rows("scp", before, after, pb, pa, new_nodes, add)
    with_rcps: dict[str, list[str]] = {}
    rb_on, ra_on = getattr(before, "rcp_enabled", None), getattr(after, "rcp_enabled", None)
    ub, ua = getattr(before, "rcp_unread", None), getattr(after, "rcp_unread", None)
    if rb_on is not None and ra_on is not None and bool(rb_on) != bool(ra_on):
        # enabling attaches RCPFullAWSAccess everywhere, disabling detaches every RCP: one row says it, rated by
        # its effect; the policies of the disabled side were not collected, so they are not listed one by one
        add(row("rcp_policy_type", before="enabled" if rb_on else "disabled", after="enabled" if ra_on else "disabled",
                target_id=after.root_id, reason="the RESOURCE_CONTROL_POLICY type was "
                + ("enabled" if ra_on else "disabled") + " at the root"),
            set(after.accounts["account_id"]) | set(before.accounts["account_id"]))
    elif rb_on and ra_on and (ub or ua):
        # what could not be read is never shown as unchanged
        add(row("rcp_policy_type", "unknown", before="unread" if ub else "enabled", after="unread" if ua else "enabled",
                target_id=after.root_id,
                reason="resource control policies not read in " + " and ".join(
                    f"{w} ({u})" for w, u in (("BEFORE", ub), ("AFTER", ua)) if u) + ": their changes are unknown"))
    elif rb_on and ra_on:
        with_rcps = _policy_rows("rcp", before, after, _rcps(before), _rcps(after), new_nodes, add)
    for r in rows:
        if r["kind"] in ("account_added", "ou_added"):
            node = r["account_id"] if r["kind"] == "account_added" else r["target_id"]
            if with_pols.get(node):
                r["reason"] += f" (SCPs attached: {', '.join(with_pols[node])})"
            if with_rcps.get(node):
                r["reason"] += f" (RCPs attached: {', '.join(with_rcps[node])})"
    return rows, touches


def _rcps(org) -> pd.DataFrame:
    p = getattr(org, "rcps", None)
    if p is None or "policy_id" not in p.columns:
        p = pd.DataFrame(columns=["policy_id", "name", "content", "type"])
    return p.set_index("policy_id", drop=False)


def _policy_rows(kind: str, before, after, pb: pd.DataFrame, pa: pd.DataFrame, new_nodes: set, add) -> dict:
    """Rows for the policies of one type (``kind`` ``scp`` or ``rcp``: created, deleted, renamed, edited, attached,
    detached), each with the accounts it touches so that its severity is its own effect on the decisions (an RCP
    can only deny: a Deny that applied taken away is a regression). Returns the policies attached to OUs and
    accounts new in AFTER (node → names), which their own rows list."""
    label = kind.upper()
    for pid in sorted(set(pa.index) - set(pb.index)):
        p = pa.loc[pid]
        add(row(f"{kind}_created", policy_id=pid, policy_name=p["name"], after=p["name"],
                reason=f"new {label}" + ("" if _targets(after, pid, kind) else " (not attached)")), set())
    for pid in sorted(set(pb.index) - set(pa.index)):
        p = pb.loc[pid]
        add(row(f"{kind}_deleted", policy_id=pid, policy_name=p["name"], before=p["name"], reason=f"{label} deleted"),
            _accounts_of_policy(before, pid, kind))
    for pid in sorted(set(pb.index) & set(pa.index)):
        b, a = pb.loc[pid], pa.loc[pid]
        if _val(b["name"]) != _val(a["name"]):
            add(row(f"{kind}_renamed", policy_id=pid, policy_name=a["name"], before=b["name"], after=a["name"],
                    reason=f"{label} renamed"))
        if _val(b["content"]) != _val(a["content"]):
            add(row(f"{kind}_edited", policy_id=pid, policy_name=a["name"],
                    reason=describe_edit(b["content"], a["content"])),
                _accounts_of_policy(before, pid, kind) | _accounts_of_policy(after, pid, kind))
    tb, ta = _attachments(before, pb, kind), _attachments(after, pa, kind)
    # an OU or account new in AFTER is listed with its policies (AWS attaches FullAWSAccess, and RCPFullAWSAccess
    # while RCPs are enabled, to each on creation)
    with_pols: dict[str, list[str]] = {}
    for pid, tid in sorted(ta - tb):
        if tid in new_nodes:
            with_pols.setdefault(tid, []).append(str(pa.loc[pid, "name"]) if pid in pa.index else pid)
            continue
        add(_attach_row(f"{kind}_attached", after, pa, pid, tid), accounts_under(after, tid))
    # a policy of an OU or account gone in AFTER goes with it: that has no effect of its own (AWS deletes only an
    # empty OU, so its accounts moved or left first, and those rows carry it; an account that left is no
    # longer governed by the organisation's policies), so it touches no account
    for pid, tid in sorted(tb - ta):
        gone = tid not in after.graph
        add(_attach_row(f"{kind}_detached", before if gone else after, pb, pid, tid),
            set() if gone else accounts_under(before, tid) | accounts_under(after, tid))
    return with_pols


def _target_frame(org, kind: str = "scp") -> pd.DataFrame:
    pt = org.policy_targets if kind == "scp" else getattr(org, "rcp_targets", None)
    return pt if pt is not None and "policy_id" in pt.columns else pd.DataFrame(columns=["policy_id", "target_id"])


def _targets(org, pid: str, kind: str = "scp") -> list[str]:
    pt = _target_frame(org, kind)
    return list(pt.loc[pt["policy_id"] == pid, "target_id"])


def _attachments(org, pols: pd.DataFrame, kind: str = "scp") -> set[tuple[str, str]]:
    pt = _target_frame(org, kind)
    pt = pt[pt["policy_id"].isin(pols.index)]
    return set(zip(pt["policy_id"], pt["target_id"].astype(str)))


def _accounts_of_policy(org, pid: str, kind: str = "scp") -> set[str]:
    out: set[str] = set()
    for t in _targets(org, pid, kind):
        out |= accounts_under(org, str(t))
    return out


def _attach_row(kind: str, org, scps: pd.DataFrame, pid: str, tid: str) -> dict:
    g = org.graph
    d = g.nodes[tid] if tid in g else {}
    name = scps.loc[pid, "name"] if pid in scps.index else None
    what = d.get("kind", "target")
    verb = "attached to" if kind.endswith("_attached") else "detached from"
    kw: dict[str, Any] = {}
    if what == "account":
        kw = {"account_id": tid, "account_name": d.get("name"), "ou_path": g.nodes[next(g.predecessors(tid))]["path"]}
        where = f"account {d.get('name')} ({tid})"
    else:
        kw = {"ou_path": d.get("path") or tid}
        where = f"{what} {d.get('path') or tid}"
    return row(kind, policy_id=pid, policy_name=name, target_id=tid, reason=f"{name or pid} {verb} {where}", **kw)


# ----------------------------------------------------------------------------------------------------------- edits
def _parse(text) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError:
        return None


def _as_list(v) -> list:
    return v if isinstance(v, list) else [] if v is None else [v]


def describe_edit(before_text, after_text) -> str:
    """A short account of how a policy's text changed: formatting only, or which statements and fields. A text
    that is None or NaN was not collected (the collector's DescribePolicy failed): whether it changed is unknown."""
    b, a = _parse(before_text), _parse(after_text)
    if b is None or a is None:
        unread = [side for side, t in (("BEFORE", before_text), ("AFTER", after_text)) if not isinstance(t, str)]
        if unread:
            return f"policy text not collected in {' and '.join(unread)}: whether and how it changed is unknown"
        return "policy text changed (not valid JSON on one side)"
    if not isinstance(b, dict) or not isinstance(a, dict):
        return "policy text changed (not a JSON object on one side)"
    if b == a:
        return "formatting only (whitespace or key order): the same JSON document"
    sb, sa = _statements(b), _statements(a)
    parts = []
    for key in [k for k in sb if k not in sa]:
        parts.append(f"statement {key} removed")
    for key in [k for k in sa if k not in sb]:
        parts.append(f"statement {key} added")
    for key in [k for k in sa if k in sb]:
        x, y = sb[key], sa[key]
        if x == y:
            continue
        bits = []
        for f in sorted(set(x) | set(y)):
            if x.get(f) == y.get(f):
                continue
            vx, vy = x.get(f), y.get(f)
            if isinstance(vx, (list, str)) and isinstance(vy, (list, str)) and f != "Condition":
                lx, ly = _as_list(vx), _as_list(vy)
                gone, new = [v for v in lx if v not in ly], [v for v in ly if v not in lx]
                if not gone and not new:
                    bits.append(f"{f} reordered")
                    continue
                bits.append(f"{f}" + (f" -{','.join(map(str, gone))}" if gone else "")
                            + (f" +{','.join(map(str, new))}" if new else ""))
            else:
                bits.append(f"{f} changed")
        parts.append(f"statement {key}: {'; '.join(bits)}")
    if not parts and [k for k in sb] != [k for k in sa]:
        parts.append("statements reordered")
    if b.get("Version") != a.get("Version"):
        parts.append(f"Version {b.get('Version')} -> {a.get('Version')}")
    return "edited: " + ("; ".join(parts) if parts else "same statements")


def _statements(doc: dict) -> dict[str, dict]:
    sts = doc.get("Statement")
    sts = sts if isinstance(sts, list) else [sts] if isinstance(sts, dict) else []
    out = {}
    for i, s in enumerate(sts):
        if not isinstance(s, dict):
            continue
        key = s.get("Sid") or f"#{i + 1}"
        out[key if key not in out else f"{key}#{i + 1}"] = s
    return out
