"""issue 22 (orgkit/diff/ mutation score, branch d-cells): the rows of orgkit/diff/state.py that are not trails,
compared whole over varied inputs: the coverage cells (``cell_changes``: every status transition per account,
region and service, new accounts, accounts and regions out of scope, suspended accounts, detector features), the
GuardDuty management rows (``guardduty_management_changes``: delegated administrator designated, changed, removed;
organisation auto-enable, legacy ``AutoEnable`` and ``AutoEnableOrganizationMembers``; features and their
additional configurations; administrators whose state could not be read) and the scope of a comparison
(``scope``, ``collected_accounts``, ``new_accounts``). Expected rows follow docs/diff.md's rules."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from orgkit.diff import diff
from orgkit.diff.state import (Scope, cell_changes, collected_accounts, guardduty_management_changes, new_accounts,
                               scope)
from orgkit.testing import SnapshotSpec
from test_diff import R, _whole, load, spec

# ------------------------------------------------------------------------------------ cell_changes, called directly
A, B, N, C, D, O, E = ("000000000001", "000000000002", "000000000003", "000000000004", "000000000005",
                       "000000000006", "000000000007")
WHO = {A: ("Alpha", "Root/A"), B: ("Beta", "Root/B"), N: ("Nova", "Root/A/New"), C: ("Gone", "Root"),
       D: ("Delta", "Root/B"), O: ("Outside", "Root/X"), E: ("Echo", "Root/B")}
ORG_ARN = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org"
B_ARN = "arn:aws:cloudtrail:eu-west-1:000000000002:trail/beta"
TWO = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org,arn:aws:cloudtrail:us-east-1:000000000002:trail/beta"
US, EU, AP = "us-east-1", "eu-west-1", "ap-south-1"


def cov(cells: list[tuple], features: bool = False) -> pd.DataFrame:
    """A coverage frame (the columns cell_changes reads, object dtype as cloudtrail_coverage and guardduty_coverage
    give them): one row per (account, region, status, reason, source[, features])."""
    cols = ["account_id", "account_name", "ou_path", "region", "status", "reason", "source"] + (
        ["features"] if features else [])
    rows = [(c[0], *WHO[c[0]], *c[1:]) for c in cells]
    return pd.DataFrame(rows, columns=cols, dtype=object)


def cell(service: str, sev: str, aid: str, region: str, before, after, reason, source=None, trail_arn=None,
         kind: str | None = None, action=None) -> tuple:
    name, path = WHO[aid]
    return R(kind or service, sev, account_id=aid, account_name=name, ou_path=path, region=region, before=before,
             after=after, reason=reason, service=service, source=source, trail_arn=trail_arn, action=action)


CT_BEFORE = [
    (A, US, "covered", "covered by org", ORG_ARN),
    (A, EU, "covered", "covered by org", ORG_ARN),
    (A, AP, "covered", "covered by org", ORG_ARN),           # a region not compared
    (B, US, "partial", "write events only", TWO),
    (B, EU, "not_logging", "beta is not logging", B_ARN),
    (C, US, "covered", "covered by org", ORG_ARN),
    (C, EU, "none", "no trail", None),
    (D, US, "not_delivering", "", B_ARN),
    (D, EU, "none", "no trail", "cloudtrail:DescribeTrails"),
    (O, US, "covered", "covered by org", ORG_ARN),
    (E, US, "covered", "covered by org", ORG_ARN),
]
CT_AFTER = [  # another order than BEFORE's: cells are matched by (account, region)
    (B, EU, "covered", "beta records everything", B_ARN),
    (B, US, "not_delivering", "delivery failing", TWO),
    (A, EU, "covered", "covered by org again", ORG_ARN),     # same status: no row, whatever the reason
    (A, US, "unknown", "the account's own trails are unknown: AccessDenied", "cloudtrail:DescribeTrails"),
    (A, AP, "none", "no trail", None),
    (C, US, "unknown", "not read", "organizations:ListAccounts"),
    (C, EU, "unknown", "not read", None),
    (D, US, "covered", None, ORG_ARN),
    (D, EU, "covered", "", float("nan")),
    (N, US, "covered", "covered by org", ORG_ARN),
    (N, EU, "not_applicable", "region not enabled for the account (DISABLED)", "account:ListRegions"),
    (N, AP, "none", "no trail", None),
    (O, US, "none", "no trail", None),
    (E, US, "not_logging", "", B_ARN),                      # an empty reason is no reason
]


def test_cloudtrail_cells_every_transition_compared_whole():
    """Each transition of the CloudTrail ladder (covered > partial > not_delivering > not_logging > none), into
    and out of unknown, a suspended account's cells, a new account's cells (good or not, a region not enabled),
    the reason of a cell that became good ("; was: ..."), the trail ARN of a cell covered by one trail only."""
    sc = Scope([US, EU], None, [])
    got = cell_changes("cloudtrail", cov(CT_BEFORE), cov(CT_AFTER), sc, {N}, {C})
    ct = "cloudtrail"
    assert [tuple(r.values()) for r in got] == [
        cell(ct, "improvement", B, EU, "not_logging", "covered", "beta records everything; was: beta is not logging",
             B_ARN, B_ARN),
        # two trails: no single trail ARN
        cell(ct, "regression", B, US, "partial", "not_delivering", "delivery failing", TWO),
        # into unknown: a regression; its source is an API call, not a trail
        cell(ct, "regression", A, US, "covered", "unknown", "the account's own trails are unknown: AccessDenied",
             "cloudtrail:DescribeTrails"),
        # a suspended or closed account's cells become unknown: neutral (its account_suspended row says why)
        cell(ct, "neutral", C, US, "covered", "unknown", "not read", "organizations:ListAccounts"),
        cell(ct, "neutral", C, EU, "none", "unknown", "not read"),
        # into a good status with no reason of its own: only BEFORE's
        cell(ct, "improvement", D, US, "not_delivering", "covered", None, ORG_ARN, ORG_ARN),
        cell(ct, "improvement", D, EU, "none", "covered", "was: no trail"),
        cell(ct, "neutral", N, US, None, "covered", "new account's cell: covered by org", ORG_ARN, ORG_ARN),
        cell(ct, "neutral", N, EU, None, "not_applicable",
             "new account's cell: region not enabled for the account (DISABLED)", "account:ListRegions"),
        cell(ct, "regression", O, US, "covered", "none", "no trail"),
        cell(ct, "regression", E, US, "covered", "not_logging", None, B_ARN, B_ARN),
    ]
    # the accounts both snapshots read only; no new account, no suspended account
    sc = Scope([EU, US, AP], {A, D}, [])
    got = cell_changes("cloudtrail", cov(CT_BEFORE), cov(CT_AFTER), sc, set())
    assert [tuple(r.values()) for r in got] == [
        cell(ct, "regression", A, US, "covered", "unknown", "the account's own trails are unknown: AccessDenied",
             "cloudtrail:DescribeTrails"),
        cell(ct, "regression", A, AP, "covered", "none", "no trail"),
        cell(ct, "improvement", D, US, "not_delivering", "covered", None, ORG_ARN, ORG_ARN),
        cell(ct, "improvement", D, EU, "none", "covered", "was: no trail"),
    ]
    # a suspended account's cell that becomes anything but unknown is rated as any other
    got = cell_changes("cloudtrail", cov(CT_BEFORE), cov(CT_AFTER), Scope([US], {O}, []), set(), {O})
    assert [tuple(r.values()) for r in got] == [cell(ct, "regression", O, US, "covered", "none", "no trail")]


def test_cells_of_new_accounts_and_of_an_empty_before():
    """BEFORE with no cell at all (every account new): each cell of a new account is a row, a regression unless it
    arrives good; a cell of an account neither new nor in BEFORE is no row."""
    after = [(N, US, "none", "no trail", None), (N, EU, "covered", "", ORG_ARN), (D, US, "none", "no trail", None),
             (N, AP, "covered", "covered by org", ORG_ARN)]
    ct = "cloudtrail"
    got = cell_changes(ct, cov([]), cov(after), Scope([US, EU], None, []), {N})
    assert [tuple(r.values()) for r in got] == [
        cell(ct, "regression", N, US, None, "none", "new account's cell: no trail"),
        cell(ct, "neutral", N, EU, None, "covered", "new account's cell", ORG_ARN, ORG_ARN)]
    assert cell_changes(ct, cov([]), cov(after), Scope([US, EU], None, []), set()) == []
    # a BEFORE that has cells, none of them matching
    got = cell_changes(ct, cov([(A, US, "covered", "x", ORG_ARN)]), cov(after), Scope([US], None, []), {N, O})
    assert [tuple(r.values()) for r in got] == [
        cell(ct, "regression", N, US, None, "none", "new account's cell: no trail")]


GD_BEFORE = [
    (A, US, "partial", "S3 protection off", "dA", {"S3_DATA_EVENTS": "DISABLED"}),
    (A, EU, "invited_member", "member by invitation of 999999999999", "dAeu", None),
    (B, US, "pending", "invitation not accepted", "dB", None),
    (B, EU, "unknown", "GetDetector failed", "guardduty:GetDetector", None),
    (C, US, "org_member", "member of 999999999999", "dC", {}),
    (C, EU, "standalone", "", "dCeu", {"S3_DATA_EVENTS": "ENABLED"}),
    (D, US, "not_applicable", "region not enabled for the account (DISABLED)", "account:ListRegions", None),
    (D, EU, "not_applicable", "region not enabled for the account (DISABLED)", "account:ListRegions", None),
    (O, US, "administrator", "the delegated administrator", "dO", {"S3_DATA_EVENTS": "ENABLED"}),
    (O, EU, "standalone", "detector enabled, no administrator", "dOeu",
     {"S3_DATA_EVENTS": "ENABLED", "EKS_AUDIT_LOGS": "DISABLED", "EBS_MALWARE_PROTECTION": "ENABLED",
      "CLOUD_TRAIL": "ENABLED"}),
    # features unknown on one side (no detector document read): nothing to compare; the same on both: no row
    (E, US, "standalone", "detector enabled, no administrator", "dE", None),
    (E, EU, "standalone", "detector enabled, no administrator", "dEeu", {"S3_DATA_EVENTS": "ENABLED"}),
]
GD_AFTER = [  # Echo first: the cells with nothing to compare do not stop the others being compared
    (E, US, "standalone", "detector enabled, no administrator", "dE", {"S3_DATA_EVENTS": "ENABLED"}),
    (E, EU, "standalone", "detector enabled, no administrator", "dEeu", {"S3_DATA_EVENTS": "ENABLED"}),
    (A, US, "standalone", "detector enabled, no administrator", "dA", {"S3_DATA_EVENTS": "ENABLED"}),
    (A, EU, "org_member", "member of 999999999999", "dAeu", None),
    (B, US, "suspended", "membership suspended", "dB", None),
    (B, EU, "none", float("nan"), "guardduty:ListDetectors", None),
    (C, US, "not_applicable", "region not enabled for the account (DISABLED)", "account:ListRegions", None),
    (C, EU, "unknown", "not read", float("nan"), None),
    (D, US, "standalone", "detector enabled, no administrator", "dD", None),
    (D, EU, "none", "no detector", "guardduty:ListDetectors", None),
    (O, US, "administrator", "the delegated administrator", "dO", {"S3_DATA_EVENTS": "DISABLED"}),
    (O, EU, "standalone", "detector enabled, no administrator", float("nan"),
     {"S3_DATA_EVENTS": "DISABLED", "EKS_AUDIT_LOGS": "ENABLED", "RUNTIME_MONITORING": "DISABLED",
      "CLOUD_TRAIL": "ENABLED"}),
    (N, US, "standalone", "detector enabled, no administrator", "dN", None),
    (N, EU, "pending", "invitation not accepted", "dNeu", None),
]


def test_guardduty_cells_every_transition_and_detector_features_compared_whole():
    """The GuardDuty ladder (administrator = org_member > invited_member > partial > standalone > pending =
    suspended > none): down a regression, up an improvement, level neutral; out of unknown neutral; a region
    turned off neutral, one turned on like a new cell; then, for cells whose status did not change, each detector
    feature that changed (ENABLED -> anything a regression, anything -> ENABLED an improvement, else neutral)."""
    gd = "guardduty"
    got = cell_changes(gd, cov(GD_BEFORE, True), cov(GD_AFTER, True), Scope([US, EU], None, []), {N}, {C})
    assert [tuple(r.values()) for r in got] == [
        # partial (a required plan off) is above standalone: a regression, though the plan came back on
        cell(gd, "regression", A, US, "partial", "standalone",
             "detector enabled, no administrator; was: S3 protection off", "dA"),
        cell(gd, "improvement", A, EU, "invited_member", "org_member",
             "member of 999999999999; was: member by invitation of 999999999999", "dAeu"),
        cell(gd, "neutral", B, US, "pending", "suspended", "membership suspended", "dB"),
        cell(gd, "neutral", B, EU, "unknown", "none", None, "guardduty:ListDetectors"),
        cell(gd, "neutral", C, US, "org_member", "not_applicable", "region not enabled for the account (DISABLED)",
             "account:ListRegions"),
        cell(gd, "neutral", C, EU, "standalone", "unknown", "not read"),
        cell(gd, "neutral", D, US, "not_applicable", "standalone",
             "detector enabled, no administrator; was: region not enabled for the account (DISABLED)", "dD"),
        cell(gd, "regression", D, EU, "not_applicable", "none", "no detector", "guardduty:ListDetectors"),
        cell(gd, "neutral", N, US, None, "standalone", "new account's cell: detector enabled, no administrator", "dN"),
        cell(gd, "regression", N, EU, None, "pending", "new account's cell: invitation not accepted", "dNeu"),
        cell(gd, "regression", O, US, "ENABLED", "DISABLED", "detector feature S3_DATA_EVENTS ENABLED -> DISABLED",
             "dO", kind="guardduty_feature", action="S3_DATA_EVENTS"),
        cell(gd, "regression", O, EU, "ENABLED", None, "detector feature EBS_MALWARE_PROTECTION ENABLED -> None",
             kind="guardduty_feature", action="EBS_MALWARE_PROTECTION"),
        cell(gd, "improvement", O, EU, "DISABLED", "ENABLED", "detector feature EKS_AUDIT_LOGS DISABLED -> ENABLED",
             kind="guardduty_feature", action="EKS_AUDIT_LOGS"),
        cell(gd, "neutral", O, EU, None, "DISABLED", "detector feature RUNTIME_MONITORING None -> DISABLED",
             kind="guardduty_feature", action="RUNTIME_MONITORING"),
        cell(gd, "regression", O, EU, "ENABLED", "DISABLED", "detector feature S3_DATA_EVENTS ENABLED -> DISABLED",
             kind="guardduty_feature", action="S3_DATA_EVENTS"),
    ]
    # the same cells without the suspended account, as CloudTrail's ladder would never rate them: C's cell
    # into unknown is a regression; only the accounts in scope
    got = cell_changes(gd, cov(GD_BEFORE, True), cov(GD_AFTER, True), Scope([EU], {A, C}, []), set())
    assert [tuple(r.values()) for r in got] == [
        cell(gd, "improvement", A, EU, "invited_member", "org_member",
             "member of 999999999999; was: member by invitation of 999999999999", "dAeu"),
        cell(gd, "regression", C, EU, "standalone", "unknown", "not read")]


def test_the_ladder_of_each_service_is_its_own():
    """A status one service ranks and the other does not: CloudTrail's ``partial`` -> ``not_delivering`` is a
    regression, GuardDuty has no ``not_delivering`` (neutral); GuardDuty's ``standalone`` is a good status for a
    new cell, CloudTrail's good status is ``covered`` only."""
    before = [(A, US, "partial", "p", None), (A, EU, "standalone", "s", None)]
    after = [(A, US, "not_delivering", "d", None), (A, EU, "partial", "p", None), (N, US, "standalone", "s", None)]
    for service, sev in (("cloudtrail", ["regression", "neutral", "regression"]),
                         ("guardduty", ["neutral", "improvement", "neutral"])):
        gd = service == "guardduty"
        b, a = cov([c + (None,) * gd for c in before], gd), cov([c + (None,) * gd for c in after], gd)
        got = cell_changes(service, b, a, Scope([US, EU], None, []), {N})
        assert [tuple(r.values()) for r in got] == [
            cell(service, sev[0], A, US, "partial", "not_delivering", "d"),
            cell(service, sev[1], A, EU, "standalone", "partial", "p"),
            cell(service, sev[2], N, US, None, "standalone", "new account's cell: s")]


