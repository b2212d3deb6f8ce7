"""An organisation whose names attack the reviewer (issue 17, point 1): script in account, OU, policy, trail and tag
names, rich markup, terminal escapes, bidi overrides and matplotlib mathtext. Every value is one AWS accepts or one a
snapshot file can carry: an account name is 1-50 characters "of any of the characters in the ASCII character range"
(pattern ``[\\s\\S]*``), OU and policy names 1-128 characters of ``[\\s\\S]*`` (the Organizations API reference; the
botocore service model says the same).

Each script payload calls ``alert(...)``: a browser test counts dialogs (and ``window.__pwned``, set by the
``alert`` it installs) and finds none when every value is shown as text.
"""

from __future__ import annotations

from pathlib import Path

from orgkit.testing import SnapshotSpec

ACCOUNT_SCRIPT = "<script>alert('acct')</script>"
ACCOUNT_IMG = "<img src=x onerror=alert('img')>"
ACCOUNT_MARKUP = "[red]x[/red] [bold]b"
ACCOUNT_ESC = "clear\x1b[2Jhere\x9b31m"
ACCOUNT_MATH = r"cost $\alpha$ $x^2$"
OU_SVG = "<svg onload=alert('ou')>"
OU_BIDI = "Prod\u202eved\u2066x"
POLICY_NAME = "<iframe src=javascript:alert('pol')></iframe>"
POLICY_EVIL_RESOURCE = "arn:aws:s3:::<script>alert('res')</script>"
TRAIL_NAME = "<img src=y onerror=alert('trail')>"
TAG_VALUE = "<script>alert('tag')</script>"
#: the names as a page must show them (text, not markup)
SHOWN = [ACCOUNT_SCRIPT, ACCOUNT_IMG, OU_SVG, POLICY_NAME]

DENY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "KeepTrails", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
     "Resource": "*"},
    {"Sid": "NoBucket", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": POLICY_EVIL_RESOURCE}]}


def hostile_spec(later: bool = False) -> SnapshotSpec:
    """The organisation; ``later``: the same some time later (an account renamed, the SCP detached from an OU,
    another hostile account joined), for the change review."""
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    svg = sb.ou(OU_SVG)
    bidi = sb.ou(OU_BIDI, parent=svg)
    a1 = sb.account(ACCOUNT_SCRIPT, parent=svg, account_id="022222222221")
    a2 = sb.account(ACCOUNT_IMG, parent=bidi, account_id="022222222222")
    a3 = sb.account(ACCOUNT_MARKUP, parent=bidi, account_id="022222222223")
    a4 = sb.account(ACCOUNT_ESC if not later else ACCOUNT_ESC + " v2", parent=svg, account_id="022222222224")
    a5 = sb.account(ACCOUNT_MATH, parent=bidi, account_id="022222222225")
    for a in sb.accounts:
        a["Tags"] = [{"Key": "owner", "Value": TAG_VALUE}, {"Key": "environment", "Value": "<b>prod</b>"}]
    sb.policy(POLICY_NAME, DENY, targets=[svg] if not later else [])
    sb.trail(sb.management, TRAIL_NAME, organization=True)
    sb.trail(a3, "<b>local</b>", home_region="eu-west-1", multi_region=False)
    admin = sb.management
    sb.gd_admins = {"us-east-1": [{"AdminAccountId": admin, "AdminStatus": "ENABLED"}]}
    sb.detector(admin, "us-east-1", members=[sb.member(a, admin) for a in (a1, a2)],
                org_config={"AutoEnable": True, "AutoEnableOrganizationMembers": "NEW"})
    sb.detector(a1, "us-east-1", administrator={"AccountId": admin, "RelationshipStatus": "Enabled"})
    sb.detector(a2, "us-east-1", administrator={"AccountId": admin, "RelationshipStatus": "Enabled"})
    sb.detector(a4, "eu-west-1", status="DISABLED")
    sb.detector(a5, "us-east-1")
    if later:
        sb.account("<body onload=alert('new')>", parent=svg, account_id="022222222226")
    return sb


def hostile_snapshot(out: Path, later: bool = False) -> Path:
    return hostile_spec(later).write(out)
