"""issue 22: the parts of the Terraform-plan reader compared whole (orgkit/diff/terraform.py): ``read_plan``'s
refusals, the ``Resolver``'s answer for each kind of reference, ``_plan_rcp``'s planned RCPs and notes,
``rebuild``'s frames and graph, and ``diff_plan``'s change frame (every column) and summary. ``plan_org`` itself
is tested in tests/test_diff_terraform.py and tests/test_diff_plan_org.py."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_diff import R, _whole
from test_diff_terraform import DENY_LEAVE, PROTECT, RCP_DENY_S3, cfg, plan, rc

from orgkit.diff import PlanError, diff_plan, read_plan, summary, summary_line
from orgkit.diff.terraform import RCP_FULL, Plan, Resolver, _plan_rcp, rebuild
from orgkit.model import FRAMES
from orgkit.testing import SnapshotSpec

P, O, A, AT = ("aws_organizations_policy", "aws_organizations_organizational_unit", "aws_organizations_account",
               "aws_organizations_policy_attachment")
NEW = "(after apply) "
FEW = ["organizations:LeaveOrganization", "cloudtrail:StopLogging", "cloudtrail:DeleteTrail"]


# ---------------------------------------------------------------------------------------------------- read_plan
HINT = "give the output of `terraform show -json PLANFILE`"


@pytest.mark.parametrize("text,message", [
    ("", "not JSON (Expecting value: line 1 column 1 (char 0)); {hint}, not the binary plan file"),
    ("[1, 2]", "not a Terraform JSON plan (expected an object)"),
    ('"a string"', "not a Terraform JSON plan (expected an object)"),
    ("null", "not a Terraform JSON plan (expected an object)"),
    ('{"resource_changes": []}', "no format_version: not the output of `terraform show -json PLANFILE`"),
    ('{"format_version": null, "resource_changes": []}',
     "no format_version: not the output of `terraform show -json PLANFILE`"),
    ('{"format_version": "10.1", "resource_changes": []}',
     "plan format_version 10.1 is not supported (orgkit reads 1.x)"),
    ('{"format_version": "2", "resource_changes": []}', "plan format_version 2 is not supported (orgkit reads 1.x)"),
    ('{"format_version": "", "resource_changes": []}', "plan format_version  is not supported (orgkit reads 1.x)"),
    ('{"format_version": "1.2"}', "no resource_changes: not a plan"),
    ('{"format_version": "1.2", "prior_state": {}}', "no resource_changes: not a plan"),
    ('{"format_version": "1.0", "values": {}}',
     "no resource_changes: not a plan (this looks like a state: `terraform show -json` of a state file)"),
])
def test_a_malformed_plan_file_is_refused_in_one_line_naming_the_file(tmp_path, text, message):
    """Each kind of file that is not a plan: one message, naming the file (its path), saying what to give."""
    f = tmp_path / "plan.json"
    f.write_text(text)
    with pytest.raises(PlanError) as e:
        read_plan(f)
    assert str(e.value) == f"{f}: " + message.format(hint=HINT)
    assert "\n" not in str(e.value)
    # the same document given as a dict (or list) is named "plan"
    if text.startswith(("{", "[")):
        with pytest.raises(PlanError) as e:
            read_plan(json.loads(text))
        assert str(e.value) == "plan: " + message


def test_a_directory_or_a_missing_file_is_no_such_file(tmp_path):
    for where in (tmp_path, tmp_path / "nope.json", str(tmp_path / "nope.json")):
        with pytest.raises(PlanError) as e:
            read_plan(where)
        assert str(e.value) == f"{where}: no such file ({HINT})"


@pytest.mark.parametrize("doc", [
    {"format_version": "1.0", "resource_changes": []},
    {"format_version": "1", "resource_changes": None},
    {"format_version": 1, "planned_values": {}},
    {"format_version": 1.2, "resource_changes": [{"address": "x"}, "y", 3, None, {"address": "z"}]},
    {"format_version": "0.1", "resource_changes": []},
    {"format_version": "1.9.8-beta", "planned_values": {}, "values": {}},
])
def test_a_plan_of_format_1_x_is_read_whole(tmp_path, doc):
    f = tmp_path / "p.json"
    f.write_text(json.dumps(doc))
    for source, path in ((doc, None), (f, str(f)), (str(f), str(f))):
        p = read_plan(source)
        assert (p.doc, p.path, p.format_version) == (doc, path, str(doc["format_version"]))
        assert p.resource_changes == [r for r in doc.get("resource_changes") or [] if isinstance(r, dict)]


# ------------------------------------------------------------------------------------------------------ Resolver
def _resolver_doc() -> dict:
    """A plan whose changes, prior state and configuration hold one of each thing a reference can point at."""
    changes = [
        rc(f"{P}.new", P, ["create"], None, {"name": "New", "tags": {"team": "sec"}, "list": ["a", None]},
           {"id": True, "arn": True, "tags": {"owner": True}, "list": [False, True]}),
        rc(f"{P}.upd", P, ["update"], {"id": "p-11111111", "name": "Old"},
           {"id": "p-11111111", "name": "Upd", "description": None}, {"arn": True}),
        rc(f"{P}.repl", P, ["delete", "create"], {"id": "p-22222222"}, {"name": "Repl"}, {"id": True}),
        rc(f"{P}.gone", P, ["delete"], {"id": "p-33333333"}, None),
        rc(f"{P}.many[0]", P, ["create"], None, {"name": "M0"}, {"id": True}),
        rc(f"{P}.many[1]", P, ["create"], None, {"name": "M1"}, {"id": True}),
        rc(f'{P}.each["a"]', P, ["create"], None, {"name": "EachA"}, {"id": True}),
        rc(f'module.m["x"].{O}.ou', O, ["create"], None, {"name": "InModule"}, {"id": True}),
        rc(f"module.m.{O}.plain", O, ["update"], {"id": "ou-known"}, {"id": "ou-known", "name": "Plain"}),
        rc(f"{P}.twin", P, ["update"], {"id": "p-66666666"}, {"id": "p-66666666", "name": "Twin"}),
        rc(f"{P}.twin[0]", P, ["create"], None, {"name": "Twin0"}, {"id": True}),
        {"type": P, "change": {"actions": ["create"]}},  # no address: not a change anyone can refer to
        {"address": "", "change": {"actions": ["create"]}},
    ]
    prior = {"resources": [
        {"address": "data.aws_iam_policy_document.doc", "mode": "data",
         "values": {"json": json.dumps(DENY_LEAVE), "ids": ["i-0", "i-1"], "empty": None}},
        {"address": f"{O}.old", "values": {"id": "ou-old", "name": "Old"}},
        {"mode": "data", "values": {"json": "{}"}},  # no address
    ], "child_modules": [
        {"address": "module.m", "resources": [{"address": "module.m.data.aws_caller_identity.me",
                                               "values": {"account_id": "111111111111"}}],
         "child_modules": [{"resources": [{"address": "module.m.module.n.data.x.y", "values": {"v": 1}}]}]},
        {"address": "module.z"}]}
    config = {"resources": [
        cfg(f"{AT}.a", AT, policy_id={"references": [f"{P}.new.id", f"{P}.new"]}),
        {"address": "", "expressions": {}},
        {"expressions": {}},
    ], "module_calls": {
        "m": {"source": "./m", "module": {"resources": [cfg(f"{O}.ou", O, parent_id={"constant_value": "r-1"})],
                                          "module_calls": {"n": {"module": {"resources": [cfg("x.y", "x")]}}}}},
        "empty": {"source": "./e"},
        "nomods": {"module": {"resources": None, "module_calls": None}}}}
    return {"format_version": "1.2", "resource_changes": changes,
            "variables": {"ous": {"value": ["ou-1", "ou-2"]}, "cfg": {"value": {"a": {"b": "deep"}, "n": None}},
                          "flag": {"value": False}, "novalue": {}, "odd": "not an object"},
            "prior_state": {"format_version": "1.0", "values": {"root_module": prior}},
            "configuration": {"root_module": config}}


def test_the_resolver_indexes_changes_state_and_configuration_whole():
    doc = _resolver_doc()
    R = Resolver(Plan(doc))
    assert R.changes == {c["address"]: c for c in doc["resource_changes"][:11]}
    assert list(R.changes) == [c["address"] for c in doc["resource_changes"][:11]]
    prior = doc["prior_state"]["values"]["root_module"]
    assert R.state == {"data.aws_iam_policy_document.doc": prior["resources"][0],
                       f"{O}.old": prior["resources"][1],
                       "module.m.data.aws_caller_identity.me": prior["child_modules"][0]["resources"][0],
                       "module.m.module.n.data.x.y": prior["child_modules"][0]["child_modules"][0]["resources"][0]}
    root = doc["configuration"]["root_module"]
    m = root["module_calls"]["m"]["module"]
    assert R.config == {f"{AT}.a": root["resources"][0], f"module.m.{O}.ou": m["resources"][0],
                        "module.m.module.n.x.y": m["module_calls"]["n"]["module"]["resources"][0]}


@pytest.mark.parametrize("doc", [
    {"format_version": "1.2", "resource_changes": []},
    {"format_version": "1.2", "resource_changes": None, "prior_state": None, "configuration": None},
    {"format_version": "1.2", "prior_state": {"values": None}, "configuration": {"root_module": None}},
    {"format_version": "1.2", "prior_state": {"values": {"root_module": None}}, "configuration": {}},
    {"format_version": "1.2", "prior_state": {"values": {"root_module": {"resources": None, "child_modules": None}}},
     "configuration": {"root_module": {"resources": None, "module_calls": None}}},
])
def test_a_plan_without_state_or_configuration_resolves_nothing_from_them(doc):
    R = Resolver(Plan(doc))
    assert (R.changes, R.state, R.config) == ({}, {}, {})
    assert R.reference("data.x.y.z", "") == ("unknown", "data.x.y.z is not in the plan")
    assert R.reference("var.a", "") == ("unknown", "var.a (a module variable: not recorded in the plan)")


@pytest.mark.parametrize("address,split", [
    (f"{P}.a", ("", f"{P}.a")),
    (f"{P}.a[0]", ("", f"{P}.a")),
    (f'{P}.a["k.x/1"]', ("", f"{P}.a")),
    (f'module.m["a.b"].{P}.a', ('module.m["a.b"].', f"{P}.a")),
    (f"data.{P}.a", ("", f"data.{P}.a")),
    (f"module.m.{P}.a", ("module.m.", f"{P}.a")),
    (f'module.m["x"].{P}.a[2]', ('module.m["x"].', f"{P}.a")),
    (f"module.m-1[0].module.n_2.{P}.a", ("module.m-1[0].module.n_2.", f"{P}.a")),
    ("module.Mod.module.N[3].data.x.y[4]", ("module.Mod.module.N[3].", "data.x.y")),
    ("module.m", ("", "module.m")),
    ("modules.m.x.y", ("", "modules.m.x.y")),
    ("", ("", "")),
    (f"module.m.{P}.a\nb", ("", f"module.m.{P}.a\nb")),  # a newline inside: no module prefix read
])
def test_an_address_splits_into_its_module_prefix_and_resource(address, split):
    assert Resolver._split(address) == split


@pytest.mark.parametrize("ref,base", [
    (f"{P}.a", f"{P}.a"), (f"{P}.a.id", f"{P}.a"), (f'{P}.a["k"].id', f"{P}.a"), (f"{P}.a[0].tags.x", f"{P}.a"),
    ("data.x.y.json", "data.x.y"), ("var.ous[1]", "var.ous"), ("local.doc", "local.doc"), ("each.value.x", "each.value"),
    ("count.index", "count.index"), ("not a reference!", "not a reference!"), ("single", "single"), ("", ""),
])
def test_the_base_of_a_reference(ref, base):
    assert Resolver._base(ref) == base


@pytest.mark.parametrize("ref,prefix,answer", [
    # root-module variables (`variables` of the plan): their value, or an element of it
    ("var.ous", "", ("known", ["ou-1", "ou-2"])),
    ("var.ous[1]", "", ("known", "ou-2")),
    ("var.ous[0]", "", ("known", "ou-1")),
    ("var.ous[5]", "", ("known", None)),
    ("var.cfg.a.b", "", ("known", "deep")),
    ('var.cfg["a"]["b"]', "", ("known", "deep")),
    ("var.cfg.a", "", ("known", {"b": "deep"})),
    ("var.flag", "", ("known", False)),
    ("var.novalue", "", ("unknown", "var.novalue (a module variable: not recorded in the plan)")),
    ("var.odd", "", ("unknown", "var.odd (a module variable: not recorded in the plan)")),
    ("var.missing", "", ("unknown", "var.missing (a module variable: not recorded in the plan)")),
    # inside a module a variable is the module's, which the plan does not record
    ("var.ous", "module.m.", ("unknown", "var.ous (a module variable: not recorded in the plan)")),
    ("var.ous[1]", 'module.m["x"].', ("unknown", "var.ous[1] (a module variable: not recorded in the plan)")),
    # values the plan does not record
    *[(r, "", ("unknown", f"{r} is not recorded in the plan"))
      for r in ("local.doc", "each.key", "each.value.target", "count.index", "path.module", "terraform.workspace",
                "self.id", "module.m.out")],
    ("not a reference!", "", ("unknown", "not a reference!")),
    ("", "", ("unknown", "")),
    # a resource the plan changes: its planned value, or the resource itself when it is created and its id unknown
    (f"{P}.new.name", "", ("known", "New")),
    (f"{P}.new.tags.team", "", ("known", "sec")),
    (f'{P}.new.tags["team"]', "", ("known", "sec")),
    (f"{P}.new.list[0]", "", ("known", "a")),
    (f"{P}.new.id", "", ("new", f"{P}.new")),
    (f"{P}.new.arn", "", ("unknown", f"{P}.new.arn is unknown until apply")),
    (f"{P}.new.tags.owner", "", ("unknown", f"{P}.new.tags.owner is unknown until apply")),
    (f"{P}.new.list[1]", "", ("unknown", f"{P}.new.list[1] is unknown until apply")),
    (f"{P}.new.description", "", ("unknown", f"{P}.new.description is unknown until apply")),
    (f"{P}.new", "", ("unknown", f"{P}.new (a whole object)")),
    (f"{P}.upd.id", "", ("known", "p-11111111")),
    (f"{P}.upd.name", "", ("known", "Upd")),
    (f"{P}.upd.description", "", ("unknown", f"{P}.upd.description is unknown until apply")),
    (f"{P}.upd.arn", "", ("unknown", f"{P}.upd.arn is unknown until apply")),
    (f"{P}.repl.id", "", ("new", f"{P}.repl")),
    (f"{P}.gone.id", "", ("unknown", f"{P}.gone.id is unknown until apply")),
    # count / for_each instances: with their key, that instance; without it, refused
    (f"{P}.many[1].id", "", ("new", f"{P}.many[1]")),
    (f"{P}.many[0].name", "", ("known", "M0")),
    (f"{P}.many.id", "", ("unknown", f"{P}.many.id: {P}.many has 2 instances (count/for_each) and the reference "
                                     "does not say which")),
    (f"{P}.many", "", ("unknown", f"{P}.many: {P}.many has 2 instances (count/for_each) and the reference does "
                                  "not say which")),
    (f"{P}.twin.name", "", ("known", "Twin")),
    (f"{P}.twin[0].id", "", ("new", f"{P}.twin[0]")),
    (f'{P}.each["a"].id', "", ("new", f'{P}.each["a"]')),
    (f"{P}.each.id", "", ("unknown", f"{P}.each.id: {P}.each has 1 instances (count/for_each) and the reference "
                                     "does not say which")),
    (f'{P}.each["b"].id', "", ("unknown", f'{P}.each["b"].id is not in the plan')),
    (f"{P}.many[2].id", "", ("unknown", f"{P}.many[2].id is not in the plan")),
    # inside a module, a reference is to the module's own resources
    (f"{O}.ou.id", 'module.m["x"].', ("new", f'module.m["x"].{O}.ou')),
    (f"{O}.ou.name", 'module.m["x"].', ("known", "InModule")),
    (f"{O}.ou.id", "", ("unknown", f"{O}.ou.id is not in the plan")),
    (f"{O}.plain.id", "module.m.", ("known", "ou-known")),
    (f"{O}.plain.id", 'module.m["x"].', ("unknown", f"{O}.plain.id is not in the plan")),
    # prior state: data sources and resources the plan does not change
    ("data.aws_iam_policy_document.doc.json", "", ("known", json.dumps(DENY_LEAVE))),
    ("data.aws_iam_policy_document.doc.ids[1]", "", ("known", "i-1")),
    ("data.aws_iam_policy_document.doc.empty", "",
     ("unknown", "data.aws_iam_policy_document.doc.empty is not in the plan")),
    ("data.aws_iam_policy_document.doc.other", "",
     ("unknown", "data.aws_iam_policy_document.doc.other is not in the plan")),
    ("data.aws_iam_policy_document.doc", "", ("unknown", "data.aws_iam_policy_document.doc is not in the plan")),
    (f"{O}.old.id", "", ("known", "ou-old")),
    ("data.aws_caller_identity.me.account_id", "module.m.", ("known", "111111111111")),
    ("data.aws_caller_identity.me.account_id", "", ("unknown", "data.aws_caller_identity.me.account_id is not in "
                                                               "the plan")),
    ("data.y.z.v", "", ("unknown", "data.y.z.v is not in the plan")),
])
def test_each_kind_of_reference_resolves_to_its_value_or_says_why_not(ref, prefix, answer):
    assert Resolver(Plan(_resolver_doc())).reference(ref, prefix) == answer


def _attr_doc(after, unknown, config=None, address=f"{AT}.a", modules=None, prior=(), variables=None) -> dict:
    changes = [rc(address, AT, ["create"], None, after, unknown),
               rc(f"{P}.new", P, ["create"], None, {"name": "New", "content": "{}"}, {"id": True}),
               rc(f"{P}.known", P, ["create"], None, {"id": "p-44444444", "name": "Known"}),
               rc(f"{O}.ou", O, ["update"], {"id": "ou-1"}, {"id": "ou-1", "name": "Renamed"}, {"arn": True})]
    doc = plan(changes, [config] if config else [], modules=modules, prior=prior, variables=variables)
    return doc


@pytest.mark.parametrize("after,unknown,expressions,answer", [
    # known in the plan: its planned value (None when the plan has none)
    ({"policy_id": "p-1", "target_id": "ou-1"}, {}, None, ("known", "p-1")),
    ({"policy_id": "p-1"}, {"policy_id": False}, None, ("known", "p-1")),
    ({"policy_id": None}, {"id": True}, None, ("known", None)),
    ({}, {}, None, ("known", None)),
    (None, False, None, ("known", None)),
    (["not", "an", "object"], {}, None, ("known", None)),
    ({"policy_id": "p-1"}, True, None, ("known", "p-1")),
    ({"policy_id": "p-1"}, ["policy_id"], None, ("known", "p-1")),
    # unknown until apply: through the configuration's expression
    ({}, {"policy_id": True}, None,
     ("unknown", f"{AT}.a.policy_id is unknown until apply and the plan records no expression")),
    ({}, {"policy_id": True}, {"target_id": {"constant_value": "ou-1"}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply and the plan records no expression")),
    ({}, {"policy_id": True}, {"policy_id": ["not", "an", "expression"]},
     ("unknown", f"{AT}.a.policy_id is unknown until apply and the plan records no expression")),
    ({}, {"policy_id": True}, {"policy_id": {"constant_value": "p-55555555"}}, ("known", "p-55555555")),
    ({}, {"policy_id": True}, {"policy_id": {"constant_value": None}}, ("known", None)),
    ({}, {"policy_id": True}, {"policy_id": {}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply (no references recorded)")),
    ({}, {"policy_id": True}, {"policy_id": {"references": None}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply (no references recorded)")),
    ({}, {"policy_id": True}, {"policy_id": {"references": [1, None, {"a": 1}]}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply (no references recorded)")),
    ({}, {"policy_id": True}, {"policy_id": {"references": [f"{P}.new.id", f"{P}.new"]}}, ("new", f"{P}.new")),
    ({}, {"policy_id": True}, {"policy_id": {"references": [f"{P}.new", f"{P}.new.id"]}}, ("new", f"{P}.new")),
    ({}, {"policy_id": True}, {"policy_id": {"references": [f"{P}.known.id", f"{P}.known"]}},
     ("known", "p-44444444")),
    ({}, {"policy_id": True}, {"policy_id": {"references": [f"{O}.ou.name", f"{O}.ou"]}}, ("known", "Renamed")),
    # the most specific reference first: an element, not the whole list
    ({}, {"policy_id": True}, {"policy_id": {"references": ["var.ids", "var.ids[1]"]}}, ("known", "p-2")),
    ({}, {"policy_id": True}, {"policy_id": {"references": ["var.ids"]}}, ("known", ["p-1", "p-2"])),
    # several values combined: not resolved (which one, and how, is the expression's)
    ({}, {"policy_id": True}, {"policy_id": {"references": [f"{P}.new.id", f"{P}.new", "var.ids"]}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply: its expression combines {P}.new, var.ids")),
    ({}, {"policy_id": True}, {"policy_id": {"references": ["local.b", "each.key", "local.a"]}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply: its expression combines each.key, local.a, local.b")),
    ({}, {"policy_id": True}, {"policy_id": {"references": ["", "var.ids"]}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply: its expression combines var.ids")),
    # two attributes of one object are two values too (which one the expression gives is not known)
    ({}, {"policy_id": True}, {"policy_id": {"references": ["var.cfg.on", "var.cfg", "var.cfg.a.b", "var.cfg.a"]}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply: its expression combines var.cfg.a.b, var.cfg.on")),
    ({}, {"policy_id": True}, {"policy_id": {"references": [f"{P}.new.id", f"{P}.new", f"{P}.new.name"]}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply: its expression combines {P}.new.id, {P}.new.name")),
    ({}, {"policy_id": True}, {"policy_id": {"references": ["var.ids[1]", "var.ids", "var.ids[0]"]}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply: its expression combines var.ids[0], var.ids[1]")),
    ({}, {"policy_id": True}, {"policy_id": {"references": ["var.cfg.a", "var.cfg.ab", "var.cfg"]}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply: its expression combines var.cfg.a, var.cfg.ab")),
    ({}, {"policy_id": True}, {"policy_id": {"references": ["var.cfg.a.b", "var.cfg.a", "var.cfg", "var.cfg.a.b"]}},
     ("known", "deep")),
    # one value, not known: the reference named (the first the plan lists)
    ({}, {"policy_id": True}, {"policy_id": {"references": ["local.doc"]}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply (local.doc is not known)")),
    ({}, {"policy_id": True}, {"policy_id": {"references": [f"{P}.new.arn", f"{P}.new"]}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply ({P}.new.arn is not known)")),
    ({}, {"policy_id": True}, {"policy_id": {"references": [f"{P}.new", f"{P}.new.arn"]}},
     ("unknown", f"{AT}.a.policy_id is unknown until apply ({P}.new is not known)")),
    ({}, {"policy_id": True}, {"policy_id": {"references": ["data.x.y.id"]}},
     ("known", "from-state")),
])
def test_an_attribute_is_its_planned_value_or_resolved_through_the_configuration(after, unknown, expressions, answer):
    config = cfg(f"{AT}.a", AT, **expressions) if expressions is not None else None
    doc = _attr_doc(after, unknown, config, prior=[{"address": "data.x.y", "values": {"id": "from-state"}}],
                    variables={"ids": {"value": ["p-1", "p-2"]}, "cfg": {"value": {"a": {"b": "deep"}, "on": True}}})
    R = Resolver(Plan(doc))
    assert R.attr(doc["resource_changes"][0], "policy_id") == answer


def test_an_attribute_with_no_change_recorded_is_known_none():
    R = Resolver(Plan(plan([])))
    assert R.attr({"address": f"{AT}.a"}, "policy_id") == ("known", None)
    assert R.attr({"address": f"{AT}.a", "change": None}, "policy_id") == ("known", None)
    assert R.attr({"change": {"after": {}, "after_unknown": {"policy_id": True}}}, "policy_id") == (
        "unknown", "None.policy_id is unknown until apply and the plan records no expression")


@pytest.mark.parametrize("address,configured,answer", [
    # a module instance's resource is configured once, at the address without the module's key
    (f'module.m["x"].{AT}.a', f"module.m.{AT}.a", ("new", f'module.m["x"].{P}.new')),
    (f'module.m["x"].{AT}.a["k"]', f"module.m.{AT}.a", ("new", f'module.m["x"].{P}.new')),
    (f"module.m[0].module.n[1].{AT}.a[2]", f"module.m.module.n.{AT}.a", ("new", f"module.m[0].module.n[1].{P}.new")),
    (f"module.m.{AT}.a", f"module.m.{AT}.a", ("new", f"module.m.{P}.new")),
    (f"{AT}.a[3]", f"{AT}.a", ("new", f"{P}.new")),
    # the configuration of another module, or of the root, is not this resource's
    (f'module.m["x"].{AT}.a', f"{AT}.a",
     ("unknown", f'module.m["x"].{AT}.a.policy_id is unknown until apply and the plan records no expression')),
    (f"{AT}.a", f"module.m.{AT}.a",
     ("unknown", f"{AT}.a.policy_id is unknown until apply and the plan records no expression")),
])
def test_a_resource_in_a_module_is_resolved_through_its_module_configuration(address, configured, answer):
    prefix, _ = Resolver._split(address)
    changes = [rc(address, AT, ["create"], None, {"target_id": "ou-1"}, {"id": True, "policy_id": True}),
               *[rc(f"{pre}{P}.new", P, ["create"], None, {"name": "New"}, {"id": True})
                 for pre in sorted({prefix, ""})]]
    root: dict = {"resources": []}
    node = root
    for name in configured[:-len(f"{AT}.a")].split(".")[1::2]:  # "module.m.module.n." -> m, n
        node.setdefault("module_calls", {})[name] = {"module": {"resources": []}}
        node = node["module_calls"][name]["module"]
    node["resources"].append(cfg(f"{AT}.a", AT, policy_id={"references": [f"{P}.new.id", f"{P}.new"]}))
    doc = {"format_version": "1.2", "resource_changes": changes, "configuration": {"root_module": root}}
    R = Resolver(Plan(doc))
    assert R.attr(changes[0], "policy_id") == answer


# ------------------------------------------------------------------------------------------------------ _plan_rcp
RCP_DENY_KMS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}
ALLOW_ALL_RCP = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})


def _rcps() -> tuple[dict, dict]:
    """Two RCPs as plan_org holds them (policy id -> row; (policy id, target) -> row)."""
    def pol(pid, name, doc, managed=False):
        return {"policy_id": pid, "name": name, "description": "", "type": "RESOURCE_CONTROL_POLICY",
                "aws_managed": managed, "arn": f"arn:aws:organizations::aws:policy/resource_control_policy/{pid}",
                "content": json.dumps(doc)}

    def tgt(pid, tid, kind, name):
        return {"policy_id": pid, "target_id": tid, "target_type": kind, "target_name": name}

    rcps = {"p-keep": pol("p-keep", "KeepS3", RCP_DENY_S3), RCP_FULL: pol(RCP_FULL, "RCPFullAWSAccess", {}, True)}
    targets = {("p-keep", "ou-eng"): tgt("p-keep", "ou-eng", "ORGANIZATIONAL_UNIT", "Eng"),
               ("p-keep", "222222222222"): tgt("p-keep", "222222222222", "ACCOUNT", "App"),
               (RCP_FULL, "ou-eng"): tgt(RCP_FULL, "ou-eng", "ORGANIZATIONAL_UNIT", "Eng")}
    return rcps, targets


def _run_plan_rcp(change: dict, acts, pid, config=()):
    rcps, targets = _rcps()
    R = Resolver(Plan(plan([change], list(config))))
    notes: list = []

    def nr(rc_, reason, **kw):
        notes.append((rc_["address"], reason, kw))

    _plan_rcp(change, acts, pid, rcps, targets, R, nr, lambda rc_: NEW + rc_["address"])
    return rcps, targets, notes


def _no_expr(address, attr):
    return f"{address}.{attr} is unknown until apply and the plan records no expression"


def _rcp_cases():
    rcps, targets = _rcps()
    keep, full = rcps["p-keep"], rcps[RCP_FULL]
    no_keep = {k: v for k, v in targets.items() if k[0] != "p-keep"}
    before = {"id": "p-keep", "name": "KeepS3", "type": "RESOURCE_CONTROL_POLICY", "content": json.dumps(RCP_DENY_S3)}
    addr = f"{P}.r"
    kms = json.dumps(RCP_DENY_KMS)
    typ = "RESOURCE_CONTROL_POLICY"

    def new(name, content):
        return {"policy_id": NEW + addr, "description": None, "aws_managed": False, "arn": None,
                "type": typ, "name": name, "content": content}

    kept_text = "its effect is not evaluated (the collected text is kept)"
    allow_all = "its effect is not evaluated (the new RCP is evaluated as allowing everything)"
    return {
        # a delete takes the RCP and its attachments away, and says nothing more
        "delete": (rc(addr, P, ["delete"], before), ["delete"], "p-keep", (), {RCP_FULL: full}, no_keep, []),
        "delete of an id not held": (rc(addr, P, ["delete"], dict(before, id="p-none")), ["delete"], "p-none", (),
                                     rcps, targets, []),
        "delete without an id": (rc(addr, P, ["delete"], None), ["delete"], None, (), rcps, targets, []),
        "no-op": (rc(addr, P, ["no-op"], before, before), ["no-op"], "p-keep", (), rcps, targets, []),
        "read": (rc(addr, P, ["read"], before, before), ["read"], "p-keep", (), rcps, targets, []),
        # an update: the planned name and text replace the collected ones; the rest of the row is kept
        "update": (rc(addr, P, ["update"], before, dict(before, name="KeepKMS", content=kms)), ["update"], "p-keep",
                   (), {"p-keep": dict(keep, name="KeepKMS", content=kms), RCP_FULL: full}, targets, []),
        "update, name unknown": (
            rc(addr, P, ["update"], before, dict(before, name=None, content=kms), {"name": True}), ["update"],
            "p-keep", (), {"p-keep": dict(keep, content=kms), RCP_FULL: full}, targets, []),
        "update, name from a variable": (
            rc(addr, P, ["update"], before, dict(before, name=None, content=kms), {"name": True}), ["update"],
            "p-keep", [cfg(addr, P, name={"constant_value": "FromConfig"})],
            {"p-keep": dict(keep, name="FromConfig", content=kms), RCP_FULL: full}, targets, []),
        "update, content unknown": (
            rc(addr, P, ["update"], before, dict(before, content=None), {"content": True}), ["update"], "p-keep", (),
            rcps, targets,
            [(addr, f"RCP content unknown until apply ({_no_expr(addr, 'content')}): {kept_text}",
              {"policy_id": "p-keep", "policy_name": "KeepS3"})]),
        "update, content not a text": (
            rc(addr, P, ["update"], before, dict(before, name="K2", content=RCP_DENY_KMS)), ["update"], "p-keep", (),
            {"p-keep": dict(keep, name="K2"), RCP_FULL: full}, targets,
            [(addr, f"RCP content unknown until apply (content is not known): {kept_text}",
              {"policy_id": "p-keep", "policy_name": "K2"})]),
        "update of an RCP not held": (
            rc(addr, P, ["update"], dict(before, id="p-none"), dict(before, id="p-none", content=kms)), ["update"],
            "p-none", (), rcps, targets,
            [(addr, "updates policy p-none, which the snapshot does not have", {"policy_id": "p-none"})]),
        # a create: a new RCP under the id the plan gives it, as the collector would have listed it
        "create": (rc(addr, P, ["create"], None, {"name": "DenyKMS", "type": typ, "content": kms}, {"id": True}),
                   ["create"], None, (), {**rcps, NEW + addr: new("DenyKMS", kms)}, targets, []),
        "create, name and content unknown": (
            rc(addr, P, ["create"], None, {"type": typ}, {"id": True, "name": True, "content": True}), ["create"],
            None, [cfg(addr, P, content={"references": ["local.doc"]})],
            {**rcps, NEW + addr: new(addr, ALLOW_ALL_RCP)}, targets,
            [(addr, f"RCP content unknown until apply ({addr}.content is unknown until apply (local.doc is not "
                    f"known)): {allow_all}", {"policy_id": NEW + addr, "policy_name": addr})]),
        # a replace: the old RCP goes with its attachments, the new one comes unattached
        "replace": (rc(addr, P, ["delete", "create"], before, {"name": "KeepS3", "type": typ, "content": kms},
                       {"id": True}), ["delete", "create"], "p-keep", (),
                    {RCP_FULL: full, NEW + addr: new("KeepS3", kms)}, no_keep, []),
        "replace, create first": (rc(addr, P, ["create", "delete"], before, {"name": "N", "type": typ},
                                     {"id": True, "content": True}), ["create", "delete"], "p-keep", (),
                                  {RCP_FULL: full, NEW + addr: new("N", ALLOW_ALL_RCP)}, no_keep,
                                  [(addr, f"RCP content unknown until apply ({_no_expr(addr, 'content')}): "
                                          f"{allow_all}", {"policy_id": NEW + addr, "policy_name": "N"})]),
    }


@pytest.mark.parametrize("case", list(_rcp_cases()))
def test_a_planned_rcp_is_applied_whole(case):
    change, acts, pid, config, rcps, targets, notes = _rcp_cases()[case]
    got = _run_plan_rcp(change, acts, pid, config)
    assert got == (rcps, targets, notes)
    assert list(got[0]) == list(rcps)  # a new RCP comes after those the snapshot has


# -------------------------------------------------------------------------------------------------------- rebuild
@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    """Engineering (Protect; App, and Prod under it with Db), Team/Ops (a "/" in its name; Play), resource control
    policies enabled with KeepS3 on Engineering. Building it runs nothing of orgkit/diff/."""
    sb = SnapshotSpec(regions=["us-east-1"])
    eng = sb.ou("Engineering")
    prod = sb.ou("Prod", parent=eng)
    ops = sb.ou("Team/Ops", full_access=False)
    app, db, play = sb.account("App", parent=eng), sb.account("Db", parent=prod), sb.account("Play", parent=ops)
    protect = sb.policy("Protect", PROTECT, [eng])
    leave = sb.policy("DenyLeave", DENY_LEAVE, [prod, app])
    keep = sb.rcp("KeepS3", RCP_DENY_S3, [eng])
    o = sb.load(tmp_path_factory.mktemp("rich") / "s")
    o.ids = dict(root=sb.root, eng=eng, prod=prod, ops=ops, app=app, db=db, play=play, protect=protect, leave=leave,
                 keep=keep, mgmt=sb.management)
    return o


def _as_plan_org_holds_it(org) -> tuple[dict, dict, dict, dict, dict, dict]:
    """The organisation as the dicts plan_org edits (OUs, accounts, policies, attachments, RCPs, RCP attachments)."""
    def by(frame, *key):
        return {(r[key[0]] if len(key) == 1 else tuple(str(r[k]) for k in key)): dict(r)
                for r in org.frames[frame].to_dict("records")}

    return (by("ous", "ou_id"), by("accounts", "account_id"), by("policies", "policy_id"),
            by("policy_targets", "policy_id", "target_id"), by("rcps", "policy_id"),
            by("rcp_targets", "policy_id", "target_id"))


def _none(v):
    return None if v is None or (not isinstance(v, (str, dict, list)) and pd.isna(v)) else v


def _recs(df, key) -> list[dict]:
    return sorted(({c: _none(v) for c, v in r.items()} for r in df.to_dict("records")), key=lambda r: str(r[key]))


def _ou_row(o: dict, **kw) -> dict:
    return {**{c: _none(o.get(c)) for c in FRAMES["ous"]}, **kw}


def _account_row(a: dict, **kw) -> dict:
    return {**{c: _none(a.get(c)) for c in FRAMES["accounts"]}, **kw}


def test_rebuild_of_an_unchanged_organisation_is_the_snapshot_again(rich):
    ous, accounts, policies, targets, rcps, rcp_targets = _as_plan_org_holds_it(rich)
    for rcp in (None, (rcps, rcp_targets)):
        n = rebuild(rich, ous, accounts, policies, targets, rcp)
        assert dict(n.graph.nodes(data=True)) == dict(rich.graph.nodes(data=True))
        assert set(n.graph.edges) == set(rich.graph.edges)
        for name, key in (("ous", "ou_id"), ("accounts", "account_id"), ("policies", "policy_id"),
                          ("policy_targets", "target_id"), ("rcps", "policy_id"), ("rcp_targets", "target_id")):
            assert list(n.frames[name].columns) == FRAMES[name]
            assert _recs(n.frames[name], key) == _recs(rich.frames[name], key), name
            assert dict(n.frames[name].dtypes) == dict(rich.frames[name].dtypes), name
        assert set(n.frames) == set(rich.frames)
        assert all(n.frames[f] is rich.frames[f] for f in rich.frames if f not in (
            "ous", "accounts", "policies", "policy_targets", "rcps", "rcp_targets"))
        assert (n.rcps is rich.rcps, n.rcp_targets is rich.rcp_targets) == ((True, True) if rcp is None else
                                                                              (False, False))
        assert n.manifest == rich.manifest and n.manifest is not rich.manifest
        assert (n.path, n.scp_enabled, n.rcp_enabled, n.rcp_unread) == (rich.path, True, True, None)


def test_rebuild_places_new_ous_and_accounts_and_their_policies_whole(rich):
    """OUs created (a child listed before its parent, a "/" in a name), renamed, deleted; an account created under
    a new OU, one moved, one removed; SCP and RCP attachments to new nodes, to a removed one (left out); the graph
    and every planned frame, whole."""
    i = rich.ids
    ous, accounts, policies, targets, rcps, rcp_targets = _as_plan_org_holds_it(rich)
    full = "p-FullAWSAccess"
    mid, new, nacc = (NEW + f"{O}.mid", NEW + f"{O}.new", NEW + f"{A}.new")
    fresh = NEW + f"{P}.fresh"
    ous[i["eng"]]["name"] = "Plat/form"
    ous[new] = {"ou_id": new, "arn": None, "is_root": False, "name": "N\\ew", "parent_id": mid}
    ous[mid] = {"ou_id": mid, "arn": None, "is_root": False, "name": "Mid", "parent_id": i["root"]}
    del ous[i["ops"]]
    accounts[i["play"]]["parent_id"] = mid
    del accounts[i["db"]]
    accounts[nacc] = {"account_id": nacc, "email": None, "arn": None, "status": "ACTIVE", "joined_method": "CREATED",
                      "joined_at": pd.NaT, "is_management": None, "tags": {}, "access": "none", "access_error": None,
                      "account_name": "Newbie", "parent_id": new}
    policies[fresh] = {"policy_id": fresh, "name": "Fresh", "description": None, "type": "SERVICE_CONTROL_POLICY",
                       "aws_managed": False, "arn": None, "content": json.dumps(DENY_LEAVE)}

    def t(pid, tid, kind, name=None):
        return {(pid, tid): {"policy_id": pid, "target_id": tid, "target_type": kind, "target_name": name}}

    for x in (t(fresh, i["root"], "ROOT", "Root"), t(i["protect"], new, "ORGANIZATIONAL_UNIT"),
              t(full, mid, "ORGANIZATIONAL_UNIT"), t(full, new, "ORGANIZATIONAL_UNIT"), t(full, nacc, "ACCOUNT"),
              t(i["protect"], nacc, "ACCOUNT")):
        targets.update(x)
    rcp_targets.pop((i["keep"], i["eng"]))
    for x in (t(i["keep"], nacc, "ACCOUNT"), t(RCP_FULL, mid, "ORGANIZATIONAL_UNIT"),
              t(RCP_FULL, new, "ORGANIZATIONAL_UNIT"), t(RCP_FULL, nacc, "ACCOUNT"), t(i["keep"], i["db"], "ACCOUNT")):
        rcp_targets.update(x)
    n = rebuild(rich, ous, accounts, policies, targets, (rcps, rcp_targets))

    root_arn = rich.graph.nodes[i["root"]]["arn"]

    def arn(x):
        return rich.graph.nodes[x]["arn"]

    plat, midp = r"Root/Plat\/form", "Root/Mid"
    newp = rf"{midp}/N\\ew"
    assert dict(n.graph.nodes(data=True)) == {
        i["root"]: dict(kind="root", name="Root", depth=0, path="Root", scps=sorted([full, fresh]), arn=root_arn,
                        rcps=[RCP_FULL]),
        i["eng"]: dict(kind="ou", name="Plat/form", arn=arn(i["eng"]), scps=sorted([full, i["protect"]]), depth=1,
                       path=plat, rcps=[RCP_FULL]),
        i["prod"]: dict(kind="ou", name="Prod", arn=arn(i["prod"]), scps=sorted([full, i["leave"]]), depth=2,
                        path=f"{plat}/Prod", rcps=[RCP_FULL]),
        mid: dict(kind="ou", name="Mid", arn=None, scps=[full], depth=1, path=midp, rcps=[RCP_FULL]),
        new: dict(kind="ou", name="N\\ew", arn=None, scps=sorted([full, i["protect"]]), depth=2, path=newp,
                  rcps=[RCP_FULL]),
        i["mgmt"]: dict(kind="account", name="Management", depth=1, path="Root/Management", scps=[full],
                        is_management=True, rcps=[RCP_FULL]),
        i["app"]: dict(kind="account", name="App", depth=2, path=f"{plat}/App", scps=sorted([full, i["leave"]]),
                       is_management=False, rcps=[RCP_FULL]),
        i["play"]: dict(kind="account", name="Play", depth=2, path=f"{midp}/Play", scps=[full], is_management=False,
                        rcps=[RCP_FULL]),
        nacc: dict(kind="account", name="Newbie", depth=3, path=f"{newp}/Newbie", scps=sorted([full, i["protect"]]),
                   is_management=False, rcps=sorted([RCP_FULL, i["keep"]]))}
    assert set(n.graph.edges) == {(i["root"], i["eng"]), (i["eng"], i["prod"]), (i["root"], mid), (mid, new),
                                  (i["root"], i["mgmt"]), (i["eng"], i["app"]), (mid, i["play"]), (new, nacc)}
    assert _recs(n.ous, "ou_id") == sorted([
        _ou_row(ous[i["root"]], parent_id=None), _ou_row(ous[i["eng"]], ou_path=plat),
        _ou_row(ous[i["prod"]], ou_path=f"{plat}/Prod", depth=2),
        _ou_row(ous[mid], depth=1, ou_path=midp), _ou_row(ous[new], depth=2, ou_path=newp)],
        key=lambda r: r["ou_id"])
    assert _recs(n.accounts, "account_id") == sorted([
        _account_row(accounts[i["mgmt"]]), _account_row(accounts[i["app"]], ou_path=plat),
        _account_row(accounts[i["play"]], ou_path=midp), _account_row(accounts[nacc], ou_path=newp,
                                                                      is_management=False)],
        key=lambda r: r["account_id"])
    assert (n.accounts.is_management.dtype, n.accounts.joined_at.dtype) == (bool, rich.accounts.joined_at.dtype)
    assert n.ous.depth.dtype == "int64" and n.ous.is_root.dtype == bool
    assert _recs(n.policies, "policy_id") == sorted(policies.values(), key=lambda r: r["policy_id"])
    # attachments to a node no longer in the organisation are left out (Db removed, Team/Ops deleted)
    assert _pairs(n.policy_targets) == _pairs(v for (_, tid), v in targets.items() if tid != i["db"])
    assert _recs(n.rcps, "policy_id") == sorted(rcps.values(), key=lambda r: r["policy_id"])
    assert _pairs(n.rcp_targets) == _pairs(v for (_, tid), v in rcp_targets.items() if tid not in (i["db"], i["ops"]))


def _pairs(rows) -> list[tuple]:
    """Attachment rows (a frame, or dicts), each whole, sorted."""
    rows = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else rows
    return sorted(tuple(_none(r[c]) for c in FRAMES["policy_targets"]) for r in rows)


@pytest.mark.parametrize("rcps_on", [True, False])
def test_rebuild_without_planned_rcps_keeps_the_collected_ones_and_gives_new_nodes_rcpfullawsaccess(rich, tmp_path,
                                                                                                     rcps_on):
    """``rcp=None``: every node keeps the RCPs collected for it; a node the plan makes gets RCPFullAWSAccess where
    the snapshot has it (AWS attaches it to every new OU and account while RCPs are enabled), else none."""
    if rcps_on:
        org, root, eng = rich, rich.ids["root"], rich.ids["eng"]
    else:
        sb = SnapshotSpec(regions=["us-east-1"])
        eng = sb.ou("Engineering")
        org, root = sb.load(tmp_path / "s"), sb.root
    ous, accounts, policies, targets, _, _ = _as_plan_org_holds_it(org)
    ous[root].update(name=None, parent_id="r-stale")  # a root without a name is "Root"; a root has no parent
    new, nacc = NEW + f"{O}.new", NEW + f"{A}.new"
    ous[new] = {"ou_id": new, "name": "New", "parent_id": eng}
    accounts[nacc] = {"account_id": nacc, "account_name": "Newbie", "parent_id": new, "is_management": False}
    n = rebuild(org, ous, accounts, policies, targets)
    want = {x: list(d["rcps"]) for x, d in org.graph.nodes(data=True)}
    want.update({new: [RCP_FULL] if rcps_on else [], nacc: [RCP_FULL] if rcps_on else []})
    assert {x: d["rcps"] for x, d in n.graph.nodes(data=True)} == want
    if rcps_on:
        assert want[eng] == sorted([RCP_FULL, rich.ids["keep"]])
    assert [_none(v) for v in n.ous.set_index("ou_id").loc[root, ["name", "parent_id", "is_root"]]] == [
        "Root", None, True]
    assert n.graph.nodes[root]["name"] == "Root" and not list(n.graph.predecessors(root))
    assert (n.graph.nodes[new]["path"], n.graph.nodes[nacc]["path"]) == ("Root/Engineering/New",
                                                                         "Root/Engineering/New/Newbie")
    assert n.frames["rcps"] is org.frames["rcps"] and n.frames["rcp_targets"] is org.frames["rcp_targets"]
    acc = n.accounts.set_index("account_id")
    assert (acc.ou_path[nacc], acc.is_management[nacc], acc.is_management[org.management_account_id]) == (
        "Root/Engineering/New", False, True)


def test_rebuild_refuses_an_ou_whose_parent_is_not_in_the_planned_organisation(rich):
    ous, accounts, policies, targets, _, _ = _as_plan_org_holds_it(rich)
    new = NEW + f"{O}.new"
    for parent in ("ou-zz-none", rich.ids["app"], None):  # no such OU; an account; none
        ous[new] = {"ou_id": new, "name": "New", "parent_id": parent}
        with pytest.raises(ValueError) as e:
            rebuild(rich, ous, accounts, policies, targets)
        assert str(e.value) == f"OU {new} would have an unknown parent {parent}"


def test_rebuild_refuses_planned_ous_that_form_a_cycle_naming_each_under_its_parent(rich):
    ous, accounts, policies, targets, _, _ = _as_plan_org_holds_it(rich)
    i = rich.ids
    # Engineering under Team/Ops, Team/Ops under Prod, Prod under Engineering (as before)
    ous[i["eng"]]["parent_id"], ous[i["ops"]]["parent_id"] = i["ops"], i["prod"]
    with pytest.raises(ValueError) as e:
        rebuild(rich, ous, accounts, policies, targets)
    names = {i["eng"]: "Engineering", i["prod"]: "Prod", i["ops"]: "Team/Ops"}
    chain = [i["eng"], i["ops"], i["prod"]]  # each under the next
    rotations = [chain[k:] + chain[:k] for k in range(3)]
    assert str(e.value) in [
        "the planned OUs form a cycle (" + " under ".join(f"{names[o]} ({o})" for o in r + r[:1])
        + "): no organisation can be so" for r in rotations]


# ------------------------------------------------------------------------------------------------------ diff_plan
def test_diff_plan_rewords_what_is_unknown_until_apply_every_column_and_the_summary(tmp_path):
    """One plan with each thing diff_plan words itself: an existing policy whose new text is unknown (and detached:
    no edit row of its own from the comparison, so one is added), a new policy of unknown content attached where
    everything is allowed, a new known policy attached nowhere the plan shows while an attachment's policy is
    unknown, a new account. Every row, every column; the summary and its line; the frame's labels."""
    sb = SnapshotSpec(regions=["us-east-1"])
    eng, sandbox = sb.ou("Engineering"), sb.ou("Sandbox")
    app, play = sb.account("App", parent=eng), sb.account("Play", parent=sandbox)
    protect = sb.policy("Protect", PROTECT, [eng])
    o = sb.load(tmp_path / "s")
    pol = {"id": protect, "name": "Protect", "content": json.dumps(PROTECT), "type": "SERVICE_CONTROL_POLICY"}
    changes = [
        rc(f"{P}.protect", P, ["update"], pol, {k: v for k, v in pol.items() if k != "content"}, {"content": True}),
        rc(f"{P}.x", P, ["create"], None, {"name": "X", "type": "SERVICE_CONTROL_POLICY"},
           {"id": True, "content": True}),
        rc(f"{P}.y", P, ["create"], None, {"name": "Y", "type": "SERVICE_CONTROL_POLICY",
                                           "content": json.dumps(DENY_LEAVE)}, {"id": True}),
        rc(f"{AT}.x", AT, ["create"], None, {"target_id": sandbox}, {"id": True, "policy_id": True}),
        rc(f"{AT}.u", AT, ["create"], None, {"target_id": eng}, {"id": True, "policy_id": True}),
        rc(f"{A}.new", A, ["create"], None, {"name": "Newbie", "email": "n@example.com", "parent_id": sandbox},
           {"id": True}),
        rc(f"{AT}.det", AT, ["delete"], {"id": "x", "policy_id": protect, "target_id": eng})]
    config = [cfg(f"{P}.protect", P, content={"references": ["local.document"]}),
              cfg(f"{P}.x", P, content={"references": ["local.doc"]}),
              cfg(f"{AT}.x", AT, policy_id={"references": [f"{P}.x.id", f"{P}.x"]},
                  target_id={"constant_value": sandbox})]
    df = diff_plan(o, plan(changes, config), actions=FEW)
    x, y, new = NEW + f"{P}.x", NEW + f"{P}.y", NEW + f"{A}.new"
    why_p = f"{P}.protect.content is unknown until apply (local.document is not known)"
    why_x = f"{P}.x.content is unknown until apply (local.doc is not known)"
    by_u = f"; could still be denied after apply by the policy that {AT}.u attaches to {eng} (unknown until apply)"
    by_x = "; could still be denied after apply by policy X (its content is unknown until apply)"
    restrict = ("it can only take permissions away there (the level already allows everything, and an SCP never "
                "grants), so the {} below ({}) {} evaluated without it and {} decisions could only become more "
                "restrictive")
    at_app = dict(account_id=app, account_name="App", ou_path="Root/Engineering")
    from orgkit.scp.tamper import TAMPER_ACTIONS

    assert _whole(df) == [
        R("scp_detached", "regression", ou_path="Root/Engineering", policy_id=protect, policy_name="Protect",
          target_id=eng, reason="Protect detached from ou Root/Engineering; changes SCP decisions in 1 account"),
        *[R("tamper", "regression", **at_app, before="explicit_deny", after="allow", service="cloudtrail", action=a,
            reason=f"can now call {a} (was explicit_deny){by_u}")
          for a in ("cloudtrail:DeleteTrail", "cloudtrail:StopLogging")],
        R("tamper", "regression", account_id=new, account_name="Newbie", ou_path="Root/Sandbox", after="allow",
          action=", ".join(TAMPER_ACTIONS), count=len(TAMPER_ACTIONS),
          reason=f"new account can call {len(TAMPER_ACTIONS)} of {len(TAMPER_ACTIONS)} tamper actions{by_x}"),
        R("scp_effect", "regression", **at_app, before="explicit_deny", after="allow", service="cloudtrail",
          action="cloudtrail:DeleteTrail, cloudtrail:StopLogging", count=2,
          reason=f"2 cloudtrail actions now allowed (were explicit_deny){by_u}"),
        R("scp_edited", "unknown", policy_id=protect, policy_name="Protect",
          reason=f"content unknown until apply ({why_p})"),
        R("scp_attached", "unknown", ou_path="Root/Sandbox", policy_id=x, policy_name="X", target_id=sandbox,
          reason=f"X attached to ou Root/Sandbox; content unknown until apply ({why_x}): its effect is not evaluated"),
        R("not_evaluated", "unknown", target_id=eng, source=f"{AT}.u",
          reason=f"{AT}.u: attaches a policy unknown until apply ({AT}.u.policy_id is unknown until apply and the "
                 f"plan records no expression) to {eng}: " + restrict.format("1 account", app, "is", "its")),
        R("not_evaluated", "unknown", policy_id=x, policy_name="X", source=f"{P}.x",
          reason=f"{P}.x: policy content unknown until apply ({why_x}): its effect is not evaluated: "
                 + restrict.format("2 accounts", f"{new}, {play}", "are", "their")),
        R("not_evaluated", "unknown", policy_id=protect, policy_name="Protect", source=f"{P}.protect",
          reason=f"{P}.protect: policy content unknown until apply ({why_p}): its effect is not evaluated"),
        R("account_added", "neutral", account_id=new, account_name="Newbie", ou_path="Root/Sandbox", after="ACTIVE",
          target_id=sandbox, reason="joined the organisation in Root/Sandbox (SCPs attached: FullAWSAccess)"),
        R("scp_created", "neutral", policy_id=x, policy_name="X", after="X",
          reason=f"content unknown until apply ({why_x})"),
        R("scp_created", "neutral", policy_id=y, policy_name="Y", after="Y",
          reason="new SCP (attached nowhere the plan shows; 1 attachment of a policy unknown until apply may attach "
                 "it)")]
    assert summary(df).to_dict("records") == [
        {"kind": k, "regression": r, "improvement": 0, "neutral": n, "unknown": u, "total": r + n + u}
        for k, r, n, u in (("account_added", 0, 1, 0), ("scp_created", 0, 2, 0), ("scp_edited", 0, 0, 1),
                           ("scp_attached", 0, 0, 1), ("scp_detached", 1, 0, 0), ("tamper", 3, 0, 0),
                           ("scp_effect", 1, 0, 0), ("not_evaluated", 0, 0, 3))]
    assert summary_line(df) == ("orgkit diff: 5 regressions, 3 neutral, 5 unknown; tamper protection weakened in 2 "
                                "accounts")
    assert df.attrs == {"before": "2026-01-01T00:00:00+00:00", "after": "plan", "principal": None,
                        "regions_compared": ["us-east-1"]}


