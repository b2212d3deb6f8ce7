"""orgkit collect --access-reports against the local AWS: IAM's Organizations access reports for the root, every OU
and every account, into access_reports.json and the ``service_access`` frame (issue 21 point 1)."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

import orgkit
from orgkit.aws.collect import Collector, collect
from orgkit.aws.session import SessionFactory
from orgkit.localaws.testing import Accounts
from orgkit.model import FRAMES

pytestmark = pytest.mark.integration
REGIONS = ["us-east-1"]
COLUMNS = ["entity_path", "entity_type", "entity_id", "service_namespace", "service_name", "last_authenticated",
           "last_authenticated_region", "last_authenticated_entity", "total_authenticated_entities", "job_created",
           "job_completed"]


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setattr(Collector, "REPORT_BACKOFF", 0.01)
    monkeypatch.setattr(Collector, "REPORT_POLL", 0.01)


@pytest.fixture(scope="module")
def used(small_org):
    """SMALL with a little use: pay calls Lambda in eu-west-1, web calls SQS."""
    aws, ids = small_org
    acc = Accounts(aws.endpoint_url)
    acc.management = ids["management"]
    aws.set_options(strict_assume_role=False)
    acc.client("lambda", ids["pay"], "eu-west-1").list_functions()
    acc.client("sqs", ids["web"]).list_queues()
    aws.set_options(strict_assume_role=True)
    return aws, ids


def _collect(aws, out, **kw):
    factory = SessionFactory(endpoint_url=aws.endpoint_url, max_attempts=2)
    path = collect(out, factory=factory, progress=False, workers=8, regions=REGIONS, **kw)
    return orgkit.load(path), factory


def test_frame_schema_and_use(used, tmp_path):
    aws, ids = used
    org, factory = _collect(aws, tmp_path / "s", access_reports=True)
    sa = org.service_access
    assert org.access_reports_collected is True
    assert list(sa.columns) == COLUMNS == FRAMES["service_access"]
    assert str(sa["last_authenticated"].dtype).startswith("datetime64") and sa["total_authenticated_entities"].dtype == "int64"
    # one report per entity: the root, every OU, every account collected (norole included: read from management)
    doc = json.loads((tmp_path / "s" / "access_reports.json").read_text())
    assert doc["Requested"] is True
    kinds = pd.Series([r["EntityType"] for r in doc["Reports"]]).value_counts().to_dict()
    assert kinds == {"root": 1, "ou": len(org.ous) - 1, "account": len(org.accounts)}
    for r in doc["Reports"]:
        assert r["EntityPath"].startswith(org.organization_id + "/" + org.root_id)
        assert r["EntityPath"].endswith(r["EntityId"]) and r["JobStatus"] == "COMPLETED"
    pay_path = next(r["EntityPath"] for r in doc["Reports"] if r["EntityId"] == ids["pay"])
    assert pay_path.count("/ou-") == 3  # Workloads/Prod/Payments
    lam = sa[(sa["entity_id"] == ids["pay"]) & (sa["service_namespace"] == "lambda")].iloc[0]
    assert lam["total_authenticated_entities"] == 1 and lam["last_authenticated_region"] == "eu-west-1"
    assert lam["last_authenticated_entity"] == pay_path and pd.notna(lam["last_authenticated"])
    root = sa[(sa["entity_type"] == "root") & (sa["service_namespace"] == "lambda")].iloc[0]
    assert root["total_authenticated_entities"] == 1
    never = sa[(sa["entity_id"] == ids["dev"]) & (sa["service_namespace"] == "sqs")].iloc[0]
    assert never["total_authenticated_entities"] == 0 and pd.isna(never["last_authenticated"])
    reads = org.reads[org.reads["service"] == "access_reports"]
    assert len(reads) == len(doc["Reports"]) and set(reads["status"]) == {"ok"}
    ops = factory.calls.operations()
    assert ("iam", "GenerateOrganizationsAccessReport") in ops and ("iam", "GetOrganizationsAccessReport") in ops


def test_off_by_default_no_call_no_file(used, tmp_path):
    aws, _ = used
    org, factory = _collect(aws, tmp_path / "s")
    assert not (tmp_path / "s" / "access_reports.json").exists()
    assert org.access_reports_collected is False and len(org.service_access) == 0
    assert list(org.service_access.columns) == COLUMNS
    assert not any(svc == "iam" for svc, _ in factory.calls.operations())
    assert not (org.reads["service"] == "access_reports").any()


def test_backs_off_on_report_generation_limit(used, tmp_path):
    aws, _ = used
    aws.add_fault("ReportGenerationLimitExceeded", http_status=409, service="iam",
                  operation="GenerateOrganizationsAccessReport", count=3)
    try:
        org, factory = _collect(aws, tmp_path / "s", access_reports=True)
    finally:
        aws.clear_faults()
    assert set(org.reads[org.reads["service"] == "access_reports"]["status"]) == {"ok"}
    assert factory.calls.counts[("iam", "GenerateOrganizationsAccessReport")] == \
        len(org.reads[org.reads["service"] == "access_reports"]) + 3


def test_report_jobs_run_while_the_accounts_are_read(used, tmp_path):
    """The jobs are tasks of the run's one scheduler, started first: the first Generate comes before the accounts'
    last reads, not after every account is done (the server's call log gives the order the calls arrived in)."""
    aws, _ = used
    aws.clear_calls()
    _collect(aws, tmp_path / "s", access_reports=True)
    log = aws.calls()
    first_generate = next(i for i, c in enumerate(log) if c["operation"] == "GenerateOrganizationsAccessReport")
    account_reads = [i for i, c in enumerate(log) if c["service"] in ("guardduty", "cloudtrail")]
    assert account_reads and first_generate < account_reads[-1]
    assert first_generate < account_reads[len(account_reads) // 2]  # started early, not as the reads end


def test_a_failed_report_is_recorded_never_empty(used, tmp_path):
    aws, ids = used
    aws.add_fault("NoSuchEntity", http_status=404, service="iam", operation="GetOrganizationsAccessReport", count=1)
    try:
        org, _ = _collect(aws, tmp_path / "s", access_reports=True)
    finally:
        aws.clear_faults()
    reads = org.reads[org.reads["service"] == "access_reports"]
    bad = reads[reads["status"] == "error"]
    assert len(bad) == 1 and bad.iloc[0]["error_code"] == "NoSuchEntity"
    assert bad.iloc[0]["operation"] == "GetOrganizationsAccessReport"
    assert not (org.service_access["entity_id"] == bad.iloc[0]["account_id"]).any()  # no rows: not "nothing used"
    assert (org.errors["service"] == "access_reports").sum() == 1
    doc = json.loads((tmp_path / "s" / "access_reports.json").read_text())
    failed = [r for r in doc["Reports"] if r["ErrorDetails"]]
    assert len(failed) == 1 and failed[0]["AccessDetails"] is None


def test_cli_flag(used, tmp_path):
    aws, _ = used
    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-m", "orgkit.cli", "collect", "--out", str(tmp_path / "s"),
                          "--endpoint-url", aws.endpoint_url, "--regions", "us-east-1", "--access-reports",
                          "--quiet"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert " access reports" in out.stdout and "Traceback" not in out.stderr
    org = orgkit.load(tmp_path / "s")
    assert org.access_reports_collected and len(org.service_access) > 0
    assert org.manifest["options"]["access_reports"] is True


def test_snapshot_spec_access_report(tmp_path):
    """Hand-built snapshots carry access reports in the collector's shape (analyses are tested on them)."""
    from orgkit.testing import T0, SnapshotSpec

    sb = SnapshotSpec()
    ou = sb.ou("Prod")
    a = sb.account("App", parent=ou)
    sb.access_report(ou, [("s3", "Amazon S3", T0, "eu-west-1", a, 1), ("ec2", "Amazon EC2", None, None, None, 0)])
    sb.access_report(a, error=("NoSuchEntity", "gone"))
    org = sb.load(tmp_path / "s")
    assert org.access_reports_collected
    sa = org.service_access
    assert list(sa["service_namespace"]) == ["ec2", "s3"] and set(sa["entity_id"]) == {ou}
    s3 = sa[sa["service_namespace"] == "s3"].iloc[0]
    assert s3["last_authenticated_entity"] == f"{sb.org_id}/{sb.root}/{ou}/{a}" and s3["entity_type"] == "ou"
    assert s3["last_authenticated"] == pd.Timestamp(T0) and s3["total_authenticated_entities"] == 1
    reads = org.reads[org.reads["service"] == "access_reports"].set_index("account_id")
    assert reads.loc[ou, "status"] == "ok" and reads.loc[a, "status"] == "error"
    assert reads.loc[a, "error_code"] == "NoSuchEntity"
    assert SnapshotSpec().load(tmp_path / "t").access_reports_collected is False


def test_guard_allows_exactly_the_report_generation():
    """The read-only guard lets GenerateOrganizationsAccessReport through by name, and nothing else of IAM's
    writes (checked before signing: nothing is sent)."""
    from orgkit.aws.session import is_read_only

    assert is_read_only("iam", "GenerateOrganizationsAccessReport")
    assert is_read_only("iam", "GetOrganizationsAccessReport")
    for op in ("GenerateServiceLastAccessedDetails", "GenerateCredentialReport", "CreateUser", "DeleteRole"):
        assert not is_read_only("iam", op), op
    assert not is_read_only("organizations", "GenerateOrganizationsAccessReport")


RERUN = {"name": "rerun", "seed": 11, "regions": ["us-east-1"], "ous": {"Apps": {}},
         "accounts": [{"key": "a", "name": "App A", "ou": "Apps", "joined_days_ago": 400},
                      {"key": "b", "name": "App B", "ou": "Apps", "joined_days_ago": 400}],
         "usage": [{"account": "a", "region": "us-east-1", "calls": ["sqs:ListQueues", "s3:ListBuckets"]}]}


def test_suggest_attach_collect_again_and_rerun_updates_in_place(local_aws, tmp_path):
    """End to end in the local AWS: collect, suggest, attach the proposal as its Terraform would (name, description
    marker), use a denied service (a denied attempt is use), collect again: the re-run updates the attached
    policies in place, says what is denied now and what was used since, and its exceptions keep access."""
    import orgkit.leastpriv as lp
    from orgkit.localaws.scenario import build

    local_aws.reset()
    local_aws.seed(RERUN["seed"])
    ids = build(local_aws.endpoint_url, RERUN)
    org1, _ = _collect(local_aws, tmp_path / "s1", access_reports=True)
    s1 = lp.suggest(org1, "Root/Apps", exceptions=["role/BreakGlass"])
    st = s1.services.set_index("service")["status"]
    assert st["s3"] == "used" and st["sqs"] == "used" and st["kinesis"] == "unused" and s1.ready
    acc = Accounts(local_aws.endpoint_url)
    acc.management = ids["management"]
    orgs = acc.client("organizations")
    ou = org1.ous.set_index("ou_path").at["Root/Apps", "ou_id"]
    attached = []
    for name, text in zip(s1.policy_names(), s1.policy_texts()):
        pid = orgs.create_policy(Name=name, Description="Least privilege for Apps (orgkit scp suggest)", Content=text,
                                 Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
        orgs.attach_policy(PolicyId=pid, TargetId=ou)
        attached.append(pid)
    local_aws.set_options(strict_assume_role=False)
    try:
        acc.client("kinesis", ids["b"]).list_streams()  # the local AWS does not enforce SCPs: AWS would deny it
    finally:
        local_aws.set_options(strict_assume_role=True)
    org2, _ = _collect(local_aws, tmp_path / "s2", access_reports=True)
    s2 = lp.suggest(org2, "Root/Apps", exceptions=["role/BreakGlass", "role/AccountFactory"])
    assert sorted(s2.previous["policies"]) == sorted(attached)
    # (the collector's own reads count as use too, as in AWS: ec2 may be among them, depending on when each job ran)
    assert "kinesis" in s2.previous["newly_used"] and "lambda" in s2.previous["now_denied"]
    assert sorted(s2.updates) == sorted(attached) and s2.retire == []  # in place: no second proposal beside them
    assert "kinesis" in s2.denied_services and s2.ready, s2.violations
    assert set(s2.exceptions_proof["verdict"]) == {"keeps access"}
    assert set(s2.exceptions_proof["exception"]) == {"arn:aws:iam::*:role/BreakGlass", "arn:aws:iam::*:role/AccountFactory"}
