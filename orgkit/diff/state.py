"""What changed in the collected state: scope, CloudTrail and GuardDuty coverage per cell, trails, GuardDuty
management (delegated administrator, auto-enable, features)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orgkit.coverage.selectors import FIELD_OPERATORS
from orgkit.diff.rows import (AUTO_ENABLE_RANK, CLOUDTRAIL_RANK, GOOD, GUARDDUTY_RANK, rank_severity, records,
                              row, status_severity)


# ----------------------------------------------------------------------------------------------------------- scope
@dataclass
class Scope:
    """Where two snapshots can be compared: the regions both collected, and the accounts both read."""

    regions: list[str]
    accounts: set[str] | None  # None: every account of both organisations was in scope in both
    rows: list[dict]


def collected_accounts(org) -> set[str] | None:
    """Accounts whose own documents the snapshot holds (None: the collection was not filtered)."""
    opts = (org.manifest.get("options") or {})
    filt = opts.get("accounts")
    if filt:
        return {str(a) for a in filt}
    return None


def _account_names(before, after) -> dict:
    """Account id -> the name the rows give: AFTER's, BEFORE's for an account gone from AFTER."""
    names = dict(zip(before.accounts["account_id"], before.accounts["account_name"]))
    names.update(zip(after.accounts["account_id"], after.accounts["account_name"]))
    return names


def scope(before, after) -> Scope:
    rb, ra = list(before.regions_requested), list(after.regions_requested)
    regions = [r for r in rb if r in ra]
    rows = []
    for r in rb:
        if r not in ra:
            rows.append(row("scope", region=r, before="collected", after="not collected",
                            reason="region collected in BEFORE only: its cells are not compared"))
    for r in ra:
        if r not in rb:
            rows.append(row("scope", region=r, before="not collected", after="collected",
                            reason="region collected in AFTER only: its cells are not compared"))
    cb, ca = collected_accounts(before), collected_accounts(after)
    accounts = None
    if cb is not None or ca is not None:
        all_b, all_a = set(before.accounts["account_id"]), set(after.accounts["account_id"])
        sb = cb if cb is not None else all_b
        sa = ca if ca is not None else all_a
        # an account new in AFTER (absent from BEFORE's organisation) is compared when AFTER collected it
        accounts = (sb & sa) | ((sa & all_a) - all_b)
        names = _account_names(before, after)
        for aid in sorted((sb & all_a & all_b) - sa):
            rows.append(row("scope", account_id=aid, account_name=names.get(aid), before="collected",
                            after="not collected", reason="account read in BEFORE only (account filter): not compared"))
        for aid in sorted((sa & all_b) - sb):
            rows.append(row("scope", account_id=aid, account_name=names.get(aid), before="not collected",
                            after="collected", reason="account read in AFTER only (account filter): not compared"))
    return Scope(regions, accounts, rows)


# ----------------------------------------------------------------------------------------------------------- cells
def _obj(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype=object, na_value=None)


def cell_changes(service: str, cov_b: pd.DataFrame, cov_a: pd.DataFrame, sc: Scope, new_accounts: set[str],
                 closed: set[str] | None = None) -> list[dict]:
    """Rows for the (account, region) cells whose status changed, and the cells of accounts new in AFTER.
    ``closed``: accounts suspended or closed in AFTER (their cells, no longer read, are not regressions)."""
    ranks = CLOUDTRAIL_RANK if service == "cloudtrail" else GUARDDUTY_RANK
    good = GOOD[service]
    b = cov_b[cov_b["region"].isin(sc.regions)]
    a = cov_a[cov_a["region"].isin(sc.regions)]
    if sc.accounts is not None:
        b = b[b["account_id"].isin(sc.accounts)]
        a = a[a["account_id"].isin(sc.accounts)]
    # align BEFORE's cells on AFTER's by (account, region), through one index lookup
    kb = pd.Index(_obj(b["account_id"]) + "\t" + _obj(b["region"]))
    ka = _obj(a["account_id"]) + "\t" + _obj(a["region"])
    pos = kb.get_indexer(ka)
    has_b = pos >= 0
    take = np.where(has_b, pos, 0)

    def before_col(c: str) -> np.ndarray:
        v = _obj(b[c])
        return np.where(has_b, v[take], None) if len(v) else np.full(len(a), None, dtype=object)

    st_a, st_b = _obj(a["status"]), before_col("status")
    new = np.isin(_obj(a["account_id"]), list(new_accounts)) if new_accounts else np.zeros(len(a), dtype=bool)
    changed = (has_b & (st_a != st_b)) | (~has_b & new)
    idx = np.flatnonzero(changed)
    acc, name, path, reg = _obj(a["account_id"]), _obj(a["account_name"]), _obj(a["ou_path"]), _obj(a["region"])
    rsn_a, src_a, rsn_b = _obj(a["reason"]), _obj(a["source"]), before_col("reason")
    rows = []
    for i in idx:
        before = st_b[i] if has_b[i] else None
        after = st_a[i]
        sev = status_severity(before, after, ranks, good)
        if after == "unknown" and closed and acc[i] in closed:
            sev = "neutral"  # a suspended or closed account is not read: its account_suspended row says why
        reason = rsn_a[i] if isinstance(rsn_a[i], str) and rsn_a[i] else None
        if before is None:
            reason = f"new account's cell: {reason}" if reason else "new account's cell"
        elif after in good and isinstance(rsn_b[i], str) and rsn_b[i]:
            reason = f"{reason}; was: {rsn_b[i]}" if reason else f"was: {rsn_b[i]}"
        src = src_a[i] if isinstance(src_a[i], str) else None
        rows.append(row(service, sev, account_id=acc[i], account_name=name[i], ou_path=path[i], region=reg[i],
                        before=before, after=after, reason=reason, service=service, source=src,
                        trail_arn=src if service == "cloudtrail" and src and src.startswith("arn:") and "," not in src
                        else None))
    if service == "guardduty":
        fa, fb = a["features"].to_numpy(dtype=object), before_col("features")
        for i in np.flatnonzero(has_b & (st_a == st_b)):
            x_all, y_all = fb[i], fa[i]
            if not (isinstance(x_all, dict) and isinstance(y_all, dict)) or x_all == y_all:
                continue
            for feat in sorted(set(x_all) | set(y_all)):
                x, y = x_all.get(feat), y_all.get(feat)
                if x == y:
                    continue
                sev = "regression" if x == "ENABLED" else "improvement" if y == "ENABLED" else "neutral"
                rows.append(row("guardduty_feature", sev, account_id=acc[i], account_name=name[i], ou_path=path[i],
                                region=reg[i], before=x, after=y, service="guardduty", action=feat,
                                source=src_a[i] if isinstance(src_a[i], str) else None,
                                reason=f"detector feature {feat} {x} -> {y}"))
    return rows


# ----------------------------------------------------------------------------------------------------------- trails
#: the words of each operator of an advanced event selector's field selector in a change row
#: (:data:`orgkit.coverage.selectors.FIELD_OPERATORS`, CloudTrail's AdvancedFieldSelector)
OPERATOR_WORDS = {"Equals": "=", "NotEquals": "!=", "StartsWith": " starts ", "NotStartsWith": " not starts ",
                  "EndsWith": " ends ", "NotEndsWith": " not ends "}


def _advanced(fs) -> str:
    """One advanced event selector in words, every operator of each field selector: ``advanced[Field=a,b; F!=c]``
    (a trail's and an event data store's alike)."""
    def values(v) -> str:
        return ",".join(map(str, v if isinstance(v, list) else [v]))

    return "advanced[" + "; ".join(
        str(f.get("Field")) + "".join(OPERATOR_WORDS[op] + values(f[op]) for op in FIELD_OPERATORS if f.get(op))
        for f in (fs if isinstance(fs, (list, tuple)) else []) if isinstance(f, dict)) + "]"


def _selectors(org) -> dict[str, str]:
    es = org.event_selectors
    out: dict[str, list[str]] = {}
    for r in es.sort_values(["trail_arn", "position"]).itertuples(index=False):
        if r.kind == "advanced":
            desc = _advanced(r.field_selectors)
        else:
            desc = (f"basic[{r.read_write_type}, management={r.include_management_events}"
                    + (f", exclude={','.join(r.exclude_management_event_sources)}"
                       if r.exclude_management_event_sources else "")
                    + (f", data={len(r.data_resources)}" if r.data_resources else "") + "]")
        out.setdefault(r.trail_arn, []).append(desc)
    return {k: " ".join(v) for k, v in out.items()}


def trail_changes(before, after, sc: Scope) -> list[dict]:
    cols = ["trail_arn", "name", "account_id", "home_region", "is_logging", "stop_logging_time", "detail_error",
            "latest_delivery_error", "is_multi_region", "is_organization_trail", "include_global_service_events",
            "log_file_validation", "s3_bucket", "kms_key_id", "selector_kind"]
    tb = records(before.trails, cols, "trail_arn")
    ta = records(after.trails, cols, "trail_arn")

    def in_scope(t) -> bool:
        return (t["home_region"] in sc.regions or t["home_region"] is None) and (
            sc.accounts is None or t["account_id"] in sc.accounts)

    names = _account_names(before, after)
    paths = dict(zip(after.accounts["account_id"], after.accounts["ou_path"]))

    def base(t) -> dict:
        aid = t["account_id"]
        return {"account_id": aid, "account_name": names.get(aid), "ou_path": paths.get(aid),
                "region": t["home_region"], "trail_arn": t["trail_arn"], "service": "cloudtrail"}

    def flag(v):
        return None if v is None or pd.isna(v) else bool(v)

    rows = []
    for arn in sorted(set(ta) - set(tb)):
        t = ta[arn]
        if in_scope(t):
            lg = flag(t["is_logging"])
            rows.append(row("trail_added", after="logging" if lg is True else "not logging" if lg is False
                            else "unknown", reason=f"new trail {t['name']}", **base(t)))
    rd = after.reads
    rd = rd[(rd["service"] == "cloudtrail") & rd["status"].isin(["ok", "partial"])]
    read_after = set(rd["account_id"].to_numpy(dtype=object))
    status_after = dict(zip(after.accounts["account_id"], after.accounts["status"]))
    for arn in sorted(set(tb) - set(ta)):
        t = tb[arn]
        if in_scope(t) and t["account_id"] not in read_after and t["account_id"] in status_after:
            # the owner's trails were not read in AFTER: the trail is not known to be gone
            suspended = status_after.get(t["account_id"]) in ("SUSPENDED", "CLOSED", "PENDING_CLOSURE")
            rows.append(row("trail_changed", "neutral" if suspended else "regression", before="read",
                            after="unknown", reason=f"trail {t['name']}: its account's trails were not read in AFTER"
                            + (" (the account is suspended)" if suspended else ""), **base(t)))
            continue
        if in_scope(t):
            lg = flag(t["is_logging"])
            was_logging = lg is True
            # a trail whose status was not read in BEFORE is "unknown" there, never "not logging"
            rows.append(row("trail_removed", "regression" if was_logging else "neutral",
                            before="logging" if was_logging else "not logging" if lg is False else "unknown",
                            after="deleted",
                            reason=f"trail {t['name']} deleted" + (" while logging" if was_logging else ""), **base(t)))
    sel_b, sel_a = _selectors(before), _selectors(after)
    for arn in sorted(set(tb) & set(ta)):
        b, a = tb[arn], ta[arn]
        if not in_scope(a):
            continue
        lb, la = flag(b["is_logging"]), flag(a["is_logging"])
        if lb is True and la is False:
            rows.append(row("trail_stopped", "regression", before="logging", after="not logging",
                            reason=f"trail {a['name']} stopped logging"
                                   + (f" at {a['stop_logging_time']}" if not pd.isna(a["stop_logging_time"]) else ""),
                            **base(a)))
        elif lb is False and la is True:
            rows.append(row("trail_started", "improvement", before="not logging", after="logging",
                            reason=f"trail {a['name']} started logging", **base(a)))
        elif lb is not None and la is None:
            rows.append(row("trail_changed", "regression", before="logging" if lb else "not logging", after="unknown",
                            reason=f"trail {a['name']}: its status could not be read" +
                                   (f" ({a['detail_error']})" if isinstance(a["detail_error"], str) else ""),
                            **base(a)))
        eb, ea = b["latest_delivery_error"], a["latest_delivery_error"]
        eb = eb if isinstance(eb, str) and eb else None
        ea = ea if isinstance(ea, str) and ea else None
        if eb != ea and (eb is None or ea is None):
            rows.append(row("trail_delivery", "regression" if ea else "improvement", before=eb or "delivering",
                            after=ea or "delivering",
                            reason=f"trail {a['name']}: " + (f"delivery fails ({ea})" if ea else "delivers again"),
                            **base(a)))
        bits = []
        for col, label in (("is_multi_region", "multi-region"), ("is_organization_trail", "organization trail"),
                           ("include_global_service_events", "global service events"),
                           ("log_file_validation", "log file validation"), ("s3_bucket", "bucket"),
                           ("kms_key_id", "KMS key")):
            x, y = b[col], a[col]
            x = None if x is None or (isinstance(x, float) and x != x) else x
            y = None if y is None or (isinstance(y, float) and y != y) else y
            if x != y:
                bits.append(f"{label} {x} -> {y}")
        if sel_b.get(arn) != sel_a.get(arn) and (b["selector_kind"] is not None and a["selector_kind"] is not None):
            bits.append(f"event selectors {sel_b.get(arn)} -> {sel_a.get(arn)}")
        if bits:
            rows.append(row("trail_changed", reason=f"trail {a['name']}: " + "; ".join(bits), **base(a)))
    return rows


# ----------------------------------------------------------------------------------------------------- management
def _admins(org) -> dict[str, str | None]:
    adm = org.guardduty_admins
    adm = adm[adm["admin_status"].isna() | (adm["admin_status"] == "ENABLED")]
    out: dict[str, str | None] = {}
    for r, a in zip(adm["region"], adm["admin_account_id"]):
        out[r] = a if r not in out else ",".join(sorted({out[r], a}))
    return out


def _org_config(org, admins: dict) -> dict[str, dict]:
    out = {}
    oc = org.guardduty_org_config
    for r in oc.itertuples(index=False):
        if admins.get(r.region) and r.admin_account_id != admins.get(r.region):
            continue
        mode = r.auto_enable_organization_members
        if not isinstance(mode, str):
            mode = "NEW" if r.auto_enable is True else "NONE" if r.auto_enable is False else None
        feats = {}
        for f in r.features or []:
            if not isinstance(f, dict):
                continue
            feats[f.get("Name")] = f.get("AutoEnable")
            for extra in f.get("AdditionalConfiguration") or []:
                feats[f"{f.get('Name')}/{extra.get('Name')}"] = extra.get("AutoEnable")
        out[r.region] = {"auto_enable": mode, "features": feats, "admin": r.admin_account_id}
    return out


def _gd_reads(org, accounts: set) -> dict[tuple, bool]:
    """(account, region) → whether its GuardDuty state was read, for ``accounts``."""
    rd = org.reads
    rd = rd[(rd["service"] == "guardduty") & rd["account_id"].isin(accounts)]
    out: dict[tuple, bool] = {}
    for a, r, st in zip(rd["account_id"].to_numpy(dtype=object), rd["region"].to_numpy(dtype=object),
                        rd["status"].to_numpy(dtype=object)):
        out[(a, r)] = out.get((a, r), True) and st in ("ok", "partial")
    return out


def _region_read(reads: dict, region: str, admin: str | None) -> bool:
    """Whether the administrator's GuardDuty state in ``region`` was read (else its configuration is unknown)."""
    if not admin:
        return True
    return all(reads.get((a, region), False) for a in admin.split(","))


