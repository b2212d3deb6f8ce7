"""Issue 17, point 2: wildcard matching in time linear in pattern x value, with exactly the old meaning.

The reference below is the matcher as it was before (plain ``.*`` regexes, which backtrack: a pattern with k
stars costs O(n^k)); on small inputs it is the specification the linear matcher must agree with."""

import json
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgkit.scp.conditions import evaluate_condition_block
from orgkit.scp.matching import (
    MissingKey,
    VariableNotReplaced,
    _crossing_regex,
    action_matches,
    arn_matches,
    glob_matches,
    iter_variables,
    substitute,
    variable_keys,
)

# ---------------------------------------------------------------------------------------------------------------
# the reference: the regexes orgkit built before issue 17 (copied verbatim in meaning)


def _ref_pieces_to_regex(pieces):
    parts = []
    for piece, literal in pieces:
        if literal:
            parts.append(re.escape(piece))
            continue
        for ch in piece:
            parts.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return "".join(parts)


def ref_glob(pattern, value, ignore_case=False, ctx=None):
    flags = (re.IGNORECASE if ignore_case else 0) | re.DOTALL
    if ctx is not None and "${" in pattern:
        try:
            pieces = substitute(pattern, ctx)
        except VariableNotReplaced:
            return False
        return re.fullmatch(_ref_pieces_to_regex(pieces), value, flags) is not None
    return re.fullmatch(_ref_pieces_to_regex([(pattern, False)]), value, flags) is not None


def _ref_crossing(pattern):
    segs = pattern.split(":")
    if not any(seg.endswith("*") for seg in segs[:5]):
        return None
    parts = []
    for i, seg in enumerate(segs):
        out = []
        for j, ch in enumerate(seg):
            if ch == "*":
                out.append(".*" if (j == len(seg) - 1 or i >= 5) else "[^:]*")
            elif ch == "?":
                out.append("." if i >= 5 else "[^:]")
            else:
                out.append(re.escape(ch))
        parts.append("".join(out))
    return re.compile(":".join(parts), re.DOTALL)


def _ref_var_regs(pattern, ctx):
    try:
        pieces = substitute(pattern, ctx)
    except VariableNotReplaced:
        return None
    segs = [[]]
    for piece, literal in pieces:
        if literal:
            segs[-1].append((piece, True))
            continue
        for i, c in enumerate(piece.split(":")):
            if i:
                if len(segs) < 6:
                    segs.append([])
                else:
                    segs[-1].append((":", True))
            if c:
                segs[-1].append((c, False))
    return [re.compile(_ref_pieces_to_regex(s), re.DOTALL) for s in segs]


def ref_arn(pattern, value, ctx=None):
    if pattern == "*":
        return True
    if ctx is not None and "${" in pattern:
        regs = _ref_var_regs(pattern, ctx)
        if regs is None:
            return False
    else:
        regs = [re.compile(_ref_pieces_to_regex([(s, False)]), re.DOTALL) for s in pattern.split(":", 5)]
    vsegs = value.split(":", 5)
    if len(vsegs) >= len(regs):
        if len(regs) < 6 and len(vsegs) > len(regs):
            vsegs = vsegs[: len(regs) - 1] + [":".join(vsegs[len(regs) - 1 :])]
        if all(r.fullmatch(v) is not None for r, v in zip(regs, vsegs)):
            return True
    crossing = _ref_crossing(pattern) if "${" not in pattern else None
    return crossing is not None and crossing.fullmatch(value) is not None


def _both(fn, *args, **kw):
    """(answer, exception type) so that 'raises MissingKey' is compared too."""
    try:
        return fn(*args, **kw), None
    except MissingKey as e:
        return None, ("MissingKey", e.key)


# ---------------------------------------------------------------------------------------------------------------
# agreement with the reference on small inputs

# letters whose case folding differs between str.lower() and re.IGNORECASE (long s, Kelvin sign, dotted/dotless i)
_CASE = list("aAbBsSkKiI") + ["\u017f", "\u212a", "\u0130", "\u0131", "\n"]
glob_pat = st.text(alphabet=st.sampled_from(["a", "b", "*", "?", "\n", "."]), max_size=12)
glob_val = st.text(alphabet=st.sampled_from(["a", "b", "\n", "."]), max_size=12)
action_pat = st.text(alphabet=st.sampled_from(_CASE + ["*", "?", ":"]), max_size=10)
action_val = st.text(alphabet=st.sampled_from(_CASE + [":"]), max_size=10)
arn_pat = st.text(alphabet=st.sampled_from(list("ab:*?/")), max_size=16)
arn_val = st.text(alphabet=st.sampled_from(list("ab:/")), max_size=14)


