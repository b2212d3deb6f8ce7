"""issue 22: the trail rows (``state.trail_changes``) and the CloudTrail Lake event data store rows
(``state.event_data_store_changes``) of ``orgkit diff``, compared WHOLE (every column of every row of the change
frame but the coverage cells, in the frame's order) over pairs of snapshots where many trails and stores each
change in their own way at once.

The expected rows follow docs/diff.md's table of kinds and severities, not the code's output: a trail deleted or
stopped while logging is a regression, one started an improvement, a trail whose status can no longer be read
(or whose owner's trails were not read) a regression unless the owner is suspended or closed; a store that
recorded and is deleted or stops ingesting is a regression; a scope that narrows while it records a regression;
selectors only, or a store that does not ingest, neutral. The cells (kinds ``cloudtrail``, ``guardduty``) are
left out: they are ``cell_changes``' (tests/test_diff.py compares them).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import orgkit
from orgkit.diff import COLUMNS, KINDS, diff
from orgkit.testing import SnapshotSpec
from test_diff import R
from test_diff import _whole as _every_row

MGMT = "111111111111"
KEY = "arn:aws:kms:us-east-1:111111111111:key/k"
STOP = "2026-11-29T10:00:00Z"


def _whole(df) -> list[tuple]:
    """Every trail and store row, and any row of a kind outside KINDS (what a misspelt kind would give), every
    column (COLUMNS order), a missing value as None. The coverage cells and the structure rows (accounts renamed,
    suspended, removed) are other functions' (tests/test_diff.py)."""
    assert list(df.columns) == COLUMNS
    return _every_row(df[df["kind"].str.startswith(("trail_", "eds_")) | ~df["kind"].isin(KINDS)])


def T(kind: str, severity: str, where: tuple, arn: str, before, after, reason: str, region="us-east-1") -> tuple:
    """A trail row: ``where`` is (account id, name, OU path)."""
    aid, name, path = where
    return R(kind, severity, account_id=aid, account_name=name, ou_path=path, region=region, before=before,
             after=after, reason=reason, trail_arn=arn, service="cloudtrail")


def _filtered(path, accounts):
    """A snapshot collected with ``--accounts`` (the filter in its manifest, re-sealed)."""
    from orgkit.snapshot import DIGEST_KEY, dumps, manifest_digest

    m = json.loads((path / "manifest.json").read_text())
    m["options"] = {"accounts": accounts}
    m[DIGEST_KEY] = manifest_digest(m)
    (path / "manifest.json").write_text(dumps(m))
    return orgkit.load(path)


# --------------------------------------------------------------------------------------------------------- trails
def _status(logging=True, stop=None, error=None):
    s = {"IsLogging": logging, "LatestDeliveryTime": "2026-11-30T00:00:00Z"}
    if stop:
        s["StopLoggingTime"] = stop
    if error:
        s["LatestDeliveryError"] = error
    return s


#: each trail of the management account: (name, BEFORE, AFTER); a side is None where the trail does not exist,
#: else the keyword arguments of SnapshotSpec.trail plus ``unread`` (GetTrailStatus failed, with that error or
#: None), ``no_selectors`` (GetEventSelectors not read) and ``no_home`` (no HomeRegion)
TRAILS = [
    ("org-trail", dict(organization=True), dict(organization=False)),
    ("flags", {}, dict(multi_region=False, IncludeGlobalServiceEvents=False, LogFileValidationEnabled=False,
                       S3BucketName="other-logs", KmsKeyId=KEY)),
    ("unkeyed", dict(KmsKeyId=KEY), {}),
    ("global", dict(IncludeGlobalServiceEvents=False), {}),
    ("gone-on", {}, None),
    ("gone-off", dict(logging=False), None),
    ("gone-unread", dict(unread=None), None),
    ("new-on", None, {}),
    ("new-off", None, dict(logging=False)),
    ("new-unread", None, dict(unread="AccessDeniedException")),
    ("stop-at", {}, dict(status=_status(False, stop=STOP))),
    ("stop-plain", {}, dict(logging=False)),
    ("start", dict(status=_status(False, stop=STOP)), {}),
    ("lost", {}, dict(unread="AccessDeniedException")),
    ("lost-off", dict(logging=False), dict(unread=None)),
    ("found", dict(unread="ThrottlingException"), {}),
    ("still-unread", dict(unread=None), dict(unread=None)),
    ("fails", {}, dict(status=_status(error="AccessDenied"))),
    ("recovers", dict(status=_status(error="NoSuchBucket")), {}),
    ("fails-otherwise", dict(status=_status(error="NoSuchBucket")), dict(status=_status(error="AccessDenied"))),
    ("sel", dict(event_selectors=[
        {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": False,
         "ExcludeManagementEventSources": ["kms.amazonaws.com", "rdsdata.amazonaws.com"],
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]},
                           {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]},
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
         "ExcludeManagementEventSources": []}]), dict(advanced_event_selectors=[{"Name": "m", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["false"]}]}])),
    ("sel-unread", {}, dict(no_selectors=True, multi_region=False)),
    ("eu", dict(home_region="eu-west-1"), None),
    ("far", dict(home_region="ap-south-1"), dict(home_region="ap-south-1", logging=False)),
    ("far-gone", dict(home_region="ap-south-1"), None),
    ("homeless", dict(no_home=True), dict(no_home=True, S3BucketName="moved")),
]


