"""GuardDuty coverage: one test per rule, on hand-built snapshots."""

import pytest

from orgkit.coverage import guardduty_coverage
from orgkit.testing import SnapshotSpec, detector_features

R1, R2, R3 = "us-east-1", "eu-west-1", "eu-south-1"


def cell(df, account, region):
    rows = df[(df["account_id"] == account) & (df["region"] == region)]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.fixture(scope="module")
def org_ids(tmp_path_factory):
    sb = SnapshotSpec(regions=[R1, R2, R3])
    mgmt = sb.management
    ou = sb.ou("Workloads")
    sec = sb.account("Security", parent=ou, account_id="012345678901")
    orgm = sb.account("OrgMember", parent=ou)
    inv = sb.account("Invited", parent=ou)
    pend = sb.account("Pending", parent=ou)
    susp = sb.account("Suspended", parent=ou)
    alone = sb.account("Alone", parent=ou)
    gone = sb.account("Gone", parent=ou)
    dark = sb.account("Dark", parent=ou, access="none")
    dark2 = sb.account("DarkSuspended", parent=ou, access="none")
    optin = sb.account("OptIn", parent=ou, regions={R3: "DISABLED"})
    denied = sb.account("Denied", parent=ou)
    half = sb.account("Half", parent=ou)
    sb.gd_admins = {R1: [{"AdminAccountId": sec, "AdminStatus": "ENABLED"}]}
    members = [
        sb.member(orgm, sec, detector_id=f"d{orgm}"),
        sb.member(inv, sec, invited=True),
        sb.member(pend, sec, status="Created"),
        sb.member(susp, sec, status="Disabled"),
        sb.member(gone, sec, status="Removed"),
        sb.member(dark, sec, detector_id="ddark"),
        sb.member(dark2, sec, status="Disabled"),
    ]
    sb.detector(sec, R1, members=members, org_config={"AutoEnable": True, "AutoEnableOrganizationMembers": "NEW",
                                                       "MemberAccountLimitReached": False})
    sb.detector(orgm, R1, features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}])
    sb.detector(inv, R1)
    sb.detector(susp, R1, status="DISABLED")
    sb.detector(alone, R1, administrator={})
    sb.detector(gone, R1, administrator={})
    sb.detector(half, R1)
    sb.error(half, R1, "guardduty", "GetAdministratorAccount", "ThrottlingException")
    sb.error(denied, R1, "guardduty", "ListDetectors", "AccessDeniedException", "not authorized")
    sb.docs[denied]["GuardDuty"][R1] = {"DetectorIds": None}
    # the management account: its own invitation-based administrator of an account outside the org view
    sb.detector(mgmt, R2, administrator={"AccountId": "999999999999", "RelationshipStatus": "Enabled",
                                         "InvitationId": "x", "InvitedAt": "2025-12-01T00:00:00.000Z"})
    org = sb.load(tmp_path_factory.mktemp("gd") / "snap")
    return org, locals()


@pytest.fixture
def org_and_ids(org_ids):
    """The coverage computed in each test (not once per module): mutmut runs, for a mutant, only the tests that
    called the mutated function, and a module-scoped answer is computed during the first test alone."""
    org, ids = org_ids
    return guardduty_coverage(org), ids


def test_columns_and_one_row_per_cell(org_and_ids):
    df, ids = org_and_ids
    assert list(df.columns) == ["account_id", "account_name", "ou_path", "region", "status", "reason", "source",
                                "administrator_id", "detector_id", "relationship_status", "features", "auto_enable",
                                "plans", "required_plans", "missing_plans"]
    assert len(df) == 13 * 3
    assert not df.duplicated(["account_id", "region"]).any()


def test_delegated_admin_is_administrator(org_and_ids):
    df, ids = org_and_ids
    r = cell(df, ids["sec"], R1)
    assert r["status"] == "administrator"
    assert r["account_id"] == "012345678901"
    assert r["auto_enable"] == "NEW"
    assert cell(df, ids["sec"], R2)["auto_enable"] is None


def test_org_member_vs_invited_member(org_and_ids):
    df, ids = org_and_ids
    r = cell(df, ids["orgm"], R1)
    assert r["status"] == "org_member" and r["administrator_id"] == ids["sec"]
    assert r["features"] == {"S3_DATA_EVENTS": "ENABLED"}
    r = cell(df, ids["inv"], R1)
    assert r["status"] == "invited_member" and r["administrator_id"] == ids["sec"]
    assert "invitation" in r["reason"]


def test_invited_member_from_own_view_only(org_and_ids):
    df, ids = org_and_ids
    r = cell(df, ids["mgmt"], R2)
    assert r["status"] == "invited_member" and r["administrator_id"] == "999999999999"


def test_pending_member_without_detector(org_and_ids):
    df, ids = org_and_ids
    r = cell(df, ids["pend"], R1)
    assert r["status"] == "pending" and r["relationship_status"] == "Created" and r["source"] == ids["sec"]


def test_suspended_detector_even_for_a_member(org_and_ids):
    df, ids = org_and_ids
    r = cell(df, ids["susp"], R1)
    assert r["status"] == "suspended"
    assert r["detector_id"] and r["source"] == r["detector_id"]


