"""Faults and bad input, met where the user meets them: through the ``orgkit`` command (docs/faults.md).

Every test checks the exit status (README, "Exit statuses"), that no traceback is shown, and the shape of the one
line on stderr (it starts with ``orgkit``, names what is wrong, says what to do), never its exact wording.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import orgkit
from orgkit.cli import main
from orgkit.snapshot import DIGEST_KEY, SnapshotError, SnapshotReader, SnapshotWriter, dumps, manifest_digest
from orgkit.testing import SnapshotSpec

ROOT = Path(__file__).resolve().parents[1]
ADMIN, MEMBER, OUTSIDE = "333333333333", "222222222222", "444444444444"


# ----------------------------------------------------------------------------------------------- helpers
def run(argv, capsys):
    """``orgkit ARGV`` in this process: (exit status, stdout, stderr)."""
    capsys.readouterr()
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as e:  # argparse
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def run_sub(argv, env=None, timeout=120, **kw):
    e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    e.update(PYTHONPATH=str(ROOT), AWS_EC2_METADATA_DISABLED="true", AWS_DEFAULT_REGION="us-east-1")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "orgkit.cli", *map(str, argv)], capture_output=True, text=True,
                          env=e, timeout=timeout, **kw)


def one_line(rc, err, status, *patterns):
    """The failure's shape: this exit status, no traceback, one line on stderr starting ``orgkit``, matching
    every pattern (case-insensitive)."""
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("orgkit"), lines[0]
    for p in patterns:
        assert re.search(p, lines[0], re.I), (p, lines[0])
    assert rc == status, (rc, err)
    return lines[0]


def gd_spec(with_admin=True) -> SnapshotSpec:
    """An organisation with an OU, an invitation administrator and one invited member (a plan that runs)."""
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    ou = sb.ou("Workloads")
    a = sb.account("App", parent=ou, account_id=MEMBER)
    adm = sb.account("Security", parent=ou, account_id=ADMIN)
    if with_admin:
        for r in sb.regions:
            sb.detector(adm, r, members=[sb.member(a, adm, invited=True)], administrator={})
            sb.detector(a, r, administrator={"AccountId": adm, "RelationshipStatus": "Enabled",
                                             "InvitedAt": "2026-01-01T00:00:00Z"})
    sb.trail(sb.management, "org", organization=True)
    return sb


@pytest.fixture
def snap(tmp_path) -> Path:
    return gd_spec().write(tmp_path / "snap")


def reseal(path: Path, edit) -> None:
    """Rewrite a snapshot through the real writer after ``edit(docs, manifest)``: a consistent digest, so only
    the cross-checks can tell."""
    r = SnapshotReader(path)
    docs = {f: r.read(f) for f in r.files}
    m = {k: v for k, v in r.manifest.items() if k not in ("files", "schema_version", DIGEST_KEY)}
    edit(docs, m)
    with SnapshotWriter(path) as w:
        for f, d in docs.items():
            w.write(f, d)
        w.commit(m)


def forge_manifest(path: Path, edit) -> None:
    """Edit manifest.json and recompute its digest (what a careful forger does)."""
    p = path / "manifest.json"
    m = json.loads(p.read_text())
    edit(m)
    m.pop(DIGEST_KEY, None)
    m[DIGEST_KEY] = manifest_digest(m)
    p.write_text(dumps(m))


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class HungEndpoint:
    """A TCP endpoint that accepts connections and never answers (a hung AWS endpoint)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = threading.Event()
        self.conns = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            self.accepted.set()

    def close(self):
        for c in self.conns:
            c.close()
        self.sock.close()


