"""Write and execute notebooks/01-coverage-review.ipynb (issue 4): `python tools/notebooks/build_01.py`.

The notebook holds narrative, parameters, calls and display; the analyses live in orgkit/coverage/ and the small
helpers that shape them into tables in orgkit/coverage/report.py. Outputs are committed and checked by nbval
(`python -m pytest -q notebooks/01-coverage-review.ipynb`).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from nbtools import build  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "01-coverage-review.ipynb"

CELLS = [
("md", """# Coverage review: is every account logged and watched?

This notebook answers, for every account of the organisation and every region the snapshot asked for, two
questions an incident responder asks first: **would CloudTrail have recorded what happened here?** and **would
GuardDuty have noticed?** It then looks at the trails themselves (who owns them, who pays twice for the same events,
which ones infrastructure-as-code does not know about) and ends with the list of what to fix first.

It reads a snapshot and needs no AWS credentials. By default it opens the **bundled demo snapshot** and compares it
with the demo's Terraform state; point it at your own with
`papermill notebooks/01-coverage-review.ipynb out.ipynb -p SNAPSHOT path/to/snapshot -p TFSTATE terraform-show.json`.
The rules behind every status are in `docs/coverage.md`.

<details><summary>The words used in the tables</summary>

Every row is one *cell*: one account in one region. Every status that is not plainly good carries a `reason` and a
`source` (the trail ARN, the detector id, the administrator account, or the failing call and its error code).

| CloudTrail | meaning |
|---|---|
| `covered` | a logging trail that delivers records management events, read and write, from every event source (in us-east-1, global service events too) |
| `partial` | logging, but only read or only write events, or some event sources excluded, or, in us-east-1, no trail records global service events (IAM, STS, CloudFront) |
| `not_delivering` | logging, but every trail that would cover the cell fails to deliver its log files (`LatestDeliveryError`): nothing anyone can read |
| `not_logging` | trails that would record management events apply, and none of them is logging |
| `none` | no trail records management events there |
| `unknown` | we could not tell (the error is shown), or the only trail that would cover the cell has delivered nothing for a day |
| `not_applicable` | the region is not enabled for the account |

| GuardDuty | meaning |
|---|---|
| `administrator` | the delegated administrator (or an account with members) itself |
| `org_member` | enabled, associated through AWS Organizations |
| `invited_member` | enabled, associated by invitation |
| `partial` | enabled and managed, but a required protection plan is off (the reason names it) |
| `standalone` | enabled, no administrator: its findings reach no one centrally |
| `pending` | membership created or invited, GuardDuty not enabled yet |
| `suspended` | a detector exists, disabled |
| `none` | read fine: no detector, no pending membership |
| `unknown` | we could not tell (the error is shown) |
| `not_applicable` | the region is not enabled for the account |
</details>"""),
("code", """SNAPSHOT = None  # a snapshot directory; None opens the bundled demo
TFSTATE = None  # a Terraform state (or `terraform show -json` output); None: the demo's state for the demo, else no comparison
MANAGEMENT_EVENTS_PER_MONTH = 1_000_000  # assumed management events per account and region per month
DATA_EVENTS_PER_MONTH = 1_000_000  # assumed data events per account, region and resource type per month
REQUIRE_PLANS = None  # GuardDuty plans every detector must have, e.g. ["S3_DATA_EVENTS", "RUNTIME_MONITORING"]; None: what the organisation auto-enables""",
 ["parameters"]),
