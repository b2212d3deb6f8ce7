"""Write and execute notebooks/05-least-privilege.ipynb (issue 21 point 6): `python tools/notebooks/build_05.py`.

The notebook holds narrative, parameters, calls and display; the analysis is orgkit/leastpriv/ (pure functions) and its
notebook helpers orgkit/leastpriv/notebook.py. Outputs are committed and checked by nbval
(`python -m pytest -q notebooks/05-least-privilege.ipynb`).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from nbtools import build  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "05-least-privilege.ipynb"

CELLS = [
("md", """# Least privilege: which services does each OU use, and what can its SCP take away?

The security team's next step after trails and detectors is to limit the AWS services each account can use. This
notebook reads IAM's **Organizations access reports** from a snapshot (for every account: which services its
principals used, and when), sorts every service of each OU into *used*, *unused*, *unknown*, *already denied* and
*core*, proposes an SCP that denies only what is surely unused, **proves** it with change review (`orgkit diff` of the
organisation with the proposal attached) and hands it over as policy JSON and Terraform.

It reads a snapshot and needs no AWS credentials. By default it opens the **bundled demo snapshot**; point it at your
own (collected with `orgkit collect --access-reports`) with
`papermill notebooks/05-least-privilege.ipynb out.ipynb -p SNAPSHOT path/to/snapshot -p TARGET ou-xxxx-yyyyyyyy`.
The rules, the core that is never denied and AWS's caveats are in `docs/least-privilege.md`.

<details><summary>The words used in the tables</summary>

| status | meaning |
|---|---|
| `used` | some account under the target used the service within the window (reference time: when the snapshot was collected) |
| `unused` | *surely* unused: listed in every account's report, not used within the window, by accounts older than the window |
| `unknown` | not collected, not in an account's report (an SCP denies it, or it reports no access data), or an account younger than the window |
| `denied` | every action already denied by the SCPs in force |
| `core` | never denied: what the organisation's management and its security administrators need |
</details>"""),
("code", """SNAPSHOT = None  # a snapshot directory; None opens the bundled demo
TARGET = None  # an OU id, account id or OU path such as "Root/Workloads"; None: the OU with the most accounts
DAYS = 90  # the window: used within this many days before the snapshot was collected
STRATEGY = "deny-list"  # or "allow-list"
EXCEPTIONS = ["role/BreakGlass", "role/OrganizationAccountAccessRole"]  # principals the proposal never restricts""",
 ["parameters"]),
("code", """%matplotlib inline
import json
import pandas as pd
from IPython.display import Markdown
import orgkit
import orgkit.leastpriv as lp
from orgkit.display import Table, use_orgkit_tables
from orgkit.leastpriv.notebook import default_target, losses, notes_markdown, status_by_ou, status_figure

use_orgkit_tables()
pd.set_option("display.max_colwidth", 160)"""),
("code", """org = orgkit.load(SNAPSHOT)
target = TARGET or default_target(org)
s = lp.suggest(org, target, days=DAYS, strategy=STRATEGY, exceptions=EXCEPTIONS)
print(f"{org.organization_id}: collected {org.manifest['collected_at']}; target {s.target_name} ({s.target}), "
      f"{len(s.services.attrs['accounts'])} member account(s), window {DAYS} days")"""),
("code", """Markdown(notes_markdown(s))"""),
("md", """## Which services does each OU use?

One bar per OU: the services its accounts used in the window (blue), the core that is never denied (dark blue), those
whose use is unknown (grey), those already denied by SCPs (light) and those surely unused (vermillion: what a deny-list
would take away). Where access reports were not collected every service is unknown, and nothing can be taken away."""),
("code", """by_ou = status_by_ou(org, DAYS)
status_figure(by_ou, f"Services per OU over the {DAYS} days before collection")"""),
("code", """Table(by_ou)"""),
("md", """## What does the target use, and what is unknown?

The services of the target that are used, and the unknown ones with their reason (an unknown service is never
denied)."""),
("code", """svc = s.services
Table(svc[svc["status"].isin(["used", "unknown"])].head(40))"""),
("code", """svc["status"].value_counts().rename("services").to_frame()"""),
("md", """## The proposal

The SCP documents, each within AWS's 5,120 characters, and at most the free slots of the 5 SCPs a target may have."""),
("code", """for name, text in zip(s.policy_names(), s.policy_texts()):
    print(f"{name}: {len(text)} characters")
    print(json.dumps(json.loads(text), indent=1)[:1500])
if not s.policies:
    print("no proposal: nothing is surely unused")"""),
("md", """## Is it proven?

The organisation with the proposal attached, compared with the snapshot by `orgkit diff` for a principal that is not
an exception: a proposal is *ready* only when no service an account used in the window, and nothing in the core,
loses an action."""),
("code", """print("ready" if s.ready else ("NOT READY" if s.policies else "nothing to prove"))
Table(s.violations) if s.violations is not None and len(s.violations) else None"""),
("md", """## Do the exceptions keep access?

For each exception principal, in each account under the target: the SCP engine's decisions for that principal's own
ARN (so the proposal's `aws:PrincipalArn` condition is evaluated, not assumed) on every action of the services the
proposal denies to everyone else, before and after. *keeps access* when it has no fewer allowed actions after."""),
("code", """Table(s.exceptions_proof) if s.exceptions_proof is not None and len(s.exceptions_proof) else print("no exception, or nothing taken away")"""),
("md", """## What does each account lose?"""),
("code", """Table(losses(s))"""),
("md", """## Hand it over as Terraform

Printed only for a proven proposal (`orgkit scp suggest --target … --format terraform` does the same)."""),
("code", """print(s.terraform() if s.ready else "# nothing proven to hand over")"""),
]


def main() -> None:
    build(NOTEBOOK, CELLS)


if __name__ == "__main__":
    main()