def interrupt_when_hung(argv, hung: HungEndpoint, env=None):
    """Start ``orgkit ARGV``, wait until it is blocked in a call to ``hung``, press Ctrl-C; (proc, seconds from the
    interrupt to the exit)."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    e.update(PYTHONPATH=str(ROOT), AWS_EC2_METADATA_DISABLED="true", AWS_DEFAULT_REGION="us-east-1",
             AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    e.update(env or {})
    proc = subprocess.Popen([sys.executable, "-m", "orgkit.cli", *map(str, argv)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=e)
    assert hung.accepted.wait(60), "the command never called the endpoint"
    time.sleep(0.5)
    t = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    proc.stdout_text, proc.stderr_text = out, err
    return proc, time.monotonic() - t


# ----------------------------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("flag,value,pattern", [
    ("--regions", "us-east1", r"us-east1.*(unknown|not a region)"),
    ("--regions", "us-east-1,eu-west-9", r"eu-west-9"),
    ("--regions", "US-EAST-1", r"US-EAST-1"),
    ("--regions", "mars-north-1", r"mars-north-1"),
    ("--regions", "us-east-1,cn-north-1", r"partition"),
    ("--regions", ",", r"--regions.*empty"),
    ("--accounts", "12345678901", r"12345678901.*12 digits"),
    ("--accounts", "1234567890123", r"1234567890123"),
    ("--accounts", "abcdefghijkl", r"abcdefghijkl"),
    ("--accounts", "012345678901,12345678901x", r"12345678901x"),
    ("--accounts", " , ", r"--accounts.*empty"),
    ("--workers", "0", r"--workers"),
])
def test_collect_refuses_bad_arguments_before_any_call(tmp_path, capsys, flag, value, pattern):
    # the endpoint refuses connections: a call would make this exit 3, not 2
    rc, out, err = run(["collect", "--out", tmp_path / "s", "--endpoint-url", f"http://127.0.0.1:{free_port()}",
                        flag, value, "--quiet"], capsys)
    one_line(rc, err, 2, pattern)
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("argv,pattern", [
    (["collect", "--out", "X", "--workers", "many"], r"--workers"),
    (["collect"], r"--out"),
    (["coverage", "--format", "xml"], r"xml"),
    (["nosuchcommand"], r"nosuchcommand"),
    (["collect", "--out", "X", "--endpoint-url", "localhost:5000"], r"endpoint-url"),
    (["collect", "--out", "X", "--endpoint-url", "http://127.0.0.1:99999"], r"port"),
    (["collect", "--out", "X", "--role-name", "Org Access Role"], r"role"),
    (["guardduty", "migrate", "--admin", ADMIN, "--endpoint-url", "ftp://x", "--live-check"], r"endpoint-url"),
])
def test_usage_errors_are_one_line(tmp_path, capsys, argv, pattern):
    argv = [str(tmp_path / "s") if a == "X" else a for a in argv]
    rc, _, err = run(argv, capsys)
    one_line(rc, err, 2, pattern)
    assert not (tmp_path / "s").exists()


def test_a_misspelled_region_suggests_the_real_one(tmp_path, capsys):
    rc, _, err = run(["collect", "--out", tmp_path / "s", "--regions", "us-east1"], capsys)
    one_line(rc, err, 2, r"us-east-1")


def test_region_check_module():
    from orgkit.aws.regions import UnknownRegion, check_regions, known_regions, partition_of

    assert check_regions(["us-east-1", "eu-south-1"]) == ["us-east-1", "eu-south-1"]
    assert partition_of("cn-north-1") == "aws-cn" and partition_of("us-gov-west-1") == "aws-us-gov"
    assert "us-east-1" in known_regions("aws") and "us-east-1" not in known_regions("aws-cn")
    for bad in (["us-east1"], ["us-east-1", "cn-north-1"], [], ["eu-west-1 "]):
        with pytest.raises(UnknownRegion):
            check_regions(bad)
    with pytest.raises(UnknownRegion):
        check_regions(["us-east-1"], partition="aws-cn")


@pytest.mark.parametrize("kind", ["file", "not_a_snapshot", "under_a_file"])
def test_collect_out_that_cannot_be_a_snapshot(tmp_path, capsys, kind):
    f = tmp_path / "afile"
    f.write_text("precious")
    target = {"file": f, "under_a_file": f / "snap"}.get(kind)
    if kind == "not_a_snapshot":
        target = tmp_path / "thesis"
        target.mkdir()
        (target / "chapter1.tex").write_text("do not delete")
    rc, _, err = run(["collect", "--out", target, "--endpoint-url", f"http://127.0.0.1:{free_port()}",
                      "--regions", "us-east-1", "--quiet"], capsys)
    one_line(rc, err, 2, re.escape(str(f if kind != "not_a_snapshot" else target)))
    assert f.read_text() == "precious"
    if kind == "not_a_snapshot":
        assert (target / "chapter1.tex").exists()


def test_guardduty_bad_admin_and_regions(snap, capsys):
    rc, _, err = run(["guardduty", "plan", snap, "--admin", "12345"], capsys)
    one_line(rc, err, 2, r"--admin.*12345")
    rc, _, err = run(["guardduty", "plan", snap, "--regions", "eu-west1"], capsys)
    one_line(rc, err, 2, r"eu-west1")
    rc, _, err = run(["guardduty", "plan", snap, "--regions", "ap-south-1"], capsys)  # real, not in the snapshot
    one_line(rc, err, 2, r"ap-south-1.*snapshot")


# ----------------------------------------------------------------------------------------------- AWS access
def test_no_credentials(tmp_path):
    p = run_sub(["collect", "--out", tmp_path / "s", "--regions", "us-east-1", "--quiet"],
                env={"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none")})
    one_line(p.returncode, p.stderr, 3, r"credentials", r"--profile|AWS_ACCESS_KEY_ID")
    assert not (tmp_path / "s").exists()


def test_unknown_profile(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("[profile real]\nregion = us-east-1\n")
    for argv in (["collect", "--out", tmp_path / "s", "--profile", "nope", "--regions", "us-east-1", "--quiet"],
                 ["guardduty", "migrate", "--admin", ADMIN, gd_spec().write(tmp_path / "snap"), "--profile", "nope",
                  "--live-check"]):
        p = run_sub(argv, env={"AWS_CONFIG_FILE": str(cfg), "AWS_SHARED_CREDENTIALS_FILE": str(cfg)})
        one_line(p.returncode, p.stderr, 3, r"nope", r"profile")


def test_endpoint_that_refuses_connections(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}"
    rc, _, err = run(["collect", "--out", tmp_path / "s", "--endpoint-url", url, "--regions", "us-east-1",
                      "--quiet"], capsys)
    one_line(rc, err, 3, re.escape(url), r"endpoint")
    assert not (tmp_path / "s").exists()


@pytest.mark.integration
@pytest.mark.parametrize("code,status,service,operation", [
    ("ExpiredToken", 403, "sts", "GetCallerIdentity"),
    ("InvalidClientTokenId", 403, "sts", "GetCallerIdentity"),
    ("AccessDeniedException", 400, "organizations", "DescribeOrganization"),
])
def test_aws_refuses_the_caller(local_aws, tmp_path, capsys, code, status, service, operation):
    local_aws.reset()
    local_aws.add_fault(code, http_status=status, service=service, operation=operation)
    try:
        rc, _, err = run(["collect", "--out", tmp_path / "s", "--endpoint-url", local_aws.endpoint_url,
                          "--regions", "us-east-1", "--quiet"], capsys)
    finally:
        local_aws.clear_faults()
    one_line(rc, err, 3, code.replace("Exception", "") if service == "sts" else r"organization")
    assert not (tmp_path / "s").exists()


@pytest.mark.integration
def test_secrets_stay_out_of_every_output(small_org, tmp_path):
    """The caller's secret key and session token, and the member accounts' role credentials, are in no file of
    the snapshot and in no output of collect, show or coverage."""
    aws, _ = small_org
    secret, token = "orgkitSecretKey/ShouldNeverBeSeen+0123456789abcd", "orgkitSessionTokenShouldNeverBeSeen"
    env = {"AWS_ACCESS_KEY_ID": "AKIAORGKITTEST000001", "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token}
    out = tmp_path / "snap"
    runs = [run_sub(["collect", "--out", out, "--endpoint-url", aws.endpoint_url, "--regions", "us-east-1,eu-west-1",
                     "--quiet"], env=env)]
    assert runs[0].returncode == 0, runs[0].stderr
    runs += [run_sub(argv, env=env) for argv in (["show", out, "--format", "json"],
                                                 ["coverage", out, "--format", "json"],
                                                 ["show", out, "--frame", "accounts", "--format", "csv"])]
    texts = [p.stdout + p.stderr for p in runs] + [f.read_text() for f in out.rglob("*.json")]
    for text in texts:
        assert secret not in text and token not in text
        assert "SecretAccessKey" not in text and "SessionToken" not in text


# ----------------------------------------------------------------------------------------------- damaged snapshots
def _commands(path):
    return [["show", path], ["coverage", path], ["guardduty", "state", path], ["scp", "lint", path]]


@pytest.mark.parametrize("edit", [
    ("eu-west-1", "eu-west-2"),  # a region renamed
    ('"management_account_id": "111111111111"', '"management_account_id": "111111111112"'),
    ('"schema_version": 2', '"schema_version": 1'),  # a downgrade past the digest
    ('"organization_id": "o-abcdef1234"', '"organization_id": "o-abcdef1235"'),
    ('"regions": [', ' "regions": ['),  # formatting only
])
def test_a_one_byte_edit_of_the_manifest_is_refused(snap, capsys, edit):
    p = snap / "manifest.json"
    text = p.read_text()
    assert edit[0] in text
    p.write_text(text.replace(edit[0], edit[1], 1))
    for argv in _commands(snap):
        rc, out, err = run(argv, capsys)
        one_line(rc, err, 2, r"manifest\.json", r"edited")
        assert out == ""


@pytest.mark.parametrize("what,edit,pattern", [
    ("management account", lambda m: m.update(management_account_id="999999999999"), r"management_account_id"),
    ("region renamed", lambda m: m.update(regions=["us-east-1", "eu-west-2"]), r"regions"),
    ("region dropped", lambda m: m.update(regions=["us-east-1"]), r"regions"),
    ("organization", lambda m: m.update(organization_id="o-zzzzzzzzzz"), r"organization_id"),
    ("error count", lambda m: m.update(error_count=5), r"error_count"),
    ("counts", lambda m: m.update(counts={"accounts": 99}), r"counts"),
])
def test_a_forged_manifest_is_caught_by_the_cross_checks(snap, capsys, what, edit, pattern):
    forge_manifest(snap, edit)
    for argv in _commands(snap)[:2]:
        rc, _, err = run(argv, capsys)
        one_line(rc, err, 2, r"manifest\.json", pattern)


@pytest.mark.parametrize("name", ["../outside.json", "/etc/hostname", "accounts/../../outside.json",
                                  "./errors.json", "accounts\\..\\..\\x.json"])
def test_a_file_entry_outside_the_snapshot_is_refused(snap, capsys, name):
    (snap.parent / "outside.json").write_text("{}")
    forge_manifest(snap, lambda m: m["files"].update({name: "0" * 64}))
    rc, out, err = run(["show", snap], capsys)
    line = one_line(rc, err, 2, r"manifest\.json", r"outside")
    assert name in line or repr(name) in line
    with pytest.raises(SnapshotError):
        orgkit.load(snap)


def test_a_symlink_out_of_the_snapshot_is_refused(snap, capsys):
    outside = snap.parent / "elsewhere.json"
    target = snap / "errors.json"
    outside.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(outside)
    rc, _, err = run(["coverage", snap], capsys)
    one_line(rc, err, 2, r"errors\.json", r"link")


def test_an_accounts_directory_linked_out_of_the_snapshot_is_refused(snap, capsys):
    """Not a file but the whole ``accounts/`` directory replaced by a link to a directory elsewhere holding the
    same bytes (so every checksum matches): each file listed under it leads outside the snapshot."""
    outside = snap.parent / "elsewhere-accounts"
    (snap / "accounts").rename(outside)
    (snap / "accounts").symlink_to(outside, target_is_directory=True)
    assert not (snap / "accounts" / f"{MEMBER}.json").is_symlink()  # the file itself is a regular file
    for argv in _commands(snap)[:2]:
        rc, out, err = run(argv, capsys)
        one_line(rc, err, 2, r"accounts/\d{12}\.json", r"link|outside")
        assert out == ""
    with pytest.raises(SnapshotError, match="outside"):
        orgkit.load(snap)


def test_an_edited_collected_at_is_refused(snap, capsys):
    """``collected_at`` is the reference time of the stale-delivery rule (a trail's last delivery is aged against
    it): moving it changes answers, and no cross-check can see it, only the manifest's own digest."""
    p = snap / "manifest.json"
    m = json.loads(p.read_text())
    old = m["collected_at"]
    new = "2020" + old[4:] if not old.startswith("2020") else "2021" + old[4:]
    text = p.read_text()
    assert text.count(json.dumps(old)) == 1
    p.write_text(text.replace(json.dumps(old), json.dumps(new)))  # same length, still canonical
    assert dumps(json.loads(p.read_text())) == p.read_text()
    for argv in _commands(snap):
        rc, out, err = run(argv, capsys)
        one_line(rc, err, 2, r"manifest\.json", r"digest|edited")
        assert out == ""


