"""The server itself: loopback only, reset, fault injection, the call log, strict AssumeRole, and every extended
operation's responses validated against botocore's output shapes."""

import json
import subprocess
import sys
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from orgkit.localaws import LocalAWSError
from orgkit.localaws.ext import EXTENDED_OPERATIONS
from orgkit.localaws.server import _check_loopback
from orgkit.localaws.testing import Accounts, error_code
from orgkit.localaws.validate import ResponseRecorder, validate_parsed, validate_wire


@pytest.fixture
def aws(server):
    server.reset()
    server.set_options(strict_assume_role=False)
    server.seed(3)
    return Accounts(server.endpoint_url)


def test_listens_on_loopback_only(server):
    assert server.endpoint_url.startswith("http://127.0.0.1:")
    for host in ("0.0.0.0", "192.168.1.10", "::", "example.com"):
        with pytest.raises(ValueError):
            _check_loopback(host)
    assert _check_loopback("localhost") == "127.0.0.1"
    with urllib.request.urlopen(f"{server.endpoint_url}/orgkit-local/health") as r:
        assert json.loads(r.read())["ok"] is True


def test_reset_forgets_aws_state_faults_and_calls(server, aws):
    aws.client("guardduty").create_detector(Enable=True)
    server.add_fault("AccessDeniedException", http_status=403, operation="GetDetector")
    assert server.calls() and server.faults()
    server.reset()
    assert server.faults() == [] and server.calls() == []
    assert aws.client("guardduty").list_detectors()["DetectorIds"] == []
    assert aws.client("guardduty").create_detector(Enable=True)["DetectorId"]  # one detector again


def test_fault_scoped_to_account_region_and_operation(server, aws):
    a, b = aws.make_org(2)
    server.add_fault("AccessDeniedException", http_status=403, message="no GuardDuty for you",
                     account_id=a, region="eu-west-1", service="guardduty", operation="list_detectors")
    with pytest.raises(ClientError) as e:
        aws.client("guardduty", a, "eu-west-1").list_detectors()
    assert error_code(e.value) == ("AccessDeniedException", 403)
    assert e.value.response["Error"]["Message"] == "no GuardDuty for you"
    with pytest.raises(ClientError):  # count=None: every time
        aws.client("guardduty", a, "eu-west-1").list_detectors()
    aws.client("guardduty", a, "us-east-1").list_detectors()  # other region
    aws.client("guardduty", b, "eu-west-1").list_detectors()  # other account
    aws.client("guardduty", a, "eu-west-1").list_organization_admin_accounts  # other operation: not called
    with pytest.raises(ClientError):
        aws.client("guardduty", a, "eu-west-1").list_organization_admin_accounts()  # not a fault: not mgmt
    server.clear_faults()
    aws.client("guardduty", a, "eu-west-1").list_detectors()


def test_throttling_is_retried_by_botocore_and_counted(server, aws):
    server.add_fault("ThrottlingException", http_status=400, message="Rate exceeded", service="guardduty",
                     operation="ListDetectors", count=2)
    server.clear_calls()
    gd = boto3.client("guardduty", region_name="us-east-1", endpoint_url=server.endpoint_url,
                      config=Config(retries={"mode": "standard", "max_attempts": 3}), **server.credentials())
    resp = gd.list_detectors()
    assert resp["ResponseMetadata"]["RetryAttempts"] == 2
    calls = [c for c in server.calls() if c["operation"] == "ListDetectors"]
    assert len(calls) == 3 and {c["service"] for c in calls} == {"guardduty"}
    assert server.faults()[0]["hits"] == 2

    server.add_fault("ThrottlingException", message="Rate exceeded", service="guardduty",
                     operation="ListDetectors", count=1)
    no_retry = boto3.client("guardduty", region_name="us-east-1", endpoint_url=server.endpoint_url,
                            config=Config(retries={"mode": "standard", "total_max_attempts": 1}), **server.credentials())
    with pytest.raises(ClientError) as e:
        no_retry.list_detectors()
    assert error_code(e.value) == ("ThrottlingException", 400)