def test_a_source_that_is_no_text_is_no_source():
    """issue 22 (seed-31 survivor cell_changes 167): a cell whose ``source`` is no text (a frame built by hand: a
    list of trail ARNs, a number) has no source and no trail ARN in its row, for each service and for a detector
    feature; never the object itself, nor an AttributeError reading it as an ARN."""
    for service in ("cloudtrail", "guardduty"):
        gd = service == "guardduty"
        good = "standalone" if gd else "covered"
        before = [(A, US, good, "c", ORG_ARN), (B, US, good, "c", ORG_ARN), (A, EU, "standalone", "s", "d")]
        after = [(A, US, "none", "gone", [ORG_ARN]), (B, US, "none", "gone", 12), (A, EU, "standalone", "s", [1])]
        feats_b = [None, None, {"S3_DATA_EVENTS": "ENABLED"}]
        feats_a = [None, None, {"S3_DATA_EVENTS": "DISABLED"}]
        b = cov([c + (f,) * gd for c, f in zip(before, feats_b)], gd)
        a = cov([c + (f,) * gd for c, f in zip(after, feats_a)], gd)
        got = cell_changes(service, b, a, Scope([US, EU], None, []), set())
        expected = [cell(service, "regression", A, US, good, "none", "gone"),
                    cell(service, "regression", B, US, good, "none", "gone")]
        if gd:  # the detector feature of the cell whose status did not change
            expected.append(cell(service, "regression", A, EU, "ENABLED", "DISABLED",
                                 "detector feature S3_DATA_EVENTS ENABLED -> DISABLED", kind="guardduty_feature",
                                 action="S3_DATA_EVENTS"))
        assert [tuple(r.values()) for r in got] == expected, service


