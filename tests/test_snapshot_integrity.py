"""The snapshot's integrity checks, word for word (issue 22, the survivors of mutation testing snapshot.py).

tests/test_faults.py meets each fault through the ``orgkit`` command and checks the shape of the one line; here the
loader's :class:`SnapshotError` is compared whole (the file it names and the problem it states), so a check that
goes quiet, names the wrong file or garbles the list of regions it reports is caught. Each snapshot is written by
the real writer (``reseal``): its digest is consistent, only the check under test can refuse it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import orgkit
from orgkit.snapshot import (DIGEST_KEY, SCHEMA_VERSION, SnapshotError, SnapshotReader, SnapshotWriter, _host,
                             _pid_alive, dumps, manifest_digest, strip_metadata, sweep_leftovers, unlisted_regions)
from orgkit.testing import SnapshotSpec

MEMBER, ADMIN = "222222222222", "333333333333"


def spec() -> SnapshotSpec:
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    ou = sb.ou("Workloads")
    sb.ou("Sandbox")
    a = sb.account("App", parent=ou, account_id=MEMBER)
    adm = sb.account("Security", parent=ou, account_id=ADMIN)
    sb.detector(adm, "us-east-1")
    sb.detector(a, "us-east-1")
    sb.detector(a, "eu-west-1")
    sb.trail(sb.management, "org", organization=True)
    sb.trail(a, "own")
    sb.policy("DenyLeave", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}, [ou])
    return sb


def reseal(path: Path, edit) -> Path:
    """Rewrite a snapshot through the real writer after ``edit(docs, manifest)``: a consistent digest."""
    r = SnapshotReader(path)
    docs = {f: r.read(f) for f in r.files}
    m = {k: v for k, v in r.manifest.items() if k not in ("files", "schema_version", DIGEST_KEY)}
    edit(docs, m)
    with SnapshotWriter(path) as w:
        for f, d in docs.items():
            w.write(f, d)
        w.commit(m)
    return path


def refusal(path: Path) -> tuple[str, str]:
    with pytest.raises(SnapshotError) as e:
        orgkit.load(path)
    return e.value.path, e.value.problem


# the counts the collector records for spec(): 3 accounts, 2 OUs, 2 SCPs, 2 trails, 3 detectors
COUNTS = {"accounts": 3, "ous": 2, "policies": 2, "trails": 2, "detectors": 3}


@pytest.fixture
def snap(tmp_path) -> Path:
    return reseal(spec().write(tmp_path / "snap"), lambda docs, m: m.update(counts=dict(COUNTS)))


# ----------------------------------------------------------------------------------------------- counts
def test_the_recorded_counts_are_the_files_counts(snap):
    org = orgkit.load(snap)
    assert len(org.accounts) == 3


@pytest.mark.parametrize("key", sorted(COUNTS))
def test_each_count_that_disagrees_with_the_files_is_refused_and_named(snap, key):
    reseal(snap, lambda docs, m: m["counts"].update({key: COUNTS[key] + 1}))
    path, problem = refusal(snap)
    assert path == str(snap / "manifest.json")
    assert problem == (f"counts.{key} is {COUNTS[key] + 1} but the files hold {COUNTS[key]}: the manifest and the "
                       "data files disagree (edited?)")


def test_the_error_count_is_held_to_errors_json(snap):
    reseal(snap, lambda docs, m: m.update(error_count=2))
    assert refusal(snap) == (str(snap / "manifest.json"), "error_count is 2 but errors.json holds 0: the manifest "
                                                          "and the data files disagree (edited?)")


def test_without_errors_json_the_error_count_is_not_held_to_anything(snap):
    """A snapshot without errors.json (hand-made, or older): nothing to hold ``error_count`` to; it loads."""
    def edit(docs, m):
        del docs["errors.json"]
        m["error_count"] = 1
    reseal(snap, edit)
    assert "errors.json" not in SnapshotReader(snap).files
    assert len(orgkit.load(snap).accounts) == 3


# ----------------------------------------------------------------------------------------------- accounts
def test_an_account_file_of_an_account_the_organisation_does_not_list_is_refused(snap):
    stranger = "555555555555"

    def edit(docs, m):
        docs[f"accounts/{stranger}.json"] = dict(docs[f"accounts/{MEMBER}.json"], AccountId=stranger,
                                                 CloudTrail={"ListTrails": [], "Trails": {}}, GuardDuty={})
    reseal(snap, edit)
    assert refusal(snap) == (str(snap / "accounts" / f"{stranger}.json"),
                             "is for an account the organisation does not list (edited?)")


# ----------------------------------------------------------------------------------------------- regions
@pytest.mark.parametrize("regions", [["us-east-1", "eu-west-1", "us-east-1"],  # a region twice
                                     ["us-east-1", "eu-west-1", ""],  # an empty name
                                     ["us-east-1", "eu-west-1", 7],  # not a name
                                     {"us-east-1": 1, "eu-west-1": 2}])  # not a list
def test_regions_that_are_not_a_list_of_distinct_names_are_refused(snap, regions):
    reseal(snap, lambda docs, m: m.update(regions=regions))
    assert refusal(snap) == (str(snap / "manifest.json"), "regions is not a list of distinct region names: the "
                                                          "manifest and the data files disagree (edited?)")


def test_regions_lacking_regions_an_account_was_read_in_are_named(snap):
    def edit(docs, m):
        gd = docs[f"accounts/{MEMBER}.json"]["GuardDuty"]
        gd["ap-south-1"] = gd["sa-east-1"] = {"DetectorIds": []}
    reseal(snap, edit)
    assert refusal(snap) == (str(snap / "manifest.json"), f"regions lacks ap-south-1, sa-east-1, which accounts/"
                             f"{MEMBER}.json was read in: the manifest and the data files disagree (edited?)")


def test_regions_lacking_regions_the_guardduty_administrators_were_read_in_are_named(snap):
    def edit(docs, m):
        docs["guardduty.json"]["OrganizationAdminAccounts"] = {
            "us-east-1": [], "sa-east-1": [{"AdminAccountId": ADMIN, "AdminStatus": "ENABLED"}], "ap-south-1": []}
    reseal(snap, edit)
    assert refusal(snap) == (str(snap / "manifest.json"), "regions lacks ap-south-1, sa-east-1, which guardduty.json "
                             "was read in: the manifest and the data files disagree (edited?)")


def test_guardduty_administrators_of_the_listed_regions_load(snap):
    reseal(snap, lambda docs, m: docs["guardduty.json"].update(OrganizationAdminAccounts={
        "eu-west-1": [{"AdminAccountId": ADMIN, "AdminStatus": "ENABLED"}]}))
    org = orgkit.load(snap)
    assert list(org.guardduty_admins["admin_account_id"]) == [ADMIN]


def _regions_snapshot(tmp_path, regions, unlisted=None, lists=None):
    """Every account's region list (``Regions``) is ``lists`` (default: us-east-1 and eu-west-1)."""
    sb = SnapshotSpec(regions=regions)
    sb.account("App", account_id=MEMBER)
    listed = lists if lists is not None else ["us-east-1", "eu-west-1"]
    for doc in sb.docs.values():
        doc["Regions"] = [{"RegionName": r, "RegionOptStatus": "ENABLED_BY_DEFAULT"} for r in listed]
    path = sb.write(tmp_path / "s")
    if unlisted is not None:
        reseal(path, lambda docs, m: m.update(regions_unlisted=unlisted))
    return path


