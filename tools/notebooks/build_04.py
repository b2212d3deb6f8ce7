"""Write and execute notebooks/04-change-review.ipynb: `python tools/notebooks/build_04.py`.

The notebook holds narrative, parameters, calls and display; the diff is orgkit/diff/ (pure functions), its notebook
helpers (styled tables, the tree coloured by where the changes are) orgkit/diff/notebook.py. Outputs are committed
and checked by nbval (`python -m pytest -q notebooks/04-change-review.ipynb`).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from nbtools import build  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "04-change-review.ipynb"

CELLS = [
("md", """# Change review: what changed since the last review, and what will this pull request change?

Once an organisation is set up, what matters is that nothing has quietly been undone: a new account that arrived
without GuardDuty, a trail someone stopped, an SCP edited so that an OU can stop its trail again, a detector
suspended. And when OUs and SCPs live in Terraform, the pull request should say which accounts gain or lose which
actions *before* anyone applies it.

This notebook compares two snapshots of one organisation, then one snapshot with a Terraform plan. As stored it
reads the bundled demo: the demo organisation, the same organisation **some time later**
(`orgkit/localaws/scenarios/demo-later.json` says what happened in between), and a plan against it. To review your
own:

```
papermill notebooks/04-change-review.ipynb review.ipynb -p SNAPSHOT snapshots/2026-11-01 \\
    -p LATER snapshots/2026-12-01 -p TFPLAN plan.json
```

<details><summary>How changes are rated</summary>

Each row has a `severity`: **regression** (worse), **improvement**, **neutral** (surely no effect) or **unknown**
(the effect cannot be known, e.g. a plan's value unknown until apply: the reason says why). Coverage cells go up or down a
ladder of statuses (CloudTrail `covered` > `partial` > `not_delivering` > `not_logging` > `none`; GuardDuty
`administrator` = `org_member` > `invited_member` > `standalone` > `suspended` = `pending` > `none`); a cell that
can no longer be read is a regression. For SCPs, a principal that can do more is a regression: an account that can
stop its trail again always is. An action that stays `conditional` is compared by the cases in which it is
allowed: allowed now where it was denied before (say, for every role but the one an exception named) is a
regression. A structural change (an edit, an attachment, a move) is rated by its own effect,
applied alone to the earlier organisation, so an edit that changes nothing is neutral. The rules are in
`docs/diff.md`.
</details>"""),
("code", """SNAPSHOT = None  # the earlier snapshot; None: the bundled demo
LATER = None  # the later snapshot; None: the bundled demo some time later
TFPLAN = None  # `terraform show -json PLANFILE` output; None: the demo's plan for the demo, else no plan review
PRINCIPAL = "role/Developer"  # SCP effects for this persona or ARN (None: any principal)""", ["parameters"]),
("code", """%matplotlib inline
import pandas as pd
import orgkit
from orgkit.diff import diff, diff_plan, summary, summary_line
from orgkit.diff.notebook import demo_paths, draw_change_tree, effect_by_account, plan_review, table
from orgkit.display import Table, use_orgkit_tables

use_orgkit_tables()  # every table: statuses in the palette, missing values as one mark, what does not fit folded
pd.set_option("display.max_colwidth", 120)
before_path, later_path, plan_path = demo_paths(SNAPSHOT, LATER, TFPLAN)
before, after = orgkit.load(before_path), orgkit.load(later_path)
changes = diff(before, after, principal=PRINCIPAL)
print(summary_line(changes))"""),
("md", """## What changed since the last review?

One row per change; here they are counted by kind. The summary line above is what a scheduled CI job posts
(`orgkit diff BEFORE AFTER --summary-only`)."""),
("code", """Table(summary(changes), uuid="summary")"""),
("md", """## What got worse?"""),
("code", """table(changes[changes.severity == "regression"], uuid="regressions")"""),
("md", """## Where in the organisation are the changes?

Each account, OU and the root is coloured by the worst change there or under it (an OU wears the worst of its
accounts), in orgkit's one palette: vermillion regression, blue improvement, grey neutral; the number in brackets after a
name counts the changes at that node (the tree reads left to right, root first, accounts down the page)."""),
("code", """draw_change_tree(after, changes, title="Changes since the last review (the organisation as it is now)")"""),
("md", """## Which accounts can switch their logging off again?

Tamper protection compares, for each account, the decision on the actions that stop or weaken CloudTrail and
GuardDuty (`orgkit.scp.TAMPER_ACTIONS`). A new account is listed with what it arrives able to do."""),
("code", """table(changes[changes.kind == "tamper"], ["severity", "account_name", "ou_path", "action", "before", "after", "reason"],
      uuid="tamper")"""),
("md", """### And for any principal?

With no principal given, `aws:PrincipalArn` is unknown and the protective SCP's exception for `role/SecurityAdmin`
keeps `cloudtrail:StopLogging` `conditional` before and after the edit. The labels are equal; the cases are not:
every principal other than SecurityAdmin (and the root user, denied by another SCP) can now stop the trail. The
rows say so in words and are regressions, so `orgkit diff --fail-on regression` catches the change."""),
("code", """anyone = diff(before, after, coverage=False)
table(anyone[(anyone.kind == "tamper") & (anyone.before == "conditional") & (anyone.after == "conditional")],
      ["severity", "account_name", "action", "reason"], uuid="tamper_any")"""),
("md", """## Which SCP changes had an effect, and which had none?

An edit is described statement by statement; a reformatted or reordered policy changes nothing and says so."""),
("code", """table(changes[changes.kind.str.startswith("scp_") & (changes.kind != "scp_effect")],
      ["kind", "severity", "policy_name", "ou_path", "account_name", "reason"], uuid="scp")"""),
("md", """## GuardDuty: what is better, what is worse?

The migration from invitations to AWS Organizations was done in one region; a detector was suspended; auto-enable
was switched off, so the next account arrived without GuardDuty."""),
("code", """gd = changes[changes.kind.str.startswith("guardduty")]
Table(gd.groupby(["kind", "region", "before", "after", "severity"], dropna=False).size().rename("cells").reset_index(),
      uuid="gd")"""),
("md", """## What will this pull request change?

The plan (`terraform show -json`) is applied to a copy of the latest snapshot's organisation: policy texts and
names, attachments, OUs and account placement. A policy the plan creates has no id until apply; an attachment to
it is resolved through the plan's references (`aws_organizations_policy.….id`) and shown with the address. What
cannot be resolved or is not modelled is rated **unknown**, never neutral."""),
("code", """planned = plan_review(after, plan_path, principal=PRINCIPAL)
print(summary_line(planned) if plan_path else "No Terraform plan given (TFPLAN = None): no plan review.")
table(planned[planned.kind != "scp_effect"], ["kind", "severity", "policy_id", "policy_name", "account_name", "action", "before", "after", "reason"],
      uuid="plan")"""),
("md", """### Which accounts gain or lose which actions?"""),
("code", """Table(effect_by_account(planned), uuid="effect")"""),
("code", """draw_change_tree(after, planned, title="What the pull request would change")"""),
("md", """## In CI

```
orgkit diff snapshots/last snapshots/today --fail-on regression --summary-only   # nightly: exit 1 on a regression
terraform show -json tfplan > plan.json
orgkit diff snapshots/today --terraform-plan plan.json --principal role/Developer --fail-on regression,unknown
```

Planned changes to resources orgkit does not model (here the organisation trail's tags) are listed as
`not_evaluated`; values unknown until apply that the plan's references do not resolve are reported unknown, and
the accounts they could affect get no effect rows."""),
]


if __name__ == "__main__":
    build(NOTEBOOK, CELLS)