# ------------------------------------------------------------------ the same rules through diff(), from snapshots
def test_unread_and_disabled_cells_through_diff_compared_whole(tmp_path):
    """What a user sees: an account whose own trails could no longer be read (its cells unknown, a regression, the
    failed call as the source and no trail ARN), an account whose GuardDuty could not be listed in a region
    (unknown: a regression, never "none"), a region the account turned off (not_applicable: neutral)."""
    sb = spec(stop_org_trail=True)
    sa = spec(stop_org_trail=True, stop_app_trail=True)
    sa.docs[sa._app]["CloudTrail"] = {"ListTrails": None, "Trails": {}}
    sa.error(sa._app, None, "cloudtrail", "ListTrails", "AccessDenied")
    sa.docs[sa._play]["Regions"] = [{"RegionName": US, "RegionOptStatus": "ENABLED_BY_DEFAULT"},
                                    {"RegionName": EU, "RegionOptStatus": "DISABLED"}]
    sa.docs[sa._play]["GuardDuty"][US] = None
    sa.error(sa._play, US, "guardduty", "ListDetectors", "AccessDeniedException")
    df = diff(load(tmp_path, "b", sb), load(tmp_path, "a", sa), scp=False, processes=1)
    app = dict(account_id=sb._app, account_name="App", ou_path="Root/Engineering/Prod")
    play = dict(account_id=sb._play, account_name="Play", ou_path="Root/Sandbox")
    unread = ("the account's own trails are unknown: read failed: AccessDenied; known: org-trail is not logging")
    off = "region not enabled for the account (DISABLED)"
    assert _whole(df) == [
        R("trail_changed", "regression", **app, region=US, before="read", after="unknown",
          reason="trail app-trail: its account's trails were not read in AFTER",
          trail_arn=f"arn:aws:cloudtrail:us-east-1:{sb._app}:trail/app-trail", service="cloudtrail"),
        R("cloudtrail", "regression", **app, region=EU, before="covered", after="unknown", reason=unread,
          service="cloudtrail", source="cloudtrail:ListTrails AccessDenied"),
        R("cloudtrail", "regression", **app, region=US, before="covered", after="unknown", reason=unread,
          service="cloudtrail", source="cloudtrail:ListTrails AccessDenied"),
        R("guardduty", "regression", **play, region=US, before="none", after="unknown",
          reason="read failed: AccessDeniedException", service="guardduty",
          source="guardduty:ListDetectors AccessDeniedException"),
        R("cloudtrail", "neutral", **play, region=EU, before="not_logging", after="not_applicable", reason=off,
          service="cloudtrail", source="account:ListRegions"),
        R("guardduty", "neutral", **play, region=EU, before="none", after="not_applicable", reason=off,
          service="guardduty", source="account:ListRegions")]


