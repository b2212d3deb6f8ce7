"""Write and execute notebooks/03-guardduty-migration.ipynb: `python tools/notebooks/build_03.py`.

The notebook holds narrative, parameters, calls and display; the plan is orgkit/guardduty/plan.py, the executor
orgkit/aws/migrate.py, and the notebook's own helpers (display tables, the step-group runbook) orgkit/guardduty/notebook.py.
Outputs are committed and checked by nbval (`python -m pytest -q notebooks/03-guardduty-migration.ipynb`): with the
default parameters (APPLY = False) the runbook cells preview from the snapshot and make no AWS call.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from nbtools import build  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "03-guardduty-migration.ipynb"

RUN_NOTE = """<details><summary>What the cell does in each mode</summary>

* `APPLY = False` (the default): a **preview** from the snapshot. No AWS call at all: `pending` is what would run,
  `skipped` what the snapshot says is done already (the real run checks it live first). The executor's own dry
  run reads the live state with the management account's credentials, which a stored notebook checked by nbval
  does not have: hence this preview, computed from the same plan.
* `LIVE_CHECK = True`: `orgkit.aws.migrate.execute(..., dry_run=True)` through a read-only session: each step's check
  is read live; nothing is written (a write would be refused before it is signed).
* `APPLY = True`: `execute(..., dry_run=False, journal_path=JOURNAL)`. Each step re-reads the live state first:
  what is already done is `skipped`, the rest is `done`. A failure stops the cell (red line, `failed` row with the
  AWS error code); the journal keeps where it stopped. Fix the cause and run the **same cell** again: it resumes.
  The later cells refuse to run until then. A cell also completes any step of an earlier group not done yet, so
  skipping a cell never reorders the steps of a region.
</details>"""

CELLS = [
("md", """# GuardDuty: from invitations to AWS Organizations

A runbook to move GuardDuty from **invitation** members (the administrator invites every account, in every region,
and each one accepts) to **AWS Organizations** (a delegated administrator enrols every account itself, and new ones
automatically). Read it top to bottom: what GuardDuty looks like today, what the old model costs, the plan, what
could make it fail, the plan as code, then the runbook, one step group per cell, and the check that it worked.

As stored, it reads the **bundled demo snapshot** and writes nothing: the runbook cells only *preview*. To carry the
plan out, collect a snapshot of your organisation (`orgkit collect`), then run the notebook with the management
account's credentials:

```
papermill notebooks/03-guardduty-migration.ipynb run.ipynb -p SNAPSHOT snap -p PROFILE management \\
    -p APPLY True -p JOURNAL gd-migration.journal.json
```

<details><summary>The plan, the executor and their limits</summary>

The plan is `orgkit.guardduty.plan_migration` (pure, from the snapshot); the runbook calls
`orgkit.aws.migrate.execute`, the only orgkit code that writes to AWS. Both are described, with the reasons for the
order of the steps and the known limits (asynchronous changes, pending invitations, changing an existing delegated
administrator), in `docs/guardduty-migration.md`. The same plan is available from the CLI:
`orgkit guardduty plan` and `orgkit guardduty migrate`.
</details>"""),
("code", """SNAPSHOT = None  # a snapshot directory; None opens the bundled demo
ADMIN = None  # the delegated administrator (account id); None: the current one (if none: today's state only)
REGIONS = None  # e.g. ["us-east-1", "eu-west-1"]; None: every region of the snapshot
AUTO_ENABLE = "ALL"  # ALL (every account, present and future) or NEW (accounts that join later)
KEEP_SUSPENDED = []  # account ids whose suspended detectors stay suspended (True: all); default: re-enable them
INCLUDE_MANAGEMENT = True  # enrol the management account too (its detector enabled first where it has none)
FEATURES = None  # protection plans to carry, e.g. ["S3_DATA_EVENTS", "RUNTIME_MONITORING", "ECS_FARGATE_AGENT_MANAGEMENT"]; None: the admin's
MIGRATE_EKS_RUNTIME = False  # True: send RUNTIME_MONITORING where the legacy EKS_RUNTIME_MONITORING is in use
APPLY = False  # True: the runbook cells write to AWS (management account credentials)
LIVE_CHECK = False  # True (with APPLY False): the runbook cells read the live state, write nothing
PROFILE = None  # the AWS profile of the management account; None: the environment's credentials
ENDPOINT_URL = None  # another endpoint for every AWS call (orgkit's local AWS in tests and the demo)
JOURNAL = "guardduty-migration.journal.json"  # where an applied run records each step, to resume after a stop""",
 ["parameters"]),