def _trail(sb: SnapshotSpec, owner: str, name: str, kw: dict) -> None:
    kw = dict(kw)
    unread = kw.pop("unread", False)
    no_selectors, no_home = kw.pop("no_selectors", False), kw.pop("no_home", False)
    arn = sb.trail(owner, name, **kw)
    t = sb.docs[owner]["CloudTrail"]["Trails"][arn]
    if unread is not False:
        t["Status"], t["Error"] = None, unread
    if no_selectors:
        t["EventSelectors"] = None
    if no_home:
        del t["Trail"]["HomeRegion"]


def _trail_org(side: int) -> SnapshotSpec:
    """side 0: BEFORE, 1: AFTER. Besides the management account's TRAILS: App (renamed in AFTER) adds a trail;
    Quiet's trails are not read in AFTER (ListTrails failed) though it is active; Shut is CLOSED and Leaving
    PENDING_CLOSURE and Paused SUSPENDED in AFTER (the collector lists them and reads nothing); Partial's trail
    is deleted where its trails were read with an error; Gone leaves the organisation."""
    after = side == 1
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    eng, sandbox = sb.ou("Eng"), sb.ou("Sandbox")
    app = sb.account("App renamed" if after else "App", parent=eng)
    quiet = sb.account("Quiet", parent=eng)
    shut = sb.account("Shut", parent=sandbox, status="CLOSED" if after else "ACTIVE")
    leaving = sb.account("Leaving", parent=sandbox, status="PENDING_CLOSURE" if after else "ACTIVE")
    partial = sb.account("Partial", parent=sandbox)
    paused = sb.account("Paused", parent=sandbox, status="SUSPENDED" if after else "ACTIVE")
    for name, *sides in TRAILS:
        if sides[side] is not None:
            _trail(sb, MGMT, name, sides[side])
    sb.trail(app, "app-trail", logging=False)  # unchanged: no row
    if after:
        sb.trail(app, "app-new", IncludeGlobalServiceEvents=False)
        sb.docs[quiet]["CloudTrail"]["ListTrails"] = None
        sb.error(quiet, None, "cloudtrail", "ListTrails", "AccessDeniedException")
        for aid in (shut, leaving, paused):
            sb.docs[aid] = {"AccountId": aid, "Access": {"Method": "none", "Error": None}}
        # Partial's trails were listed, one trail's details failed: read ("partial"), so its trail is known gone
        sb.error(partial, None, "cloudtrail", "GetTrailStatus", "AccessDeniedException")
    else:
        gone = sb.account("Gone", parent=sandbox)
        sb.trail(gone, "gone-trail")
        sb.trail(quiet, "quiet-trail")
        sb.trail(shut, "shut-trail")
        sb.trail(leaving, "leaving-trail", logging=False)
        sb.trail(partial, "partial-trail")
        sb.trail(paused, "paused-trail")
    return sb


def _arn(aid: str, name: str, region: str = "us-east-1") -> str:
    return f"arn:aws:cloudtrail:{region}:{aid}:trail/{name}"