("code", """%matplotlib inline
import pandas as pd
import orgkit
from orgkit import coverage as cov
from orgkit.coverage.guardduty import plan_view
from orgkit.coverage.report import (accounts_without_guardduty, cost_assumptions, guardduty_regions, iac_drift,
                                    not_covered, resolve_tfstate, status_counts, trail_marks, unknown_cells)
from orgkit.display import use_orgkit_tables
from orgkit.plots import coverage_heatmap

use_orgkit_tables()  # tables: status cells in the heatmaps' palette, shares as percentages, wide frames folded

pd.set_option("display.max_colwidth", 160)
pd.set_option("display.max_rows", 100)"""),
("code", """org = orgkit.load(SNAPSHOT)
TFSTATE = resolve_tfstate(SNAPSHOT, TFSTATE)
ct = cov.cloudtrail_coverage(org)
gd = cov.guardduty_coverage(org, require_plans=REQUIRE_PLANS)
org"""),
("md", """## Is CloudTrail recording management events everywhere?

One cell per account (grouped by OU, lines between OUs) and region. Blue is `covered`; anything else is a place
where an API call could have happened unrecorded, or where we could not tell."""),
("md", """A covered cell can still hide a problem its colour does not show: a trail that applies there is stopped or
fails to deliver (another trail covers the cell), or the cell pays for a second copy of its management events.
Those cells are hatched and say so (`trail_marks`); the trail inventory and the duplicates below give the details."""),
("code", """coverage_heatmap(ct, "CloudTrail: management events", marks=trail_marks(org, ct))"""),
("code", """status_counts(ct, by="region", margins=True)"""),
("md", """## Where is CloudTrail not recording, and why?

Every cell that is not `covered`, worst first: nothing recorded, then stopped trails, then trails that log but
cannot deliver, then partial recording, then what we could not read, then regions that are not enabled (listed for
completeness: nothing can run there).

<details><summary>How coverage is decided</summary>

Coverage is the union of what the *logging* trails that apply to a cell record: an organization trail applies to
every member account, a multi-region trail to every region of its account, a single-region trail to its home
region. A read-only trail and a write-only trail together cover a cell; a trail that records only data events does
not. A stopped trail does not count, but another trail may still cover the cell: the stopped trail then shows up in
the inventory below, not here.

A trail must also deliver. When its `GetTrailStatus` shows a `LatestDeliveryError` (a bucket policy that denies
CloudTrail, a deleted bucket, a KMS key CloudTrail cannot use), it records events nobody can read: a cell that only
such trails cover is `not_delivering`, with the error and the last successful delivery in the reason (CloudTrail
retries for 30 days, so fixing the bucket soon recovers the logs). Where another trail delivers, the cell is
covered and the failing trail is still named (reason and `delivery_errors`). A trail with no error that has
delivered nothing for 24 hours before the snapshot was taken (CloudTrail normally delivers every few minutes, but
only when there are events) cannot be trusted either way: a cell only it covers is `unknown`.

IAM, STS and CloudFront are global services: CloudTrail records their events in us-east-1, and only trails with
`IncludeGlobalServiceEvents` receive them. A us-east-1 cell whose trails all leave them out is `partial`: a new IAM
user or access key there would go unrecorded.
</details>"""),
("code", """not_covered(ct)"""),
("md", """## Which trails exist, and who owns them?

Every trail once, by ARN, in its owner's account and home region (an organization trail lives in the management
account however many members list it: `listed_by`). `status` is the trail's own health: `ok`, `not_logging`,
`delivery_error` (the cells only it covers are `not_delivering`), `delivery_stale` (no log file for a day, no error)
or `unknown`; a stopped or failing trail can hide behind another that covers the same cells."""),
("code", """cov.trail_inventory(org)[["name", "account_name", "account_id", "home_region", "kind", "status", "reason",
                         "management_events", "data_events", "listed_by", "s3_bucket", "trail_arn"]]"""),
("md", """## Who pays twice for the same events?

The first copy of management events in each account and region is free; every further copy is paid per event, so a
member's own trail on top of an organization trail costs money. The cells below have such duplicates (or
overlapping data-event trails), with the estimated monthly cost; the second table states the assumptions behind
the estimate (the parameters `MANAGEMENT_EVENTS_PER_MONTH` and `DATA_EVENTS_PER_MONTH`).

<details><summary>The cost model</summary>

Read and write events are counted separately, so a read-only trail plus a write-only trail is one copy of each: no
duplicate. `management_usd` = (paid read copies × read share + paid write copies × write share) × events × $2.00 /
100,000. Data events cost $0.10 per 100,000 on every trail that records them; `data_extra_usd` is what the copies
beyond the first cost. `est_monthly_usd` = `management_usd` + `data_extra_usd`. Event volumes are assumptions: a
trail that excludes event sources, or a data-event trail scoped to one bucket, is counted as a full copy (an upper
bound). Replace the volumes with your own (Cost Explorer's `PaidEventsRecorded` / `FreeEventsRecorded`) for a real
figure; `cov.duplicates` also takes them per region or per account and region.
</details>"""),
("code", """dup = cov.duplicates(org, management_events_per_month=MANAGEMENT_EVENTS_PER_MONTH,
                     data_events_per_month=DATA_EVENTS_PER_MONTH)
dup[["account_name", "account_id", "region", "copies_read", "copies_write", "management_usd", "data_extra_usd",
     "est_monthly_usd", "reason"]]"""),