def test_a_planned_ou_with_a_slash_in_its_name_is_one_level_in_every_path(rich):
    """An OU "X/Y" planned under "Team/Ops", and Play moved into it: the paths of the rows escape the "/" of each
    name (as the snapshot writes them), so they read as two levels below the root, not four."""
    i = rich.ids
    ops, xy = i["ops"], NEW + f"{O}.xy"
    changes = [rc(f"{O}.xy", O, ["create"], None, {"name": "X/Y", "parent_id": ops}, {"id": True}),
               rc(f"{A}.play", A, ["update"], {"id": i["play"], "name": "Play", "parent_id": ops},
                  {"id": i["play"], "name": "Play"}, {"parent_id": True})]
    config = [cfg(f"{A}.play", A, parent_id={"references": [f"{O}.xy.id", f"{O}.xy"]})]
    df = diff_plan(rich, plan(changes, config), actions=FEW)
    assert _whole(df) == [
        R("account_moved", "neutral", account_id=i["play"], account_name="Play", ou_path=r"Root/Team\/Ops/X\/Y",
          before=r"Root/Team\/Ops", after=r"Root/Team\/Ops/X\/Y", target_id=xy,
          reason=rf"moved from Root/Team\/Ops ({ops}) to Root/Team\/Ops/X\/Y ({xy}); no effect on any account's "
                 "SCP decisions"),
        R("ou_added", "neutral", ou_path=r"Root/Team\/Ops/X\/Y", after="X/Y", target_id=xy,
          reason="new OU (SCPs attached: FullAWSAccess) (RCPs attached: RCPFullAWSAccess)")]


