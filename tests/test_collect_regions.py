"""What ``collect`` writes, ``load`` reads (issue 17, point 4): the collector and the loader hold the manifest's
regions to the accounts' region lists by one rule (:func:`orgkit.snapshot.region_lists_fault`).

The failure reproduced: a botocore whose endpoint data knows a region that the organisation's account:ListRegions
does not return. The collector asks for it (every region where GuardDuty and CloudTrail exist, by botocore), no
account lists it, and the snapshot used to be refused by every command ("regions has …, which no account's
region list has"). The property: over generated region choices, regions botocore alone knows, opt-in regions on
or off, and failing calls (ListRegions, its ec2 fallback, GuardDuty, CloudTrail), the snapshot loads."""

from __future__ import annotations

import contextlib
import copy
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orgkit
from orgkit.aws import regions as R
from orgkit.aws.collect import collect
from orgkit.aws.session import SessionFactory

pytestmark = pytest.mark.integration

#: names no botocore knows, made known to the collector's botocore only (the local AWS's ListRegions, like the
#: real one, answers from its own list)
NEWER = ["ap-future-9", "eu-future-8"]


@contextlib.contextmanager
def botocore_knows(*extra: str):
    """botocore's endpoint data in this process with ``extra`` regions of the aws partition, GuardDuty and
    CloudTrail among their services (as a botocore released after a region launch has them)."""
    import botocore.loaders

    L = botocore.loaders.Loader
    orig, orig_path = L.load_data, L.load_data_with_path

    def add(data):
        data = copy.deepcopy(data)
        part = next(p for p in data["partitions"] if p["partition"] == "aws")
        for r in extra:
            part["regions"][r] = {"description": "newer than account:ListRegions"}
            for svc in ("guardduty", "cloudtrail"):
                part["services"][svc]["endpoints"][r] = {}
        return data

    def load_data(self, name, *args, **kwargs):
        data = orig(self, name, *args, **kwargs)
        return add(data) if name == "endpoints" else data

    def load_data_with_path(self, name, *args, **kwargs):
        data, path = orig_path(self, name, *args, **kwargs)
        return (add(data) if name == "endpoints" else data), path

    L.load_data, L.load_data_with_path = load_data, load_data_with_path
    R.partitions.cache_clear()
    try:
        yield
    finally:
        L.load_data, L.load_data_with_path = orig, orig_path
        R.partitions.cache_clear()


def run_collect(aws, out, regions=None, extra=(), **kw):
    with botocore_knows(*extra):
        factory = SessionFactory(endpoint_url=aws.endpoint_url, max_attempts=1)
        return collect(out, factory=factory, progress=False, workers=8, regions=regions, **kw)


def test_botocore_knowing_a_region_listregions_does_not_return(small_org, tmp_path):
    """The exact failure: no --regions, so the collector asks for every region botocore knows GuardDuty and
    CloudTrail in, one of which the organisation's ListRegions does not return. The snapshot records it as
    unlisted, and every command reads it: its cells are not_applicable, never `none`."""
    aws, ids = small_org
    aws.clear_faults()
    path = run_collect(aws, tmp_path / "snap", extra=[NEWER[0]])
    org = orgkit.load(path)  # was refused: "regions has ap-future-9, which no account's region list has"
    m = json.loads((path / "manifest.json").read_text())
    assert NEWER[0] in m["regions"] and m["regions_unlisted"] == [NEWER[0]]
    from orgkit.coverage import cloudtrail_coverage, guardduty_coverage

    for cov in (cloudtrail_coverage(org), guardduty_coverage(org)):
        cells = cov[cov.region == NEWER[0]]
        assert len(cells) and set(cells.status) == {"not_applicable"}
        assert cells.reason.str.contains("not in its region list").all()
    # every command, in a process whose botocore does not know the region at all
    for cmd in (["show"], ["coverage"], ["scp", "tamper"]):
        p = subprocess.run([sys.executable, "-m", "orgkit.cli", *cmd, str(path)], capture_output=True, text=True,
                           timeout=300)
        assert p.returncode == 0, (cmd, p.stderr)


