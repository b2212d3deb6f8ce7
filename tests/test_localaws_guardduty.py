"""GuardDuty as the local AWS serves it: detectors, members, invitations, the organization admin, auto-enable.

Through boto3 over HTTP against one orgkit.localaws server for the module, reset between tests.
"""

import pytest
from botocore.exceptions import ClientError

from orgkit.localaws.testing import Accounts, error_code


@pytest.fixture
def aws(server):
    server.reset()
    server.seed(7)
    return Accounts(server.endpoint_url)


def statuses(gd, detector_id, only_associated="false"):
    members = gd.list_members(DetectorId=detector_id, OnlyAssociated=only_associated)["Members"]
    return {m["AccountId"]: m for m in members}


def test_one_detector_per_region_as_aws(aws):
    gd = aws.client("guardduty")
    gd.create_detector(Enable=True)
    with pytest.raises(ClientError) as e:
        gd.create_detector(Enable=True)
    assert error_code(e.value) == ("BadRequestException", 400)
    assert "detector already exists" in e.value.response["Error"]["Message"]
    assert len(gd.list_detectors()["DetectorIds"]) == 1
    aws.client("guardduty", region="eu-west-1").create_detector(Enable=True)  # another region is fine


def test_get_detector_shows_features_and_data_sources(aws):
    gd = aws.client("guardduty")
    did = gd.create_detector(Enable=True, Features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}])["DetectorId"]
    d = gd.get_detector(DetectorId=did)
    feats = {f["Name"]: f["Status"] for f in d["Features"]}
    assert feats["CLOUD_TRAIL"] == feats["DNS_LOGS"] == feats["FLOW_LOGS"] == "ENABLED"
    assert feats["S3_DATA_EVENTS"] == "ENABLED" and feats["EKS_AUDIT_LOGS"] == "DISABLED"
    assert d["DataSources"]["S3Logs"]["Status"] == "ENABLED"
    assert d["DataSources"]["CloudTrail"]["Status"] == "ENABLED"
    gd.update_detector(DetectorId=did, Enable=False, Features=[{"Name": "S3_DATA_EVENTS", "Status": "DISABLED"}])
    d = gd.get_detector(DetectorId=did)
    assert d["Status"] == "DISABLED"
    assert d["DataSources"]["S3Logs"]["Status"] == "DISABLED"


def test_invitation_state_machine(aws):
    admin, member = aws.make_org(2)  # invitations work between any accounts; no delegated admin here
    gd_a, gd_m = aws.client("guardduty", admin), aws.client("guardduty", member)
    da, dm = aws.detector(admin), aws.detector(member)

    assert gd_a.create_members(DetectorId=da, AccountDetails=[{"AccountId": member, "Email": "m@example.com"}])[
        "UnprocessedAccounts"] == []
    m = statuses(gd_a, da)[member]
    assert m["RelationshipStatus"] == "Created" and "InvitedAt" not in m
    assert gd_a.list_members(DetectorId=da)["Members"] == []  # OnlyAssociated defaults to "true"

    gd_a.invite_members(DetectorId=da, AccountIds=[member])
    m = statuses(gd_a, da)[member]
    assert m["RelationshipStatus"] == "Invited" and m["InvitedAt"] and m["Email"] == "m@example.com"
    inv = gd_m.list_invitations()["Invitations"]
    assert [(i["AccountId"], i["RelationshipStatus"]) for i in inv] == [(admin, "Invited")]
    assert gd_m.get_invitations_count()["InvitationsCount"] == 1
    assert "Administrator" not in gd_m.get_administrator_account(DetectorId=dm)

    gd_m.accept_administrator_invitation(DetectorId=dm, AdministratorId=admin, InvitationId=inv[0]["InvitationId"])
    assert statuses(gd_a, da, "true")[member]["RelationshipStatus"] == "Enabled"
    adm = gd_m.get_administrator_account(DetectorId=dm)["Administrator"]
    assert adm["AccountId"] == admin and adm["RelationshipStatus"] == "Enabled"
    assert adm["InvitationId"] == inv[0]["InvitationId"] and adm["InvitedAt"] == inv[0]["InvitedAt"]
    assert gd_m.list_invitations()["Invitations"] == []

    gd_m.update_detector(DetectorId=dm, Enable=False)  # the member suspends its detector
    assert statuses(gd_a, da)[member]["RelationshipStatus"] == "Disabled"
    gd_m.update_detector(DetectorId=dm, Enable=True)
    gd_a.stop_monitoring_members(DetectorId=da, AccountIds=[member])
    assert statuses(gd_a, da)[member]["RelationshipStatus"] == "Disabled"
    gd_a.start_monitoring_members(DetectorId=da, AccountIds=[member])
    assert statuses(gd_a, da)[member]["RelationshipStatus"] == "Enabled"

    gd_m.disassociate_from_administrator_account(DetectorId=dm)  # the member leaves
    assert statuses(gd_a, da)[member]["RelationshipStatus"] == "Resigned"
    assert "Administrator" not in gd_m.get_administrator_account(DetectorId=dm)

    gd_a.invite_members(DetectorId=da, AccountIds=[member])
    inv = gd_m.list_invitations()["Invitations"][0]
    gd_m.accept_administrator_invitation(DetectorId=dm, AdministratorId=admin, InvitationId=inv["InvitationId"])
    gd_a.disassociate_members(DetectorId=da, AccountIds=[member])  # the administrator removes it
    assert statuses(gd_a, da)[member]["RelationshipStatus"] == "Removed"
    assert gd_m.get_administrator_account(DetectorId=dm)["Administrator"]["RelationshipStatus"] == "Removed"

    gd_a.delete_members(DetectorId=da, AccountIds=[member])
    assert statuses(gd_a, da) == {}
    with pytest.raises(ClientError) as e:
        gd_a.list_members(DetectorId=da, MaxResults=51)
    assert error_code(e.value) == ("BadRequestException", 400)
    got = gd_a.get_members(DetectorId=da, AccountIds=[member])
    assert got["Members"] == [] and got["UnprocessedAccounts"][0]["AccountId"] == member