def test_regions_no_account_lists_are_all_named(tmp_path):
    path = _regions_snapshot(tmp_path, ["us-east-1", "us-east1", "eu-west1"])
    assert refusal(path) == (str(path / "manifest.json"), "regions has us-east1, eu-west1, which no account's region "
                             "list (account:ListRegions) has: misspelled when collected? Collect again with "
                             "--regions checked")


@pytest.mark.parametrize("unlisted", [["ap-future-9", "eu-west-9"], ["ap-future-9", 9], "ap-future-9"])
def test_a_record_of_unlisted_regions_outside_regions_is_refused(tmp_path, unlisted):
    path = _regions_snapshot(tmp_path, ["us-east-1", "ap-future-9"], unlisted)
    assert refusal(path) == (str(path / "manifest.json"), "regions_unlisted is not a list of regions of `regions`: "
                                                          "the manifest was edited?")


def test_a_record_of_unlisted_regions_that_the_lists_have_names_them(tmp_path):
    path = _regions_snapshot(tmp_path, ["us-east-1", "eu-west-1", "ap-future-9"],
                             ["us-east-1", "eu-west-1", "ap-future-9"])
    assert refusal(path) == (str(path / "manifest.json"), "regions_unlisted names us-east-1, eu-west-1, which an "
                             "account's region list has: the manifest and the data files disagree (edited?)")


