"""Shared fixtures: a local AWS (moto server with orgkit's extension) on loopback, started by the test session."""

from __future__ import annotations

import os

import pytest

# Tests never reach real AWS: dummy credentials, no profile, no endpoint from the environment.
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing",
                  AWS_DEFAULT_REGION="us-east-1")
for _k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "MOTO_ACCOUNT_ID"):
    os.environ.pop(_k, None)

SMALL = {
    "name": "small",
    "seed": 7,
    "regions": ["us-east-1", "eu-west-1", "eu-south-1"],
    "service_access": ["account.amazonaws.com", "guardduty.amazonaws.com", "cloudtrail.amazonaws.com"],
    "enable_opt_in_regions": ["eu-south-1"],
    "ous": {"Security": {}, "Workloads": {"Prod": {"Payments": {}}, "Dev": {}}},
    "accounts": [
        {"key": "security", "name": "Security", "ou": "Security"},
        {"key": "pay", "name": "Payments Prod", "ou": "Workloads/Prod/Payments", "tags": {"env": "prod"}},
        {"key": "web", "name": "Web Prod", "ou": "Workloads/Prod"},
        {"key": "dev", "name": "Dev", "ou": "Workloads/Dev", "disabled_regions": ["eu-south-1"]},
        {"key": "norole", "name": "No Role", "ou": "Workloads/Dev", "role": False},
    ],
    "external_accounts": [{"key": "partner", "id": "000011112222"}],
    "policies": [
        {"name": "DenyLeave", "targets": ["ou:Workloads", "account:dev"],
         "document": {"Version": "2012-10-17", "Statement": [
             {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}},
    ],
    "trails": [
        {"account": "management", "name": "org-trail", "home_region": "us-east-1", "organization": True},
        {"account": "pay", "name": "pay-multi", "home_region": "eu-west-1", "multi_region": True,
         "advanced_event_selectors": [{"Name": "mgmt", "FieldSelectors": [
             {"Field": "eventCategory", "Equals": ["Management"]}]}]},
        {"account": "web", "name": "web-single", "home_region": "eu-west-1", "multi_region": False,
         "stop_logging": True, "tags": {"team": "web"}},
    ],
    "guardduty": {
        "detectors": [{"account": "security", "regions": ["us-east-1", "eu-west-1"]},
                      {"account": "dev", "regions": ["eu-west-1"], "enabled": False}],
        "org_admin": {"account": "security", "regions": ["us-east-1"]},
        "org_members": [{"region": "us-east-1", "accounts": ["pay", "web", "norole"]}],
        "invitations": [{"admin": "security", "region": "eu-west-1", "members": ["pay", "partner"],
                         "accept": ["pay", "partner"]}],
    },
}


@pytest.fixture(scope="session")
def local_aws():
    """One moto server with the extension for the whole session (a subprocess on 127.0.0.1)."""
    from orgkit.localaws.server import LocalAWS

    with LocalAWS() as aws:
        yield aws


@pytest.fixture
def server(local_aws):
    """The session's local AWS under the name the localaws tests use; each of their tests resets it first."""
    return local_aws


@pytest.fixture(scope="module")
def small_org(local_aws):
    """The SMALL organisation, freshly built; returns (local_aws, ids)."""
    from orgkit.localaws.scenario import build

    local_aws.reset()
    local_aws.set_options(strict_assume_role=False)
    local_aws.seed(SMALL["seed"])
    ids = build(local_aws.endpoint_url, SMALL)
    local_aws.set_options(strict_assume_role=True)
    yield local_aws, ids
    local_aws.clear_faults()
    local_aws.set_options(strict_assume_role=False)


def pytest_terminal_summary(terminalreporter):
    """Say it when the browser tests did not run: the README's test command is what .ci/run runs, but .ci/run also
    installs chromium (and fails rather than skips without it)."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "test_browser.py" in str(r.nodeid)]
    if skipped:
        terminalreporter.write_line(
            f"orgkit: {len(skipped)} browser test(s) skipped: /usr/bin/chromium is missing "
            "(apt-get install chromium, as .ci/run does; ORGKIT_REQUIRE_BROWSER=1 makes them fail instead)",
            yellow=True)