def guardduty_management_changes(before, after, sc: Scope) -> list[dict]:
    rows = []
    ab, aa = _admins(before), _admins(after)
    names = _account_names(before, after)
    for r in sc.regions:
        x, y = ab.get(r), aa.get(r)
        if x != y:
            sev = "improvement" if x is None else "regression" if y is None else "neutral"
            rows.append(row("guardduty_admin", sev, region=r, before=x, after=y, account_id=y or x,
                            account_name=names.get(y or x), service="guardduty",
                            reason=("delegated administrator designated" if x is None else
                                    "no delegated administrator any more" if y is None else
                                    "delegated administrator changed") + f" in {r}"))
    cb, ca = _org_config(before, ab), _org_config(after, aa)
    admins = {x for d in (ab, aa) for v in d.values() if v for x in v.split(",")}
    rb, ra = _gd_reads(before, admins), _gd_reads(after, admins)
    for r in sc.regions:
        if not (_region_read(rb, r, ab.get(r)) and _region_read(ra, r, aa.get(r))):
            continue
        if "," in (ab.get(r) or "") or "," in (aa.get(r) or ""):
            # several administrators listed ENABLED in one region: whose configuration is the organisation's is
            # not known, so no auto-enable or feature row (never "(not set)")
            continue
        x, y = cb.get(r, {}), ca.get(r, {})
        mx, my = x.get("auto_enable"), y.get("auto_enable")
        if (x or y) and mx != my:
            rows.append(row("guardduty_auto_enable", rank_severity(mx, my, AUTO_ENABLE_RANK), region=r,
                            before=mx, after=my, account_id=y.get("admin") or x.get("admin"), service="guardduty",
                            reason=f"organisation auto-enable {mx or '(not set: no delegated administrator)'} -> "
                                   f"{my or '(not set)'} in {r}"))
        fx, fy = x.get("features") or {}, y.get("features") or {}
        for name in sorted(set(fx) | set(fy)):
            if fx.get(name) != fy.get(name) and (x and y):
                rows.append(row("guardduty_feature", rank_severity(fx.get(name), fy.get(name), AUTO_ENABLE_RANK),
                                region=r, before=fx.get(name), after=fy.get(name), service="guardduty", action=name,
                                account_id=y.get("admin"), reason=f"organisation auto-enable of {name} in {r}"))
    return rows


