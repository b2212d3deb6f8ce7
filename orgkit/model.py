"""The loaded organisation: pandas DataFrames and a networkx OU graph, built once from a snapshot.

``load(path)`` validates the snapshot (:mod:`orgkit.snapshot`) and normalises dtypes once, so analyses never
re-parse JSON. The frames and their columns are documented in docs/snapshot.md and in :class:`Org`.
"""

from __future__ import annotations

import gc
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from orgkit.ougraph import child_path
from orgkit.snapshot import SnapshotError, SnapshotReader, cross_check

#: keeps MathJax (JupyterLab typesets HTML outputs) off the text of names such as ``$\alpha$``
_NO_MATH = "class='mathjax_ignore tex2jax_ignore'"

FRAMES: dict[str, list[str]] = {
    "accounts": ["account_id", "account_name", "email", "arn", "status", "joined_method", "joined_at", "parent_id",
                 "ou_path", "is_management", "tags", "access", "access_error"],
    "ous": ["ou_id", "name", "parent_id", "depth", "ou_path", "arn", "is_root"],
    "policies": ["policy_id", "name", "description", "type", "aws_managed", "arn", "content"],
    "policy_targets": ["policy_id", "target_id", "target_type", "target_name"],
    "rcps": ["policy_id", "name", "description", "type", "aws_managed", "arn", "content"],
    "rcp_targets": ["policy_id", "target_id", "target_type", "target_name"],
    "buckets": ["account_id", "bucket"],
    "bucket_reads": ["account_id", "status", "error"],
    "delegated_admins": ["account_id", "account_name", "service_principal", "delegation_enabled_at"],
    "regions": ["account_id", "region", "opt_status", "enabled"],
    "reads": ["account_id", "region", "service", "status", "error_code", "operation", "message"],
    "trails": ["trail_arn", "name", "account_id", "home_region", "is_organization_trail", "is_multi_region",
               "include_global_service_events", "log_file_validation", "kms_key_id", "s3_bucket", "s3_key_prefix",
               "cloudwatch_logs_log_group_arn", "has_custom_event_selectors", "has_insight_selectors", "is_logging",
               "latest_delivery_time", "latest_delivery_error", "start_logging_time", "stop_logging_time",
               "selector_kind", "tags", "detail_error"],
    "trail_listings": ["account_id", "trail_arn", "name", "home_region", "owner_account_id"],
    "event_data_stores": ["event_data_store_arn", "name", "account_id", "home_region", "status",
                          "organization_enabled", "multi_region_enabled", "termination_protection_enabled",
                          "retention_period", "advanced_event_selectors", "created_at", "updated_at",
                          "read_through"],
    "event_selectors": ["trail_arn", "kind", "position", "name", "read_write_type", "include_management_events",
                        "exclude_management_event_sources", "data_resources", "field_selectors"],
    "detectors": ["account_id", "region", "detector_id", "status", "finding_publishing_frequency", "service_role",
                  "created_at", "updated_at", "features", "tags"],
    "guardduty_members": ["administrator_id", "region", "account_id", "detector_id", "email", "relationship_status",
                          "invited_at", "updated_at", "by_invitation"],
    "guardduty_administrators": ["account_id", "region", "administrator_id", "invitation_id", "relationship_status",
                                 "invited_at"],
    "guardduty_admins": ["region", "admin_account_id", "admin_status"],
    "guardduty_org_config": ["region", "admin_account_id", "auto_enable", "auto_enable_organization_members",
                             "member_account_limit_reached", "features"],
    "errors": ["account_id", "region", "service", "operation", "error_code", "message"],
    "service_access": ["entity_path", "entity_type", "entity_id", "service_namespace", "service_name",
                       "last_authenticated", "last_authenticated_region", "last_authenticated_entity",
                       "total_authenticated_entities", "job_created", "job_completed"],
}

