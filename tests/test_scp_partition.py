"""Issue 22 (orgkit/scp/ mutation score): the whole output of ``orgkit.scp.partition`` (the values tried for an
unknown key or resource, and the words that name them) and of ``matching``'s ARN matching and policy-variable
replacement, over varied inputs: wildcards, policy variables and the ``${*}``/``${?}``/``${$}`` escapes, case-
insensitive operators, numbers and dates, ARNs with and without region/account, hostile inputs within a budget.

AWS rules relied on (quoted):

* IAM User Guide, "IAM policy elements: Variables and tags"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html): "If AWS cannot resolve a
  variable this might cause the entire statement to be invalid." Its section "Specifying default values" gives a
  variable's default (``${aws:username, 'default'}``), used when the key cannot be replaced.
* The literal characters: AWS IoT Core's "Policy variables" page
  (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-variables.html): "You can also use predefined
  policy variables with fixed values to represent characters that otherwise have special meaning." That page
  spells them ``$(*)``, ``$(?)``, ``$($)``; IAM policies write them ``${*}``, ``${?}``, ``${$}`` (docs/scp.md).
* IAM User Guide, Resource element: "If the * wildcard is the last character of a resource ARN segment, it can
  expand to match beyond the colon boundaries."
"""

import time

import pytest

from orgkit.scp import ABSENT as ABSENT_CTX
from orgkit.scp import FULL_AWS_ACCESS, evaluate
from orgkit.scp.matching import MissingKey, VariableNotReplaced, arn_matches, substitute
from orgkit.scp.partition import (ABSENT_REP, OTHER_RESOURCE, OTHER_VALUE, RESOURCE, Rep, _cuts, describe_values,
                                  domains, resource_values)
from orgkit.scp.policy import compile_policy

K = "aws:principaltag/k"
OTHER = (OTHER_VALUE, "any other value")
ABSENT = (None, "absent")


def _statements(*stmts):
    return compile_policy({"Version": "2012-10-17", "Statement": list(stmts)}).statements


