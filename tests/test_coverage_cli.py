"""`orgkit coverage`: formats, views, --status, --fail-on exit codes, account ids kept as strings."""

import csv
import io
import json

import pytest

from orgkit.cli import main
from orgkit.testing import SnapshotSpec

R1, R2 = "us-east-1", "eu-west-1"


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    sb = SnapshotSpec(regions=[R1, R2])
    sb.account("Zero", account_id="000000000007")
    sb.account("Other", account_id="000000000008")
    sb.trail("000000000007", "own")
    sb.trail("000000000007", "second", home_region=R1, multi_region=False)
    sb.detector("000000000007", R1, administrator={})
    return str(sb.write(tmp_path_factory.mktemp("cli") / "snap"))


def run(capsys, *argv):
    code = main(["coverage", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_keeps_account_ids_as_strings(snap, capsys):
    code, out, _ = run(capsys, snap, "--service", "cloudtrail", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert isinstance(rows, list) and len(rows) == 3 * 2
    ids = {r["account_id"] for r in rows}
    assert "000000000007" in ids and all(isinstance(i, str) and len(i) == 12 for i in ids)
    r = next(r for r in rows if r["account_id"] == "000000000007" and r["region"] == R1)
    assert r["status"] == "covered" and isinstance(r["trails"], list) and len(r["trails"]) == 2
    assert '"account_id":"000000000007"' in out.replace(" ", "")


def test_both_services_by_default_with_service_column(snap, capsys):
    code, out, _ = run(capsys, snap, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["service", "account_id", "account_name", "ou_path", "region", "status", "reason",
                             "source"]
    assert {r["service"] for r in rows} == {"cloudtrail", "guardduty"}
    assert "000000000007" in {r["account_id"] for r in rows}


def test_fail_on_exit_codes(snap, capsys):
    code, _, err = run(capsys, snap, "--service", "cloudtrail", "--fail-on", "none")
    assert code == 1 and "none" in err
    code, _, _ = run(capsys, snap, "--service", "cloudtrail", "--fail-on", "not_logging,unknown")
    assert code == 0
    code, _, _ = run(capsys, snap, "--service", "guardduty", "--fail-on", "standalone")
    assert code == 1
    code, _, err = run(capsys, snap, "--fail-on", "nonsense")
    assert code == 2 and "unknown status" in err
    code, _, _ = run(capsys, snap, "--service", "cloudtrail", "--fail-on", "not_delivering")
    assert code == 0  # a known status, absent here


def test_fail_on_not_delivering(tmp_path, capsys):
    sb = SnapshotSpec(regions=[R1, R2])
    sb.account("Zero", account_id="000000000007")
    sb.trail("000000000007", "denied", status={"IsLogging": True, "LatestDeliveryError": "AccessDenied"})
    snap = str(sb.write(tmp_path / "snap"))
    code, out, err = run(capsys, snap, "--service", "cloudtrail", "--fail-on", "not_delivering", "--format", "json")
    assert code == 1 and "2 not_delivering" in err
    rows = [r for r in json.loads(out) if r["account_id"] == "000000000007"]
    assert {r["status"] for r in rows} == {"not_delivering"} and all(r["delivery_errors"] for r in rows)
    code, _, err = run(capsys, snap, "--trails", "--fail-on", "delivery_error,delivery_stale")
    assert code == 1 and "1 delivery_error" in err
    code, _, err = run(capsys, snap, "--gaps", "--fail-on", "not_delivering")
    assert code == 1


def test_status_filter(snap, capsys):
    code, out, _ = run(capsys, snap, "--service", "guardduty", "--status", "standalone", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 1 and rows[0]["account_id"] == "000000000007"


def test_views(snap, capsys, tmp_path):
    code, out, _ = run(capsys, snap, "--trails", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 2
    code, out, _ = run(capsys, snap, "--duplicates", "--management-events", "100000", "--read-fraction", "0.5",
                       "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 1 and rows[0]["account_id"] == "000000000007"
    assert rows[0]["region"] == R1 and rows[0]["est_monthly_usd"] == pytest.approx(2.0)
    code, out, _ = run(capsys, snap, "--summary", "ou", "--format", "csv")
    assert code == 0 and "cloudtrail_share" in out
    code, out, _ = run(capsys, snap, "--gaps", "--service", "cloudtrail", "--format", "json")
    assert code == 0 and {r["service"] for r in json.loads(out)} == {"cloudtrail"}
    code, out, _ = run(capsys, snap, "--trails", "--columns", "trail_arn,status")
    assert code == 0 and "trail/own" in out
    code, _, err = run(capsys, snap, "--trails", "--service", "guardduty")
    assert code == 2 and "--service" in err
    code, _, err = run(capsys, snap, "--duplicates", "--fail-on", "none")
    assert code == 2


def test_tfstate_view_and_malformed_state(snap, capsys, tmp_path):
    p = tmp_path / "state.json"
    p.write_text(json.dumps({"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_cloudtrail.own", "mode": "managed", "type": "aws_cloudtrail", "name": "own",
         "values": {"arn": "arn:aws:cloudtrail:us-east-1:000000000007:trail/own", "name": "own"}}]}}}))
    code, out, _ = run(capsys, snap, "--tfstate", str(p), "--format", "json", "--fail-on", "unmanaged")
    rows = json.loads(out)
    assert code == 1 and [r["status"] for r in rows] == ["unmanaged"] and rows[0]["name"] == "second"
    bad = tmp_path / "bad.tfstate"
    bad.write_text("{oops")
    code, _, err = run(capsys, snap, "--tfstate", str(bad))
    assert code == 2 and str(bad) in err


def test_missing_snapshot_is_exit_2(capsys, tmp_path):
    code = main(["coverage", str(tmp_path / "nowhere")])
    assert code == 2


def test_fail_on_partial_for_guardduty_with_require_plans(capsys, tmp_path):
    sb = SnapshotSpec(regions=[R1])
    sb.account("Zero", account_id="000000000007")
    sb.account("Other", account_id="000000000008")
    sb.gd_admins = {R1: [{"AdminAccountId": "000000000007", "AdminStatus": "ENABLED"}]}
    sb.detector("000000000007", R1, members=[sb.member("000000000008", "000000000007")])
    sb.detector("000000000008", R1, features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"},
                                              {"Name": "RUNTIME_MONITORING", "Status": "DISABLED"}])
    snap = str(sb.write(tmp_path / "snap"))
    code, out, err = run(capsys, snap, "--service", "guardduty", "--fail-on", "partial")
    assert code == 0  # no organisation configuration; the administrator's detector reports no plans
    code, out, err = run(capsys, snap, "--service", "guardduty", "--require-plans", "runtime_monitoring",
                         "--fail-on", "partial", "--format", "json")
    assert code == 1 and "1 partial (--fail-on)" in err
    r = next(r for r in json.loads(out) if r["status"] == "partial")
    assert r["account_id"] == "000000000008" and r["missing_plans"] == ["RUNTIME_MONITORING"]
    code, out, err = run(capsys, snap, "--plans", "--require-plans", "RUNTIME_MONITORING", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows[0]["RUNTIME_MONITORING"] == "off (required)" and rows[0]["S3_DATA_EVENTS"] == "on"
    code, _, err = run(capsys, snap, "--require-plans", "S3,EKS")
    assert code == 2 and err.count("\n") == 1 and "unknown protection plan S3, EKS" in err
def test_a_gate_prints_its_verdict_first_then_the_failing_rows(snap, capsys, monkeypatch):
    # issue 19: `coverage --fail-on` printed every row before its verdict
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = run(capsys, snap, "--fail-on", "none,unknown", "--columns", "status,account_id")
    lines = out.splitlines()
    assert code == 1 and lines[0].startswith("gate failed:") and lines[1].split() == ["status", "account_id"]
    import re

    rows = [x.split()[0] for x in lines[3:] if re.fullmatch(r"\S+\s+\d{12}", x)]
    assert rows and set(rows) <= {"none", "unknown"}
    _, csv, _ = run(capsys, snap, "--fail-on", "none,unknown", "--format", "csv")
    assert len(csv.splitlines()) - 1 > len(rows)  # csv and json keep every row
    code, out, _ = run(capsys, snap, "--fail-on", "not_delivering")
    assert code == 0 and out.splitlines() == ["gate passed: no row of " + str(len(csv.splitlines()) - 1)
                                              + " is not_delivering"]
