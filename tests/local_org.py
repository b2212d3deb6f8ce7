"""The local AWS set up from a scenario, and collected with faults on during the collection only: the sequences
the end-to-end tests share (coverage, Lake, collection, the GuardDuty migration)."""

from __future__ import annotations

from pathlib import Path

import orgkit
from orgkit.aws.collect import collect
from orgkit.aws.session import SessionFactory
from orgkit.localaws.scenario import build


def build_org(local_aws, scenario: dict) -> dict[str, str]:
    """A fresh local AWS holding ``scenario`` (orgkit.localaws.scenario), built with roles assumed freely (the
    strict check stays off: set it after if the test wants it); returns the scenario's keys to their ids."""
    local_aws.reset()
    local_aws.set_options(strict_assume_role=False)
    local_aws.seed(scenario["seed"])
    return build(local_aws.endpoint_url, scenario)


def collect_local(local_aws, out: Path, regions: list[str], faults=()) -> orgkit.Org:
    """Collect ``local_aws`` into ``out`` with ``faults`` (keyword dicts of ``LocalAWS.add_fault``) injected while
    it runs, cleared after, even when the collection fails; return the loaded snapshot."""
    for f in faults:
        local_aws.add_fault(**f)
    try:
        path = collect(out, factory=SessionFactory(endpoint_url=local_aws.endpoint_url), regions=regions, workers=8,
                       progress=False)
    finally:
        local_aws.clear_faults()
    return orgkit.load(path)