def _deny_if(*conds, **extra):
    cond: dict = {}
    for c in conds:
        for op, tests in c.items():
            cond.setdefault(op, {}).update(tests)
    return {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": cond, **extra}


def _domain(key, statements, ctx=None, resource=None):
    return [(r.value, r.label) for r in domains([key], statements, ctx or {}, resource=resource)[key]]


# --- the values tried for one string key: literal values, escapes, patterns, case --------------------------------

@pytest.mark.parametrize("conds,ctx,expected", [
    # ${?} ${*} ${$} are the literal characters: each value is tried as the request would hold it, named as written
    ([{"StringEquals": {K: ["a${?}b", "c${*}", "d${$}"]}}], {},
     [("a?b", '"a${?}b"'), ("c*", '"c${*}"'), ("d$", '"d${$}"'), OTHER]),
    # a pattern with a literal '?' then a wildcard: its instances start with "a?", the other values do not
    ([{"StringLike": {K: "a${?}*"}}], {}, [("a?", "like a${?}*"), OTHER]),
    # a known variable is substituted (a '*' in its value is literal); an absent one's default used
    ([{"StringEquals": {K: ["${aws:username}-x", "${aws:PrincipalTag/t, 'dflt'}"]}}],
     {"aws:username": "u*", "aws:principaltag/t": None},
     [("u*-x", '"${aws:username}-x"'), ("dflt", '"${aws:PrincipalTag/t, \'dflt\'}"'), OTHER]),
    # variables are read whatever their case and spacing; an unknown one is filled with "x" (the answer then
    # waits on its key: the value tried stands for every other value too)
    ([{"StringEquals": {K: ["${ AWS:UserName }/${aws:username}", "${aws:PrincipalTag/t}-y"]}}],
     {"aws:username": "Ann?"}, [("Ann?/Ann?", '"${ AWS:UserName }/${aws:username}"'), ("x-y", '"${aws:PrincipalTag/t}-y"')]),
    ([{"StringLike": {K: "${aws:UserName}?${aws:PrincipalTag/t, 'd?'}"}}], {"aws:username": "a*", "aws:principaltag/t": None},
     [("a*xd?", "like a*?${aws:PrincipalTag/t, 'd?'}"), OTHER]),   # the default's '?' is literal (bug fixed)
    # a pattern without wildcard is a literal value; with known variables its instances use the value
    ([{"StringLike": {K: ["plain", "${aws:username}/*"]}}], {"aws:username": "bob"},
     [("plain", '"plain"'), ("bob/", "like bob/*"), OTHER]),
    # two patterns meeting only in a value holding both fragments: "ab" is like a* and like *b
    ([{"StringLike": {K: "a*"}}, {"StringNotLike": {K: "*b"}}], {},
     [("a", "like a*"), ("ab", "like a*"), ("b", "like *b"), OTHER]),
    # '?' is one character: "q?" is tried with one character filled ("qx"), never with none
    ([{"StringLike": {K: "q?"}}], {}, [("qx", "like q?"), OTHER]),
    # IgnoreCase: one class named by every spelling when none is split; a case-sensitive value splits it
    ([{"StringEqualsIgnoreCase": {K: "Ab"}}], {}, [("Ab", '"Ab" in any case'), OTHER]),
    ([{"StringEqualsIgnoreCase": {K: "Ab"}}, {"StringNotEquals": {K: "ab"}}], {},
     [("ab", '"ab"'), ("Ab", '"Ab" or "AB" or "aB"'), OTHER]),
    # a value with no letters has one spelling
    ([{"StringEqualsIgnoreCase": {K: "42"}}], {}, [("42", '"42"'), OTHER]),
    # "any other value" is a value no policy value names or matches, even when a policy names orgkit's own
    # placeholder or a pattern matches it: then one made of a character no policy value holds
    ([{"StringNotEquals": {K: "orgkit-any-other-value"}}], {},
     [("orgkit-any-other-value", '"orgkit-any-other-value"'), ("~", "any other value")]),
    ([{"StringNotLike": {K: ["orgkit-*", "~*"]}}], {},
     [("orgkit-", "like orgkit-*"), ("~", "like ~*"), ("^", "any other value")]),
    # ... and long enough that a pattern of one wildcard character does not match it
    ([{"StringNotLike": {K: ["orgkit-*", "?"]}}], {},
     [("orgkit-", "like orgkit-*"), ("x", "like ?"), ("~~", "any other value")]),
    # a pattern of wildcards alone matches every value: no other value exists
    ([{"StringLike": {K: "*"}}], {}, [("", "like *")]),
    ([{"BinaryEquals": {K: ["QQ==", "Qg=="]}}], {},
     [("QQ==", "QQ=="), ("Qg==", "Qg=="), ("b3JnaXQtb3RoZXI=", "any other value")]),
    ([{"BinaryEquals": {K: "b3JnaXQtb3RoZXI="}}], {},
     [("b3JnaXQtb3RoZXI=", "b3JnaXQtb3RoZXI="), ("fg==", "any other value")]),   # base64 of "~"
    # a key only read as a policy variable (here in a condition value) is a string key: its other values
    ([{"StringEquals": {"aws:principaltag/o": "${aws:PrincipalTag/k}"}}], {}, [OTHER]),
])
def test_the_string_values_tried_compared_whole(conds, ctx, expected):
    """Every value tried for the key (after ``absent``), in order, with its words."""
    assert _domain(K, _statements(_deny_if(*conds)), ctx) == [ABSENT, *expected]


@pytest.mark.parametrize("cond,allowed,denied,other", [
    ({"StringNotLike": {K: "orgkit-*"}}, "like orgkit-*", "absent or any other value", "abc"),
    ({"StringNotEquals": {K: "orgkit-any-other-value"}}, '"orgkit-any-other-value"',
     'not "orgkit-any-other-value" (or absent)', "abc"),
    ({"BinaryEquals": {K: "b3JnaXQtb3RoZXI="}}, "not b3JnaXQtb3RoZXI= (or absent)", "b3JnaXQtb3RoZXI=", None),
])
def test_a_policy_naming_the_placeholder_still_has_other_values(cond, allowed, denied, other):
    """Bug fixed (issue 22, seed-28 survivor element_reps 185): a policy value equal to orgkit's placeholder for
    "any other value" (or a pattern matching it) removed that class, so a Deny of every other value read as a
    Deny only when the key is absent. Now the other value is one no policy value names or matches."""
    doc = {"Version": "2012-10-17", "Statement": [_deny_if(cond)]}
    d = evaluate([[FULL_AWS_ACCESS, doc]], "s3:GetObject")
    assert (d.decision, d.allowed_when, d.denied_when) == ("conditional", f"{K} is {allowed}", f"{K} is {denied}")
    if other:
        assert evaluate([[FULL_AWS_ACCESS, doc]], "s3:GetObject", context={K: other}).decision == "explicit_deny"


def test_a_resource_pattern_matching_the_placeholder_still_leaves_other_resources():
    sts = _statements({"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:orgkit:::*"})
    assert _domain(RESOURCE, sts) == [("arn:aws:orgkit:::", "like arn:aws:orgkit:::*"),
                                      ("arn:~:~:~:~:~", "any other resource")]
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:orgkit:::*"}]}
    d = evaluate([[FULL_AWS_ACCESS, doc]], "s3:GetObject")
    assert (d.decision, d.allowed_when, d.denied_when) == (
        "conditional", "the resource is like arn:aws:orgkit:::*", "the resource is any other resource")


def test_a_default_with_a_wildcard_character_is_literal_through_evaluate():
    """Bug fixed: ``StringLike "x${aws:PrincipalTag/t, 'd?'}"`` with the tag absent matches exactly ``xd?`` (a
    variable's default replaces it as literal text, like a value); the values tried read the default's ``?`` as a
    wildcard, found no value matching, and answered a sure allow."""
    doc = {"Version": "2012-10-17", "Statement": [_deny_if({"StringLike": {K: "x${aws:PrincipalTag/t, 'd?'}"}})]}
    absent = {"aws:PrincipalTag/t": ABSENT_CTX}
    d = evaluate([[FULL_AWS_ACCESS, doc]], "s3:GetObject", context=absent)
    assert (d.decision, d.allowed_when, d.denied_when) == (
        "conditional", f"{K} is absent or any other value", f"{K} is like x${{aws:PrincipalTag/t, 'd?'}}")
    assert [evaluate([[FULL_AWS_ACCESS, doc]], "s3:GetObject", context={**absent, K: v}).decision
            for v in ("xd?", "xdz")] == ["explicit_deny", "allow"]


def test_an_escaped_question_mark_decides_through_evaluate():
    """``StringEquals "a${?}b"`` denies exactly the value ``a?b``: the answer names it, as written."""
    doc = {"Version": "2012-10-17", "Statement": [_deny_if({"StringEquals": {K: ["a${?}b", "c${*}"]}})]}
    d = evaluate([[FULL_AWS_ACCESS, doc]], "s3:GetObject")
    assert (d.decision, d.allowed_when, d.denied_when) == (
        "conditional", f"{K} is absent or any other value", f'{K} is "a${{?}}b" or "c${{*}}"')
    assert evaluate([[FULL_AWS_ACCESS, doc]], "s3:GetObject", context={K: "a?b"}).decision == "explicit_deny"
    assert evaluate([[FULL_AWS_ACCESS, doc]], "s3:GetObject", context={K: "axb"}).decision == "allow"


# --- numbers and dates: below, at, between and above the policy's points ----------------------------------------

D1, D2 = "2024-01-01T00:00:00+00:00", "2024-01-03T00:00:00+00:00"


@pytest.mark.parametrize("conds,expected", [
    # each class is the first value met and named by every piece it holds
    ([{"NumericLessThan": {K: ["10", "2"]}}],
     [("1", "below 2"), ("2", "= 2 or between 2 and 10"), ("10", "= 10 or above 10")]),
    ([{"NumericGreaterThan": {K: "1.5"}, "NumericLessThan": {K: "3"}}],
     [("0.5", "below 1.5 or = 1.5"), ("2.25", "between 1.5 and 3"), ("3", "= 3 or above 3")]),
    ([{"NumericEquals": {K: ["-4", "0"]}}],
     [("-5", "below -4 or between -4 and 0 or above 0"), ("-4", "= -4"), ("0", "= 0")]),
    ([{"NumericGreaterThanEquals": {K: "7"}}], [("6", "below 7"), ("7", "= 7 or above 7")]),
    ([{"DateGreaterThan": {K: "2024-01-01T00:00:00Z"}, "DateLessThan": {K: "2024-01-03T00:00:00Z"}}],
     [("2023-12-31T00:00:00+00:00", f"below {D1} or = {D1}"), ("2024-01-02T00:00:00+00:00", f"between {D1} and {D2}"),
      (D2, f"= {D2} or above {D2}")]),
    ([{"DateEquals": {K: "2024-01-01T00:00:00Z"}}],
     [("2023-12-31T00:00:00+00:00", f"below {D1} or above {D1}"), (D1, f"= {D1}")]),
])
def test_the_ordered_values_tried_compared_whole(conds, expected):
    assert _domain(K, _statements(_deny_if(*conds))) == [ABSENT, *expected]


# --- the resource, when not given: a value like each pattern, and any other --------------------------------------

@pytest.mark.parametrize("resources,ctx,expected", [
    (["arn:aws:s3:::b/*", "arn:aws:s3:::c"], {},
     [("arn:aws:s3:::b/", "like arn:aws:s3:::b/*"), ("arn:aws:s3:::c", "arn:aws:s3:::c"),
      (OTHER_RESOURCE, "any other resource")]),
    # two patterns meet in a resource holding both fragments
    (["arn:aws:s3:::a*", "arn:aws:s3:::*b"], {},
     [("arn:aws:s3:::a", "like arn:aws:s3:::a*"), ("arn:aws:s3:::ab", "like arn:aws:s3:::a*"),
      ("arn:aws:s3:::b", "like arn:aws:s3:::*b"), (OTHER_RESOURCE, "any other resource")]),
    # region and account wildcards; '?' in the account
    (["arn:aws:ec2:*:11112222333?:instance/*"], {},
     [("arn:aws:ec2::11112222333x:instance/", "like arn:aws:ec2:*:11112222333?:instance/*"),
      (OTHER_RESOURCE, "any other resource")]),
    # a known variable: the pattern as the request sees it, its value literal
    (["arn:aws:s3:::b/${aws:username}/*"], {"aws:username": "a*"},
     [("arn:aws:s3:::b/a*/", "like arn:aws:s3:::b/a*/*"), (OTHER_RESOURCE, "any other resource")]),
    # a pattern whose only special text is a variable, known: one value, the pattern as the request sees it
    (["arn:aws:s3:::${aws:username}"], {"aws:username": "bob"},
     [("arn:aws:s3:::bob", "like arn:aws:s3:::bob"), (OTHER_RESOURCE, "any other resource")]),
    # ${*} is a literal star: the resource tried is the one with a star
    (["arn:aws:s3:::b${*}"], {},
     [("arn:aws:s3:::b*", "like arn:aws:s3:::b${*}"), (OTHER_RESOURCE, "any other resource")]),
    # an unknown variable: every resource's answer waits on the key, one value stands for them all
    (["arn:aws:s3:::b/${aws:username}/*"], {},
     [("arn:aws:s3:::b/x/", "like arn:aws:s3:::b/${aws:username}/*")]),
])
def test_the_resources_tried_compared_whole(resources, ctx, expected):
    sts = _statements({"Effect": "Deny", "Action": "*", "Resource": resources})
    assert _domain(RESOURCE, sts, ctx) == expected


def test_the_resources_tried_for_not_resource():
    sts = _statements({"Effect": "Deny", "Action": "*", "NotResource": ["arn:aws:s3:::keep", "arn:aws:s3:::k?"]})
    assert _domain(RESOURCE, sts) == [("arn:aws:s3:::keep", "arn:aws:s3:::keep"), ("arn:aws:s3:::kx", "like arn:aws:s3:::k?"),
                                      (OTHER_RESOURCE, "any other resource")]


# --- policy variables: replaced when single-valued, not when absent or multivalued -------------------------------

@pytest.mark.parametrize("ctx,expected", [
    ({"aws:username": "bob"}, [("p/", False), ("bob", True), ("/*", False)]),
    ({"aws:username": ["bob"]}, [("p/", False), ("bob", True), ("/*", False)]),
    ({"aws:username": ("bob",)}, [("p/", False), ("bob", True), ("/*", False)]),
    ({"aws:username": 7}, [("p/", False), ("7", True), ("/*", False)]),
    ({"aws:username": ["bob", "eve"]}, VariableNotReplaced),
    ({"aws:username": []}, VariableNotReplaced),
    ({"aws:username": None}, VariableNotReplaced),
    ({}, MissingKey),
])
def test_a_variable_is_replaced_only_by_one_value(ctx, expected):
    if isinstance(expected, list):
        assert substitute("p/${aws:username}/*", ctx) == expected
    else:
        with pytest.raises(expected):
            substitute("p/${aws:username}/*", ctx)


@pytest.mark.parametrize("ctx,expected", [
    ({"aws:username": ["bob", "eve"]}, "d"), ({"aws:username": []}, "d"), ({"aws:username": None}, "d"),
    ({"aws:username": ["bob"]}, "bob"), ({"aws:username": "eve"}, "eve"),
])
def test_a_default_replaces_a_variable_that_cannot_be(ctx, expected):
    assert substitute("${aws:username, 'd'}", ctx) == [(expected, True)]
    assert substitute("${ * }${?}${$}", ctx) == [("*", True), ("?", True), ("$", True)]


@pytest.mark.parametrize("ctx,value,expected", [
    ({"aws:username": ["bob"]}, "arn:aws:s3:::home/bob/x", True),
    ({"aws:username": ["bob", "eve"]}, "arn:aws:s3:::home/bob/x", False),
    ({"aws:username": []}, "arn:aws:s3:::home//x", False),
    ({"aws:username": "b:c"}, "arn:aws:s3:::home/b:c/x", True),
    ({"aws:username": "*"}, "arn:aws:s3:::home/*/x", True),
    ({"aws:username": "*"}, "arn:aws:s3:::home/bob/x", False),
])
def test_arn_matching_with_variables(ctx, value, expected):
    with pytest.raises(MissingKey):
        arn_matches("arn:aws:s3:::home/${aws:username}/*", value, ctx={"aws:principaltag/t": "x"})
    assert arn_matches("arn:aws:s3:::home/${aws:username}/*", value, ctx=ctx) is expected


_I = "arn:aws:ec2:us-east-1:111122223333:instance/"


@pytest.mark.parametrize("pattern,ctx,value,expected", [
    # a '*' ending the region field crosses the colons with a variable in the pattern too (bug fixed: it did not)
    ("arn:aws:ec2:*:instance/${aws:username}", {"aws:username": "bob"}, _I + "bob", True),
    ("arn:aws:ec2:*:instance/bob", None, _I + "bob", True),
    ("arn:aws:ec2:*:instance/${aws:username}", {"aws:username": "eve"}, _I + "bob", False),
    ("arn:aws:ec2:*:${aws:username}", {"aws:username": "instance/bob"}, _I + "bob", True),
    # a value that cannot replace the variable: no match, crossing or not
    ("arn:aws:ec2:*:instance/${aws:username}", {"aws:username": ["bob", "x"]}, _I + "bob", False),
    ("arn:aws:ec2:*:instance/${aws:username}", {"aws:username": None}, _I + "bob", False),
    # without a context the variable is text
    ("arn:aws:ec2:*:instance/${aws:username}", None, _I + "bob", False),
    # a field that does not end with '*' does not cross
    ("arn:aws:ec2:us-*1:instance/${aws:username}", {"aws:username": "bob"}, _I + "bob", False),
])
def test_a_star_ending_a_field_crosses_colons_with_variables(pattern, ctx, value, expected):
    """IAM User Guide, Resource element: "If the * wildcard is the last character of a resource ARN segment, it can
    expand to match beyond the colon boundaries" - whether or not the ARN also holds a policy variable."""
    assert arn_matches(pattern, value, ctx=ctx) is expected


# --- ARN matching: field by field, with and without region and account ------------------------------------------

@pytest.mark.parametrize("pattern,value,expected", [
    ("arn:aws:s3:::b", "arn:aws:s3:::b", True),
    ("arn:aws:s3:::b", "arn:aws:s3:::B", False),                    # case-sensitive
    ("arn:aws:s3:::b", "arn:aws:s3:::b/", False),
    ("arn:aws:s3:::b?", "arn:aws:s3:::b:", True),                   # in the resource part '?' matches ':'
    ("arn:aws:s3:::*", "arn:aws:s3:::a:b/c", True),
    ("arn:aws:s3:::*", "arn:aws:s3:us-east-1::a", False),            # the region field must be empty
    ("arn:aws:s3:*:*:b", "arn:aws:s3:::b", True),                    # '*' matches an empty field
    ("arn:aws:ec2:??-*:*:vpc/*", "arn:aws:ec2:eu-west-1:111122223333:vpc/v", True),
    ("arn:aws:ec2:??-*:*:vpc/*", "arn:aws:ec2:e-west-1:111122223333:vpc/v", False),
    ("arn:aws:ec2:us-east-1:111122223333:*", "arn:aws:ec2:us-east-1:111122223333:a:b", True),
    ("arn:aws:ec2:us-east-1:?:*", "arn:aws:ec2:us-east-1:111122223333:a", False),
    ("arn:aws:iam::*", "arn:aws:iam::111122223333:role/a:b", True),  # ends its field: crosses the colons
    ("arn:aws:iam::1*3:role/x", "arn:aws:iam::111122223333:role/x", True),
    ("arn:aws:iam::1*2:role/x", "arn:aws:iam::111122223333:role/x", False),
    ("arn:*:iam::1:role/x", "arn:aws-cn:iam::1:role/x", True),
    ("arn:aws:*", "arn:aws:s3:::b", True),                           # fewer than six fields: the last takes the rest
    ("arn:aws:s3", "arn:aws:s3:::b", False),
    ("arn:aws:s3:::b", "arn:aws:s3", False),                         # a value with too few fields
    ("not-an-arn", "not-an-arn", True),
    ("not-an-arn", "not-an-arx", False),
    ("*", "", True),
    ("a*", "b:a", False),
    ("arn:aws:s3:::*", "arn:aws:s3:::", True),
])
def test_arn_matches_table(pattern, value, expected):
    assert arn_matches(pattern, value) is expected


def test_arn_matching_is_linear_for_a_hostile_pattern():
    """A 1,200-character pattern (an SCP holds up to 5,120) of 600 stars in the region field and the resource part
    against an 8,000-character ARN that almost matches answers within a small budget (backtracking: hours)."""
    pattern = "arn:aws:s3:" + "a*" * 300 + "b:*:" + "x*" * 300 + "y"
    value = "arn:aws:s3:" + "a" * 4000 + ":1:" + "x" * 4000
    t = time.perf_counter()
    assert arn_matches(pattern, value) is False
    assert arn_matches(pattern, value + "y") is False          # region has no 'b'
    assert arn_matches(pattern, "arn:aws:s3:" + "a" * 4000 + "b:1:" + "x" * 4000 + "y") is True
    assert time.perf_counter() - t < 2


# --- the values of a key that put the request's resource under a pattern using it ------------------------------

@pytest.mark.parametrize("pattern,resource,expected", [
    ("a:${k}/cd", "a:b/cd", ["b", "a", "a:b", "a:b/cd", "b", "b/cd", "cd", "c", "d"]),
    # variable last: the rest of the resource, and its first part
    ("a:${k}", "a:b/cd", ["b/cd", "b", "a", "a:b", "a:b/cd", "b", "b/cd", "cd", "c", "d"]),
    # variable first: up to the text after it
    ("${k}:*", "ab:c", ["ab", "ab", "ab:c", "c", "a", "b"]),
    # the text before it found twice: a piece after each
    ("x/${k}/y", "x/1/y/x/2/y", ["1", "2", "x", "x/1", "x/1/y", "x/1/y/x", "1", "1/y", "1/y/x", "1/y/x/2",
                                 "y", "y/x", "y/x/2", "y/x/2/y", "x", "x/2", "x/2/y", "2", "2/y", "y"]),
    # the text after it not found: nothing between (wildcards bound the literal text around it); then the
    # resource's one part and its prefixes and suffixes
    ("q*-${k}-z", "w-1", ["w-1", "w", "1", "w-", "-1"]),
    # the variable stands for nothing (the texts around it meet)
    ("x${k}y", "xy", ["", "xy", "x", "y"]),
    # variable last and the resource's next part empty: the empty piece too
    ("a:${k}", "a:/x", ["/x", "", "a", "a:", "a:/x", "", "/x", "x"]),
    # the text before it found overlapping itself: each place tried
    ("aa${k}", "aaa", ["a", "", "aaa", "a", "a", "aa", "aa"]),
    # another key's variable before it is passed over, not the end of the search
    ("${j}/a:${k}/cd", "x/a:b/cd", ["b", "x", "x/a", "x/a:b", "x/a:b/cd", "a", "a:b", "a:b/cd", "b", "b/cd", "cd", "c",
                                    "d"]),
    # another key's variable is not cut for
    ("a:${j}/cd", "a:b/cd", ["a", "a:b", "a:b/cd", "b", "b/cd", "cd", "c", "d"]),
])
def test_the_pieces_cut_out_of_the_resource_compared_whole(pattern, resource, expected):
    assert list(_cuts(resource, [pattern], "k")) == expected


def test_runs_of_at_most_four_parts_and_prefixes_up_to_63_characters():
    resource = "p:q:r:s:t"
    runs = [c for c in _cuts(resource, [], "k")]
    assert runs == ["p", "p:q", "p:q:r", "p:q:r:s", "q", "q:r", "q:r:s", "q:r:s:t", "r", "r:s", "r:s:t", "s", "s:t",
                    "t"]
    long = "z" * 70
    cuts = list(_cuts(long, [], "k"))
    assert cuts[0] == long and len(cuts) == 1 + 2 * 63
    assert cuts[1:5] == ["z", "z", "zz", "zz"] and cuts[-1] == "z" * 63


def _deny_get(pattern, key="Resource"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject", key: pattern}]}


SUCH = 'one that makes the Resource pattern match the request (such as "{}")'


@pytest.mark.parametrize("pattern,key,resource,expected", [
    ("arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "Resource", "arn:aws:s3:::b/red/x", [("red", '"red"')]),
    # every prefix of the rest works: one example, said so
    ("arn:aws:s3:::b/${aws:PrincipalTag/team}*", "Resource", "arn:aws:s3:::b/red/x",
     [("red/x", SUCH.format("red/x"))]),
    # the variable stands for the empty string (region and account given, so no empty field elsewhere)
    ("arn:aws:s3:us-east-1:111122223333:b/x${aws:PrincipalTag/team}y", "Resource",
     "arn:aws:s3:us-east-1:111122223333:b/xy", [("", '""')]),
    ("arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "NotResource", "arn:aws:s3:::b/blue/x", [("blue", '"blue"')]),
    # the resource is under no value of the pattern
    ("arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "Resource", "arn:aws:s3:::c/red/x", []),
    ("arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "Resource", "*", []),
    ("arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "Resource", "", []),
    # more than MAX_RESOURCE_CUTS pieces: the first 256 tried, what they found kept
    ("arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "Resource",
     "arn:aws:s3:::b/red/" + "/".join(f"p{i}" for i in range(100)), [("red", SUCH.format("red"))]),  # red/p0 too
    ("arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "Resource", None, []),
    # a pattern without the key's variable
    ("arn:aws:s3:::b/${aws:username}/*", "Resource", "arn:aws:s3:::b/red/x", []),
])
def test_the_values_that_put_the_resource_under_the_pattern(pattern, key, resource, expected):
    sts = compile_policy(_deny_get(pattern, key)).statements
    got = resource_values("aws:principaltag/team", sts, {}, resource)
    assert [(r.value, r.label) for r in got] == expected


def test_a_variable_standing_for_nothing_decides_through_evaluate():
    """Deny on ``b/x${team}y``, request on ``b/xy``: denied exactly when the tag is the empty string."""
    pattern = "arn:aws:s3:us-east-1:111122223333:b/x${aws:PrincipalTag/team}y"
    resource = "arn:aws:s3:us-east-1:111122223333:b/xy"
    d = evaluate([[FULL_AWS_ACCESS, _deny_get(pattern)]], "s3:GetObject", resource=resource)
    k = "aws:PrincipalTag/team"  # spelt as the policy writes it
    assert (d.decision, d.allowed_when, d.denied_when) == ("conditional", f'{k} is not "" (or absent)', f'{k} is ""')
    assert evaluate([[FULL_AWS_ACCESS, _deny_get(pattern)]], "s3:GetObject", resource=resource,
                    context={"aws:PrincipalTag/team": ""}).decision == "explicit_deny"


# --- the words for a set of values -------------------------------------------------------------------------------

_A, _B, _C, _D = (Rep(v, f'"{v}"') for v in "abcd")
_O = Rep(OTHER_VALUE, "any other value")
_L = Rep("x", "like x*")
_R1, _R2, _OR = Rep("r1", "r1"), Rep("r2", "r2"), Rep(OTHER_RESOURCE, "any other resource")
_H, _N = Rep(True, "holds"), Rep(False, "does not hold")
DOM = [ABSENT_REP, _A, _B, _O]
DOM7 = [ABSENT_REP, _A, _B, _C, _D, _L, _O]


@pytest.mark.parametrize("key,reps,domain,display,expected", [
    ("k", DOM, DOM, None, "k is anything"),
    ("k", [_A], DOM, None, 'k is "a"'),
    ("k", [ABSENT_REP, _B, _O], DOM, None, 'k is not "a" (or absent)'),
    ("k", [_B, _O], DOM, None, 'k is "b" or any other value'),           # absent left out: not said "not"
    ("k", [ABSENT_REP, _A], DOM, None, 'k is absent or "a"'),            # as many left as named
    ("k", [_A, _B, _O], DOM, None, 'k is "a" or "b" or any other value'),  # only absent left: not said "not"
    # three left, one a pattern's instance: not said "not" (a pattern's other values would be read as excluded)
    ("k", [ABSENT_REP, _A, _B, _C], DOM7, "K", 'K is absent or "a" or "b" or "c"'),
    # "any other value" left out: never said "not" (the short form only when every value left out is one a policy
    # names)
    ("k", [ABSENT_REP, _A, _B, _C, _L], DOM7, "K", 'K is absent or "a" or "b" or "c" or like x*'),
    ("k", [_A, _B, _C, _L, _O], DOM7, None, 'k is "a" or "b" or "c" or like x* or any other value'),
    ("k", [ABSENT_REP, _A, _B, _C, _O], DOM7, "Key", 'Key is absent or "a" or "b" or "c" or any other value'),
    ("k", [_A, _B, _C, _D, _O], [ABSENT_REP, _A, _B, _C, _D, _L, _O, Rep("e", '"e"'), Rep("f", '"f"')], None,
     'k is "a" or "b" or "c" or "d" or any other value'),              # four left: too many to say "not"
    ("k", [_A, _B, _C, _D, _O], [ABSENT_REP, _A, _B, _C, _D, _O, Rep("e", '"e"'), Rep("f", '"f"')], None,
     'k is "a" or "b" or "c" or "d" or any other value'),
    ("k", [_A, _B, _C, _D, _O], [_A, _B, _C, _D, _O, Rep("e", '"e"'), Rep("f", '"f"')], None,
     'k is not "e" or "f"'),
    (RESOURCE, [Rep("arn:aws:s3:::b", "arn:aws:s3:::b")],
     [Rep("arn:aws:s3:::b", "arn:aws:s3:::b"), Rep(OTHER_RESOURCE, "any other resource")], None,
     "the resource is arn:aws:s3:::b"),
    (RESOURCE, [_R1, _R2], [_R1, _R2, _OR], "ignored", "the resource is r1 or r2"),
    (RESOURCE, [_R1, ABSENT_REP], [_R1, ABSENT_REP, _R2], None, "the resource is not r2"),  # never "(or absent)"
    ("unknown operator StringFoo", [_H, _N], [_H, _N, ABSENT_REP], None,
     "unknown operator StringFoo holds or does not hold"),
    ("unknown operator StringFoo", [Rep(True, "holds"), Rep(True, "holds")],
     [Rep(True, "holds"), Rep(True, "holds"), Rep(False, "does not hold")], None, "unknown operator StringFoo holds"),
    ("k", [_A, Rep("a2", '"a"')], [ABSENT_REP, _A, Rep("a2", '"a"'), _B, _C, _D, _O], None, 'k is "a"'),
])
def test_the_words_for_a_set_of_values(key, reps, domain, display, expected):
    assert describe_values(key, reps, domain, display) == expected


def test_the_fresh_other_value_is_never_said_not():
    """When a policy names orgkit's placeholder, "any other value" is a fresh value; left out of a set, it is named
    by the values kept, never as "is not any other value" (which says nothing)."""
    other = Rep("~", "any other value")
    dom = [ABSENT_REP, Rep(OTHER_VALUE, f'"{OTHER_VALUE}"'), _A, other]
    assert describe_values("k", [ABSENT_REP, Rep(OTHER_VALUE, f'"{OTHER_VALUE}"'), _A], dom, None) == \
        f'k is absent or "{OTHER_VALUE}" or "a"'


def test_the_sets_tried_for_a_multi_valued_key_past_max_set_elements():
    """Seed-29 mutants ``_sets`` 20 and 30: past MAX_SET_ELEMENTS (6) values, a multi-valued key (aws:TagKeys)
    takes each value alone, each pair, then all of them together; at the bound every non-empty set."""
    from itertools import combinations

    from orgkit.scp.partition import MAX_SET_ELEMENTS

    assert MAX_SET_ELEMENTS == 6
    other = ("orgkit-any-other-value", "any other value")

    def sets(values, sizes):
        elems = [(v, f'"{v}"') for v in values] + [other]
        return [([v for v, _ in c], "{" + ", ".join(w for _, w in c) + "}") for k in sizes for c in combinations(elems, k)]

    def tag_keys(values):
        return _domain("aws:tagkeys", _statements(_deny_if({"ForAnyValue:StringEquals": {"aws:TagKeys": values}})))

    seven = tag_keys(list("abcdef"))   # six values and any other value: 7 elements
    assert seven == [ABSENT, *sets("abcdef", (1, 2, 7))]
    assert len(seven) == 1 + 7 + 21 + 1
    assert seven[-1] == (["a", "b", "c", "d", "e", "f", "orgkit-any-other-value"],
                         '{"a", "b", "c", "d", "e", "f", any other value}')
    six = tag_keys(list("abcde"))      # five values and any other value: every non-empty set
    assert six == [ABSENT, *sets("abcde", range(1, 7))] and len(six) == 1 + 63
