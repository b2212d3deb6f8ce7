"""CloudTrail Lake event data stores in the local AWS, as AWS documents them (conformance rows L1-L3)."""

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
    for acct in (member, admin):  # L1: member accounts can't see the organization event data store
        assert aws.client("cloudtrail", acct).list_event_data_stores()["EventDataStores"] == []
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