def new_accounts(before, after) -> set[str]:
    return set(after.accounts["account_id"]) - set(before.accounts["account_id"])



# -------------------------------------------------------------------------------------------- event data stores
def _ingesting(status) -> bool | None:
    """Whether a store with this ``Status`` records (the map coverage uses; None: not known)."""
    from orgkit.coverage.cloudtrail import INGESTING

    return INGESTING.get(status) if isinstance(status, str) else None


def _lake_read(org):
    """Whether a snapshot read the event data stores that could include a store: ``known(owner, region,
    organization)`` is true when the owner's ListEventDataStores of that region was read, or, for an organization
    store, a CloudTrail delegated administrator's (which sees the organization's stores: coverage's
    ``lake_org_readers``). Never tried (e.g. a snapshot of an orgkit version that did not read them) is false."""
    from orgkit.coverage.cloudtrail import lake_org_readers, lake_reads

    reads = lake_reads(org)
    readers = lake_org_readers(org)

    def known(owner, region, organization) -> bool:
        who = [owner] + (readers if organization else [])
        return any((reads.get((a, region)) or (False, None))[0] for a in who)

    return known


def _eds_selectors(sel) -> str | None:
    """A store's advanced event selectors in words (None: not read)."""
    if not isinstance(sel, list):
        return None
    parts = [_advanced(s.get("FieldSelectors") if isinstance(s, dict) else None) for s in sel]
    return " ".join(parts) if parts else "advanced[]"