def test_faults_on_query_and_json_protocols(server, aws):
    server.add_fault("Throttling", http_status=400, service="sts", operation="GetCallerIdentity", count=1)
    server.add_fault("AccessDeniedException", http_status=403, service="organizations", operation="ListAccounts",
                     count=1)
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=server.endpoint_url,
                       config=Config(retries={"total_max_attempts": 1}), **server.credentials())
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert error_code(e.value) == ("Throttling", 400)
    with pytest.raises(ClientError) as e:
        aws.client("organizations").list_accounts()
    assert error_code(e.value) == ("AccessDeniedException", 403)
    assert sts.get_caller_identity()["Account"] == "123456789012"  # count exhausted


def test_fault_rules_are_validated(server):
    with pytest.raises(LocalAWSError):
        server._request("POST", "faults", {"error_code": "X", "bogus": 1})
    with pytest.raises(LocalAWSError):
        server._request("POST", "faults", {"http_status": 400})


def test_calls_are_attributed_to_the_assumed_account(server, aws):
    (a,) = aws.make_org(1)
    aws.client("cloudtrail", a, "eu-west-1").list_trails()
    calls = server.calls()
    assert all(c["at"].endswith("Z") for c in calls)  # each call's UTC time (IAM's access reports use it)
    assert {"account_id": a, "region": "eu-west-1", "service": "cloudtrail", "operation": "ListTrails"} in \
        [{k: v for k, v in c.items() if k != "at"} for c in calls]
    server.clear_calls()
    assert server.calls() == []


def test_access_key_lookup_follows_reset(server, aws):
    (a,) = aws.make_org(1)
    sts = aws.client("sts", a)
    assert sts.get_caller_identity()["Account"] == a
    server.reset()  # the assumed-role key is gone with the state: moto falls back to its default account
    assert sts.get_caller_identity()["Account"] == "123456789012"


def test_strict_assume_role(server, aws):
    a, b = aws.make_org(2)
    sts = aws.client("sts")
    server.set_options(strict_assume_role=True)
    # CreateAccount made the OrganizationAccountAccessRole, as AWS does
    sts.assume_role(RoleArn=f"arn:aws:iam::{a}:role/OrganizationAccountAccessRole", RoleSessionName="ok")
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::{a}:role/NoSuchRole", RoleSessionName="no")
    assert error_code(e.value) == ("AccessDenied", 403)
    assert "is not authorized to perform: sts:AssumeRole" in e.value.response["Error"]["Message"]
    # an account whose role was deleted cannot be entered any more
    aws.client("iam", b).delete_role(RoleName="OrganizationAccountAccessRole")
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::{b}:role/OrganizationAccountAccessRole", RoleSessionName="gone")
    assert error_code(e.value) == ("AccessDenied", 403)
    server.set_options(strict_assume_role=False)
    sts.assume_role(RoleArn=f"arn:aws:iam::{a}:role/NoSuchRole", RoleSessionName="lenient")


THREAD_MODE_SCRIPT = """
import boto3
from botocore.exceptions import ClientError
from orgkit.localaws import LocalAWS
with LocalAWS(thread=True, strict_assume_role=True) as aws:
    assert aws.endpoint_url.startswith("http://127.0.0.1:")
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=aws.endpoint_url, **aws.credentials())
    try:
        sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/Nope", RoleSessionName="xx")
    except ClientError as e:
        print(e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
"""


