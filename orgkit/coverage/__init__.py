"""Coverage analyses: pure functions over an :class:`orgkit.model.Org` (no boto3, no I/O).

* :func:`guardduty_coverage` — GuardDuty status per (account, region).
"""

from orgkit.coverage.guardduty import guardduty_coverage

__all__ = ["guardduty_coverage"]