# ------------------------------------------------------------------------------------ GuardDuty management
MG, SEC, APP = "111111111111", "222222222222", "333333333333"


def gd_org(tmp_path, name: str, *, admins: dict | None = None, configs: dict | None = None, unread=(),
           partial=(), regions=(US, EU, AP), names: dict | None = None, without=(), read_only=None, lake_unread=()):
    """An organisation of the management account, Security and App: ``admins`` {region: [(account, AdminStatus)]}
    (ListOrganizationAdminAccounts), ``configs`` {(account, region): DescribeOrganizationConfiguration} (each
    given account's detector there), ``unread`` (account, region) whose GuardDuty could not be listed,
    ``partial`` (account, region) read but one call failed (ListMembers), ``without``: accounts not in it;
    ``read_only``: the collector's --accounts (the others' documents are not collected); ``lake_unread``
    (account, region) whose CloudTrail Lake event data stores could not be listed (another service's read)."""
    names = {SEC: "Security", APP: "App", **(names or {})}
    sb = SnapshotSpec(regions=list(regions))
    for aid in (SEC, APP):
        if aid not in without:
            sb.account(names[aid], account_id=aid)
    sb.gd_admins = {r: [{"AdminAccountId": a} | ({"AdminStatus": s} if s else {}) for a, s in lst]
                    for r, lst in (admins or {}).items()}
    for (aid, r), cfg in (configs or {}).items():
        sb.detector(aid, r, org_config=cfg)
    for aid, r in unread:
        sb.docs[aid]["GuardDuty"][r] = None
        sb.error(aid, r, "guardduty", "ListDetectors", "AccessDeniedException")
    for aid, r in lake_unread:
        sb.lake_unread(r, account=aid)
    for aid, r in partial:
        sb.error(aid, r, "guardduty", "ListMembers", "ThrottlingException")
    for aid in set(sb.docs) - set(read_only or sb.docs):
        del sb.docs[aid]
    return load(tmp_path, name, sb, accounts_filter=read_only)


def gd(kind: str, sev: str, region: str, before, after, account_id, reason: str, account_name=None,
       action=None) -> tuple:
    return R(kind, sev, account_id=account_id, account_name=account_name, region=region, before=before,
             after=after, reason=reason, service="guardduty", action=action)


def mgmt_rows(b, a) -> list[tuple]:
    return [tuple(r.values()) for r in guardduty_management_changes(b, a, scope(b, a))]


def ae(mode: str, *features: tuple) -> dict:
    """An organisation configuration: AutoEnableOrganizationMembers (None: only the legacy AutoEnable flag, given
    as "legacy-true"/"legacy-false"), and features (name, AutoEnable[, {additional: AutoEnable}])."""
    cfg: dict = {}
    if mode and mode.startswith("legacy-"):
        cfg["AutoEnable"] = mode == "legacy-true"
    elif mode:
        cfg["AutoEnableOrganizationMembers"] = mode
    if features:
        cfg["Features"] = [{"Name": f[0], "AutoEnable": f[1]} | (
            {"AdditionalConfiguration": [{"Name": k, "AutoEnable": v} for k, v in f[2].items()]} if len(f) > 2 else {})
            for f in features]
    return cfg