def test_standalone_and_removed_relationship(org_and_ids):
    df, ids = org_and_ids
    assert cell(df, ids["alone"], R1)["status"] == "standalone"
    r = cell(df, ids["gone"], R1)
    assert r["status"] == "standalone" and "Removed" in r["reason"]


def test_none_when_read_ok_and_nothing_there(org_and_ids):
    df, ids = org_and_ids
    r = cell(df, ids["alone"], R2)
    assert r["status"] == "none"


def test_access_denied_is_unknown_with_the_error(org_and_ids):
    df, ids = org_and_ids
    r = cell(df, ids["denied"], R1)
    assert r["status"] == "unknown"
    assert "AccessDeniedException" in r["reason"] and "not authorized" in r["reason"]
    assert r["source"] == "guardduty:ListDetectors AccessDeniedException"


def test_partial_read_with_enabled_detector_is_unknown_not_standalone(org_and_ids):
    df, ids = org_and_ids
    r = cell(df, ids["half"], R1)
    assert r["status"] == "unknown" and "ThrottlingException" in r["reason"]


def test_unreachable_members_seen_through_the_administrator(org_and_ids):
    df, ids = org_and_ids
    r = cell(df, ids["dark"], R1)
    assert r["status"] == "org_member" and r["detector_id"] == "ddark" and r["source"] == ids["sec"]
    assert "not reachable" in r["reason"]
    assert cell(df, ids["dark2"], R1)["status"] == "suspended"
    r = cell(df, ids["dark"], R2)  # no administrator's view there
    assert r["status"] == "unknown" and r["source"] == "sts:AssumeRole"


def test_disabled_opt_in_region_is_not_applicable(org_and_ids):
    df, ids = org_and_ids
    r = cell(df, ids["optin"], R3)
    assert r["status"] == "not_applicable" and "DISABLED" in r["reason"]
    assert cell(df, ids["optin"], R2)["status"] == "none"


def test_statuses_are_in_the_vocabulary(org_and_ids):
    from orgkit.coverage.guardduty import STATUSES

    df, _ = org_and_ids
    assert set(df["status"]) <= set(STATUSES)
    bad = df[~df["status"].isin(["org_member", "invited_member", "administrator"])]
    assert bad["reason"].notna().all()


def test_suspended_account_not_read_says_so(tmp_path):
    sb = SnapshotSpec(regions=[R1])
    a = sb.account("Closed", status="SUSPENDED")
    sb.docs[a] = {"AccountId": a, "GuardDuty": {}}  # what the collector writes for a suspended account
    df = guardduty_coverage(sb.load(tmp_path / "snap"))
    r = cell(df, a, R1)
    assert r["status"] == "unknown" and "suspended" in r["reason"]


