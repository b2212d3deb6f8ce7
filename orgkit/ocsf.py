"""Findings for other tools: orgkit's rows as OCSF 1.5 Compliance Findings (class 2003), the format Security Hub,
Security Lake and SIEMs read from Prowler.

One finding per row that needs attention: a coverage gap (``orgkit coverage --format ocsf``), an account whose
protection is not complete (``orgkit scp tamper --format ocsf``), a change for the worse or of unknown effect
(``orgkit diff --format ocsf``). Each finding carries the row's own words (status or verdict, reason, source) and a
severity, mapped here and only here from the verdict the analysis derived; rows that are fine are left out.

The mapping is data (:data:`RULES`): per kind of row, the column that holds the verdict, and for each verdict the
OCSF severity and compliance status. A verdict the table does not know is still written (severity Unknown), never
dropped. Times come from the snapshot (``collected_at``), never from the clock, so the same snapshot gives the same
findings; ``metadata.uid`` is a digest of what the finding is about.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Iterable, Mapping

#: OCSF severity_id values (1.5.0)
UNKNOWN, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL = 0, 1, 2, 3, 4, 5
SEVERITY_NAMES = {UNKNOWN: "Unknown", INFORMATIONAL: "Informational", LOW: "Low", MEDIUM: "Medium", HIGH: "High",
                  CRITICAL: "Critical"}
#: OCSF compliance status_id values
PASS, WARNING, FAIL = 1, 2, 3
COMPLIANCE_NAMES = {0: "Unknown", PASS: "Pass", WARNING: "Warning", FAIL: "Fail"}

#: per kind of row: the verdict column, the verdicts written (verdict -> (severity_id, compliance status_id)), the
#: check's title, and what the verdicts not listed mean (left out: they are fine)
RULES: dict[str, dict[str, Any]] = {
    "cloudtrail": {
        "column": "status", "title": "CloudTrail records management events",
        "verdicts": {"none": (HIGH, FAIL), "not_logging": (HIGH, FAIL), "not_delivering": (HIGH, FAIL),
                     "partial": (MEDIUM, FAIL), "unknown": (MEDIUM, WARNING)},
        "fine": {"covered", "not_applicable"},
    },
    "guardduty": {
        "column": "status", "title": "GuardDuty watches the account, managed through AWS Organizations",
        "verdicts": {"none": (HIGH, FAIL), "suspended": (HIGH, FAIL), "pending": (MEDIUM, FAIL),
                     "partial": (MEDIUM, FAIL), "standalone": (MEDIUM, FAIL), "invited_member": (LOW, FAIL),
                     "unknown": (MEDIUM, WARNING)},
        "fine": {"org_member", "administrator", "not_applicable"},
    },
    "tamper": {
        "column": "verdict",
        "title": "Member accounts cannot switch off CloudTrail or GuardDuty, destroy a trail's bucket or key, or "
                 "leave the organisation",
        "verdicts": {"not_protectable": (HIGH, FAIL), "exposed": (HIGH, FAIL), "unknown": (MEDIUM, WARNING),
                     "protected_except": (INFORMATIONAL, PASS)},
        "fine": {"protected", "guarded_by_service", "exempt", "not_applicable"},
    },
    "diff": {
        "column": "severity", "title": "A change does not weaken logging, detection or SCPs",
        "verdicts": {"regression": (HIGH, FAIL), "unknown": (MEDIUM, WARNING)},
        "fine": {"improvement", "neutral"},
    },
}


def _text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, (dict, list, tuple, set)):
        return json.dumps(sorted(v) if isinstance(v, set) else v, sort_keys=True, default=str)
    try:
        import pandas as pd

        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def _epoch_ms(collected_at: str | None) -> int:
    if not collected_at:
        return 0
    return int(datetime.fromisoformat(str(collected_at).replace("Z", "+00:00")).timestamp() * 1000)


def _uid(*parts) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:32]


def finding(row: Mapping[str, Any], kind: str, *, organization_id: str | None, collected_at: str | None,
            version: str) -> dict | None:
    """The OCSF Compliance Finding for one row of ``kind`` (a key of :data:`RULES`, or ``coverage`` for rows whose
    ``service`` column names it), or None for a row that is fine."""
    if kind == "coverage":  # a coverage row says which service it is about
        kind = _text(row.get("service")) or kind
    rule = RULES[kind]
    verdict = _text(row.get(rule["column"]))
    if verdict in rule["fine"]:
        return None
    severity_id, status_id = rule["verdicts"].get(verdict, (UNKNOWN, WARNING))
    account = _text(row.get("account_id"))
    region = _text(row.get("region"))
    source = _text(row.get("source")) or _text(row.get("trail_arn")) or _text(row.get("policy_id"))
    what = _text(row.get("action")) or _text(row.get("service")) or _text(row.get("kind")) or kind
    reason = _text(row.get("reason"))
    name = _text(row.get("account_name"))
    t = _epoch_ms(collected_at)
    uid = _uid(kind, organization_id, account, region, what, verdict, source, _text(row.get("before")),
               _text(row.get("after")))
    title = f"{rule['title']}: {verdict}" + (f" ({what})" if what and what != kind else "")
    desc = "; ".join(x for x in (
        f"account {account}" + (f" ({name})" if name else "") if account else None,
        f"region {region}" if region else None,
        f"{_text(row.get('before'))} -> {_text(row.get('after'))}" if kind == "diff" and row.get("after") is not None
        else None,
        reason,
        f"source: {source}" if source else None,
    ) if x)
    resource: dict[str, Any] = {"type": "AWS::::Account" if account else "AWS::Organizations::Organization",
                                "uid": account or organization_id or "unknown",
                                "cloud_partition": "aws", "region": region}
    if name:
        resource["name"] = name
    ou = _text(row.get("ou_path"))
    if ou:
        resource["labels"] = [f"ou_path:{ou}"]
    data = {k: _text(v) for k, v in row.items() if _text(v) is not None}
    meta: dict[str, Any] = {"version": "1.5.0", "uid": uid,
                             "product": {"name": "orgkit", "vendor_name": "orgkit", "version": version}}
    if organization_id:
        meta["tenant_uid"] = organization_id
    if region is None:
        del resource["region"]
    return {
        "activity_id": 1, "activity_name": "Create",
        "category_uid": 2, "category_name": "Findings",
        "class_uid": 2003, "class_name": "Compliance Finding",
        "type_uid": 200301, "type_name": "Compliance Finding: Create",
        "severity_id": severity_id, "severity": SEVERITY_NAMES[severity_id],
        "status_id": 1, "status": "New",
        "time": t,
        "message": title,
        "metadata": meta,
        "finding_info": {"uid": uid, "title": title, "desc": desc or title, "created_time": t,
                         "types": [f"orgkit/{kind}"]},
        "compliance": {"control": rule["title"], "status_id": status_id, "standards": ["orgkit"],
                       "checks": [{"uid": f"orgkit-{kind}", "name": rule["title"], "status": verdict,
                                   "status_id": status_id, "severity_id": severity_id,
                                   "severity": SEVERITY_NAMES[severity_id]}]},
        "resources": [resource],
        "unmapped": data,
    }


def findings(rows: Iterable[Mapping[str, Any]], kind: str, *, organization_id: str | None = None,
             collected_at: str | None = None) -> list[dict]:
    """One finding per row of ``kind`` that needs attention (see :data:`RULES`), in the rows' order."""
    from importlib import metadata

    try:
        version = metadata.version("orgkit")
    except metadata.PackageNotFoundError:  # pragma: no cover
        version = "0"
    out = []
    for row in rows:
        f = finding(row, kind, organization_id=organization_id, collected_at=collected_at, version=version)
        if f is not None:
            out.append(f)
    return out
