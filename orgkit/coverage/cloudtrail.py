"""CloudTrail coverage of every (organisation account, requested region), and the trail inventory.

Statuses (docs/coverage.md): ``covered`` · ``partial`` · ``not_delivering`` · ``not_logging`` · ``none`` ·
``unknown`` · ``not_applicable``.

How it is computed, vectorised:

1. every trail once, by ARN (:func:`trail_profiles`): the owner's read (``org.trails``) joined with what the accounts'
   ListTrails showed (``org.trail_listings``: an organization trail, or a trail whose details could not be read);
   its selectors parsed by :mod:`orgkit.coverage.selectors`;
2. which (account, region) cells each trail applies to (:func:`applicability`): an organization trail to every
   account of the organisation, a multi-region trail to every region of its account(s), a single-region trail to
   its home region only, a trail whose details are unknown to every region of the accounts that list it;
3. cells that share the same set of trails (and the same answer to "do global service events land in this
   region?") share one evaluation (typically a handful of distinct sets for tens of thousands of cells), then the
   account's own read and the region's enablement are applied with vectorised masks.

Delivery (GetTrailStatus, read in the trail's home region by its owner), per logging trail, against the snapshot's
``collected_at`` (never the wall clock):

* ``LatestDeliveryError`` present: the trail fails to deliver. AWS: "Displays any Amazon S3 error that CloudTrail
  encountered when attempting to deliver log files to the designated bucket." The fields that would say whether a
  later attempt succeeded (``LatestDeliveryAttemptSucceeded``, ``LatestDeliveryAttemptTime``) are documented as "no
  longer in use", so they are ignored; the reason shows the last successful delivery (``LatestDeliveryTime``).
* no error, but no log file delivered within :data:`STALE_AFTER` before the snapshot (and logging started before
  that): *stale*. CloudTrail "typically delivers logs within an average of about 5 minutes of an API call", but only
  when there are events, and ``LatestDeliveryError`` "does not occur for requests that time out": a stale trail may
  be idle or failing. It is treated like a trail whose state could not be read: it does not make a cell covered,
  and a cell that only it could cover is ``unknown``.

Global service events (IAM, AWS STS, CloudFront) are recorded in us-east-1 (:data:`GLOBAL_SERVICE_EVENT_REGIONS`);
a cell there is ``covered`` only when a delivering trail that includes global service events records read and
write management events there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orgkit.coverage._cells import CELL_COLUMNS, Grid, account_read_status, isin, no_gc
from orgkit.coverage.selectors import (MALFORMED, TrailSelectors, describe_management, parse_advanced, parse_trail,
                                       union_all)
from orgkit.model import Org

STATUSES = ["covered", "partial", "not_delivering", "not_logging", "none", "unknown", "not_applicable"]
COVERED = ("covered",)
COLUMNS = CELL_COLUMNS + ["trails", "read_write", "excluded_sources", "delivery_errors"]

#: A logging trail with no delivery error whose latest log file is older than this before the snapshot was
#: collected (or that never delivered, logging since longer than this) is *stale*: CloudTrail "typically delivers
#: logs within an average of about 5 minutes of an API call" (AWS CloudTrail User Guide, Getting and viewing your
#: CloudTrail log files); 24 hours is 288 such intervals.
STALE_AFTER = pd.Timedelta(hours=24)

#: Where CloudTrail records global service events (IAM, AWS STS, CloudFront): "events created by CloudFront, IAM,
#: and AWS STS will be recorded in the Region in which they were created, the US East (N. Virginia) Region,
#: us-east-1" (AWS CloudTrail User Guide, Global service events; since November 22, 2021).
GLOBAL_SERVICE_EVENT_REGIONS: tuple[str, ...] = ("us-east-1",)
GLOBAL_SERVICES = "IAM, AWS STS, CloudFront"


# ---------------------------------------------------------------------------------------------------- trails
def _selectors_by_trail(org: Org) -> dict[str, list[dict]]:
    es = org.event_selectors
    if es.empty:
        return {}
    es = es.sort_values(["trail_arn", "position"])
    out: dict[str, list[dict]] = {}
    for rec in es.to_dict("records"):
        out.setdefault(rec["trail_arn"], []).append(rec)
    return out


def _bool_or_none(v) -> bool | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return bool(v)


@no_gc
def trail_profiles(org: Org) -> pd.DataFrame:
    """Every trail once, by ARN: ``org.trails`` plus trails seen only in some account's ListTrails.

    Columns: trail_arn, name, account_id (owner), home_region, is_organization_trail, is_multi_region (None when
    unknown), is_logging (True/False/None), described (bool: the owner's DescribeTrails answer is in the snapshot),
    selectors (:class:`~orgkit.coverage.selectors.TrailSelectors`), listed_by (list of account ids whose ListTrails
    showed it), detail_error, plus the remaining ``org.trails`` columns.
    """
    t = org.trails.copy()
    lst = org.trail_listings.drop_duplicates(["account_id", "trail_arn"])
    listed_by = lst.groupby("trail_arn")["account_id"].agg(lambda x: sorted(set(x))) if len(lst) else pd.Series(
        dtype=object)
    # name and home region from the owner's own listing first, else any account's
    own_first = lst.assign(_o=(lst["account_id"] != lst["owner_account_id"]).to_numpy()).sort_values(
        "_o", kind="stable") if len(lst) else lst
    first = own_first.drop_duplicates("trail_arn").set_index("trail_arn") if len(lst) else None
    known = set(t["trail_arn"])
    extra = [a for a in (listed_by.index if len(lst) else []) if a not in known]
    if extra:
        owner_reads = account_read_status(org, "cloudtrail")
        rows = []
        for arn in sorted(extra):
            owner = first.loc[arn, "owner_account_id"]
            why = "details not in the snapshot"
            if owner in owner_reads:
                st, code = owner_reads[owner]
                if st in ("error", "skipped"):
                    why = f"its owner {owner}'s trails were not read ({st}" + (f": {code}" if code else "") + ")"
            elif owner not in set(org.accounts["account_id"]):
                why = f"its owner {owner} is not in the snapshot"
            rows.append({"trail_arn": arn, "name": first.loc[arn, "name"], "account_id": owner,
                         "home_region": first.loc[arn, "home_region"], "detail_error": why})
        t = pd.concat([t, pd.DataFrame(rows)], ignore_index=True)
    if first is not None and len(t):
        t["home_region"] = t["home_region"].where(t["home_region"].notna(), t["trail_arn"].map(first["home_region"]))
        t["name"] = t["name"].where(t["name"].notna(), t["trail_arn"].map(first["name"]))
    t["listed_by"] = t["trail_arn"].map(listed_by) if len(lst) else None
    t["listed_by"] = [x if isinstance(x, list) else [] for x in t["listed_by"]]
    t["described"] = t["is_organization_trail"].notna() & t["is_multi_region"].notna()
    sel = _selectors_by_trail(org)
    t["selectors"] = [
        parse_trail(kind if isinstance(kind, str) else None, sel.get(arn, []), _bool_or_none(custom))
        if desc else TrailSelectors(known=False, notes=["trail details not read"])
        for arn, kind, custom, desc in zip(t["trail_arn"], t["selector_kind"], t["has_custom_event_selectors"],
                                            t["described"])]
    t["recorder"] = "trail"
    eds = event_data_store_profiles(org)
    if len(eds):
        t = pd.concat([t, eds], ignore_index=True)
    t["is_logging"] = t["is_logging"].astype("boolean")
    return t.sort_values("trail_arn").reset_index(drop=True)


#: CloudTrail Lake event data store statuses (botocore's EventDataStoreStatus) -> is it recording events? None for
#: a store between two states (it may or may not record right now)
INGESTING = {"ENABLED": True, "CREATED": False, "STOPPED_INGESTION": False, "STOPPING_INGESTION": False,
             "PENDING_DELETION": False, "STARTING_INGESTION": None}


CLOUDTRAIL_PRINCIPAL = "cloudtrail.amazonaws.com"


def lake_org_readers(org: Org) -> list[str]:
    """The accounts whose ListEventDataStores answers the organization's event data stores: the management account,
    which owns them ("When a delegated administrator creates an organization event data store, the organization
    event data store exists in the management account"), and each CloudTrail delegated administrator, which "has
    administrative permissions on all organization trails and event data stores in the organization" (the
    ``delegated_admins`` frame, read with ListDelegatedAdministrators / ListDelegatedServicesForAccount)."""
    out = [org.management_account_id] if org.management_account_id else []
    d = org.frames.get("delegated_admins")
    found: set[str] = set()
    if d is not None and len(d):
        found |= set(d.loc[d["service_principal"] == CLOUDTRAIL_PRINCIPAL, "account_id"])
    # an account that listed an organization store of another account is one (if its delegated services were not
    # read, this still shows it)
    e = org.frames.get("event_data_stores")
    if e is not None and len(e) and "read_through" in e:
        for is_org, owner, via in zip(e["organization_enabled"], e["account_id"], e["read_through"]):
            if isinstance(is_org, (bool, np.bool_)) and bool(is_org) and isinstance(via, (list, tuple)):
                found |= {a for a in via if a != owner}
    return out + sorted(found - set(out))


def lake_reads(org: Org) -> dict[tuple[str, str], tuple[bool, str | None]]:
    """(account, region) -> (were its event data stores read, error code or read status when not); absent: never
    tried (a region not enabled, an account not reached, a snapshot of an older orgkit)."""
    rd = org.reads
    rd = rd[rd["service"] == "cloudtrail_lake"]
    out: dict[tuple[str, str], tuple[bool, str | None]] = {}
    for a, r, st, code in zip(rd["account_id"].to_numpy(dtype=object), rd["region"].to_numpy(dtype=object),
                              rd["status"].to_numpy(dtype=object), rd["error_code"].to_numpy(dtype=object)):
        ok = st in ("ok", "partial")
        # error_code is NaN (truthy) in the frame when no error was recorded: then the read status says why
        out[(a, r)] = (ok, None if ok else (code if isinstance(code, str) and code else st))
    return out


def lake_gaps(org: Org) -> tuple[list[str], dict[str, list[str]]]:
    """Where unread CloudTrail Lake event data stores leave coverage in doubt.

    * organisation-wide: regions where no account that sees the organization's stores (:func:`lake_org_readers`)
      read them; an organization store homed there could cover any cell (the management account read through the
      delegated administrator, or the reverse, closes the gap). Each entry names the region and every reader's
      answer.
    * per account: the regions where the account's own stores were not read; a multi-region store of its own
      could cover any of its cells.

    Nothing when the snapshot holds no Lake read at all (an older orgkit)."""
    reads = lake_reads(org)
    if not reads:
        return [], {}
    readers = lake_org_readers(org)
    mgmt = org.management_account_id
    disabled = set()
    if mgmt:
        rg = org.regions
        rg = rg[(rg["account_id"] == mgmt) & (rg["enabled"] == False)]  # noqa: E712 (nullable boolean)
        disabled = set(rg["region"])
    org_gaps = []
    for reg in org.regions_requested:
        if reg in disabled:
            continue  # no store of the management account lives in a region it has not enabled
        answers = [(a, reads.get((a, reg))) for a in readers]
        if any(x is not None and x[0] for _, x in answers):
            continue
        said = ", ".join(f"{'management account' if a == mgmt else 'delegated administrator'} {a}: "
                         f"{x[1] if x is not None else 'not read'}" for a, x in answers)
        org_gaps.append(f"{reg} ({said or 'no account that sees them was read'})")
    per_account: dict[str, list[str]] = {}
    for (a, reg), (ok, code) in sorted(reads.items()):
        if not ok:
            per_account.setdefault(a, []).append(f"{reg} ({code})")
    return org_gaps, per_account


def event_data_store_profiles(org: Org) -> pd.DataFrame:
    """Every CloudTrail Lake event data store once, by ARN (owner from the ARN, ``listed_by`` the accounts it was
    read through), as profiles beside the trails (``recorder`` = ``event_data_store``). An account's own store
    (``OrganizationEnabled`` false) records that account only, in all regions or its home region
    (``MultiRegionEnabled``), as an account's own trail does. AWS: an organization event data store "logs all
    events for all AWS accounts in that organization" and "can apply to all AWS Regions, or the current Region";
    it records what its advanced event selectors select (by default every management event). It delivers nothing
    to S3, so no delivery rule applies; it records the events of the regions it applies to, so where it applies in
    us-east-1 it records the global service events that land there (it has no IncludeGlobalServiceEvents
    setting)."""
    e = org.frames.get("event_data_stores")
    if e is None or e.empty:
        return pd.DataFrame()
    out = pd.DataFrame({
        "trail_arn": e["event_data_store_arn"], "name": e["name"], "account_id": e["account_id"],
        "home_region": e["home_region"], "is_organization_trail": e["organization_enabled"].fillna(False).astype(bool),
        "is_multi_region": e["multi_region_enabled"].fillna(True).astype(bool),
        "include_global_service_events": True,
        "is_logging": [INGESTING.get(x) if isinstance(x, str) else None for x in e["status"]],  # hand-made: unknown
        "selector_kind": "advanced", "described": True, "detail_error": None, "ingestion_status": e["status"],
        "recorder": "event_data_store"})
    rt = e["read_through"] if "read_through" in e else pd.Series([None] * len(e), dtype=object)
    out["listed_by"] = [list(x) if isinstance(x, (list, tuple)) else [] for x in rt]
    out["selectors"] = [parse_advanced([s.get("FieldSelectors") or [] if isinstance(s, dict) else s for s in sel])
                        if isinstance(sel, list) and sel else
                        TrailSelectors(known=False, notes=["event data store selectors not read"])
                        for sel in e["advanced_event_selectors"]]
    return out


def _kind(row) -> str | None:
    if not row["described"]:
        return None
    what = " event data store" if row.get("recorder") == "event_data_store" else ""
    if row["is_organization_trail"]:
        return "organization" + what
    return ("multi-region" if row["is_multi_region"] else "single-region") + what


# ---------------------------------------------------------------------------------------------- applicability
@dataclass
class Applicability:
    """Which trails apply to which cells: parallel integer arrays ``cell`` and ``trail`` (indexes into ``accounts``
    × ``regions`` and ``profiles``)."""

    accounts: list[str]
    regions: list[str]
    profiles: pd.DataFrame
    cell: np.ndarray
    trail: np.ndarray

    @property
    def n_cells(self) -> int:
        return len(self.accounts) * len(self.regions)


@no_gc
def applicability(org: Org, profiles: pd.DataFrame | None = None) -> Applicability:
    profiles = trail_profiles(org) if profiles is None else profiles
    accounts = list(org.accounts["account_id"])
    regions = org.regions_requested
    n_a, n_r = len(accounts), len(regions)
    a_index = {a: i for i, a in enumerate(accounts)}
    r_index = {r: i for i, r in enumerate(regions)}
    all_cells = np.arange(n_a * n_r, dtype=np.int64)
    every_region = np.arange(n_r, dtype=np.int64)
    acct_rows = np.arange(n_a, dtype=np.int64) * n_r
    cells_parts: list[np.ndarray] = []
    trail_parts: list[np.ndarray] = []
    for ti, (owner, home, is_org, multi, described, listed) in enumerate(zip(
            profiles["account_id"], profiles["home_region"], profiles["is_organization_trail"],
            profiles["is_multi_region"], profiles["described"], profiles["listed_by"])):
        if described:
            if is_org:
                if multi:
                    c = all_cells
                elif home in r_index:
                    c = acct_rows + r_index[home]
                else:
                    continue
            else:
                if owner not in a_index:
                    continue
                if multi:
                    c = a_index[owner] * n_r + every_region
                elif home in r_index:
                    c = np.array([a_index[owner] * n_r + r_index[home]], dtype=np.int64)
                else:
                    continue
        else:  # scope unknown: every region of the accounts that see it
            accts = sorted({a for a in list(listed) + [owner] if a in a_index})
            if not accts:
                continue
            c = (np.array([a_index[a] for a in accts], dtype=np.int64)[:, None] * n_r + every_region).ravel()
        cells_parts.append(c)
        trail_parts.append(np.full(len(c), ti, dtype=np.int64))
    cell = np.concatenate(cells_parts) if cells_parts else np.zeros(0, dtype=np.int64)
    trail = np.concatenate(trail_parts) if trail_parts else np.zeros(0, dtype=np.int64)
    return Applicability(accounts, regions, profiles, cell, trail)


def _combos(app: Applicability) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Group cells by their set of trails. Returns (combo index per cell, trail indexes per combo)."""
    n = app.n_cells
    rng = np.random.default_rng(20260101)
    weights = rng.integers(1, np.iinfo(np.int64).max, size=len(app.profiles), dtype=np.int64).astype(np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    cnt = np.zeros(n, dtype=np.int64)
    if len(app.cell):
        np.add.at(h, app.cell, weights[app.trail])
        np.add.at(cnt, app.cell, 1)
    key = np.stack([h, cnt.astype(np.uint64)], axis=1)
    uniq, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    rep = first  # a representative cell per combo
    pos = {c: i for i, c in enumerate(rep)}
    members: list[list[int]] = [[] for _ in range(len(rep))]
    if len(app.cell):
        mask = np.isin(app.cell, rep)
        for c, t in zip(app.cell[mask], app.trail[mask]):
            members[pos[int(c)]].append(int(t))
    return inverse, [tuple(sorted(set(m))) for m in members]


# --------------------------------------------------------------------------------------------------- delivery
def collected_at(org: Org) -> pd.Timestamp | None:
    """When the snapshot was collected (its manifest's ``collected_at``), the reference time of every age."""
    v = org.manifest.get("collected_at") if isinstance(org.manifest, dict) else None
    try:
        t = pd.Timestamp(v) if v else None
    except (TypeError, ValueError):
        return None
    if t is None or pd.isna(t):
        return None
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _ts(v) -> pd.Timestamp | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    try:
        t = pd.Timestamp(v)
    except (TypeError, ValueError):
        return None
    if pd.isna(t):
        return None
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _when(t: pd.Timestamp) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(t: pd.Timestamp, ref: pd.Timestamp | None) -> str:
    """``2026-01-01T00:00:00Z, 3 d 4 h before the snapshot`` (no age without a reference time)."""
    if ref is None:
        return _when(t)
    d = ref - t
    if d <= pd.Timedelta(0):
        return f"{_when(t)}, as the snapshot was collected"
    mins = int(d.total_seconds() // 60)
    days, rem = divmod(mins, 1440)
    hours, mins = divmod(rem, 60)
    text = f"{days} d {hours} h" if days else (f"{hours} h {mins} min" if hours else f"{mins} min")
    return f"{_when(t)}, {text} before the snapshot"


def delivery_state(is_logging, error, latest_delivery, start_logging, ref: pd.Timestamp | None,
                   stale_after: pd.Timedelta = STALE_AFTER) -> tuple[str | None, str | None]:
    """``(state, text)`` of one trail's S3 delivery, from its GetTrailStatus fields and the snapshot time ``ref``.

    state: ``error`` (``LatestDeliveryError`` present), ``stale`` (logging, no error, no log file delivered within
    ``stale_after`` before ``ref``), ``ok``, or None (the trail is not logging or its state was not read).
    """
    if is_logging is not True:
        return None, None
    last = _ts(latest_delivery)
    last_text = f"last delivered {_age(last, ref)}" if last is not None else "no log file delivered yet"
    if isinstance(error, str) and error:
        return "error", f"LatestDeliveryError {error}; {last_text}"
    if ref is not None:
        start = _ts(start_logging)
        if last is not None and ref - last > stale_after:
            return "stale", f"no log file delivered since {_age(last, ref)}, and no delivery error"
        if last is None and start is not None and ref - start > stale_after:
            return "stale", f"no log file delivered since logging started {_age(start, ref)}, and no delivery error"
    return "ok", None


# ------------------------------------------------------------------------------------------------- evaluation
def _why_uncertain(p: dict) -> str:
    if not p["described"]:
        return f"{p['trail_arn']}: {p['detail_error'] or 'details not read'}"
    if p["delivery"] == "stale":
        return f"{p['trail_arn']}: whether it delivers ({p['delivery_note']})"
    bits = []
    if p["is_logging"] is None:
        # an event data store between two states (STARTING_INGESTION): its state was read, it says neither
        bits.append(f"event data store is {p['ingestion']}" if p["ingestion"] else "logging state not read")
    if not p["selectors"].known:
        bits.append(MALFORMED if MALFORMED in p["selectors"].notes else "event selectors not read")
    err = p["detail_error"]
    return f"{p['trail_arn']}: {' and '.join(bits)}" + (f" ({err})" if isinstance(err, str) and err else "")


def _gse_gap(contributors: list[dict], landing: str | None) -> str | None:
    """Why global service events are not fully recorded in a region where they land (None: they are, or n/a).
    ``landing``: the regions where they land (text), or None when the cell is elsewhere."""
    if not landing:
        return None
    with_gse = [p for p in contributors if p["gse"] is True]
    read = union_all(p["selectors"].read for p in with_gse)
    write = union_all(p["selectors"].write for p in with_gse)
    if read is not None and write is not None:
        return None
    where = landing
    without = [p for p in contributors if p["gse"] is not True]
    lack = (": " + ", ".join(f"{p['name']} has IncludeGlobalServiceEvents "
                             + ("false" if p["gse"] is False else "unset") for p in without)) if without else ""
    if read is None and write is None:
        return f"no trail records global service events ({GLOBAL_SERVICES}), which CloudTrail records in {where}{lack}"
    return (f"global service events ({GLOBAL_SERVICES}) recorded only "
            + ("read" if read is not None else "write") + f" events here{lack}")


def _evaluate(combo: tuple[int, ...], P: list[dict], landing: str | None = None) -> tuple:
    """(status, reason, source, read_write, excluded_sources, delivery_errors) of one set of trails, before reads
    are considered. ``landing``: where global service events are recorded (text) when the cell is one of those
    regions, else None."""
    ps = [P[i] for i in combo]
    if not ps:
        return "none", "no trail applies", "cloudtrail:ListTrails", None, [], []
    active = [p for p in ps if p["is_logging"] is True and p["selectors"].known]
    delivering = [p for p in active if p["delivery"] == "ok"]
    failing = [p for p in active if p["delivery"] == "error"]
    stale = [p for p in active if p["delivery"] == "stale" and p["selectors"].management]
    # every logging trail whose GetTrailStatus shows a LatestDeliveryError, its selectors read or not
    failing_arns = [p["trail_arn"] for p in ps if p["delivery"] == "error"]
    read = union_all(p["selectors"].read for p in delivering)
    write = union_all(p["selectors"].write for p in delivering)
    contributors = [p for p in delivering if p["selectors"].management]
    rw = None
    if read is not None or write is not None:
        rw = "All" if read is not None and write is not None else ("ReadOnly" if read is not None else "WriteOnly")
    excluded = sorted((read.sources if read is not None and read.mode == "except" else frozenset())
                      | (write.sources if write is not None and write.mode == "except" else frozenset()))
    src = ", ".join(p["trail_arn"] for p in contributors) or None
    gse_gap = _gse_gap(contributors, landing) if contributors else None

    def health_note() -> str:
        """The trails that apply and log here but deliver nothing (or nothing lately), named."""
        notes = [f"{p['name']} ({p['trail_arn']}) fails to deliver: {p['delivery_note']}"
                 for p in failing if p["selectors"].management]
        notes += [f"{p['name']} ({p['trail_arn']}): {p['delivery_note']}" for p in stale]
        return "".join("; " + n for n in notes)

    if read is not None and write is not None and read.full and write.full and gse_gap is None:
        names = ", ".join(f"{p['name']} ({p['kind']})" for p in contributors)
        return ("covered", f"read and write management events recorded by {names}" + health_note(), src, rw,
                excluded, failing_arns)
    uncertain = [p for p in ps if p["is_logging"] is not False
                 and (not p["selectors"].known or (p["is_logging"] is None and p["selectors"].management))]
    uncertain += stale
    known = describe_management(read, write)
    if uncertain:
        reason = ("cannot tell: " + "; ".join(_why_uncertain(p) for p in uncertain)
                  + (f"; the readable trails record: {known}" if known != "none" else ""))
        return "unknown", reason, ", ".join(p["trail_arn"] for p in uncertain), rw, excluded, failing_arns
    # a stopped trail counts whatever it would record (its selectors may not have been read)
    stopped = [p for p in ps if p["is_logging"] is False
               and (p["selectors"].management or not p["selectors"].known)]

    def stopped_note() -> str:
        return "; ".join((f"event data store {p['name']} is not ingesting ({p['ingestion']})" if p["ingestion"]
                          else f"{p['name']} is not logging" + (f" (stopped {p['stop']})" if p["stop"] else ""))
                         for p in stopped)

    if read is not None or write is not None:
        reason = f"management events recorded: {known}"
        if gse_gap:
            reason += f"; {gse_gap}"
        reason += health_note()
        if stopped:
            reason += "; " + stopped_note()
        return "partial", reason, src, rw, excluded, failing_arns
    failing_mgmt = [p for p in failing if p["selectors"].management]
    if failing_mgmt:
        reason = "; ".join(f"{p['name']} logs but fails to deliver: {p['delivery_note']}" for p in failing_mgmt)
        if stopped:
            reason += "; " + stopped_note()
        return ("not_delivering", reason, ", ".join(p["trail_arn"] for p in failing_mgmt), None, [],
                failing_arns)
    if stopped:
        return "not_logging", stopped_note(), ", ".join(p["trail_arn"] for p in stopped), None, [], failing_arns
    data_only = [p for p in ps if p["is_logging"] is True and p["selectors"].data]
    if data_only:
        return ("none", "no trail records management events; " + ", ".join(p["name"] for p in data_only)
                + " record(s) data events only", ", ".join(p["trail_arn"] for p in data_only), None, [],
                failing_arns)
    return "none", "the trails that apply record no management events", ", ".join(p["trail_arn"] for p in ps), \
        None, [], failing_arns


def _profile_dicts(profiles: pd.DataFrame, ref: pd.Timestamp | None = None,
                   stale_after: pd.Timedelta = STALE_AFTER) -> list[dict]:
    out = []
    for rec in profiles.to_dict("records"):
        lg = rec["is_logging"]
        is_logging = None if lg is pd.NA or lg is None else bool(lg)
        stop = rec.get("stop_logging_time")
        state, note = delivery_state(is_logging, rec.get("latest_delivery_error"), rec.get("latest_delivery_time"),
                                     rec.get("start_logging_time"), ref, stale_after)
        out.append({"trail_arn": rec["trail_arn"], "name": rec["name"] or rec["trail_arn"],
                    "described": bool(rec["described"]), "is_logging": is_logging,
                    "selectors": rec["selectors"], "detail_error": rec.get("detail_error")
                    if isinstance(rec.get("detail_error"), str) else None,
                    "kind": _kind(rec) or "unknown kind",
                    "stop": stop.isoformat() if isinstance(stop, pd.Timestamp) and not pd.isna(stop) else None,
                    "delivery": state, "delivery_note": note,
                    "gse": _bool_or_none(rec.get("include_global_service_events")),
                    "ingestion": rec.get("ingestion_status") if isinstance(rec.get("ingestion_status"), str)
                    else None})
    return out


@no_gc
def cloudtrail_coverage(org: Org, *, stale_after: pd.Timedelta = STALE_AFTER,
                        global_event_regions: tuple[str, ...] | list[str] = GLOBAL_SERVICE_EVENT_REGIONS,
                        _app: Applicability | None = None) -> pd.DataFrame:
    """CloudTrail status of every (organisation account, requested region).

    Columns: account_id, account_name, ou_path, region, status, reason, source (trail ARNs, or the failing call),
    trails (list of the ARNs of every trail that applies there), read_write (``All``, ``ReadOnly``, ``WriteOnly`` or
    None: what the delivering logging trails record together), excluded_sources (event sources excluded by all of
    them), delivery_errors (ARNs of the logging trails that apply there whose GetTrailStatus shows a
    ``LatestDeliveryError``).

    ``stale_after``: how long without a delivered log file (before the snapshot's ``collected_at``) makes a logging
    trail with no delivery error *stale*; ``global_event_regions``: where global service events are recorded.
    """
    app = _app or applicability(org)
    P = _profile_dicts(app.profiles, collected_at(org), pd.Timedelta(stale_after))
    inverse, combos = _combos(app)
    # global service events land in some regions only: the same set of trails may need two evaluations
    landing_r = np.array([r in set(global_event_regions) for r in app.regions], dtype=np.int64)
    landing = np.tile(landing_r, len(app.accounts)) if app.n_cells else np.zeros(0, dtype=np.int64)
    pair = inverse.astype(np.int64) * 2 + landing
    upairs, inverse = np.unique(pair, return_inverse=True)
    inverse = inverse.ravel()
    where = "/".join(global_event_regions)
    results = [_evaluate(combos[int(k) // 2], P, where if int(k) % 2 else None) for k in upairs]
    arns = [[P[i]["trail_arn"] for i in combos[int(k) // 2]] for k in upairs]
    excl_by_combo = [r[4] for r in results]
    derr_by_combo = [r[5] for r in results]

    grid = Grid(org)  # same order as app: accounts × regions
    if grid.n != app.n_cells or list(grid.account_ids) != list(app.accounts):
        raise AssertionError("cell grid and trail applicability are not aligned")
    n = grid.n
    rd = grid.reads("cloudtrail", regional=False)
    combo_status = np.array([r[0] for r in results], dtype=object)
    status = combo_status[inverse] if n else np.zeros(0, dtype=object)
    reason = np.array([r[1] for r in results], dtype=object)[inverse] if n else np.zeros(0, dtype=object)
    source = np.array([r[2] for r in results], dtype=object)[inverse] if n else np.zeros(0, dtype=object)
    rw = np.array([r[3] for r in results], dtype=object)[inverse] if n else np.zeros(0, dtype=object)

    # the account's own trails were not read: only a covering (organization) trail still tells
    own_unread = ~isin(rd["status"], ["ok", "partial"])
    idx = np.flatnonzero(own_unread & (status != "covered") & ~grid.not_applicable)
    fr, fs = grid.failure(rd, idx, "cloudtrail")
    reason[idx] = ["the account's own trails are unknown: " + f
                   + ("; no organization trail covers it" if status[i] == "none" else "")
                   + (f"; known: {reason[i]}" if status[i] in ("partial", "not_delivering", "not_logging",
                                                               "unknown") else "")
                   for i, f in zip(idx, fr)]
    source[idx] = fs
    status[idx] = "unknown"
    # CloudTrail Lake event data stores unread: the organization's (neither the management account nor a CloudTrail
    # delegated administrator read them in some region) leave every cell not yet covered in doubt; an account's own
    # leave that account's cells in doubt
    org_gaps, acct_gaps = lake_gaps(org)
    if org_gaps:
        what = "; ".join(org_gaps)
        idx = np.flatnonzero((status != "covered") & (status != "unknown") & ~grid.not_applicable)
        reason[idx] = [f"cannot tell: the organization's CloudTrail Lake event data stores were not read in "
                       f"{what}; known: {reason[i]}" for i in idx]
        source[idx] = "cloudtrail:ListEventDataStores"
        status[idx] = "unknown"
    if acct_gaps:
        ai, ok = grid.account_idx(list(acct_gaps))
        gap = grid.per_account(np.array(["; ".join(v) for v in acct_gaps.values()], dtype=object), ai, ok)
        has_gap = np.array([g is not None for g in gap], dtype=bool)
        idx = np.flatnonzero(has_gap & (status != "covered") & (status != "unknown") & ~grid.not_applicable)
        reason[idx] = [f"cannot tell: the account's own CloudTrail Lake event data stores were not read in "
                       f"{gap[i]}; known: {reason[i]}" for i in idx]
        source[idx] = "cloudtrail:ListEventDataStores"
        status[idx] = "unknown"
    # regions not read: "none" could be a disabled region
    idx = np.flatnonzero(grid.region_unread & (status == "none"))
    reason[idx] = [f"{reason[i]}; and the account's regions were not read: the region may be disabled" for i in idx]
    source[idx] = "account:ListRegions"
    status[idx] = "unknown"
    idx = np.flatnonzero(grid.not_applicable)
    reason[idx] = ["region not enabled for the account"
                   + (f" ({o})" if o else " (not in its region list: account:ListRegions)")
                   for o in grid.opt_status[idx]]
    source[idx] = "account:ListRegions"
    status[idx] = "not_applicable"
    rw[idx] = None

    trails_by_combo = [list(a) for a in arns]
    out = pd.DataFrame({
        **grid.frame(), "status": status, "reason": reason, "source": source,
        "trails": [list(trails_by_combo[i]) for i in inverse],
        "read_write": rw,
        "excluded_sources": [list(excl_by_combo[i]) for i in inverse],
        "delivery_errors": [list(derr_by_combo[i]) for i in inverse],
    }, columns=COLUMNS, dtype=object)
    out.attrs["service"] = "cloudtrail"
    return out


# -------------------------------------------------------------------------------------------------- inventory
@no_gc
def trail_inventory(org: Org, *, stale_after: pd.Timedelta = STALE_AFTER) -> pd.DataFrame:
    """Every trail once (by ARN, shadow copies and member views folded in).

    Columns: trail_arn, name, account_id (owner), account_name, home_region, kind (``organization``,
    ``multi-region``, ``single-region``, None when not read), is_logging, latest_delivery_time,
    latest_delivery_error, log_file_validation, kms_key_id, include_global_service_events, s3_bucket,
    selector_kind, management_events (e.g. ``read and write``, ``read only``, ``none``), read_write,
    excluded_sources, data_events (list of descriptions), listed_by (number of accounts whose ListTrails shows it),
    status (``ok``, ``not_logging``, ``delivery_error``, ``delivery_stale``, ``unknown``), reason.

    ``delivery_error`` and ``delivery_stale`` follow the same rule (:func:`delivery_state`) as the coverage
    statuses: a trail in ``delivery_error`` makes the cells it alone covers ``not_delivering``.
    """
    p = trail_profiles(org)
    ref = collected_at(org)
    names = org.accounts.set_index("account_id")["account_name"]
    sels = p["selectors"]
    kind = [_kind(r) for r in p[["described", "is_organization_trail", "is_multi_region", "recorder"]].to_dict(
        "records")]
    logging = p["is_logging"]
    ingestion = p["ingestion_status"] if "ingestion_status" in p else pd.Series([None] * len(p), dtype=object)
    status, reason = [], []
    for lg, e, last, start, sel, desc, de, ing in zip(logging, p["latest_delivery_error"], p["latest_delivery_time"],
                                                      p["start_logging_time"], sels, p["described"],
                                                      p["detail_error"], ingestion):
        if isinstance(ing, str) and lg is pd.NA:
            status.append("unknown")
            reason.append(f"event data store is {ing}")
            continue
        if not desc or lg is pd.NA or not sel.known:
            status.append("unknown")
            reason.append(de if isinstance(de, str) and de else "details not read")
            continue
        if not lg:
            status.append("not_logging")
            reason.append(f"ingestion stopped (event data store {ing})" if isinstance(ing, str)
                          else "logging is stopped")
            continue
        state, note = delivery_state(True, e, last, start, ref, pd.Timedelta(stale_after))
        if state == "error":
            status.append("delivery_error")
            reason.append(f"fails to deliver log files: {note}")
        elif state == "stale":
            status.append("delivery_stale")
            reason.append(note)
        else:
            status.append("ok")
            reason.append(None)
    # an event data store its owner did not list (the management account's read failed): say whom it was read
    # through (a CloudTrail delegated administrator)
    for i, (rec, owner, via) in enumerate(zip(p["recorder"], p["account_id"], p["listed_by"])):
        if rec == "event_data_store" and via and owner not in via:
            note = f"read through {', '.join(via)} (not listed by its owner {owner})"
            reason[i] = f"{reason[i]}; {note}" if reason[i] else note
    out = pd.DataFrame({
        "trail_arn": p["trail_arn"], "name": p["name"], "account_id": p["account_id"],
        "account_name": p["account_id"].map(names), "home_region": p["home_region"], "kind": kind,
        "recorder": p["recorder"],
        "is_logging": logging, "latest_delivery_time": p["latest_delivery_time"],
        "latest_delivery_error": p["latest_delivery_error"], "log_file_validation": p["log_file_validation"],
        "kms_key_id": p["kms_key_id"], "include_global_service_events": p["include_global_service_events"],
        "s3_bucket": p["s3_bucket"], "selector_kind": p["selector_kind"],
        "management_events": [x.management_summary() for x in sels],
        "read_write": [x.read_write for x in sels],
        "excluded_sources": [x.excluded_sources for x in sels],
        "data_events": [[d.describe() for d in x.data] for x in sels],
        "listed_by": [len(x) for x in p["listed_by"]],
        "status": status, "reason": pd.Series(reason, dtype=object),
    })
    return out