REGION_POOL = ["us-east-1", "eu-west-1", "eu-south-1", "ap-east-1"]  # the last two: opt-in regions
FAULTS = {
    "ListRegions": dict(service="account", operation="ListRegions"),
    "DescribeRegions": dict(service="ec2", operation="DescribeRegions"),
    "ListDetectors": dict(service="guardduty", operation="ListDetectors"),
    "ListTrails": dict(service="cloudtrail", operation="ListTrails"),
    "ListOrganizationAdminAccounts": dict(service="guardduty", operation="ListOrganizationAdminAccounts"),
}

organisations = st.fixed_dictionaries({
    "accounts": st.lists(st.fixed_dictionaries({
        "role": st.booleans(),  # no role: the account is not reached (ListRegions from the management still is)
        "enabled": st.lists(st.sampled_from(["eu-south-1", "ap-east-1"]), unique=True),
        "detector": st.booleans(),
    }), min_size=1, max_size=3),
    "enabled_everywhere": st.lists(st.sampled_from(["eu-south-1", "ap-east-1"]), unique=True),
})


def scenario(g: dict, seed: int) -> dict:
    accounts = [{"key": f"a{i}", "name": f"Acct {i}", "ou": "Work", "role": a["role"],
                 "enabled_regions": a["enabled"]} for i, a in enumerate(g["accounts"])]
    return {"name": "generated", "seed": seed, "regions": ["us-east-1"], "ous": {"Work": {}},
            "service_access": ["account.amazonaws.com", "guardduty.amazonaws.com"],
            "enable_opt_in_regions": g["enabled_everywhere"], "accounts": accounts,
            "guardduty": {"detectors": [{"account": f"a{i}", "regions": ["us-east-1"]}
                                        for i, a in enumerate(g["accounts"]) if a["detector"] and a["role"]]}}


@pytest.fixture
def fresh_aws(local_aws):
    yield local_aws
    local_aws.clear_faults()
    local_aws.set_options(strict_assume_role=False)


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(org=organisations,
       regions=st.lists(st.sampled_from(REGION_POOL + NEWER), min_size=1, max_size=4, unique=True),
       known=st.lists(st.sampled_from(NEWER), unique=True),
       faults=st.lists(st.tuples(st.sampled_from(sorted(FAULTS)), st.sampled_from([None, *REGION_POOL])),
                       max_size=3, unique=True),
       default=st.booleans(), seed=st.integers(0, 1000))
def test_whatever_collect_writes_load_reads(fresh_aws, tmp_path_factory, org, regions, known, faults, default, seed):
    """A generated organisation (accounts with and without a role, opt-in regions on or off per account, with or
    without a detector), regions asked for or botocore's default, regions botocore alone knows, failing calls
    (ListRegions refused: the collector falls back to ec2:DescribeRegions in the account, or records both failures): the collector either refuses before any call (a region botocore does not know: nothing
    written) or writes a snapshot that loads, and the one rule holds of what it wrote."""
    from orgkit.localaws.scenario import build
    from orgkit.snapshot import region_lists_fault, unlisted_regions

    aws = fresh_aws
    aws.reset()
    aws.set_options(strict_assume_role=False)
    aws.seed(seed)
    build(aws.endpoint_url, scenario(org, seed))
    aws.set_options(strict_assume_role=True)
    extra = sorted(set(known) | ({r for r in regions if r in NEWER} if default else set()))
    out = tmp_path_factory.mktemp("p") / "snap"
    asked = None if default else regions
    try:
        for name, region in faults:
            aws.add_fault("AccessDeniedException", http_status=400, region=region, **FAULTS[name])
        if asked and not set(asked) <= set(REGION_POOL) | set(extra):
            with pytest.raises(ValueError, match="unknown region"):
                run_collect(aws, out, regions=asked, extra=extra)
            assert not out.exists()
            return
        path = run_collect(aws, out, regions=asked, extra=extra)
    finally:
        aws.clear_faults()
    loaded = orgkit.load(path)  # never refused
    assert len(loaded.accounts) == len(org["accounts"]) + 1
    m = json.loads((path / "manifest.json").read_text())
    docs = {p.stem: json.loads(p.read_text()) for p in (path / "accounts").glob("*.json")}
    assert region_lists_fault(m, docs) is None
    assert m.get("regions_unlisted", []) == unlisted_regions(m["regions"], docs)
    if any(d.get("Regions") for d in docs.values()):  # some list was read: botocore's extra regions are unlisted
        assert set(m.get("regions_unlisted", [])) == set(m["regions"]) & set(NEWER)
