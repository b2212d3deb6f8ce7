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

MGMT = "111111111111"
KEY = "arn:aws:kms:us-east-1:111111111111:key/k"
STOP = "2026-11-29T10:00:00Z"


def _whole(df) -> list[tuple]:
    """Every trail and store row, and any row of a kind outside KINDS (what a misspelt kind would give), every
    column (COLUMNS order), a missing value as None. The coverage cells and the structure rows (accounts renamed,
    suspended, removed) are other functions' (tests/test_diff.py)."""
    assert list(df.columns) == COLUMNS
    df = df[df["kind"].str.startswith(("trail_", "eds_")) | ~df["kind"].isin(KINDS)]
    return [tuple(None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in r)
            for r in df[COLUMNS].itertuples(index=False)]


def R(kind: str, severity: str, **kw) -> tuple:
    """One expected row, whole: the columns not given are None."""
    r = dict.fromkeys(COLUMNS)
    r.update(kind=kind, severity=severity, **kw)
    return tuple(r.values())


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
    ("sel", {}, dict(advanced_event_selectors=[{"Name": "m", "FieldSelectors": [
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
    PENDING_CLOSURE in AFTER (the collector lists them and reads nothing); Gone leaves the organisation."""
    after = side == 1
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    eng, sandbox = sb.ou("Eng"), sb.ou("Sandbox")
    app = sb.account("App renamed" if after else "App", parent=eng)
    quiet = sb.account("Quiet", parent=eng)
    shut = sb.account("Shut", parent=sandbox, status="CLOSED" if after else "ACTIVE")
    leaving = sb.account("Leaving", parent=sandbox, status="PENDING_CLOSURE" if after else "ACTIVE")
    for name, *sides in TRAILS:
        if sides[side] is not None:
            _trail(sb, MGMT, name, sides[side])
    sb.trail(app, "app-trail", logging=False)  # unchanged: no row
    if after:
        sb.trail(app, "app-new", IncludeGlobalServiceEvents=False)
        sb.docs[quiet]["CloudTrail"]["ListTrails"] = None
        sb.error(quiet, None, "cloudtrail", "ListTrails", "AccessDeniedException")
        for aid in (shut, leaving):
            sb.docs[aid] = {"AccountId": aid, "Access": {"Method": "none", "Error": None}}
    else:
        gone = sb.account("Gone", parent=sandbox)
        sb.trail(gone, "gone-trail")
        sb.trail(quiet, "quiet-trail")
        sb.trail(shut, "shut-trail")
        sb.trail(leaving, "leaving-trail", logging=False)
    return sb


def _arn(aid: str, name: str, region: str = "us-east-1") -> str:
    return f"arn:aws:cloudtrail:{region}:{aid}:trail/{name}"


def test_trail_rows_of_many_changes_at_once_compared_whole(tmp_path):
    before = _trail_org(0).load(tmp_path / "before")
    after = _trail_org(1).load(tmp_path / "after")
    df = diff(before, after, scp=False, processes=1)
    app, quiet, shut, leaving, gone = "000000000003", "000000000004", "000000000005", "000000000006", "000000000007"
    m = (MGMT, "Management", "Root")
    a = lambda n: _arn(MGMT, n)  # noqa: E731
    assert _whole(df) == [
        # regressions; Gone's trail went with its account (its name from BEFORE; no OU path in AFTER)
        T("trail_removed", "regression", (gone, "Gone", None), _arn(gone, "gone-trail"), "logging", "deleted",
          "trail gone-trail deleted while logging"),
        T("trail_removed", "regression", m, _arn(MGMT, "eu", "eu-west-1"), "logging", "deleted",
          "trail eu deleted while logging", region="eu-west-1"),
        T("trail_removed", "regression", m, a("gone-on"), "logging", "deleted", "trail gone-on deleted while logging"),
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
          "trail sel: event selectors basic[All, management=True] -> "
          "advanced[eventCategory=Management; readOnly=false]"),
        T("trail_changed", "neutral", m, a("sel-unread"), None, None, "trail sel-unread: multi-region True -> False"),
        T("trail_changed", "neutral", m, a("unkeyed"), None, None, f"trail unkeyed: KMS key {KEY} -> None"),
        T("trail_changed", "neutral", (shut, "Shut", "Root/Sandbox"), _arn(shut, "shut-trail"), "read", "unknown",
          "trail shut-trail: its account's trails were not read in AFTER (the account is suspended)"),
        T("trail_changed", "neutral", (leaving, "Leaving", "Root/Sandbox"), _arn(leaving, "leaving-trail"), "read",
          "unknown", "trail leaving-trail: its account's trails were not read in AFTER (the account is suspended)"),
    ]
