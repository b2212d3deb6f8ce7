"""Write and execute notebooks/00-quickstart.ipynb (issue 2): `python tools/notebooks/build_00.py`."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from nbtools import build  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "00-quickstart.ipynb"

CELLS = [
("md", """# orgkit quickstart: load a snapshot

A **snapshot** is what `orgkit collect` writes: the organisation's structure, its SCPs, and every account's
CloudTrail trails and GuardDuty detectors, as AWS returned them. This notebook loads one and shows what is in it.

By default it opens the **bundled demo snapshot**, collected by `orgkit demo` from the demo organisation (a local
AWS on loopback, no account needed). Point it at your own with
`papermill notebooks/00-quickstart.ipynb out.ipynb -p SNAPSHOT path/to/snapshot`."""),
("code", """SNAPSHOT = None  # a snapshot directory; None opens the bundled demo""", ["parameters"]),
("code", """%matplotlib inline
import pandas as pd
import orgkit
from orgkit import coverage
from orgkit.display import use_orgkit_tables
from orgkit.ougraph import draw_ou_tree

use_orgkit_tables()  # tables: status cells in the heatmaps' palette, wide frames folded
org = orgkit.load(SNAPSHOT)
org"""),
("md", """## What was collected?

One row per frame. Every frame is documented in `docs/snapshot.md`; `account_id` is always a 12-character string."""),
("code", """org.summary().T"""),
("md", """## Which accounts, where in the tree, and could we read them?

`access` says how the collector reached each account: `caller` (the management account's own credentials),
`assume_role`, or `none` (the error says why). An account we could not reach is never reported as empty: its
CloudTrail and GuardDuty reads are `skipped` in `org.reads`."""),
("code", """org.accounts[["account_id", "account_name", "ou_path", "status", "access", "access_error"]]"""),
("md", """## What could not be read?

Every failed call is kept, with the account, region, operation and AWS error code."""),
("code", """org.errors"""),
("code", """org.reads.pivot_table(index="service", columns="status", values="account_id", aggfunc="count", fill_value=0)"""),
("md", """## The OU tree and the SCPs attached at each level

Root → OUs → accounts, left to right, with the SCPs attached directly to each node (purple; FullAWSAccess, attached
everywhere by default, is left out, and a node without it says so). Each node is filled by the share of its
(account, region) cells that CloudTrail records and GuardDuty watches (an OU counts every account beneath it): blue
when every cell is covered, sand when some are not, vermillion when half or more are not. The management account
is the square."""),
("code", """draw_ou_tree(org, coverage=pd.concat([coverage.cloudtrail_coverage(org), coverage.guardduty_coverage(org)]))"""),
("md", """## The trails and the detectors, as loaded

The analyses (coverage review, SCP evaluation, GuardDuty migration) are functions over these frames; the frames
themselves are plain pandas."""),
("code", """org.trails[["name", "account_id", "home_region", "is_organization_trail", "is_multi_region", "is_logging", "selector_kind"]]"""),
("code", """org.detectors.groupby(["region", "status"]).size().unstack(fill_value=0)"""),
]

if __name__ == "__main__":
    build(NOTEBOOK, CELLS)
