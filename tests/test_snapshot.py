"""The snapshot on disk: atomic, private, validated on load with errors that name the file."""

import json
import os
import stat

import pytest

import orgkit
from orgkit.snapshot import SCHEMA_VERSION, SnapshotError, SnapshotWriter
from orgkit.testing import SnapshotSpec


@pytest.fixture
def snap(tmp_path):
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    eng = sb.ou("Engineering")
    prod = sb.ou("Prod", parent=eng)
    sb.account("App", parent=prod, account_id="012345678901")
    sb.trail(sb.management, "org", organization=True)
    return sb.write(tmp_path / "snap")


def test_snapshot_is_private_and_complete(snap):
    assert stat.S_IMODE(os.stat(snap).st_mode) == 0o700
    for f in snap.rglob("*.json"):
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o600, f
    manifest = json.loads((snap / "manifest.json").read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert set(manifest["files"]) == {str(p.relative_to(snap)) for p in snap.rglob("*.json")} - {"manifest.json"}
    assert not [p for p in snap.parent.iterdir() if p.name.startswith(".snap")], "temporary directory left behind"


def test_files_are_sorted_indented_json(snap):
    text = (snap / "organization.json").read_text()
    doc = json.loads(text)
    assert text == json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def test_account_ids_stay_strings(snap):
    org = orgkit.load(snap)
    assert "012345678901" in set(org.accounts["account_id"])
    assert all(isinstance(a, str) and len(a) == 12 for a in org.accounts["account_id"])


def test_interrupted_write_leaves_nothing_that_looks_complete(tmp_path):
    out = tmp_path / "snap"
    with pytest.raises(RuntimeError):
        with SnapshotWriter(out) as w:
            w.write("organization.json", {"Roots": []})
            raise RuntimeError("collector died")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_interrupted_rewrite_keeps_previous_snapshot(snap):
    before = (snap / "manifest.json").read_text()
    with pytest.raises(RuntimeError):
        with SnapshotWriter(snap) as w:
            w.write("organization.json", {"Roots": []})
            raise RuntimeError("collector died")
    assert (snap / "manifest.json").read_text() == before
    orgkit.load(snap)


def test_directory_without_manifest_is_rejected(snap):
    (snap / "manifest.json").unlink()
    with pytest.raises(SnapshotError, match="manifest.json.*missing"):
        orgkit.load(snap)


def test_truncated_file_is_named(snap):
    f = snap / "organization.json"
    f.write_text(f.read_text()[:100])
    with pytest.raises(SnapshotError) as e:
        orgkit.load(snap)
    assert "organization.json" in str(e.value)
    assert "checksum" in str(e.value)


def test_truncated_file_without_verification_is_a_json_error(snap):
    f = snap / "policies.json"
    f.write_text(f.read_text()[:50])
    with pytest.raises(SnapshotError, match=r"policies\.json: is not valid JSON"):
        orgkit.load(snap, verify=False)


def test_missing_listed_file_is_named(snap):
    victim = next((snap / "accounts").iterdir())
    victim.unlink()
    with pytest.raises(SnapshotError, match=f"{victim.name}: is listed in manifest.json but missing"):
        orgkit.load(snap)


@pytest.mark.parametrize("version,msg", [(SCHEMA_VERSION + 1, "newer than this orgkit reads"),
                                         (0, "unknown schema version"), ("1", "no integer schema_version")])
def test_schema_versions(snap, version, msg):
    m = json.loads((snap / "manifest.json").read_text())
    m["schema_version"] = version
    (snap / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(SnapshotError, match=msg):
        orgkit.load(snap)


def test_not_a_directory(tmp_path):
    f = tmp_path / "x.json"
    f.write_text("{}")
    with pytest.raises(SnapshotError, match="not a directory"):
        orgkit.load(f)
    with pytest.raises(SnapshotError, match="no such snapshot"):
        orgkit.load(tmp_path / "nope")


def test_refuses_to_replace_a_directory_that_is_not_a_snapshot(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("do not delete")
    with pytest.raises(SnapshotError, match="not a snapshot"):
        with SnapshotWriter(out) as w:
            w.write("a.json", {})
            w.commit({})
    assert (out / "thesis.tex").exists()


def test_missing_required_field_is_named(tmp_path):
    sb = SnapshotSpec()
    sb.ous.append({"Id": "ou-x", "Name": "Broken"})  # no ParentId
    with pytest.raises(SnapshotError, match="organization.json: missing required field 'ParentId'"):
        sb.load(tmp_path / "s")
