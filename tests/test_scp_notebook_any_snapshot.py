"""Notebook 02 runs to the end on a snapshot that is not the demo (issue 10): no policy of the demo's name, an SCP
whose targets could not be read, a region guardrail; it says what it cannot show instead of failing."""

import json

import nbformat
import pytest

from orgkit.demo import inject_parameters
from orgkit.testing import SnapshotSpec

NOTEBOOK = __import__("pathlib").Path(__file__).resolve().parents[1] / "notebooks" / "02-scp-inheritance.ipynb"

GUARD = {"Version": "2012-10-17", "Statement": [{"Sid": "OnlyEU", "Effect": "Deny", "Action": "*", "Resource": "*",
                                                 "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}
NO_TRAILS = {"Version": "2012-10-17", "Statement": [{"Sid": "KeepTrails", "Effect": "Deny",
                                                     "Action": "cloudtrail:StopLogging", "Resource": "*"}]}


def _outputs(nb) -> str:
    out = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            assert o.get("output_type") != "error", o
            out.append(o.get("text") or json.dumps(o.get("data", {}).get("text/plain", "")))
    return "\n".join(str(x) for x in out)


@pytest.mark.parametrize("own_policies", [True, False])
def test_notebook_02_runs_on_another_organisation(tmp_path, own_policies):
    from nbclient import NotebookClient

    sb = SnapshotSpec(regions=["eu-west-1"])
    ou = sb.ou("Workloads")
    sb.account("App One", parent=ou)
    if own_policies:
        sb.policy("EuropeOnly", GUARD, targets=[ou])
        sb.policy("KeepTrails", NO_TRAILS)  # its targets could not be read
        sb.error(sb.management, None, "organizations", "ListTargetsForPolicy", "AccessDeniedException",
                 "not authorized to list the targets of p-keeptrails")
    snap = sb.write(tmp_path / "snap")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    inject_parameters(nb, {"SNAPSHOT": str(snap)})
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    text = _outputs(nb)
    if own_policies:
        assert "instead" in text  # the demo's ProtectSecurityServices is not here: one of its own SCPs is tried
        assert "unknown" in text  # StopLogging depends on KeepTrails, whose targets were not read
    else:
        assert "nothing to try" in text
