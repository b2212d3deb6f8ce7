"""OCSF Compliance Findings (issue 19, point 7): valid against py-ocsf-models, one per row that needs attention."""

from __future__ import annotations

import pytest

import orgkit
from orgkit.coverage import cloudtrail_coverage, guardduty_coverage
from orgkit.ocsf import RULES, findings

ocsf = pytest.importorskip("py_ocsf_models.events.findings.compliance_finding")


def _keys_kept(ours, model_dump, path="") -> list[str]:
    """Every key we wrote survives validation (pydantic drops unknown fields silently): the paths it dropped."""
    lost = []
    if isinstance(ours, dict):
        for k, v in ours.items():
            if k == "unmapped":
                continue
            if k not in model_dump:
                lost.append(f"{path}.{k}")
            else:
                lost += _keys_kept(v, model_dump[k], f"{path}.{k}")
    elif isinstance(ours, list):
        for i, (a, b) in enumerate(zip(ours, model_dump)):
            lost += _keys_kept(a, b, f"{path}[{i}]")
    return lost


def _validate(items):
    for f in items:
        model = ocsf.ComplianceFinding(**f)
        dumped = model.model_dump(mode="json", exclude_none=True)
        assert _keys_kept(f, dumped) == []
        assert dumped["class_uid"] == 2003 and dumped["type_uid"] == 200301


def test_coverage_gaps_are_valid_findings_with_a_severity_each():
    org = orgkit.load()
    gd = guardduty_coverage(org)
    rows = gd.assign(service="guardduty").to_dict("records")
    out = findings(rows, "coverage", organization_id=org.organization_id, collected_at=org.manifest["collected_at"])
    _validate(out)
    gaps = gd[~gd["status"].isin(RULES["guardduty"]["fine"])]
    assert len(out) == len(gaps) > 0
    by_status = {f["compliance"]["checks"][0]["status"]: f["severity_id"] for f in out}
    assert by_status["none"] == 4 and by_status["invited_member"] == 2 and by_status["unknown"] == 3
    # the same snapshot gives the same findings (times from the snapshot, ids from the content)
    again = findings(rows, "coverage", organization_id=org.organization_id,
                     collected_at=org.manifest["collected_at"])
    assert again == out
    assert len({f["metadata"]["uid"] for f in out}) == len(out)


def test_a_verdict_the_rules_do_not_know_is_written_as_unknown_not_dropped():
    row = {"account_id": "012345678901", "region": "eu-west-1", "status": "brand_new_status", "reason": "r"}
    (f,) = findings([row], "cloudtrail", organization_id="o-abc", collected_at="2026-01-01T00:00:00+00:00")
    _validate([f])
    assert f["severity_id"] == 0 and f["compliance"]["status_id"] == 2
    assert findings([{**row, "status": "covered"}], "cloudtrail") == []


def test_hostile_values_travel_as_data():
    row = {"account_id": "012345678901", "account_name": "<script>alert(1)</script>\x1b[2J", "region": "us-east-1",
           "status": "none", "reason": "no trail", "ou_path": "Root/<b>"}
    (f,) = findings([row], "cloudtrail")
    _validate([f])
    assert f["resources"][0]["name"] == row["account_name"]  # exact: JSON is data, consumers escape on display


def test_cloudtrail_rows_of_the_demo():
    org = orgkit.load()
    ct = cloudtrail_coverage(org)
    out = findings(ct.to_dict("records"), "cloudtrail", organization_id=org.organization_id,
                   collected_at=org.manifest["collected_at"])
    _validate(out)
    assert len(out) == int((~ct["status"].isin(RULES["cloudtrail"]["fine"])).sum())


@pytest.mark.parametrize("argv, kind", [
    (["coverage", "--demo"], "coverage"),
    (["coverage", "--demo", "--service", "guardduty"], "guardduty"),
    (["scp", "tamper", "--demo"], "tamper"),
    (["diff", "{demo}", "{later}"], "diff"),
])
def test_the_cli_writes_valid_findings(argv, kind, capsys):
    """`--format ocsf` of coverage, scp tamper and diff: a JSON list of valid Compliance Findings, one per row that
    needs attention, each carrying the snapshot's organisation and time."""
    import json

    from orgkit.cli import main
    from orgkit.demo import BUNDLED_LATER
    from orgkit.model import bundled_demo_path

    argv = [a.format(demo=bundled_demo_path(), later=BUNDLED_LATER) for a in argv]
    code = main([*argv, "--format", "ocsf"])
    out, err = capsys.readouterr()
    assert code == 0, err
    items = json.loads(out)
    assert items, "the demo has findings of every kind"
    _validate(items)
    org = orgkit.load(BUNDLED_LATER if kind == "diff" else None)
    assert {f["metadata"]["tenant_uid"] for f in items} == {org.organization_id}
    assert all(f["finding_info"]["types"][0].startswith("orgkit/") for f in items)
    fine = set().union(*(RULES[k]["fine"] for k in RULES))
    assert not {f["compliance"]["checks"][0]["status"] for f in items} & fine


def test_a_view_without_findings_refuses_ocsf(capsys):
    from orgkit.cli import main

    code = main(["coverage", "--trails", "--format", "ocsf"])
    err = capsys.readouterr().err
    assert code == 2 and "--format ocsf: this view has no findings" in err
