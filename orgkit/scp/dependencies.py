"""What a trail depends on, and who owns it: each trail's S3 bucket and KMS key, with the account that owns them.

Pure: reads an ``Org`` (the ``trails``, ``buckets``, ``bucket_reads`` and ``accounts`` frames), no AWS calls. Tamper
protection (:mod:`orgkit.scp.tamper`) evaluates the actions below against these real ARNs in the owning account.

How the owner is known (docs/scp.md, "What a trail depends on"):

* a KMS key: its ARN carries its account. CloudTrail's ``KmsKeyId`` "is a fully specified ARN to a AWS KMS key in
  the following format. arn:aws:kms:us-east-2:123456789012:key/12345678-..." (CloudTrail API reference, Trail);
* a bucket: its ARN carries no account (``arn:aws:s3:::NAME``), so the collector lists each account's buckets (one
  ``s3:ListBuckets`` per account: "Returns a list of all buckets owned by the authenticated sender of the
  request", Amazon S3 API reference, ListBuckets) and the bucket is matched by name. A name found in no account
  is ``outside`` when every account's list was read, else ``unknown`` (naming the accounts not read).

An owner that is the management account cannot be protected by SCPs or RCPs at all: "security features like
Organizations service control policies (SCPs) do not restrict users or roles in the management account" (AWS
Organizations user guide, "Delegated administrator for AWS Organizations") and RCPs "don't affect resources in the
management account" (AWS Organizations user guide, "Resource control policies (RCPs)"). AWS recommends keeping
resources out of the management account; such rows say ``protectable`` False with that reason.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: the actions that would let someone destroy or silence a trail's logs through its bucket or key. Bucket:
#: delete it, replace or delete its policy (CloudTrail's delivery rights), lifecycle rules that expire the logs.
#: Key: disable it, schedule its deletion, replace its policy (CloudTrail's encrypt rights).
DEPENDENCY_ACTIONS: dict[str, tuple[str, ...]] = {
    "s3_bucket": ("s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration"),
    "kms_key": ("kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"),
}

#: where the bucket actions come from: AWS Control Tower's mandatory controls on the log archive bucket,
#: AWS-GR_AUDIT_BUCKET_DELETION_PROHIBITED ("Disallow Deletion of Log Archive": s3:DeleteBucket),
#: AWS-GR_CT_AUDIT_BUCKET_POLICY_CHANGES_PROHIBITED ("Disallow Changes to Bucket Policy for AWS Control Tower Created
#: Amazon S3 Buckets in Log Archive": s3:PutBucketPolicy, s3:DeleteBucketPolicy) and
#: AWS-GR_CT_AUDIT_BUCKET_LIFECYCLE_CONFIGURATION_CHANGES_PROHIBITED ("Disallow Changes to Lifecycle Configuration
#: ...": s3:PutLifecycleConfiguration). Object-level deletion (s3:DeleteObject*) and versioning are not in those
#: controls (AWS protects log objects with S3 Object Lock / MFA delete, not SCPs) and are left out (docs/scp.md).
BUCKET_SOURCE = ("AWS Control Tower mandatory controls on the log archive bucket: AWS-GR_AUDIT_BUCKET_DELETION_PROHIBITED, "
                 "AWS-GR_CT_AUDIT_BUCKET_POLICY_CHANGES_PROHIBITED, AWS-GR_CT_AUDIT_BUCKET_LIFECYCLE_CONFIGURATION_CHANGES_"
                 "PROHIBITED (https://docs.aws.amazon.com/controltower/latest/controlreference/cannot-change-with-gr-api.html)")
#: where the key actions come from: the key policy "must allow CloudTrail to use the key to encrypt your log files,
#: digest files, and event data stores" (CloudTrail user guide, Configure AWS KMS key policies for CloudTrail), so
#: replacing it (kms:PutKeyPolicy), disabling the key or scheduling its deletion ("Deleting a KMS key is destructive
#: and potentially dangerous", KMS developer guide, Schedule key deletion; AWS's example SCP Deny-KMS-key-deletion
#: denies kms:ScheduleKeyDeletion) stops encrypted delivery.
KEY_SOURCE = ("CloudTrail user guide, Configure AWS KMS key policies for CloudTrail (the key policy \"must allow CloudTrail "
              "to use the key to encrypt your log files\", https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
              "create-kms-key-policy-for-cloudtrail.html); KMS developer guide, Schedule key deletion (\"Deleting a KMS key "
              "is destructive and potentially dangerous\", https://docs.aws.amazon.com/kms/latest/developerguide/"
              "deleting-keys-scheduling-key-deletion.html); aws-samples/service-control-policy-examples Deny-KMS-key-deletion")

COLUMNS = ["trail_arn", "trail_account_id", "kind", "name", "arn", "owner_account_id", "owner", "protectable",
           "actions", "reason"]

MANAGEMENT_REASON = ("in the management account: SCPs do not restrict its users or roles and RCPs do not affect its "
                     "resources, so no organisation policy can protect it (AWS recommends a separate log-archive "
                     "account)")


def _partition(arn: str | None) -> str:
    parts = (arn or "").split(":")
    return parts[1] if len(parts) > 1 and parts[0] == "arn" and parts[1] else "aws"


def _owner_kind(owner: str | None, management: str | None, members: set[str]) -> str:
    if owner is None:
        return "unknown"
    if owner == management:
        return "management"
    return "member" if owner in members else "outside"


def trail_dependencies(org: Any) -> pd.DataFrame:
    """One row per (trail, dependency): ``trail_arn, trail_account_id, kind`` (``s3_bucket`` | ``kms_key``),
    ``name, arn, owner_account_id, owner`` (``member`` | ``management`` | ``outside`` | ``unknown``),
    ``protectable`` (True: a member account's, SCPs and RCPs can guard it; False: the management account's or
    outside the organisation; None: unknown), ``actions`` (the actions to evaluate, :data:`DEPENDENCY_ACTIONS`)
    and ``reason``. Trails whose details were not read have no rows (their coverage already says unknown)."""
    trails = org.trails
    management = getattr(org, "management_account_id", None)
    members = set(org.accounts["account_id"].astype(str))
    frames = getattr(org, "frames", {})
    buckets = frames.get("buckets")
    reads = frames.get("bucket_reads")
    owners: dict[str, list[str]] = {}
    if buckets is not None:
        for aid, name in zip(buckets["account_id"], buckets["bucket"]):
            owners.setdefault(str(name), []).append(str(aid))
    not_read: list[str] = []
    if reads is None or not len(reads):
        not_read = sorted(members)
    else:
        not_read = sorted(str(a) for a, st in zip(reads["account_id"], reads["status"]) if st != "ok")
        not_read += sorted(members - set(reads["account_id"].astype(str)))
    rows: list[dict] = []
    for t in trails.itertuples(index=False):
        arn, account = t.trail_arn, str(t.account_id)
        part = _partition(arn)
        bucket = t.s3_bucket if isinstance(t.s3_bucket, str) and t.s3_bucket else None
        if bucket:
            found = owners.get(bucket) or []
            owner = found[0] if len(found) == 1 else None
            if owner is not None:
                reason = f"bucket listed by account {owner} (s3:ListBuckets)"
            elif len(found) > 1:  # bucket names are global: this would be a corrupt snapshot
                reason = f"bucket listed by several accounts ({', '.join(found)}): owner unknown"
            elif not_read:
                reason = (f"bucket in no account whose buckets were read; not read in {len(not_read)} account(s): "
                          f"{', '.join(not_read[:5])}{' …' if len(not_read) > 5 else ''}")
            else:
                reason = "bucket in no account of the organisation (every account's buckets were read)"
            kind = _owner_kind(owner, management, members)
            if owner is None and not found and not not_read:
                kind = "outside"
            rows.append(_row(arn, account, "s3_bucket", bucket, f"arn:{part}:s3:::{bucket}", owner, kind, reason))
        key = t.kms_key_id if isinstance(t.kms_key_id, str) and t.kms_key_id else None
        if key:
            parts = key.split(":")
            owner = parts[4] if key.startswith("arn:") and len(parts) > 5 and parts[4].isdigit() else None
            reason = (f"the key ARN names account {owner}" if owner else
                      f"KmsKeyId {key!r} is not a key ARN: its account is unknown")
            rows.append(_row(arn, account, "kms_key", key.rsplit("/", 1)[-1], key if owner else None, owner,
                             _owner_kind(owner, management, members), reason))
    return pd.DataFrame(rows, columns=COLUMNS).astype({"trail_account_id": str})


def _row(trail_arn: str, account: str, kind: str, name: str, arn: str | None, owner: str | None, owner_kind: str,
         reason: str) -> dict:
    protectable = {"member": True, "management": False, "outside": False}.get(owner_kind)
    if owner_kind == "management":
        reason = f"{reason}; {MANAGEMENT_REASON}"
    elif owner_kind == "outside":
        reason = f"{reason}; outside the organisation: its SCPs and RCPs do not reach it"
    return {"trail_arn": trail_arn, "trail_account_id": account, "kind": kind, "name": name, "arn": arn,
            "owner_account_id": owner, "owner": owner_kind, "protectable": protectable,
            "actions": list(DEPENDENCY_ACTIONS[kind]), "reason": reason}


def dependency_decisions(org: Any, principal: str | None = None, evaluator: Any = None,
                         context: dict | None = None) -> pd.DataFrame:
    """Each dependency's actions asked of the SCP and RCP engine in the owning account, against the real ARN:
    the rows of :func:`trail_dependencies` (``actions`` dropped) times their actions, with ``action, decision,
    layer, decision_reason, allowed_when``. Dependencies that are not a member account's get ``decision`` None
    (their ``reason`` says why)."""
    from orgkit.scp.org import Evaluator

    ev = evaluator if evaluator is not None else Evaluator(org)
    deps = trail_dependencies(org)
    out = []
    for r in deps.to_dict("records"):
        actions = r.pop("actions")
        for a in actions:
            row = dict(r, action=a, decision=None, layer=None, decision_reason=None, allowed_when=None)
            if r["owner"] == "member":
                d = ev.decide(r["owner_account_id"], a, resource=r["arn"], principal=principal, context=context)
                row.update(decision=d.decision, layer=d.layer, decision_reason=d.reason, allowed_when=d.allowed_when)
            out.append(row)
    cols = [c for c in COLUMNS if c != "actions"] + ["action", "decision", "layer", "decision_reason", "allowed_when"]
    return pd.DataFrame(out, columns=cols)


def dependency_summary(decisions: pd.DataFrame) -> pd.DataFrame:
    """One row per dependency from :func:`dependency_decisions`: ``trail_account_id, kind, name,
    owner_account_id, owner, protectable, decisions`` (``action: decision (layer)`` for each action, ``; ``
    joined; the reason where none was asked)."""
    keys = ["trail_arn", "trail_account_id", "kind", "name", "owner_account_id", "owner", "protectable"]
    rows = []
    for k, g in decisions.groupby(keys[:4], sort=False, dropna=False):
        first = g.iloc[0]
        if first["decision"] is None or first["decision"] != first["decision"]:
            said = first["reason"]
        else:
            said = "; ".join(f"{a}: {d}" + (f" ({lay})" if isinstance(lay, str) else "")
                             for a, d, lay in zip(g["action"], g["decision"], g["layer"]))
        rows.append({**{c: first[c] for c in keys}, "decisions": said})
    return pd.DataFrame(rows, columns=keys + ["decisions"]).drop(columns=["trail_arn"])