def test_an_account_file_for_another_account_is_refused(snap, capsys):
    def edit(docs, m):
        docs[f"accounts/{MEMBER}.json"]["AccountId"] = "555555555555"
    reseal(snap, edit)
    rc, _, err = run(["show", snap], capsys)
    one_line(rc, err, 2, MEMBER)


def test_data_file_edits_are_still_caught(snap, capsys):
    f = snap / "organization.json"
    f.write_text(f.read_text().replace(MEMBER, "222222222223"))
    rc, _, err = run(["coverage", snap], capsys)
    one_line(rc, err, 2, r"organization\.json", r"checksum")


def test_a_snapshot_collected_with_a_misspelled_region_is_refused(tmp_path, capsys):
    """A snapshot made before regions were checked: every cell would read not_applicable. No account's region list
    has the name, so loading says so."""
    sb = SnapshotSpec(regions=["us-east-1", "us-east1"])
    sb.account("App", account_id=MEMBER, regions={"us-east1": None})
    for doc in sb.docs.values():  # as AWS answers ListRegions: the real regions only
        doc["Regions"] = [r for r in doc["Regions"] if r["RegionName"] != "us-east1"] + [
            {"RegionName": "eu-west-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"}]
    path = sb.write(tmp_path / "s")
    rc, _, err = run(["coverage", path, "--fail-on", "none,not_logging,unknown"], capsys)
    one_line(rc, err, 2, r"us-east1", r"region")


