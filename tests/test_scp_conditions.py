"""Condition operators: property tests against Python's own comparisons, and the documented rules for
a key absent from the request (IfExists, negated operators and ForAllValues true; plain operators
and ForAnyValue false), plus three-valued answers for keys we were not told."""

import base64
import ipaddress
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgkit.scp.conditions import (BASE_OPERATORS, evaluate_condition_block, evaluate_one, normalise_context,
                                   parse_operator)
from orgkit.scp.matching import Unknown

NEGATED = {"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "numericnotequals", "datenotequals",
           "notipaddress", "arnnotequals", "arnnotlike"}
SAMPLE = {  # a value each operator can parse
    "string": "x", "numeric": "1", "date": "2020-01-01T00:00:00Z", "bool": "true", "binary": "QQ==",
    "ipaddress": "10.0.0.0/8", "notipaddress": "10.0.0.0/8", "arn": "arn:aws:iam::*:root",
}


def _sample(op_lower):
    for prefix, v in SAMPLE.items():
        if op_lower.startswith(prefix):
            return v
    raise AssertionError(op_lower)


OPS = [v for k, v in BASE_OPERATORS.items() if k != "null"]


@pytest.mark.parametrize("op", OPS)
def test_absent_key_rules_for_every_operator(op):
    ctx = {"k": None}  # the caller says: the key is not in the request
    v = _sample(op.lower())
    negated = op.lower() in NEGATED
    assert evaluate_one(op, "k", v, ctx) is negated
    assert evaluate_one(op + "IfExists", "k", v, ctx) is True
    assert evaluate_one("ForAllValues:" + op, "k", v, ctx) is True
    assert evaluate_one("ForAnyValue:" + op, "k", v, ctx) is False
    # an empty list is the same as absent for the set operators
    assert evaluate_one("ForAllValues:" + op, "k", v, {"k": []}) is True
    assert evaluate_one("ForAnyValue:" + op, "k", v, {"k": []}) is False


@pytest.mark.parametrize("op", OPS + ["Null"])
def test_unknown_key_is_unknown_never_false(op):
    r = evaluate_one(op, "aws:SomeKey", _sample(op.lower()) if op != "Null" else "true", {})
    assert isinstance(r, Unknown)
    assert r.keys == frozenset({"aws:somekey"})
    assert any("aws:SomeKey" in d for d in r.deps)
    assert isinstance(evaluate_one(op + "IfExists" if op != "Null" else op, "aws:SomeKey", "x", {}), Unknown)


def test_unknown_operator_is_reported_not_false():
    for op in ["StringEqualsFoo", "ForSomeValues:StringEquals", "NullIfExists", "Stringequal"]:
        r = evaluate_one(op, "aws:RequestedRegion", "x", {"aws:requestedregion": "x"})
        assert isinstance(r, Unknown), op
        assert any("unknown condition operator" in d for d in r.deps)
    assert parse_operator("ForAnyValue:StringLikeIfExists") == ("ForAnyValue", "stringlike", True, True)


def test_keys_are_case_insensitive():
    assert evaluate_condition_block({"StringEquals": {"AWS:RequestedRegion": "eu-west-1"}},
                                    {"aws:requestedregion": "eu-west-1"}) is True


def test_null_operator():
    assert evaluate_one("Null", "k", "true", {"k": None}) is True
    assert evaluate_one("Null", "k", "true", {"k": "v"}) is False
    assert evaluate_one("Null", "k", "false", {"k": "v"}) is True
    assert evaluate_one("Null", "k", False, {"k": None}) is False


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=6), st.lists(st.text(max_size=6), min_size=1, max_size=4))
def test_string_equals_and_its_negation(c, pvals):
    ctx = {"k": c}
    pos = evaluate_one("StringEquals", "k", pvals, ctx)
    assert pos is (c in pvals)
    assert evaluate_one("StringNotEquals", "k", pvals, ctx) is (not pos)  # NOR over the values
    assert evaluate_one("StringEqualsIgnoreCase", "k", [p.upper() for p in pvals], {"k": c.lower()}) is (
        c.lower() in [p.upper().lower() for p in pvals])


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6))
def test_numeric_operators(c, p):
    ctx = {"k": str(c)}
    table = {"NumericEquals": c == p, "NumericNotEquals": c != p, "NumericLessThan": c < p,
             "NumericLessThanEquals": c <= p, "NumericGreaterThan": c > p, "NumericGreaterThanEquals": c >= p}
    for op, want in table.items():
        assert evaluate_one(op, "k", str(p), ctx) is want, op


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**8), st.integers(0, 10**8))
def test_date_operators(a, b):
    base = datetime(2020, 1, 1, tzinfo=timezone.utc)
    c, p = base + timedelta(seconds=a), base + timedelta(seconds=b)
    ctx = {"aws:currenttime": c.strftime("%Y-%m-%dT%H:%M:%SZ")}
    pv = p.isoformat()
    table = {"DateEquals": c == p, "DateNotEquals": c != p, "DateLessThan": c < p, "DateLessThanEquals": c <= p,
             "DateGreaterThan": c > p, "DateGreaterThanEquals": c >= p}
    for op, want in table.items():
        assert evaluate_one(op, "aws:CurrentTime", pv, ctx) is want, op
    # epoch seconds are accepted too
    assert evaluate_one("DateEquals", "aws:CurrentTime", str(int(p.timestamp())), {"aws:currenttime": pv}) is True


