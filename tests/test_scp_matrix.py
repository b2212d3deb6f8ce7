"""issue 22: the whole account x action matrix of ``compute_matrix`` compared with hand-reasoned answers and with
``Evaluator.decide`` cell by cell (decision codes, ``never_allowed``, ``decisions``, ``decision``, ``codes``,
``attrs``, ``stats``), over organisations that reach each of its paths: allow-list OUs, deny lists with conditions,
NotAction, account-level attachments, unreadable policies (ListPolicies failed, targets unknown, text missing),
the management account, service-linked roles, principal variants, action subsets, ``missing="absent"``, and
more combinations of unknown values than the exact answer tries."""

import json

import numpy as np
import pytest

from orgkit.scp import DECISIONS, FULL_AWS_ACCESS, Evaluator
from orgkit.scp.matrix import compute_matrix
from orgkit.scp.org import OrgView

from scp_org_fixture import MGMT, make_org  # noqa: E402

FULL = json.loads(FULL_AWS_ACCESS)


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


DENY_LEAVE = _doc({"Sid": "NoLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"})
# the usual region guardrail: everything but IAM and STS denied outside eu-west-1
REGION = _doc({"Sid": "OnlyEu", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
               "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}})
ALLOW_LIST = _doc({"Sid": "Sandbox", "Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"})
NO_DELETE = _doc({"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})
DENY_ROOT = _doc({"Sid": "NoRoot", "Effect": "Deny", "Action": "*", "Resource": "*",
                  "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}})

AUDIT, PROD, SAND, DEV = "012345678901", "100000000001", "100000000002", "100000000003"
ACTIONS = ["s3:GetObject", "s3:DeleteBucket", "ec2:RunInstances", "iam:CreateUser",
           "organizations:LeaveOrganization", "kms:Decrypt"]


def _org(**extra):
    return make_org(
        [
            ("r-root", None, "root", "Root", ["p-FullAWSAccess", "p-leave"]),
            ("ou-sec", "r-root", "ou", "Security", ["p-FullAWSAccess", "p-root"]),
            ("ou-work", "r-root", "ou", "Workloads", ["p-FullAWSAccess", "p-region"]),
            ("ou-sand", "ou-work", "ou", "Sandbox", ["p-allow"]),
            (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
            (AUDIT, "ou-sec", "account", "audit", ["p-FullAWSAccess"]),
            (PROD, "ou-work", "account", "prod", ["p-FullAWSAccess"]),
            (SAND, "ou-sand", "account", "sandbox", ["p-FullAWSAccess"]),
            (DEV, "ou-work", "account", "dev", ["p-FullAWSAccess", "p-nodelete"]),
        ],
        {"p-FullAWSAccess": FULL, "p-leave": DENY_LEAVE, "p-region": REGION, "p-allow": ALLOW_LIST,
         "p-nodelete": NO_DELETE, "p-root": DENY_ROOT, **extra},
    )


def _table(m):
    """The whole matrix as {account: {action: decision}}, read through ``codes()``."""
    codes = m.codes()
    acts = list(m.catalog.frame["action"])
    return {aid: dict(zip(acts, (DECISIONS[c] for c in codes[i])))
            for i, aid in enumerate(m.accounts["account_id"])}


def _check_against_decide(ev, m, principal=None, context=None, resource=None, missing=None):
    """Every cell of ``m`` is the answer of ``Evaluator.decide``, through every reader of the matrix."""
    acts = list(m.catalog.frame["action"])
    codes = m.codes()
    assert codes.shape == (len(ev.view.accounts), len(acts)) and codes.dtype == np.int8
    assert m.accounts["account_id"].tolist() == ev.view.accounts["account_id"].tolist()
    assert m.accounts["account_name"].tolist() == ev.view.accounts["account_name"].tolist()
    assert m.accounts["ou_path"].tolist() == ev.view.accounts["ou_path"].tolist()
    assert len(m.rows) == len(m.never_allowed)
    if ev.rcp is None:  # the RCP step adds the rows it changes
        assert len(m.rows) == m.stats["distinct_rows"]
    for i, aid in enumerate(m.accounts["account_id"]):
        series = m.decisions(aid)
        assert list(series.index) == acts and series.name == aid
        row = int(m.accounts["row"].iloc[i])
        for j, a in enumerate(acts):
            d = ev.decide(aid, a, resource=resource, principal=principal, context=context, missing=missing)
            assert (DECISIONS[codes[i, j]], series.iloc[j], m.decision(aid, a)) == (d.decision,) * 3, (aid, a)
            assert bool(m.never_allowed[row][j]) == (not d.may_be_allowed), (aid, a)


# ----------------------------------------------------------------------------- hand-reasoned whole matrices

def _expected(region):
    """Role Dev asking, by hand: the root denies leaving everywhere; Workloads denies all but IAM/STS outside
    eu-west-1 (unknown region: conditional); Sandbox allows only EC2 and S3 (the rest: implicit deny; where only
    the region guardrail could allow, denied for every region: implicit); dev denies DeleteBucket itself."""
    allow = dict.fromkeys(ACTIONS, "allow") | {"organizations:LeaveOrganization": "explicit_deny"}
    if region == "eu-west-1":
        work = dict(allow)
        sand = allow | {"iam:CreateUser": "implicit_deny", "kms:Decrypt": "implicit_deny"}
    elif region == "us-east-1":
        work = dict.fromkeys(ACTIONS, "explicit_deny") | {"iam:CreateUser": "allow"}
        sand = dict.fromkeys(ACTIONS, "explicit_deny") | {"iam:CreateUser": "implicit_deny"}
    else:
        work = dict.fromkeys(ACTIONS, "conditional") | {"iam:CreateUser": "allow",
                                                        "organizations:LeaveOrganization": "explicit_deny"}
        sand = work | {"iam:CreateUser": "implicit_deny", "kms:Decrypt": "implicit_deny"}
    return {MGMT: dict.fromkeys(ACTIONS, "exempt"), AUDIT: allow, PROD: work, SAND: sand,
            DEV: work | {"s3:DeleteBucket": "explicit_deny"}}


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1", None])
def test_the_whole_matrix_of_an_organisation_by_hand(region):
    ev = Evaluator(_org())
    ctx = {"aws:RequestedRegion": region} if region else None
    m = compute_matrix(ev, principal="role/Dev", context=ctx, actions=ACTIONS)
    assert _table(m) == _expected(region)
    # one row for the exempt management account, one per distinct chain and outcome (prod and dev differ by
    # their own attachment); 4 chains (audit, prod, sandbox, dev); 5 classes of actions every statement treats
    # alike (s3:GetObject and ec2:RunInstances are matched by the same statements)
    exact = 0 if region else 3  # the region guardrail is decided over its values for prod, sandbox, dev
    assert m.stats == {"accounts": 5, "distinct_rows": 5, "distinct_chains": 4, "actions": 6,
                       "action_classes": 5, "exact_rows": exact}
    assert (m.principal, m.context) == ("role/Dev", ctx)
    assert m.attrs == ev.catalog.attrs and m.attrs
    _check_against_decide(ev, m, "role/Dev", ctx)


def test_the_never_allowed_cells_by_hand():
    m = compute_matrix(Evaluator(_org()), principal="role/Dev", actions=ACTIONS)
    acts = list(m.catalog.frame["action"])
    never = {aid: {a for a, v in zip(acts, m.never_allowed[r]) if v}
             for aid, r in zip(m.accounts["account_id"], m.accounts["row"])}
    # a conditional cell may be allowed (eu-west-1), except in sandbox for actions it does not allow anyway
    assert never == {MGMT: set(), AUDIT: {"organizations:LeaveOrganization"},
                     PROD: {"organizations:LeaveOrganization"},
                     SAND: {"organizations:LeaveOrganization", "iam:CreateUser", "kms:Decrypt"},
                     DEV: {"organizations:LeaveOrganization", "s3:DeleteBucket"}}


@pytest.mark.parametrize("principal", ["root", "arn:aws:iam::012345678901:root"])
def test_the_root_user_denied_in_one_ou_only(principal):
    ev = Evaluator(_org())
    m = compute_matrix(ev, principal=principal, context={"aws:RequestedRegion": "eu-west-1"}, actions=ACTIONS)
    want = _expected("eu-west-1") | {AUDIT: dict.fromkeys(ACTIONS, "explicit_deny")}
    assert _table(m) == want
    _check_against_decide(ev, m, principal, {"aws:RequestedRegion": "eu-west-1"})


@pytest.mark.parametrize("principal", ["service-linked", "arn:aws:iam::100000000001:role/aws-service-role/x.amazonaws.com/R"])
def test_service_linked_roles_are_exempt_in_every_account(principal):
    """AWS: "SCPs do not affect any service-linked role" (Organizations User Guide, Service control policies,
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html); a persona or an
    ARN on the path /aws-service-role/ is exempt in every account, the management account too."""
    ev = Evaluator(_org())
    m = compute_matrix(ev, principal=principal, context={"aws:RequestedRegion": "us-east-1"}, actions=ACTIONS)
    assert _table(m) == {a: dict.fromkeys(ACTIONS, "exempt") for a in (MGMT, AUDIT, PROD, SAND, DEV)}
    assert m.stats["distinct_rows"] == 1 and m.stats["distinct_chains"] == 0
    assert not any(v.any() for v in m.never_allowed)
    _check_against_decide(ev, m, principal, {"aws:RequestedRegion": "us-east-1"})


def test_missing_absent_reads_a_key_not_given_as_absent():
    """``missing="absent"``: the region key is absent from the request, so StringNotEquals holds and the guardrail
    denies: the same as the region given as some other region, not ``conditional``. AWS: "If the policy condition
    requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not present,
    the condition is true." (IAM JSON policy elements: Condition operators,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)"""
    ev = Evaluator(_org())
    m = compute_matrix(ev, principal="role/Dev", actions=ACTIONS, missing="absent")
    assert _table(m) == _expected("us-east-1")
    assert m.stats["exact_rows"] == 0
    _check_against_decide(ev, m, "role/Dev", None, missing="absent")
    # the implied keys are still there: the root user is known to be the root user
    m = compute_matrix(ev, principal="root", actions=ACTIONS, missing="absent")
    assert _table(m)[AUDIT] == dict.fromkeys(ACTIONS, "explicit_deny")


def test_missing_absent_where_the_exact_answer_is_needed():
    """A chain whose statements need their values tried (the Resource of an S3 Deny, the resource not given)
    next to a keyed statement: with ``missing="absent"`` the absent region denies, the bucket stays conditional."""
    bucket = _doc({"Sid": "Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::logs/*"})
    org = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess", "p-bucket"]),
                    ("ou-a", "r-root", "ou", "A", ["p-FullAWSAccess", "p-region"]),
                    (MGMT, "r-root", "account", "m", []),
                    (PROD, "ou-a", "account", "prod", ["p-FullAWSAccess"]),
                    (AUDIT, "r-root", "account", "audit", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": FULL, "p-bucket": bucket, "p-region": REGION})
    ev = Evaluator(org)
    acts = ["s3:GetObject", "iam:CreateUser", "ec2:RunInstances"]
    for missing, ctx, prod in [("absent", None, {"s3:GetObject": "explicit_deny", "iam:CreateUser": "allow",
                                                   "ec2:RunInstances": "explicit_deny"}),
                               ("unknown", None, {"s3:GetObject": "conditional", "iam:CreateUser": "allow",
                                                  "ec2:RunInstances": "conditional"}),
                               ("absent", {"aws:RequestedRegion": "eu-west-1"},
                                {"s3:GetObject": "conditional", "iam:CreateUser": "allow", "ec2:RunInstances": "allow"})]:
        m = compute_matrix(ev, principal="role/Dev", context=ctx, actions=acts, missing=missing)
        assert _table(m) == {MGMT: dict.fromkeys(acts, "exempt"), PROD: prod,
                             AUDIT: {"s3:GetObject": "conditional", "iam:CreateUser": "allow",
                                     "ec2:RunInstances": "allow"}}, (missing, ctx)
        _check_against_decide(ev, m, "role/Dev", ctx, missing=missing)
    # the resource given settles the bucket statement
    m = compute_matrix(ev, principal="role/Dev", resource="arn:aws:s3:::logs/k", actions=acts, missing="absent")
    assert _table(m)[AUDIT] == {"s3:GetObject": "explicit_deny", "iam:CreateUser": "allow", "ec2:RunInstances": "allow"}
    _check_against_decide(ev, m, "role/Dev", None, "arn:aws:s3:::logs/k", missing="absent")


# ------------------------------------------------------------------------------------------ unread policies

def test_scps_that_could_not_be_listed_make_every_member_cell_unknown():
    view = OrgView.from_org(_org())
    view.unread_policies = "organizations:ListPolicies failed (AccessDenied)"
    ev = Evaluator(view)
    m = compute_matrix(ev, principal="role/Dev", actions=ACTIONS)
    assert _table(m) == {MGMT: dict.fromkeys(ACTIONS, "exempt"),
                         **{a: dict.fromkeys(ACTIONS, "unknown") for a in (AUDIT, PROD, SAND, DEV)}}
    assert m.stats["distinct_rows"] == 2 and m.stats["distinct_chains"] == 0
    assert not any(v.any() for v in m.never_allowed)  # unknown is never "denied for sure"
    _check_against_decide(ev, m, "role/Dev")


def test_a_policy_whose_targets_are_unknown_makes_the_cells_it_could_change_unknown():
    """p-gap may be attached anywhere: its Deny makes every cell of its action unknown unless already explicitly
    denied; its Allow makes unknown the cells an allow could change (implicit deny, conditional)."""
    gap = _doc({"Effect": "Deny", "Action": ["kms:Decrypt", "organizations:LeaveOrganization"], "Resource": "*"},
               {"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    view = OrgView.from_org(_org(**{"p-gap": gap}))
    view.unread_targets = {"p-gap": "organizations:ListTargetsForPolicy failed (AccessDenied)"}
    ev = Evaluator(view)
    ctx = {"aws:RequestedRegion": "eu-west-1"}
    m = compute_matrix(ev, principal="role/Dev", context=ctx, actions=ACTIONS)
    want = _expected("eu-west-1")
    for aid in (AUDIT, PROD, SAND, DEV):
        want[aid] = want[aid] | {"kms:Decrypt": "unknown"}
    want[SAND] = want[SAND] | {"iam:CreateUser": "unknown"}
    assert _table(m) == want
    never = m.never_allowed[int(m.accounts.set_index("account_id").loc[SAND, "row"])]
    assert [a for a, v in zip(m.catalog.frame["action"], never) if v] == ["organizations:LeaveOrganization"]
    _check_against_decide(ev, m, "role/Dev", ctx)
    # with the region unknown, the conditional cells its Allow could change are unknown too (only in sandbox,
    # where a level lacks an allow); elsewhere an Allow changes nothing
    m = compute_matrix(ev, principal="role/Dev", actions=ACTIONS)
    t = _table(m)
    assert t[SAND] == {"s3:GetObject": "conditional", "s3:DeleteBucket": "conditional",
                       "ec2:RunInstances": "conditional", "iam:CreateUser": "unknown",
                       "organizations:LeaveOrganization": "explicit_deny", "kms:Decrypt": "unknown"}
    _check_against_decide(ev, m, "role/Dev")


def test_a_policy_whose_targets_and_text_are_both_unknown_makes_every_cell_not_surely_denied_unknown():
    org = _org(**{"p-lost": DENY_ROOT})
    org.policies.loc[org.policies["policy_id"] == "p-lost", "content"] = None
    view = OrgView.from_org(org)
    view.unread_targets = {"p-lost": "organizations:ListTargetsForPolicy failed (AccessDenied)"}
    ev = Evaluator(view)
    ctx = {"aws:RequestedRegion": "us-east-1"}
    m = compute_matrix(ev, principal="role/Dev", context=ctx, actions=ACTIONS)
    want = {a: {k: v if v in ("explicit_deny", "exempt") else "unknown" for k, v in row.items()}
            for a, row in _expected("us-east-1").items()}
    assert want[PROD] == dict.fromkeys(ACTIONS, "explicit_deny") | {"iam:CreateUser": "unknown"}
    assert _table(m) == want
    _check_against_decide(ev, m, "role/Dev", ctx)


def test_an_attached_policy_without_its_text_makes_its_accounts_unknown():
    """p-allow's text was not collected: in sandbox (where it is attached) every cell not explicitly denied is
    unknown; the other accounts are as before."""
    org = _org()
    org.policies.loc[org.policies["policy_id"] == "p-allow", "content"] = None
    ev = Evaluator(org)
    ctx = {"aws:RequestedRegion": "us-east-1"}
    m = compute_matrix(ev, principal="role/Dev", context=ctx, actions=ACTIONS)
    want = _expected("us-east-1")
    want[SAND] = dict.fromkeys(ACTIONS, "explicit_deny") | {"iam:CreateUser": "unknown"}
    assert _table(m) == want
    _check_against_decide(ev, m, "role/Dev", ctx)


def test_scps_off_allow_everything_and_the_management_account_stays_exempt():
    """No SCP attached anywhere: SCPs are off, every member cell ``allow``; the management account is ``exempt``
    whatever (SCPs "do not restrict users or roles in the management account",
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_delegate_policies.html)."""
    org = make_org([("r-root", None, "root", "Root", []), (MGMT, "r-root", "account", "m", []),
                    (PROD, "r-root", "account", "prod", []), (AUDIT, "r-root", "account", "audit", [])],
                   {"p-FullAWSAccess": FULL})
    ev = Evaluator(org)
    m = compute_matrix(ev, principal="role/Dev", actions=ACTIONS)
    assert _table(m) == {MGMT: dict.fromkeys(ACTIONS, "exempt"), PROD: dict.fromkeys(ACTIONS, "allow"),
                         AUDIT: dict.fromkeys(ACTIONS, "allow")}
    assert m.stats == {"accounts": 3, "distinct_rows": 2, "distinct_chains": 0, "actions": 6,
                       "action_classes": 1, "exact_rows": 0}
    _check_against_decide(ev, m, "role/Dev")
    # SCPs off but one policy's targets unknown: it may be attached, so the answer is not "not in force"
    view = OrgView.from_org(make_org([("r-root", None, "root", "Root", []), (MGMT, "r-root", "account", "m", []),
                                      (PROD, "r-root", "account", "prod", [])],
                                     {"p-FullAWSAccess": FULL, "p-leave": DENY_LEAVE}))
    view.unread_targets = {"p-leave": "organizations:ListTargetsForPolicy failed (AccessDenied)"}
    ev = Evaluator(view)
    m = compute_matrix(ev, principal="role/Dev", actions=ACTIONS)
    assert _table(m)[PROD] == dict.fromkeys(ACTIONS, "implicit_deny") | {"organizations:LeaveOrganization": "unknown"}
    _check_against_decide(ev, m, "role/Dev")


# ----------------------------------------------------------------------------------- past the exact answer

def test_past_the_combinations_tried_a_conditional_deny_at_an_upper_level_stays_conditional():
    """A Deny at the root reading ten unknown keys (more combinations than MAX_COMBINATIONS): the matrix keeps the
    per-statement answer, and an unknown Deny at the root is ``conditional`` even though the lower levels are
    sure, exactly as ``decide`` says; an unknown Allow next to a sure one (A: FullAWSAccess and the tag-bound Allow
    of EC2) allows. In sandbox, B allows only EC2 (under ten more unknown keys): S3 is denied
    there whatever the values (implicitly: B allows none of it), EC2 conditional."""
    many = _doc({"Sid": "Tags", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                 "Condition": {"StringEquals": {f"aws:PrincipalTag/k{i}": f"v{i}" for i in range(10)}}})
    allow_tags = _doc({"Sid": "Tagged", "Effect": "Allow", "Action": "ec2:*", "Resource": "*",
                       "Condition": {"StringEquals": {f"aws:PrincipalTag/t{i}": f"v{i}" for i in range(10)}}})
    org = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess", "p-many"]),
                    ("ou-a", "r-root", "ou", "A", ["p-FullAWSAccess", "p-tags"]),
                    ("ou-b", "r-root", "ou", "B", ["p-tags"]),
                    (MGMT, "r-root", "account", "m", []),
                    (PROD, "ou-a", "account", "prod", ["p-FullAWSAccess"]),
                    (SAND, "ou-b", "account", "sandbox", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": FULL, "p-many": many, "p-tags": allow_tags})
    ev = Evaluator(org)
    acts = ["s3:GetObject", "ec2:RunInstances", "iam:CreateUser"]
    m = compute_matrix(ev, principal="role/Dev", actions=acts)
    assert _table(m) == {MGMT: dict.fromkeys(acts, "exempt"),
                         PROD: {"s3:GetObject": "conditional", "ec2:RunInstances": "allow", "iam:CreateUser": "allow"},
                         SAND: {"s3:GetObject": "implicit_deny", "ec2:RunInstances": "conditional",
                                "iam:CreateUser": "implicit_deny"}}
    assert m.stats["exact_rows"] == 0
    _check_against_decide(ev, m, "role/Dev")


# ------------------------------------------------------------------------- varied organisations vs decide

_CONDS = [
    None,
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
    {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/Admin*"]}},
    {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}},
    {"StringEquals": {"aws:PrincipalAccount": PROD}},
    {"StringEqualz": {"aws:RequestedRegion": "x"}},
    {"BoolIfExists": {"aws:ViaAWSService": "false"}},
    {"Null": {"aws:RequestedRegion": "true"}},
]
_PATTERNS = ["*", "s3:*", "s3:Get*", "ec2:*", "iam:*", "*:Delete*", "kms:Decrypt", "organizations:*"]


def _varied(seed):
    import random

    rng = random.Random(seed)

    def policy(i):
        stmts = []
        for j in range(rng.randint(1, 3)):
            st = {"Sid": f"S{i}x{j}", "Effect": rng.choice(["Allow", "Deny", "Deny"]),
                  rng.choice(["Action", "Action", "NotAction"]): rng.sample(_PATTERNS, rng.randint(1, 2)),
                  "Resource": rng.choice(["*", "*", "arn:aws:s3:::b/*", "arn:aws:s3:::${aws:PrincipalAccount}-x"])}
            c = rng.choice(_CONDS)
            if c:
                st["Condition"] = c
            stmts.append(st)
        return _doc(*stmts)

    pols = {"p-FullAWSAccess": FULL, **{f"p-{i}": policy(i) for i in range(5)}}
    ids = list(pols)

    def pick():
        return sorted(set(rng.sample(ids, rng.randint(0, 2)) + (["p-FullAWSAccess"] if rng.random() < 0.75 else [])))

    structure = [("r-1", None, "root", "Root", ["p-FullAWSAccess", *rng.sample(ids[1:], 1)]),
                 ("ou-a", "r-1", "ou", "A", pick()), ("ou-b", "ou-a", "ou", "B", pick()),
                 (MGMT, "r-1", "account", "mgmt", [])]
    for k in range(5):
        structure.append((f"10000000000{k}", rng.choice(["r-1", "ou-a", "ou-b"]), "account", f"a{k}", pick()))
    return make_org(structure, pols)


_VARIANTS = [(None, None, None, None), ("root", None, None, None),
             ("role/AdminX", {"aws:RequestedRegion": "us-east-1"}, None, None),
             ("role/Dev", {"aws:RequestedRegion": "eu-west-1", "aws:ViaAWSService": "false"}, "arn:aws:s3:::b/k", None),
             ("sso/Admin", None, None, "absent"),
             ("role/Dev", {"aws:RequestedRegion": "eu-west-1"}, f"arn:aws:s3:::{PROD}-x", "absent")]


@pytest.mark.parametrize("seed", range(5))
def test_varied_organisations_agree_with_decide_in_every_cell(seed):
    ev = Evaluator(_varied(seed))
    acts = ["s3:GetObject", "s3:DeleteBucket", "ec2:RunInstances", "ec2:DeleteVolume", "iam:CreateUser",
            "iam:DeleteRole", "kms:Decrypt", "organizations:LeaveOrganization", "sts:AssumeRole"]
    for principal, ctx, resource, missing in _VARIANTS:
        m = compute_matrix(ev, principal=principal, context=ctx, resource=resource, actions=acts, missing=missing)
        assert m.stats["actions"] == len(acts) and m.stats["accounts"] == 6
        _check_against_decide(ev, m, principal, ctx, resource, missing)


def test_an_actions_subset_with_wildcards_and_a_name_the_catalog_lacks():
    ev = Evaluator(_org())
    m = compute_matrix(ev, principal="role/Dev", context={"aws:RequestedRegion": "eu-west-1"},
                       actions=["organizations:Leave*", "s3:GetObject", "s3:MadeUpAction"])
    acts = list(m.catalog.frame["action"])
    assert acts == ["organizations:LeaveOrganization", "s3:GetObject", "s3:MadeUpAction"]
    assert m.catalog.frame["in_catalog"].tolist() == [True, True, False]
    t = _table(m)
    assert t[SAND] == {"organizations:LeaveOrganization": "explicit_deny", "s3:GetObject": "allow",
                       "s3:MadeUpAction": "allow"}
    assert t[AUDIT] == {"organizations:LeaveOrganization": "explicit_deny", "s3:GetObject": "allow",
                        "s3:MadeUpAction": "allow"}
    assert m.stats["actions"] == 3
    _check_against_decide(ev, m, "role/Dev", {"aws:RequestedRegion": "eu-west-1"})


# ------------------------------------------------------------------- accounts that share a chain, and the rest

def test_accounts_sharing_a_chain_differ_by_what_they_read_and_what_they_could_not_read():
    """Three accounts in one OU with the same readable chain: a Deny on ``aws:PrincipalAccount`` hits one of them
    only, and a Deny whose Resource reads ``${aws:PrincipalAccount}`` is conditional in each (the bucket not
    given) or settled by the resource given; an SCP attached to the third whose text was not read makes its cells
    unknown, unless already explicitly denied."""
    only_prod = _doc({"Sid": "NotProd", "Effect": "Deny", "Action": "ec2:*", "Resource": "*",
                      "Condition": {"StringEquals": {"aws:PrincipalAccount": PROD}}})
    own_bucket = _doc({"Sid": "OwnLogs", "Effect": "Deny", "Action": "s3:DeleteBucket",
                       "Resource": "arn:aws:s3:::${aws:PrincipalAccount}-logs"})
    org = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess", "p-leave"]),
                    ("ou-a", "r-root", "ou", "A", ["p-FullAWSAccess", "p-prod", "p-own"]),
                    (MGMT, "r-root", "account", "m", []),
                    (PROD, "ou-a", "account", "prod", ["p-FullAWSAccess"]),
                    (DEV, "ou-a", "account", "dev", ["p-FullAWSAccess"]),
                    (SAND, "ou-a", "account", "gone", ["p-FullAWSAccess", "p-gone"]),
                    ("100000000004", "ou-a", "account", "dev2", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": FULL, "p-leave": DENY_LEAVE, "p-prod": only_prod, "p-own": own_bucket,
                    "p-gone": NO_DELETE})
    org.policies.loc[org.policies["policy_id"] == "p-gone", "content"] = None
    ev = Evaluator(org)
    acts = ["ec2:RunInstances", "s3:DeleteBucket", "s3:GetObject", "organizations:LeaveOrganization"]
    m = compute_matrix(ev, principal="role/Dev", actions=acts)
    base = {"ec2:RunInstances": "allow", "s3:DeleteBucket": "conditional", "s3:GetObject": "allow",
            "organizations:LeaveOrganization": "explicit_deny"}
    assert _table(m) == {MGMT: dict.fromkeys(acts, "exempt"), PROD: base | {"ec2:RunInstances": "explicit_deny"},
                         DEV: base, SAND: dict.fromkeys(acts, "unknown") | {"organizations:LeaveOrganization":
                                                                             "explicit_deny"},
                         "100000000004": base}
    # dev and dev2 share one row (their own account ids read only through the Resource variable)
    assert m.stats["distinct_chains"] == 1 and m.stats["distinct_rows"] == 4
    assert m.accounts.set_index("account_id").loc[[DEV, "100000000004"], "row"].nunique() == 1
    _check_against_decide(ev, m, "role/Dev")
    # dev's own bucket: denied in dev only
    bucket = f"arn:aws:s3:::{DEV}-logs"
    m = compute_matrix(ev, principal="role/Dev", resource=bucket, actions=acts)
    t = _table(m)
    assert (t[DEV]["s3:DeleteBucket"], t[PROD]["s3:DeleteBucket"], t["100000000004"]["s3:DeleteBucket"]) == (
        "explicit_deny", "allow", "allow")
    _check_against_decide(ev, m, "role/Dev", None, bucket)


def test_scps_off_but_not_listed_are_unknown_not_allowed():
    """No attachment seen, but ListPolicies failed: SCPs may be on, so every member cell is ``unknown``."""
    view = OrgView.from_org(make_org([("r-root", None, "root", "Root", []), (MGMT, "r-root", "account", "m", []),
                                      (PROD, "r-root", "account", "prod", [])], {"p-FullAWSAccess": FULL}))
    view.unread_policies = "organizations:ListPolicies failed (AccessDenied)"
    ev = Evaluator(view)
    m = compute_matrix(ev, principal="role/Dev", actions=ACTIONS)
    assert _table(m) == {MGMT: dict.fromkeys(ACTIONS, "exempt"), PROD: dict.fromkeys(ACTIONS, "unknown")}
    _check_against_decide(ev, m, "role/Dev")


def test_the_whole_catalog_of_a_small_evaluator_when_no_actions_are_given():
    from orgkit.scp.catalog import Catalog

    names = ["s3:GetObject", "s3:DeleteBucket", "ec2:RunInstances", "iam:CreateUser", "kms:Decrypt",
             "organizations:LeaveOrganization"]
    cat = Catalog.from_actions(names, version="small-1")
    ev = Evaluator(_org(), catalog=cat)
    ctx = {"aws:RequestedRegion": "us-east-1"}
    m = compute_matrix(ev, principal="role/Dev", context=ctx)
    assert list(m.catalog.frame["action"]) == names and m.catalog is cat
    assert m.attrs == cat.attrs and m.attrs["catalog_version"] == "small-1"
    assert _table(m) == _expected("us-east-1")
    assert m.stats["actions"] == 6
    _check_against_decide(ev, m, "role/Dev", ctx)


@pytest.mark.parametrize("bad", ["s3 GetObject", "GetObject", "", 3])
def test_a_malformed_action_is_refused(bad):
    with pytest.raises(ValueError, match="is not an action: expected service:Action"):
        compute_matrix(Evaluator(_org()), actions=["s3:GetObject", bad])


def test_actions_are_stripped():
    m = compute_matrix(Evaluator(_org()), principal="role/Dev", actions=["  s3:GetObject ", "kms:Decrypt\n"])
    assert list(m.catalog.frame["action"]) == ["kms:Decrypt", "s3:GetObject"]
    assert m.catalog.frame["in_catalog"].all()


def test_the_deprecated_ways_to_say_absent_give_the_same_matrix():
    from orgkit.scp.engine import AbsentContext

    ev = Evaluator(_org())
    want = compute_matrix(ev, principal="role/Dev", context={"aws:ViaAWSService": "false"}, actions=ACTIONS,
                          missing="absent")
    assert _table(want) == _expected("us-east-1")
    with pytest.warns(DeprecationWarning, match="absent_unknown= is deprecated"):
        m = compute_matrix(ev, "role/Dev", {"aws:ViaAWSService": "false"}, None, ACTIONS, True)
    assert _table(m) == _table(want)
    with pytest.warns(DeprecationWarning, match="AbsentContext is deprecated"):
        m = compute_matrix(ev, principal="role/Dev", context=AbsentContext({"aws:ViaAWSService": "false"}),
                           actions=ACTIONS)
    assert _table(m) == _table(want) and type(m.context) is dict and m.context == {"aws:ViaAWSService": "false"}
    with pytest.raises(ValueError, match="missing='nothing'"):
        compute_matrix(ev, actions=ACTIONS, missing="nothing")


_RCP_FULL = _doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
_RCP_PROTECT = _doc({"Sid": "KeepBuckets", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
                     "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}})


def _rcp(org):
    import pandas as pd

    org.rcps = pd.DataFrame([{"policy_id": pid, "name": pid, "type": "RESOURCE_CONTROL_POLICY",
                              "aws_managed": pid == "p-RCPFullAWSAccess", "content": json.dumps(doc)}
                             for pid, doc in (("p-RCPFullAWSAccess", _RCP_FULL), ("p-keep", _RCP_PROTECT))])
    nodes = ["r-root", "ou-sec", "ou-work", "ou-sand", MGMT, AUDIT, PROD, SAND, DEV]
    org.rcp_targets = pd.DataFrame([{"policy_id": "p-RCPFullAWSAccess", "target_id": n} for n in nodes]
                                   + [{"policy_id": "p-keep", "target_id": "ou-work"}])
    org.rcp_enabled = True
    return org


@pytest.mark.parametrize("principal,ctx,missing", [
    ("role/Dev", {"aws:RequestedRegion": "eu-west-1"}, None), ("role/Admin", {"aws:RequestedRegion": "eu-west-1"}, None),
    (None, {"aws:RequestedRegion": "eu-west-1"}, None), (None, None, "absent")])
def test_rcps_change_the_cells_of_their_services_in_their_accounts(principal, ctx, missing):
    """An RCP on Workloads denying s3:DeleteBucket to all but role/Admin: in prod (and dev, where the SCP denies
    first) the bucket cannot be deleted by role/Dev, is allowed to role/Admin, and is conditional for a principal
    not given; with ``missing="absent"`` an absent principal ARN is "not like" role/Admin, so denied. Audit (not
    under the RCP) is as the SCPs say."""
    ev = Evaluator(_rcp(_org()))
    m = compute_matrix(ev, principal=principal, context=ctx, actions=ACTIONS, missing=missing)
    want = _expected(ctx and ctx["aws:RequestedRegion"]) if missing is None else _expected("us-east-1")
    rcp = {"role/Dev": "explicit_deny", "role/Admin": "allow", None: "conditional" if missing is None
           else "explicit_deny"}[principal]
    if principal is None and missing is None:  # Security's root deny: the principal may be the root user
        want[AUDIT] = dict.fromkeys(ACTIONS, "conditional") | {"organizations:LeaveOrganization": "explicit_deny"}
    if want[PROD]["s3:DeleteBucket"] == "allow":
        want[PROD] = want[PROD] | {"s3:DeleteBucket": rcp}
        want[SAND] = want[SAND] | {"s3:DeleteBucket": rcp}
    assert _table(m) == want
    assert m.stats["rcp_cells"] == 3  # asked of decide: s3:DeleteBucket in prod, sandbox and dev
    _check_against_decide(ev, m, principal, ctx, None, missing)


def test_two_denies_covering_every_region_deny_the_resource_given_for_sure():
    """Denies of S3 on bucket b, one for us-east-1 and one for every other region (and absent): on a resource in
    b it is denied whatever the region, so ``explicit_deny``; on any resource, ``conditional`` (allowed elsewhere)."""
    both = _doc({"Sid": "Us", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
                {"Sid": "NotUs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}})
    org = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess", "p-both"]), (MGMT, "r-root", "account", "m", []),
                    (PROD, "r-root", "account", "prod", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": FULL, "p-both": both})
    ev = Evaluator(org)
    acts = ["s3:GetObject", "ec2:RunInstances"]
    for resource, s3 in [("arn:aws:s3:::b/k", "explicit_deny"), (None, "conditional"), ("arn:aws:s3:::c/k", "allow")]:
        m = compute_matrix(ev, principal="role/Dev", resource=resource, actions=acts)
        assert _table(m)[PROD] == {"s3:GetObject": s3, "ec2:RunInstances": "allow"}, resource
        _check_against_decide(ev, m, "role/Dev", None, resource)