def test_wrong_invitation_and_unknown_detector(aws):
    admin, member = aws.make_org(2)
    gd_a, gd_m = aws.client("guardduty", admin), aws.client("guardduty", member)
    da, dm = aws.detector(admin), aws.detector(member)
    gd_a.create_members(DetectorId=da, AccountDetails=[{"AccountId": member, "Email": "m@example.com"}])
    gd_a.invite_members(DetectorId=da, AccountIds=[member])
    with pytest.raises(ClientError) as e:
        gd_m.accept_administrator_invitation(DetectorId=dm, AdministratorId=admin, InvitationId="0" * 32)
    assert error_code(e.value) == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:
        gd_a.list_members(DetectorId="f" * 32)
    assert error_code(e.value) == ("BadRequestException", 400)
    un = gd_a.invite_members(DetectorId=da, AccountIds=["999999999999"])["UnprocessedAccounts"]
    assert un[0]["AccountId"] == "999999999999" and un[0]["Result"]


def test_legacy_accept_invitation_and_master_calls(aws):
    admin, member = aws.make_org(2)
    gd_a, gd_m = aws.client("guardduty", admin), aws.client("guardduty", member)
    da, dm = aws.detector(admin), aws.detector(member)
    gd_a.create_members(DetectorId=da, AccountDetails=[{"AccountId": member, "Email": "m@example.com"}])
    gd_a.invite_members(DetectorId=da, AccountIds=[member])
    inv = gd_m.list_invitations()["Invitations"][0]
    gd_m.accept_invitation(DetectorId=dm, MasterId=admin, InvitationId=inv["InvitationId"])
    master = gd_m.get_master_account(DetectorId=dm)["Master"]
    assert master["AccountId"] == admin and master["RelationshipStatus"] == "Enabled"
    m = statuses(gd_a, da)[member]
    assert m["MasterId"] == m["AdministratorId"] == admin
    gd_m.disassociate_from_master_account(DetectorId=dm)
    assert statuses(gd_a, da)[member]["RelationshipStatus"] == "Resigned"


