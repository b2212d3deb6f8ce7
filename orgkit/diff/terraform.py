"""What a Terraform plan would change: read ``terraform show -json PLANFILE`` and apply its planned changes of the
organisation's resources to a copy of a snapshot's ``Org``.

Modelled resources (AWS provider): ``aws_organizations_policy`` (``name``, ``content``, ``type``),
``aws_organizations_policy_attachment`` (``policy_id``, ``target_id``), ``aws_organizations_organizational_unit``
(``name``, ``parent_id``) and ``aws_organizations_account`` (``name``, ``parent_id``). Every other planned change is
listed as not evaluated.

Values unknown until apply (``change.after_unknown``) are resolved through the plan's configuration: the
attribute's expression in ``configuration.root_module`` (or a module's) lists the ``references`` it is built from,
and a reference to a resource the plan creates stands for that resource (``aws_organizations_policy.new.id`` is the
id the new policy will get); a reference to a value the plan knows (a resource's planned ``after``, a data source in
``prior_state``, a root-module variable) is that value. Anything else stays unknown, is reported so, and the
accounts it could affect get no effect rows: nothing is guessed. An unknown policy attached where the level already
allows everything (FullAWSAccess) can only take permissions away (an SCP never grants; an Allow must exist at every
level): the accounts below are evaluated without it, and the row says that their decisions can only become more
restrictive. Every row about what is not evaluated has severity ``unknown``. Plan format: Terraform's "JSON Output
Format" (``format_version`` 1.x), https://developer.hashicorp.com/terraform/internals/json-format.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from orgkit.diff.rows import row
from orgkit.scp.lint import scp_version_problem

MODELLED = ("aws_organizations_policy", "aws_organizations_policy_attachment",
            "aws_organizations_organizational_unit", "aws_organizations_account")
SCP_TYPE = "SERVICE_CONTROL_POLICY"
RCP_TYPE = "RESOURCE_CONTROL_POLICY"
RCP_FULL = "p-RCPFullAWSAccess"
NEW = "(after apply) "


class PlanError(ValueError):
    """A file that is not the JSON of a Terraform plan (the message says what to do)."""


@dataclass
class Plan:
    """A parsed ``terraform show -json`` plan."""

    doc: dict
    path: str | None = None

    @property
    def format_version(self) -> str:
        return str(self.doc.get("format_version"))

    @property
    def resource_changes(self) -> list[dict]:
        return [rc for rc in self.doc.get("resource_changes") or [] if isinstance(rc, dict)]


def read_plan(source: str | os.PathLike | dict) -> Plan:
    """A plan from a path to (or the dict of) ``terraform show -json PLANFILE`` output."""
    where = None
    if isinstance(source, (dict, list)):
        doc = source
    else:
        where = str(source)
        p = Path(source)
        if not p.is_file():
            raise PlanError(f"{where}: no such file (give the output of `terraform show -json PLANFILE`)")
        try:
            doc = json.loads(p.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise PlanError(f"{where}: not JSON ({e}); give the output of `terraform show -json PLANFILE`, "
                            "not the binary plan file") from None
    label = where or "plan"
    if not isinstance(doc, dict):
        raise PlanError(f"{label}: not a Terraform JSON plan (expected an object)")
    fv = doc.get("format_version")
    if fv is None:
        raise PlanError(f"{label}: no format_version: not the output of `terraform show -json PLANFILE`")
    if not str(fv).split(".")[0] == "1" and not str(fv).startswith("0."):
        raise PlanError(f"{label}: plan format_version {fv} is not supported (orgkit reads 1.x)")
    if "resource_changes" not in doc and "planned_values" not in doc:
        hint = " (this looks like a state: `terraform show -json` of a state file)" if "values" in doc else ""
        raise PlanError(f"{label}: no resource_changes: not a plan{hint}")
    return Plan(doc, where)


# ------------------------------------------------------------------------------------------------------ resolution
_REF = re.compile(r"""^(?P<base>(?:data\.)?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)(?P<index>\[(?:\d+|"[^"]*")\])?(?P<rest>.*)$""")
_PATH = re.compile(r"""\.([A-Za-z0-9_-]+)|\[(\d+)\]|\["([^"]*)"\]""")


def _strip_index(res: str) -> str:
    r"""``res`` without a trailing instance key: what ``re.sub(r"\[[^\]]*\]$", "", res)`` gives (``$`` also
    before a final newline), in linear time: that regex tries every ``[`` and scans to the end from each, quadratic
    in an address the plan's author chose. The match is the first ``[`` after the last ``]`` before the final one."""
    tail = ""
    if res.endswith("]\n"):
        res, tail = res[:-1], "\n"
    if not res.endswith("]"):
        return res + tail
    p = res.find("[", res.rfind("]", 0, len(res) - 1) + 1, len(res) - 1)
    return (res if p < 0 else res[:p]) + tail


def _path(rest: str) -> list:
    out: list = []
    for m in _PATH.finditer(rest):
        out.append(m.group(1) if m.group(1) is not None else int(m.group(2)) if m.group(2) is not None else m.group(3))
    return out


def _walk(value, unknown, path: list):
    """(known, value) following ``path`` into a planned value and its after_unknown twin."""
    for p in path:
        if unknown is True:
            return False, None
        try:
            value = value[p] if value is not None else None
        except (KeyError, IndexError, TypeError):
            value = None
        try:
            unknown = unknown[p] if isinstance(unknown, (dict, list)) else None
        except (KeyError, IndexError, TypeError):
            unknown = None
    return unknown is not True, value


@dataclass
class Resolver:
    plan: Plan
    changes: dict[str, dict] = field(default_factory=dict)  # address -> resource change
    state: dict[str, dict] = field(default_factory=dict)  # address -> prior_state values
    config: dict[str, dict] = field(default_factory=dict)  # "module.a.TYPE.NAME" -> configuration resource

    def __post_init__(self) -> None:
        for rc in self.plan.resource_changes:
            if rc.get("address"):
                self.changes[rc["address"]] = rc

        def walk_state(mod: dict) -> None:
            for r in mod.get("resources") or []:
                if r.get("address"):
                    self.state[r["address"]] = r
            for c in mod.get("child_modules") or []:
                walk_state(c)

        walk_state(((self.plan.doc.get("prior_state") or {}).get("values") or {}).get("root_module") or {})

        def walk_config(mod: dict, prefix: str) -> None:
            for r in mod.get("resources") or []:
                if r.get("address"):
                    self.config[prefix + r["address"]] = r
            for name, call in (mod.get("module_calls") or {}).items():
                walk_config(call.get("module") or {}, f"{prefix}module.{name}.")

        walk_config((self.plan.doc.get("configuration") or {}).get("root_module") or {}, "")

    @staticmethod
    def _split(address: str) -> tuple[str, str]:
        """(module prefix, resource part without index) of an instance address."""
        m = re.match(r"^((?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*)(.*)$", address)
        prefix, res = (m.group(1), m.group(2)) if m else ("", address)
        return prefix, _strip_index(res)

    def attr(self, rc: dict, name: str) -> tuple[str, Any]:
        """('known', value) | ('new', address of a resource the plan creates) | ('unknown', why)."""
        ch = rc.get("change") or {}
        after = ch.get("after") or {}
        au = ch.get("after_unknown") or {}
        if not (isinstance(au, dict) and au.get(name) is True):
            return "known", after.get(name) if isinstance(after, dict) else None
        prefix, res = self._split(rc.get("address", ""))
        # configuration addresses drop module instance keys: module.a["x"].b -> module.a.b
        cfg = self.config.get(re.sub(r"\[[^\]]*\]", "", prefix) + res)
        expr = ((cfg or {}).get("expressions") or {}).get(name)
        if not isinstance(expr, dict):
            return "unknown", f"{rc.get('address')}.{name} is unknown until apply and the plan records no expression"
        if "constant_value" in expr:
            return "known", expr["constant_value"]
        refs = [r for r in expr.get("references") or [] if isinstance(r, str)]
        if not refs:
            return "unknown", f"{rc.get('address')}.{name} is unknown until apply (no references recorded)"
        bases = {self._base(r) for r in refs}
        # Terraform lists a reference with the objects it goes through (``var.cfg.id``, ``var.cfg``): one value is
        # one such chain. Two chains, of two objects or of one object (``var.cfg.on ? var.cfg.a : var.cfg.b``),
        # are values the expression combines: which one it gives is not known
        heads = _heads(refs) if len(bases) == 1 else []
        if len(bases) > 1 or len(heads) > 1:
            return "unknown", (f"{rc.get('address')}.{name} is unknown until apply: its expression combines "
                               f"{', '.join(sorted(b for b in bases if b) if len(bases) > 1 else heads)}")
        for ref in sorted(refs, key=len, reverse=True):  # the most specific reference first
            got = self.reference(ref, prefix)
            if got[0] != "unknown":
                return got
        return "unknown", f"{rc.get('address')}.{name} is unknown until apply ({refs[0]} is not known)"

    @staticmethod
    def _base(ref: str) -> str:
        m = _REF.match(ref)
        return m.group("base") if m else ref

    def reference(self, ref: str, prefix: str) -> tuple[str, Any]:
        if ref.startswith("var."):
            name = ref[4:].split(".")[0].split("[")[0]
            var = (self.plan.doc.get("variables") or {}).get(name)
            if not prefix and isinstance(var, dict) and "value" in var:
                ok, v = _walk(var["value"], None, _path(ref[4 + len(name):]))
                return ("known", v) if ok else ("unknown", ref)
            return "unknown", f"{ref} (a module variable: not recorded in the plan)"
        if ref.split(".")[0] in ("local", "each", "count", "path", "terraform", "self", "module"):
            return "unknown", f"{ref} is not recorded in the plan"
        m = _REF.match(ref)
        if not m:
            return "unknown", ref
        base, index, rest = m.group("base"), m.group("index") or "", m.group("rest") or ""
        address = prefix + base + index
        path = _path(rest)
        rc = self.changes.get(address)
        if rc is None and not index:
            many = [a for a in self.changes if a.startswith(address + "[")]
            if many:
                return "unknown", f"{ref}: {address} has {len(many)} instances (count/for_each) and the reference " \
                                  "does not say which"
        if rc is not None:
            ch = rc.get("change") or {}
            actions = ch.get("actions") or []
            if not path:
                return "unknown", f"{ref} (a whole object)"
            ok, v = _walk(ch.get("after"), ch.get("after_unknown"), path)
            if ok and v is not None:
                return "known", v
            if not ok and path == ["id"] and "create" in actions:
                return "new", address
            return "unknown", f"{ref} is unknown until apply"
        st = self.state.get(address)
        if st is not None and path:
            ok, v = _walk(st.get("values"), None, path)
            if ok and v is not None:
                return "known", v
        return "unknown", f"{ref} is not in the plan"


def _heads(refs: list[str]) -> list[str]:
    """The references of ``refs`` that no other one goes through (``var.cfg.a`` of ``var.cfg.a``, ``var.cfg``),
    sorted: the values an expression is built from. In sorted order those that go through ``r`` follow ``r + "."``
    (or ``r + "["``): one search each, not a comparison of every pair (a plan's author chooses how many)."""
    refs = sorted(set(refs))

    def goes_on(r: str) -> bool:
        for k in (r + ".", r + "["):
            i = bisect.bisect_left(refs, k)
            if i < len(refs) and refs[i].startswith(k):
                return True
        return False

    return [r for r in refs if not goes_on(r)]


# ---------------------------------------------------------------------------------------------------- application
@dataclass
class PlanResult:
    """The organisation as the plan would leave it, and what could not be evaluated."""

    org: Any
    rows: list[dict]  # not_evaluated rows (unmodelled resources, unknown values)
    unknown_accounts: dict[str, str]  # account -> why its SCP answer is unknown
    unknown_policies: dict[str, str]  # policy id -> why its content is unknown
    #: account -> why its answer could still become more restrictive (an unknown policy attached where its level
    #: already allows everything): evaluated without the unknown part
    restrict_only: dict[str, str] = field(default_factory=dict)
    #: attachments whose policy is unknown until apply (which policy they attach is not known)
    unresolved_attachments: int = 0


def _id(v):
    """An id as the plan gives it: AWS ids are strings; any other JSON value (a list, an object, a number: a plan
    written by hand or by a buggy module) is shown as its JSON text, which matches no id, never a crash."""
    return v if v is None or isinstance(v, str) else json.dumps(v)


def _actions(rc: dict) -> list[str]:
    return list((rc.get("change") or {}).get("actions") or [])


def plan_org(org, plan: Plan | str | os.PathLike | dict) -> PlanResult:
    """Apply the plan's changes of the modelled resources to a copy of ``org`` (``org`` itself is not changed)."""
    if not isinstance(plan, Plan):
        plan = read_plan(plan)
    R = Resolver(plan)
    notes: list[dict] = []
    unknown_accounts: dict[str, str] = {}
    unknown_policies: dict[str, str] = {}

    ous = {r["ou_id"]: dict(r) for r in org.ous.to_dict("records")}
    accounts = {r["account_id"]: dict(r) for r in org.accounts.to_dict("records")}
    policies = {r["policy_id"]: dict(r) for r in org.policies.to_dict("records")}
    targets = {(r["policy_id"], str(r["target_id"])): dict(r) for r in org.policy_targets.to_dict("records")}
    # resource control policies, modelled where the snapshot has them in force and read (AWS attaches
    # RCPFullAWSAccess to every root, OU and account while the type is enabled: "RCP evaluation")
    rcp_on = bool(getattr(org, "rcp_enabled", None)) and not getattr(org, "rcp_unread", None) \
        and org.frames.get("rcps") is not None
    rcps = {r["policy_id"]: dict(r) for r in org.frames["rcps"].to_dict("records")} if rcp_on else {}
    rcp_targets = {(r["policy_id"], str(r["target_id"])): dict(r)
                   for r in org.frames["rcp_targets"].to_dict("records")} if rcp_on else {}
    rcp_full = RCP_FULL if RCP_FULL in rcps else None
    # (policy id, target, why, its not_evaluated row) whose accounts are unknown, or can only be restricted more
    pending_targets: list[tuple[str, str, str, dict]] = []
    # (address, policy id or None: unknown, its not_evaluated row) attached to a target unknown until apply
    anywhere: list[tuple[str, str | None, dict]] = []
    # AWS attaches the AWS-managed FullAWSAccess SCP to every root, OU and account it creates while SCPs are
    # enabled (Organizations user guide, "SCP evaluation"): a planned OU or account gets it too
    full = next((pid for pid, p in policies.items() if p.get("aws_managed") and p.get("name") == "FullAWSAccess"),
                None) if org.scp_enabled is not False else None

    def attach_full(node: str, kind: str) -> None:
        if full is not None:
            targets[(full, node)] = {"policy_id": full, "target_id": node, "target_type": kind,
                                     "target_name": None}
        if rcp_full is not None:
            rcp_targets[(rcp_full, node)] = {"policy_id": rcp_full, "target_id": node, "target_type": kind,
                                             "target_name": None}

    def nr(rc: dict, reason: str, **kw) -> dict:
        # what is not evaluated has an effect that cannot be known here: never neutral
        r = row("not_evaluated", "unknown", reason=f"{rc.get('address')}: {reason}", **kw)
        r["source"] = rc.get("address")
        notes.append(r)
        return r

    changes = [rc for rc in plan.resource_changes if rc.get("mode", "managed") == "managed"]
    for rc in plan.resource_changes:
        acts = _actions(rc)
        if rc.get("mode") == "data" or acts in (["no-op"], ["read"], []):
            continue
        if rc.get("type") not in MODELLED:
            nr(rc, f"planned {'/'.join(acts)} of {rc.get('type')}: not modelled by orgkit, not evaluated")
    for d in plan.doc.get("deferred_changes") or []:
        rc = (d or {}).get("resource_change") or {}
        nr(rc, f"change deferred by Terraform ({(d or {}).get('reason')}): not evaluated")
    if plan.doc.get("complete") is False:
        notes.append(row("not_evaluated", "unknown", reason="the plan is incomplete (-target or deferred changes): "
                                                            "what it leaves out is not shown"))

    def of_type(t: str) -> list[dict]:
        return [rc for rc in changes if rc.get("type") == t and _actions(rc) not in (["no-op"], ["read"], [])]

    def before_id(rc: dict) -> str | None:
        b = (rc.get("change") or {}).get("before") or {}
        return _id(b.get("id")) if isinstance(b, dict) else None

    def new_id(rc: dict) -> str:
        st, v = R.reference(rc["address"] + ".id", "")
        return _id(v) if st == "known" and v else NEW + rc["address"]

    # --- policies
    for rc in of_type("aws_organizations_policy"):
        acts = _actions(rc)
        pid = before_id(rc)
        st_t, typ_t = R.attr(rc, "type")
        to_rcp = rcp_on and st_t == "known" and typ_t == RCP_TYPE
        if "delete" in acts and "create" in acts and ((pid in rcps and not to_rcp) or (pid in policies and to_rcp)):
            # replaced by a policy of the other type (UpdatePolicy cannot change a policy's type): the old one is
            # deleted where it is (with its attachments), the new one made as its type says
            if pid in rcps:
                _plan_rcp(rc, ["delete"], pid, rcps, rcp_targets, R, nr, new_id)
            else:
                policies.pop(pid)
                for k in [k for k in targets if k[0] == pid]:
                    targets.pop(k)
            acts = ["create"]
        if (pid in rcps and "create" not in acts) or to_rcp:
            _plan_rcp(rc, acts, pid, rcps, rcp_targets, R, nr, new_id)
            continue
        if "delete" in acts and pid:
            if pid not in policies:
                nr(rc, f"deletes policy {pid}, which the snapshot does not have", policy_id=pid)
            else:
                policies.pop(pid)
                for k in [k for k in targets if k[0] == pid]:
                    targets.pop(k)
        if "create" in acts or "update" in acts:
            if "update" in acts:
                if pid not in policies:
                    nr(rc, f"updates policy {pid}, which the snapshot does not have", policy_id=pid)
                    continue
                p = policies[pid]
            else:
                pid = new_id(rc)
                p = {"policy_id": pid, "description": None, "aws_managed": False, "arn": None, "content": None,
                     "name": None, "type": SCP_TYPE}
                policies[pid] = p
            st, typ = R.attr(rc, "type")
            if st == "known" and typ:
                p["type"] = typ
            st, name = R.attr(rc, "name")
            p["name"] = name if st == "known" else p.get("name") or rc["address"]
            st, content = R.attr(rc, "content")
            if st == "known" and isinstance(content, str):
                p["content"] = content
                bad_version = scp_version_problem(content) if p.get("type") in (None, SCP_TYPE) else None
                if bad_version:
                    notes.append({**row("not_evaluated", "regression",
                                        reason=f"{rc.get('address')}: {p['name']}: {bad_version}; the apply would "
                                               "fail (the effect rows show the policy as written)",
                                        policy_id=pid, policy_name=p["name"]), "source": rc.get("address")})
            else:
                why = content if st == "unknown" else "content is not known"
                unknown_policies[pid] = why
                p["content"] = p.get("content") or json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
                nr(rc, f"policy content unknown until apply ({why}): its effect is not evaluated",
                   policy_id=pid, policy_name=p["name"])
            if p.get("type") not in (None, SCP_TYPE):
                nr(rc, f"a {p['type']}: orgkit evaluates service control policies"
                       + (" and resource control policies (where the snapshot has them enabled and read)"
                          if p.get("type") == RCP_TYPE else "") + " only", policy_id=pid, policy_name=p["name"])

    # --- OUs
    def resolve_parent(rc: dict) -> tuple[str | None, str | None]:
        st, v = R.attr(rc, "parent_id")
        if st == "known":
            return _id(v), None
        if st == "new":
            return NEW + v, None
        return None, v

    ou_rcs = of_type("aws_organizations_organizational_unit")
    ou_rc: dict[str, dict] = {}  # OU -> the change that creates or moves it
    acc_rc: dict[str, dict] = {}  # account -> the change that creates or moves it
    deleted_ous = []
    for rc in ou_rcs:
        acts, oid = _actions(rc), before_id(rc)
        if "delete" in acts and oid:
            if oid in ous:
                deleted_ous.append((rc, ous.pop(oid)))
            else:
                nr(rc, f"deletes OU {oid}, which the snapshot does not have")
    for rc in sorted(ou_rcs, key=lambda r: r.get("address", "")):
        acts, oid = _actions(rc), before_id(rc)
        if not ("create" in acts or "update" in acts):
            continue
        if "update" in acts and oid not in ous:
            nr(rc, f"updates OU {oid}, which the snapshot does not have")
            continue
        o = ous[oid] if "update" in acts else {"ou_id": new_id(rc), "arn": None, "is_root": False}
        ou_rc[o["ou_id"]] = rc
        st, name = R.attr(rc, "name")
        o["name"] = name if st == "known" and name else o.get("name") or rc["address"]
        parent, why = resolve_parent(rc)
        if parent is None:
            nr(rc, f"OU parent unknown until apply ({why}): the OU is not placed", target_id=o["ou_id"])
            continue
        o["parent_id"] = parent
        if o["ou_id"] not in ous:
            attach_full(o["ou_id"], "ORGANIZATIONAL_UNIT")
        ous[o["ou_id"]] = o
    # --- accounts
    for rc in of_type("aws_organizations_account"):
        acts, aid = _actions(rc), before_id(rc)
        if "delete" in acts and aid and aid == org.management_account_id and aid in accounts:
            # neither removing nor closing applies to the management account: AWS refuses ("You can't remove a
            # management account from an organization"; "You can't close the management account with this API"),
            # so the apply fails there and the account stays (a replacement is not made either)
            nr(rc, f"removes the management account {aid}: AWS refuses to remove or close the management account "
                   "(the apply would fail); kept", account_id=aid)
            continue
        if "delete" in acts and aid:
            if aid in accounts:
                accounts.pop(aid)
                for k in [k for k in targets if k[1] == aid]:
                    targets.pop(k)
            else:
                nr(rc, f"removes account {aid}, which the snapshot does not have", account_id=aid)
        if "create" in acts or "update" in acts:
            if "update" in acts and aid not in accounts:
                nr(rc, f"updates account {aid}, which the snapshot does not have", account_id=aid)
                continue
            a = accounts[aid] if "update" in acts else {
                "account_id": new_id(rc), "email": None, "arn": None, "status": "ACTIVE", "joined_method": "CREATED",
                "joined_at": pd.NaT, "is_management": False, "tags": {}, "access": "none", "access_error": None}
            st, name = R.attr(rc, "name")
            if st == "known" and name:
                a["account_name"] = name
            a.setdefault("account_name", rc["address"])
            parent, why = resolve_parent(rc)
            if parent is None:
                if "update" in acts:
                    unknown_accounts[a["account_id"]] = f"its parent is unknown until apply ({why})"
                    nr(rc, f"account parent unknown until apply ({why})", account_id=a["account_id"])
                    continue
                nr(rc, f"new account's parent unknown until apply ({why}): not placed", account_id=a["account_id"])
                continue
            a["parent_id"] = parent
            acc_rc[a["account_id"]] = rc
            if a["account_id"] not in accounts:
                attach_full(a["account_id"], "ACCOUNT")
            accounts[a["account_id"]] = a
    # --- attachments: detach first, then attach
    att = of_type("aws_organizations_policy_attachment")
    for rc in att:
        acts = _actions(rc)
        if "delete" in acts:
            b = (rc.get("change") or {}).get("before") or {}
            k = (_id(b.get("policy_id")), str(_id(b.get("target_id"))))
            if k in targets:
                targets.pop(k)
            elif k in rcp_targets:
                rcp_targets.pop(k)
            elif k[0] in policies or k[0] is None:
                nr(rc, f"detaches {k[0]} from {k[1]}, which the snapshot does not show attached", policy_id=k[0],
                   target_id=k[1])
    for rc in att:
        acts = _actions(rc)
        if "create" not in acts and "update" not in acts:
            continue
        sp, pid = R.attr(rc, "policy_id")
        stt, tid = R.attr(rc, "target_id")
        pid = NEW + pid if sp == "new" else _id(pid)
        tid = NEW + tid if stt == "new" else _id(tid)
        if sp == "unknown" and stt == "unknown":
            anywhere.append((str(rc.get("address")), None, nr(
                rc, f"attachment of an unknown policy ({pid}) to an unknown target ({tid}): not evaluated")))
            continue
        if stt == "unknown":
            anywhere.append((str(rc.get("address")), pid, nr(
                rc, f"attaches {pid} to a target unknown until apply ({tid}): the accounts it reaches are unknown",
                policy_id=pid)))
            continue
        tid = str(tid)
        if sp == "unknown":
            pending_targets.append((str(rc.get("address")), tid,
                                    f"a policy unknown until apply is attached above it ({pid})",
                                    nr(rc, f"attaches a policy unknown until apply ({pid}) to {tid}", target_id=tid)))
            continue
        if pid not in policies and pid not in rcps:
            nr(rc, f"attaches {pid}, which neither the snapshot nor the plan has", policy_id=pid, target_id=tid)
            continue
        if tid not in ous and tid not in accounts:
            nr(rc, f"attaches {pid} to {tid}, which neither the snapshot nor the plan has", policy_id=pid,
               target_id=tid)
            continue
        if pid not in rcps and policies[pid].get("type") not in (None, SCP_TYPE):
            continue
        # an SCP's or an RCP's attachment, named as the collector names it (ListTargetsForPolicy's Type and Name)
        (rcp_targets if pid in rcps else targets)[(pid, tid)] = {
            "policy_id": pid, "target_id": tid,
            "target_type": "ACCOUNT" if tid in accounts else
            "ROOT" if ous.get(tid, {}).get("is_root") else "ORGANIZATIONAL_UNIT",
            "target_name": (accounts.get(tid) or ous.get(tid) or {}).get("account_name")
            or (ous.get(tid) or {}).get("name")}

    # an OU deleted while something still hangs under it: AWS refuses, so the apply would fail there. Deepest first:
    # an OU kept holds its parent, which is then kept too (whatever order the plan lists the deletes in)
    held = Counter(v.get("parent_id") for v in (*ous.values(), *accounts.values()))
    for rc, o in sorted(deleted_ous, key=lambda d: -(d[1].get("depth") or 0)):
        if held[o["ou_id"]]:
            ous[o["ou_id"]] = o
            held[o.get("parent_id")] += 1
            nr(rc, f"deletes OU {o['ou_path']} which would still hold {held[o['ou_id']]} accounts or OUs: AWS refuses "
                   "to delete a non-empty OU (the apply would fail); kept", target_id=o["ou_id"])
    # a parent in no planned organisation (an id neither the snapshot nor the plan has, or an OU the plan creates but
    # cannot place): the move is not evaluated, the OU or account is kept where it is (an account's answer is then
    # unknown, as for a parent unknown until apply); what the plan creates there is not placed. Snapshot OUs are put
    # back first (an OU created under one may then be placed), then what still does not reach the root is dropped.
    snap_parent = dict(zip(org.ous["ou_id"], org.ous["parent_id"]))
    put_back: set[str] = set()
    while lost := _unplaced(ous):
        back = [oid for oid in lost if oid in snap_parent and oid not in put_back]
        for oid in back or lost:
            o, rc = ous[oid], ou_rc.get(oid)
            if back:
                put_back.add(oid)
                o["parent_id"], parent = snap_parent[oid], o.get("parent_id")
                if rc is not None and parent != o["parent_id"]:
                    nr(rc, f"OU parent {parent} is not in the planned organisation: the move is not evaluated (the OU "
                           "is kept where it is)", target_id=oid)
                continue
            ous.pop(oid)
            why = f"OU parent {o.get('parent_id')} is not in the planned organisation: the OU is not placed"
            if rc is not None:
                nr(rc, why, target_id=oid)
            else:
                notes.append(row("not_evaluated", "unknown", reason=f"{o.get('name')} ({oid}): {why}", target_id=oid))
    snap_acc = dict(zip(org.accounts["account_id"], org.accounts["parent_id"]))
    for a in list(accounts.values()):
        aid, parent = a["account_id"], a.get("parent_id")
        if parent in ous:
            continue
        rc = acc_rc.get(aid)
        unknown = f"its parent {parent} is not in the planned organisation"
        if snap_acc.get(aid) in ous:
            a["parent_id"] = snap_acc[aid]
            unknown_accounts[aid] = unknown
            if rc is not None:
                nr(rc, f"account parent {parent} is not in the planned organisation: the move is not evaluated (the "
                       "account is kept where it is)", account_id=aid)
            continue
        accounts.pop(aid)
        if aid in snap_acc:
            unknown_accounts[aid] = unknown
        if rc is not None:
            nr(rc, f"new account's parent {parent} is not in the planned organisation: not placed", account_id=aid)
    new_org = rebuild(org, ous, accounts, policies, targets, (rcps, rcp_targets) if rcp_on else None)
    # accounts below an unknown: their SCP answer is unknown, unless the unknown part can only take permissions
    # away. An SCP never grants, and an action is allowed only if an Allow matches it at every level (AWS
    # Organizations, "SCP evaluation"); so a policy added at a level that already allows everything can only add
    # denies there. Anywhere else a new policy's Allow could widen the level: unknown.
    restrict_only: dict[str, str] = {}
    enabled = org.scp_enabled is not False

    full_at: dict[str, set[str]] = {}  # node -> the policies attached there that allow everything
    if enabled and (unknown_policies or pending_targets or anywhere):
        # (a policy of unknown content stands in as allowing everything: it is never what makes a level "full")
        full_pids = {p for p in {p for (p, _) in targets}
                     if p in policies and p not in unknown_policies and _allows_everything(policies[p])}
        for (p, t) in targets:
            if p in full_pids:
                full_at.setdefault(t, set()).add(p)

    def full_level(tid: str, unknown_pid: str | None = None) -> bool:
        return bool(full_at.get(tid, set()) - {unknown_pid})

    def spread(tids, why: str, restricts: bool, note: dict | None, what: str,
               widens: str | None = None) -> None:
        widens = widens or ("the level does not already allow everything, so it could widen permissions as well as "
                            "take them away")
        accs = sorted({aid for t in tids for aid in _accounts_under(new_org, t)})
        for aid in accs:
            if restricts:
                restrict_only.setdefault(aid, what)
            else:
                unknown_accounts.setdefault(aid, why)
        if note is not None and accs:
            shown = ", ".join(accs[:5]) + (f" and {len(accs) - 5} more" if len(accs) > 5 else "")
            note["reason"] += (
                f": it can only take permissions away there (the level already allows everything, and an SCP never "
                f"grants), so the {len(accs)} account{'s' if len(accs) != 1 else ''} below ({shown}) "
                + ("are evaluated without it and their decisions" if len(accs) != 1 else
                   "is evaluated without it and its decisions")
                + " could only become more restrictive" if restricts else
                f": {widens}; the SCP decisions of the {len(accs)} account{'s' if len(accs) != 1 else ''} below "
                f"({shown}) are unknown")

    in_snapshot = set(org.policies["policy_id"])
    for pid, why in unknown_policies.items():
        tids = [t for (p, t) in targets if p == pid]
        # a policy the plan creates, attached only where everything is allowed already: it can only restrict; an
        # existing policy whose new text is unknown may have lost a Deny: unknown
        existing = pid in in_snapshot
        full = all(full_level(t, pid) for t in tids)
        restricts = not existing and full
        why = f"policy {policies[pid].get('name')} applies: {why}"
        note = next((r for r in notes if r["policy_id"] == pid and "policy content unknown" in r["reason"]), None)
        widens = ("its new content replaces an existing policy's, so it could drop a Deny the policy has now"
                  + ("" if full else " or add an Allow where the level does not already allow everything")
                  if existing else None)
        spread(tids, why, restricts, note, f"policy {policies[pid].get('name')} (its content is unknown until apply)",
               widens)
    for address, tid, why, note in pending_targets:
        spread([tid], why, full_level(tid), note, f"the policy that {address} attaches to {tid} (unknown until apply)")
    # attached to a target unknown until apply: it may land at any level of any account's chain. It can only
    # restrict an account if it has no Allow (known policy), or if every level of the account's chain already
    # allows everything
    if anywhere:
        g = new_org.graph
        chains = {aid: {aid} | nx.ancestors(g, aid) for aid in accounts if aid in g}
        for address, pid, note in anywhere:
            # an RCP grants nothing ("No permissions are granted by an RCP"): it can only take permissions away
            grants = pid not in rcps and (pid not in policies or _may_allow(policies[pid]))
            what = f"the policy {address} attaches to a target unknown until apply"
            narrow, wide = [], []
            for aid, chain in sorted(chains.items()):
                (narrow if not grants or all(full_level(n) for n in chain) else wide).append(aid)
            for aid in narrow:
                restrict_only.setdefault(aid, what)
            for aid in wide:
                unknown_accounts.setdefault(aid, f"{what}: it could widen permissions")
            why_narrow = "it has no Allow" if not grants else "every level above them already allows everything"
            note["reason"] += (
                f": it can only take permissions away ({why_narrow}), so {len(narrow)} "
                f"account{'s are' if len(narrow) != 1 else ' is'} evaluated without it" if narrow else "") + (
                f"{';' if narrow else ':'} it could widen permissions where a level does not already allow "
                f"everything: the SCP decisions of {len(wide)} account{'s' if len(wide) != 1 else ''} are unknown"
                if wide else "")
    for aid in unknown_accounts:
        restrict_only.pop(aid, None)
    return PlanResult(new_org, notes, unknown_accounts, unknown_policies, restrict_only, len(pending_targets))


def _unplaced(ous: dict) -> list[str]:
    """The OUs whose chain of parents does not reach the root (a parent missing from ``ous``), each OU's chain
    walked once (linear in the number of OUs). A cycle counts as placed: :func:`rebuild` names it."""
    placed: dict = {}
    for start in ous:
        chain, seen, oid = [], set(), start
        while oid not in placed:
            o = ous.get(oid)
            if o is None or o.get("is_root") or oid in seen:
                placed[oid] = o is not None
                break
            chain.append(oid)
            seen.add(oid)
            oid = o.get("parent_id")
        for c in chain:
            placed[c] = placed[oid]
    return [oid for oid in ous if not placed[oid]]


def _may_allow(policy: dict) -> bool:
    """Whether a policy has an Allow statement (or cannot be read): only such a policy can widen a level."""
    from orgkit.scp.policy import PolicyError, compile_policy

    try:
        return any(st.effect == "Allow" for st in compile_policy(policy.get("content") or "", policy.get(
            "policy_id"), policy.get("name")).statements)
    except PolicyError:
        return True


def _allows_everything(policy: dict) -> bool:
    """Whether a policy's text has a statement that allows every action on every resource unconditionally (as the
    AWS-managed FullAWSAccess does)."""
    from orgkit.scp.lint import _allows_everything as full
    from orgkit.scp.policy import PolicyError, compile_policy

    try:
        return full(compile_policy(policy.get("content") or "", policy.get("policy_id"), policy.get("name")))
    except PolicyError:
        return False


def _plan_rcp(rc: dict, acts: list[str], pid: str | None, rcps: dict, rcp_targets: dict, R, nr, new_id) -> None:
    """A planned create / update / delete of a resource control policy, applied to ``rcps`` (its attachments go
    with a delete). Content unknown until apply: listed as not evaluated (a new RCP keeps an allow-all stand-in,
    which changes nothing; an updated one keeps its collected text), never guessed."""
    if "delete" in acts and pid:
        rcps.pop(pid, None)
        for k in [k for k in rcp_targets if k[0] == pid]:
            rcp_targets.pop(k)
    if "create" not in acts and "update" not in acts:
        return
    if "update" in acts and "create" not in acts:
        if pid not in rcps:
            nr(rc, f"updates policy {pid}, which the snapshot does not have", policy_id=pid)
            return
        p = rcps[pid]
    else:
        pid = new_id(rc)
        p = rcps[pid] = {"policy_id": pid, "description": None, "aws_managed": False, "arn": None,
                         "type": RCP_TYPE, "name": None,
                         "content": json.dumps({"Version": "2012-10-17", "Statement": [
                             {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})}
    st, name = R.attr(rc, "name")
    p["name"] = name if st == "known" else p.get("name") or rc["address"]
    st, content = R.attr(rc, "content")
    if st == "known" and isinstance(content, str):
        p["content"] = content
    else:
        why = content if st == "unknown" else "content is not known"
        nr(rc, f"RCP content unknown until apply ({why}): its effect is not evaluated (the "
               + ("collected text is kept" if "update" in acts else "new RCP is evaluated as allowing everything")
               + ")", policy_id=pid, policy_name=p["name"])


def _accounts_under(org, node: str) -> set[str]:
    g = org.graph
    if node not in g:
        return set()
    nodes = {node} | nx.descendants(g, node)
    return {n for n in nodes if g.nodes[n].get("kind") == "account"}


def rebuild(org, ous: dict, accounts: dict, policies: dict, targets: dict, rcp: tuple[dict, dict] | None = None):
    """A new ``Org`` with these OUs, accounts, policies and attachments (other frames shared with ``org``);
    ``rcp``: the resource control policies and their attachments (None: as collected)."""
    from orgkit.model import FRAMES, Org, _frame
    from orgkit.ougraph import child_path

    g = nx.DiGraph()
    for oid, o in ous.items():
        if o.get("is_root"):
            g.add_node(oid, kind="root", name=o.get("name") or "Root", depth=0, path="Root", scps=[], arn=o.get("arn"))
    for oid, o in ous.items():
        if not o.get("is_root"):
            g.add_node(oid, kind="ou", name=o.get("name"), arn=o.get("arn"), scps=[])
    for oid, o in ous.items():
        if not o.get("is_root"):
            if o.get("parent_id") not in g:
                raise ValueError(f"OU {oid} would have an unknown parent {o.get('parent_id')}")
            g.add_edge(o["parent_id"], oid)
    if not nx.is_directed_acyclic_graph(g):
        cycle = [a for a, _ in nx.find_cycle(g)]
        raise ValueError("the planned OUs form a cycle (" + " under ".join(
            f"{g.nodes[o].get('name')} ({o})" for o in reversed(cycle + cycle[:1])) + "): no organisation can be so")
    ou_rows = []
    for oid in nx.topological_sort(g):
        d = g.nodes[oid]
        if d["kind"] == "ou":
            parent = next(iter(g.predecessors(oid)))
            d["depth"] = g.nodes[parent]["depth"] + 1
            d["path"] = child_path(g.nodes[parent]["path"], d["name"])  # a "/" in a name escaped, as load does
        o = ous[oid]
        ou_rows.append({**{c: o.get(c) for c in FRAMES["ous"]}, "depth": d["depth"], "ou_path": d["path"],
                        "parent_id": None if d["kind"] == "root" else next(iter(g.predecessors(oid))),
                        "is_root": d["kind"] == "root", "name": d["name"]})
    mgmt = org.management_account_id
    acc_rows = []
    for aid, a in accounts.items():
        parent = a["parent_id"]
        g.add_node(aid, kind="account", name=a.get("account_name"), depth=g.nodes[parent]["depth"] + 1,
                   path=child_path(g.nodes[parent]["path"], a.get("account_name")), scps=[], is_management=aid == mgmt)
        g.add_edge(parent, aid)
        acc_rows.append({**{c: a.get(c) for c in FRAMES["accounts"]}, "ou_path": g.nodes[parent]["path"]})
    for (pid, tid) in targets:
        if tid in g and pid in policies:
            g.nodes[tid]["scps"].append(pid)
    # RCPs: the plan's (``rcp``), else as collected; an OU or account the plan makes gets RCPFullAWSAccess, which
    # AWS attaches to every new node while RCPs are enabled
    rcps = org.frames.get("rcps")
    full = [RCP_FULL] if rcps is not None and RCP_FULL in set(rcps["policy_id"]) else []
    by_node: dict[str, list[str]] = {}
    if rcp is not None:
        for (pid, tid) in rcp[1]:
            if pid in rcp[0]:
                by_node.setdefault(tid, []).append(pid)
    for n in g.nodes:
        g.nodes[n]["scps"] = sorted(set(g.nodes[n]["scps"]))
        if rcp is not None:
            g.nodes[n]["rcps"] = sorted(set(by_node.get(n, [])))
            continue
        old = org.graph.nodes[n].get("rcps") if n in org.graph else None
        g.nodes[n]["rcps"] = list(old) if old is not None else list(full)
    frames = dict(org.frames)
    if rcp is not None:
        frames["rcps"] = _frame("rcps", [{c: p.get(c) for c in FRAMES["rcps"]} for p in rcp[0].values()])
        frames["rcp_targets"] = _frame("rcp_targets", [{c: t.get(c) for c in FRAMES["rcp_targets"]}
                                                       for (pid, tid), t in rcp[1].items() if tid in g])
    acc = pd.DataFrame.from_records(acc_rows, columns=FRAMES["accounts"])
    acc["is_management"] = acc["is_management"].fillna(False).astype(bool)
    acc["joined_at"] = pd.to_datetime(acc["joined_at"], utc=True)
    frames["accounts"] = acc
    frames["ous"] = _frame("ous", ou_rows)
    frames["policies"] = _frame("policies", [{c: p.get(c) for c in FRAMES["policies"]} for p in policies.values()])
    frames["policy_targets"] = _frame("policy_targets", [{c: t.get(c) for c in FRAMES["policy_targets"]}
                                                         for (pid, tid), t in targets.items() if tid in g])
    manifest = dict(org.manifest)
    return Org(manifest=manifest, frames=frames, graph=g, path=org.path, scp_enabled=org.scp_enabled,
               rcp_enabled=getattr(org, "rcp_enabled", None), rcp_unread=getattr(org, "rcp_unread", None))


def diff_plan(org, plan, **kw) -> pd.DataFrame:
    """The changes a plan would make to ``org`` (an ``Org`` or a snapshot path): the structure and SCP effect rows
    of :func:`orgkit.diff.diff`, and the planned changes that were not evaluated."""
    from orgkit.diff import _org, diff
    from orgkit.diff.rows import frame

    org = _org(org)
    res = plan_org(org, plan)
    kw.setdefault("coverage", False)
    df = diff(org, res.org, _unknown_accounts=res.unknown_accounts, **kw)
    attrs = dict(df.attrs)  # (pd.concat below keeps no attrs when its frames' differ)
    df["reason"] = df["reason"].astype(object)
    # a policy whose planned content is unknown: its edit row says so rather than comparing with a stand-in
    extra = []
    for pid, why in res.unknown_policies.items():
        m = (df["policy_id"] == pid) & df["kind"].isin(["scp_edited", "scp_created"])
        has_row = bool(m.any())
        if has_row:
            df.loc[m, "reason"] = f"content unknown until apply ({why})"
            df.loc[m & (df["kind"] == "scp_edited"), "severity"] = "unknown"
        # its attachments: rated by a stand-in text otherwise; their effect is unknown (the accounts' rows say
        # whether it can only restrict)
        m = (df["policy_id"] == pid) & (df["kind"] == "scp_attached")
        if m.any():
            df.loc[m, "reason"] = df.loc[m, "reason"].str.split("; ").str[0] + \
                f"; content unknown until apply ({why}): its effect is not evaluated"
            df.loc[m, "severity"] = "unknown"
        if not has_row:  # an existing policy, compared with its snapshot text as a stand-in: no row of its own
            name = res.org.policies.set_index("policy_id")["name"].get(pid)
            extra.append(row("scp_edited", "unknown", policy_id=pid, policy_name=name,
                             reason=f"content unknown until apply ({why})"))
    if res.unresolved_attachments:  # a new policy "not attached" may be the one an unresolved attachment attaches
        n = res.unresolved_attachments
        m = (df["kind"] == "scp_created") & df["reason"].str.endswith(" (not attached)")
        df.loc[m, "reason"] = df.loc[m, "reason"].str.replace(
            " (not attached)", f" (attached nowhere the plan shows; {n} attachment{'s' if n != 1 else ''} of a "
                               "policy unknown until apply may attach it)", regex=False)
    if res.restrict_only:  # evaluated without the unknown part, which could only deny more
        m = df["kind"].isin(["scp_effect", "tamper"]) & df["account_id"].isin(list(res.restrict_only))
        if m.any():
            df.loc[m, "reason"] = df.loc[m, "reason"] + "; could still be denied after apply by " + \
                df.loc[m, "account_id"].map(res.restrict_only)
    if extra:
        df = pd.concat([df, frame(extra)], ignore_index=True)
    out = frame(pd.concat([df, frame(res.rows)], ignore_index=True))
    out.attrs.update(attrs)
    path = getattr(plan, "path", None) or (str(plan) if isinstance(plan, (str, os.PathLike)) else None)
    out.attrs["after"] = f"plan {path}" if path else "plan"
    return out