_TIME_COLUMNS = {
    "accounts": ["joined_at"],
    "delegated_admins": ["delegation_enabled_at"],
    "trails": ["latest_delivery_time", "start_logging_time", "stop_logging_time"],
    "event_data_stores": ["created_at", "updated_at"],
    "detectors": ["created_at", "updated_at"],
    "guardduty_members": ["invited_at", "updated_at"],
    "guardduty_administrators": ["invited_at"],
    "service_access": ["last_authenticated", "job_created", "job_completed"],
}
_NULLABLE_BOOL = {"regions": ["enabled"], "trails": ["is_logging"]}
_BOOL = {
    "accounts": ["is_management"],
    "ous": ["is_root"],
    "policies": ["aws_managed"],
    "rcps": ["aws_managed"],
    "guardduty_members": ["by_invitation"],
}

RCP_TYPE = "RESOURCE_CONTROL_POLICY"

BUNDLED_DEMO = Path(__file__).parent / "datasets" / "demo"


def bundled_demo_path() -> Path:
    """The snapshot bundled with the package (collected from the demo organisation by ``orgkit demo``)."""
    return BUNDLED_DEMO


def account_id_of_arn(arn: str | None) -> str | None:
    if not arn or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    cols = FRAMES[name]
    df = pd.DataFrame.from_records(rows, columns=cols) if rows else pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    for c in _TIME_COLUMNS.get(name, []):
        df[c] = pd.to_datetime(df[c], utc=True, format="ISO8601") if len(df) else pd.Series(dtype="datetime64[ns, UTC]")
    for c in _NULLABLE_BOOL.get(name, []):
        df[c] = df[c].astype("boolean")
    for c in _BOOL.get(name, []):
        df[c] = df[c].fillna(False).astype(bool)
    if "depth" in df and name == "ous":
        df["depth"] = df["depth"].astype("int64")
    if name == "event_selectors":
        df["position"] = df["position"].astype("int64")
    if name == "service_access":
        df["total_authenticated_entities"] = df["total_authenticated_entities"].fillna(0).astype("int64")
    return df


@dataclass
class Org:
    """An organisation as loaded from one snapshot.

    Frames (columns in :data:`FRAMES`, meanings in docs/snapshot.md): ``accounts``, ``ous``, ``policies``,
    ``policy_targets``, ``delegated_admins``, ``regions``, ``reads``, ``trails``, ``trail_listings``,
    ``event_selectors``, ``detectors``, ``guardduty_members``, ``guardduty_administrators``, ``guardduty_admins``,
    ``guardduty_org_config``, ``errors``, ``rcps``, ``rcp_targets`` (resource control policies, as ``policies`` and
    ``policy_targets``), ``buckets`` and ``bucket_reads`` (each account's S3 bucket names, and whether they were
    read), ``service_access`` (IAM's Organizations access reports: one row per entity and service; empty unless
    ``access_reports_collected``). ``graph`` is the OU tree (root → OUs → accounts). ``account_id`` columns
    are 12-character strings; timestamps are timezone-aware UTC.
    """

    manifest: dict
    frames: dict[str, pd.DataFrame]
    graph: nx.DiGraph
    path: Path | None = None
    #: whether the SERVICE_CONTROL_POLICY type is enabled on the root (None when the snapshot does not say)
    scp_enabled: bool | None = None
    #: whether the RESOURCE_CONTROL_POLICY type is enabled on the root (None when the snapshot does not say)
    rcp_enabled: bool | None = None
    #: why the RCPs of an organisation where they are enabled are not known (a failed read, or a snapshot made
    #: before orgkit collected RCPs); None when they were read or are not enabled
    rcp_unread: str | None = None
    #: whether the snapshot holds IAM's Organizations access reports (``orgkit collect --access-reports``); when
    #: False, ``service_access`` is empty because nothing was asked, not because nothing was used
    access_reports_collected: bool = False
    _ancestors: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames")
        if frames is not None and name in frames:
            return frames[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        m = self.manifest
        return (f"<Org {m.get('organization_id')} management={m.get('management_account_id')} "
                f"collected={m.get('collected_at')} accounts={len(self.frames['accounts'])} "
                f"trails={len(self.frames['trails'])} detectors={len(self.frames['detectors'])} "
                f"errors={len(self.frames['errors'])}>")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self.frames))

    @property
    def organization_id(self) -> str | None:
        return self.manifest.get("organization_id")

    @property
    def management_account_id(self) -> str | None:
        return self.manifest.get("management_account_id")

    @property
    def regions_requested(self) -> list[str]:
        return list(self.manifest.get("regions") or [])

    @cached_property
    def root_id(self) -> str:
        roots = [n for n, d in self.graph.nodes(data=True) if d.get("kind") == "root"]
        if len(roots) != 1:
            raise SnapshotError(self.path or "<org>", f"expected one root, found {len(roots)}")
        return roots[0]

    def ancestors(self, node: str) -> list[str]:
        """The chain root → … → ``node`` (node ids of :attr:`graph`)."""
        chain = self._ancestors.get(node)
        if chain is None:
            if node not in self.graph:
                raise KeyError(f"{node} is not in the organisation")
            chain = []
            cur: str | None = node
            while cur is not None:
                chain.append(cur)
                preds = list(self.graph.predecessors(cur))
                cur = preds[0] if preds else None
            chain.reverse()
            self._ancestors[node] = chain
        return list(chain)

    def account(self, account_id: str) -> pd.Series:
        rows = self.accounts[self.accounts["account_id"] == account_id]
        if rows.empty:
            raise KeyError(f"account {account_id} is not in the organisation")
        return rows.iloc[0]

    def summary(self) -> pd.DataFrame:
        """Row counts of every frame, and the errors recorded during collection."""
        return pd.DataFrame({"rows": {k: len(v) for k, v in self.frames.items()}})

    def _repr_html_(self) -> str:
        from html import escape

        m = {k: escape(str(v)) for k, v in self.manifest.items()}  # a manifest is a file: its values are text
        return (
            f"<span {_NO_MATH}><b>Organization {m.get('organization_id')}</b> "
            f"(management account {m.get('management_account_id')}), "
            f"collected {m.get('collected_at')}: {len(self.accounts)} accounts, {len(self.ous)} OUs, "
            f"{len(self.policies)} SCPs, {len(self.trails)} trails, {len(self.detectors)} detectors, "
            f"{len(self.errors)} errors</span>"
        )