def test_a_delegated_administrator_designated(tmp_path):
    """Designated (with ALL and features): the administrator row and the auto-enable row, an improvement from "not
    set"; the features are not listed one by one (nothing to compare them with); a region designated NONE is a
    neutral auto-enable row (nothing auto-enabled either way). An administrator listed without ``AdminStatus``
    counts as one (only a status other than ENABLED, e.g. DISABLE_IN_PROGRESS, does not). A configuration that
    gives neither AutoEnableOrganizationMembers nor AutoEnable (ap-south-1) leaves the auto-enable not set: no
    row."""
    b = gd_org(tmp_path, "b")
    a = gd_org(tmp_path, "a", admins={US: [(SEC, "ENABLED")], EU: [(SEC, None)], AP: [(SEC, "ENABLED")]},
               configs={(SEC, US): ae("ALL", ("S3_DATA_EVENTS", "NEW")), (SEC, EU): ae("NONE"),
                        (SEC, AP): ae(None, ("S3_DATA_EVENTS", "ALL"))})
    assert mgmt_rows(b, a) == [
        gd("guardduty_admin", "improvement", US, None, SEC, SEC, "delegated administrator designated in us-east-1",
           "Security"),
        gd("guardduty_admin", "improvement", EU, None, SEC, SEC, "delegated administrator designated in eu-west-1",
           "Security"),
        gd("guardduty_admin", "improvement", AP, None, SEC, SEC, "delegated administrator designated in ap-south-1",
           "Security"),
        gd("guardduty_auto_enable", "improvement", US, None, "ALL", SEC,
           "organisation auto-enable (not set: no delegated administrator) -> ALL in us-east-1"),
        gd("guardduty_auto_enable", "neutral", EU, None, "NONE", SEC,
           "organisation auto-enable (not set: no delegated administrator) -> NONE in eu-west-1")]
    assert mgmt_rows(b, b) == [] and mgmt_rows(a, a) == []


def test_a_delegated_administrator_changed_and_its_configuration_compared_feature_by_feature(tmp_path):
    """App -> Security in us-east-1 (Security renamed SecOps in AFTER: AFTER's name), Security -> App in
    ap-south-1; the former administrator keeps a stale organisation configuration in AFTER in each, which is not
    the administrator's and is not read (whichever account's document comes first). The legacy AutoEnable
    true is NEW, and AutoEnableOrganizationMembers wins over it. Each feature and additional configuration
    (``NAME/ADDITIONAL``) compared on the ALL > NEW > NONE ladder, a feature missing counting as NONE; a
    malformed feature entry skipped."""
    rm = ("RUNTIME_MONITORING", "NEW", {"EKS_ADDON_MANAGEMENT": "NEW", "ECS_FARGATE_AGENT_MANAGEMENT": "ALL"})
    b = gd_org(tmp_path, "b", admins={US: [(APP, "ENABLED")], EU: [(SEC, "ENABLED")], AP: [(SEC, "ENABLED")]},
               configs={(APP, US): ae("ALL", ("S3_DATA_EVENTS", "ALL"), rm),
                        (SEC, EU): ae("legacy-true"), (SEC, AP): ae("NONE")})
    rm2 = ("RUNTIME_MONITORING", "NEW", {"EKS_ADDON_MANAGEMENT": "ALL", "ECS_FARGATE_AGENT_MANAGEMENT": "NONE"})
    cfg = ae("legacy-true", ("S3_DATA_EVENTS", "NONE"), rm2, ("EBS_MALWARE_PROTECTION", "NEW"))
    cfg["Features"].insert(0, "not a feature")
    a = gd_org(tmp_path, "a", admins={US: [(SEC, "ENABLED")], EU: [(SEC, "ENABLED")], AP: [(APP, "ENABLED")]},
               configs={(SEC, US): cfg, (APP, US): ae("ALL", ("S3_DATA_EVENTS", "ALL"), rm),
                        (SEC, EU): ae("ALL") | {"AutoEnable": True}, (SEC, AP): ae("NONE"), (APP, AP): ae("ALL")},
               names={SEC: "SecOps"})
    feat = "guardduty_feature"
    assert mgmt_rows(b, a) == [
        gd("guardduty_admin", "neutral", US, APP, SEC, SEC, "delegated administrator changed in us-east-1", "SecOps"),
        gd("guardduty_admin", "neutral", AP, SEC, APP, APP, "delegated administrator changed in ap-south-1", "App"),
        gd("guardduty_auto_enable", "regression", US, "ALL", "NEW", SEC, "organisation auto-enable ALL -> NEW in us-east-1"),
        gd(feat, "improvement", US, None, "NEW", SEC, "organisation auto-enable of EBS_MALWARE_PROTECTION in us-east-1",
           action="EBS_MALWARE_PROTECTION"),
        gd(feat, "regression", US, "ALL", "NONE", SEC,
           "organisation auto-enable of RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT in us-east-1",
           action="RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT"),
        gd(feat, "improvement", US, "NEW", "ALL", SEC,
           "organisation auto-enable of RUNTIME_MONITORING/EKS_ADDON_MANAGEMENT in us-east-1",
           action="RUNTIME_MONITORING/EKS_ADDON_MANAGEMENT"),
        gd(feat, "regression", US, "ALL", "NONE", SEC, "organisation auto-enable of S3_DATA_EVENTS in us-east-1",
           action="S3_DATA_EVENTS"),
        gd("guardduty_auto_enable", "improvement", EU, "NEW", "ALL", SEC,
           "organisation auto-enable NEW -> ALL in eu-west-1"),
        gd("guardduty_auto_enable", "improvement", AP, "NONE", "ALL", APP,
           "organisation auto-enable NONE -> ALL in ap-south-1")]
    # the same rows reach the change frame (the detector cells add none: their status is the same)
    df = diff(b, a, scp=False, processes=1)
    mine = df[df.kind.isin(["guardduty_admin", "guardduty_auto_enable", "guardduty_feature"])]
    assert sorted(_whole(mine), key=str) == sorted(mgmt_rows(b, a), key=str)
    # and back: every transition the other way; the administrator row names App (AFTER's name)
    assert mgmt_rows(a, b) == [
        gd("guardduty_admin", "neutral", US, SEC, APP, APP, "delegated administrator changed in us-east-1", "App"),
        gd("guardduty_admin", "neutral", AP, APP, SEC, SEC, "delegated administrator changed in ap-south-1",
           "Security"),
        gd("guardduty_auto_enable", "improvement", US, "NEW", "ALL", APP,
           "organisation auto-enable NEW -> ALL in us-east-1"),
        gd(feat, "regression", US, "NEW", None, APP, "organisation auto-enable of EBS_MALWARE_PROTECTION in us-east-1",
           action="EBS_MALWARE_PROTECTION"),
        gd(feat, "improvement", US, "NONE", "ALL", APP,
           "organisation auto-enable of RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT in us-east-1",
           action="RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT"),
        gd(feat, "regression", US, "ALL", "NEW", APP,
           "organisation auto-enable of RUNTIME_MONITORING/EKS_ADDON_MANAGEMENT in us-east-1",
           action="RUNTIME_MONITORING/EKS_ADDON_MANAGEMENT"),
        gd(feat, "improvement", US, "NONE", "ALL", APP, "organisation auto-enable of S3_DATA_EVENTS in us-east-1",
           action="S3_DATA_EVENTS"),
        gd("guardduty_auto_enable", "regression", EU, "ALL", "NEW", SEC,
           "organisation auto-enable ALL -> NEW in eu-west-1"),
        gd("guardduty_auto_enable", "regression", AP, "ALL", "NONE", SEC,
           "organisation auto-enable ALL -> NONE in ap-south-1")]


