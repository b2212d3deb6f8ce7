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

from orgkit.testing import T0, SnapshotSpec

#: when the hostile organisation's accounts last used S3 (an access report's LastAuthenticatedTime)
T_USED = T0

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
    # access reports (notebook 05): a snapshot is a file, so even a service name can be markup
    for node in (sb.root, svg, bidi, a1, a2, a3, a4, a5):
        sb.access_report(node, [("s3", "Amazon S3", T_USED, "us-east-1", a1, 1),
                                ("ec2", "<img src=s onerror=alert('svc')>", None, None, None, 0)])
    return sb


def hostile_snapshot(out: Path, later: bool = False) -> Path:
    return hostile_spec(later).write(out)


PLAN_ADDRESS_KEY = "<img src=z onerror=alert('addr')>"
PLAN_POLICY_NAME = "<script>alert('plan')</script>"


def hostile_plan(out: Path) -> Path:
    """A Terraform plan (``terraform show -json``) over :func:`hostile_spec`: the hostile SCP renamed to a script,
    under a resource address whose ``for_each`` key is markup, and detached from the ``<svg>`` OU."""
    import json

    sb = hostile_spec()
    pid = next(p for p, v in sb.policies.items() if v["name"] == POLICY_NAME)
    ou = next(o["Id"] for o in sb.ous if o["Name"] == OU_SVG)
    addr = f'aws_organizations_policy.guard["{PLAN_ADDRESS_KEY}"]'
    before = {"id": pid, "name": POLICY_NAME, "content": json.dumps(DENY), "type": "SERVICE_CONTROL_POLICY",
              "description": "", "tags": {}}
    doc = {"format_version": "1.2", "terraform_version": "1.9.0", "complete": True, "applyable": True,
           "errored": False, "variables": {}, "planned_values": {}, "prior_state": {}, "configuration": {},
           "resource_changes": [
               {"address": addr, "mode": "managed", "type": "aws_organizations_policy", "name": "guard",
                "index": PLAN_ADDRESS_KEY, "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["update"], "before": before,
                           "after": {**before, "name": PLAN_POLICY_NAME}, "after_unknown": {}}},
               {"address": "aws_organizations_policy_attachment.guard_svg", "mode": "managed",
                "type": "aws_organizations_policy_attachment", "name": "guard_svg",
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["delete"], "after": None, "after_unknown": False,
                           "before": {"id": f"{ou}:{pid}", "policy_id": pid, "target_id": ou}}}]}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc))
    return out


def notebook_parameters(out: Path) -> dict[str, dict]:
    """The hostile organisation written under ``out`` (snapshot, later snapshot, plan), and the parameters that point
    each notebook at it, by the notebook's number."""
    a, b = hostile_snapshot(out / "before"), hostile_snapshot(out / "later", later=True)
    plan = hostile_plan(out / "plan.json")
    snap = {"SNAPSHOT": str(a)}
    return {"00": snap, "01": snap,
            "02": {**snap, "ACCOUNT": "022222222221", "WHAT_IF_POLICY": POLICY_NAME, "WHAT_IF_TARGET": OU_SVG},
            "03": snap, "04": {**snap, "LATER": str(b), "TFPLAN": str(plan)},
            "05": {**snap, "TARGET": f"Root/{OU_SVG}"}}


#: a page script that records every call of alert/confirm/prompt (in the page; a dialog from a frame is caught by
#: the test's dialog handler)
TRAP = """(() => { window.__pwned = [];
  const where = () => { const e = window.event && window.event.target;  // the element a handler ran on
    return e && e.outerHTML ? ' in ' + (e.parentElement || e).outerHTML.slice(0, 300) : ''; };
  for (const f of ['alert', 'confirm', 'prompt']) { window[f] = (m) => { window.__pwned.push(f + ':' + m + where()); }; }
})();"""
#: elements a payload would create if a name were read as HTML
INJECTED = "img[onerror], svg[onload], body[onload], iframe[src^='javascript'], [onload], [onerror]"
#: a script element made of a name (the page's own scripts, and JSON data such as widget state, do not call alert)
INJECTED_SCRIPT = "script:not([type*='json'])"
