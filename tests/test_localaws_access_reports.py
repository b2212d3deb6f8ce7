"""IAM's Organizations access reports in the local AWS (docs/localaws.md, rows A1-A9): computed from the calls the
accounts really made, with AWS's documented rules. Plain moto 5.2 has neither operation (every test fails there).

Through boto3 over HTTP against the session's orgkit.localaws server, reset between tests.
"""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from orgkit.localaws.testing import Accounts, error_code

SCP = "SERVICE_CONTROL_POLICY"


@pytest.fixture
def aws(server):
    server.reset()
    server.seed(7)
    return Accounts(server.endpoint_url)


def _org(aws, scps=True):
    """root / OU Prod / accounts a, b; account c directly under the root. Returns (paths, ids)."""
    a, b, c = aws.make_org(3)
    org = aws.client("organizations")
    o = org.describe_organization()["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    if scps:
        org.enable_policy_type(RootId=root, PolicyType=SCP)
    prod = org.create_organizational_unit(ParentId=root, Name="Prod")["OrganizationalUnit"]["Id"]
    for acct in (a, b):
        org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=prod)
    paths = {"root": f"{o}/{root}", "prod": f"{o}/{root}/{prod}", "a": f"{o}/{root}/{prod}/{a}",
             "c": f"{o}/{root}/{c}", "mgmt": f"{o}/{root}/{aws.management}"}
    return paths, {"a": a, "b": b, "c": c, "root": root, "prod": prod}


def _report(iam, path, max_items=None):
    job = iam.generate_organizations_access_report(EntityPath=path)["JobId"]
    first = iam.get_organizations_access_report(JobId=job)
    assert first["JobStatus"] == "IN_PROGRESS"
    details, marker, pages = [], None, 0
    while True:
        kw = {"JobId": job, **({"Marker": marker} if marker else {}), **({"MaxItems": max_items} if max_items else {})}
        r = iam.get_organizations_access_report(**kw)
        pages += 1
        assert r["JobStatus"] in ("COMPLETED", "FAILED")
        if r["JobStatus"] == "FAILED":
            return r, {}, pages
        details += r["AccessDetails"]
        if not r["IsTruncated"]:
            break
        marker = r["Marker"]
    return r, {d["ServiceNamespace"]: d for d in details}, pages


def test_a1_report_lists_used_services_from_the_call_log_paged_with_marker(aws):
    """'For each service that principals in an account ... could access using SCPs, the operation returns details
    about the most recent access attempt. If there was no attempt, the service is listed without details'."""
    paths, ids = _org(aws)
    aws.client("sqs", ids["a"]).list_queues()
    aws.client("ec2", ids["a"], "eu-west-1").describe_instances()
    aws.client("ec2", ids["b"], "us-east-1").describe_instances()
    iam = aws.client("iam")
    r, d, pages = _report(iam, paths["prod"], max_items=50)
    assert pages > 1  # every page read through Marker
    assert d["ec2"]["TotalAuthenticatedEntities"] == 2
    assert d["ec2"]["EntityPath"] == paths["prod"] + "/" + ids["b"]  # the last one to call
    assert d["ec2"]["Region"] == "us-east-1"
    assert d["sqs"]["TotalAuthenticatedEntities"] == 1 and d["sqs"]["LastAuthenticatedTime"]
    assert d["lambda"]["TotalAuthenticatedEntities"] == 0 and "LastAuthenticatedTime" not in d["lambda"]
    assert r["NumberOfServicesAccessible"] == len(d)
    assert r["NumberOfServicesNotAccessed"] == sum(1 for x in d.values() if "LastAuthenticatedTime" not in x)
    assert list(d) == sorted(d)  # 'By default, the list is sorted by service namespace.'
    assert r["JobCompletionDate"] >= r["JobCreationDate"]


def test_a2_management_account_use_is_left_out_of_root_and_ou_reports(aws):
    """The management account is not limited by SCPs: its own use is not in the root's report, only in its own."""
    paths, ids = _org(aws)
    aws.client("lambda").list_functions()  # the management account
    iam = aws.client("iam")
    _, root, _ = _report(iam, paths["root"])
    assert root["lambda"]["TotalAuthenticatedEntities"] == 0
    _, own, _ = _report(iam, paths["mgmt"])
    assert own["lambda"]["TotalAuthenticatedEntities"] == 1