def test_a_delegated_administrator_removed_or_disabling(tmp_path):
    """Removed (App, which also left the organisation: BEFORE's name), and disabling in progress (Security's
    AdminStatus DISABLE_IN_PROGRESS is no administrator any more): regressions; the auto-enable the administrator
    had goes to "not set" (a regression; from NONE, given as the legacy AutoEnable false, neutral), its features
    are not listed one by one."""
    b = gd_org(tmp_path, "b", admins={US: [(APP, "ENABLED")], EU: [(SEC, "ENABLED")]},
               configs={(APP, US): ae("NEW", ("S3_DATA_EVENTS", "ALL")), (SEC, EU): ae("legacy-false")})
    a = gd_org(tmp_path, "a", admins={EU: [(SEC, "DISABLE_IN_PROGRESS")]}, without=(APP,))
    assert mgmt_rows(b, a) == [
        gd("guardduty_admin", "regression", US, APP, None, APP, "no delegated administrator any more in us-east-1",
           "App"),
        gd("guardduty_admin", "regression", EU, SEC, None, SEC, "no delegated administrator any more in eu-west-1",
           "Security"),
        gd("guardduty_auto_enable", "regression", US, "NEW", None, APP,
           "organisation auto-enable NEW -> (not set) in us-east-1"),
        gd("guardduty_auto_enable", "neutral", EU, "NONE", None, SEC,
           "organisation auto-enable NONE -> (not set) in eu-west-1")]


def test_an_administrator_whose_guardduty_could_not_be_read_has_no_configuration_rows(tmp_path):
    """Where the administrator's GuardDuty was not read (on either side), its organisation configuration is
    unknown: no auto-enable or feature row says it changed (its own cell, unknown, is the regression: below);
    read with one call failing (status partial) it is known, whatever another service's read (CloudTrail Lake)
    in that region. Regions not collected by both are not compared."""
    cfg = ae("ALL", ("S3_DATA_EVENTS", "ALL"))
    b = gd_org(tmp_path, "b", admins={US: [(SEC, "ENABLED")], EU: [(SEC, "ENABLED")], AP: [(SEC, "ENABLED")]},
               configs={(SEC, US): cfg, (SEC, EU): cfg, (SEC, AP): cfg})
    a = gd_org(tmp_path, "a", admins={US: [(SEC, "ENABLED")], EU: [(SEC, "ENABLED")]},
               configs={(SEC, EU): ae("NEW", ("S3_DATA_EVENTS", "NONE"))}, unread=[(SEC, US)],
               partial=[(SEC, EU)], regions=(US, EU), lake_unread=[(SEC, EU)])
    expected_eu = [
        gd("guardduty_auto_enable", "regression", EU, "ALL", "NEW", SEC, "organisation auto-enable ALL -> NEW in eu-west-1"),
        gd("guardduty_feature", "regression", EU, "ALL", "NONE", SEC,
           "organisation auto-enable of S3_DATA_EVENTS in eu-west-1", action="S3_DATA_EVENTS")]
    assert mgmt_rows(b, a) == expected_eu
    back = [gd(r[0], "improvement", EU, r[7], r[6], SEC, r[8], action=r[14]) for r in expected_eu]
    back[0] = gd("guardduty_auto_enable", "improvement", EU, "NEW", "ALL", SEC,
                 "organisation auto-enable NEW -> ALL in eu-west-1")
    assert mgmt_rows(a, b) == back
    # through diff(): the administrator's cell in us-east-1 became unknown, a regression
    df = diff(b, a, scp=False, processes=1)
    got = df[(df.account_id == SEC) & (df.region == US) & (df.kind == "guardduty")]
    assert _whole(got) == [R("guardduty", "regression", account_id=SEC, account_name="Security", ou_path="Root",
                             region=US, before="administrator", after="unknown",
                             reason="read failed: AccessDeniedException", service="guardduty",
                             source="guardduty:ListDetectors AccessDeniedException")]


def test_one_failed_read_among_several_of_a_region_leaves_its_configuration_unknown(tmp_path):
    """issue 22 (seed-31 survivor _gd_reads 30): an organisation whose ``reads`` frame lists the administrator's
    GuardDuty read in us-east-1 twice (built by hand, e.g. the reads of a collection and of its retry put
    together), once failed and once ok: its state there is not surely read, so its configuration is unknown and
    no auto-enable row says it changed, whichever row comes first; eu-west-1, read once, is still compared."""
    b = gd_org(tmp_path, "b", admins={US: [(SEC, "ENABLED")], EU: [(SEC, "ENABLED")]},
               configs={(SEC, US): ae("ALL"), (SEC, EU): ae("ALL")}, regions=(US, EU))
    a = gd_org(tmp_path, "a", admins={US: [(SEC, "ENABLED")], EU: [(SEC, "ENABLED")]},
               configs={(SEC, US): ae("NEW"), (SEC, EU): ae("NEW")}, regions=(US, EU))

    def auto(region: str, back: bool = False) -> tuple:
        x, y = ("NEW", "ALL") if back else ("ALL", "NEW")
        return gd("guardduty_auto_enable", "improvement" if back else "regression", region, x, y, SEC,
                  f"organisation auto-enable {x} -> {y} in {region}")

    assert mgmt_rows(b, a) == [auto(US), auto(EU)]  # each read once: both regions compared
    reads = a.frames["reads"]
    once = reads[(reads.service == "guardduty") & (reads.account_id == SEC) & (reads.region == US)]
    assert list(once.status) == ["ok"]
    failed = once.assign(status="error", error_code="ThrottlingException", operation="GetDetector",
                         message="Rate exceeded")
    for order in ([failed, reads], [reads, failed]):
        a.frames["reads"] = pd.concat(order, ignore_index=True)
        assert mgmt_rows(b, a) == [auto(EU)]
        assert mgmt_rows(a, b) == [auto(EU, back=True)]