def test_one_administrator_per_account(aws):
    a1, a2, member = aws.make_org(3)
    gd_m = aws.client("guardduty", member)
    dm = aws.detector(member)
    for admin in (a1, a2):
        gd = aws.client("guardduty", admin)
        d = aws.detector(admin)
        gd.create_members(DetectorId=d, AccountDetails=[{"AccountId": member, "Email": "m@example.com"}])
        gd.invite_members(DetectorId=d, AccountIds=[member])
    invs = {i["AccountId"]: i["InvitationId"] for i in gd_m.list_invitations()["Invitations"]}
    gd_m.accept_administrator_invitation(DetectorId=dm, AdministratorId=a1, InvitationId=invs[a1])
    with pytest.raises(ClientError) as e:
        gd_m.accept_administrator_invitation(DetectorId=dm, AdministratorId=a2, InvitationId=invs[a2])
    assert error_code(e.value) == ("BadRequestException", 400)
    assert gd_m.get_administrator_account(DetectorId=dm)["Administrator"]["AccountId"] == a1
    # declining the other invitation removes it
    assert gd_m.decline_invitations(AccountIds=[a2])["UnprocessedAccounts"] == []
    assert gd_m.list_invitations()["Invitations"] == []
    assert gd_m.delete_invitations(AccountIds=[a2])["UnprocessedAccounts"][0]["AccountId"] == a2


def test_organization_admin_is_tied_to_organizations(aws):
    admin, other = aws.make_org(2)
    gd_mgmt = aws.client("guardduty")
    org = aws.client("organizations")
    with pytest.raises(ClientError) as e:  # only the management account may do it
        aws.client("guardduty", admin).enable_organization_admin_account(AdminAccountId=other)
    assert error_code(e.value) == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:  # the admin must be an organization account
        gd_mgmt.enable_organization_admin_account(AdminAccountId="111122223333")
    assert error_code(e.value) == ("BadRequestException", 400)

    gd_mgmt.enable_organization_admin_account(AdminAccountId=admin)
    assert len(aws.client("guardduty", admin).list_detectors()["DetectorIds"]) == 1  # GuardDuty enabled for it
    assert gd_mgmt.list_organization_admin_accounts()["AdminAccounts"] == [
        {"AdminAccountId": admin, "AdminStatus": "ENABLED"}]
    delegated = org.list_delegated_administrators(ServicePrincipal="guardduty.amazonaws.com")
    assert [d["Id"] for d in delegated["DelegatedAdministrators"]] == [admin]
    services = [s["ServicePrincipal"] for s in org.list_aws_service_access_for_organization()[
        "EnabledServicePrincipals"]]
    assert "guardduty.amazonaws.com" in services
    # the same admin in another region is fine; a different one is not
    aws.client("guardduty", region="eu-west-1").enable_organization_admin_account(AdminAccountId=admin)
    with pytest.raises(ClientError) as e:
        aws.client("guardduty", region="eu-central-1").enable_organization_admin_account(AdminAccountId=other)
    assert error_code(e.value) == ("BadRequestException", 400)

    gd_mgmt.disable_organization_admin_account(AdminAccountId=admin)
    assert gd_mgmt.list_organization_admin_accounts()["AdminAccounts"] == []
    assert len(org.list_delegated_administrators(ServicePrincipal="guardduty.amazonaws.com")[
        "DelegatedAdministrators"]) == 1  # still delegated in eu-west-1
    aws.client("guardduty", region="eu-west-1").disable_organization_admin_account(AdminAccountId=admin)
    assert org.list_delegated_administrators(ServicePrincipal="guardduty.amazonaws.com")[
        "DelegatedAdministrators"] == []


def test_delegated_admin_creates_org_members_directly(aws):
    admin, member, outsider_admin = aws.make_org(3)
    aws.client("guardduty").enable_organization_admin_account(AdminAccountId=admin)
    gd_a = aws.client("guardduty", admin)
    da = aws.detector(admin)
    gd_m = aws.client("guardduty", member)
    assert gd_m.list_detectors()["DetectorIds"] == []

    gd_a.create_members(DetectorId=da, AccountDetails=[{"AccountId": member, "Email": "m@example.com"}])
    m = statuses(gd_a, da, "true")[member]
    assert m["RelationshipStatus"] == "Enabled" and "InvitedAt" not in m
    dm = gd_m.list_detectors()["DetectorIds"][0]  # GuardDuty was enabled in the member
    assert gd_m.list_invitations()["Invitations"] == []
    adm = gd_m.get_administrator_account(DetectorId=dm)["Administrator"]
    assert adm == {"AccountId": admin, "RelationshipStatus": "Enabled"}
    with pytest.raises(ClientError) as e:  # an organization member cannot leave by itself
        gd_m.disassociate_from_administrator_account(DetectorId=dm)
    assert error_code(e.value) == ("BadRequestException", 400)
    # the delegated admin can disassociate it (auto-enable is not ALL)
    gd_a.disassociate_members(DetectorId=da, AccountIds=[member])
    assert statuses(gd_a, da)[member]["RelationshipStatus"] == "Removed"
    # a non-delegated account creating the same member only gets a Created (invitation) member
    gd_o = aws.client("guardduty", outsider_admin)
    do = aws.detector(outsider_admin)
    gd_o.create_members(DetectorId=do, AccountDetails=[{"AccountId": member, "Email": "m@example.com"}])
    assert statuses(gd_o, do)[member]["RelationshipStatus"] == "Created"


