"""One collection from the local AWS, with faults on during it only, loaded: the sequence the end-to-end coverage
tests share (tests/test_coverage_e2e.py, test_coverage_lake.py, test_coverage_lake_accounts.py)."""

from __future__ import annotations

from pathlib import Path

import orgkit
from orgkit.aws.collect import collect
from orgkit.aws.session import SessionFactory


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