# ------------------------------------------------------------------------------------------------------- scope
PLAY, EXTRA, NEW = "444444444444", "555555555555", "666666666666"


def scope_org(tmp_path, name: str, *, regions=(US, EU), options=..., names: dict | None = None,
              accounts=(APP, PLAY, EXTRA)):
    """An organisation of the management account and ``accounts`` (App, Play, Extra, New), collected in
    ``regions``, its manifest's ``options`` as the collector records them (``{"accounts": [...]}`` for
    --accounts; ``...``: no ``options`` at all), re-sealed."""
    from orgkit.snapshot import DIGEST_KEY, dumps, manifest_digest

    names = {APP: "App", PLAY: "Play", EXTRA: "Extra", NEW: "New", **(names or {})}
    sb = SnapshotSpec(regions=list(regions))
    for aid in accounts:
        sb.account(names[aid], account_id=aid)
    path = sb.write(tmp_path / name)
    if options is not ...:
        m = json.loads((path / "manifest.json").read_text())
        m["options"] = options
        m[DIGEST_KEY] = manifest_digest(m)
        (path / "manifest.json").write_text(dumps(m))
    import orgkit

    return orgkit.load(path)


def acct_row(aid: str, name: str, side: str) -> tuple:
    other = "not collected"
    return R("scope", "neutral", account_id=aid, account_name=name,
             before="collected" if side == "BEFORE" else other, after=other if side == "BEFORE" else "collected",
             reason=f"account read in {side} only (account filter): not compared")


def region_row(region: str, side: str) -> tuple:
    other = "not collected"
    return R("scope", "neutral", region=region, before="collected" if side == "BEFORE" else other,
             after=other if side == "BEFORE" else "collected",
             reason=f"region collected in {side} only: its cells are not compared")


def whole_scope(sc: Scope) -> tuple:
    return sc.regions, sc.accounts, [tuple(r.values()) for r in sc.rows]


def test_scope_regions_both_collected_in_before_s_order(tmp_path):
    b = scope_org(tmp_path, "b", regions=(US, EU, AP, "ca-central-1"))
    a = scope_org(tmp_path, "a", regions=("sa-east-1", EU, US, "me-south-1"))
    assert whole_scope(scope(b, a)) == ([US, EU], None, [
        region_row(AP, "BEFORE"), region_row("ca-central-1", "BEFORE"),
        region_row("sa-east-1", "AFTER"), region_row("me-south-1", "AFTER")])
    assert whole_scope(scope(a, b)) == ([EU, US], None, [
        region_row("sa-east-1", "BEFORE"), region_row("me-south-1", "BEFORE"),
        region_row(AP, "AFTER"), region_row("ca-central-1", "AFTER")])
    assert whole_scope(scope(b, b)) == ([US, EU, AP, "ca-central-1"], None, [])


def test_scope_accounts_both_read(tmp_path):
    """Both filtered: the accounts both read, and an account new in AFTER that AFTER read; an account read by one
    side only is a scope row (named as in AFTER, as every other row is: App renamed Application in AFTER; it named
    the account as in BEFORE), sorted by id."""
    b = scope_org(tmp_path, "b", options={"accounts": [MG, APP, PLAY]})
    a = scope_org(tmp_path, "a", options={"accounts": [MG, PLAY, EXTRA, NEW]}, names={APP: "Application"},
                  accounts=(APP, PLAY, EXTRA, NEW))
    assert collected_accounts(b) == {MG, APP, PLAY}
    assert new_accounts(b, a) == {NEW} and new_accounts(a, b) == set()
    assert whole_scope(scope(b, a)) == ([US, EU], {MG, PLAY, NEW}, [
        acct_row(APP, "Application", "BEFORE"), acct_row(EXTRA, "Extra", "AFTER")])
    # the other way: New is no longer in the organisation (no row for it), Extra read in BEFORE only
    assert whole_scope(scope(a, b)) == ([US, EU], {MG, PLAY}, [
        acct_row(EXTRA, "Extra", "BEFORE"), acct_row(APP, "App", "AFTER")])


def test_scope_one_side_filtered(tmp_path):
    """BEFORE unfiltered, AFTER read the management account only: every other account of both organisations is
    read in BEFORE only (Extra, gone from AFTER's organisation, is no row; New, joined and not read, neither);
    the other way, the accounts AFTER has and BEFORE did not read are AFTER-only rows, and Extra, new in AFTER and
    read, is compared."""
    full = scope_org(tmp_path, "full")
    mgmt_only = scope_org(tmp_path, "mgmt", options={"accounts": [MG]}, accounts=(APP, PLAY, NEW))
    assert new_accounts(full, mgmt_only) == {NEW} and new_accounts(mgmt_only, full) == {EXTRA}
    assert whole_scope(scope(full, mgmt_only)) == ([US, EU], {MG}, [
        acct_row(APP, "App", "BEFORE"), acct_row(PLAY, "Play", "BEFORE")])
    assert whole_scope(scope(mgmt_only, full)) == ([US, EU], {MG, EXTRA}, [
        acct_row(APP, "App", "AFTER"), acct_row(PLAY, "Play", "AFTER")])


ROLE = "OrganizationAccountAccessRole"


@pytest.mark.parametrize("options,expected", [
    ({"role_name": ROLE, "accounts": [MG, APP]}, {MG, APP}), ({"role_name": ROLE, "accounts": None}, None),
    ({"accounts": []}, None), ({"role_name": ROLE}, None), (None, None), (..., None)],
    ids=["filtered", "unfiltered", "empty", "no-key", "null", "no-options"])
