"""orgkit.scp.compare: one action's allowed cases before and after, compared over one partition of the unknown keys
(issue 18 point 1), called directly (the change review of tests/test_diff.py calls it through a whole snapshot pair:
issue 22 wants the mutation runs of orgkit/scp/ to reach it in seconds)."""

import numpy as np

from orgkit.scp import FULL_AWS_ACCESS as FULL
from orgkit.scp.catalog import default_catalog
from orgkit.scp.compare import CaseChange, compare_cases, statement_masks
from orgkit.scp.engine import Level, merge_context
from orgkit.scp.policy import compile_levels

ACT = "cloudtrail:StopLogging"
OTHER = "(any other value of aws:PrincipalArn: neither like arn:aws:iam::*:role/Sec nor like arn:aws:iam::*:role/Ops)"


def levels(*lvls):
    return [Level(n, "level", n, p) for n, p in compile_levels(list(lvls))]


def deny(actions, cond=None, key="Action"):
    st = {"Effect": "Deny", key: actions, "Resource": "*"}
    if cond:
        st["Condition"] = cond
    return {"Version": "2012-10-17", "Statement": [st]}


EXC = deny(ACT, {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/Sec", "arn:aws:iam::*:role/Ops"]}})
REGION = deny(ACT, {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}})
CTX = merge_context({}, {})


def test_removing_a_deny_with_exceptions_gains_the_cases_it_denied():
    before, after = levels([FULL, EXC]), levels([FULL])
    gained = f"aws:PrincipalArn is absent or any other value {OTHER}"
    assert compare_cases(before, CTX, after, CTX, ACT) == CaseChange(gained, "", 4)
    assert compare_cases(after, CTX, before, CTX, ACT) == CaseChange("", gained, 4)
    assert compare_cases(after, CTX, before, CTX, ACT).changed


def test_nothing_unknown_is_one_case_and_the_same_policies_change_nothing():
    assert compare_cases(levels([FULL]), CTX, levels([FULL]), CTX, ACT) == CaseChange("", "", 1)
    same = compare_cases(levels([FULL, EXC]), CTX, levels([FULL, EXC]), CTX, ACT)
    assert same == CaseChange("", "", 4) and not same.changed


def test_a_region_deny_replaced_by_a_role_exception_gains_and_loses():
    c = compare_cases(levels([FULL, REGION]), CTX, levels([FULL, EXC]), CTX, ACT)
    assert c == CaseChange(
        'aws:PrincipalArn is like arn:aws:iam::*:role/Sec or like arn:aws:iam::*:role/Ops and aws:RequestedRegion is '
        'not "eu-west-1" (or absent)',
        f'aws:PrincipalArn is absent or any other value and aws:RequestedRegion is "eu-west-1" {OTHER}', 12)


def test_the_resource_is_a_dimension_when_not_given():
    on = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket",
                                                   "Resource": "arn:aws:s3:::logs"}]}
    c = compare_cases(levels([FULL, on]), CTX, levels([FULL]), CTX, "s3:DeleteBucket")
    assert c == CaseChange("the resource is arn:aws:s3:::logs", "", 2)
    assert compare_cases(levels([FULL, on]), CTX, levels([FULL]), CTX, "s3:DeleteBucket",
                         resource="arn:aws:s3:::logs") == CaseChange("", "", 1)
    assert compare_cases(levels([FULL, on]), CTX, levels([FULL]), CTX, "s3:DeleteBucket", resource="*") == c


def test_too_many_combinations_are_not_compared():
    many = deny(ACT, {"StringEquals": {f"aws:PrincipalTag/k{i}": "v" for i in range(20)}})
    assert compare_cases(levels([FULL, many]), CTX, levels([FULL]), CTX, ACT) is None


def test_statement_masks_per_statement_and_cached():
    cat = default_catalog()
    acts = list(cat.frame["action"])
    lv = levels([FULL, deny(["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"]),
                 deny(["cloudtrail:*"], key="NotAction")])
    cache: dict = {}
    full, two, notct = statement_masks(cat, lv, cache)
    assert full.all() and len(full) == len(acts)
    assert sorted(np.array(acts, dtype=object)[two]) == ["cloudtrail:DeleteTrail", "cloudtrail:StopLogging"]
    assert not any(a.lower().startswith("cloudtrail:") for a in np.array(acts, dtype=object)[notct])
    assert notct.sum() == len(acts) - sum(a.lower().startswith("cloudtrail:") for a in acts)
    assert len(cache) == 3
    again = statement_masks(cat, lv, cache)
    assert all(x is y for x, y in zip(again, (full, two, notct)))
