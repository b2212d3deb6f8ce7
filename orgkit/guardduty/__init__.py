"""GuardDuty: today's state and the migration from invitations to AWS Organizations.

* :mod:`.state`: GuardDuty today (administrators, member ties, suspended detectors, invitation cost);
* :mod:`.plan`: the migration plan, pure, from a snapshot, with its pre-flight;
* :mod:`.render`: the plan as Terraform, and the SCP that protects the result;
* :mod:`.cli`: ``orgkit guardduty state|plan|migrate``; :mod:`.notebook`: the runbook notebook's helpers.

The executor that carries a plan out is :mod:`orgkit.aws.migrate` (the one module that writes to AWS).
"""

from orgkit.guardduty.plan import (AUTO_ENABLE_MODES, CHECK_CALLS, ORG_FEATURES, STEP_KINDS, Issue, MigrationPlan,
                                   Step, Target, plan_migration, scp_preflight, step_actions)
from orgkit.guardduty.render import SCP_KEEP_ALLOWED, SCP_MAX_CHARS, guardduty_scp, scp_text, terraform
from orgkit.guardduty.state import (ASSOCIATED, CurrentState, PlanError, administrators, coverage_counts,
                                    current_state, default_admin, invitation_admins, member_ties)

__all__ = [
    "AUTO_ENABLE_MODES", "ORG_FEATURES", "STEP_KINDS", "CHECK_CALLS", "SCP_KEEP_ALLOWED", "SCP_MAX_CHARS", "ASSOCIATED",
    "PlanError", "Target", "Step", "Issue", "CurrentState", "MigrationPlan",
    "plan_migration", "current_state", "administrators", "member_ties", "invitation_admins", "default_admin",
    "coverage_counts", "scp_preflight", "step_actions", "terraform", "guardduty_scp", "scp_text",
]