def test_trail_rows_of_many_changes_at_once_compared_whole(tmp_path):
    before = _trail_org(0).load(tmp_path / "before")
    after = _trail_org(1).load(tmp_path / "after")
    df = diff(before, after, scp=False, processes=1)
    app, quiet, shut, leaving, partial, paused, gone = (f"00000000000{i}" for i in range(3, 10))
    m = (MGMT, "Management", "Root")
    a = lambda n: _arn(MGMT, n)  # noqa: E731
    assert _whole(df) == [
        # regressions; Gone's trail went with its account (its name from BEFORE; no OU path in AFTER)
        T("trail_removed", "regression", (gone, "Gone", None), _arn(gone, "gone-trail"), "logging", "deleted",
          "trail gone-trail deleted while logging"),
        T("trail_removed", "regression", m, _arn(MGMT, "eu", "eu-west-1"), "logging", "deleted",
          "trail eu deleted while logging", region="eu-west-1"),
        T("trail_removed", "regression", m, a("gone-on"), "logging", "deleted", "trail gone-on deleted while logging"),
        T("trail_removed", "regression", (partial, "Partial", "Root/Sandbox"), _arn(partial, "partial-trail"),
          "logging", "deleted", "trail partial-trail deleted while logging"),
        T("trail_stopped", "regression", m, a("stop-at"), "logging", "not logging",
          "trail stop-at stopped logging at 2026-11-29 10:00:00+00:00"),
        T("trail_stopped", "regression", m, a("stop-plain"), "logging", "not logging",
          "trail stop-plain stopped logging"),
        T("trail_delivery", "regression", m, a("fails"), "delivering", "AccessDenied",
          "trail fails: delivery fails (AccessDenied)"),
        T("trail_changed", "regression", m, a("lost"), "logging", "unknown",
          "trail lost: its status could not be read (AccessDeniedException)"),
        T("trail_changed", "regression", m, a("lost-off"), "not logging", "unknown",
          "trail lost-off: its status could not be read"),
        T("trail_changed", "regression", (quiet, "Quiet", "Root/Eng"), _arn(quiet, "quiet-trail"), "read", "unknown",
          "trail quiet-trail: its account's trails were not read in AFTER"),
        # improvements
        T("trail_started", "improvement", m, a("start"), "not logging", "logging", "trail start started logging"),
        T("trail_delivery", "improvement", m, a("recovers"), "NoSuchBucket", "delivering",
          "trail recovers: delivers again"),
        # neutral
        T("trail_added", "neutral", m, a("new-off"), None, "not logging", "new trail new-off"),
        T("trail_added", "neutral", m, a("new-on"), None, "logging", "new trail new-on"),
        T("trail_added", "neutral", m, a("new-unread"), None, "unknown", "new trail new-unread"),
        T("trail_added", "neutral", (app, "App renamed", "Root/Eng"), _arn(app, "app-new"), None, "logging",
          "new trail app-new"),
        T("trail_removed", "neutral", m, a("gone-off"), "not logging", "deleted", "trail gone-off deleted"),
        T("trail_removed", "neutral", m, a("gone-unread"), "unknown", "deleted", "trail gone-unread deleted"),
        T("trail_changed", "neutral", m, a("homeless"), None, None, "trail homeless: bucket homeless-logs -> moved",
          region=None),
        T("trail_changed", "neutral", m, a("flags"), None, None,
          f"trail flags: multi-region True -> False; global service events True -> False; log file validation "
          f"True -> False; bucket flags-logs -> other-logs; KMS key None -> {KEY}"),
        T("trail_changed", "neutral", m, a("global"), None, None, "trail global: global service events False -> True"),
        T("trail_changed", "neutral", m, a("org-trail"), None, None,
          "trail org-trail: organization trail True -> False"),
        T("trail_changed", "neutral", m, a("sel"), None, None,
          "trail sel: event selectors basic[ReadOnly, management=False, exclude=kms.amazonaws.com,"
          "rdsdata.amazonaws.com, data=2] basic[All, management=True] -> "
          "advanced[eventCategory=Management; readOnly=false]"),
        T("trail_changed", "neutral", m, a("sel-unread"), None, None, "trail sel-unread: multi-region True -> False"),
        T("trail_changed", "neutral", m, a("unkeyed"), None, None, f"trail unkeyed: KMS key {KEY} -> None"),
        T("trail_changed", "neutral", (shut, "Shut", "Root/Sandbox"), _arn(shut, "shut-trail"), "read", "unknown",
          "trail shut-trail: its account's trails were not read in AFTER (the account is suspended)"),
        T("trail_changed", "neutral", (leaving, "Leaving", "Root/Sandbox"), _arn(leaving, "leaving-trail"), "read",
          "unknown", "trail leaving-trail: its account's trails were not read in AFTER (the account is suspended)"),
        T("trail_changed", "neutral", (paused, "Paused", "Root/Sandbox"), _arn(paused, "paused-trail"), "read",
          "unknown", "trail paused-trail: its account's trails were not read in AFTER (the account is suspended)"),
    ]


