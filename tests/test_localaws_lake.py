"""CloudTrail Lake event data stores in the local AWS, as AWS documents them (conformance rows L1-L4)."""

import pytest
from botocore.exceptions import ClientError

from orgkit.localaws.testing import Accounts, error_code


@pytest.fixture
def aws(server):
    server.reset()
    server.seed(12)
    return Accounts(server.endpoint_url)


def test_organization_event_data_store_lives_in_the_management_account_unseen_by_members(aws):
    (admin, member) = aws.make_org(2, trusted=("cloudtrail.amazonaws.com",))
    aws.client("organizations").register_delegated_administrator(AccountId=admin,
                                                                 ServicePrincipal="cloudtrail.amazonaws.com")
    by_admin = aws.client("cloudtrail", admin).create_event_data_store(Name="org-lake", OrganizationEnabled=True)
    assert f":{aws.management}:eventdatastore/" in by_admin["EventDataStoreArn"]  # L1: it exists in the management
    assert by_admin["Status"] == "ENABLED" and by_admin["MultiRegionEnabled"] is True
    assert by_admin["TerminationProtectionEnabled"] is True
    # L2: all management events by default
    assert by_admin["AdvancedEventSelectors"] == [{"Name": "Default management events", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}]}]
    listed = aws.client("cloudtrail").list_event_data_stores()["EventDataStores"]
    assert [e["EventDataStoreArn"] for e in listed] == [by_admin["EventDataStoreArn"]]
    # L1: member accounts can't see the organization event data store
    assert aws.client("cloudtrail", member).list_event_data_stores()["EventDataStores"] == []
    with pytest.raises(ClientError) as e:
        aws.client("cloudtrail", member).get_event_data_store(EventDataStore=by_admin["EventDataStoreArn"])
    assert error_code(e.value)[0] == "EventDataStoreNotFoundException"
    assert aws.client("cloudtrail", region="eu-west-1").list_event_data_stores()["EventDataStores"] == []
    with pytest.raises(ClientError) as e:  # a member that is not a delegated administrator cannot make one
        aws.client("cloudtrail", member).create_event_data_store(Name="member-lake", OrganizationEnabled=True)
    assert error_code(e.value)[0] == "NotOrganizationMasterAccountException"


def test_ingestion_and_deletion(aws):
    ct = aws.client("cloudtrail")
    arn = ct.create_event_data_store(Name="lake", StartIngestion=False, MultiRegionEnabled=False)["EventDataStoreArn"]
    assert ct.get_event_data_store(EventDataStore=arn)["Status"] == "STOPPED_INGESTION"
    ct.start_event_data_store_ingestion(EventDataStore=arn)
    assert ct.get_event_data_store(EventDataStore=arn.rsplit("/", 1)[1])["Status"] == "ENABLED"
    with pytest.raises(ClientError) as e:  # L3: termination protection (on by default) refuses deletion
        ct.delete_event_data_store(EventDataStore=arn)
    assert error_code(e.value)[0] == "EventDataStoreTerminationProtectedException"
    ct.update_event_data_store(EventDataStore=arn, TerminationProtectionEnabled=False)
    ct.delete_event_data_store(EventDataStore=arn)
    assert ct.get_event_data_store(EventDataStore=arn)["Status"] == "PENDING_DELETION"


def test_the_cloudtrail_delegated_administrator_lists_and_reads_the_organization_stores(aws):
    """L4: the delegated administrator "has administrative permissions on all organization trails and event data
    stores": its ListEventDataStores in a region answers the organization's stores of that region (owned by the
    management account) beside its own; a member that is not (or no longer) delegated administrator sees none."""
    (admin, member) = aws.make_org(2, trusted=("cloudtrail.amazonaws.com",))
    org = aws.client("organizations")
    org.register_delegated_administrator(AccountId=admin, ServicePrincipal="cloudtrail.amazonaws.com")
    mine = aws.client("cloudtrail").create_event_data_store(Name="mgmt-only", MultiRegionEnabled=False)
    org_eds = aws.client("cloudtrail").create_event_data_store(Name="org-lake", OrganizationEnabled=True)
    own = aws.client("cloudtrail", admin).create_event_data_store(Name="admin-own")
    da = aws.client("cloudtrail", admin)
    listed = sorted(e["EventDataStoreArn"] for e in da.list_event_data_stores()["EventDataStores"])
    assert listed == sorted([org_eds["EventDataStoreArn"], own["EventDataStoreArn"]])  # not the management's own
    assert mine["EventDataStoreArn"] not in listed
    got = da.get_event_data_store(EventDataStore=org_eds["EventDataStoreArn"])
    assert got["OrganizationEnabled"] is True and f":{aws.management}:" in got["EventDataStoreArn"]
    da.stop_event_data_store_ingestion(EventDataStore=org_eds["EventDataStoreArn"])  # "start and stop": Yes
    assert aws.client("cloudtrail").get_event_data_store(
        EventDataStore=org_eds["EventDataStoreArn"])["Status"] == "STOPPED_INGESTION"
    # another region: that region's stores only
    assert aws.client("cloudtrail", admin, region="eu-west-1").list_event_data_stores()["EventDataStores"] == []
    # a member sees only its own; a deregistered administrator no longer sees the organization's
    assert aws.client("cloudtrail", member).list_event_data_stores()["EventDataStores"] == []
    org.deregister_delegated_administrator(AccountId=admin, ServicePrincipal="cloudtrail.amazonaws.com")
    assert [e["EventDataStoreArn"] for e in da.list_event_data_stores()["EventDataStores"]] == [
        own["EventDataStoreArn"]]