def load(path: os.PathLike | str | None = None, verify: bool = True) -> Org:
    """Load a snapshot directory as an :class:`Org` (no path: the bundled demo snapshot).

    Raises :class:`orgkit.snapshot.SnapshotError` naming the file when the snapshot is missing, incomplete, of an
    unknown or newer schema, truncated or malformed.
    """
    path = Path(path) if path is not None else bundled_demo_path()
    reader = SnapshotReader(path, verify=verify)
    # Loading creates millions of small objects and no reference cycles: the cyclic collector would walk them all
    # again and again (measured on 5,000 accounts x 17 regions: 6.1 s with it, 4.0 s without).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return build_org(reader)
    except (TypeError, AttributeError, KeyError, ValueError, IndexError, nx.NetworkXException) as e:
        # data that passed its checksums but is not shaped as orgkit writes it (forged, or hand-made)
        raise SnapshotError(path, f"holds data orgkit cannot read ({type(e).__name__}: {e}): not a snapshot as "
                                  "orgkit writes it; collect it again") from e
    finally:
        if enabled:
            gc.enable()


def _req(obj: dict, key: str, where: str) -> Any:
    try:
        return obj[key]
    except (KeyError, TypeError):
        raise SnapshotError(where, f"missing required field {key!r}") from None


def build_org(reader: SnapshotReader) -> Org:
    manifest = reader.manifest
    root = reader.path
    org_file = str(root / "organization.json")
    orgdoc = reader.read("organization.json")
    mgmt = manifest.get("management_account_id") or (orgdoc.get("Organization") or {}).get("MasterAccountId")
    manifest.setdefault("management_account_id", mgmt)

    # --- OUs and the graph
    g = nx.DiGraph()
    ou_rows: list[dict] = []
    roots = _req(orgdoc, "Roots", org_file)
    types = [t for r in roots for t in (r.get("PolicyTypes") or [])
             if t.get("Type") == "SERVICE_CONTROL_POLICY"] if roots and "PolicyTypes" in roots[0] else None
    scp_enabled = None if types is None else any(t.get("Status") == "ENABLED" for t in types)
    rtypes = [t for r in roots for t in (r.get("PolicyTypes") or [])
              if t.get("Type") == RCP_TYPE] if roots and "PolicyTypes" in roots[0] else None
    rcp_enabled = None if rtypes is None else any(t.get("Status") == "ENABLED" for t in rtypes)
    for r in roots:
        rid = _req(r, "Id", org_file)
        g.add_node(rid, kind="root", name=r.get("Name", "Root"), depth=0, path="Root", scps=[], rcps=[],
                   arn=r.get("Arn"))
        ou_rows.append({"ou_id": rid, "name": r.get("Name", "Root"), "parent_id": None, "depth": 0,
                        "ou_path": "Root", "arn": r.get("Arn"), "is_root": True})
    ous = _req(orgdoc, "OrganizationalUnits", org_file)
    by_id = {_req(o, "Id", org_file): o for o in ous}
    for oid, o in by_id.items():
        g.add_node(oid, kind="ou", name=_req(o, "Name", org_file), arn=o.get("Arn"), scps=[], rcps=[])
    for oid, o in by_id.items():
        parent = _req(o, "ParentId", org_file)
        if parent not in g:
            raise SnapshotError(org_file, f"OU {oid} has unknown parent {parent}")
        g.add_edge(parent, oid)
    if not nx.is_directed_acyclic_graph(g):
        raise SnapshotError(org_file, f"the OUs form a cycle ({nx.find_cycle(g)}): not an organisation")
    for oid in nx.topological_sort(g):
        if g.nodes[oid]["kind"] != "ou":
            continue
        parent = next(iter(g.predecessors(oid)))
        g.nodes[oid]["depth"] = g.nodes[parent]["depth"] + 1
        g.nodes[oid]["path"] = child_path(g.nodes[parent]["path"], g.nodes[oid]["name"])
        ou_rows.append({"ou_id": oid, "name": g.nodes[oid]["name"], "parent_id": parent,
                        "depth": g.nodes[oid]["depth"], "ou_path": g.nodes[oid]["path"],
                        "arn": g.nodes[oid]["arn"], "is_root": False})

    # --- accounts
    account_rows: list[dict] = []
    account_docs: dict[str, dict] = {}
    for relpath in reader.account_files():
        doc = reader.read(relpath)
        aid = str(_req(doc, "AccountId", str(root / relpath)))
        if relpath != f"accounts/{aid}.json":
            raise SnapshotError(root / relpath, f"holds account {aid}, not the one its name says (edited?)")
        account_docs[aid] = doc
    for a in _req(orgdoc, "Accounts", org_file):
        aid = str(_req(a, "Id", org_file))
        parent = _req(a, "ParentId", org_file)
        if parent not in g:
            raise SnapshotError(org_file, f"account {aid} has unknown parent {parent}")
        name = a.get("Name")
        g.add_node(aid, kind="account", name=name, depth=g.nodes[parent]["depth"] + 1,
                   path=child_path(g.nodes[parent]["path"], name), scps=[], rcps=[], is_management=aid == mgmt)
        g.add_edge(parent, aid)
        access = (account_docs.get(aid) or {}).get("Access") or {}
        account_rows.append({
            "account_id": aid, "account_name": name, "email": a.get("Email"), "arn": a.get("Arn"),
            # Organizations retired Account.Status on 2026-09-09 in favour of State (which adds CLOSED,
            # PENDING_CLOSURE, PENDING_ACTIVATION); read State, fall back to Status for older snapshots
            "status": a.get("State") or a.get("Status"), "joined_method": a.get("JoinedMethod"), "joined_at": a.get("JoinedTimestamp"),
            "parent_id": parent, "ou_path": g.nodes[parent]["path"], "is_management": aid == mgmt,
            "tags": {t["Key"]: t.get("Value") for t in a.get("Tags") or []},
            "access": access.get("Method") or "none", "access_error": access.get("Error"),
        })

    names = {n: d.get("name") for n, d in g.nodes(data=True)}

    # --- policies
    pol_doc = reader.read("policies.json")
    pol_file = str(root / "policies.json")
    policy_rows, target_rows = [], []

    def policy_entry(p: dict, rows: list, targets: list, node_attr: str, default_type: str | None = None) -> str:
        """One policy of policies.json (an SCP or an RCP): its row, its targets' rows, and its id on the tree's
        nodes (``node_attr``); returns its id."""
        s = _req(p, "PolicySummary", pol_file)
        pid = _req(s, "Id", pol_file)
        rows.append({"policy_id": pid, "name": s.get("Name"), "description": s.get("Description") or None,
                     "type": s.get("Type") or default_type, "aws_managed": bool(s.get("AwsManaged")),
                     "arn": s.get("Arn"), "content": p.get("Content")})
        for t in p.get("Targets") or []:
            tid = _req(t, "TargetId", pol_file)
            targets.append({"policy_id": pid, "target_id": tid, "target_type": t.get("Type"),
                            "target_name": t.get("Name") or names.get(tid)})
            if tid in g:
                g.nodes[tid][node_attr].append(pid)
        return pid

    for p in _req(pol_doc, "Policies", pol_file):
        policy_entry(p, policy_rows, target_rows, "scps")
    rcp_doc = pol_doc.get("ResourceControlPolicies")
    rcp_rows, rcp_target_rows = [], []
    rcp_unread = None
    if rcp_enabled and not isinstance(rcp_doc, dict):
        rcp_unread = "this snapshot was made before orgkit collected resource control policies: collect again"
    elif rcp_enabled:
        if rcp_doc.get("Error"):
            rcp_unread = f"organizations:{rcp_doc['Error']} (the RCPs could not be listed)"
        for p in rcp_doc.get("Policies") or []:
            pid = policy_entry(p, rcp_rows, rcp_target_rows, "rcps", RCP_TYPE)
            if p.get("Targets") is None and rcp_unread is None:
                rcp_unread = f"the targets of RCP {pid} could not be read"
            if p.get("Content") is None and rcp_unread is None:
                rcp_unread = f"the text of RCP {pid} could not be read"
    for n in g.nodes:
        g.nodes[n]["scps"] = sorted(set(g.nodes[n]["scps"]))
        g.nodes[n]["rcps"] = sorted(set(g.nodes[n]["rcps"]))

    delegated_rows = []
    for d in orgdoc.get("DelegatedAdministrators") or []:
        for svc in d.get("DelegatedServices") or [{}]:
            delegated_rows.append({"account_id": d.get("Id"), "account_name": d.get("Name"),
                                   "service_principal": svc.get("ServicePrincipal"),
                                   "delegation_enabled_at": svc.get("DelegationEnabledDate")})

    # --- per-account documents
    requested = list(manifest.get("regions") or [])
    region_rows, read_rows, trail_rows, listing_rows, sel_rows = [], [], [], [], []
    eds_rows: dict[str, dict] = {}
    det_rows, member_rows, adminview_rows, orgcfg_rows = [], [], [], []
    error_rows = [dict(e) for e in (reader.read_optional("errors.json", {}) or {}).get("Errors", [])]
    err_index: dict[tuple, dict] = {}
    for e in error_rows:
        err_index.setdefault((e.get("account_id"), e.get("region"), e.get("service")), e)

    def read_row(aid: str, region: str | None, service: str, ok: bool) -> None:
        e = err_index.get((aid, region, service))
        status = ("partial" if e else "ok") if ok else ("error" if e else "skipped")
        read_rows.append({"account_id": aid, "region": region, "service": service, "status": status,
                          "error_code": e.get("error_code") if e else None,
                          "operation": e.get("operation") if e else None,
                          "message": e.get("message") if e else None})

    bucket_rows, bucket_read_rows = [], []
    for aid, doc in sorted(account_docs.items()):
        where = str(root / "accounts" / f"{aid}.json")
        s3doc = doc.get("S3")
        if not isinstance(s3doc, dict):
            bucket_read_rows.append({"account_id": aid, "status": "not_collected",
                                     "error": "this snapshot was made before orgkit read S3 bucket names"})
        elif s3doc.get("Buckets") is None:
            bucket_read_rows.append({"account_id": aid, "status": "error" if s3doc.get("Error") else "skipped",
                                     "error": s3doc.get("Error") or "the account was not reached"})
        else:
            bucket_read_rows.append({"account_id": aid, "status": "ok", "error": None})
            bucket_rows.extend({"account_id": aid, "bucket": b} for b in s3doc["Buckets"])
        regions = doc.get("Regions")
        read_row(aid, None, "regions", regions is not None)
        opt = {r["RegionName"]: r.get("RegionOptStatus") for r in regions or []}
        for reg in requested:
            status = opt.get(reg) if regions is not None else None
            enabled = None if regions is None else status in ("ENABLED", "ENABLED_BY_DEFAULT")
            if regions is not None and reg not in opt:
                enabled, status = False, None
            region_rows.append({"account_id": aid, "region": reg, "opt_status": status, "enabled": enabled})

        ct = doc.get("CloudTrail") or {}
        listed = ct.get("ListTrails")
        read_row(aid, None, "cloudtrail", listed is not None)
        for t in listed or []:
            arn = _req(t, "TrailARN", where)
            listing_rows.append({"account_id": aid, "trail_arn": arn, "name": t.get("Name"),
                                 "home_region": t.get("HomeRegion"), "owner_account_id": account_id_of_arn(arn)})
        for arn, d in (ct.get("Trails") or {}).items():
            tr = d.get("Trail") or {}
            st = d.get("Status")
            es = d.get("EventSelectors")
            kind = None
            if es is not None:
                if es.get("AdvancedEventSelectors"):
                    kind = "advanced"
                    for i, s in enumerate(es["AdvancedEventSelectors"]):
                        sel_rows.append({"trail_arn": arn, "kind": "advanced", "position": i, "name": s.get("Name"),
                                         "read_write_type": None, "include_management_events": None,
                                         "exclude_management_event_sources": None, "data_resources": None,
                                         "field_selectors": s.get("FieldSelectors") or []})
                else:
                    kind = "basic"
                    for i, s in enumerate(es.get("EventSelectors") or []):
                        sel_rows.append({"trail_arn": arn, "kind": "basic", "position": i, "name": None,
                                         "read_write_type": s.get("ReadWriteType", "All"),
                                         "include_management_events": s.get("IncludeManagementEvents", True),
                                         "exclude_management_event_sources":
                                             s.get("ExcludeManagementEventSources") or [],
                                         "data_resources": s.get("DataResources") or [], "field_selectors": None})
            trail_rows.append({
                "trail_arn": arn, "name": tr.get("Name"), "account_id": account_id_of_arn(arn),
                "home_region": tr.get("HomeRegion"), "is_organization_trail": tr.get("IsOrganizationTrail"),
                "is_multi_region": tr.get("IsMultiRegionTrail"),
                "include_global_service_events": tr.get("IncludeGlobalServiceEvents"),
                "log_file_validation": tr.get("LogFileValidationEnabled"), "kms_key_id": tr.get("KmsKeyId"),
                "s3_bucket": tr.get("S3BucketName"), "s3_key_prefix": tr.get("S3KeyPrefix"),
                "cloudwatch_logs_log_group_arn": tr.get("CloudWatchLogsLogGroupArn"),
                "has_custom_event_selectors": tr.get("HasCustomEventSelectors"),
                "has_insight_selectors": tr.get("HasInsightSelectors"),
                "is_logging": st.get("IsLogging") if st else None,
                "latest_delivery_time": (st or {}).get("LatestDeliveryTime"),
                "latest_delivery_error": (st or {}).get("LatestDeliveryError") or None,
                "start_logging_time": (st or {}).get("StartLoggingTime"),
                "stop_logging_time": (st or {}).get("StopLoggingTime"),
                "selector_kind": kind, "tags": {t["Key"]: t.get("Value") for t in d.get("Tags") or []},
                "detail_error": d.get("Error"),
            })

        # CloudTrail Lake, per account and region: absent from snapshots of older orgkit versions (which read the
        # management account only, or nothing). One row per store, by ARN: an organization store is seen by the
        # management account (its owner) and by a CloudTrail delegated administrator; the owner's read is kept,
        # ``read_through`` lists every account whose ListEventDataStores showed it
        for reg, stores in sorted((ct.get("EventDataStores") or {}).items()):
            read_row(aid, reg, "cloudtrail_lake", stores is not None)
            for e in stores or []:
                arn = _req(e, "EventDataStoreArn", where)
                owner = account_id_of_arn(arn) or aid
                seen = eds_rows.get(arn)
                if seen is not None:
                    seen["read_through"] = sorted(set(seen["read_through"]) | {aid})
                    if seen["_via"] == owner or aid != owner:
                        continue
                parts = arn.split(":")
                eds_rows[arn] = {
                    "event_data_store_arn": arn, "name": e.get("Name"),
                    "account_id": owner, "home_region": parts[3] if len(parts) > 5 and parts[3] else reg,
                    "status": e.get("Status"),
                    "organization_enabled": e.get("OrganizationEnabled"),
                    "multi_region_enabled": e.get("MultiRegionEnabled"),
                    "termination_protection_enabled": e.get("TerminationProtectionEnabled"),
                    "retention_period": e.get("RetentionPeriod"),
                    "advanced_event_selectors": e.get("AdvancedEventSelectors"),
                    "created_at": e.get("CreatedTimestamp"), "updated_at": e.get("UpdatedTimestamp"),
                    "read_through": sorted(set(seen["read_through"] if seen else []) | {aid}), "_via": aid}

        gd = doc.get("GuardDuty") or {}
        for reg in requested:
            r = gd.get(reg)
            # read: the detector list, and every listed detector's state (a listed detector whose GetDetector
            # failed leaves the region's GuardDuty state unknown, not "none")
            ok = (r is not None and r.get("DetectorIds") is not None
                  and all(i in (r.get("Detectors") or {}) for i in r["DetectorIds"]))
            read_row(aid, reg, "guardduty", ok)
            if not r:
                continue
            for did, det in (r.get("Detectors") or {}).items():
                det_rows.append({"account_id": aid, "region": reg, "detector_id": did, "status": det.get("Status"),
                                 "finding_publishing_frequency": det.get("FindingPublishingFrequency"),
                                 "service_role": det.get("ServiceRole"), "created_at": det.get("CreatedAt"),
                                 "updated_at": det.get("UpdatedAt"), "features": det.get("Features") or [],
                                 "tags": det.get("Tags") or {}})
            if "Administrator" in r:
                adm = r["Administrator"] or {}
                if adm:
                    adminview_rows.append({"account_id": aid, "region": reg, "administrator_id": adm.get("AccountId"),
                                           "invitation_id": adm.get("InvitationId"),
                                           "relationship_status": adm.get("RelationshipStatus"),
                                           "invited_at": adm.get("InvitedAt")})
            for m in r.get("Members") or []:
                member_rows.append({"administrator_id": aid, "region": reg, "account_id": m.get("AccountId"),
                                    "detector_id": m.get("DetectorId"), "email": m.get("Email") or None,
                                    "relationship_status": m.get("RelationshipStatus"),
                                    "invited_at": m.get("InvitedAt"), "updated_at": m.get("UpdatedAt"),
                                    "by_invitation": bool(m.get("InvitedAt"))})
            oc = r.get("OrganizationConfiguration")
            if oc:
                orgcfg_rows.append({"region": reg, "admin_account_id": aid, "auto_enable": oc.get("AutoEnable"),
                                    "auto_enable_organization_members": oc.get("AutoEnableOrganizationMembers"),
                                    "member_account_limit_reached": oc.get("MemberAccountLimitReached"),
                                    "features": oc.get("Features") or []})

    admins_rows = []
    gdorg = reader.read_optional("guardduty.json", {}) or {}
    cross_check(reader, orgdoc, account_docs, pol_doc, gdorg,
                reader.read_optional("errors.json") if "errors.json" in reader.files else None)
    for reg, lst in sorted((gdorg.get("OrganizationAdminAccounts") or {}).items()):
        for a in lst or []:
            admins_rows.append({"region": reg, "admin_account_id": a.get("AdminAccountId"),
                                "admin_status": a.get("AdminStatus")})

    access_rows: list[dict] = []
    access_doc = reader.read_optional("access_reports.json") if "access_reports.json" in reader.files else None
    access_collected = bool(isinstance(access_doc, dict) and access_doc.get("Requested"))
    if access_collected:
        access_rows = service_access_rows(access_doc, read_rows)

    frames = {
        "accounts": _frame("accounts", account_rows),
        "ous": _frame("ous", ou_rows),
        "policies": _frame("policies", policy_rows),
        "policy_targets": _frame("policy_targets", target_rows),
        "delegated_admins": _frame("delegated_admins", delegated_rows),
        "regions": _frame("regions", region_rows),
        "reads": _frame("reads", read_rows),
        "trails": _frame("trails", trail_rows),
        "trail_listings": _frame("trail_listings", listing_rows),
        "event_selectors": _frame("event_selectors", sel_rows),
        "event_data_stores": _frame("event_data_stores", [{k: v for k, v in r.items() if k != "_via"}
                                                          for _, r in sorted(eds_rows.items())]),
        "detectors": _frame("detectors", det_rows),
        "guardduty_members": _frame("guardduty_members", member_rows),
        "guardduty_administrators": _frame("guardduty_administrators", adminview_rows),
        "guardduty_admins": _frame("guardduty_admins", admins_rows),
        "guardduty_org_config": _frame("guardduty_org_config", orgcfg_rows),
        "errors": _frame("errors", error_rows),
        "rcps": _frame("rcps", rcp_rows),
        "rcp_targets": _frame("rcp_targets", rcp_target_rows),
        "buckets": _frame("buckets", bucket_rows),
        "bucket_reads": _frame("bucket_reads", bucket_read_rows),
        "service_access": _frame("service_access", access_rows),
    }
    return Org(manifest=manifest, frames=frames, graph=g, path=Path(root), scp_enabled=scp_enabled,
               rcp_enabled=rcp_enabled, rcp_unread=rcp_unread, access_reports_collected=access_collected)