def test_organization_configuration_requires_delegated_admin(aws):
    admin, other = aws.make_org(2)
    aws.client("guardduty").enable_organization_admin_account(AdminAccountId=admin)
    with pytest.raises(ClientError) as e:
        aws.client("guardduty", other).describe_organization_configuration(DetectorId=aws.detector(other))
    assert error_code(e.value) == ("BadRequestException", 400)
    cfg = aws.client("guardduty", admin).describe_organization_configuration(DetectorId=aws.detector(admin))
    assert cfg["AutoEnableOrganizationMembers"] == "NONE" and cfg["AutoEnable"] is False
    assert cfg["MemberAccountLimitReached"] is False


def test_auto_enable_all_enrols_existing_accounts_and_blocks_disassociation(aws):
    admin, a, b = aws.make_org(3)
    aws.client("guardduty").enable_organization_admin_account(AdminAccountId=admin)
    gd_a = aws.client("guardduty", admin)
    da = aws.detector(admin)
    gd_a.update_organization_configuration(
        DetectorId=da, AutoEnableOrganizationMembers="ALL",
        Features=[{"Name": "S3_DATA_EVENTS", "AutoEnable": "ALL"}])
    cfg = gd_a.describe_organization_configuration(DetectorId=da)
    assert cfg["AutoEnableOrganizationMembers"] == "ALL" and cfg["AutoEnable"] is True
    assert {f["Name"]: f["AutoEnable"] for f in cfg["Features"]}["S3_DATA_EVENTS"] == "ALL"
    assert cfg["DataSources"]["S3Logs"]["AutoEnable"] is True

    members = statuses(gd_a, da, "true")
    # the management account has no detector: it is the documented exception, enrolled only once enabled
    assert set(members) == {a, b}
    assert all(m["RelationshipStatus"] == "Enabled" and "InvitedAt" not in m for m in members.values())
    aws.client("guardduty").create_detector(Enable=True)
    gd_a.update_organization_configuration(DetectorId=da, AutoEnableOrganizationMembers="ALL")
    assert statuses(gd_a, da, "true")[aws.management]["RelationshipStatus"] == "Enabled"
    db = aws.client("guardduty", b).list_detectors()["DetectorIds"][0]
    feats = {f["Name"]: f["Status"] for f in aws.client("guardduty", b).get_detector(DetectorId=db)["Features"]}
    assert feats["S3_DATA_EVENTS"] == "ENABLED"

    for op in (gd_a.disassociate_members, gd_a.delete_members):
        with pytest.raises(ClientError) as e:
            op(DetectorId=da, AccountIds=[a])
        assert error_code(e.value) == ("BadRequestException", 400)
    # a new account joins: enrolled too
    late = aws.create_account("late")
    assert statuses(gd_a, da, "true")[late]["RelationshipStatus"] == "Enabled"


