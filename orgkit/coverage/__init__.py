"""Coverage analyses: pure functions over an :class:`orgkit.model.Org` (no boto3; no I/O but reading a Terraform
state file given by path). Statuses, rules and the cost model: docs/coverage.md.

* :func:`cloudtrail_coverage` — CloudTrail status per (account, region);
* :func:`trail_inventory` — every trail once, with its scope and health;
* :func:`duplicates` — extra copies of management events, overlapping data events, and their estimated cost;
* :func:`unmanaged_trails` — trails AWS has and Terraform does not know, and the reverse;
* :func:`guardduty_coverage` — GuardDuty status per (account, region);
* :func:`summary`, :func:`gaps` — shares per account / OU, and the gaps in the order to fix them.
"""

from orgkit.coverage.cloudtrail import cloudtrail_coverage, trail_inventory
from orgkit.coverage.cost import duplicates
from orgkit.coverage.guardduty import guardduty_coverage
from orgkit.coverage.iac import TerraformStateError, read_tfstate, unmanaged_trails
from orgkit.coverage.summary import environments, gaps, summary

__all__ = ["cloudtrail_coverage", "trail_inventory", "duplicates", "guardduty_coverage", "unmanaged_trails",
           "read_tfstate", "TerraformStateError", "summary", "gaps", "environments"]
