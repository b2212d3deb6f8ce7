"""issue 22 (broadening orgkit/scp/matrix.py): the matrix's parts compared whole.

Each organisation below is answered by :func:`compute_matrix` for every account and action; the whole matrix is
compared with the answer reasoned by hand from AWS's rules (a Deny anywhere wins; every level of the chain needs an
Allow; the management account and service-linked roles are exempt; RCPs govern the resources of a few services in
member accounts) and with :meth:`Evaluator.decide` asked cell by cell (the one place that decides a cell). The
helpers whose contract is clear (``_classes``, ``_components``, ``_store``, ``_canonical``, ``subset_catalog`` and
the :class:`ScpMatrix` accessors) are compared whole too.
"""

import json
import types

import numpy as np
import pandas as pd
import pytest

from orgkit.scp import FULL_AWS_ACCESS, Evaluator
from orgkit.scp.catalog import default_catalog
from orgkit.scp.matrix import (ALLOW, CONDITIONAL, EXEMPT, EXPLICIT, IMPLICIT, UNKNOWN_CODE, ScpMatrix, _canonical,
                               _classes, _components, _store, compute_matrix, subset_catalog)
from orgkit.scp.policy import compile_policy

from scp_org_fixture import MGMT, make_org  # noqa: E402

FULL = json.loads(FULL_AWS_ACCESS)
A1, A2 = "100000000001", "100000000002"
V = "2012-10-17"


def _grid(m: ScpMatrix) -> dict:
    """{account: {action: decision}} from the long form (every cell)."""
    out: dict = {}
    for aid, action, decision in m.to_long()[["account_id", "action", "decision"]].astype(str).values.tolist():
        out.setdefault(aid, {})[action] = decision
    return out


def _per_cell(ev: Evaluator, m: ScpMatrix, **kw) -> dict:
    return {aid: {a: ev.decide(aid, a, **kw).decision for a in m.catalog.frame["action"]}
            for aid in m.accounts["account_id"]}


def _row(actions, *decisions):
    return dict(zip(actions, decisions))


