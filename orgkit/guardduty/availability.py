"""Where AWS says a GuardDuty protection plan is not offered: one table, each entry with AWS's sentence and page.

    from orgkit.guardduty.availability import not_offered, why_not_offered
    not_offered("ap-east-2")                       # ('RDS_LOGIN_EVENTS',)
    why_not_offered("cn-north-1", "RUNTIME_MONITORING")  # the entry: sentence, url, read

AWS: "every feature may not be available in each Region. Therefore, the available feature names may differ based on
the Region." (GuardDuty API changes in March 2023). The table holds every (region, feature) pair that an AWS page
states, read on the date given; a pair not in it is not known to be missing (never guessed). Runtime Monitoring's
automated agent management (its ``AdditionalConfiguration``) goes where Runtime Monitoring goes ("Additional
configuration applies to only GuardDuty Runtime Monitoring protection plan"), so it is not offered where Runtime
Monitoring is not.

Pages read and not used: the AWS Config managed rules (``guardduty-rds-protection-enabled`` and the like) list the
regions where the *Config rule* is available, not where GuardDuty offers the plan; an older machine translation of
the Regions page listed more regions for RDS Protection and Runtime Monitoring than the current English page, which
is the one followed.

This module imports nothing from orgkit: the plan (:mod:`orgkit.guardduty.plan`), coverage
(:mod:`orgkit.coverage.guardduty`) and the local AWS (:mod:`orgkit.localaws.guardduty`) all read this one table.
"""

from __future__ import annotations

REGIONS_PAGE = "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_regions.html"
CHINA_PAGE = "https://docs.amazonaws.cn/en_us/aws/latest/userguide/guardduty.html"
FEATURE_NAMES_PAGE = ("https://docs.aws.amazon.com/guardduty/latest/ug/"
                      "guardduty-feature-object-api-changes-march2023.html")
#: the sentence that says availability differs by region (quoted in docs and messages)
FEATURE_NAMES_SENTENCE = ("every feature may not be available in each Region. Therefore, the available feature names "
                          "may differ based on the Region.")
#: Runtime Monitoring's agent management names (AdditionalConfiguration): offered only where Runtime Monitoring is
AGENT_MANAGEMENT = ("EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT")

_RDS_TAIPEI = "RDS Protection is not supported in Asia Pacific (Taipei) (ap-east-2) Region."
_RUNTIME_CHINA = ("Runtime Monitoring (including EKS Runtime Monitoring) is not supported in the China Regions.")
# the China page also names the regions: "Amazon GuardDuty is available in the following regions in China: Beijing
# Region, Ningxia Region" (cn-north-1, cn-northwest-1)

#: (region, feature) → where AWS says so. Feature names as in the GuardDuty API (DetectorFeature / OrgFeature).
NOT_OFFERED: dict[tuple[str, str], dict[str, str]] = {
    ("ap-east-2", "RDS_LOGIN_EVENTS"): {"sentence": _RDS_TAIPEI, "url": REGIONS_PAGE, "read": "2026-12-06"},
    **{(region, feature): {"sentence": _RUNTIME_CHINA, "url": CHINA_PAGE, "read": "2026-12-06"}
       for region in ("cn-north-1", "cn-northwest-1")
       for feature in ("RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING")},
}


def why_not_offered(region: str, name: str) -> dict[str, str] | None:
    """The table's entry saying ``name`` (a protection plan, or one of Runtime Monitoring's agent-management names)
    is not offered in ``region``; None when no AWS page says so."""
    hit = NOT_OFFERED.get((region, name))
    if hit is None and name in AGENT_MANAGEMENT:
        hit = NOT_OFFERED.get((region, "RUNTIME_MONITORING"))
    return hit


def is_offered(region: str, name: str) -> bool:
    """False only where an AWS page says the plan is not offered in the region."""
    return why_not_offered(region, name) is None


def not_offered(region: str, names=None) -> tuple[str, ...]:
    """The plans of ``names`` (default: every plan in the table) that AWS says are not offered in ``region``."""
    if names is None:
        names = sorted({f for r, f in NOT_OFFERED if r == region})
    return tuple(n for n in names if not is_offered(region, n))


__all__ = [
    "CHINA_PAGE",
    "FEATURE_NAMES_PAGE",
    "FEATURE_NAMES_SENTENCE",
    "NOT_OFFERED",
    "REGIONS_PAGE",
    "is_offered",
    "not_offered",
    "why_not_offered",
]
