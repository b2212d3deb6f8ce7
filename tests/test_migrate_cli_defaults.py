"""`orgkit guardduty migrate` with no snapshot plans on the bundled demo (as the README says) and never reaches AWS
unless told to (--live, --profile, --endpoint-url); --apply needs a snapshot or one of those."""

from __future__ import annotations

from orgkit.cli import build_parser, main


def test_no_snapshot_plans_on_the_bundled_demo(capsys, monkeypatch):
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    code = main(["guardduty", "migrate", "--admin", "408053428601"])
    out, err = capsys.readouterr()
    assert code == 0 and "bundled demo" in err
    assert out.startswith("GuardDuty migration to AWS Organizations: delegated administrator 408053428601")
    assert "dry run: nothing was changed" in out


def test_apply_without_a_snapshot_or_a_live_source_is_refused(capsys):
    assert main(["guardduty", "migrate", "--admin", "408053428601", "--apply", "--journal", "j.json"]) == 2
    assert "--live" in capsys.readouterr().err


def test_live_without_credentials_is_one_line_not_a_traceback(capsys, monkeypatch, tmp_path):
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code = main(["guardduty", "migrate", "--admin", "408053428601", "--live", "--regions", "us-east-1"])
    err = capsys.readouterr().err
    assert code == 3 and "Traceback" not in err and "credentials" in err and len(err.strip().splitlines()) <= 2


def test_admin_help_and_usage_agree():
    p = build_parser()
    sub = p._subparsers._group_actions[0].choices["guardduty"]._subparsers._group_actions[0].choices
    migrate, plan = sub["migrate"], sub["plan"]
    assert "--admin ACCOUNT" in migrate.format_usage() and "[--admin ACCOUNT]" not in migrate.format_usage()
    assert "(required)" in migrate.format_help() and "default: the current" not in migrate.format_help()
    assert "[--admin ACCOUNT]" in plan.format_usage() and "default: the current" in plan.format_help()