@settings(max_examples=100, deadline=None)
@given(st.ip_addresses(v=4), st.integers(0, 32), st.ip_addresses(v=4))
def test_ip_address(addr, prefix, other):
    net = ipaddress.ip_network(f"{addr}/{prefix}", strict=False)
    assert evaluate_one("IpAddress", "aws:SourceIp", str(net), {"aws:sourceip": str(other)}) is (other in net)
    assert evaluate_one("NotIpAddress", "aws:SourceIp", str(net), {"aws:sourceip": str(other)}) is (other not in net)
    assert evaluate_one("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:sourceip": str(other)}) is False


def test_bool_and_binary():
    assert evaluate_one("Bool", "aws:SecureTransport", "false", {"aws:securetransport": False}) is True
    assert evaluate_one("Bool", "aws:SecureTransport", True, {"aws:securetransport": "TRUE"}) is True
    assert evaluate_one("Bool", "aws:SecureTransport", "true", {"aws:securetransport": "false"}) is False
    b = base64.b64encode(b"\x00\x01hello").decode()
    assert evaluate_one("BinaryEquals", "k", b, {"k": b"\x00\x01hello"}) is True
    assert evaluate_one("BinaryEquals", "k", b, {"k": base64.b64encode(b"other").decode()}) is False


def test_arn_and_string_like():
    ctx = {"aws:principalarn": "arn:aws:iam::123456789012:role/Admin"}
    assert evaluate_one("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin", ctx) is True
    assert evaluate_one("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin", ctx) is True
    assert evaluate_one("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin", ctx) is False
    assert evaluate_one("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/admin", ctx) is False
    assert evaluate_one("StringLike", "aws:PrincipalArn", "*:role/Adm?n", ctx) is True
    assert evaluate_one("StringNotLike", "aws:PrincipalArn", "*:role/Adm?n", ctx) is False
    # policy variables inside condition values
    ctx2 = {"aws:principalaccount": "123456789012", "aws:resourceaccount": "123456789012"}
    assert evaluate_one("StringEquals", "aws:ResourceAccount", "${aws:PrincipalAccount}", ctx2) is True
    r = evaluate_one("StringEquals", "aws:ResourceAccount", "${aws:PrincipalTag/acct}", ctx2)
    assert isinstance(r, Unknown) and "aws:principaltag/acct" in r.keys


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcd"), max_size=4), st.lists(st.sampled_from("abcd"), min_size=1, max_size=3))
def test_set_operators(ctx_vals, pol_vals):
    ctx = {"aws:tagkeys": ctx_vals}
    all_ = evaluate_one("ForAllValues:StringEquals", "aws:TagKeys", pol_vals, ctx)
    any_ = evaluate_one("ForAnyValue:StringEquals", "aws:TagKeys", pol_vals, ctx)
    assert all_ is set(ctx_vals).issubset(pol_vals)
    assert any_ is bool(set(ctx_vals) & set(pol_vals))
    # negated set forms: every / some request value matches none of the policy values
    assert evaluate_one("ForAllValues:StringNotEquals", "aws:TagKeys", pol_vals, ctx) is all(v not in pol_vals for v in ctx_vals)
    assert evaluate_one("ForAnyValue:StringNotEquals", "aws:TagKeys", pol_vals, ctx) is any(v not in pol_vals for v in ctx_vals)