def _unlisted_region_snapshot(tmp_path, unlisted):
    """A snapshot whose manifest asks for ap-future-9, which no account's region list has (a botocore newer than
    ListRegions), recording ``unlisted`` as the collector does (issue 17)."""
    sb = SnapshotSpec(regions=["us-east-1", "ap-future-9"])
    sb.account("App", account_id=MEMBER)
    for doc in sb.docs.values():  # as ListRegions answers: the regions of its own list only
        doc["Regions"] = [r for r in doc["Regions"] if r["RegionName"] != "ap-future-9"]
    path = sb.write(tmp_path / "s")
    reseal(path, lambda docs, m: m.update(regions_unlisted=unlisted))
    return path


def test_a_region_no_account_lists_is_read_when_the_collector_recorded_it(tmp_path, capsys):
    rc, out, err = run(["coverage", _unlisted_region_snapshot(tmp_path, ["ap-future-9"]), "--format", "csv"], capsys)
    assert rc == 0, err
    assert "ap-future-9" in out and "not in its region list" in out


@pytest.mark.parametrize("unlisted", [["ap-future-9", "us-east-1"], ["ap-future-9", "eu-west-9"], "ap-future-9"])
def test_a_record_of_unlisted_regions_that_the_lists_contradict_is_refused(tmp_path, capsys, unlisted):
    rc, _, err = run(["coverage", _unlisted_region_snapshot(tmp_path, unlisted)], capsys)
    one_line(rc, err, 2, r"regions_unlisted")