("code", """%matplotlib inline
import pandas as pd
import orgkit
from orgkit.guardduty.notebook import (Runbook, invitation_arithmetic, issues_table, notebook_plan, plan_steps,
                                       scp_folded, status_table, terraform_folded, tie_summary)
from orgkit.display import use_orgkit_tables
from orgkit.plots import coverage_heatmap

use_orgkit_tables()  # tables: statuses in the heatmaps' palette, wide frames folded
pd.set_option("display.max_colwidth", 200)
org = orgkit.load(SNAPSHOT)
plan = notebook_plan(org, admin=ADMIN, regions=REGIONS, auto_enable=AUTO_ENABLE, keep_suspended=KEEP_SUSPENDED,
                     include_management=INCLUDE_MANAGEMENT, features=FEATURES,
                     migrate_eks_runtime=MIGRATE_EKS_RUNTIME)  # no GuardDuty administrator: today's state only
today = plan.current
print(plan.summary())"""),
("md", """## How is GuardDuty managed today?

The status of every account in every region, from the snapshot: `org_member` (through AWS Organizations),
`invited_member` (by invitation), `administrator`, `standalone` (enabled, no administrator), `suspended`, `pending`
(invited, not accepted), `none`, `unknown` (could not be read), `not_applicable` (region off)."""),
("code", """coverage_heatmap(today.coverage, "GuardDuty today, by account and region")"""),
("code", """status_table(plan)"""),
("md", """## What does the invitation model cost us?

Under invitations, the administrator invites every other account in every region, and each account accepts: for the
whole organisation that is *regions × (accounts − 1)* invitations, and every new account needs one more per region.
Under AWS Organizations with auto-enable, none.

<details><summary>Per region</summary>

`today.invitation_cost` has the same counts region by region (sent, accepted, pending, other statuses, outside the
organisation); `today.cost_summary` the totals.
</details>"""),
("code", """invitation_arithmetic(org, plan)"""),
("md", """## Who administers what, and how is each member tied?

Every administrator per region: whether it is the delegated administrator, its members by invitation and through
the organisation, and its auto-enable setting (empty: no organisation configuration there)."""),
("code", """today.administrators"""),
("md", """How each member is tied to its administrator, grouped: `invitation` (the member record has `InvitedAt`, or the
account is outside the organisation) or `organization`; `relationship_status` as AWS reports it (`Enabled`,
`Disabled`: associated; `Invited`: never accepted)."""),
("code", """tie_summary(plan)"""),
("md", """Members **outside the organisation** can only be invitation members: the migration leaves them as they are
(their administrator keeps them)."""),
("code", """today.external_members"""),
("md", """## What will the migration do?

The plan, per region, in order: the exact API call and its parameters, the account that makes it, why, and how it
is checked. `state` is what the snapshot says: `to_do`, `done_in_snapshot` (the run checks it again live and skips
it), or `no_call`.

<details><summary>Why this order</summary>

The order is AWS's own. Members are disassociated from their old administrators *before* the delegated
administrator is designated ("Disassociate any member account that is still associated with the pre-existing
administrator accounts", Consolidating GuardDuty administrator accounts): a member has one administrator, and an
administrator with active members cannot become a member. Only the management account can designate the delegated
administrator, which needs its own enabled detector. The organisation configuration (auto-enable and protection
plans) is set *before* enrolment, because "GuardDuty applies your organization's auto-enable settings to the member
accounts in this request [CreateMembers], irrespective of the accounts being new or existing members". The
management account gets its own detector first where it has none: "Before the management account gets added as a
GuardDuty member, it must have GuardDuty enabled." Nothing is ever deleted (deleting a detector deletes its
findings). The full reasoning, with the AWS references, is in `docs/guardduty-migration.md`. `plan.table()` has the
parameters in full; `plan.to_json()` everything.
</details>"""),
("code", """plan_steps(plan)"""),
("md", """## What happens to each suspended detector?

A suspended detector watches nothing and keeps its findings (for 90 days, GuardDuty's finding retention period).
GuardDuty charges nothing for it, except Malware Protection for S3 on buckets it protects: that goes on, and is
billed, after a suspension. The migration **re-enables**
them by default, because coverage is the point: CreateMembers from the delegated administrator enables GuardDuty in
the accounts it adds, and auto-enable `ALL` includes "accounts that may have been suspended". To keep a suspension
that was deliberate, list the account in `KEEP_SUSPENDED`: it is then left out of CreateMembers, and its region gets
auto-enable `NEW` instead of `ALL` (the plan's summary and pre-flight say so). One row per suspended detector: what
happens to it, by which call, and in which step."""),
("code", """plan.suspended_outcomes()"""),
("md", """## What could make a step fail?

The pre-flight checks, errors first. An `error` blocks its region (the runbook leaves it out and says so); a
`warning` needs a decision; an `info` says which accounts are left out, and why. SCPs are checked for every call
and every check read, in the account that makes it, as the role the executor assumes."""),
("code", """issues_table(plan)"""),
("md", """## What does it look like as code?

The same target as Terraform (AWS provider ≥ 5; `import` blocks for what already exists), and the SCP to attach once
the migration is done: it denies GuardDuty changes to every account but the delegated administrator, so members
cannot leave or switch GuardDuty off. Both are folded; `plan.terraform()` and `plan.scp_text()` give the text."""),
("code", """terraform_folded(plan)"""),
("code", """scp_folded(plan)"""),
("md", """## The runbook

One cell per step group, in order. Above each, what it should do; the cell shows what it did (or would do), step by
step, with the check each step must pass. With the default parameters nothing here touches AWS.
""" + RUN_NOTE),
("code", """runbook = Runbook(plan, apply=APPLY, live_check=LIVE_CHECK, profile=PROFILE, endpoint_url=ENDPOINT_URL,
                  journal=JOURNAL if APPLY else None)
runbook.mode"""),
("md", """### 1. Release members from their old administrators

**Expected:** an old administrator in the organisation calls `DisassociateMembers` for its members here; a member of
an administrator outside the organisation leaves it itself (`DisassociateFromAdministratorAccount`). Detectors and
findings stay. Under auto-enable `NEW`, an account that is already an *invitation* member of the new administrator
and has a suspended detector re-enables it itself here (`UpdateDetector`), unless it is kept suspended (an
invitation member controls its own detector; an organisation member does not, and is restarted by the administrator
in step 4). No row: nothing to release."""),
("code", """runbook.run("release")"""),
("md", """### 2. Designate the delegated administrator and enable its detector

**Expected:** in every region, `ListOrganizationAdminAccounts` (management account) lists the administrator
`ENABLED`, and its detector is `ENABLED`. The administrator's own invitation members in the organisation become
organisation members at this point. Regions where it is already designated are `skipped`."""),
("code", """runbook.run("designate")"""),
("md", """### 3. Set auto-enable and the protection plans

**Expected:** `DescribeOrganizationConfiguration` answers the region's auto-enable mode (and the protection plans
kept, when any is on). This comes before enrolment: CreateMembers gives the accounts it adds the organisation's
settings, so a plan set afterwards with `NEW` would never reach them."""),
("code", """runbook.run("configure")"""),
("md", """### 4. Enrol the members

**Expected:** the management account enables its own detector where it has none (`CreateDetector`, or
`UpdateDetector` on a suspended one); then `CreateMembers` from the administrator for the accounts that are not
members yet (only those), which enables GuardDuty in them, suspended detectors included. `GetMembers` then shows
every expected account `Enabled` or `Disabled`. Then `StartMonitoringMembers` from the administrator for its members
whose record says `Disabled`: monitoring an administrator stopped, or an organisation member's suspended detector
(AWS: an administrator can "enable, suspend, or disable the status of GuardDuty on behalf of associated member
accounts"). Members outside the organisation stay invitation members (no call)."""),
("code", """runbook.run("enrol")"""),
("md", """### 6. Verify

**Expected:** in every region the administrator is designated, every expected account is an associated member,
auto-enable is set, and the detectors the plan re-enables are enabled (GetMembers shows them `Enabled`). Applied, this step also collects GuardDuty again (into `JOURNAL-after`). AWS applies some changes
asynchronously (auto-enable `ALL` can take up to 24 hours): if it fails right after a run, run it again later."""),
("code", """runbook.run("verify")"""),
("md", """## Did it work?

After an applied run: the coverage status counts per region, before (the snapshot) and after (collected again by the
verify step). Expect `invited_member`, `none` and `pending` to turn into `org_member` in the regions that were
invitation-based. Not applied, the cell says what the verify step will read back in each region."""),
("code", """runbook.outcome()"""),
]


def main() -> None:
    build(NOTEBOOK, CELLS)


if __name__ == "__main__":
    main()