def event_data_store_changes(before, after, sc: Scope) -> list[dict]:
    """Rows for the CloudTrail Lake event data stores (every account's, compared by ARN), rated by their
    effect on recording as the trail rows are (docs/diff.md): a store that recorded and is deleted or stops
    ingesting is a regression, one that starts an improvement; a store whose region's Lake read failed in AFTER is
    ``unknown``, not deleted; a scope that narrows (organization → this account, all regions → home region) while
    it records is a regression, the reverse an improvement; a selector change is neutral (the CloudTrail cell rows
    carry what it changes)."""
    cols = ["event_data_store_arn", "name", "account_id", "home_region", "status", "organization_enabled",
            "multi_region_enabled", "advanced_event_selectors"]
    empty = pd.DataFrame(columns=cols)
    eb = (getattr(before, "frames", None) or {}).get("event_data_stores")
    ea = (getattr(after, "frames", None) or {}).get("event_data_stores")
    sb = records(eb if eb is not None else empty, cols, "event_data_store_arn")
    sa = records(ea if ea is not None else empty, cols, "event_data_store_arn")
    if not sb and not sa:
        return []

    def in_scope(s) -> bool:
        return (s["home_region"] in sc.regions or s["home_region"] is None) and (
            sc.accounts is None or s["account_id"] in sc.accounts)

    names = _account_names(before, after)
    paths = dict(zip(after.accounts["account_id"], after.accounts["ou_path"]))

    def base(s) -> dict:
        aid = s["account_id"]
        return {"account_id": aid, "account_name": names.get(aid), "ou_path": paths.get(aid),
                "region": s["home_region"], "trail_arn": s["event_data_store_arn"], "service": "cloudtrail",
                "source": "cloudtrail:GetEventDataStore"}

    def state(s) -> str:
        st = s["status"]
        return st if isinstance(st, str) and st else "unknown"

    def scope_words(s) -> str:
        org_ = "organization" if s["organization_enabled"] else "this account" \
            if s["organization_enabled"] is False else "unknown scope"
        reg = "all regions" if s["multi_region_enabled"] else f"{s['home_region']} only" \
            if s["multi_region_enabled"] is False else "unknown regions"
        return f"{org_}, {reg}"

    def flag(v):
        return None if v is None or (isinstance(v, float) and v != v) else bool(v)

    rb, ra = _lake_read(before), _lake_read(after)
    rows = []
    for arn in sorted(set(sa) - set(sb)):
        s = sa[arn]
        if not in_scope(s):
            continue
        unread = not rb(s["account_id"], s["home_region"], flag(s["organization_enabled"]) is not False)
        rows.append(row("eds_added", before="unknown" if unread else None, after=state(s),
                        reason=f"new event data store {s['name']} ({scope_words(s)})"
                        + (": the Lake stores of its region were not read in BEFORE" if unread else ""),
                        **base(s)))
    for arn in sorted(set(sb) - set(sa)):
        s = sb[arn]
        if not in_scope(s):
            continue
        recorded = _ingesting(s["status"]) is True
        if not ra(s["account_id"], s["home_region"], flag(s["organization_enabled"]) is not False):
            # the region's stores were not read in AFTER: the store is not known to be gone
            rows.append(row("eds_changed", "regression" if recorded else "neutral", before=state(s),
                            after="unknown",
                            reason=f"event data store {s['name']}: the CloudTrail Lake stores of its owner "
                                   f"{s['account_id']}"
                                   + (" (or of a CloudTrail delegated administrator)"
                                      if flag(s["organization_enabled"]) is not False else "")
                                   + f" in {s['home_region']} were not read in AFTER", **base(s)))
            continue
        rows.append(row("eds_removed", "regression" if recorded else "neutral", before=state(s), after="deleted",
                        reason=f"event data store {s['name']} ({scope_words(s)}) deleted"
                               + (" while ingesting" if recorded else ""), **base(s)))
    for arn in sorted(set(sb) & set(sa)):
        b, a = sb[arn], sa[arn]
        if not in_scope(a):
            continue
        ib, ia = _ingesting(b["status"]), _ingesting(a["status"])
        if state(b) != state(a):
            if ib is True and ia is False:
                kind, sev, what = "eds_stopped", "regression", "stopped ingesting"
            elif ib is False and ia is True:
                kind, sev, what = "eds_started", "improvement", "started ingesting"
            elif ib is True and ia is None:
                kind, sev, what = "eds_changed", "regression", "ingestion can no longer be confirmed"
            else:
                kind, sev, what = "eds_changed", "neutral", "status changed"
            rows.append(row(kind, sev, before=state(b), after=state(a),
                            reason=f"event data store {a['name']} ({scope_words(a)}) {what} "
                                   f"({state(b)} -> {state(a)})", **base(a)))
        bits, up, down = [], False, False
        for col, label in (("organization_enabled", "organization"), ("multi_region_enabled", "multi-region")):
            x, y = flag(b[col]), flag(a[col])
            if x != y:
                bits.append(f"{label} {x} -> {y}")
                down |= x is True and y is False
                up |= x is False and y is True
        xs, ys = _eds_selectors(b["advanced_event_selectors"]), _eds_selectors(a["advanced_event_selectors"])
        if xs != ys and xs is not None and ys is not None:
            bits.append(f"event selectors {xs} -> {ys}")
        if bits:
            records_now = ia is True
            sev = ("regression" if down else "improvement" if up else "neutral") if records_now else "neutral"
            rows.append(row("eds_changed", sev, before=scope_words(b), after=scope_words(a),
                            reason=f"event data store {a['name']}: " + "; ".join(bits)
                                   + ("" if records_now or not (up or down) else " (it does not ingest: no effect)"),
                            **base(a)))
    return rows