def test_an_account_whose_region_list_was_not_read_holds_nothing_to_account(tmp_path):
    """The collector writes ``Regions: null`` for an account whose list it could not read: the other accounts'
    lists decide; with none read, no region is unlisted."""
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    sb.account("App", account_id=MEMBER)
    sb.docs[MEMBER]["Regions"] = None
    sb.docs[sb.management]["Regions"] = [{"RegionName": "us-east-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"}]
    path = sb.write(tmp_path / "s")
    reseal(path, lambda docs, m: m.update(regions_unlisted=["eu-west-1"]))
    assert len(orgkit.load(path).accounts) == 2
    docs = {MEMBER: {"Regions": None}, "x": {"Regions": [{"RegionName": "us-east-1"}]}, "y": None}
    assert unlisted_regions(["us-east-1", "eu-west-1"], docs) == ["eu-west-1"]
    assert unlisted_regions(["us-east-1", "eu-west-1"], {MEMBER: {"Regions": None}}) == []


# ----------------------------------------------------------------------------------------------- the error itself
def test_a_snapshot_error_names_the_file_and_the_problem_and_escapes_both_in_html():
    e = SnapshotError(Path("/snaps/<b>x</b>/manifest.json"), "bad & <i>worse</i>")
    assert (e.path, e.problem, str(e)) == ("/snaps/<b>x</b>/manifest.json", "bad & <i>worse</i>",
                                           "/snaps/<b>x</b>/manifest.json: bad & <i>worse</i>")
    html = e._repr_html_()
    assert "<code>/snaps/&lt;b&gt;x&lt;/b&gt;/manifest.json</code>: bad &amp; &lt;i&gt;worse&lt;/i&gt;</div>" in html
    assert "<b>x</b>" not in html and "<i>" not in html


def test_response_metadata_is_not_stored():
    assert strip_metadata({"ResponseMetadata": {"RequestId": "r-1", "RetryAttempts": 2}, "Trail": {"Name": "t"},
                           "responseMetadata": 1}) == {"Trail": {"Name": "t"}, "responseMetadata": 1}


# ----------------------------------------------------------------------------------------------- writer, leftovers
def test_an_exception_after_the_commit_is_the_one_raised_and_the_snapshot_stays(tmp_path):
    out = tmp_path / "snap"
    with pytest.raises(RuntimeError, match="after the commit"):
        with SnapshotWriter(out) as w:
            w.write("errors.json", {"Errors": []})
            w.commit({})
            raise RuntimeError("after the commit")
    assert SnapshotReader(out).read("errors.json") == {"Errors": []}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]