def test_thread_mode_and_strict_option_at_start():
    # In a child process: install() patches moto process-wide, and this test process may run mock_aws tests.
    out = subprocess.run([sys.executable, "-c", THREAD_MODE_SCRIPT], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["AccessDenied", "403"]


ORPHAN_SCRIPT = """
import os
from orgkit.localaws import LocalAWS
aws = LocalAWS().start()
print(aws._proc.pid, flush=True)
os._exit(0)  # the parent dies without stopping its server
"""


def test_server_process_does_not_outlive_its_parent():
    import os
    import time

    out = subprocess.run([sys.executable, "-c", ORPHAN_SCRIPT], capture_output=True, text=True, timeout=60)
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 10
    alive = True
    while alive and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            time.sleep(0.2)
        except ProcessLookupError:
            alive = False
    if alive:
        os.kill(pid, 9)
    assert not alive


def test_validator_catches_shape_errors():
    # moto's own GetAdministratorAccount answer (wrong casing) is what the wire check exists for
    assert validate_wire("guardduty", "GetAdministratorAccount",
                         {"Administrator": {"AccountId": "123456789012", "RelationshipStatus": "ENABLED"}})
    problems = validate_wire("guardduty", "ListMembers", {"members": [{"accountId": "1", "masterId": "2",
                                                                       "relationshipStatus": "Enabled"}]})
    assert any("email" in p for p in problems) and any("updatedAt" in p for p in problems)
    assert validate_parsed("guardduty", "GetDetector", {"ServiceRole": "r", "Status": "PAUSED"})
    assert validate_parsed("account", "GetRegionOptStatus", {"RegionOptStatus": 1})
    assert validate_parsed("account", "GetRegionOptStatus", {"RegionName": "af-south-1",
                                                             "RegionOptStatus": "ENABLED"}) == []
    # a query (XML) service: unknown element, value outside the enum, required member missing
    xml = ('<GetOrganizationsAccessReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
           "<GetOrganizationsAccessReportResult><JobStatus>DONE</JobStatus><Bogus>1</Bogus>"
           "</GetOrganizationsAccessReportResult></GetOrganizationsAccessReportResponse>")
    problems = validate_wire("iam", "GetOrganizationsAccessReport", xml)
    assert any("Bogus" in p for p in problems) and any("DONE" in p for p in problems)
    assert any("JobCreationDate" in p for p in problems)


def test_extended_operations_validate_against_botocore_shapes(server, aws):
    rec = ResponseRecorder()
    attached = set()

    def c(service, account=None, region="us-east-1"):
        client = aws.client(service, account, region)
        if id(client) not in attached:
            attached.add(id(client))
            rec.attach(client)
        return client

    admin, member, invited, late_seed = aws.make_org(4, trusted=("cloudtrail.amazonaws.com",
                                                                 "account.amazonaws.com"))
    outsider = "210987654321"
    # GuardDuty
    mg = c("guardduty")
    mg.create_detector(Enable=True)
    ga = c("guardduty", admin)
    da = ga.create_detector(Enable=True, Features=[{"Name": "RUNTIME_MONITORING", "Status": "ENABLED",
                                                    "AdditionalConfiguration": [
                                                        {"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}]}])[
        "DetectorId"]
    mg.enable_organization_admin_account(AdminAccountId=admin)
    mg.list_organization_admin_accounts()
    ga.get_detector(DetectorId=da)
    ga.list_detectors()
    ga.create_members(DetectorId=da, AccountDetails=[{"AccountId": member, "Email": "m@example.com"},
                                                     {"AccountId": outsider, "Email": "o@example.com"}])
    ga.invite_members(DetectorId=da, AccountIds=[outsider])
    go = c("guardduty", outsider)
    do = go.create_detector(Enable=True)["DetectorId"]
    go.get_invitations_count()
    inv = go.list_invitations()["Invitations"][0]
    go.accept_administrator_invitation(DetectorId=do, AdministratorId=admin, InvitationId=inv["InvitationId"])
    go.get_administrator_account(DetectorId=do)
    go.get_master_account(DetectorId=do)
    gm = c("guardduty", member)
    gm.get_administrator_account(DetectorId=gm.list_detectors()["DetectorIds"][0])
    ga.list_members(DetectorId=da)
    ga.list_members(DetectorId=da, OnlyAssociated="false", MaxResults=1)
    ga.get_members(DetectorId=da, AccountIds=[member, outsider, "999999999999"])
    ga.stop_monitoring_members(DetectorId=da, AccountIds=[outsider])
    ga.start_monitoring_members(DetectorId=da, AccountIds=[outsider])
    ga.update_organization_configuration(DetectorId=da, AutoEnableOrganizationMembers="NEW",
                                         DataSources={"S3Logs": {"AutoEnable": True}})
    ga.describe_organization_configuration(DetectorId=da)
    ga.disassociate_members(DetectorId=da, AccountIds=[outsider])
    ga.delete_members(DetectorId=da, AccountIds=[outsider])
    gi = c("guardduty", invited)
    di = gi.create_detector(Enable=True)["DetectorId"]
    gx = c("guardduty", late_seed)
    dx = gx.create_detector(Enable=True)["DetectorId"]
    gx.create_members(DetectorId=dx, AccountDetails=[{"AccountId": invited, "Email": "i@example.com"}])
    gx.invite_members(DetectorId=dx, AccountIds=[invited])
    gi.decline_invitations(AccountIds=[late_seed])
    gx.invite_members(DetectorId=dx, AccountIds=[invited])
    gi.delete_invitations(AccountIds=[late_seed])
    gx.invite_members(DetectorId=dx, AccountIds=[invited])
    inv = gi.list_invitations()["Invitations"][0]
    gi.accept_invitation(DetectorId=di, MasterId=late_seed, InvitationId=inv["InvitationId"])
    gi.disassociate_from_master_account(DetectorId=di)
    gx.invite_members(DetectorId=dx, AccountIds=[invited])
    inv = gi.list_invitations()["Invitations"][0]
    gi.accept_administrator_invitation(DetectorId=di, AdministratorId=late_seed, InvitationId=inv["InvitationId"])
    gi.disassociate_from_administrator_account(DetectorId=di)
    mg.disable_organization_admin_account(AdminAccountId=admin)
    # CloudTrail
    c("s3").create_bucket(Bucket="org-trail-bucket")
    ct = c("cloudtrail")
    arn = ct.create_trail(Name="org", S3BucketName="org-trail-bucket", IsMultiRegionTrail=True,
                          IsOrganizationTrail=True)["TrailARN"]
    ct.start_logging(Name=arn)
    ct.stop_logging(Name=arn)
    ct.start_logging(Name=arn)
    ctm = c("cloudtrail", member, "eu-west-1")
    ctm.list_trails()
    ctm.describe_trails()
    ctm.get_trail_status(Name=arn)
    server.set_delivery_error(arn, "AccessDenied")  # a failing delivery's status has the same shape
    ct.get_trail_status(Name=arn)
    ctm.get_trail_status(Name=arn)
    server.set_delivery_error(arn, None)
    c("s3").create_bucket(Bucket="tmp-trail-bucket")
    ct.create_trail(Name="tmp", S3BucketName="tmp-trail-bucket")
    ct.update_trail(Name="tmp", IsMultiRegionTrail=True)
    ct.delete_trail(Name="tmp")
    # CloudTrail Lake
    eds = ct.create_event_data_store(Name="org-lake", OrganizationEnabled=True, MultiRegionEnabled=True,
                                     TerminationProtectionEnabled=False)["EventDataStoreArn"]
    ct.list_event_data_stores()
    ct.get_event_data_store(EventDataStore=eds.rsplit("/", 1)[1])
    ct.stop_event_data_store_ingestion(EventDataStore=eds)
    ct.start_event_data_store_ingestion(EventDataStore=eds)
    ct.update_event_data_store(EventDataStore=eds, AdvancedEventSelectors=[{"Name": "mgmt", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["false"]}]}])
    ct.delete_event_data_store(EventDataStore=eds)
    # Account
    acc = c("account")
    acc.list_regions()
    acc.list_regions(AccountId=member, MaxResults=5, RegionOptStatusContains=["ENABLED_BY_DEFAULT", "DISABLED"])
    acc.enable_region(AccountId=member, RegionName="me-south-1")
    acc.get_region_opt_status(AccountId=member, RegionName="me-south-1")
    acc.disable_region(AccountId=member, RegionName="me-south-1")
    # IAM Organizations access reports: a failed job (SCPs off), then a completed one, every page
    org = c("organizations")
    o_id = org.describe_organization()["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    iam = c("iam")
    failed = iam.generate_organizations_access_report(EntityPath=f"{o_id}/{root}")["JobId"]
    iam.get_organizations_access_report(JobId=failed)
    iam.get_organizations_access_report(JobId=failed)
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    job = iam.generate_organizations_access_report(EntityPath=f"{o_id}/{root}/{member}")["JobId"]
    iam.get_organizations_access_report(JobId=job)
    page = iam.get_organizations_access_report(JobId=job, MaxItems=200)
    iam.get_organizations_access_report(JobId=job, Marker=page["Marker"])

    seen = {(s, op) for s, op, _, _ in rec.records}
    wanted = {(svc, op) for svc, ops in EXTENDED_OPERATIONS.items() for op in ops}
    assert wanted - seen == set()
    problems = rec.problems()
    assert problems == [], "\n".join(problems)