("code", """cost_assumptions(dup)"""),
("md", """## Which trails does infrastructure-as-code not know about?

Trails in AWS that no Terraform state given in `TFSTATE` manages (`unmanaged`: created by hand, a console test, a
vendor), and trails a state declares that AWS does not have (`missing`: deleted outside Terraform, or never
applied). `unknown`: declared in an account whose trails we could not read."""),
("code", """iac_drift(org, TFSTATE)"""),
("md", """## Is GuardDuty watching every account and region, and who manages it?

Blues are watched: the administrator itself (darkest), members through AWS Organizations, members by invitation
(lightest). `partial` cells are watched but miss a required protection plan (next section). Sand and light orange
are pending invitations and standalone detectors (nobody watches them centrally);
purple is a suspended detector, dark brown a region without GuardDuty, grey what could not be read. Every cell but
the plain organisation members is also named, so the picture does not depend on telling colours apart."""),
("code", """coverage_heatmap(gd, "GuardDuty")"""),
("md", """Per region: the organisation's delegated administrator, every account that administers members there, whether
the organisation configuration enables GuardDuty in new (`NEW`) or all (`ALL`) member accounts, the share of enabled
cells watched, and the cells per status.

<details><summary>Why auto-enable matters</summary>

Without `ALL` (or at least `NEW`) in a region, an account that joins the organisation is not watched there until
someone enables it by hand. A region without a delegated administrator is managed by invitation, or not at all:
invited members must accept, and an administrator outside AWS Organizations cannot auto-enable anyone.
</details>"""),
("code", """guardduty_regions(org, gd)"""),
("md", """## Which protection plans are on, and where is a required one off?

A detector can be on while the protection plans that matter are off: a cell is `partial` when its detector misses a
plan that is required there: by default the plans the region's organisation configuration auto-enables (`NEW` or
`ALL`), or, where there is none, those on in the administrator's own detector; the `REQUIRE_PLANS` parameter sets one
list for every region. One row per detector whose plans were read; `off (required)` is what makes a cell `partial`.

<details><summary>Runtime Monitoring and its agent management</summary>

Runtime Monitoring watches EKS, ECS (Fargate) and EC2 through a security agent. GuardDuty deploys that agent only
where *automated agent management* is on (`EKS_ADDON_MANAGEMENT`, `ECS_FARGATE_AGENT_MANAGEMENT`,
`EC2_AGENT_MANAGEMENT`; AWS: "Additional configuration applies to only GuardDuty Runtime Monitoring protection
plan"), and Fargate tasks cannot get it any other way: a detector with Runtime Monitoring on and Fargate agent
management off watches no Fargate task. Agent management counts as on only while Runtime Monitoring is on.
An account enrolled before a plan was set to `NEW` does not get it: `NEW` reaches accounts enrolled later.
</details>"""),
("code", """plan_view(gd)[lambda d: d["missing_plans"] != ""]"""),
("md", """## Which accounts have no GuardDuty?

Per account, the enabled regions GuardDuty does not watch (accounts watched nowhere first), then every such cell with
its reason and source."""),
("code", """accounts_without_guardduty(gd)"""),
("code", """not_covered(gd, not_applicable=False)"""),
("md", """## What should an incident responder fix first?

Every gap of both services, in the order to fix them: production and core accounts first (the environment is
guessed from tags, names and OUs: `env`), nothing recorded or watched before partial, then the `unknown` cells
(`flagged`: find out first). Then the share of cells covered per OU (the accounts directly in each OU).

<details><summary>How environments are guessed</summary>

An account tag `env`, `environment`, `stage` or `tier` decides; otherwise the management account is `core`;
otherwise the first recognised word of the account name, then of its OU path: prod/production → `prod`;
staging/stage/uat/qa/test → `stage`; dev → `dev`; sandbox/playground/interview/training/lab → `sandbox`;
security/audit/log archive/shared/network/infrastructure → `core`. Core and prod come first, then unclassified
accounts (they may be production), stage, dev and sandbox. `cov.environments(org)` shows what decided.
</details>"""),
("code", """cov.gaps(org, cloudtrail=ct, guardduty=gd).drop(columns="severity")"""),
("code", """cov.summary(org, by="ou")"""),
("md", """## What could we not read?

`unknown` means *we could not tell*: the account could not be reached, a call was denied or throttled, a trail's
status or selectors could not be read. It is never counted as `none` (that would blame an account for our own
blind spot), and it is never counted as covered either: find out before trusting the tables above. `not_applicable`
means the region is not enabled for the account (an opt-in region that is off): nothing can run there, so there is
nothing to record or watch; it is not a gap. Neither is ever reported as missing. The cells of each, grouped by
reason, then every error recorded during collection."""),
("code", """unknown_cells(cloudtrail=ct, guardduty=gd)"""),
("code", """org.errors"""),
]


def main() -> None:
    build(NOTEBOOK, CELLS)


if __name__ == "__main__":
    main()