@settings(max_examples=1500, deadline=None)
@given(glob_pat, glob_val)
def test_glob_agrees_with_reference(p, v):
    assert glob_matches(p, v) == ref_glob(p, v)


@settings(max_examples=1500, deadline=None)
@given(action_pat, action_val)
def test_actions_agree_with_reference(p, v):
    assert action_matches(p, v) == ref_glob(p, v, ignore_case=True)


@settings(max_examples=1200, deadline=None)
@given(arn_pat, arn_val)
def test_arns_agree_with_reference(p, v):
    assert arn_matches(p, v) == ref_arn(p, v)


@settings(max_examples=1200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab*?")), max_size=4), min_size=1, max_size=8),
       st.lists(st.text(alphabet=st.sampled_from(list("ab/")), max_size=4), min_size=1, max_size=9))
def test_crossing_arns_agree_with_reference(pfields, vfields):
    # field-structured inputs, so that the crossing rule (a '*' ending one of the first five fields) is met often
    p, v = ":".join(pfields), ":".join(vfields)
    assert arn_matches(p, v) == ref_arn(p, v)
    ref = _ref_crossing(p)
    new = _crossing_regex(p)
    assert (ref is None) == (new is None)
    if ref is not None:
        assert (new.fullmatch(v) is not None) == (ref.fullmatch(v) is not None), (p, v, new.pattern)


_VARS = ["${k}", "${K}", "${m}", "${*}", "${?}", "${$}", "${k, 'd*'}", "${absent}", "${absent,'a:b'}", "${multi}"]
var_pat = st.lists(st.sampled_from(list("ab:*?/") + _VARS), max_size=10).map("".join)
_CTX = {"k": "a*:b", "m": "?", "absent": None, "multi": ["a", "b"]}


@settings(max_examples=800, deadline=None)
@given(var_pat, arn_val, st.booleans())
def test_variables_agree_with_reference(p, v, with_m):
    ctx = dict(_CTX) if with_m else {k: x for k, x in _CTX.items() if k != "m"}
    assert _both(glob_matches, p, v, ctx=ctx) == _both(ref_glob, p, v, ctx=ctx)
    assert _both(arn_matches, p, v, ctx=ctx) == _both(ref_arn, p, v, ctx=ctx)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab*?")), max_size=6), min_size=1, max_size=3), glob_val,
       st.sampled_from(["StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ForAnyValue:StringLike"]))
def test_like_operators_agree_with_reference(pats, v, op):
    ref = ref_arn if op.startswith("Arn") else ref_glob
    hit = any(ref(p, v) for p in pats)
    got = evaluate_condition_block({op: {"aws:SourceArn": pats}}, {"aws:sourcearn": v})
    assert got is ((not hit) if "Not" in op else hit)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("${}ab,'")), max_size=14))
def test_variable_scan_agrees_with_finditer(text):
    ref = re.compile(r"\$\{([^}]*)\}")
    assert [m.span() for m in iter_variables(text)] == [m.span() for m in ref.finditer(text)]


# ---------------------------------------------------------------------------------------------------------------
# adversarial patterns: the old matcher takes seconds to minutes on each (measured in the issue and in
# BENCHMARKS.md, "Wildcard matching"); the linear one must answer well within a generous budget on this loaded machine

BUDGET = 2.0
STARS = "*a" * 12 + "*b"  # 12+ stars, no 'b' in the value: every cut of the value is tried by a backtracking matcher
VALUE40 = "a" * 40

