"""The demo organisation: `orgkit demo` end to end, and the bundled snapshot kept true to what it produces."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import orgkit
from orgkit.model import BUNDLED_DEMO
from orgkit.demo import BUNDLED_LATER, BUNDLED_TFPLAN, BUNDLED_TFSTATE

pytestmark = pytest.mark.integration
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
VOLATILE_MANIFEST = {"duration_seconds", "files", "orgkit_version", "manifest_sha256"}


def normalised(snapshot: Path) -> dict[str, object]:
    """Every file of a snapshot with timestamps replaced (moto stamps objects with the wall clock)."""
    out = {}
    for f in sorted(snapshot.rglob("*.json")):
        doc = json.loads(TIME.sub("<time>", f.read_text()))
        if f.name == "manifest.json":
            doc = {k: v for k, v in doc.items() if k not in VOLATILE_MANIFEST}
        out[str(f.relative_to(snapshot))] = doc
    return out


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    proc = subprocess.run([sys.executable, "-m", "orgkit.cli", "demo", "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


def test_demo_prints_where_the_reports_are(demo_run):
    out, proc = demo_run
    reports = [Path(line.split(": ", 1)[1]) for line in proc.stdout.splitlines() if line.startswith("report: ")]
    assert reports, proc.stdout
    for r in reports:
        assert r.exists() and r.stat().st_size > 10_000
        assert "Traceback" not in r.read_text()
    assert {r.stem for r in reports} == {p.stem for p in (Path(orgkit.__file__).parent.parent / "notebooks")
                                         .glob("[0-9][0-9]-*.ipynb")}


def test_bundled_snapshot_does_not_drift(demo_run):
    """The bundled copy is what the scenario and the collector produce today (refresh: orgkit demo --write-bundled)."""
    out, _ = demo_run
    fresh, bundled = normalised(out / "snapshot"), normalised(BUNDLED_DEMO)
    assert sorted(fresh) == sorted(bundled)
    for name in fresh:
        assert fresh[name] == bundled[name], f"{name} drifted from the bundled demo snapshot"
    assert json.loads((out / "terraform.tfstate").read_text()) == json.loads(BUNDLED_TFSTATE.read_text())


def test_bundled_later_snapshot_and_plan_do_not_drift(demo_run):
    """The second demo snapshot (the demo-later scenario's steps applied to the same organisation, collected again)
    and the Terraform plan fixture are what the scenario and the collector produce today."""
    out, proc = demo_run
    fresh, bundled = normalised(out / "snapshot-later"), normalised(BUNDLED_LATER)
    assert sorted(fresh) == sorted(bundled)
    for name in fresh:
        assert fresh[name] == bundled[name], f"{name} drifted from the bundled demo-later snapshot"
    assert json.loads(TIME.sub("<time>", (out / "terraform-plan.json").read_text())) == \
        json.loads(TIME.sub("<time>", BUNDLED_TFPLAN.read_text()))
    assert f"snapshot later: {out / 'snapshot-later'}" in proc.stdout


def test_demo_later_has_the_changes_it_promises():
    """What the second snapshot is for: each change the notebook walks through is there, found by orgkit.diff."""
    changes = orgkit.diff(orgkit.load(), orgkit.load(BUNDLED_LATER), principal="role/Developer")
    reg = changes[changes.severity == "regression"]
    names = dict(zip(orgkit.load(BUNDLED_LATER).accounts.account_name, orgkit.load(BUNDLED_LATER).accounts.account_id))
    new = names["Payments"]
    assert set(changes[changes.kind == "account_added"].account_id) == {new}
    assert set(reg[(reg.kind == "guardduty") & (reg.account_id == new)].after) == {"none"}  # no GuardDuty
    assert set(reg[reg.kind == "trail_stopped"].trail_arn.str.rsplit("/", n=1).str[1]) == {"prod-data-s3-audit"}
    assert set(reg[reg.kind == "guardduty"].before.dropna()) == {"standalone"}  # Sandbox 1's detector suspended
    edited = changes[changes.kind == "scp_edited"].set_index("policy_name")
    assert edited.loc["ProtectSecurityServices", "severity"] == "regression"
    assert edited.loc["RegionRestriction", "severity"] == "neutral"  # reordered: no effect
    stop = reg[(reg.kind == "tamper") & (reg.action == "cloudtrail:StopLogging")]
    assert names["Production Data"] in set(stop.account_id)
    migrated = changes[(changes.kind == "guardduty") & (changes.region == "us-west-2") & changes.before.notna()]
    assert (migrated.before == "invited_member").all() and (migrated.after == "org_member").all() and len(migrated)
    assert changes[changes.kind == "guardduty_admin"].region.tolist() == ["us-west-2"]


def test_demo_organisation_has_the_problems_it_promises():
    org = orgkit.load()
    names = dict(zip(org.accounts.account_name, org.accounts.account_id))
    assert 14 <= len(org.accounts) <= 17
    assert {"Security", "Log Archive"} <= set(names)
    assert {"Root/Engineering/Production", "Root/Engineering/Stage", "Root/Engineering/Dev", "Root/Interviews",
            "Root/Sandbox"} <= set(org.ous.ou_path)
    t = org.trails.set_index("name")
    assert bool(t.loc["org-trail", "is_organization_trail"]) and bool(t.loc["org-s3-data-events",
                                                                            "is_organization_trail"])
    assert t.loc["org-s3-data-events", "selector_kind"] == "advanced"
    assert not bool(t.loc["console-test-trail", "is_multi_region"])  # single-region, made by hand
    assert t.loc["stage-audit", "is_logging"] == False  # noqa: E712  stopped
    assert t.loc["prod-data-s3-audit", "latest_delivery_error"] == "AccessDenied"  # logs, cannot deliver
    tf = json.loads(BUNDLED_TFSTATE.read_text())
    tf_arns = {i["attributes"]["arn"] for r in tf["resources"] for i in r["instances"]}
    assert set(org.trails.trail_arn) - tf_arns == {t.loc["console-test-trail", "trail_arn"]}
    # GuardDuty: invitations in some regions, Organizations in others
    m = org.guardduty_members
    assert m[m.region == "us-west-2"].by_invitation.all() and not m[m.region == "us-east-1"].by_invitation.any()
    assert set(org.guardduty_admins.region) == {"us-east-1", "eu-west-1"}
    assert "999900001111" in set(m.account_id)  # a member outside the organisation
    assert (org.detectors.status == "DISABLED").sum() >= 1  # suspended
    new = names["New Hire Sandbox"]
    assert set(org.detectors[org.detectors.account_id == new].region) == {"us-east-1"}  # auto-enable ALL only
    # a region that is off for one account, and an account whose role cannot be assumed
    off = org.regions[org.regions.enabled == False]  # noqa: E712
    # Sandbox 2 turned eu-south-1 off; the new account never turned the opt-in region on
    assert set(zip(off.account_id, off.region)) == {(names["Sandbox 2"], "eu-south-1"), (new, "eu-south-1")}
    assert list(org.accounts[org.accounts.access == "none"].account_name) == ["Legacy Analytics"]


def test_demo_reports_are_private_and_self_contained(demo_run):
    """Reports hold the organisation's layout: 0600 files in 0700 folders, like snapshots; and they load nothing
    from the network (no MathJax, require.js or widget manager from a CDN)."""
    out, proc = demo_run
    reports = out / "reports"
    for d in (out, reports):
        assert d.stat().st_mode & 0o777 == 0o700, d
    files = list(reports.iterdir())
    assert files and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    assert (out / "terraform.tfstate").stat().st_mode & 0o777 == 0o600
    for f in reports.glob("*.html"):
        text = f.read_text()
        assert not re.findall(r"""<(?:script|link|img)[^>]+(?:src|href)=["']?(?:https?:)?//""", text), f.name
        assert "cdnjs" not in text and "unpkg.com" not in text


def test_demo_output_is_quiet_and_explains_the_planted_error(demo_run):
    _, proc = demo_run
    assert "running over TCP" not in proc.stderr
    assert "Parent appears to have exited" not in proc.stderr
    assert "planted" in proc.stderr and "Legacy Analytics" in proc.stderr
    assert "not planted" not in proc.stderr