def test_a_leftover_of_a_live_process_is_kept_and_the_process_is_not_signalled(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        left = tmp_path / f".snap.partial-{_host()}-{child.pid}-abcd1234"
        left.mkdir()
        removed, kept = sweep_leftovers(tmp_path / "snap")
        assert removed == [] and kept == [(left, f"process {child.pid} may still be writing it")]
        time.sleep(0.2)
        assert child.poll() is None  # only asked whether it exists (signal 0): still running
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize("error", [PermissionError(1, "Operation not permitted"), OSError(22, "Invalid argument")])
def test_a_process_that_cannot_be_asked_counts_as_alive(monkeypatch, error):
    """kill(pid, 0) fails with EPERM for another user's live process: alive, so its leftover is kept."""
    def kill(pid, sig):
        raise error
    monkeypatch.setattr(os, "kill", kill)
    assert _pid_alive(12345) is True


def test_a_gone_process_is_not_alive():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    assert _pid_alive(p.pid) is False


# ----------------------------------------------------------------------------------------------- the reader
def test_what_is_not_a_snapshot_is_named_with_why(tmp_path):
    f = tmp_path / "x.json"
    f.write_text("{}")
    assert refusal(tmp_path / "nope") == (str(tmp_path / "nope"), "no such snapshot directory")
    assert refusal(f) == (str(f), "is not a directory (a snapshot is a directory with a manifest.json)")
    assert refusal(tmp_path) == (str(tmp_path / "manifest.json"), "missing: this directory is not a complete snapshot")


def test_a_manifest_that_is_a_link_is_refused(snap, tmp_path):
    m = snap / "manifest.json"
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(m.read_bytes())
    m.unlink()
    m.symlink_to(elsewhere)
    assert refusal(snap) == (str(m), "is a link: refused; a snapshot holds only regular files")


def test_a_manifest_that_is_not_a_json_object_is_named(snap):
    m = snap / "manifest.json"
    m.write_text("[1, 2]\n")
    assert refusal(snap) == (str(m), "is not a JSON object")
    m.write_text('{"schema_version": 2,')
    path, problem = refusal(snap)
    assert path == str(m) and problem.startswith("is not valid JSON (truncated or corrupt?): Expecting")


def test_a_required_file_the_manifest_does_not_list_is_named(snap):
    reseal(snap, lambda docs, m: docs.pop("organization.json"))
    assert refusal(snap) == (str(snap / "organization.json"), "is not listed in manifest.json")


def test_optional_files_may_be_absent(snap):
    def edit(docs, m):
        del docs["guardduty.json"]
    reseal(snap, edit)
    org = orgkit.load(snap)
    assert len(org.accounts) == 3 and org.guardduty_admins.empty


def test_an_edited_data_file_is_named_and_the_reader_verifies_by_default(snap):
    f = snap / "policies.json"
    f.write_text(f.read_text().replace("DenyLeave", "DenyLeaf"))
    want = (str(f), "does not match its checksum in manifest.json (truncated or edited?)")
    assert refusal(snap) == want
    with pytest.raises(SnapshotError) as e:
        SnapshotReader(snap).read("policies.json")
    assert (e.value.path, e.value.problem) == want
    names = [p["PolicySummary"]["Name"] for p in SnapshotReader(snap, verify=False).read("policies.json")["Policies"]]
    assert "DenyLeaf" in names


def forge(path: Path, edit) -> Path:
    """Edit manifest.json and recompute its digest (a careful forger): only the check under test can refuse it."""
    p = path / "manifest.json"
    m = json.loads(p.read_text())
    edit(m)
    m.pop(DIGEST_KEY, None)
    m[DIGEST_KEY] = manifest_digest(m)
    p.write_text(dumps(m))
    return p


@pytest.mark.parametrize("edit,problem", [
    (lambda m: m.update(schema_version="2"), "has no integer schema_version"),
    (lambda m: m.update(schema_version=True), "has no integer schema_version"),
    (lambda m: m.update(schema_version=SCHEMA_VERSION + 1),
     f"schema version {SCHEMA_VERSION + 1} is newer than this orgkit reads ({SCHEMA_VERSION}): upgrade orgkit"),
    (lambda m: m.update(schema_version=0), "unknown schema version 0"),
    (lambda m: m.pop("files"), "has no 'files' table"),
    (lambda m: m.update(files=[]), "has no 'files' table"),
    (lambda m: m["files"].update({"errors.json": "abc"}), "lists 'errors.json' with an invalid checksum 'abc'"),
    (lambda m: m["files"].update({"errors.json": 5}), "lists 'errors.json' with an invalid checksum 5"),
    (lambda m: m["files"].update({"errors.json": "A" * 64}),
     f"lists 'errors.json' with an invalid checksum {'A' * 64!r}"),
])
def test_a_forged_manifest_is_refused_with_what_is_wrong(snap, edit, problem):
    m = forge(snap, edit)
    assert refusal(snap) == (str(m), problem)


def test_a_manifest_without_its_digest_or_not_canonical_is_refused(snap):
    p = snap / "manifest.json"
    m = json.loads(p.read_text())
    p.write_text(dumps({k: v for k, v in m.items() if k != DIGEST_KEY}))
    assert refusal(snap) == (str(p), f"has no {DIGEST_KEY} (schema 2 manifests carry their own digest): edited or "
                                     "truncated")
    p.write_text(json.dumps(m, sort_keys=True, indent=2) + "\n")  # same content, other form
    assert refusal(snap) == (str(p), "is not in the canonical form orgkit writes: the manifest was edited")


def test_a_linked_data_file_is_named(snap, tmp_path):
    target = snap / "errors.json"
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(outside)
    assert refusal(snap) == (str(target), "is a link (or leads outside the snapshot): refused; a snapshot holds only "
                                          "regular files")


# ----------------------------------------------------------------------------------------------- the stored text
def test_times_are_stored_in_utc_and_bytes_as_text():
    import datetime as dt

    cet = dt.timezone(dt.timedelta(hours=1))
    assert json.loads(dumps({"naive": dt.datetime(2026, 1, 1, 12, 0), "cet": dt.datetime(2026, 1, 1, 13, 0, tzinfo=cet),
                             "day": dt.date(2026, 1, 2), "raw": b"ok\xff", "set": {"b", "a"}})) == {
        "naive": "2026-01-01T12:00:00+00:00", "cet": "2026-01-01T12:00:00+00:00", "day": "2026-01-02",
        "raw": "ok\ufffd", "set": ["a", "b"]}
    with pytest.raises(TypeError, match="cannot store object in a snapshot"):
        dumps({"x": object()})


def test_times_are_stored_in_utc_whatever_the_local_zone(monkeypatch):
    import datetime as dt

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        assert json.loads(dumps([dt.datetime(2026, 1, 1, 12, 0),
                                 dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)])) == [
            "2026-01-01T12:00:00+00:00", "2026-01-01T12:00:00+00:00"]
    finally:
        monkeypatch.undo()
        time.tzset()