ADVERSARIAL = [
    ("resource", lambda: arn_matches("arn:aws:s3:::" + "a*" * 12 + "b", "arn:aws:s3:::" + VALUE40)),
    ("resource long", lambda: arn_matches("arn:aws:s3:::" + "a*" * 200 + "b", "arn:aws:s3:::" + "a" * 3000)),
    ("action", lambda: action_matches(STARS, VALUE40)),
    ("action with service", lambda: action_matches("s3:" + STARS, "s3:" + VALUE40)),
    ("StringLike", lambda: glob_matches(STARS, VALUE40)),
    ("StringLike ignore case", lambda: glob_matches(STARS.upper(), VALUE40, ignore_case=True)),
    ("StringLike with variables", lambda: glob_matches("${k}" + STARS, "x" + VALUE40, ctx={"k": "x"})),
    ("ArnLike crossing", lambda: arn_matches("arn:aws:iam:" + "a*" * 12 + ":b*:c", "arn:aws:iam:" + VALUE40 + ":b:" + "a:" * 20)),
    ("ArnLike crossing in every field", lambda: arn_matches("a*a*a*:a*a*a*:a*a*a*:a*a*a*:a*a*a*:a*a*a*a*a*a*b",
                                                            ":".join(["a" * 40] * 8))),
    ("crossing colons", lambda: arn_matches("arn:*:*:*:*:" + "*:" * 12 + "b", "arn:" + ":" * 40)),
    ("ArnLike with variables", lambda: arn_matches("arn:aws:s3:::${k}" + "a*" * 12 + "b", "arn:aws:s3:::x" + VALUE40,
                                                   ctx={"k": "x"})),
    ("variables without end", lambda: variable_keys("${" * 20000)),
]


@pytest.mark.parametrize("name,call", ADVERSARIAL, ids=[n for n, _ in ADVERSARIAL])
def test_adversarial_patterns_answer_within_budget(name, call):
    t0 = time.perf_counter()
    out = call()
    took = time.perf_counter() - t0
    assert out in (False, frozenset()), name  # none of them matches (or names a key)
    assert took < BUDGET, f"{name}: {took:.2f} s"


def test_adversarial_answers_are_right_when_they_match():
    # the same shapes, made to match: the linear matcher still finds the match
    assert arn_matches("arn:aws:s3:::" + "a*" * 12 + "b", "arn:aws:s3:::" + VALUE40 + "b")
    assert action_matches(STARS, VALUE40 + "b")
    assert glob_matches(STARS.upper(), VALUE40 + "b", ignore_case=True)
    assert arn_matches("arn:aws:iam:" + "a*" * 12 + ":b*:c", "arn:aws:iam:" + VALUE40 + ":b:" + "a:" * 20 + "c")


# ---------------------------------------------------------------------------------------------------------------
# through the commands users run: a snapshot (and a Terraform plan) carrying such a policy

A40 = "a" * 40
ADVERSARIAL_SCP = {"Version": "2012-10-17", "Statement": [
    # AWS accepts every one of these (each far under the 5,120-character SCP limit)
    {"Sid": "Action", "Effect": "Deny", "Action": "*a" * 6 + ":" + "*a" * 6 + "*b", "Resource": "*"},
    {"Sid": "Resource", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "a*" * 12 + "b"},
    {"Sid": "Principal", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "guardduty:DeleteDetector"],
     "Resource": "*",
     "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/" + "a*" * 12 + "b"},
                   "StringNotLike": {"aws:PrincipalArn": "*a" * 12 + "*b"}}},
]}
BENIGN_SCP = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Leave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
MEMBER = "222222222222"


def _snapshot(tmp_path, document):
    from orgkit.testing import SnapshotSpec

    sb = SnapshotSpec(regions=["us-east-1"])
    ou = sb.ou("Workloads")
    sb.account("App", parent=ou, account_id=MEMBER)
    pid = sb.policy("Guard", document, targets=[ou])
    sb.trail(sb.management, "org", organization=True)
    return sb.write(tmp_path / "snap"), pid


def _cli(argv, capsys):
    """``orgkit ARGV`` in this process: (exit status, stdout, stderr, CPU seconds). CPU time, not wall time: the
    machine is shared, and what is measured is the work, which the old matcher made exponential."""
    from orgkit.cli import main

    capsys.readouterr()
    t0 = time.process_time()
    rc = main([str(a) for a in argv])
    took = time.process_time() - t0
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return rc, out, err, took


def _decision(out, account=MEMBER):
    return next(r["decision"] for r in json.loads(out) if r["account_id"] == account)


@pytest.fixture(scope="module")
def _catalog_loaded():
    from orgkit.scp.catalog import default_catalog

    default_catalog()  # loaded once per process; not part of what is timed