def service_access_rows(doc: dict, read_rows: list[dict]) -> list[dict]:
    """``service_access`` rows of an ``access_reports.json`` (one per entity and service of each completed report),
    and one ``reads`` row per entity appended to ``read_rows`` (service ``access_reports``, ``account_id`` the
    entity's id: an account, OU or root id; status ``ok``, or ``error`` with why the report is missing)."""
    rows: list[dict] = []
    for rep in doc.get("Reports") or []:
        if not isinstance(rep, dict):
            continue
        details = rep.get("AccessDetails")
        ok = rep.get("JobStatus") == "COMPLETED" and isinstance(details, list)
        err = rep.get("ErrorDetails") or {}
        read_rows.append({"account_id": rep.get("EntityId"), "region": None, "service": "access_reports",
                          "status": "ok" if ok else "error",
                          "error_code": None if ok else (err.get("Code") or f"JobStatus {rep.get('JobStatus')}"),
                          "operation": None if ok else (err.get("Operation") or "GetOrganizationsAccessReport"),
                          "message": None if ok else err.get("Message")})
        if not ok:
            continue
        for d in details:
            if not isinstance(d, dict):
                continue
            rows.append({"entity_path": rep.get("EntityPath"), "entity_type": rep.get("EntityType"),
                         "entity_id": rep.get("EntityId"), "service_namespace": d.get("ServiceNamespace"),
                         "service_name": d.get("ServiceName"),
                         "last_authenticated": d.get("LastAuthenticatedTime"),
                         "last_authenticated_region": d.get("Region"),
                         "last_authenticated_entity": d.get("EntityPath"),
                         "total_authenticated_entities": int(d.get("TotalAuthenticatedEntities") or 0),
                         "job_created": rep.get("JobCreationDate"), "job_completed": rep.get("JobCompletionDate")})
    return rows


def policy_document(org: Org, policy_id: str) -> dict:
    """The parsed JSON of one policy, with an error naming the policy if its text is not JSON."""
    rows = org.policies[org.policies["policy_id"] == policy_id]
    if rows.empty:
        raise KeyError(f"policy {policy_id} is not in the snapshot")
    try:
        return json.loads(rows.iloc[0]["content"])
    except (TypeError, json.JSONDecodeError) as e:
        raise SnapshotError(f"policy {policy_id}", f"content is not valid JSON: {e}") from None