def test_a3_services_an_scp_denies_on_the_path_are_not_listed(aws):
    """'This data includes a list of services that are allowed by any service control policies (SCPs) that apply
    to the entity.'"""
    paths, ids = _org(aws)
    org = aws.client("organizations")
    deny = org.create_policy(Name="NoLambda", Type=SCP, Description="", Content=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["lambda:*"], "Resource": "*"}]}))
    org.attach_policy(PolicyId=deny["Policy"]["PolicySummary"]["Id"], TargetId=ids["prod"])
    cond = org.create_policy(Name="NoS3OutsideEU", Type=SCP, Description="", Content=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                                "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}))
    org.attach_policy(PolicyId=cond["Policy"]["PolicySummary"]["Id"], TargetId=ids["prod"])
    iam = aws.client("iam")
    _, prod, _ = _report(iam, paths["prod"])
    _, acct, _ = _report(iam, paths["a"])
    _, c, _ = _report(iam, paths["c"])
    assert "lambda" not in prod and "lambda" not in acct and "lambda" in c
    assert "s3" in prod  # a conditional deny does not deny the whole service


def test_a4_denied_attempts_count_as_use(aws, server):
    """'The data includes all attempts to access AWS, not just the successful ones.'"""
    paths, ids = _org(aws)
    server.add_fault("AccessDenied", http_status=403, account_id=ids["c"], service="sns")
    with pytest.raises(ClientError):
        aws.client("sns", ids["c"]).list_topics()
    _, d, _ = _report(aws.client("iam"), paths["c"])
    assert d["sns"]["TotalAuthenticatedEntities"] == 1


def test_a5_only_the_generating_session_reads_the_job_and_only_the_management_account_generates(aws, server):
    """'To call this operation, you must be signed in using your Organizations management account credentials.'
    GetOrganizationsAccessReport's one documented error is NoSuchEntity."""
    paths, ids = _org(aws)
    iam = aws.client("iam")
    job = iam.generate_organizations_access_report(EntityPath=paths["c"])["JobId"]
    other = boto3.client("iam", region_name="us-east-1", endpoint_url=server.endpoint_url,
                         aws_access_key_id="AKIAOTHERSESSION0001", aws_secret_access_key="x")
    with pytest.raises(ClientError) as e:
        other.get_organizations_access_report(JobId=job)
    assert error_code(e.value) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        aws.client("iam", ids["c"]).generate_organizations_access_report(EntityPath=paths["c"])
    assert error_code(e.value)[1] == 403
    with pytest.raises(ClientError) as e:
        iam.generate_organizations_access_report(EntityPath=paths["root"] + "/ou-nope-12345678")
    assert error_code(e.value) == ("InvalidInput", 400)


def test_a6_a_job_fails_when_scps_are_not_enabled(aws):
    """'SCPs must be enabled for your organization root.'"""
    paths, _ = _org(aws, scps=False)
    r, d, _ = _report(aws.client("iam"), paths["root"])
    assert r["JobStatus"] == "FAILED" and r["ErrorDetails"]["Code"] and d == {}


def test_a7_report_generation_limit_is_a_409_the_caller_can_back_off_from(aws, server):
    """GenerateOrganizationsAccessReport's one documented error: ReportGenerationLimitExceeded (409)."""
    paths, _ = _org(aws)
    server.add_fault("ReportGenerationLimitExceeded", http_status=409, service="iam",
                     operation="GenerateOrganizationsAccessReport", count=1)
    iam = aws.client("iam")
    with pytest.raises(ClientError) as e:
        iam.generate_organizations_access_report(EntityPath=paths["root"])
    assert error_code(e.value) == ("ReportGenerationLimitExceeded", 409)
    assert iam.generate_organizations_access_report(EntityPath=paths["root"])["JobId"]


def test_iam_services_file_matches_botocore():
    """The service list reports use (iam_services.json) is botocore's: rewrite it with
    `python -m orgkit.localaws.iam_access` after upgrading botocore."""
    import json

    import botocore

    from orgkit.localaws.iam_access import SERVICES_FILE, known_services, services_from_botocore

    made_from = json.loads(SERVICES_FILE.read_text())["botocore"]
    if made_from != botocore.__version__:
        # The copy is frozen on purpose (the demo snapshots' access reports list its services); each botocore
        # release adds or renames services, so it is compared only with the botocore it was written from.
        pytest.skip(f"iam_services.json was written from botocore {made_from}, installed {botocore.__version__}")
    assert known_services() == services_from_botocore()


def test_a8_frozen_access_data_hides_later_calls(aws, server):
    """'Recent activity usually appears within four hours.'"""
    paths, ids = _org(aws)
    aws.client("sqs", ids["c"]).list_queues()
    server.set_options(access_data_frozen=True)
    try:
        aws.client("sns", ids["c"]).list_topics()
        _, d, _ = _report(aws.client("iam"), paths["c"])
        assert d["sqs"]["TotalAuthenticatedEntities"] == 1 and d["sns"]["TotalAuthenticatedEntities"] == 0
    finally:
        server.set_options(access_data_frozen=False)
    _, d, _ = _report(aws.client("iam"), paths["c"])
    assert d["sns"]["TotalAuthenticatedEntities"] == 1


def test_a9_s3_use_reaches_the_report_of_the_account_its_ous_and_the_root(aws, server):
    """moto's S3 has its own dispatch (not call_action): its calls are logged all the same, named as botocore names
    them, and count as the account's use of s3 in its report, its OU's and the root's."""
    paths, ids = _org(aws)
    server.clear_calls()
    s3 = aws.client("s3", ids["a"], "eu-west-1")
    s3.create_bucket(Bucket="orgkit-a9", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="orgkit-a9", Key="k/1", Body=b"x")
    s3.copy_object(Bucket="orgkit-a9", Key="k/2", CopySource={"Bucket": "orgkit-a9", "Key": "k/1"})
    s3.list_objects_v2(Bucket="orgkit-a9")
    assert s3.get_object(Bucket="orgkit-a9", Key="k/2")["Body"].read() == b"x"  # the body read once, still whole
    logged = [(c["account_id"], c["region"], c["operation"]) for c in server.calls() if c["service"] == "s3"]
    assert logged == [(ids["a"], "eu-west-1", op) for op in
                      ("CreateBucket", "PutObject", "CopyObject", "ListObjectsV2", "GetObject")]
    iam = aws.client("iam")
    for who in ("a", "prod", "root"):
        _, d, _ = _report(iam, paths[who])
        assert d["s3"]["TotalAuthenticatedEntities"] == 1, who
        assert d["s3"]["EntityPath"] == paths["a"] and d["s3"]["Region"] == "eu-west-1", who
    _, c, _ = _report(iam, paths["c"])
    assert c["s3"]["TotalAuthenticatedEntities"] == 0


def test_a9_s3_calls_meet_fault_rules_like_every_other_service(aws, server):
    """An injected fault on an S3 operation answers in S3's error shape, and the denied attempt is still use."""
    paths, ids = _org(aws)
    server.add_fault("AccessDenied", http_status=403, account_id=ids["c"], service="s3", operation="ListBuckets")
    with pytest.raises(ClientError) as e:
        aws.client("s3", ids["c"]).list_buckets()
    assert error_code(e.value) == ("AccessDenied", 403)
    _, d, _ = _report(aws.client("iam"), paths["c"])
    assert d["s3"]["TotalAuthenticatedEntities"] == 1


def _scp(org, name, statements, target):
    pid = org.create_policy(Name=name, Type=SCP, Description="", Content=json.dumps(
        {"Version": "2012-10-17", "Statement": statements}))["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=pid, TargetId=target)
    return pid


def test_a3_scps_on_the_path_are_evaluated_with_wildcards_allow_at_every_level_and_deny_at_any(aws):
    """AWS: an Allow is needed 'at every level from the root through each OU in the direct path to the account
    (including the target account itself)'; 'any SCP from the root through each OU ... can deny that permission'.
    A service is listed when some action of it is possible there."""
    paths, ids = _org(aws)
    org = aws.client("organizations")
    # Prod becomes an allow list: only S3 reads and any SQS / SNS action (wildcards in the namespace, mixed case)
    _scp(org, "ProdAllowList", [{"Effect": "Allow", "Action": ["s3:Get*", "S?S:*", "EC2:Describe*"],
                                 "Resource": "*"}], ids["prod"])
    org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ids["prod"])
    # at the account: a full deny of SNS through a wildcard, a deny of only some EC2 actions, a deny of S3 limited
    # to one bucket, a NotAction deny that spares only sqs/s3/ec2/sns/iam
    _scp(org, "AcctDenies", [
        {"Effect": "Deny", "Action": "sn*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ec2:DescribeInstances", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::secret/*"},
    ], ids["a"])
    # on account c (directly under the root): NotAction deny of everything but STS and IAM, except when tagged
    _scp(org, "COnlyIam", [{"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*"},
                           {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                            "Condition": {"Bool": {"aws:ViaAWSService": "false"}}}], ids["c"])
    iam = aws.client("iam")
    _, root, _ = _report(iam, paths["root"])
    _, prod, _ = _report(iam, paths["prod"])
    _, a, _ = _report(iam, paths["a"])
    _, c, _ = _report(iam, paths["c"])
    assert {"lambda", "s3", "sqs", "sns", "ec2", "iam"} <= set(root)
    assert {"s3", "sqs", "sns", "ec2"} <= set(prod)  # allowed at the root (FullAWSAccess) and at Prod
    assert "lambda" not in prod and "iam" not in prod  # no Allow at Prod: implicitly denied
    assert "sns" not in a  # 'sn*' denies every SNS action in every case
    assert "ec2" in a  # other Describe* actions stay possible
    assert "s3" in a  # a Deny limited to some resources leaves the others
    assert "lambda" not in a  # Prod's allow list applies to the accounts under it
    assert set(c) == {"iam", "sts"}  # NotAction: everything else denied; a conditional Deny leaves IAM listed
