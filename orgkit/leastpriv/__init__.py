"""Least privilege: SCPs from what each OU or account uses, proven before they are attached (docs/least-privilege.md).

    import orgkit.leastpriv as lp
    s = lp.suggest(org, "ou-ab12-00000001", days=90, exceptions=["role/BreakGlass"])
    s.services        # one row per service namespace: used / unused / unknown / denied / core, and why
    s.policies        # the proposed SCP documents (dicts), each within AWS's size limit
    s.proof           # the change review rows (orgkit.diff) of the organisation with the proposal attached
    s.exceptions_proof  # per exception principal and account: keeps access to what the proposal takes away?
    s.ready           # True only when the proof holds: nothing used, nothing in the core, is denied
    s.terraform()     # aws_organizations_policy + aws_organizations_policy_attachment

The data is the snapshot's ``service_access`` frame (IAM's Organizations access reports, one row per entity and
service). Pure functions over ``Org`` objects; the reference time is the snapshot's ``collected_at``, never now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import pandas as pd

from orgkit.scp.lint import MAX_POLICY_CHARS, MAX_SCPS_PER_TARGET

__all__ = ["suggest", "Suggestion", "service_status", "policy_size", "CORE_SERVICES", "STATUSES",
           "SERVICE_ACCESS_COLUMNS", "exception_arns", "LeastPrivError", "is_orgkit_policy"]

#: the contract with the collector (issue 21 points 1-2)
SERVICE_ACCESS_COLUMNS = ["entity_path", "entity_type", "entity_id", "service_namespace", "service_name",
                          "last_authenticated", "last_authenticated_region", "last_authenticated_entity",
                          "total_authenticated_entities", "job_created", "job_completed"]

#: per service, in the order rows are listed
STATUSES = ("used", "unknown", "denied", "core", "unused")

#: Never denied, whatever the data says: what the organisation's own management, its delegated security
#: administrators and orgkit's read-only collection need (docs/least-privilege.md, "The core"). The namespaces of the
#: organisation's delegated administrators (``delegated_admins.service_principal``) are added per organisation.
CORE_SERVICES = (
    "organizations", "account", "sts", "iam", "sso", "sso-directory", "identitystore",
    "cloudtrail", "guardduty", "config", "securityhub", "access-analyzer", "inspector2", "detective", "macie2",
    "cloudformation", "kms", "support", "health", "trustedadvisor",
)

PROBE_ROLE = "OrgkitLeastPrivilegeProbe"


class LeastPrivError(ValueError):
    """Bad input to :func:`suggest` (unknown target, bad exception, bad strategy)."""


def policy_size(doc: dict | str) -> int:
    """The size AWS checks against the 5,120 limit: every character of the text as sent, white space included (and
    at least the UTF-8 byte count, so a non-ASCII character is never counted short)."""
    text = doc if isinstance(doc, str) else _text(doc)
    return max(len(text), len(text.encode("utf-8")))


def _text(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def exception_arns(exceptions: Iterable[str]) -> list[str]:
    """``role/BreakGlass`` → ``arn:aws:iam::*:role/BreakGlass`` (in every account); ARNs are kept as given."""
    out = []
    for e in exceptions or ():
        e = str(e).strip()
        if not e:
            continue
        if e.startswith("arn:"):
            out.append(e)
        elif e.startswith(("role/", "user/")) and len(e) > 5:
            out.append(f"arn:aws:iam::*:{e}")
        else:
            raise LeastPrivError(f"exception {e!r}: expected role/NAME, user/NAME or an IAM ARN")
    return sorted(set(out))


# ------------------------------------------------------------------------------------------------------ the data
def _collected(org) -> tuple[pd.DataFrame | None, str | None]:
    sa = org.frames.get("service_access")
    flag = getattr(org, "access_reports_collected", None)
    if flag is None:
        flag = org.manifest.get("access_reports_collected")
    if sa is None or flag is False:
        return None, "access reports not collected (orgkit collect --access-reports)"
    missing = [c for c in SERVICE_ACCESS_COLUMNS if c not in sa.columns]
    if missing:
        return None, f"the service_access frame lacks {', '.join(missing)}"
    return sa, None


def _reference_time(org) -> pd.Timestamp:
    at = org.manifest.get("collected_at")
    if not at:
        raise LeastPrivError("the snapshot does not say when it was collected (manifest collected_at)")
    return pd.Timestamp(at).tz_convert("UTC") if pd.Timestamp(at).tzinfo else pd.Timestamp(at).tz_localize("UTC")


def _target_accounts(org, target: str) -> tuple[str, str, list[str]]:
    """(node id, kind, account ids under it) for an OU id, account id, root id or OU path such as Root/Prod."""
    g = org.graph
    node = str(target)
    if node not in g:
        paths = dict(zip(org.ous["ou_path"], org.ous["ou_id"]))
        if node in paths:
            node = paths[node]
        else:
            raise LeastPrivError(f"{target} is not a root, OU or account of organisation {org.organization_id}")
    kind = g.nodes[node].get("kind")
    if kind == "account":
        return node, kind, [node]
    import networkx as nx

    accs = sorted(n for n in nx.descendants(g, node) if g.nodes[n].get("kind") == "account")
    return node, kind, accs


def core_services(org) -> list[str]:
    """:data:`CORE_SERVICES` and the namespaces of the organisation's delegated administrators."""
    core = set(CORE_SERVICES)
    da = org.frames.get("delegated_admins")
    if da is not None and len(da):
        for sp in da["service_principal"].dropna():
            core.add(str(sp).split(".amazonaws.com")[0].split(".")[0])
    return sorted(core)