@pytest.mark.parametrize("damage", ["ou_cycle", "accounts_null", "bad_timestamp", "regions_not_list"])
def test_structurally_damaged_data_is_an_input_error(tmp_path, capsys, damage):
    path = gd_spec().write(tmp_path / "s")

    def edit(docs, m):
        org = docs["organization.json"]
        if damage == "ou_cycle":
            a = dict(org["OrganizationalUnits"][0], Id="ou-ab12-cyclea00", ParentId="ou-ab12-cycleb00")
            b = dict(org["OrganizationalUnits"][0], Id="ou-ab12-cycleb00", ParentId="ou-ab12-cyclea00")
            org["OrganizationalUnits"] += [a, b]
        elif damage == "accounts_null":
            org["Accounts"] = None
        elif damage == "bad_timestamp":
            org["Accounts"][0]["JoinedTimestamp"] = "yesterday-ish"
        else:
            docs[f"accounts/{MEMBER}.json"]["Regions"] = {"RegionName": "us-east-1"}
    reseal(path, edit)
    rc, _, err = run(["coverage", path], capsys)
    one_line(rc, err, 2, r"organization\.json|accounts|snapshot")


def test_schema_1_snapshots_are_read_with_the_cross_checks(snap, capsys):
    p = snap / "manifest.json"
    m = json.loads(p.read_text())
    m.pop(DIGEST_KEY)
    m["schema_version"] = 1
    p.write_text(json.dumps(m, indent=1))
    assert len(orgkit.load(snap).accounts) == 3
    m["management_account_id"] = ADMIN  # the management account's exemption moved: caught without a digest
    p.write_text(json.dumps(m, indent=1))
    rc, _, err = run(["show", snap], capsys)
    one_line(rc, err, 2, r"management_account_id")


def test_the_bundled_demo_is_sealed():
    from orgkit.model import BUNDLED_DEMO
    from orgkit.snapshot import SCHEMA_VERSION

    r = SnapshotReader(BUNDLED_DEMO)
    assert r.schema_version == SCHEMA_VERSION and r.manifest[DIGEST_KEY] == manifest_digest(r.manifest)


def test_a_plan_over_a_malformed_scp(tmp_path, capsys):
    contents = ['{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": 5', "[]", "null",
                '{"Statement": [{"Effect": "Maybe", "Action": "guardduty:*", "Resource": "*"}]}',
                '{"Statement": [{"Effect": "Deny", "Action": 5, "Resource": "*"}]}', '{"Statement": "x"}']
    for i, content in enumerate(contents):
        sb = gd_spec()
        pid = sb.policy("Broken", {"Version": "2012-10-17", "Statement": []}, targets=[sb.ous[0]["Id"]])
        path = sb.write(tmp_path / f"s{i}")

        def edit(docs, m, pid=pid, content=content):
            for p in docs["policies.json"]["Policies"]:
                if p["PolicySummary"]["Id"] == pid:
                    p["Content"] = content
        reseal(path, edit)
        for argv in (["guardduty", "plan", path], ["guardduty", "migrate", "--admin", ADMIN, path]):
            rc, out, err = run(argv, capsys)
            one_line(rc, err, 2, pid, r"policy")
            assert out == ""


# ----------------------------------------------------------------------------------------------- journals
def _plan(path):
    from orgkit.guardduty import plan_migration

    return plan_migration(orgkit.load(path), admin=ADMIN)


@pytest.mark.parametrize("damage,pattern", [
    ("drop_step", r"lacks step"),
    ("no_steps", r"lacks step"),
    ("extra_step", r"has step"),
    ("bad_status", r"status"),
    ("not_json", r"not a readable"),
    ("steps_not_a_list", r"not a readable"),
    ("other_plan", r"another plan"),
])
def test_a_damaged_journal_is_refused_before_any_call(snap, tmp_path, capsys, damage, pattern):
    from orgkit.aws.migrate import Journal

    plan = _plan(snap)
    jpath = tmp_path / "gd.journal.json"
    Journal.for_plan(plan, plan.steps, jpath).save()
    d = json.loads(jpath.read_text())
    if damage == "drop_step":
        del d["steps"][1]
    elif damage == "no_steps":
        d["steps"] = []
    elif damage == "extra_step":
        d["steps"].append(dict(d["steps"][0], step_id="zz-9-extra"))
    elif damage == "bad_status":
        d["steps"][0]["status"] = "half-done"
    elif damage == "steps_not_a_list":
        d["steps"] = {"a": 1}
    elif damage == "other_plan":
        d["plan_id"] = "0" * 16
    jpath.write_text("{ truncated" if damage == "not_json" else json.dumps(d))
    before = jpath.read_bytes()
    # the endpoint refuses connections: a call would make this exit 3
    rc, out, err = run(["guardduty", "migrate", "--admin", ADMIN, snap, "--apply", "--journal", jpath,
                        "--endpoint-url", f"http://127.0.0.1:{free_port()}", "--no-recollect"], capsys)
    one_line(rc, err, 2, re.escape(jpath.name), pattern)
    assert jpath.read_bytes() == before