# -- protection plans: partial ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plans_org(tmp_path_factory):
    sb = SnapshotSpec(regions=[R1, R2])
    ou = sb.ou("Workloads")
    sec = sb.account("Security", parent=ou)
    full = sb.account("Full", parent=ou)
    nofargate = sb.account("NoFargate", parent=ou)
    nos3 = sb.account("NoS3", parent=ou)
    alone = sb.account("Alone", parent=ou)
    sb.gd_admins = {R1: [{"AdminAccountId": sec, "AdminStatus": "ENABLED"}],
                    R2: [{"AdminAccountId": sec, "AdminStatus": "ENABLED"}]}
    members = [sb.member(a, sec) for a in (full, nofargate, nos3)]
    rm = {"Name": "RUNTIME_MONITORING", "AutoEnable": "ALL",
          "AdditionalConfiguration": [{"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "AutoEnable": "NEW"},
                                      {"Name": "EKS_ADDON_MANAGEMENT", "AutoEnable": "NONE"}]}
    cfg = {"AutoEnableOrganizationMembers": "ALL", "MemberAccountLimitReached": False,
           "Features": [{"Name": "S3_DATA_EVENTS", "AutoEnable": "NEW"}, {"Name": "EKS_AUDIT_LOGS", "AutoEnable": "NONE"},
                        rm]}
    good = detector_features({"S3_DATA_EVENTS", "RUNTIME_MONITORING"}, {"ECS_FARGATE_AGENT_MANAGEMENT"})
    # us-east-1: an organisation configuration; eu-west-1: none, the administrator's detector decides
    sb.detector(sec, R1, members=members, org_config=cfg, features=good)
    sb.detector(sec, R2, members=members, features=detector_features({"S3_DATA_EVENTS"}))
    for r in (R1, R2):
        sb.detector(full, r, features=good)
        sb.detector(nofargate, r, features=detector_features({"S3_DATA_EVENTS", "RUNTIME_MONITORING"}))
        sb.detector(nos3, r, features=detector_features({"RUNTIME_MONITORING"}, {"ECS_FARGATE_AGENT_MANAGEMENT"}))
    sb.detector(alone, R1, administrator={}, features=detector_features())
    return sb.load(tmp_path_factory.mktemp("plans") / "snap"), locals()


def test_a_member_missing_a_plan_the_org_auto_enables_is_partial(plans_org):
    org, ids = plans_org
    df = guardduty_coverage(org)
    assert cell(df, ids["full"], R1)["status"] == "org_member"
    r = cell(df, ids["nofargate"], R1)
    assert r["status"] == "partial"
    assert r["missing_plans"] == ("ECS_FARGATE_AGENT_MANAGEMENT",)
    assert "ECS_FARGATE_AGENT_MANAGEMENT" in r["reason"] and "organisation configuration" in r["reason"]
    assert r["required_plans"] == ("S3_DATA_EVENTS", "RUNTIME_MONITORING", "ECS_FARGATE_AGENT_MANAGEMENT")
    assert cell(df, ids["nos3"], R1)["missing_plans"] == ("S3_DATA_EVENTS",)
    assert r["plans"]["ECS_FARGATE_AGENT_MANAGEMENT"] == "DISABLED" and r["plans"]["RUNTIME_MONITORING"] == "ENABLED"


def test_without_org_configuration_the_administrators_plans_are_required(plans_org):
    org, ids = plans_org
    df = guardduty_coverage(org)
    assert cell(df, ids["sec"], R2)["status"] == "administrator"
    assert cell(df, ids["nofargate"], R2)["status"] == "org_member"  # the admin has S3 only: it has S3
    r = cell(df, ids["nos3"], R2)
    assert r["status"] == "partial" and r["missing_plans"] == ("S3_DATA_EVENTS",)
    assert f"administrator {ids['sec']}" in r["reason"]


def test_a_standalone_detector_keeps_its_status_and_names_the_plans(plans_org):
    org, ids = plans_org
    r = cell(guardduty_coverage(org), ids["alone"], R1)
    assert r["status"] == "standalone" and "S3_DATA_EVENTS" in r["reason"]


def test_require_plans_overrides_and_agent_management_needs_runtime_monitoring(plans_org):
    org, ids = plans_org
    df = guardduty_coverage(org, require_plans=["EKS_AUDIT_LOGS"])
    assert set(df[df["account_id"].isin([ids["full"], ids["sec"]]) & (df["region"] == R1)]["status"]) == {"partial"}
    df = guardduty_coverage(org, require_plans="none")
    assert "partial" not in set(df["status"])
    from orgkit.coverage.guardduty import plan_status

    off = plan_status([{"Name": "RUNTIME_MONITORING", "Status": "DISABLED",
                        "AdditionalConfiguration": [{"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "ENABLED"}]}])
    assert off["ECS_FARGATE_AGENT_MANAGEMENT"] == "DISABLED"
    with pytest.raises(ValueError, match="unknown protection plan S3"):
        guardduty_coverage(org, require_plans="S3")


def test_plans_unknown_are_never_judged(org_and_ids):
    df, ids = org_and_ids  # detectors there report no Features: their plans are not known
    r = cell(df, ids["inv"], R1)
    assert r["status"] == "invited_member" and r["plans"] is None and r["missing_plans"] is None


def test_the_legacy_eks_runtime_feature_auto_enabled_is_required_and_runtime_monitoring_satisfies_it(tmp_path):
    # AWS: "Runtime Monitoring already includes the threat detection for Amazon EKS resources"
    # (UpdateOrganizationConfiguration)
    sb = SnapshotSpec(regions=[R1])
    sec, a, b = sb.account("Security"), sb.account("A"), sb.account("B")
    sb.gd_admins = {R1: [{"AdminAccountId": sec, "AdminStatus": "ENABLED"}]}
    cfg = {"AutoEnableOrganizationMembers": "ALL",
           "Features": [{"Name": "EKS_RUNTIME_MONITORING", "AutoEnable": "ALL"}]}
    sb.detector(sec, R1, members=[sb.member(a, sec), sb.member(b, sec)], org_config=cfg,
                features=[{"Name": "EKS_RUNTIME_MONITORING", "Status": "ENABLED"}])
    sb.detector(a, R1, features=detector_features({"RUNTIME_MONITORING"}))
    sb.detector(b, R1, features=detector_features())
    df = guardduty_coverage(sb.load(tmp_path / "s"))
    assert cell(df, a, R1)["status"] == "org_member"
    r = cell(df, b, R1)
    assert r["status"] == "partial" and r["missing_plans"] == ("EKS_RUNTIME_MONITORING",)


# -- every cell, every column (issue 22: mutation testing found reasons and ids no test compared) -----------------
WHAT = ["status", "reason", "source", "administrator_id", "detector_id", "relationship_status"]


def _table(df, ids, accounts):
    name = {v: k for k, v in ids.items() if isinstance(v, str) and k in accounts}
    return {(name[r["account_id"]], r["region"]): tuple(r[c] for c in WHAT)
            for r in df.to_dict("records") if r["account_id"] in name}


def test_every_cell_of_the_rules_fixture_says_exactly_why(org_and_ids):
    df, ids = org_and_ids
    sec, dark_read = ids["sec"], "the account's own read: not read: account not reachable (AccessDenied)"
    d = {a: f"d{ids[a]}useast1" for a in ("orgm", "inv", "susp", "alone", "gone", "half")}
    got = _table(df, ids, {"mgmt", "sec", "orgm", "inv", "pend", "susp", "alone", "gone", "dark", "dark2", "optin",
                           "denied", "half"})
    expected = {
        ("mgmt", R2): ("invited_member", "member of 999999999999 by invitation (invited 2025-12-01)",
                       f"d{ids['mgmt']}euwest1", "999999999999", f"d{ids['mgmt']}euwest1", "Enabled"),
        ("sec", R1): ("administrator",
                      "the organization's delegated GuardDuty administrator for the region with 6 member(s)",
                      f"d{sec}useast1", None, f"d{sec}useast1", None),  # 7 listed, one Removed
        ("orgm", R1): ("org_member", f"member of {sec} through AWS Organizations, the organization's delegated "
                       "administrator", d["orgm"], sec, d["orgm"], "Enabled"),
        ("inv", R1): ("invited_member", f"member of {sec} by invitation (invited 2026-01-01), the organization's "
                      "delegated administrator; it can make it an organization member", d["inv"], sec, d["inv"],
                      "Enabled"),
        ("pend", R1): ("pending", f"membership created by {sec} (Created), GuardDuty not enabled in the account",
                       sec, sec, None, "Created"),
        ("susp", R1): ("suspended", f"detector {d['susp']} is suspended (status DISABLED); member of {sec} "
                       "(Disabled)", d["susp"], sec, d["susp"], "Disabled"),
        ("alone", R1): ("standalone", "detector enabled, no administrator", d["alone"], None, d["alone"], None),
        ("gone", R1): ("standalone", f"detector enabled; the relationship with {sec} is Removed", d["gone"], sec,
                       d["gone"], "Removed"),
        ("dark", R1): ("org_member", f"member of {sec} through AWS Organizations, seen through its member list; "
                       + dark_read, sec, sec, "ddark", "Enabled"),
        ("dark2", R1): ("suspended", f"administrator {sec} lists it as Disabled (suspended or not monitored); "
                        + dark_read, sec, sec, None, "Disabled"),
        ("optin", R3): ("not_applicable", "region not enabled for the account (DISABLED)", "account:ListRegions",
                        None, None, None),
        ("denied", R1): ("unknown", "read failed: AccessDeniedException: not authorized",
                         "guardduty:ListDetectors AccessDeniedException", None, None, None),
        ("half", R1): ("unknown", f"detector {d['half']} is enabled, but its administrator could not be read: "
                       "guardduty:GetAdministratorAccount failed: ThrottlingException",
                       "guardduty:GetAdministratorAccount ThrottlingException", None, d["half"], None),
    }
    for a in ("dark", "dark2"):
        for r in (R2, R3):
            expected[(a, r)] = ("unknown", "not read: account not reachable (AccessDenied)", "sts:AssumeRole",
                                None, None, None)
    for key in got.keys() - expected.keys():  # every other cell: read, nothing there
        expected[key] = ("none", "no detector", "guardduty:ListDetectors", None, None, None)
    assert got == expected
    assert df.attrs["service"] == "guardduty"


@pytest.fixture(scope="module")
def more_ids(tmp_path_factory):
    """The relationships the rules fixture lacks: an invitation administrator that is not the delegated one, two
    detectors in a region, a delegated administrator without a detector, a delegated administrator being removed,
    members only their administrator could be read for, and an account's own view against its member record."""
    sb = SnapshotSpec(regions=[R1, R2, R3])
    da, inv_admin = sb.account("Delegated"), sb.account("InvAdmin")
    two, offered, q, stopped = sb.account("TwoDetectors"), sb.account("Offered"), sb.account("Q"), sb.account("Stopped")
    dark_inv = sb.account("DarkInvited", access="none")
    dark_new = sb.account("DarkCreated", access="none")
    old = sb.account("OldDelegated")
    paused, left = sb.account("Paused"), sb.account("Left")
    sb.detector(paused, R1, status="DISABLED", administrator={})
    sb.gd_admins = {R1: [{"AdminAccountId": da, "AdminStatus": "ENABLED"}],
                    R2: [{"AdminAccountId": da, "AdminStatus": "ENABLED"}],
                    R3: [{"AdminAccountId": old, "AdminStatus": "DISABLE_IN_PROGRESS"}]}
    # InvAdmin, an administrator by invitation, is itself a member of the delegated administrator
    sb.detector(da, R1, members=[sb.member(dark_inv, da, invited=True, detector_id="ddarkinv"),
                                 sb.member(dark_new, da, status="Created"), sb.member(inv_admin, da),
                                 sb.member(offered, da, status="Removed")])
    # R2: the delegated administrator has no detector there
    # an administrator's list also holds an account outside the organisation (it has no cell) and, for Offered,
    # a better record (Invited) than the delegated administrator's (Removed)
    sb.detector(inv_admin, R1, members=[sb.member("444455556666", inv_admin, invited=True, detector_id="dout"),
                                        sb.member(offered, inv_admin, status="Invited", invited=True),
                                        sb.member(q, inv_admin, status="Removed"),
                                        sb.member(left, inv_admin, status="Resigned"),
                                        sb.member(stopped, inv_admin, status="Disabled", invited=True)])
    # its organisation configuration (the legacy flag alone, false) is the only one in R3
    sb.detector(old, R3, administrator={}, org_config={"AutoEnable": False})
    narrow = sb.account("Narrow")  # R3 is missing from its region list (account:ListRegions)
    sb.docs[narrow]["Regions"] = [x for x in sb.docs[narrow]["Regions"] if x["RegionName"] != R3]
    # two detectors in one region, the suspended one listed first: the enabled one is the account's
    sb.detector(two, R1, status="DISABLED", administrator={})
    r = sb.docs[two]["GuardDuty"][R1]
    r["DetectorIds"] = ["a-suspended", f"d{two}useast1"]
    r["Detectors"] = {"a-suspended": r["Detectors"][f"d{two}useast1"], f"d{two}useast1": {
        **r["Detectors"][f"d{two}useast1"], "Status": "ENABLED"}}
    sb.detector(offered, R1, administrator={"AccountId": inv_admin, "RelationshipStatus": "Invited",
                                            "InvitationId": "i", "InvitedAt": "2026-01-01T00:00:00.000Z"})
    # Q: its old administrator lists it as Removed; it accepted another administrator's invitation since
    sb.detector(q, R1, administrator={"AccountId": "999999999999", "RelationshipStatus": "Enabled",
                                      "InvitationId": "x", "InvitedAt": "2025-11-30T00:00:00.000Z"})
    # Stopped: the administrator stopped monitoring it (its record says Disabled), its own view says Enabled
    sb.detector(stopped, R1, administrator={"AccountId": inv_admin, "RelationshipStatus": "Enabled",
                                            "InvitationId": "y"})
    return guardduty_coverage(sb.load(tmp_path_factory.mktemp("gd2") / "snap")), locals()


def test_every_cell_of_the_relationships_fixture_says_exactly_why(more_ids):
    df, ids = more_ids
    da, ia = ids["da"], ids["inv_admin"]
    dark_read = "the account's own read: not read: account not reachable (AccessDenied)"
    got = _table(df, ids, {"da", "inv_admin", "two", "offered", "q", "stopped", "dark_inv", "dark_new", "old",
                           "paused", "left", "narrow"})
    d = {a: f"d{ids[a]}useast1" for a in ("da", "inv_admin", "two", "offered", "q", "stopped", "paused")}
    expected = {
        ("da", R1): ("administrator",
                     "the organization's delegated GuardDuty administrator for the region with 3 member(s)",
                     d["da"], None, d["da"], None),
        ("da", R2): ("none", "no detector; it is the delegated administrator for the region but has no detector",
                     "guardduty:ListDetectors", None, None, None),
        # members: the outside account, Offered, Stopped (Q's Removed is not live); its own administrator is not
        # shown, its relationship is
        ("inv_admin", R1): ("administrator", "GuardDuty administrator with 3 member(s)", d["inv_admin"], None,
                            d["inv_admin"], "Enabled"),
        ("two", R1): ("standalone", "detector enabled, no administrator; 2 detectors in the region", d["two"],
                      None, d["two"], None),
        ("offered", R1): ("standalone", f"detector enabled; the membership offered by {ia} is Invited, not accepted",
                          d["offered"], ia, d["offered"], "Invited"),
        ("q", R1): ("invited_member", "member of 999999999999 by invitation (invited 2025-11-30)", d["q"],
                    "999999999999", d["q"], "Enabled"),
        # its own view wins over the Disabled record of the same administrator, whose record holds the invitation
        ("stopped", R1): ("invited_member", f"member of {ia} by invitation (invited 2026-01-01)", d["stopped"], ia,
                          d["stopped"], "Enabled"),
        ("dark_inv", R1): ("invited_member", f"member of {da} by invitation, seen through its member list; "
                           + dark_read, da, da, "ddarkinv", "Enabled"),
        ("dark_new", R1): ("pending", f"membership created by {da} (Created), not enabled; " + dark_read, da, da,
                           None, "Created"),
        ("paused", R1): ("suspended", f"detector {d['paused']} is suspended (status DISABLED)", d["paused"], None,
                         d["paused"], None),
        ("left", R1): ("none", f"no detector; {ia} lists it as Resigned", "guardduty:ListDetectors", ia, None,
                       "Resigned"),
        ("narrow", R3): ("not_applicable", "region not enabled for the account (not in its region list: "
                         "account:ListRegions)", "account:ListRegions", None, None, None),
        # an administrator being removed is not the delegated administrator
        ("old", R3): ("standalone", "detector enabled, no administrator", f"d{ids['old']}eusouth1", None,
                      f"d{ids['old']}eusouth1", None),
    }
    for a in ("dark_inv", "dark_new"):
        for r in (R2, R3):
            expected[(a, r)] = ("unknown", "not read: account not reachable (AccessDenied)", "sts:AssumeRole",
                                None, None, None)
    for key in got.keys() - expected.keys():
        expected[key] = ("none", "no detector", "guardduty:ListDetectors", None, None, None)
    assert got == expected
    assert cell(df, ids["narrow"], R3)["auto_enable"] == "NONE"  # AutoEnable false: new members are not enrolled


def test_an_organisation_without_cells_is_an_empty_frame_with_every_column(tmp_path):
    from orgkit.coverage.guardduty import COLUMNS

    df = guardduty_coverage(SnapshotSpec(regions=[]).load(tmp_path / "s"))
    assert list(df.columns) == COLUMNS and len(df) == 0


@pytest.fixture(scope="module")
def two_configs(tmp_path_factory):
    """Organisation configurations of two administrators in a region (the delegated one's counts, whichever is
    listed first), the legacy AutoEnable flag alone, and a region whose configuration is not the delegated admin's."""
    sb = SnapshotSpec(regions=[R1, R2, R3])
    a, b = sb.account("A"), sb.account("B")
    m, inv, susp = sb.account("M"), sb.account("Inv"), sb.account("Susp")
    sb.gd_admins = {R1: [{"AdminAccountId": a, "AdminStatus": "ENABLED"}],
                    R2: [{"AdminAccountId": b, "AdminStatus": "ENABLED"}]}

    def cfg(mode, *plans, legacy=None):
        c = {"Features": [{"Name": p, "AutoEnable": "NEW"} for p in plans]}
        if mode:
            c["AutoEnableOrganizationMembers"] = mode
        if legacy is not None:
            c["AutoEnable"] = legacy
        return c

    # R1: A (delegated, listed first) auto-enables S3 and EKS audit logs; B's configuration there does not count
    sb.detector(a, R1, members=[sb.member(m, a), sb.member(inv, a, invited=True), sb.member(susp, a)],
                org_config=cfg("ALL", "S3_DATA_EVENTS", "EKS_AUDIT_LOGS"), features=[])  # A's plans unknown
    sb.detector(b, R1, org_config=cfg("NONE", "EBS_MALWARE_PROTECTION"), features=detector_features())
    # R2: B (delegated, listed second) auto-enables Lambda; A's legacy flag says NONE there
    sb.detector(a, R2, org_config=cfg(None, "RDS_LOGIN_EVENTS", legacy=False), features=detector_features())
    sb.detector(b, R2, members=[sb.member(m, b)], org_config=cfg("NEW", "LAMBDA_NETWORK_LOGS"), features=detector_features())
    # R3: no delegated administrator; A's configuration (legacy flag only) is the only one
    sb.detector(a, R3, members=[sb.member(m, a)], org_config=cfg(None, "RDS_LOGIN_EVENTS", legacy=True),
                features=detector_features({"S3_DATA_EVENTS"}))
    for r in (R1, R2, R3):
        sb.detector(m, r, features=detector_features())
    sb.detector(inv, R1, features=detector_features({"S3_DATA_EVENTS", "EKS_AUDIT_LOGS"}))
    sb.detector(susp, R1, status="DISABLED", features=detector_features())
    return sb.load(tmp_path_factory.mktemp("cfg") / "snap"), locals()


def test_the_delegated_administrators_configuration_decides_and_the_legacy_flag_is_read(two_configs):
    org, ids = two_configs
    df = guardduty_coverage(org)
    a, b = ids["a"], ids["b"]
    assert {r: cell(df, ids["m"], r)["auto_enable"] for r in (R1, R2, R3)} == {R1: "ALL", R2: "NEW", R3: "NEW"}
    assert cell(df, a, R2)["auto_enable"] == "NEW"  # the region's answer, not the account's own configuration
    why = "(the organisation configuration auto-enables them)"
    got = {r: tuple(cell(df, ids["m"], r)[c] for c in ("status", "reason", "required_plans", "missing_plans"))
           for r in (R1, R2, R3)}
    assert got == {
        R1: ("partial", f"member of {a} through AWS Organizations, the organization's delegated administrator; "
                        f"required protection plans off: S3_DATA_EVENTS, EKS_AUDIT_LOGS {why}",
             ("S3_DATA_EVENTS", "EKS_AUDIT_LOGS"), ("S3_DATA_EVENTS", "EKS_AUDIT_LOGS")),
        R2: ("partial", f"member of {b} through AWS Organizations, the organization's delegated administrator; "
                        f"required protection plans off: LAMBDA_NETWORK_LOGS {why}",
             ("LAMBDA_NETWORK_LOGS",), ("LAMBDA_NETWORK_LOGS",)),
        R3: ("partial", f"member of {a} through AWS Organizations; required protection plans off: RDS_LOGIN_EVENTS "
                        f"{why}", ("RDS_LOGIN_EVENTS",), ("RDS_LOGIN_EVENTS",)),
    }
    r = cell(df, a, R3)  # an administrator misses a plan its own configuration auto-enables
    assert (r["status"], r["missing_plans"]) == ("partial", ("RDS_LOGIN_EVENTS",))
    r = cell(df, a, R1)  # its detector reports no features: its plans are not known, never judged
    assert (r["status"], r["plans"], r["required_plans"]) == ("administrator", None, None)
    r = cell(df, ids["inv"], R1)  # an invitation member is judged too
    assert (r["status"], r["missing_plans"]) == ("invited_member", ())
    r = cell(df, ids["susp"], R1)  # a suspended detector is suspended, whatever its plans
    assert (r["status"], r["plans"], r["missing_plans"]) == ("suspended", None, None)
    assert cell(df, ids["m"], R1)["plans"] == {p: "DISABLED" for p in (
        "S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "RUNTIME_MONITORING", "EKS_ADDON_MANAGEMENT",
        "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
        "LAMBDA_NETWORK_LOGS")}  # the foundational sources (CLOUD_TRAIL, DNS_LOGS, FLOW_LOGS) are not plans


def test_required_everywhere_is_said_and_the_administrators_own_plans_are_its_requirement(two_configs, plans_org):
    org, ids = two_configs
    r = cell(guardduty_coverage(org, require_plans="ebs_malware_protection, LAMBDA_NETWORK_LOGS"), ids["m"], R1)
    assert r["reason"] == (f"member of {ids['a']} through AWS Organizations, the organization's delegated "
                           "administrator; required protection plans off: EBS_MALWARE_PROTECTION, LAMBDA_NETWORK_LOGS "
                           "(required everywhere)")
    org, ids = plans_org
    r = cell(guardduty_coverage(org), ids["sec"], R2)  # no configuration there: the administrator's own plans
    assert (r["status"], r["required_plans"], r["missing_plans"]) == ("administrator", ("S3_DATA_EVENTS",), ())


def test_plan_names_are_checked_and_ordered():
    from orgkit.coverage.guardduty import PLAN_NAMES, check_plans

    assert check_plans("LAMBDA_NETWORK_LOGS,s3_data_events, ,") == ("S3_DATA_EVENTS", "LAMBDA_NETWORK_LOGS")
    assert check_plans(["None"]) == ()
    with pytest.raises(ValueError) as e:
        check_plans("S3, EKS")
    assert str(e.value) == f"unknown protection plan S3, EKS; plans: {', '.join(PLAN_NAMES)} (or none)"


def test_plan_status_reads_features_as_getdetector_gives_them():
    from orgkit.coverage.guardduty import auto_enabled_plans, plan_status

    rm = lambda status, agent: {"Name": "RUNTIME_MONITORING", "Status": status,  # noqa: E731
                                "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": agent}]}
    legacy = lambda status, agent: {**rm(status, agent), "Name": "EKS_RUNTIME_MONITORING"}  # noqa: E731
    assert plan_status(["junk", {"Name": "S3_DATA_EVENTS", "Status": "ENABLED"},
                        {"Name": "CLOUD_TRAIL", "Status": "ENABLED"}]) == {"S3_DATA_EVENTS": "ENABLED"}
    assert plan_status([]) is None and plan_status(None) is None
    # Runtime Monitoring's own agent setting wins over the legacy feature's, in either order
    for feats in ([legacy("ENABLED", "ENABLED"), rm("ENABLED", "DISABLED")],
                  [rm("ENABLED", "DISABLED"), legacy("ENABLED", "ENABLED")]):
        got = plan_status(feats)
        assert got == {"RUNTIME_MONITORING": "ENABLED", "EKS_RUNTIME_MONITORING": "ENABLED",
                       "EKS_ADDON_MANAGEMENT": "DISABLED"}, feats
    # the legacy feature alone: its agent setting counts
    assert plan_status([legacy("ENABLED", "ENABLED")]) == {"EKS_RUNTIME_MONITORING": "ENABLED",
                                                           "EKS_ADDON_MANAGEMENT": "ENABLED"}
    f = rm("ENABLED", "ENABLED")
    f["AdditionalConfiguration"] += ["junk", {"Name": "SOMETHING_ELSE", "Status": "ENABLED"}]
    assert plan_status([f]) == {"RUNTIME_MONITORING": "ENABLED", "EKS_ADDON_MANAGEMENT": "ENABLED"}
    # an organisation configuration's Features: NEW and ALL auto-enable, agent management included
    cfg = ["junk", {"Name": "S3_DATA_EVENTS", "AutoEnable": "ALL"},
           {"Name": "RUNTIME_MONITORING", "AutoEnable": "NEW", "AdditionalConfiguration": [
               {"Name": "EC2_AGENT_MANAGEMENT", "AutoEnable": "ALL"}, {"Name": "EKS_ADDON_MANAGEMENT",
                                                                     "AutoEnable": "NONE"}]}]
    assert auto_enabled_plans(cfg) == ("S3_DATA_EVENTS", "RUNTIME_MONITORING", "EC2_AGENT_MANAGEMENT")
    assert auto_enabled_plans([]) is None and auto_enabled_plans("S3_DATA_EVENTS") is None


def test_the_plans_view_of_the_cli_shows_each_plan_of_each_judged_detector(plans_org, tmp_path, capsys):
    import json

    from orgkit.cli import main

    _, ids = plans_org
    snap = ids["sb"].write(tmp_path / "snap")
    assert main(["coverage", str(snap), "--plans", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    name = {ids[k]: k for k in ("sec", "full", "nofargate", "nos3", "alone")}
    got = {(name[r["account_id"]], r["region"]): r for r in rows}
    assert set(got) == {(a, r) for a in ("sec", "full", "nofargate", "nos3") for r in (R1, R2)} | {("alone", R1)}
    plans = ["S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "RUNTIME_MONITORING", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
             "LAMBDA_NETWORK_LOGS", "EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT"]
    assert list(rows[0]) == ["account_id", "account_name", "region", "status", *plans, "missing_plans"]
    r = got[("nofargate", R1)]
    assert (r["account_name"], r["status"], r["missing_plans"]) == ("NoFargate", "partial",
                                                                    "ECS_FARGATE_AGENT_MANAGEMENT")
    assert [r[p] for p in plans] == ["on", "off", "on", "off", "off", "off", "off", "off (required)", "off"]
    r = got[("alone", R1)]  # a standalone detector: every required plan named, off
    assert r["status"] == "standalone"
    assert r["missing_plans"] == "S3_DATA_EVENTS, RUNTIME_MONITORING, ECS_FARGATE_AGENT_MANAGEMENT"
    assert [r[p] for p in plans] == ["off (required)", "off", "off (required)", "off", "off", "off", "off",
                                     "off (required)", "off"]
    r = got[("nos3", R2)]
    assert (r["status"], r["missing_plans"], r["S3_DATA_EVENTS"], r["RUNTIME_MONITORING"]) == (
        "partial", "S3_DATA_EVENTS", "off (required)", "on")


def test_the_plans_view_leaves_a_plan_the_detector_does_not_report_empty(tmp_path, org_and_ids):
    from orgkit.coverage.guardduty import plan_view

    df, ids = org_and_ids
    empty = plan_view(df[df["account_id"] != ids["orgm"]])  # no other detector there reports its features
    assert len(empty) == 0 and list(empty.columns)[-2:] == ["EC2_AGENT_MANAGEMENT", "missing_plans"]

    sb = SnapshotSpec(regions=[R1])
    a = sb.account("A")
    sb.detector(a, R1, administrator={}, features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}])
    sb.detector(sb.management, R1, administrator={})  # no features reported: not in the view
    v = plan_view(guardduty_coverage(sb.load(tmp_path / "s")))
    assert v.to_dict("records") == [{"account_id": a, "account_name": "A", "region": R1, "status": "standalone",
                                     "S3_DATA_EVENTS": "on", **{p: None for p in (
                                         "EKS_AUDIT_LOGS", "RUNTIME_MONITORING", "EBS_MALWARE_PROTECTION",
                                         "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "EKS_ADDON_MANAGEMENT",
                                         "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT")},
                                     "missing_plans": ""}]


def test_the_plans_view_says_not_applicable_where_aws_does_not_offer_the_plan(tmp_path):
    # issue 22 (mutation sample, seed 22): RDS Protection is not offered in Asia Pacific (Taipei), ap-east-2
    # (orgkit/guardduty/availability.py cites the page); the detector's report of the plan does not change that
    from orgkit.coverage.guardduty import plan_view

    sb = SnapshotSpec(regions=["ap-east-2"])
    a = sb.account("A")
    sb.detector(a, "ap-east-2", administrator={}, features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"},
                                                             {"Name": "RDS_LOGIN_EVENTS", "Status": "DISABLED"}])
    v = plan_view(guardduty_coverage(sb.load(tmp_path / "s")))
    assert v.to_dict("records") == [{"account_id": a, "account_name": "A", "region": "ap-east-2",
                                     "status": "standalone", "S3_DATA_EVENTS": "on", "RDS_LOGIN_EVENTS":
                                     "not_applicable", **{p: None for p in (
                                         "EKS_AUDIT_LOGS", "RUNTIME_MONITORING", "EBS_MALWARE_PROTECTION",
                                         "LAMBDA_NETWORK_LOGS", "EKS_ADDON_MANAGEMENT",
                                         "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT")},
                                     "missing_plans": ""}]


def test_required_plans_aws_does_not_offer_in_the_region_are_named_whole(tmp_path):
    # issue 22 (mutation sample, seed 23): Runtime Monitoring and its EC2 agent management are not offered in the
    # China Regions (orgkit/guardduty/availability.py cites the page): not applicable there, never missing
    sb = SnapshotSpec(regions=["cn-north-1"])
    a = sb.account("A")
    sb.detector(a, "cn-north-1", administrator={}, features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}])
    df = guardduty_coverage(sb.load(tmp_path / "s"),
                            require_plans="S3_DATA_EVENTS,RUNTIME_MONITORING,EC2_AGENT_MANAGEMENT")
    r = df[df["account_id"] == a].iloc[0]
    assert (r["status"], r["reason"], r["required_plans"], r["missing_plans"]) == (
        "standalone", "detector enabled, no administrator; not applicable in cn-north-1: RUNTIME_MONITORING, "
        "EC2_AGENT_MANAGEMENT (AWS does not offer them there: "
        "https://docs.amazonaws.cn/en_us/aws/latest/userguide/guardduty.html)", ("S3_DATA_EVENTS",), ())