# ------------------------------------------------------------------------------------------- event data stores
MGMT_SEL = [{"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
DATA_SEL = [{"Name": "s3", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                              {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]}]
ACCOUNT_ONE = dict(organization=False, multi_region=False)

#: each store of the management account (unless ``account`` says App): (name, BEFORE, AFTER), a side None where
#: the store does not exist, else the keyword arguments of SnapshotSpec.event_data_store plus ``drop`` (members
#: GetEventDataStore did not return) and ``set`` (members overwritten)
STORES = [
    ("stops", {}, dict(status="STOPPED_INGESTION")),
    ("starts", dict(status="STOPPED_INGESTION", **ACCOUNT_ONE), dict(**ACCOUNT_ONE)),
    ("unsure", {}, dict(status="STARTING_INGESTION")),
    ("deleting", dict(status="STOPPED_INGESTION"), dict(status="PENDING_DELETION")),
    ("statusless", {}, dict(drop=["Status"])),
    ("statusless-before", dict(drop=["Status"]), {}),
    ("gone-on", {}, None),
    ("gone-off", dict(status="STOPPED_INGESTION", **ACCOUNT_ONE), None),
    ("new", None, {}),
    ("new-created", None, dict(status="CREATED", **ACCOUNT_ONE)),
    ("narrow", {}, dict(organization=False)),
    ("mixed", dict(multi_region=False), dict(organization=False)),
    ("widen", dict(**ACCOUNT_ONE), {}),
    ("widen-off", dict(status="STOPPED_INGESTION", multi_region=False), dict(status="STOPPED_INGESTION")),
    ("sel", dict(advanced_event_selectors=MGMT_SEL), dict(advanced_event_selectors=MGMT_SEL + DATA_SEL)),
    ("sel-stop", dict(advanced_event_selectors=MGMT_SEL), dict(status="STOPPED_INGESTION",
                                                               advanced_event_selectors=DATA_SEL)),
    ("sel-unread", dict(advanced_event_selectors=MGMT_SEL), dict(drop=["AdvancedEventSelectors"])),
    ("protect", {}, dict(set={"TerminationProtectionEnabled": False, "RetentionPeriod": 90})),
    ("far", dict(home_region="ap-south-1"), dict(home_region="ap-south-1", status="STOPPED_INGESTION")),
    ("far-gone", dict(home_region="ap-south-1"), None),
    ("far-new", None, dict(home_region="ap-south-1")),
    ("stopped-statusless", dict(status="STOPPED_INGESTION"), dict(drop=["Status"])),
    ("widen-half", dict(organization=False, drop=["MultiRegionEnabled"]), dict(multi_region=False)),
    ("half-known", dict(drop=["MultiRegionEnabled"]), {}),
    ("scope-unknown", dict(drop=["OrganizationEnabled"]),
     dict(drop=["OrganizationEnabled"], status="STOPPING_INGESTION")),
    ("app-lake", dict(account="App", organization=False), None),
    ("app-same", dict(account="App", organization=False), dict(account="App", organization=False)),
]


def _store(sb: SnapshotSpec, name: str, kw: dict, app: str) -> None:
    kw = dict(kw)
    drop, set_ = kw.pop("drop", []), kw.pop("set", {})
    if kw.get("account") == "App":
        kw["account"] = app
    arn = sb.event_data_store(name, **kw)
    owner = kw.get("account") or sb.management
    store = next(s for s in sb.docs[owner]["CloudTrail"]["EventDataStores"][kw.get("home_region", "us-east-1")]
                 if s["EventDataStoreArn"] == arn)
    for k in drop:
        del store[k]
    store.update(set_)


def _store_org(side: int) -> SnapshotSpec:
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    app = sb.account("App renamed" if side else "App", parent=sb.ou("Eng"))
    sb.lake_read(sb.management)
    sb.lake_read(app)
    for name, *sides in STORES:
        if sides[side] is not None:
            _store(sb, name, sides[side], app)
    return sb


def _eds(aid, name, region="us-east-1"):
    return f"arn:aws:cloudtrail:{region}:{aid}:eventdatastore/{name}-0000"


def S(kind: str, severity: str, where: tuple, name: str, before, after, reason: str, region="us-east-1") -> tuple:
    """A store row: ``where`` is (account id, name, OU path)."""
    aid, acc, path = where
    return R(kind, severity, account_id=aid, account_name=acc, ou_path=path, region=region, before=before,
             after=after, reason=reason, trail_arn=_eds(aid, name, region), service="cloudtrail",
             source="cloudtrail:GetEventDataStore")


ORG_ALL, ORG_ONE = "organization, all regions", "organization, us-east-1 only"
ACC_ALL, ACC_ONE = "this account, all regions", "this account, us-east-1 only"


def test_store_rows_of_many_changes_at_once_compared_whole(tmp_path):
    """Every store read on both sides: status, scope and selector changes, stores added and deleted; a store homed
    in a region not collected (ap-south-1) is out of scope; termination protection and retention are not what
    the rows compare (they do not change what is recorded)."""
    df = diff(_store_org(0).load(tmp_path / "before"), _store_org(1).load(tmp_path / "after"), scp=False,
              processes=1)
    m, app = (MGMT, "Management", "Root"), ("000000000002", "App renamed", "Root/Eng")  # named as AFTER names it
    assert _whole(df) == [
        S("eds_removed", "regression", m, "gone-on", "ENABLED", "deleted",
          f"event data store gone-on ({ORG_ALL}) deleted while ingesting"),
        S("eds_removed", "regression", app, "app-lake", "ENABLED", "deleted",
          f"event data store app-lake ({ACC_ALL}) deleted while ingesting"),
        S("eds_stopped", "regression", m, "scope-unknown", "ENABLED", "STOPPING_INGESTION",
          "event data store scope-unknown (unknown scope, all regions) stopped ingesting "
          "(ENABLED -> STOPPING_INGESTION)"),
        S("eds_stopped", "regression", m, "sel-stop", "ENABLED", "STOPPED_INGESTION",
          f"event data store sel-stop ({ORG_ALL}) stopped ingesting (ENABLED -> STOPPED_INGESTION)"),
        S("eds_stopped", "regression", m, "stops", "ENABLED", "STOPPED_INGESTION",
          f"event data store stops ({ORG_ALL}) stopped ingesting (ENABLED -> STOPPED_INGESTION)"),
        S("eds_changed", "regression", m, "mixed", ORG_ONE, ACC_ALL,
          "event data store mixed: organization True -> False; multi-region False -> True"),
        S("eds_changed", "regression", m, "narrow", ORG_ALL, ACC_ALL,
          "event data store narrow: organization True -> False"),
        S("eds_changed", "regression", m, "statusless", "ENABLED", "unknown",
          f"event data store statusless ({ORG_ALL}) ingestion can no longer be confirmed (ENABLED -> unknown)"),
        S("eds_changed", "regression", m, "unsure", "ENABLED", "STARTING_INGESTION",
          f"event data store unsure ({ORG_ALL}) ingestion can no longer be confirmed (ENABLED -> STARTING_INGESTION)"),
        S("eds_started", "improvement", m, "starts", "STOPPED_INGESTION", "ENABLED",
          f"event data store starts ({ACC_ONE}) started ingesting (STOPPED_INGESTION -> ENABLED)"),
        S("eds_changed", "improvement", m, "widen", ACC_ONE, ORG_ALL,
          "event data store widen: organization False -> True; multi-region False -> True"),
        S("eds_changed", "improvement", m, "widen-half", "this account, unknown regions", ORG_ONE,
          "event data store widen-half: organization False -> True; multi-region None -> False"),
        S("eds_added", "neutral", m, "new", None, "ENABLED", f"new event data store new ({ORG_ALL})"),
        S("eds_added", "neutral", m, "new-created", None, "CREATED", f"new event data store new-created ({ACC_ONE})"),
        S("eds_removed", "neutral", m, "gone-off", "STOPPED_INGESTION", "deleted",
          f"event data store gone-off ({ACC_ONE}) deleted"),
        S("eds_changed", "neutral", m, "deleting", "STOPPED_INGESTION", "PENDING_DELETION",
          f"event data store deleting ({ORG_ALL}) status changed (STOPPED_INGESTION -> PENDING_DELETION)"),
        S("eds_changed", "neutral", m, "half-known", "organization, unknown regions", ORG_ALL,
          "event data store half-known: multi-region None -> True"),
        S("eds_changed", "neutral", m, "sel", ORG_ALL, ORG_ALL,
          "event data store sel: event selectors advanced[eventCategory=Management] -> "
          "advanced[eventCategory=Management] advanced[eventCategory=Data; resources.type=AWS::S3::Object]"),
        S("eds_changed", "neutral", m, "sel-stop", ORG_ALL, ORG_ALL,
          "event data store sel-stop: event selectors advanced[eventCategory=Management] -> "
          "advanced[eventCategory=Data; resources.type=AWS::S3::Object]"),
        S("eds_changed", "neutral", m, "statusless-before", "unknown", "ENABLED",
          f"event data store statusless-before ({ORG_ALL}) status changed (unknown -> ENABLED)"),
        S("eds_changed", "neutral", m, "stopped-statusless", "STOPPED_INGESTION", "unknown",
          f"event data store stopped-statusless ({ORG_ALL}) status changed (STOPPED_INGESTION -> unknown)"),
        S("eds_changed", "neutral", m, "widen-off", ORG_ONE, ORG_ALL,
          "event data store widen-off: multi-region False -> True (it does not ingest: no effect)"),
    ]


def _unread_stores(side: int) -> SnapshotSpec:
    """BEFORE: the management account's Lake read failed in eu-west-1, where Play, a CloudTrail delegated
    administrator, read the organization's stores. AFTER: Play is no longer one; the management account's read
    failed in us-east-1, and App's."""
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    app = sb.account("App", parent=sb.ou("Eng"))
    play = sb.account("Play", parent=sb.ou("Sandbox"))
    sb.lake_read(app)
    sb.lake_read(play)
    if side == 0:
        sb.delegate(play, "cloudtrail.amazonaws.com")
        sb.event_data_store("org-unread", status="STOPPED_INGESTION")
        sb.event_data_store("acct-unread", **ACCOUNT_ONE)
        sb.event_data_store("app-unread", organization=False, account=app)
        sb.event_data_store("app-eu", home_region="eu-west-1", organization=False, account=app)
        sb.lake_unread("eu-west-1")
    else:
        sb.event_data_store("new-org", home_region="eu-west-1")
        sb.event_data_store("new-acct", home_region="eu-west-1", organization=False, multi_region=False)
        sb.lake_unread("us-east-1")
        sb.lake_unread("us-east-1", account=app)
    return sb


def test_store_rows_where_lake_reads_failed_compared_whole(tmp_path):
    """docs/diff.md: a store whose home region's event data stores were not read in AFTER (by its owner or, for an
    organization store, a CloudTrail delegated administrator) is not "removed": ``eds_changed`` with ``after =
    unknown``, a regression if it recorded. A new store of a region BEFORE did not read says so (``before =
    unknown``): Play's read in BEFORE answers for the organization store, not for the management account's own."""
    df = diff(_unread_stores(0).load(tmp_path / "before"), _unread_stores(1).load(tmp_path / "after"), scp=False,
              processes=1)
    m, app = (MGMT, "Management", "Root"), ("000000000002", "App", "Root/Eng")
    assert _whole(df) == [
        S("eds_removed", "regression", app, "app-eu", "ENABLED", "deleted",
          "event data store app-eu (this account, all regions) deleted while ingesting", region="eu-west-1"),
        S("eds_changed", "regression", m, "acct-unread", "ENABLED", "unknown",
          f"event data store acct-unread: the CloudTrail Lake stores of its owner {MGMT} in us-east-1 were not read "
          "in AFTER"),
        S("eds_changed", "regression", app, "app-unread", "ENABLED", "unknown",
          "event data store app-unread: the CloudTrail Lake stores of its owner 000000000002 in us-east-1 were not "
          "read in AFTER"),
        S("eds_added", "neutral", m, "new-acct", "unknown", "ENABLED",
          "new event data store new-acct (this account, eu-west-1 only): the Lake stores of its region were not "
          "read in BEFORE", region="eu-west-1"),
        S("eds_added", "neutral", m, "new-org", None, "ENABLED", f"new event data store new-org ({ORG_ALL})",
          region="eu-west-1"),
        S("eds_changed", "neutral", m, "org-unread", "STOPPED_INGESTION", "unknown",
          f"event data store org-unread: the CloudTrail Lake stores of its owner {MGMT} (or of a CloudTrail "
          "delegated administrator) in us-east-1 were not read in AFTER"),
    ]


# ------------------------------------------------------------------------------ GuardDuty: the admin's region read
def _gd_org(auto: str, unread: str | None) -> SnapshotSpec:
    """The management account is GuardDuty's delegated administrator in us-east-1 and eu-west-1; its detector of
    us-west-2 holds an organisation configuration with no administrator designated there. ``unread``: the region
    whose GuardDuty state of the administrator could not be read."""
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1", "us-west-2"])
    sb.gd_admins = {r: [{"AdminAccountId": MGMT, "AdminStatus": "ENABLED"}] for r in ("us-east-1", "eu-west-1")}
    for r in sb.regions:
        sb.detector(MGMT, r, org_config={"AutoEnableOrganizationMembers": auto})
    if unread:
        sb.docs[MGMT]["GuardDuty"][unread] = None
        sb.error(MGMT, unread, "guardduty", "ListDetectors", "AccessDeniedException")
    return sb


def test_auto_enable_rows_only_where_the_administrators_state_was_read_on_both_sides(tmp_path):
    """An organisation configuration read from nothing is not "(not set)": where the administrator's GuardDuty
    state was not read (eu-west-1 in AFTER, us-east-1 in BEFORE) no auto-enable row is made (its cells say
    ``unknown``); where no administrator is designated the detector's configuration is compared as read."""
    def rows(b, a):
        df = diff(b, a, scp=False, processes=1)
        return [r for r in _whole_all(df) if r[0] == "guardduty_auto_enable"]

    def auto(region, before, after, sev):
        return R("guardduty_auto_enable", sev, account_id=MGMT, region=region, before=before, after=after,
                 service="guardduty", reason=f"organisation auto-enable {before} -> {after} in {region}")

    assert rows(_gd_org("ALL", None).load(tmp_path / "b"), _gd_org("NONE", "eu-west-1").load(tmp_path / "a")) == [
        auto("us-east-1", "ALL", "NONE", "regression"), auto("us-west-2", "ALL", "NONE", "regression")]
    assert rows(_gd_org("NEW", "us-east-1").load(tmp_path / "b2"), _gd_org("ALL", None).load(tmp_path / "a2")) == [
        auto("eu-west-1", "NEW", "ALL", "improvement"), auto("us-west-2", "NEW", "ALL", "improvement")]


def _whole_all(df) -> list[tuple]:
    assert list(df.columns) == COLUMNS
    return [tuple(None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in r)
            for r in df[COLUMNS].itertuples(index=False)]


# -------------------------------------------------------------------------------------------- scope: accounts, regions
def _scoped(tmp_path, side: int):
    """BEFORE collected us-east-1 and eu-west-1, AFTER us-east-1 only; both with ``--accounts`` the management
    account and App, AFTER also Newcomer (new in AFTER). Play's and eu-west-1's trails and stores change too."""
    after = side == 1
    sb = SnapshotSpec(regions=["us-east-1"] if after else ["us-east-1", "eu-west-1"])
    eng, sandbox = sb.ou("Eng"), sb.ou("Sandbox")
    app, play = sb.account("App", parent=eng), sb.account("Play", parent=sandbox)
    for aid in (MGMT, app, play):
        sb.lake_read(aid)
    sb.trail(MGMT, "us-trail", logging=not after)
    sb.trail(play, "play-trail", logging=not after)
    if after:
        newcomer = sb.account("Newcomer", parent=sandbox)
        sb.trail(newcomer, "new-trail")
        sb.trail(app, "app-new")
        sb.trail(play, "play-new")
        sb.event_data_store("play-lake", organization=False, account=play, status="STOPPED_INGESTION")
    else:
        sb.trail(MGMT, "eu-trail", home_region="eu-west-1")
        sb.event_data_store("eu-lake", home_region="eu-west-1")
        sb.event_data_store("app-lake", organization=False, account=app)
        sb.event_data_store("play-lake", organization=False, account=play)
        sb.event_data_store("play-gone", organization=False, account=play)
    path = sb.write(tmp_path / ("after" if after else "before"))
    return _filtered(path, [MGMT, app] + ([newcomer] if after else [])), (app, newcomer if after else None)


def test_trail_and_store_rows_only_where_both_snapshots_collected(tmp_path):
    """docs/diff.md: snapshots with different regions or account filters are compared where both collected;
    an account new in AFTER is compared where AFTER collected it."""
    before, _ = _scoped(tmp_path, 0)
    after, (app, newcomer) = _scoped(tmp_path, 1)
    df = diff(before, after, scp=False, processes=1)
    assert _whole(df) == [
        T("trail_stopped", "regression", (MGMT, "Management", "Root"), _arn(MGMT, "us-trail"), "logging",
          "not logging", "trail us-trail stopped logging"),
        S("eds_removed", "regression", (app, "App", "Root/Eng"), "app-lake", "ENABLED", "deleted",
          "event data store app-lake (this account, all regions) deleted while ingesting"),
        T("trail_added", "neutral", (app, "App", "Root/Eng"), _arn(app, "app-new"), None, "logging",
          "new trail app-new"),
        T("trail_added", "neutral", (newcomer, "Newcomer", "Root/Sandbox"), _arn(newcomer, "new-trail"), None,
          "logging", "new trail new-trail"),
    ]


# ------------------------------------------------------------------------------- stores: never read, hand-made
def _lake_org(stores: tuple[str, ...], tried: bool) -> SnapshotSpec:
    """``tried`` False: the management account's document has no CloudTrail Lake part at all (a snapshot of an
    orgkit version that did not read it: never tried, not "read, none")."""
    sb = SnapshotSpec(regions=["us-east-1"])
    if tried:
        sb.lake_read(MGMT)
    for name in stores:
        sb.event_data_store(name, **(ACCOUNT_ONE if name.startswith("acct") else {}))
    return sb


def test_stores_of_a_snapshot_that_never_read_the_lake_are_unknown_there(tmp_path):
    never = _lake_org((), tried=False).load(tmp_path / "never")
    both = _lake_org(("acct-lake", "org-lake"), tried=True).load(tmp_path / "both")
    m = (MGMT, "Management", "Root")
    assert _whole(diff(never, both, scp=False, processes=1)) == [
        S("eds_added", "neutral", m, name, "unknown", "ENABLED", f"new event data store {name} ({scope}): the Lake "
          "stores of its region were not read in BEFORE") for name, scope in (("acct-lake", ACC_ONE),
                                                                               ("org-lake", ORG_ALL))]
    assert _whole(diff(both, never, scp=False, processes=1)) == [
        S("eds_changed", "regression", m, "acct-lake", "ENABLED", "unknown",
          f"event data store acct-lake: the CloudTrail Lake stores of its owner {MGMT} in us-east-1 were not read in "
          "AFTER"),
        S("eds_changed", "regression", m, "org-lake", "ENABLED", "unknown",
          f"event data store org-lake: the CloudTrail Lake stores of its owner {MGMT} (or of a CloudTrail delegated "
          "administrator) in us-east-1 were not read in AFTER")]


@pytest.mark.parametrize("status", [3, {"State": "ENABLED"}, ["ENABLED"]], ids=["number", "object", "list"])
def test_a_hand_made_store_status_and_selectors_are_read_as_text(tmp_path, status):
    """A snapshot edited by hand (it passes its checksums): a ``Status`` that is no string (a number, or an object
    or a list, which coverage's map raised TypeError on: a traceback from `orgkit diff`) is an unknown status,
    a selector that is no object an empty one, a value given as a string rather than a list is that value."""
    before = _lake_org(("odd",), tried=True)
    sa = _lake_org(("odd",), tried=True)
    store = sa.docs[MGMT]["CloudTrail"]["EventDataStores"]["us-east-1"][0]
    store["Status"] = status
    store["AdvancedEventSelectors"] = ["junk", {"Name": "m", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": "Management"}, {"Field": "eventName", "Equals": "PutObject"}]}]
    df = diff(before.load(tmp_path / "b"), sa.load(tmp_path / "a"), scp=False, processes=1)
    m = (MGMT, "Management", "Root")
    assert _whole(df) == [
        S("eds_changed", "regression", m, "odd", "ENABLED", "unknown",
          f"event data store odd ({ORG_ALL}) ingestion can no longer be confirmed (ENABLED -> unknown)"),
        S("eds_changed", "neutral", m, "odd", ORG_ALL, ORG_ALL,
          "event data store odd: event selectors advanced[eventCategory=Management] -> advanced[] "
          "advanced[eventCategory=Management; eventName=PutObject]")]


def test_an_org_built_without_a_stores_frame_diffs_as_holding_no_store(tmp_path):
    """An ``Org`` made in code without the ``event_data_stores`` frame (as a plan's or an older loader's may be)
    holds no store: against one that holds a store, where the Lake was read, the store is new or deleted."""
    with_store = _lake_org(("org-lake",), tried=True).load(tmp_path / "with")
    without = _lake_org((), tried=True).load(tmp_path / "without")
    without.frames.pop("event_data_stores")
    m = (MGMT, "Management", "Root")
    assert _whole(diff(with_store, without, scp=False, processes=1)) == [
        S("eds_removed", "regression", m, "org-lake", "ENABLED", "deleted",
          f"event data store org-lake ({ORG_ALL}) deleted while ingesting")]
    assert _whole(diff(without, with_store, scp=False, processes=1)) == [
        S("eds_added", "neutral", m, "org-lake", None, "ENABLED", f"new event data store org-lake ({ORG_ALL})")]


def test_auto_enable_of_an_administrator_whose_document_was_not_collected_is_not_compared(tmp_path):
    """App is GuardDuty's delegated administrator with auto-enable ALL; AFTER was collected with ``--accounts``
    the management account only, so it holds no document of App (no read at all, not a failed one): its
    configuration is not known, and is not "(not set)"."""
    def org(name, filtered):
        sb = SnapshotSpec(regions=["us-east-1"])
        app = sb.account("App", parent=sb.ou("Eng"))
        sb.gd_admins = {"us-east-1": [{"AdminAccountId": app, "AdminStatus": "ENABLED"}]}
        sb.detector(app, "us-east-1", org_config={"AutoEnableOrganizationMembers": "ALL"})
        if filtered:
            del sb.docs[app]
            return _filtered(sb.write(tmp_path / name), [MGMT])
        return sb.load(tmp_path / name)

    df = diff(org("before", False), org("after", True), scp=False, processes=1)
    assert [r for r in _whole_all(df) if r[0].startswith("guardduty_")] == []