# ----------------------------------------------------------------------------------------------- the writer
def test_the_writer_works_next_to_out_in_a_private_partial_directory(tmp_path):
    out = tmp_path / "new" / "deeper" / "snap"  # parents that do not exist yet
    with SnapshotWriter(out) as w:
        assert w.tmp.parent == out.parent
        assert w.tmp.name.startswith(f".snap.partial-{_host()}-{os.getpid()}-")
        w.write("accounts/x.json", {"a": 1})
        # orgkit writes one level (accounts/); a deeper name works too, its intermediate directories taking the
        # umask's mode inside the private top directory
        w.write("nested/twice/y.json", {"b": 2})
        with pytest.raises(SnapshotError, match=r"lists '\.\./x\.json', which points outside"):
            w.write("../x.json", {})
        w.commit({})
    for d in (out, out / "accounts", out / "nested" / "twice"):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    assert SnapshotReader(out).read("accounts/x.json") == {"a": 1}
    assert SnapshotReader(out).read("nested/twice/y.json") == {"b": 2}
    assert sorted(p.name for p in out.parent.iterdir()) == ["snap"]


def test_a_writer_left_without_commit_leaves_nothing(tmp_path):
    with SnapshotWriter(tmp_path / "snap") as w:
        w.write("errors.json", {"Errors": []})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("made", ["file", "directory"])