# ----------------------------------------------------------------------------------------------- GuardDuty CLI edges
def test_after_snapshot_that_cannot_be_written_is_refused_before_any_call(snap, tmp_path, capsys):
    f = tmp_path / "a-file"
    f.write_text("x")
    rc, _, err = run(["guardduty", "migrate", "--admin", ADMIN, snap, "--apply", "--journal", tmp_path / "j.json",
                      "--after-snapshot", f, "--endpoint-url", f"http://127.0.0.1:{free_port()}"], capsys)
    one_line(rc, err, 2, re.escape(str(f)))
    assert not (tmp_path / "j.json").exists()


def test_migrate_with_an_admin_outside_the_organisation_says_it_first(snap, capsys):
    rc, out, err = run(["guardduty", "migrate", "--admin", OUTSIDE, snap], capsys)
    one_line(rc, err, 2, OUTSIDE, r"not an account of organisation", r"--admin")
    assert out == ""  # no plan printed before (or after) it
    rc, out, err = run(["guardduty", "plan", snap, "--admin", OUTSIDE], capsys)  # the plan: printed, blocked
    assert rc == 1 and "Traceback" not in err
    assert err.splitlines()[0].startswith("orgkit guardduty plan:") and OUTSIDE in err.splitlines()[0]


def test_no_administrator_to_propose_names_the_flag(tmp_path, capsys):
    path = gd_spec(with_admin=False).write(tmp_path / "s")
    for argv in (["guardduty", "plan", path], ["guardduty", "plan", path, "--format", "json"]):
        rc, out, err = run(argv, capsys)
        line = one_line(rc, err, 2, r"--admin")
        assert "admin=" not in line and out == ""
    rc, out, err = run(["guardduty", "plan", path, "--admin", ADMIN], capsys)
    assert rc == 0 and "Traceback" not in err


# ----------------------------------------------------------------------------------------------- interrupts
def test_ctrl_c_during_collect_keeps_the_previous_snapshot(snap):
    before = {p: p.read_bytes() for p in snap.rglob("*") if p.is_file()}
    hung = HungEndpoint()
    try:
        proc, seconds = interrupt_when_hung(["collect", "--out", snap, "--endpoint-url", hung.url,
                                             "--regions", "us-east-1", "--quiet"], hung)
    finally:
        hung.close()
    one_line(proc.returncode, proc.stderr_text, 130, r"interrupt", r"previous snapshot.*unchanged", r"again")
    assert seconds < 10
    assert {p: p.read_bytes() for p in snap.rglob("*") if p.is_file()} == before
    assert not [p for p in snap.parent.iterdir() if ".partial-" in p.name or ".old-" in p.name]


def test_ctrl_c_during_migrate_apply_keeps_the_journal(snap, tmp_path):
    from orgkit.aws.migrate import Journal

    plan = _plan(snap)
    jpath = tmp_path / "gd.journal.json"
    j = Journal.for_plan(plan, plan.steps, jpath)
    j.steps[0].status = "done"
    j.save()
    before = jpath.read_bytes()
    hung = HungEndpoint()
    try:
        proc, seconds = interrupt_when_hung(["guardduty", "migrate", "--admin", ADMIN, snap, "--apply",
                                             "--journal", jpath, "--endpoint-url", hung.url, "--no-recollect"], hung)
    finally:
        hung.close()
    line = one_line(proc.returncode, proc.stderr_text, 130, r"interrupt", re.escape(str(jpath)), r"resume")
    assert "1 of" in line
    assert seconds < 10
    assert jpath.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".gd.journal")]


class HangingProxy:
    """Forwards every call to the local AWS except those signed for ``service``, which it holds forever: a
    collect then blocks in its thread pool, not in the main thread."""

    def __init__(self, upstream: str, service: str):
        import http.client
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlparse

        up = urlparse(upstream)
        self.held = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # noqa: ANN002
                pass

            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if f"/{service}/aws4_request" in (self.headers.get("Authorization") or ""):
                    outer.held.set()
                    outer.release.wait(120)
                    return
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
                conn.request(self.command, self.path, body=body, headers=dict(self.headers))
                r = conn.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.integration
