"""Issue 19: ``orgkit guardduty migrate --apply`` says each step once (as it runs), then only the count and the
steps that need a look; on the moto server extended in orgkit/localaws."""

from __future__ import annotations

import re

from local_org import build_org
from orgkit.aws.collect import collect
from orgkit.aws.session import SessionFactory
from test_migration_other_admin import REGIONS, SCENARIO


def test_apply_prints_every_step_once(local_aws, tmp_path, capsys):
    from orgkit.cli import main

    ids = build_org(local_aws, SCENARIO)
    snap = collect(tmp_path / "before", factory=SessionFactory(endpoint_url=local_aws.endpoint_url),
                   regions=REGIONS, progress=False, workers=8)
    journal = tmp_path / "gd.json"
    rc = main(["guardduty", "migrate", str(snap), "--admin", ids["security"], "--regions", ",".join(REGIONS),
               "--endpoint-url", local_aws.endpoint_url, "--auto-enable", "NEW", "--apply", "--journal",
               str(journal), "--no-recollect"])
    out = capsys.readouterr().out
    assert rc == 0, out[-2000:]
    import json

    steps = [s["step_id"] for s in json.loads(journal.read_text())["steps"]]
    assert steps
    # a step is said on a line that starts with its id (a row of the plan's table, or the line of its run)
    for step in steps:
        said = [line for line in out.splitlines() if re.match(rf"\s*{re.escape(step)}(?![\w-])", line)]
        assert len(said) == 1, f"{step} said {len(said)} times: {said}"
        assert ": done" in said[0] or ": skipped" in said[0], said
    assert re.search(r"^steps: \d+ done", out, re.M)