def test_something_put_at_out_while_writing_is_never_replaced(tmp_path, made):
    out = tmp_path / "snap"
    with pytest.raises(SnapshotError) as e:
        with SnapshotWriter(out) as w:
            w.write("errors.json", {"Errors": []})
            if made == "file":
                out.write_text("precious")
            else:
                out.mkdir()
                (out / "thesis.tex").write_text("precious")
            w.commit({})
    what = "a directory" if made == "file" else "a snapshot"
    assert (e.value.path, e.value.problem) == (str(out), f"exists and is not {what}; refusing to replace it")
    assert (out.read_text() if made == "file" else (out / "thesis.tex").read_text()) == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]


def test_an_interrupted_rename_puts_the_previous_snapshot_back(snap, monkeypatch):
    """Ctrl-C between the two renames of a replace: the previous snapshot is moved back into place."""
    before = (snap / "manifest.json").read_bytes()
    real = os.replace

    def replace(src, dst):
        if Path(src).name.startswith(".snap.partial-"):
            raise KeyboardInterrupt
        return real(src, dst)
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        with SnapshotWriter(snap) as w:
            w.write("errors.json", {"Errors": []})
            w.commit({})
    monkeypatch.undo()
    assert (snap / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in snap.parent.iterdir()) == ["snap"]
    assert len(orgkit.load(snap).accounts) == 3


@pytest.mark.parametrize("name", ["", 5])
def test_a_file_entry_that_is_not_a_name_is_refused(snap, name):
    def edit(m):
        m["files"] = {**m["files"], name: "0" * 64} if isinstance(name, str) else m["files"]
    if isinstance(name, str):
        p = forge(snap, edit)
        assert refusal(snap) == (str(p), "lists a file with an invalid name ''")
    with pytest.raises(SnapshotError) as e:
        with SnapshotWriter(snap.parent / "other") as w:
            w.write(name, {})
    assert e.value.problem == f"lists a file with an invalid name {name!r}"


@pytest.mark.parametrize("name", ["../outside.json", "C:evil.json", "c:evil.json", "accounts//x.json", "accounts/",
                                  "./errors.json", "manifest.json", "/etc/hostname", "a\\b.json"])
def test_file_entries_outside_the_snapshot_are_refused_word_for_word(snap, name):
    p = forge(snap, lambda m: m["files"].update({name: "0" * 64}))
    assert refusal(snap) == (str(p), f"lists {name!r}, which points outside the snapshot (or at the manifest "
                                     "itself): refused (edited manifest?)")


def test_non_ascii_text_is_stored_as_utf8():
    assert dumps({"name": "Équipe ☃"}) == '{\n "name": "Équipe ☃"\n}\n'


def test_the_host_in_a_partial_directory_name_is_safe(monkeypatch):
    import socket

    for given, want in [("Build-01.example.com", "Build_01.example.com"), ("a b/c:d_e", "a_b_c_d_e"),
                        ("x" * 50, "x" * 40), ("", "host")]:
        monkeypatch.setattr(socket, "gethostname", lambda: given)
        assert _host() == want, given


def test_an_out_that_is_a_file_is_refused_before_any_work(tmp_path):
    f = tmp_path / "snap"
    f.write_text("precious")
    with pytest.raises(SnapshotError) as e:
        SnapshotWriter(f)
    assert (e.value.path, e.value.problem) == (str(f), "exists and is not a directory: give a new directory, or an "
                                                       "earlier snapshot to replace")
    assert f.read_text() == "precious" and sorted(p.name for p in tmp_path.iterdir()) == ["snap"]


def test_an_out_that_holds_something_else_or_lies_beneath_a_file_is_refused(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("do not delete")
    with pytest.raises(SnapshotError) as e:
        SnapshotWriter(out)
    assert (e.value.path, e.value.problem) == (str(out), "exists and is not a snapshot (no manifest.json); refusing "
                                                         "to replace it: give a new directory")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(SnapshotError) as e:
        SnapshotWriter(tmp_path / "afile" / "deeper" / "snap")
    assert (e.value.path, e.value.problem) == (str(tmp_path / "afile"), "is not a directory: cannot create the "
                                                                        "snapshot beneath it")
    empty = tmp_path / "empty"
    empty.mkdir()
    with SnapshotWriter(empty) as w:  # an empty directory may become the snapshot
        w.commit({})
    assert SnapshotReader(empty).files == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "empty", "precious"]