def test_auto_enable_new_only_enrols_accounts_joining_later(aws):
    admin, existing = aws.make_org(2)
    aws.client("guardduty").enable_organization_admin_account(AdminAccountId=admin)
    gd_a = aws.client("guardduty", admin)
    da = aws.detector(admin)
    gd_a.update_organization_configuration(DetectorId=da, AutoEnable=True)  # the legacy boolean means NEW
    cfg = gd_a.describe_organization_configuration(DetectorId=da)
    assert cfg["AutoEnableOrganizationMembers"] == "NEW" and cfg["AutoEnable"] is True
    assert statuses(gd_a, da) == {}
    assert aws.client("guardduty", existing).list_detectors()["DetectorIds"] == []
    late = aws.create_account("late")
    m = statuses(gd_a, da, "true")[late]
    assert m["RelationshipStatus"] == "Enabled" and "InvitedAt" not in m
    dl = aws.client("guardduty", late).list_detectors()["DetectorIds"][0]
    assert aws.client("guardduty", late).get_administrator_account(DetectorId=dl)["Administrator"][
        "AccountId"] == admin
    # not in a region where the admin has not configured it
    assert aws.client("guardduty", late, "eu-west-1").list_detectors()["DetectorIds"] == []


def test_auto_enable_none_leaves_new_accounts_alone(aws):
    (admin,) = aws.make_org(1)
    aws.client("guardduty").enable_organization_admin_account(AdminAccountId=admin)
    gd_a = aws.client("guardduty", admin)
    da = aws.detector(admin)
    gd_a.update_organization_configuration(DetectorId=da, AutoEnableOrganizationMembers="NONE")
    late = aws.create_account("late")
    assert statuses(gd_a, da) == {}
    assert aws.client("guardduty", late).list_detectors()["DetectorIds"] == []
    with pytest.raises(ClientError) as e:
        gd_a.update_organization_configuration(DetectorId=da, AutoEnableOrganizationMembers="SOME")
    assert error_code(e.value)[1] == 400
    with pytest.raises(ClientError) as e:  # "either autoEnableOrganizationMembers or autoEnable, but not both"
        gd_a.update_organization_configuration(DetectorId=da, AutoEnable=True, AutoEnableOrganizationMembers="NEW")
    assert error_code(e.value) == ("BadRequestException", 400)


def test_invitation_members_become_org_members_when_admin_is_delegated(aws):
    admin, insider = aws.make_org(2)
    outsider = "210987654321"  # an account outside the organization
    gd_a = aws.client("guardduty", admin)
    da = aws.detector(admin)
    for acct in (insider, outsider):
        gd_a.create_members(DetectorId=da, AccountDetails=[{"AccountId": acct, "Email": f"{acct}@example.com"}])
    gd_a.invite_members(DetectorId=da, AccountIds=[insider, outsider])
    for acct in (insider, outsider):
        gd = aws.client("guardduty", acct)
        d = aws.detector(acct)
        inv = gd.list_invitations()["Invitations"][0]
        gd.accept_administrator_invitation(DetectorId=d, AdministratorId=admin, InvitationId=inv["InvitationId"])
    before = statuses(gd_a, da, "true")
    assert "InvitedAt" in before[insider] and "InvitedAt" in before[outsider]

    aws.client("guardduty").enable_organization_admin_account(AdminAccountId=admin)
    after = statuses(gd_a, da, "true")
    assert "InvitedAt" not in after[insider] and after[insider]["RelationshipStatus"] == "Enabled"
    assert "InvitedAt" in after[outsider] and after[outsider]["RelationshipStatus"] == "Enabled"
    gd_i = aws.client("guardduty", insider)
    adm = gd_i.get_administrator_account(DetectorId=aws.detector(insider))["Administrator"]
    assert "InvitationId" not in adm


def test_org_members_are_not_enrolled_where_the_region_is_off(aws):
    admin, on, off = aws.make_org(3, trusted=("account.amazonaws.com",))
    acct = aws.client("account")
    for a in (admin, on):
        acct.enable_region(AccountId=a, RegionName="eu-south-1")
    acct.enable_region(RegionName="eu-south-1")
    aws.client("guardduty", region="eu-south-1").enable_organization_admin_account(AdminAccountId=admin)
    gd_a = aws.client("guardduty", admin, "eu-south-1")
    da = aws.detector(admin, "eu-south-1")
    un = gd_a.create_members(DetectorId=da, AccountDetails=[{"AccountId": off, "Email": "off@example.com"}])
    assert [u["AccountId"] for u in un["UnprocessedAccounts"]] == [off]
    gd_a.update_organization_configuration(DetectorId=da, AutoEnableOrganizationMembers="ALL")
    assert set(statuses(gd_a, da, "true")) == {on}  # (the management account has no detector of its own)