# ---------------------------------------------------------------- conditions that interact across levels
_REGION_DENY = {"Version": V, "Statement": [
    {"Sid": "OnlyEu", "Effect": "Deny", "Action": ["s3:DeleteBucket", "ec2:TerminateInstances"], "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}
_OU_ALLOW = {"Version": V, "Statement": [
    {"Sid": "S3InUs", "Effect": "Allow", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
    {"Sid": "Ec2", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
    {"Sid": "KmsRed", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}}]}
_LEVEL_ACTIONS = ["s3:DeleteBucket", "s3:GetObject", "ec2:TerminateInstances", "ec2:RunInstances", "kms:Decrypt",
                  "iam:CreateUser"]


def _levels_org():
    """Root: FullAWSAccess and a Deny of two actions outside eu-west-1; OU A (account 1): an allow-list whose S3
    Allow holds in us-east-1 only and whose KMS Allow needs the tag team=red; account 2 sits under the root."""
    return make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess", "p-region"]),
                     ("ou-a", "r-1", "ou", "A", ["p-allowus"]),
                     (MGMT, "r-1", "account", "mgmt", []),
                     (A1, "ou-a", "account", "one", ["p-FullAWSAccess"]),
                     (A2, "r-1", "account", "two", ["p-FullAWSAccess"])],
                    {"p-FullAWSAccess": FULL, "p-region": _REGION_DENY, "p-allowus": _OU_ALLOW})


_EXEMPT = ["exempt"] * 6
_LEVEL_CASES = {
    # region and tag unknown. Account 1, s3:DeleteBucket: in eu-west-1 the root's Deny is off but the OU allows S3
    # in us-east-1 only (implicit deny); anywhere else the root denies it: denied for every value -> implicit_deny.
    # s3:GetObject: allowed in us-east-1 only; ec2:TerminateInstances: allowed in eu-west-1 only; kms:Decrypt:
    # allowed for team=red only; iam:CreateUser: the OU allows no IAM.
    "unknown": ({}, {
        MGMT: _EXEMPT,
        A1: ["implicit_deny", "conditional", "conditional", "allow", "conditional", "implicit_deny"],
        A2: ["conditional", "allow", "conditional", "allow", "allow", "allow"]}),
    "us-east-1": ({"context": {"aws:RequestedRegion": "us-east-1"}}, {
        MGMT: _EXEMPT,
        A1: ["explicit_deny", "allow", "explicit_deny", "allow", "conditional", "implicit_deny"],
        A2: ["explicit_deny", "allow", "explicit_deny", "allow", "allow", "allow"]}),
    "eu-west-1-red": ({"context": {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalTag/team": "red"}}, {
        MGMT: _EXEMPT,
        A1: ["implicit_deny", "implicit_deny", "allow", "allow", "allow", "implicit_deny"],
        A2: ["allow"] * 6}),
    # every key absent: StringNotEquals on an absent key matches, StringEquals does not
    "absent": ({"missing": "absent"}, {
        MGMT: _EXEMPT,
        A1: ["explicit_deny", "implicit_deny", "explicit_deny", "allow", "implicit_deny", "implicit_deny"],
        A2: ["explicit_deny", "allow", "explicit_deny", "allow", "allow", "allow"]}),
    # the tag unknown, the region known
    "eu-west-1": ({"context": {"aws:RequestedRegion": "eu-west-1"}}, {
        MGMT: _EXEMPT,
        A1: ["implicit_deny", "implicit_deny", "allow", "allow", "conditional", "implicit_deny"],
        A2: ["allow"] * 6}),
}


@pytest.mark.parametrize("case", list(_LEVEL_CASES))
def test_conditions_across_levels_compared_whole(case):
    kw, want = _LEVEL_CASES[case]
    ev = Evaluator(_levels_org())
    m = compute_matrix(ev, principal="role/Dev", actions=_LEVEL_ACTIONS, **kw)
    assert _grid(m) == {aid: _row(_LEVEL_ACTIONS, *ds) for aid, ds in want.items()}
    assert _grid(m) == _per_cell(ev, m, principal="role/Dev", **kw)
    # never_allowed: the cells denied whatever the unknown values
    never = {aid: m.never_allowed[r].tolist() for aid, r in zip(m.accounts["account_id"], m.accounts["row"])}
    order = m.catalog.frame["action"].tolist()
    assert never == {aid: [_row(_LEVEL_ACTIONS, *ds)[a] in ("explicit_deny", "implicit_deny") for a in order]
                     for aid, ds in want.items()}


# ---------------------------------------------------------------- unknown keys in statements apart and together
_TAGS = {"Version": V, "Statement": [
    {"Sid": "RedNoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}},
    {"Sid": "KmsMfa", "Effect": "Deny", "Action": "kms:*", "Resource": "*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
    {"Sid": "ProdNoDelete", "Effect": "Deny", "Action": "*:Delete*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/env": "prod"}}},
    {"Sid": "BlueOnlyS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
    {"Sid": "RestNotS3", "Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]}
_TAG_ACTIONS = ["iam:CreateUser", "iam:DeleteRole", "kms:Decrypt", "kms:DeleteAlias", "s3:DeleteBucket",
                "s3:GetObject", "ec2:RunInstances"]


def _tags_org():
    """One policy at the OU (besides FullAWSAccess at the root): three Denies on tags/MFA and an allow-list whose
    S3 part needs team=blue; account 1 under it, account 2 under the root only."""
    return make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess"]),
                     ("ou-a", "r-1", "ou", "A", ["p-tags"]),
                     (MGMT, "r-1", "account", "mgmt", []),
                     (A1, "ou-a", "account", "one", ["p-FullAWSAccess"]),
                     (A2, "r-1", "account", "two", ["p-FullAWSAccess"])],
                    {"p-FullAWSAccess": FULL, "p-tags": _TAGS})


_TAG_CASES = {
    # iam:CreateUser: red -> denied; iam:DeleteRole: red or prod -> denied; kms:*: MFA false -> denied (DeleteAlias
    # also on prod); s3:DeleteBucket: prod -> explicit, not blue -> implicit, blue and not prod -> allowed;
    # s3:GetObject: allowed for blue only.
    "unknown": ({}, ["conditional", "conditional", "conditional", "conditional", "conditional", "conditional",
                     "allow"]),
    # team=red: IAM denied; S3 needs blue: implicit deny (DeleteBucket explicit or implicit: denied anyway)
    "red": ({"context": {"aws:PrincipalTag/team": "red"}},
            ["explicit_deny", "explicit_deny", "conditional", "conditional", "implicit_deny", "implicit_deny", "allow"]),
    "blue-prod-mfa": ({"context": {"aws:PrincipalTag/team": "blue", "aws:PrincipalTag/env": "prod",
                                   "aws:MultiFactorAuthPresent": "true"}},
                      ["allow", "explicit_deny", "allow", "explicit_deny", "explicit_deny", "allow", "allow"]),
    "blue-dev-nomfa": ({"context": {"aws:PrincipalTag/team": "blue", "aws:PrincipalTag/env": "dev",
                                    "aws:MultiFactorAuthPresent": "false"}},
                       ["allow", "allow", "explicit_deny", "explicit_deny", "allow", "allow", "allow"]),
    # env unknown, team blue, MFA absent (Bool on an absent key does not match): only the prod Deny is open
    "blue-env-unknown": ({"context": {"aws:PrincipalTag/team": "blue", "aws:MultiFactorAuthPresent": None}},
                         ["allow", "conditional", "allow", "conditional", "conditional", "allow", "allow"]),
}


@pytest.mark.parametrize("case", list(_TAG_CASES))
def test_unknown_keys_apart_and_together_compared_whole(case):
    kw, one = _TAG_CASES[case]
    ev = Evaluator(_tags_org())
    m = compute_matrix(ev, principal="role/Dev", actions=_TAG_ACTIONS, **kw)
    assert _grid(m) == {MGMT: _row(_TAG_ACTIONS, *["exempt"] * 7), A1: _row(_TAG_ACTIONS, *one),
                        A2: _row(_TAG_ACTIONS, *["allow"] * 7)}
    assert _grid(m) == _per_cell(ev, m, principal="role/Dev", **kw)


# ---------------------------------------------------------------- statements on resources, with policy variables
_RES = {"Version": V, "Statement": [
    {"Sid": "OwnLogs", "Effect": "Deny", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::logs-${aws:PrincipalAccount}", "arn:aws:s3:::logs-${aws:PrincipalAccount}/*"],
     "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}},
    {"Sid": "OwnKeys", "Effect": "Deny", "Action": "kms:*", "NotResource": "arn:aws:kms:*:${aws:PrincipalAccount}:key/*"}]}
_RES_ACTIONS = ["s3:GetObject", "kms:Decrypt", "ec2:RunInstances"]


def _res_org():
    return make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess", "p-res"]),
                     (MGMT, "r-1", "account", "mgmt", []),
                     (A1, "r-1", "account", "one", ["p-FullAWSAccess"]),
                     (A2, "r-1", "account", "two", ["p-FullAWSAccess"])],
                    {"p-FullAWSAccess": FULL, "p-res": _RES})


_RES_CASES = {
    # any resource: each account's own log bucket is denied to Dev, other buckets are not; keys outside the
    # account are denied, its own are not
    "any": ("role/Dev", None, ["conditional", "conditional", "allow"], ["conditional", "conditional", "allow"]),
    "log-bucket-of-1": ("role/Dev", "arn:aws:s3:::logs-100000000001/k",
                        ["explicit_deny", "explicit_deny", "allow"], ["allow", "explicit_deny", "allow"]),
    "admin": ("role/Admin", "arn:aws:s3:::logs-100000000001/k",
              ["allow", "explicit_deny", "allow"], ["allow", "explicit_deny", "allow"]),
    "key-of-2": ("role/Dev", "arn:aws:kms:us-east-1:100000000002:key/abc",
                 ["allow", "explicit_deny", "allow"], ["allow", "allow", "allow"]),
    "admin-any": ("role/Admin", "*", ["allow", "conditional", "allow"], ["allow", "conditional", "allow"]),
    "principal-unknown": (None, "arn:aws:s3:::logs-100000000002",
                          ["allow", "explicit_deny", "allow"], ["conditional", "explicit_deny", "allow"]),
}


@pytest.mark.parametrize("case", list(_RES_CASES))
def test_resource_scoped_statements_compared_whole(case):
    principal, resource, one, two = _RES_CASES[case]
    ev = Evaluator(_res_org())
    m = compute_matrix(ev, principal=principal, resource=resource, actions=_RES_ACTIONS)
    assert _grid(m) == {MGMT: _row(_RES_ACTIONS, *["exempt"] * 3), A1: _row(_RES_ACTIONS, *one),
                        A2: _row(_RES_ACTIONS, *two)}
    assert _grid(m) == _per_cell(ev, m, principal=principal, resource=resource)


_DEV_OF_ITS_ACCOUNT = {"Version": V, "Statement": [
    {"Sid": "DevOutsideEu", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
     "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/Dev"},
                   "StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}


@pytest.mark.parametrize("principal, one, two", [
    ("role/Dev", "conditional", "conditional"),
    ("role/Ops", "allow", "allow"),
    ("arn:aws:iam::100000000002:role/Dev", "allow", "conditional"),
])
def test_a_policy_variable_compared_with_a_known_value_keeps_its_value(principal, one, two):
    """BUG fixed (issue 22, matrix._canonical): the matrix replaced ``${aws:PrincipalAccount}`` by a token when the
    value occurred in no policy text, although a condition compared the pattern holding it with
    ``aws:PrincipalArn`` (whose value holds the account id): the Dev role of its own account, denied S3 outside
    eu-west-1 (region unknown: conditional), was shown ``allow``. :meth:`Evaluator.decide` answered right."""
    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess", "p-dev"]),
                    (MGMT, "r-1", "account", "mgmt", []),
                    (A1, "r-1", "account", "one", ["p-FullAWSAccess"]),
                    (A2, "r-1", "account", "two", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": FULL, "p-dev": _DEV_OF_ITS_ACCOUNT})
    ev = Evaluator(org)
    actions = ["s3:GetObject", "ec2:RunInstances"]
    m = compute_matrix(ev, principal=principal, actions=actions)
    assert _grid(m) == {MGMT: _row(actions, "exempt", "exempt"), A1: _row(actions, one, "allow"),
                        A2: _row(actions, two, "allow")}
    assert _grid(m) == _per_cell(ev, m, principal=principal)


# ---------------------------------------------------------------- SCPs that could not be read
_PROTECT = {"Version": V, "Statement": [
    {"Sid": "Protect", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "guardduty:*"], "Resource": "*",
     "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}}]}
_UNREAD_ACTIONS = ["cloudtrail:StopLogging", "guardduty:DeleteDetector", "s3:GetObject"]


def _unread_org(kind):
    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess"] + (["p-protect"] if kind == "text" else [])),
                    (MGMT, "r-1", "account", "mgmt", ["p-FullAWSAccess"]),
                    (A1, "r-1", "account", "one", ["p-FullAWSAccess"] + (["p-gone"] if kind == "text" else [])),
                    (A2, "r-1", "account", "two", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": FULL, "p-protect": _PROTECT, "p-gone": FULL})
    if kind == "text":  # the text of an SCP attached to account 1 was not read
        org.policies.loc[org.policies["policy_id"] == "p-gone", "content"] = None
    else:
        op, msg = {"targets": ("ListTargetsForPolicy", "not authorized to perform ListTargetsForPolicy on policy "
                                                       "p-protect"),
                   "list": ("ListPolicies", "User is not authorized")}[kind]
        org.errors = pd.DataFrame([{"account_id": MGMT, "region": None, "service": "organizations", "operation": op,
                                    "error_code": "AccessDeniedException", "message": msg}])
    return org


_UNREAD_CASES = {
    # where p-protect is attached is unknown: the cells its Deny matches are unknown everywhere (it may be
    # attached to any account), the others are as the known SCPs say
    "targets": ("role/Dev", ["unknown", "unknown", "allow"], ["unknown", "unknown", "allow"]),
    # the SCPs could not be listed at all: every member account's answer is unknown
    "list": ("role/Dev", ["unknown"] * 3, ["unknown"] * 3),
    # an attached SCP whose text is unknown could deny anything: unknown, except what a known Deny denies
    "text": ("role/Dev", ["explicit_deny", "explicit_deny", "unknown"], ["explicit_deny", "explicit_deny", "allow"]),
    "text-admin": ("role/SecurityAdmin", ["unknown"] * 3, ["allow"] * 3),
}


@pytest.mark.parametrize("case", list(_UNREAD_CASES))
def test_scps_that_could_not_be_read_compared_whole(case):
    principal, one, two = _UNREAD_CASES[case]
    org = _unread_org(case.split("-")[0])
    ev = Evaluator(org)
    m = compute_matrix(ev, principal=principal, actions=_UNREAD_ACTIONS)
    assert _grid(m) == {MGMT: _row(_UNREAD_ACTIONS, *["exempt"] * 3), A1: _row(_UNREAD_ACTIONS, *one),
                        A2: _row(_UNREAD_ACTIONS, *two)}
    assert _grid(m) == _per_cell(ev, m, principal=principal)
    never = {aid: m.never_allowed[r].tolist() for aid, r in zip(m.accounts["account_id"], m.accounts["row"])}
    order = m.catalog.frame["action"].tolist()
    assert never == {MGMT: [False] * 3, **{aid: [_row(_UNREAD_ACTIONS, *ds)[a] == "explicit_deny" for a in order]
                                           for aid, ds in ((A1, one), (A2, two))}}


# ---------------------------------------------------------------- resource control policies with conditions
_RCP_FULL = {"Version": V, "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
_RCP_GUARD = {"Version": V, "Statement": [
    {"Sid": "GuardLogs", "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteBucket", "sqs:DeleteQueue"],
     "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}},
    {"Sid": "NoKmsOutsideEu", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}
_RCP_ACTIONS = ["s3:DeleteBucket", "s3:GetObject", "sqs:DeleteQueue", "kms:Decrypt", "ec2:TerminateInstances"]


def _rcp_org():
    """FullAWSAccess SCPs; RCPFullAWSAccess everywhere and, on the Security OU (account 1), an RCP guarding its
    buckets and queues from all but SecurityAdmin and its keys outside eu-west-1."""
    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess"]),
                    ("ou-sec", "r-1", "ou", "Security", ["p-FullAWSAccess"]),
                    (MGMT, "r-1", "account", "mgmt", ["p-FullAWSAccess"]),
                    (A1, "ou-sec", "account", "logs", ["p-FullAWSAccess"]),
                    (A2, "r-1", "account", "app", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": FULL})
    org.rcps = pd.DataFrame([{"policy_id": pid, "name": nm, "type": "RESOURCE_CONTROL_POLICY",
                              "aws_managed": pid == "p-RCPFullAWSAccess", "content": json.dumps(doc)}
                             for pid, nm, doc in (("p-RCPFullAWSAccess", "RCPFullAWSAccess", _RCP_FULL),
                                                  ("p-guard", "GuardLogs", _RCP_GUARD))])
    org.rcp_targets = pd.DataFrame([{"policy_id": "p-RCPFullAWSAccess", "target_id": n}
                                    for n in ("r-1", "ou-sec", MGMT, A1, A2)] + [{"policy_id": "p-guard",
                                                                                  "target_id": "ou-sec"}])
    org.rcp_enabled = True
    org.rcp_unread = None
    return org


_QUEUE = "arn:aws:sqs:us-east-1:100000000001:q"
_RCP_CASES = {
    # the RCP governs the resources of account 1 only (a resource without an account id is the asking account's)
    "dev": ("role/Dev", {}, [
        ["explicit_deny", "allow", "explicit_deny", "conditional", "allow"], ["allow"] * 5]),
    "admin-us": ("role/SecurityAdmin", {"context": {"aws:RequestedRegion": "us-east-1"}}, [
        ["allow", "allow", "allow", "explicit_deny", "allow"], ["allow"] * 5]),
    "principal-unknown-eu": (None, {"context": {"aws:RequestedRegion": "eu-west-1"}}, [
        ["conditional", "allow", "conditional", "allow", "allow"], ["allow"] * 5]),
    # a queue of account 1 asked about from account 2 (or the management account, exempt from SCPs only):
    # account 1's RCPs govern it, whoever asks; the management account's cells on an RCP service are then
    # decided by those RCPs (allow where they allow), the others stay exempt
    "queue-of-1": ("role/Dev", {"resource": _QUEUE}, [
        ["explicit_deny", "allow", "explicit_deny", "conditional", "allow"],
        ["explicit_deny", "allow", "explicit_deny", "conditional", "allow"]],
        ["explicit_deny", "allow", "explicit_deny", "conditional", "exempt"]),
    # service-linked roles: exempt from SCPs and RCPs alike
    "service-linked": ("service-linked", {}, [["exempt"] * 5, ["exempt"] * 5]),
}


@pytest.mark.parametrize("case", list(_RCP_CASES))
def test_rcps_with_conditions_compared_whole(case):
    principal, kw, (one, two), *mgmt = _RCP_CASES[case]
    ev = Evaluator(_rcp_org())
    m = compute_matrix(ev, principal=principal, actions=_RCP_ACTIONS, **kw)
    assert _grid(m) == {MGMT: _row(_RCP_ACTIONS, *(mgmt[0] if mgmt else ["exempt"] * 5)), A1: _row(_RCP_ACTIONS, *one),
                        A2: _row(_RCP_ACTIONS, *two)}
    assert _grid(m) == _per_cell(ev, m, principal=principal, **kw)


def test_rcp_cells_asked_are_those_an_rcp_deny_could_change():
    """``stats["rcp_cells"]``: the cells on an RCP service in a member account whose RCP chain has a Deny matching
    them (account 1's chain denies s3:DeleteBucket, sqs:DeleteQueue and kms:*: 3 of the 5 actions); none for a
    service-linked role, which RCPs do not affect."""
    ev = Evaluator(_rcp_org())
    stats = {p: compute_matrix(ev, principal=p, actions=_RCP_ACTIONS).stats for p in ("role/Dev", "service-linked")}
    # distinct_rows counts the SCP rows (exempt, one per chain); a row the RCPs change is a copy added after
    assert stats["role/Dev"] == {"accounts": 3, "distinct_rows": 3, "distinct_chains": 2, "actions": 5,
                                 "action_classes": 1, "exact_rows": 0, "rcp_cells": 3}
    assert stats["service-linked"] == {"accounts": 3, "distinct_rows": 1, "distinct_chains": 0, "actions": 5,
                                       "action_classes": 1, "exact_rows": 0, "rcp_cells": 0}
    m = compute_matrix(ev, principal="role/Dev", actions=_RCP_ACTIONS, resource=_QUEUE)
    # the queue's account governs it for every account: its 3 denied actions in the two members, the 4 actions on an
    # RCP service in the management account (exempt from SCPs, decided by the RCPs)
    assert m.stats["rcp_cells"] == 10


# ---------------------------------------------------------------- nothing to answer
@pytest.mark.parametrize("actions", [[], ["nosuchservice:*"]])
def test_no_action_gives_an_empty_matrix(actions):
    org = _levels_org()
    m = compute_matrix(Evaluator(org), principal="role/Dev", actions=actions)
    assert m.codes().shape == (3, 0) and m.codes().dtype == np.int8
    assert [len(r) for r in m.rows] == [0] * len(m.rows) and len(m.rows) == 3  # exempt, then one per chain
    assert m.to_long().columns.tolist() == ["account_id", "account_name", "ou_path", "action", "service",
                                            "access_level", "decision"] and len(m.to_long()) == 0


# ---------------------------------------------------------------- the accessors
def test_the_accessors_compared_whole():
    ev = Evaluator(_levels_org())
    m = compute_matrix(ev, principal="role/Dev", actions=_LEVEL_ACTIONS)
    order = m.catalog.frame["action"].tolist()
    assert sorted(order) == sorted(_LEVEL_ACTIONS)
    want = {aid: _row(_LEVEL_ACTIONS, *ds) for aid, ds in _LEVEL_CASES["unknown"][1].items()}
    codes = m.codes()
    assert codes.dtype == np.int8 and codes.shape == (3, 6)
    from orgkit.scp.engine import DECISIONS
    assert {aid: dict(zip(order, (DECISIONS[c] for c in row))) for aid, row in zip(m.accounts["account_id"], codes)} \
        == want
    s = m.decisions(A1)
    assert (s.name, s.index.tolist(), s.astype(str).tolist()) == (A1, order, [want[A1][a] for a in order])
    assert list(s.cat.categories) == list(DECISIONS)
    assert m.decisions(int(A2)).astype(str).tolist() == [want[A2][a] for a in order]
    with pytest.raises(KeyError):
        m.decisions("999999999999")
    assert [m.decision(A1, a.upper()) for a in order] == [want[A1][a] for a in order]
    assert m.attrs == dict(ev.catalog.attrs) and m.attrs is not m.catalog.attrs
    # the long form: one row per account × action, in account then catalog order, with the catalog's columns
    cat = m.catalog.frame.set_index("action")
    rows = [[aid, name, path, a, cat.at[a, "service"], cat.at[a, "access_level"], want[aid][a]]
            for aid, name, path in (("000000000001", "mgmt", "Root"), (A1, "one", "Root/A"), (A2, "two", "Root"))
            for a in order]
    assert m.to_long().astype(str).values.tolist() == rows
    assert m.to_long().attrs == m.attrs
    sub = [r for r in rows if r[3].startswith("s3:") or r[3] == "kms:Decrypt"]
    assert m.to_long(["s3:*", "kms:Decrypt"]).astype(str).values.tolist() == sub
    assert m.to_long([]).values.tolist() == []
    assert str(m.to_long()["decision"].dtype) == "category"


def test_a_matrix_without_rows_is_all_allow_codes():
    """``codes()`` of a matrix that holds no rows: zeros of the accounts × actions shape."""
    acc = pd.DataFrame({"account_id": [A1, A2], "account_name": ["a", "b"], "ou_path": ["R", "R"], "row": [0, 0]})
    cat = subset_catalog(default_catalog(), ["s3:GetObject", "s3:PutObject", "ec2:RunInstances"])
    c = ScpMatrix(acc, [], cat).codes()
    assert (c.dtype, c.shape, c.tolist()) == (np.int8, (2, 3), [[0, 0, 0], [0, 0, 0]])


@pytest.mark.parametrize("actions, want", [
    (["s3:GetObject"], [("s3:GetObject", True)]),
    (["s3:GetObject", "s3:getobject", "ec2:RunInstances"], [("ec2:RunInstances", True), ("s3:GetObject", True)]),
    (["cloudtrail:StopLogging", "Made:Up", "cloudtrail:Delete*"],
     [("cloudtrail:DeleteChannel", True), ("cloudtrail:DeleteDashboard", True),
      ("cloudtrail:DeleteEventDataStore", True), ("cloudtrail:DeleteResourcePolicy", True),
      ("cloudtrail:DeleteServiceLinkedChannel", True), ("cloudtrail:DeleteTrail", True),
      ("cloudtrail:StopLogging", True), ("Made:Up", False)]),
    (["nosuch:*"], []),
    ([], []),
])
def test_subset_catalog_compared_whole(actions, want):
    """The catalog's rows the names or wildcards match, in the catalog's order, then the names it lacks."""
    full = default_catalog()
    sub = subset_catalog(full, actions)
    assert list(zip(sub.frame["action"], sub.frame["in_catalog"])) == want
    assert sub.version == full.version and sub.updated_at == full.updated_at
    for a, ok in want:
        if ok:
            row = full.frame[full.frame["action"] == a].iloc[0].to_dict()
            assert sub.frame[sub.frame["action"] == a].iloc[0].to_dict() == row


# ---------------------------------------------------------------- the helpers whose contract is clear
def _masks(*cols):
    return [np.array(c, dtype=bool) for c in zip(*cols)] if cols else []


@pytest.mark.parametrize("columns", [
    [(1, 0), (0, 0), (1, 0), (1, 1), (0, 0), (0, 1)],
    [(0,), (0,), (0,)],
    [(1, 1, 0, 0, 1, 0, 1, 0, 1), (1, 1, 0, 0, 1, 0, 1, 0, 0), (1, 1, 0, 0, 1, 0, 1, 0, 1), (0,) * 9],
])
def test_classes_group_the_actions_every_statement_treats_alike(columns):
    """Action i's column is what each statement says of it; actions with equal columns share a class, whose
    representative is its first action."""
    masks = _masks(*columns)
    rep, cls = _classes(masks, len(columns))
    assert rep.dtype == np.int64 and cls.dtype == np.int64 and cls.shape == (len(columns),)
    for i, ci in enumerate(columns):
        assert rep[cls[i]] == columns.index(ci)  # the first action with that column
        for j, cj in enumerate(columns):
            assert (cls[i] == cls[j]) == (ci == cj)
    assert sorted(rep.tolist()) == sorted({columns.index(c) for c in columns})


def test_classes_without_statements_or_actions():
    rep, cls = _classes([], 4)
    assert (rep.tolist(), cls.tolist()) == ([0], [0, 0, 0, 0])
    rep, cls = _classes([], 0)
    assert (rep.tolist(), cls.tolist()) == ([], [])
    rep, cls = _classes([np.zeros(0, bool)], 0)
    assert (rep.tolist(), cls.tolist()) == ([], [])


@pytest.mark.parametrize("unknown_at, cols, want", [
    ([0, 1, 2, 3], {0: [1, 1, 0, 0, 0], 1: [0, 1, 1, 0, 0], 2: [0, 0, 0, 1, 0], 3: [0, 0, 1, 0, 0]},
     [[0, 1, 3], [2]]),
    ([2, 5, 7], {2: [1, 0, 0], 5: [0, 1, 0], 7: [0, 0, 1]}, [[2], [5], [7]]),
    ([1, 4, 6], {1: [1, 0, 0], 4: [0, 1, 1], 6: [1, 1, 0]}, [[1, 4, 6]]),
    ([3], {3: [0, 0]}, [[3]]),
    ([0, 1, 2, 3], {0: [1, 0, 0, 0], 1: [0, 1, 0, 0], 2: [0, 1, 1, 0], 3: [1, 0, 0, 1]}, [[0, 3], [1, 2]]),
])
def test_components_join_the_statements_that_share_an_action(unknown_at, cols, want):
    flat = {i: types.SimpleNamespace(policy_id="p", index=i) for i in cols}
    flat_st = [flat.get(i) for i in range(max(cols) + 1)]
    cmask = {("p", i): np.array(c, dtype=bool) for i, c in cols.items()}
    assert _components(unknown_at, flat_st, cmask) == want


@pytest.mark.parametrize("code, never, gap, want_row, want_never", [
    # no unread SCP: spread per class; never allowed = denied (explicitly or implicitly)
    ([ALLOW, EXPLICIT, IMPLICIT, CONDITIONAL], None, None, [0, 1, 2, 3, 0, 1], [0, 1, 1, 0, 0, 1]),
    # a conditional cell may be denied for every value: the never mask given is kept
    ([ALLOW, EXPLICIT, IMPLICIT, CONDITIONAL], [0, 1, 1, 1], None, [0, 1, 2, 3, 0, 1], [0, 1, 1, 1, 0, 1]),
    # an unread Deny makes every answer but an explicit deny unknown; an unread Allow makes an implicit deny or a
    # conditional unknown (it may be the missing Allow), never an allow or an explicit deny
    ([ALLOW, EXPLICIT, IMPLICIT, CONDITIONAL], None, ([1, 1, 0, 0], [0, 0, 1, 1]),
     [UNKNOWN_CODE, 1, UNKNOWN_CODE, UNKNOWN_CODE, UNKNOWN_CODE, 1], [0, 1, 0, 0, 0, 1]),
    ([ALLOW, EXPLICIT, IMPLICIT, CONDITIONAL], None, ([0, 0, 0, 0], [1, 1, 0, 0]),
     [0, 1, 2, 3, 0, 1], [0, 1, 1, 0, 0, 1]),
    ([IMPLICIT, EXEMPT, ALLOW, IMPLICIT], [1, 0, 0, 1], ([0, 0, 1, 1], [1, 1, 1, 0]),
     [UNKNOWN_CODE, EXEMPT, UNKNOWN_CODE, UNKNOWN_CODE, UNKNOWN_CODE, EXEMPT], [0, 0, 0, 0, 0, 0]),
])
def test_store_spreads_a_row_and_marks_what_an_unread_scp_could_change(code, never, gap, want_row, want_never):
    rows, nevers = ["x"], ["y"]
    cls_of = np.array([0, 1, 2, 3, 0, 1])
    code = np.array(code, dtype=np.int8)
    g = None if gap is None else tuple(np.array(x, dtype=bool) for x in gap)
    i = _store(rows, nevers, code, None if never is None else np.array(never, dtype=bool), cls_of, g)
    assert i == 1 and len(rows) == 2 and len(nevers) == 2
    assert (rows[1].dtype, rows[1].tolist()) == (np.int8, want_row)
    assert nevers[1].tolist() == [bool(x) for x in want_never]
    assert code.tolist() == [c for c in code.tolist()]  # the per-class row given is not changed in place


def test_store_of_no_action():
    rows, nevers = [], []
    assert _store(rows, nevers, np.zeros(0, np.int8), None, np.zeros(0, np.int64), None) == 0
    assert (rows[0].dtype, rows[0].shape, nevers[0].dtype, nevers[0].shape) == (np.int8, (0,), np.bool_, (0,))


def _st(doc):
    return list(compile_policy({"Version": V, "Statement": doc}, "p-x").statements)


_LOGS = [{"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::logs-${aws:PrincipalAccount}/*"}]
_TOKEN = "orgkit-aws-principalaccount-value"


@pytest.mark.parametrize("stmts, ctx, res, replaced", [
    # the usual case: the account id is read only through the variable: a token of its own
    (_LOGS, {"aws:principalaccount": A1}, None, {"aws:principalaccount": _TOKEN}),
    (_LOGS, {"aws:principalaccount": A1, "aws:principalarn": f"arn:aws:iam::{A1}:role/Dev"}, None,
     {"aws:principalaccount": _TOKEN}),
    # two statements: their texts are joined apart, so a short value found in neither is replaced
    (_LOGS + [{"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}], {"aws:principalaccount": "x"},
     None, {"aws:principalaccount": _TOKEN}),
    # the resource asked about holds the value
    (_LOGS, {"aws:principalaccount": A1}, f"arn:aws:s3:::logs-{A1}/k", {}),
    (_LOGS, {"aws:principalaccount": A1}, "arn:aws:s3:::other/k", {"aws:principalaccount": _TOKEN}),
    # the policy's own text holds it
    (_LOGS + [{"Effect": "Deny", "Action": "s3:*", "Resource": f"arn:aws:s3:::x-{A1}"}],
     {"aws:principalaccount": A1}, None, {}),
    # a condition tests the key itself
    (_LOGS + [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
               "Condition": {"StringEquals": {"aws:PrincipalAccount": "1"}}}], {"aws:principalaccount": A1}, None, {}),
    # a condition compares a pattern holding the variable with a known value that holds the value
    ([{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
       "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/Dev"}}}],
     {"aws:principalaccount": A1, "aws:principalarn": f"arn:aws:iam::{A1}:role/Dev"}, None, {}),
    ([{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
       "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/lead}"}}}],
     {"aws:principaltag/lead": "Red", "aws:principaltag/team": "team-red"}, None, {}),
    ([{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
       "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/lead}"}}}],
     {"aws:principaltag/lead": "red", "aws:principaltag/team": "blue"}, None,
     {"aws:principaltag/lead": "orgkit-aws-principaltag-lead-value"}),
    ([{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
       "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-1/${aws:PrincipalAccount}/*"}}}],
     {"aws:principalaccount": A1, "aws:principalorgpaths": ["o-1/r-1/", f"o-1/{A1}/x"]}, None, {}),
    # values that are no plain non-empty string, or hold wildcard or variable characters, stay
    (_LOGS, {"aws:principalaccount": ""}, None, {}),
    (_LOGS, {"aws:principalaccount": None}, None, {}),
    (_LOGS, {"aws:principalaccount": ["1", "2"]}, None, {}),
    (_LOGS, {"aws:principalaccount": "12*"}, None, {}),
    (_LOGS, {"aws:principalaccount": "1?2"}, None, {}),
    (_LOGS, {"aws:principalaccount": "${x}"}, None, {}),
    (_LOGS, {}, None, {}),
    # no policy variable: the context itself
    ([{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}], {"aws:principalaccount": A1}, None, {}),
])
def test_canonical_replaces_only_values_that_change_nothing(stmts, ctx, res, replaced):
    out = _canonical(_st(stmts), ctx, res)
    assert dict(out) == {**ctx, **replaced}
    if not replaced:
        assert out is ctx


# ---------------------------------------------------------------- many organisations: the matrix is decide, cell by cell
_CONDS = [
    {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}},
    {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
    {"StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}},
    {"StringNotEqualsIfExists": {"aws:PrincipalTag/team": "red"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/Dev"}},
    {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin*"}},
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abcdef1234/r-1/ou-b/*"}},
    {"StringLike": {"aws:PrincipalTag/team": "${aws:PrincipalAccount}-*"}},
    {"StringEquals": {"aws:RequestedRegion": "us-east-1"}, "StringLike": {"aws:PrincipalTag/team": "r*"}},
    {"StringEqualz": {"aws:RequestedRegion": "x"}},
    {"Null": {"aws:PrincipalTag/team": "true"}},
    # two unknown keys compared through a variable: a test that stays unknown for every value tried
    {"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/lead}"}},
]
_RESOURCES = ["*", "*", "*", "arn:aws:s3:::logs-${aws:PrincipalAccount}/*", "arn:aws:s3:::b/*",
              "arn:aws:kms:*:${aws:PrincipalAccount}:key/*"]
_PATTERNS = ["*", "s3:*", "s3:Get*", "ec2:*", "iam:*", "*:Delete*", "kms:Decrypt", "cloudtrail:StopLogging",
             "sqs:*", "ec2:Describe*"]
_MANY_ACTIONS = ["s3:GetObject", "s3:DeleteBucket", "s3:PutObject", "ec2:RunInstances", "ec2:DescribeInstances",
                 "ec2:DeleteVpc", "iam:CreateUser", "iam:DeleteRole", "kms:Decrypt", "kms:DeleteAlias",
                 "cloudtrail:StopLogging", "sqs:DeleteQueue", "sts:AssumeRole", "guardduty:DeleteDetector"]


def _random_org(seed):
    import random

    rng = random.Random(seed)

    def policy():
        stmts = []
        for j in range(rng.randint(1, 3)):
            st = {"Sid": f"S{j}", "Effect": rng.choice(["Allow", "Deny", "Deny"]),
                  rng.choice(["Action", "Action", "NotAction"]): rng.sample(_PATTERNS, rng.randint(1, 2))}
            r = rng.choice(_RESOURCES)
            st["Resource" if rng.random() < 0.8 else "NotResource"] = r
            if rng.random() < 0.8:
                c = {}
                for cond in rng.sample(_CONDS, rng.randint(1, 2)):
                    for op, tests in cond.items():
                        c.setdefault(op, {}).update(tests)
                st["Condition"] = c
            stmts.append(st)
        return {"Version": V, "Statement": stmts}

    pols = {"p-FullAWSAccess": FULL, **{f"p-{i}": policy() for i in range(5)}}
    ids = list(pols)

    def pick():
        return rng.sample(ids[1:], rng.randint(0, 2)) + (["p-FullAWSAccess"] if rng.random() < 0.8 else [])

    structure = [("r-1", None, "root", "Root", ["p-FullAWSAccess"] + rng.sample(ids[1:], 1)),
                 ("ou-a", "r-1", "ou", "A", pick()), ("ou-b", "ou-a", "ou", "B", pick()),
                 (MGMT, "r-1", "account", "mgmt", [])]
    for k in range(5):
        structure.append((f"10000000000{k}", rng.choice(["r-1", "ou-a", "ou-b", "ou-b"]), "account", f"a{k}", pick()))
    return make_org(structure, pols)


_SETTINGS = [
    {"principal": "role/Dev"},
    {"principal": None},
    {"principal": "role/AdminX", "context": {"aws:RequestedRegion": "us-east-1"}},
    {"principal": "role/Dev", "context": {"aws:PrincipalTag/team": "100000000001-red"},
     "resource": "arn:aws:s3:::logs-100000000001/k"},
    {"principal": "role/Dev", "missing": "absent", "context": {"aws:RequestedRegion": "eu-west-1"}},
    {"principal": "role/Dev", "resource": "arn:aws:kms:us-east-1:100000000002:key/k"},
]


@pytest.mark.parametrize("seed", range(4))
def test_the_matrix_of_random_organisations_is_decide_cell_by_cell(seed):
    """Random chains of policies whose conditions read the same and different keys across levels, policy
    variables, IfExists, Null, unknown operators, NotAction and NotResource: every cell of the matrix is the answer
    of :meth:`Evaluator.decide`, and ``never_allowed`` holds where decide says the action may never be allowed."""
    org = _random_org(seed)
    ev = Evaluator(org)
    for kw in _SETTINGS:
        m = compute_matrix(ev, actions=_MANY_ACTIONS, **kw)
        order = m.catalog.frame["action"].tolist()
        got = {aid: dict(zip(order, (str(x) for x in m.decisions(aid)))) for aid in m.accounts["account_id"]}
        want, never = {}, {}
        for aid in m.accounts["account_id"]:
            ds = [ev.decide(aid, a, **kw) for a in order]
            want[aid] = {a: d.decision for a, d in zip(order, ds)}
            never[aid] = [not d.may_be_allowed for d in ds]
        assert got == want, (seed, kw)
        assert {aid: m.never_allowed[r].tolist() for aid, r in zip(m.accounts["account_id"], m.accounts["row"])} \
            == never, (seed, kw)