def test_a_place_that_cannot_be_written_is_refused_before_any_work(tmp_path, monkeypatch):
    """As another user meets a directory they may not write (the tests run as root, whom no mode stops: the
    permission answer is given by ``os.access``, as the kernel would give it)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: (not mode & os.W_OK) and real(p, mode)
                        if Path(p) == locked else real(p, mode))
    for out in (locked / "snap", locked / "new" / "snap"):
        with pytest.raises(SnapshotError) as e:
            SnapshotWriter(out)
        assert (e.value.path, e.value.problem) == (str(locked), "is not writable: cannot create the snapshot there")
    assert list(locked.iterdir()) == []


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_the_sweep_goes_through_every_leftover_and_touches_only_directories(tmp_path):
    out = tmp_path / "snap"
    unowned = tmp_path / ".snap.partial-0abc"  # sorts first; an orgkit that did not record its process
    stale = tmp_path / f".snap.partial-{_host()}-{_dead_pid()}-zz"
    a_file = tmp_path / f".snap.partial-{_host()}-{_dead_pid()}-file"
    precious = tmp_path / "precious"
    linked = tmp_path / f".snap.partial-{_host()}-{_dead_pid()}-link"
    for d in (unowned, stale, precious):
        d.mkdir()
        (d / "x.json").write_text("{}")
    a_file.write_text("not a directory")
    linked.symlink_to(precious, target_is_directory=True)
    removed, kept = sweep_leftovers(out)
    assert removed == [stale] and not stale.exists()
    assert kept == [(unowned, f"left by an earlier run (no process recorded): remove it if no orgkit collect is "
                              f"writing {out}")]
    assert a_file.read_text() == "not a directory" and (precious / "x.json").exists() and linked.is_symlink()


def test_a_moved_aside_snapshot_is_named_and_the_sweep_goes_on(tmp_path):
    out = tmp_path / "snap"
    old = tmp_path / f".snap.old-{_host()}-{_dead_pid()}"  # ".snap.old-" sorts before ".snap.partial-"
    stale = tmp_path / f".snap.partial-{_host()}-{_dead_pid()}-zz"
    for d in (old, stale):
        d.mkdir()
    removed, kept = sweep_leftovers(out)
    assert removed == [stale]
    assert kept == [(old, f"the previous snapshot, moved aside by a run that was killed: move it back to {out}")]


def test_a_leftover_that_cannot_be_removed_is_named(tmp_path, monkeypatch):
    """As ``shutil.rmtree`` behaves on a directory the user may not remove (the tests run as root, whom no mode
    stops): it raises, or with ``ignore_errors`` leaves the directory in place."""
    import shutil

    def rmtree(path, ignore_errors=False):
        if not ignore_errors:
            raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(shutil, "rmtree", rmtree)
    pid = _dead_pid()
    stale = tmp_path / f".snap.partial-{_host()}-{pid}-zz"
    stale.mkdir()
    removed, kept = sweep_leftovers(tmp_path / "snap")
    assert removed == [] and kept == [(stale, f"left by process {pid} (gone) but could not be removed")]


def test_a_previous_snapshot_that_cannot_be_removed_after_a_replace_is_left_for_the_sweep(snap, monkeypatch):
    """The new snapshot is in place; the moved-aside previous one could not be removed (``shutil.rmtree`` raises
    on it, as on a directory the user may not remove): the replace still succeeds, and the leftover is named."""
    import shutil

    def rmtree(path, ignore_errors=False):
        if not ignore_errors:
            raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(shutil, "rmtree", rmtree)
    with SnapshotWriter(snap) as w:
        w.write("errors.json", {"Errors": []})
        w.commit({})
    monkeypatch.undo()
    assert SnapshotReader(snap).files.keys() == {"errors.json"}
    assert [p.name for p in snap.parent.iterdir() if p.name != "snap"] == [f".snap.old-{_host()}-{os.getpid()}"]
