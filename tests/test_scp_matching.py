"""Property and table tests for action globbing, ARN matching and policy variables."""

from fnmatch import fnmatchcase

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgkit.scp.matching import (
    MissingKey,
    Unknown,
    action_matches,
    arn_matches,
    glob_matches,
    t_and,
    t_not,
    t_or,
)

# characters that are neither wildcards nor fnmatch's special [ ]
plain = st.text(alphabet=st.characters(blacklist_characters="*?[]!", blacklist_categories=("Cs",)), max_size=12)
pattern_chars = st.text(alphabet=st.sampled_from(list("ab:/-*?")), max_size=10)
value_chars = st.text(alphabet=st.sampled_from(list("ab:/-")), max_size=10)
segment = st.text(alphabet=st.sampled_from(list("abc-1/")), min_size=0, max_size=6)
seg_pattern = st.text(alphabet=st.sampled_from(list("abc-1/*?")), min_size=0, max_size=6)


@settings(max_examples=150, deadline=None)
@given(pattern_chars, value_chars)
def test_glob_agrees_with_fnmatch(p, v):
    # fnmatchcase has the same * and ? semantics when no [ ] appear
    assert glob_matches(p, v) == fnmatchcase(v, p)


@settings(max_examples=200, deadline=None)
@given(plain, st.lists(st.integers(0, 12), max_size=3))
def test_star_replacing_any_substring_still_matches(s, cuts):
    # replace random slices with '*': the original string always matches
    p = s
    for c in cuts:
        i = min(c, len(p))
        j = min(i + 2, len(p))
        p = p[:i] + "*" + p[j:]
    assert glob_matches(p, s)


@settings(max_examples=200, deadline=None)
@given(plain)
def test_question_mark_is_exactly_one_character(s):
    assert glob_matches("?" * len(s), s)
    assert not glob_matches("?" * (len(s) + 1), s)
    if s:
        assert not glob_matches("?" * (len(s) - 1), s)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefXYZ09", min_size=1, max_size=8), st.text(alphabet="abcdefXYZ09", min_size=1, max_size=12))
def test_actions_are_case_insensitive(svc, name):
    a = f"{svc}:{name}"
    assert action_matches(a.upper(), a.lower())
    assert action_matches(a.lower(), a.swapcase())
    assert action_matches(f"{svc.upper()}:*", a)


@pytest.mark.parametrize(
    "pattern,action,expected",
    [
        ("s3:Get*", "s3:GetObject", True),
        ("s3:Get*", "s3:PutObject", False),
        ("*:Describe*", "ec2:DescribeInstances", True),
        ("iam:?etUser", "iam:GetUser", True),
        ("iam:?etUser", "iam:SetUser", True),
        ("iam:?etUser", "iam:ResetUser", False),
        ("ec2:*Instances", "ec2:RunInstances", True),
        ("*", "anything:AtAll", True),
        ("s3:*", "s3express:CreateSession", False),  # the service prefix is matched whole
        ("cloudtrail:StopLogging", "CloudTrail:stoplogging", True),
    ],
)
def test_action_table(pattern, action, expected):
    assert action_matches(pattern, action) is expected


def _arn(parts):
    return ":".join(parts)


@settings(max_examples=150, deadline=None)
@given(st.lists(seg_pattern, min_size=5, max_size=5), seg_pattern,
       st.lists(segment, min_size=5, max_size=5), st.text(alphabet=st.sampled_from(list("abc-1/:*")), max_size=8))
def test_arn_matches_segment_by_segment(pat5, pres, val5, vres):
    pattern = _arn(pat5 + [pres])
    value = _arn(val5 + [vres])
    if pattern == "*":
        return
    expected = all(fnmatchcase(v, p) for p, v in zip(pat5, val5)) and fnmatchcase(vres, pres)
    assert arn_matches(pattern, value) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(segment.filter(bool), min_size=5, max_size=5), st.text(alphabet="ab:/", min_size=1, max_size=10))
def test_star_never_crosses_the_first_five_colons(val5, res):
    value = _arn(val5 + [res])
    # a '*' that ends a field may expand beyond the colon (IAM User Guide, "Using wildcards in resource ARNs");
    # a '?' matches one character and never a colon
    plain_res = res.replace(":", "")
    if plain_res:
        assert arn_matches(_arn(val5[:3] + ["*", plain_res]), _arn(val5 + [plain_res]))
        assert not arn_matches(_arn(val5[:3] + ["?", plain_res]), _arn(val5 + [plain_res]))
    # but inside the resource part '*' crosses ':' and '/'
    assert arn_matches(_arn(val5 + ["*"]), value)
    assert arn_matches(_arn(["*"] * 5 + ["*"]), value)