def test_ctrl_c_is_prompt_while_worker_threads_wait_on_a_hung_call(small_org, tmp_path):
    aws, _ = small_org
    snap = gd_spec().write(tmp_path / "snap")
    before = {p: p.read_bytes() for p in snap.rglob("*") if p.is_file()}
    proxy = HangingProxy(aws.endpoint_url, "guardduty")
    try:
        e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        e.update(PYTHONPATH=str(ROOT), AWS_EC2_METADATA_DISABLED="true", AWS_DEFAULT_REGION="us-east-1",
                 AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        proc = subprocess.Popen([sys.executable, "-m", "orgkit.cli", "collect", "--out", str(snap), "--endpoint-url",
                                 proxy.url, "--regions", "us-east-1,eu-west-1", "--quiet"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        assert proxy.held.wait(120), "collect never reached GuardDuty"
        time.sleep(0.5)
        t = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        seconds = time.monotonic() - t
    finally:
        proxy.close()
    one_line(proc.returncode, err, 130, r"interrupt", r"unchanged", r"again")
    assert seconds < 8, seconds  # not the 60 s of a read timeout
    assert {p: p.read_bytes() for p in snap.rglob("*") if p.is_file()} == before
    assert not [p for p in snap.parent.iterdir() if ".partial-" in p.name or ".old-" in p.name]


# ----------------------------------------------------------------------------------------------- leftovers
def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_partial_leftovers_are_cleaned_or_named(tmp_path, capsys):
    from orgkit.snapshot import _host

    out = tmp_path / "snap"
    stale = tmp_path / f".snap.partial-{_host()}-{_dead_pid()}-abcd1234"
    live = tmp_path / f".snap.partial-{_host()}-{os.getpid()}-efgh5678"
    foreign = tmp_path / ".snap.partial-otherhost-4242-ijkl9012"
    old_style = tmp_path / ".snap.partial-x1y2z3w4"
    other_snapshot = tmp_path / f".other.partial-{_host()}-{_dead_pid()}-mnop3456"
    for d in (stale, live, foreign, old_style, other_snapshot):
        d.mkdir()
        (d / "organization.json").write_text("{}")
    # an unknown profile fails fast, after the sweep and before any call
    rc, _, err = run(["collect", "--out", out, "--profile", "orgkit-test-no-such-profile", "--regions",
                      "us-east-1", "--quiet"], capsys)
    assert rc == 3 and "Traceback" not in err
    assert not stale.exists()
    assert live.exists() and foreign.exists() and old_style.exists() and other_snapshot.exists()
    lines = err.splitlines()
    assert any("removed" in ln and stale.name in ln for ln in lines), err
    for kept in (live, foreign, old_style):
        assert any(kept.name in ln and "remove it" in ln or kept.name in ln and "may still" in ln
                   for ln in lines), (kept, err)
    assert not any(other_snapshot.name in ln for ln in lines)


def test_the_writer_names_a_moved_aside_previous_snapshot(tmp_path):
    from orgkit.snapshot import _host, sweep_leftovers

    out = tmp_path / "snap"
    old = tmp_path / f".snap.old-{_host()}-{_dead_pid()}"
    gd_spec().write(old)  # a run killed between its two renames: the previous snapshot is here, not at out
    removed, kept = sweep_leftovers(out)
    assert removed == [] and [p for p, _ in kept] == [old] and "move it back" in kept[0][1]
    gd_spec().write(out)
    removed, kept = sweep_leftovers(out)
    assert removed == [old] and not old.exists()


# ----------------------------------------------------------------------------------------------- OU paths
def colliding_org(tmp_path) -> orgkit.model.Org:
    sb = SnapshotSpec(regions=["us-east-1"])
    slash = sb.ou("Engineering/Production")  # one OU whose name holds the separator
    eng = sb.ou("Engineering")
    prod = sb.ou("Production", parent=eng)  # and the nested OU of the same spelling
    odd = sb.ou("back\\slash/", parent=eng)
    sb.account("Slash App", parent=slash, account_id="010000000001")
    sb.account("Nested App", parent=prod, account_id="010000000002")
    sb.account("Nested App 2", parent=prod, account_id="010000000003")
    sb.account("Odd", parent=odd, account_id="010000000004")
    sb.trail(sb.management, "org", organization=True)
    return sb.write(tmp_path / "snap")


def test_ou_paths_never_collide(tmp_path, capsys):
    from orgkit.coverage import summary
    from orgkit.ougraph import path_prefixes, split_path

    path = colliding_org(tmp_path)
    org = orgkit.load(path)
    assert org.ous["ou_path"].is_unique
    paths = dict(zip(org.accounts.account_id, org.accounts.ou_path))
    assert paths["010000000001"] != paths["010000000002"]
    assert split_path(paths["010000000001"]) == ["Root", "Engineering/Production"]
    assert split_path(paths["010000000002"]) == ["Root", "Engineering", "Production"]
    assert split_path(paths["010000000004"]) == ["Root", "Engineering", "back\\slash/"]
    assert path_prefixes(paths["010000000004"])[-1] == paths["010000000004"]
    by_ou = summary(org, by="ou").set_index("ou_path")
    assert by_ou["accounts"].to_dict() == {"Root": 1, paths["010000000001"]: 1, paths["010000000002"]: 2,
                                           paths["010000000004"]: 1}
    tree = summary(org, by="ou_tree").set_index("ou_path")
    assert set(tree.index) <= set(org.ous.ou_path)  # no invented node
    assert tree.loc["Root/Engineering", "accounts"] == 3  # the nested ones only
    assert tree.loc[paths["010000000001"], "accounts"] == 1
    assert tree.loc["Root", "accounts"] == 5
    # through the CLI, and the SCP view's paths agree with the model's
    rc, out, err = run(["coverage", path, "--summary", "ou_tree", "--format", "json"], capsys)
    assert rc == 0 and len({r["ou_path"] for r in json.loads(out)}) == len(json.loads(out))
    rc, out, err = run(["scp", "can", "s3:GetObject", path, "--format", "json"], capsys)
    assert rc == 0
    assert {r["account_id"]: r["ou_path"] for r in json.loads(out)} == {
        a: p for a, p in paths.items() if a in {r["account_id"] for r in json.loads(out)}}


def test_ou_tree_figure_keeps_both_ous(tmp_path):
    from orgkit.ougraph import draw_ou_tree

    org = orgkit.load(colliding_org(tmp_path))
    fig = draw_ou_tree(org)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels.count("Engineering/Production") == 1 and labels.count("Production") == 1


# ----------------------------------------------------------------------------------------------- internal errors
def test_an_internal_error_is_one_line_and_debug_shows_the_traceback(snap, capsys, monkeypatch):
    import orgkit.cli as cli

    def boom(args):
        raise KeyError("unexpected")

    monkeypatch.setattr(cli, "_cmd_show", boom)
    rc, _, err = run(["show", snap], capsys)
    one_line(rc, err, 70, r"internal error", r"--debug")
    rc, _, err = run(["show", snap, "--debug"], capsys)
    assert rc == 70 and "Traceback" in err and "KeyError" in err


def test_debug_shows_the_traceback_of_a_user_error(tmp_path, capsys):
    rc, _, err = run(["--debug", "show", tmp_path / "nowhere"], capsys)
    assert rc == 2 and "Traceback" in err and err.strip().splitlines()[-1].startswith("orgkit show:")


# ----------------------------------------------------------------------------------------------- notebooks
def _execute_notebook(name: str, params: dict, cells: list | None = None):
    """Run a notebook with ``params``; the plain text its code cells show. ``cells``: filled with (source, what
    the cell shows: plain text, stream and HTML) for each code cell."""
    import nbformat
    from nbclient import NotebookClient

    from orgkit.demo import inject_parameters

    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    inject_parameters(nb, params)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()  # raises on a failing cell
    for c in nb.cells:
        if c.cell_type == "code" and cells is not None:
            cells.append((c.source, "\n".join(str(o.get("data", {}).get(k, "")) for o in c.get("outputs", [])
                                              for k in ("text/plain", "text/html")) +
                          "".join(str(o.get("text", "")) for o in c.get("outputs", []))))
    return "\n".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


#: what only the bundled demo has (account names, ids, its organisation): never shown for another organisation
DEMO_ONLY = ["Legacy Analytics", "Dev Alice", "Shared Services", "Interview 1", "408053428601", "758502137271",
             "123456789012"]
OTHER_ORG = {"010000000001": "Slash App", "010000000002": "Nested App", "010000000003": "Nested App 2",
             "010000000004": "Odd", "111111111111": "Management"}


def _shown_by(cells, source_start):
    found = [out for src, out in cells if src.lstrip().startswith(source_start)]
    assert len(found) == 1, (source_start, [src[:40] for src, _ in cells])
    return found[0]


@pytest.mark.parametrize("name", ["00-quickstart.ipynb", "01-coverage-review.ipynb", "03-guardduty-migration.ipynb"])
def test_notebooks_run_to_the_end_on_another_organisation(tmp_path, name):
    """A non-demo snapshot: OU names holding '/', no GuardDuty administrator, no Terraform state of its own."""
    path = colliding_org(tmp_path)
    cells: list = []
    text = _execute_notebook(name, {"SNAPSHOT": str(path)}, cells)
    everything = "\n".join(out for _, out in cells)
    for word in DEMO_ONLY:
        assert word not in everything, word  # nothing of the demo leaks into another organisation's review
    if name.startswith("00"):
        accounts = _shown_by(cells, 'org.accounts[["account_id"')
        for aid, account_name in OTHER_ORG.items():
            assert aid in accounts and account_name in accounts, (aid, account_name)
        assert "ACTIVE" in accounts and "assume_role" in accounts
        assert "Engineering\\/Production" in accounts  # the OU whose name holds the separator, escaped
        trails = _shown_by(cells, 'org.trails[["name"')
        assert "org" in trails and "111111111111" in trails
    if name.startswith("01"):
        # the organisation trail covers every account; nobody has GuardDuty (no detector anywhere)
        assert "covered" in _shown_by(cells, 'status_counts(ct, by="region"')
        no_gd = _shown_by(cells, "accounts_without_guardduty(gd)")
        for aid, account_name in OTHER_ORG.items():
            assert aid in no_gd and account_name in no_gd, (aid, account_name)
        assert "none: us-east-1" in no_gd
        regions = _shown_by(cells, "guardduty_regions(org, gd)")
        assert "us-east-1" in regions and "eu-west-1" not in regions
    if name.startswith("03"):
        assert "No migration plan" in text and "--admin" not in text
        assert text.count("Not shown:") >= 8  # the arithmetic, steps, checks, code, SCP, runbook groups, outcome