def test_scp_can_answers_adversarial_policies_within_budget(tmp_path, capsys, _catalog_loaded):
    path, _ = _snapshot(tmp_path, ADVERSARIAL_SCP)
    cases = [
        # the principal ArnNotLike/StringNotLike exception does not match a role of 40 a's: denied
        (["scp", "can", "cloudtrail:StopLogging", path, "--principal", "role/" + A40], "explicit_deny"),
        # ... and matches one that ends with b: allowed
        (["scp", "can", "cloudtrail:StopLogging", path, "--principal", "role/" + A40 + "b"], "allow"),
        (["scp", "can", "s3:GetObject", path, "--resource", "arn:aws:s3:::" + A40], "allow"),
        (["scp", "can", "s3:GetObject", path, "--resource", "arn:aws:s3:::" + A40 + "b"], "explicit_deny"),
        (["scp", "can", "a" * 20 + ":" + "a" * 20, path, "--allow-unknown-action"], "allow"),
        (["scp", "can", "a" * 20 + ":" + "a" * 20 + "b", path, "--allow-unknown-action"], "explicit_deny"),
    ]
    for argv, decision in cases:
        rc, out, err, took = _cli([*argv, "--format", "json"], capsys)
        assert rc == 0, err
        assert _decision(out) == decision, argv
        assert took < BUDGET, (argv, took)


def test_scp_tamper_answers_adversarial_policies_within_budget(tmp_path, capsys, _catalog_loaded):
    path, _ = _snapshot(tmp_path, ADVERSARIAL_SCP)
    for role, decision in (("role/" + A40, "explicit_deny"), ("role/" + A40 + "b", "allow")):
        rc, out, err, took = _cli(["scp", "tamper", path, "--principal", role, "--format", "json"], capsys)
        assert rc == 0, err
        row = next(r for r in json.loads(out) if r["account_id"] == MEMBER)
        assert row["cloudtrail:StopLogging"] == row["guardduty:DeleteDetector"] == decision, row
        assert took < BUDGET, (role, took)


def test_diff_terraform_plan_answers_adversarial_policies_within_budget(tmp_path, capsys, _catalog_loaded):
    """A pull request whose plan edits an SCP into the adversarial one: the review answers, and truly (the edit
    takes the deny on LeaveOrganization away and adds the principal deny)."""
    path, pid = _snapshot(tmp_path, BENIGN_SCP)
    before = {"id": pid, "name": "Guard", "content": json.dumps(BENIGN_SCP), "type": "SERVICE_CONTROL_POLICY"}
    change = {"address": "aws_organizations_policy.guard", "mode": "managed", "type": "aws_organizations_policy",
              "name": "guard", "provider_name": "registry.terraform.io/hashicorp/aws",
              "change": {"actions": ["update"], "before": before,
                         "after": dict(before, content=json.dumps(ADVERSARIAL_SCP)), "after_unknown": {}}}
    plan = {"format_version": "1.2", "terraform_version": "1.9.8", "variables": {}, "resource_changes": [change],
            "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": []}}},
            "configuration": {"root_module": {"resources": []}}}
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(plan))
    rc, out, err, took = _cli(["diff", path, "--terraform-plan", plan_path, "--principal", "role/" + A40,
                               "--format", "json"], capsys)
    assert rc == 0, err
    rows = json.loads(out)
    assert any(r["kind"] == "scp_edited" and r["policy_id"] == pid for r in rows)
    tamper = {(r["action"], r["after"]) for r in rows if r["kind"] == "tamper" and r["account_id"] == MEMBER}
    assert ("organizations:LeaveOrganization", "allow") in tamper
    assert ("cloudtrail:StopLogging", "explicit_deny") in tamper
    assert took < BUDGET, took


# ---------------------------------------------------------------------------------------------------------------
# other regexes over text a plan's author chooses


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("[]\nab.")), max_size=14))
def test_terraform_instance_key_strip_agrees_with_the_regex(res):
    from orgkit.diff.terraform import _strip_index

    assert _strip_index(res) == re.sub(r"\[[^\]]*\]$", "", res)


def test_terraform_address_with_adversarial_keys_is_split_within_budget():
    # an instance key of 50,000 '[' (for_each keys are the plan author's strings): the old regex took ~90 s
    from orgkit.diff.terraform import Resolver

    for address in ("module.a" + "[" * 50000, "aws_organizations_policy.p" + "module.a[" * 50000,
                    'module.m["x"].aws_organizations_policy.p["' + "[" * 50000 + '"]'):
        t0 = time.process_time()
        prefix, res = Resolver._split(address)
        assert time.process_time() - t0 < BUDGET
        assert prefix + res == address or res.startswith("aws_organizations_policy.p")
    assert Resolver._split('module.m["x"].aws_organizations_policy.p["k"]') == ('module.m["x"].',
                                                                              "aws_organizations_policy.p")