def test_rebuild_keeps_the_snapshot_s_policy_types_and_utc_times(tmp_path):
    """The planned organisation says what the snapshot says of the policy types (SCPs disabled, RCPs enabled but
    unread); joined_at stays a UTC time column when no account's time is known (accounts the plan creates)."""
    sb = SnapshotSpec(regions=["us-east-1"], scp_enabled=False)
    sb.enable_rcps()
    sb.rcp_error = "AccessDeniedException"
    org = sb.load(tmp_path / "s")
    ous, accounts, policies, targets, _, _ = _as_plan_org_holds_it(org)
    for a in accounts.values():
        a["joined_at"] = pd.NaT
    n = rebuild(org, ous, accounts, policies, targets)
    unread = "organizations:AccessDeniedException (the RCPs could not be listed)"
    assert (n.scp_enabled, n.rcp_enabled, n.rcp_unread) == (False, True, unread) == (
        org.scp_enabled, org.rcp_enabled, org.rcp_unread)
    assert n.accounts.joined_at.isna().all() and str(getattr(n.accounts.joined_at.dtype, "tz", None)) == "UTC"


def test_a_parent_chosen_between_two_attributes_of_one_variable_is_unknown_not_guessed(rich):
    """``parent_id = var.cfg.prod_on ? var.cfg.prod : var.cfg.dev``: Terraform records the three references with
    ``var.cfg``; one base, three values. Which OU App lands in is not known: App's answer is unknown and the row says
    which values the expression combines. (It was taken as ``var.cfg.prod_on``, the longest, true: App's parent
    "True" is in no organisation, so App was reported "no longer in the organisation" and its DenyLeave detached, a
    regression.)"""
    i = rich.ids
    app = i["app"]
    changes = [rc(f"{A}.app", A, ["update"], {"id": app, "name": "App", "parent_id": i["eng"]},
                  {"id": app, "name": "App"}, {"parent_id": True})]
    config = [cfg(f"{A}.app", A, parent_id={"references": ["var.cfg.prod_on", "var.cfg", "var.cfg.prod",
                                                            "var.cfg.dev"]})]
    variables = {"cfg": {"value": {"prod_on": True, "prod": i["prod"], "dev": i["ops"]}}}
    df = diff_plan(rich, plan(changes, config, variables=variables), actions=FEW)
    why = (f"{A}.app.parent_id is unknown until apply: its expression combines var.cfg.dev, var.cfg.prod, "
           "var.cfg.prod_on")
    assert _whole(df) == [
        R("scp_effect", "unknown", account_id=app, account_name="App", ou_path="Root/Engineering", after="unknown",
          reason=f"its parent is unknown until apply ({why})"),
        R("not_evaluated", "unknown", account_id=app, source=f"{A}.app",
          reason=f"{A}.app: account parent unknown until apply ({why})")]