def test_arn_table():
    assert arn_matches("arn:aws:iam::*:root", "arn:aws:iam::123456789012:root")
    assert not arn_matches("arn:aws:iam::*:root", "arn:aws:iam::123456789012:role/root")
    assert arn_matches("arn:aws:iam::*:role/Admin*", "arn:aws:iam::123456789012:role/AdminTeam")
    assert arn_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c")
    assert not arn_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::Bucket/a")  # case-sensitive
    assert not arn_matches("arn:aws:ec2:*:123456789012:instance/*", "arn:aws:ec2:us-east-1:999999999999:instance/i-1")
    # a '*' that ends the region field expands beyond the colon into the account field (documented by AWS)
    assert arn_matches("arn:aws:ec2:*:instance/*", "arn:aws:ec2:us-east-1:123456789012:instance/i-1")
    # one that does not end its field stays inside it
    assert not arn_matches("arn:aws:ec2:us-*1:instance/*", "arn:aws:ec2:us-east-1:123456789012:instance/i-1")
    assert arn_matches("*", "not even an arn")


def test_policy_variables():
    ctx = {"aws:principalaccount": "123456789012", "aws:username": "a*b"}
    assert arn_matches("arn:aws:s3:::${aws:PrincipalAccount}-logs/*", "arn:aws:s3:::123456789012-logs/x", ctx=ctx)
    assert not arn_matches("arn:aws:s3:::${aws:PrincipalAccount}-logs/*", "arn:aws:s3:::999999999999-logs/x", ctx=ctx)
    # a substituted value is literal: its '*' is not a wildcard
    assert glob_matches("home/${aws:username}", "home/a*b", ctx=ctx)
    assert not glob_matches("home/${aws:username}", "home/axxb", ctx=ctx)
    # ${*} ${?} ${$} are the literal characters
    assert glob_matches("a${*}b", "a*b", ctx={})
    assert not glob_matches("a${*}b", "axb", ctx={})
    assert glob_matches("a${?}b", "a?b", ctx={})
    assert glob_matches("cost${$}", "cost$", ctx={})
    # defaults apply when the key is absent; an unknown key is reported
    assert glob_matches("${aws:username, 'nobody'}", "nobody", ctx={"aws:username": None})
    with pytest.raises(MissingKey) as e:
        glob_matches("${aws:PrincipalTag/team}", "x", ctx={})
    assert e.value.key == "aws:principaltag/team"
    # a key absent from the request (or multi-valued) cannot be replaced: the element matches nothing
    assert not glob_matches("${aws:username}", "", ctx={"aws:username": None})
    assert not glob_matches("*${aws:username}*", "anything", ctx={"aws:username": None})
    assert not arn_matches("arn:aws:s3:::${aws:username}/*", "arn:aws:s3:::x/y", ctx={"aws:username": ["a", "b"]})


def test_three_valued_logic():
    u = Unknown(frozenset({"k"}), frozenset({"k"}))
    assert t_and(True, u) == u and t_and(False, u) is False and t_and(True, True) is True
    assert t_or(False, u) == u and t_or(True, u) is True and t_or(False, False) is False
    assert t_not(u) == u and t_not(True) is False
    with pytest.raises(TypeError):
        bool(u)


def test_an_empty_quoted_default_is_the_empty_string():
    """issue 22: ``${key, ''}`` (IAM User Guide, "Specifying default values": the default in single quotes after a
    comma and space) replaces an absent key by the empty string, not by the two quotes."""
    from orgkit.scp.matching import substitute_plain

    absent = {"aws:principaltag/team": None}
    assert substitute_plain("x-${aws:PrincipalTag/team, ''}-y", absent) == "x--y"
    assert substitute_plain("x-${aws:PrincipalTag/team, 'ops'}-y", absent) == "x-ops-y"
    assert glob_matches("team/${aws:PrincipalTag/team, ''}", "team/", ctx=absent)
    assert not glob_matches("team/${aws:PrincipalTag/team, ''}", "team/''", ctx=absent)