def test_block_is_an_and_and_unknown_survives():
    block = {"StringEquals": {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalAccount": "1"},
             "Bool": {"aws:SecureTransport": "true"}}
    ctx = {"aws:requestedregion": "eu-west-1", "aws:principalaccount": "1"}
    r = evaluate_condition_block(block, ctx)
    assert isinstance(r, Unknown) and r.keys == frozenset({"aws:securetransport"})
    ctx["aws:securetransport"] = "false"
    assert evaluate_condition_block(block, ctx) is False  # False wins over everything
    ctx["aws:securetransport"] = "true"
    assert evaluate_condition_block(block, ctx) is True
    del ctx["aws:requestedregion"]
    ctx["aws:securetransport"] = "false"
    assert evaluate_condition_block(block, ctx) is False  # a known False decides even with an unknown key


# ------------------------------------------------------------------------------- issue 22: survivors of mutation
def test_dates_without_a_zone_are_utc_and_offsets_are_honoured():
    """An ISO 8601 offset is honoured; a time without a zone is read as UTC (orgkit's reading: the IAM guide's
    examples all give ``Z``, aws:CurrentTime is UTC, and the guide does not say how a zone-less time is read)."""
    ctx = {"aws:currenttime": "2020-01-01T00:00:00Z"}
    assert evaluate_one("DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00", ctx) is True
    assert evaluate_one("DateEquals", "aws:CurrentTime", "2020-01-01T02:00:00+02:00", ctx) is True
    assert evaluate_one("DateEquals", "aws:CurrentTime", "2020-01-01T01:00:00+02:00", ctx) is False
    assert evaluate_one("DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:01", ctx) is True


def test_date_context_values_given_as_numbers_or_datetimes():
    """A caller may pass epoch seconds or a ``datetime`` (a naive one is UTC); a bool is not a date."""
    for value in (1577836800, 1577836800.0, datetime(2020, 1, 1, tzinfo=timezone.utc), datetime(2020, 1, 1)):
        ctx = {"aws:currenttime": value}
        assert evaluate_one("DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", ctx) is True, value
        assert evaluate_one("DateGreaterThan", "aws:CurrentTime", "2019-12-31T23:59:59Z", ctx) is True, value
    for op in ("DateGreaterThan", "DateLessThan", "DateEquals"):
        assert evaluate_one(op, "aws:CurrentTime", "1970-01-01T00:00:01Z", {"aws:currenttime": True}) is False, op


def test_numbers_with_a_fraction():
    assert evaluate_one("NumericEquals", "k", "1.50", {"k": "1.5"}) is True
    assert evaluate_one("NumericLessThan", "k", "2.25", {"k": " 2.2 "}) is True
    assert evaluate_one("NumericEquals", "k", "1", {"k": True}) is False  # a bool is not a number


def test_bool_context_values_compare_as_the_strings_iam_sees():
    for op, value, want in [("StringEquals", "true", True), ("StringEquals", "false", False),
                            ("StringEquals", "True", False)]:
        assert evaluate_one(op, "k", value, {"k": True}) is want, (op, value)
    assert evaluate_one("StringEquals", "k", "false", {"k": False}) is True
    assert evaluate_one("StringEquals", "k", "true", {"k": False}) is False


def test_binary_values_must_be_base64():
    assert evaluate_one("BinaryEquals", "k", "QQ==", {"k": "QQ=="}) is True
    assert evaluate_one("BinaryEquals", "k", "QQ==", {"k": "Q!Q=="}) is False  # not base64: never equal


def test_a_context_range_is_inside_the_policy_range_only_when_all_of_it_is():
    assert evaluate_one("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:sourceip": "10.1.0.0/16"}) is True
    assert evaluate_one("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:sourceip": "10.0.0.0/7"}) is False
    assert evaluate_one("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:sourceip": "2001:db8::/32"}) is False
    assert evaluate_one("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:sourceip": "10.0.0.0/7"}) is True


def test_context_keys_are_lower_cased_and_values_kept():
    assert normalise_context({"AWS:SourceIp": "10.0.0.1", "aws:PrincipalTag/Team": None}) == {
        "aws:sourceip": "10.0.0.1", "aws:principaltag/team": None}
    assert normalise_context(None) == {}


def test_an_empty_condition_block_applies():
    assert evaluate_condition_block({}, {}) is True
    assert evaluate_condition_block(None, {"k": "v"}) is True


def test_what_an_unknown_answer_depends_on_is_said_exactly():
    r = evaluate_one("StringEquals", "aws:SomeKey", ["a", True, 3], {})
    assert (r.deps, r.keys) == (frozenset({'aws:SomeKey StringEquals ["a", "true", 3]'}), frozenset({"aws:somekey"}))
    r = evaluate_one("StringEqualsFoo", "aws:SomeKey", "a", {"aws:somekey": "a"})
    assert (r.deps, r.keys) == (frozenset({"unknown condition operator 'StringEqualsFoo' on aws:SomeKey"}), frozenset())
    r = evaluate_one("StringEquals", "aws:ResourceAccount", "${aws:PrincipalTag/acct}", {"aws:resourceaccount": "1"})
    assert r.deps == frozenset({'aws:ResourceAccount StringEquals ["${aws:PrincipalTag/acct}"] '
                                '(policy variable ${aws:principaltag/acct})'})
    assert r.keys == frozenset({"aws:principaltag/acct"})


def test_policy_variables_in_set_operators():
    ctx = {"aws:tagkeys": ["123456789012", "x"], "aws:principalaccount": "123456789012"}
    assert evaluate_one("ForAnyValue:StringEquals", "aws:TagKeys", "${aws:PrincipalAccount}", ctx) is True
    assert evaluate_one("ForAllValues:StringEquals", "aws:TagKeys", ["${aws:PrincipalAccount}", "x"], ctx) is True
    assert evaluate_one("ForAllValues:StringEquals", "aws:TagKeys", "${aws:PrincipalAccount}", ctx) is False