def test_collected_accounts_from_the_manifest(tmp_path, options, expected):
    """The collector's --accounts, as the manifest records it (orgkit/aws/collect.py: ``"accounts":
    sorted(accounts) if accounts else None``); anything else means every account was read, and the comparison
    has no account scope (None: no account row)."""
    org = scope_org(tmp_path, "s", options=options)
    assert collected_accounts(org) == expected
    full = scope_org(tmp_path, "full")
    rows = [acct_row(PLAY, "Play", "BEFORE"), acct_row(EXTRA, "Extra", "BEFORE")] if expected else []
    assert whole_scope(scope(full, org)) == ([US, EU], expected, rows)


def test_an_administrator_outside_the_accounts_collected_has_no_configuration_rows(tmp_path):
    """AFTER collected with --accounts without Security, the administrator (the collector writes no document for
    it, so no read of it either): its organisation configuration is unknown in AFTER, and no row says it changed;
    Security is listed as read in BEFORE only (a scope row)."""
    cfg = {(SEC, US): ae("ALL", ("S3_DATA_EVENTS", "ALL"))}
    b = gd_org(tmp_path, "b", admins={US: [(SEC, "ENABLED")]}, configs=cfg)
    a = gd_org(tmp_path, "a", admins={US: [(SEC, "ENABLED")]}, configs=cfg, read_only=[MG, APP])
    assert mgmt_rows(b, a) == [] and mgmt_rows(a, b) == []
    assert whole_scope(scope(b, a)) == ([US, EU, AP], {MG, APP}, [acct_row(SEC, "Security", "BEFORE")])


def _member_org(tmp_path, status: str | None):
    """App's detector in us-east-1, alone (None) or a member of Security, the delegated administrator, whose
    relationship is ``status`` (GetAdministratorAccount / ListMembers ``RelationshipStatus``)."""
    sb = SnapshotSpec(regions=[US])
    sb.account("Security", account_id=SEC)
    sb.account("App", account_id=APP)
    sb.detector(APP, US, administrator={"AccountId": SEC, "RelationshipStatus": status} if status else {})
    if status:
        sb.gd_admins = {US: [{"AdminAccountId": SEC, "AdminStatus": "ENABLED"}]}
        sb.detector(SEC, US, members=[sb.member(APP, SEC, status=status)], org_config=ae("ALL"))
    return load(tmp_path, status or "alone", sb)


MEMBER = "member of 222222222222 through AWS Organizations, the organization's delegated administrator"


def test_member_relationships_through_diff(tmp_path):
    """A member whose relationship with the delegated administrator is no longer Enabled keeps its own detector:
    org_member -> standalone, a regression whose reason says what it was. The first snapshot, App alone, to App a
    member: the administrator designated (and its own cell), the auto-enable set, App's cell an improvement."""
    alone, member = _member_org(tmp_path, None), _member_org(tmp_path, "Enabled")
    app = dict(account_id=APP, account_name="App", ou_path="Root", region=US, service="guardduty",
               source=f"d{APP}useast1")
    for status, why in (("Created", "the membership offered by 222222222222 is Created, not accepted"),
                        ("Disabled", "the relationship with 222222222222 is Disabled"),
                        ("Removed", "the relationship with 222222222222 is Removed")):
        assert _whole(diff(member, _member_org(tmp_path, status), scp=False, processes=1)) == [
            R("guardduty", "regression", **app, before="org_member", after="standalone",
              reason=f"detector enabled; {why}; was: {MEMBER}")]
    assert _whole(diff(alone, member, scp=False, processes=1)) == [
        R("guardduty_admin", "improvement", account_id=SEC, account_name="Security", region=US, after=SEC,
          reason="delegated administrator designated in us-east-1", service="guardduty"),
        R("guardduty_auto_enable", "improvement", account_id=SEC, region=US, after="ALL",
          reason="organisation auto-enable (not set: no delegated administrator) -> ALL in us-east-1",
          service="guardduty"),
        R("guardduty", "improvement", account_id=SEC, account_name="Security", ou_path="Root", region=US,
          before="none", after="administrator",
          reason="the organization's delegated GuardDuty administrator for the region with 1 member(s); was: no detector",
          service="guardduty", source=f"d{SEC}useast1"),
        R("guardduty", "improvement", **app, before="standalone", after="org_member",
          reason=f"{MEMBER}; was: detector enabled, no administrator")]


def test_two_administrators_listed_in_one_region_compare_no_configuration(tmp_path):
    """Two accounts listed ENABLED as GuardDuty's administrator in us-east-1 in AFTER (each with a configuration
    of ALL, as in BEFORE): which one is the organisation's is not known, so no auto-enable or feature row there
    (it read "ALL -> (not set)", a regression); the administrator row says it changed, and eu-west-1, with one
    administrator, is still compared."""
    cfg = ae("ALL", ("S3_DATA_EVENTS", "ALL"))
    b = gd_org(tmp_path, "b", admins={US: [(SEC, "ENABLED")], EU: [(SEC, "ENABLED")]},
               configs={(SEC, US): cfg, (SEC, EU): cfg})
    a = gd_org(tmp_path, "a", admins={US: [(SEC, "ENABLED"), (APP, "ENABLED")], EU: [(SEC, "ENABLED")]},
               configs={(SEC, US): cfg, (APP, US): cfg, (SEC, EU): ae("NEW", ("S3_DATA_EVENTS", "ALL"))})
    both = ",".join(sorted((SEC, APP)))
    assert mgmt_rows(b, a) == [
        gd("guardduty_admin", "neutral", US, SEC, both, both, "delegated administrator changed in us-east-1"),
        gd("guardduty_auto_enable", "regression", EU, "ALL", "NEW", SEC,
           "organisation auto-enable ALL -> NEW in eu-west-1")]
    assert mgmt_rows(a, b) == [
        gd("guardduty_admin", "neutral", US, both, SEC, SEC, "delegated administrator changed in us-east-1",
           "Security"),
        gd("guardduty_auto_enable", "improvement", EU, "NEW", "ALL", SEC,
           "organisation auto-enable NEW -> ALL in eu-west-1")]