def service_status(org, target: str, days: int = 90, *, catalog=None, probe: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (account, service) and per service of the target: ``used``, ``unused`` (surely: listed in the report,
    not used in the window, by an account older than the window), ``unknown`` (with why), ``denied`` (every action
    already denied by the SCPs in force for every account), ``core`` (never denied). Returns (per account, per
    service)."""
    from orgkit import scp

    if days <= 0:
        raise LeastPrivError(f"--days {days}: expected a positive number of days")
    cat = catalog or scp.default_catalog()
    node, kind, accounts = _target_accounts(org, target)
    mgmt = org.management_account_id
    members = [a for a in accounts if a != mgmt]
    ref = _reference_time(org)
    start = ref - pd.Timedelta(days=int(days))
    sa, why_not = _collected(org)
    services = sorted(set(cat.frame["service"].dropna().astype(str)))
    core = set(core_services(org))
    joined = dict(zip(org.accounts["account_id"], org.accounts["joined_at"]))

    # already denied: every action of the service is denied (explicit or implicit) for the probe in the account
    denied: dict[str, set[str]] = {}
    if members:
        summ = scp.summary(scp.evaluator(org, catalog) if catalog is not None else org, by="service",
                           principal=probe or f"role/{PROBE_ROLE}")
        summ = summ[summ["account_id"].isin(members)]
        dn = summ[(summ["explicit_deny"] + summ["implicit_deny"]) == summ["total"]]
        for a, s in zip(dn["account_id"], dn["service"]):
            denied.setdefault(a, set()).add(s)

    # one pass over the frame: account -> {namespace: last authenticated} (a namespace listed twice keeps its latest)
    reports: dict[str, dict] = {}
    if sa is not None:
        acc_rows = sa[sa["entity_type"] == "account"]
        for aid_, svc_, t_ in zip(acc_rows["entity_id"].astype(str), acc_rows["service_namespace"].astype(str),
                                  acc_rows["last_authenticated"]):
            d_ = reports.setdefault(aid_, {})
            if svc_ not in d_ or (pd.notna(t_) and (pd.isna(d_[svc_]) or t_ > d_[svc_])):
                d_[svc_] = t_
    recs = []
    for aid in members:
        rows = None if sa is None else reports.get(aid, {})
        young = pd.notna(joined.get(aid)) and joined.get(aid) > start
        last = rows or {}
        for svc in services:
            t = last.get(svc, None)
            if svc in last and pd.notna(t) and t >= start:
                st, why = "used", f"last used {pd.Timestamp(t).isoformat()}"
            elif svc in denied.get(aid, ()):
                st, why = "denied", "every action already denied by the SCPs in force"
            elif sa is None:
                st, why = "unknown", why_not
            elif not rows:
                st, why = "unknown", "no access report for this account"
            elif svc not in last:
                st, why = "unknown", "not in the access report (an SCP denies it, or the service reports no access data)"
            elif young:
                st, why = "unknown", f"the account joined {pd.Timestamp(joined[aid]).date()}, within the {days}-day window"
            else:
                st, why = "unused", ("never used" if pd.isna(t) else f"last used {pd.Timestamp(t).isoformat()}, "
                                     f"before the {days}-day window")
            recs.append((aid, svc, st, why))
    per_acc = pd.DataFrame(recs, columns=["account_id", "service", "status", "reason"])

    out = []
    by_svc = {s: g for s, g in per_acc.groupby("service")} if len(per_acc) else {}
    for svc in services:
        g = by_svc.get(svc)
        n = {s: 0 for s in ("used", "unused", "unknown", "denied")}
        reason = ""
        if g is not None:
            vc = g["status"].value_counts()
            n.update({k: int(v) for k, v in vc.items()})
        if svc in core and not n["used"] and not (g is not None and n["denied"] == len(g)):
            st, reason = "core", "in the core: never denied"
        elif n["used"]:
            st = "used"
            reason = f"used by {n['used']} account(s) in the last {days} days"
        elif n["unknown"]:
            st = "unknown"
            reason = "; ".join(sorted(set(g.loc[g["status"] == "unknown", "reason"])))
        elif g is None:
            st, reason = "unknown", "no member account under the target"
        elif n["denied"] and not n["unused"]:
            st, reason = "denied", "already denied by the SCPs in force in every account"
        else:
            st, reason = "unused", f"unused in the last {days} days by every account"
        out.append({"service": svc, "status": st, "accounts_used": n["used"], "accounts_unused": n["unused"],
                    "accounts_unknown": n["unknown"], "accounts_denied": n["denied"], "reason": reason})
    per_svc = pd.DataFrame(out, columns=["service", "status", "accounts_used", "accounts_unused", "accounts_unknown",
                                         "accounts_denied", "reason"])
    per_svc.attrs.update({"target": node, "target_kind": kind, "accounts": members, "reference_time": ref.isoformat(),
                          "window_start": start.isoformat(), "days": int(days), "collected": sa is not None,
                          "not_collected_reason": why_not, "management_excluded": mgmt in accounts})
    return per_acc, per_svc


# -------------------------------------------------------------------------------------------------- the proposal
def _pack(actions: list[str], make, limit: int) -> list[list[str]]:
    """Greedy: consecutive chunks of ``actions`` whose document ``make(chunk)`` fits ``limit``."""
    chunks: list[list[str]] = []
    cur: list[str] = []
    for a in actions:
        if cur and policy_size(make(cur + [a])) > limit:
            chunks.append(cur)
            cur = []
        if policy_size(make([a])) > limit:
            raise LeastPrivError(f"one statement for {a} does not fit {limit} characters (too many exceptions?)")
        cur.append(a)
    if cur:
        chunks.append(cur)
    return chunks


def _deny_doc(actions: list[str], arns: list[str], n: int = 1) -> dict:
    st = {"Sid": f"DenyUnusedServices{n}", "Effect": "Deny", "Action": list(actions), "Resource": "*"}
    if arns:
        st["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": list(arns)}}
    return {"Version": "2012-10-17", "Statement": [st]}


def _allow_doc(actions: list[str], arns: list[str], n: int = 1) -> dict:
    sts = [{"Sid": f"AllowUsedServices{n}", "Effect": "Allow", "Action": list(actions), "Resource": "*"}]
    if arns:
        sts.append({"Sid": "AllowExceptions", "Effect": "Allow", "Action": "*", "Resource": "*",
                    "Condition": {"ArnLike": {"aws:PrincipalArn": list(arns)}}})
    return {"Version": "2012-10-17", "Statement": sts}


@dataclass
class Suggestion:
    target: str
    target_kind: str
    target_name: str
    strategy: str
    days: int
    exceptions: list[str]
    services: pd.DataFrame
    per_account: pd.DataFrame
    policies: list[dict]
    detach: list[str]
    given_up: list[dict]
    slots: int
    notes: list[str] = field(default_factory=list)
    proof: pd.DataFrame | None = None
    violations: pd.DataFrame | None = None
    probe: str | None = None
    #: the orgkit least-privilege SCPs already attached to the target (a re-run after attaching one): ``policies``,
    #: ``denies`` (how many namespaces they deny), ``now_denied`` (of those, denied today), ``newly_used`` (used in the
    #: window although they deny it: by an exception, or denied attempts, which AWS counts as access)
    previous: dict = field(default_factory=dict)
    #: the names of the organisation's policies: a new policy never takes one (AWS refuses a duplicate name)
    names_taken: frozenset = field(default_factory=frozenset, repr=False)
    #: per proposed policy, the attached orgkit policy it updates in place (its id), or None for a new one
    updates: list = field(default_factory=list)
    #: attached orgkit policies the update no longer needs (to detach and delete)
    retire: list = field(default_factory=list)
    #: per exception principal and account where the proposal takes something away: does it keep access (the SCP
    #: engine with that principal's ARN, before and after; :func:`orgkit.leastpriv.proof.exceptions_proof`)
    exceptions_proof: pd.DataFrame | None = None

    @property
    def ready(self) -> bool:
        """True only when there is a proposal and its proof holds."""
        return bool(self.policies) and self.violations is not None and self.violations.empty

    @property
    def denied_services(self) -> list[str]:
        return sorted({a.split(":")[0] for d in self.policies for st in d["Statement"] if st["Effect"] == "Deny"
                       for a in st["Action"]})

    def policy_names(self) -> list[str]:
        """An updated policy keeps its name (Terraform's resource address stays the same); a new one takes the next
        free ``orgkit-least-privilege-<target>-<n>``."""
        slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in self.target_name)[:60] or self.target
        names = self.previous.get("names", {})
        out, n = [], 0
        for i in range(len(self.policies)):
            pid = self.updates[i] if i < len(self.updates) else None
            if pid is not None:
                out.append(names.get(pid) or pid)
                continue
            while True:
                n += 1
                name = f"{PREFIX}{slug}-{n}"
                if name not in self.names_taken:
                    out.append(name)
                    break
        return out

    def policy_texts(self) -> list[str]:
        return [_text(d) for d in self.policies]

    def terraform(self) -> str:
        from orgkit.leastpriv.terraform import render

        return render(self)

    def to_json(self) -> dict:
        return {
            "target": self.target, "target_kind": self.target_kind, "target_name": self.target_name,
            "strategy": self.strategy, "days": self.days, "reference_time": self.services.attrs.get("reference_time"),
            "exceptions": self.exceptions, "ready": self.ready, "probe_principal": self.probe,
            "policies": [{"name": n, "size": policy_size(d), "content": d,
                          "updates": self.updates[i] if i < len(self.updates) else None}
                         for i, (n, d) in enumerate(zip(self.policy_names(), self.policies))],
            "updates": list(self.updates), "retire": list(self.retire),
            "detach": self.detach, "given_up": self.given_up, "notes": self.notes,
            "previous": {k: v for k, v in self.previous.items() if k != "texts"},
            "services": self.services.to_dict("records"),
            "violations": [] if self.violations is None else self.violations.astype(object).where(
                self.violations.notna(), None).to_dict("records"),
            "exceptions_proof": [] if self.exceptions_proof is None else self.exceptions_proof.astype(object).where(
                self.exceptions_proof.notna(), None).to_dict("records"),
        }


PREFIX = "orgkit-least-privilege-"
#: in the description of every policy orgkit proposes (Terraform and the proof's copy): how a re-run recognises one
MARKER = "(orgkit scp suggest)"


def is_orgkit_policy(name, description) -> bool:
    """A policy orgkit proposed: its name starts with :data:`PREFIX` or its description carries :data:`MARKER`."""
    return str(name or "").startswith(PREFIX) or MARKER in str(description or "")


def _previous(org, node: str, attached: list[str], svc: pd.DataFrame) -> dict:
    """The orgkit least-privilege SCPs attached to ``node`` (a re-run after attaching one): their ids and names, the
    namespaces they deny (``ns:*`` in a Deny), of those the ones denied today (``now_denied``: unused since) and the
    ones used in the window since (``newly_used``: by an exception, or denied attempts, which AWS counts as
    access)."""
    pol = org.policies.set_index("policy_id")
    mine, names, denies, texts = [], {}, set(), []
    for pid in attached:
        if pid not in pol.index or not is_orgkit_policy(pol.at[pid, "name"], pol.at[pid, "description"]):
            continue
        mine.append(pid)
        names[pid] = str(pol.at[pid, "name"] or pid)
        try:
            doc = json.loads(pol.at[pid, "content"] or "{}")
        except ValueError:
            continue
        texts.append(_text(doc) if isinstance(doc, dict) else str(doc))
        sts = doc.get("Statement", []) if isinstance(doc, dict) else []
        for st in sts if isinstance(sts, list) else [sts]:
            if isinstance(st, dict) and st.get("Effect") == "Deny":
                acts = st.get("Action", [])
                for a in [acts] if isinstance(acts, str) else acts:
                    if isinstance(a, str) and a.endswith(":*"):
                        denies.add(a[:-2].lower())
    status = dict(zip(svc["service"], svc["status"]))
    mine.sort(key=lambda p: (names[p], p))
    return {"policies": mine, "names": names, "texts": texts, "denies": len(denies), "denied_services": sorted(denies),
            "now_denied": sorted(x for x in denies if status.get(x) == "denied"),
            "newly_used": sorted(x for x in denies if status.get(x) == "used")}


def _few(names: list[str], n: int = 10) -> str:
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


def suggest(org, target: str, days: int = 90, strategy: str = "deny-list", exceptions: Sequence[str] = (), *,
            prove: bool = True, catalog=None) -> Suggestion:
    """The least-privilege proposal for ``target`` (OU id, account id, root id or OU path) and its proof.

    ``deny-list``: one Deny of ``service:*`` per surely unused service (exceptions: ``ArnNotLike aws:PrincipalArn``).
    ``allow-list``: an Allow of the used, unknown and core services that are not denied today (and of everything
    for the exceptions) that replaces the target's own Allow policies (they are detached). Split into as many policies as
    AWS's 5,120-character limit needs; at most the free slots of the 5 SCPs per target; what does not fit is listed
    in ``given_up``.
    """
    if strategy not in ("deny-list", "allow-list"):
        raise LeastPrivError(f"strategy {strategy!r}: expected deny-list or allow-list")
    from orgkit import scp

    arns = exception_arns(exceptions)
    probe = f"role/{PROBE_ROLE}"
    from orgkit.scp.matching import arn_matches

    if any(arn_matches(a, f"arn:aws:iam::123456789012:{probe}") for a in arns):
        raise LeastPrivError(f"an exception matches every role, even {probe}: nothing could be proven")
    per_acc, svc = service_status(org, target, days, catalog=catalog, probe=probe)
    node = svc.attrs["target"]
    kind = svc.attrs["target_kind"]
    name = org.graph.nodes[node].get("name") or node
    attached = sorted(set(org.policy_targets.loc[org.policy_targets["target_id"].astype(str) == node, "policy_id"]))
    notes: list[str] = []
    if not svc.attrs["collected"]:
        notes.append(f"{svc.attrs['not_collected_reason']}: every service is unknown, nothing is proposed")
    if svc.attrs["management_excluded"]:
        notes.append("the management account is under the target: SCPs do not restrict it, it is left out")
    if not svc.attrs["accounts"]:
        notes.append("no member account under the target: nothing is proposed")
    previous = _previous(org, node, attached, svc)
    reuse = list(previous["policies"])
    if reuse:
        notes.append(f"{len(reuse)} orgkit least-privilege SCP(s) already attached here deny "
                     f"{previous['denies']} service(s): {len(previous['now_denied'])} of them denied now"
                     + (f" ({_few(previous['now_denied'])})" if previous["now_denied"] else "")
                     + f"; {len(previous['newly_used'])} used in the window since"
                     + (f" ({_few(previous['newly_used'])}: still denied by the update; review the exceptions, or "
                        "lift the deny by hand)" if previous["newly_used"] else ""))
    detach: list[str] = []
    given_up: list[dict] = []
    if strategy == "deny-list":
        # a re-run updates the attached orgkit policy: what it denies stays denied (today's effect, unchanged),
        # the services unused since are added
        unused = set(svc.loc[svc["status"] == "unused", "service"])
        targets = [f"{x}:*" for x in sorted(unused | set(previous["denied_services"]))]

        def make(chunk, n=1):
            return _deny_doc(chunk, arns, n)
    else:
        if svc.attrs["collected"] and svc.attrs["accounts"]:
            # what is denied today stays denied: an allow-list never lets anyone do more than today
            targets = [f"{s}:*" for s in svc.loc[~svc["status"].isin(["unused", "denied"]), "service"]]
        else:
            targets = []
        ev = scp.evaluator(org)
        for pid in attached:
            try:
                if any(st.effect == "Allow" for st in ev.policy(pid).statements):
                    detach.append(pid)
            except Exception:  # an unreadable policy: keep it, the proof will say what happens
                pass

        def make(chunk, n=1):
            return _allow_doc(chunk, arns, n)
    detach = [pid for pid in detach if pid not in reuse]  # updated in place (or retired), not detached as Allows
    slots = MAX_SCPS_PER_TARGET - len(attached) + len(detach) + len(reuse)
    chunks = _pack(targets, make, MAX_POLICY_CHARS) if targets else []
    if len(chunks) > slots:
        if strategy == "deny-list":
            kept, dropped = chunks[:slots], [a for c in chunks[slots:] for a in c]
            given_up = [{"service": a.split(":")[0], "why": f"{len(attached)} SCP(s) already attached to {node}: "
                         f"only {slots} more fit AWS's 5 per target; left allowed"} for a in dropped]
            chunks = kept
        else:
            given_up = [{"service": "*", "why": f"the allow-list needs {len(chunks)} SCPs, only {slots} fit AWS's 5 "
                         f"per target: no allow-list proposed (use deny-list)"}]
            chunks, detach = [], []
    policies = [make(c, i + 1) for i, c in enumerate(chunks)]
    updates: list = []
    retire: list[str] = []
    if reuse and policies and sorted(_text(d) for d in policies) == sorted(previous["texts"]):
        notes.append("the attached orgkit SCP(s) already say exactly this (every surely unused service denied, the "
                     "same exceptions): no update")
        policies = []
    if not policies:
        detach = []
    elif reuse:
        updates = [reuse[i] if i < len(reuse) else None for i in range(len(policies))]
        retire = reuse[len(policies):]
        notes.append("a re-run: the proposal updates " + ", ".join(
            f"{pid} ({previous['names'][pid]})" for pid in reuse[:len(policies)]) + " in place"
            + (f" and retires {', '.join(retire)}" if retire else ""))
    s = Suggestion(target=node, target_kind=kind, target_name=str(name), strategy=strategy, days=int(days),
                   exceptions=arns, services=svc, per_account=per_acc, policies=policies, detach=detach,
                   given_up=given_up, slots=slots, notes=notes, probe=probe, previous=previous,
                   names_taken=frozenset(org.policies["name"].dropna().astype(str)), updates=updates, retire=retire)
    if prove and policies:
        from orgkit.leastpriv.proof import prove as _prove

        _prove(org, s)
    return s
