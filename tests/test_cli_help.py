"""Issue 19: every command's and subcommand's ``--help`` is written for a user: every option says what it does, and
no help carries reST markup or the developer wording of a docstring."""

from __future__ import annotations

import argparse
import re

from orgkit.cli import build_parser

#: reST roles and inline literals a docstring may carry
MARKUP = re.compile(r"``|:(?:func|class|mod|data|meth|attr|obj|ref|doc):`|\.\. [a-z]+::")


def _parsers(parser: argparse.ArgumentParser, path=("orgkit",)):
    yield " ".join(path), parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, path + (name,))


PARSERS = list(_parsers(build_parser()))


def test_every_command_is_walked():
    names = {p for p, _ in PARSERS}
    assert {"orgkit", "orgkit scp tamper", "orgkit coverage", "orgkit diff", "orgkit report"} <= names
    assert len(names) > 12


def test_every_option_of_every_command_has_a_help_text():
    missing = []
    for path, parser in PARSERS:
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if action.help is argparse.SUPPRESS:
                continue
            if not (action.help or "").strip():
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, missing


def test_no_help_carries_rest_markup():
    bad = []
    for path, parser in PARSERS:
        text = parser.format_help()
        for m in MARKUP.finditer(text):
            bad.append(f"{path}: ...{text[max(0, m.start() - 40):m.end() + 20]!r}")
    assert not bad, bad[:5]


def test_orgkit_help_opens_with_what_it_does_for_a_user():
    first = build_parser().description.strip().split(".")[0]
    assert first.startswith("Review the security coverage"), first
    for word in ("module", "docstring", "imports", "DataFrame"):
        assert word not in build_parser().description


def test_scp_tamper_help_explains_context_unknown_and_absent():
    tamper = dict(PARSERS)["orgkit scp tamper"]
    helps = {a.option_strings[0]: a.help for a in tamper._actions if a.option_strings}
    assert "condition key" in helps["--context"] and "unknown" in helps["--context"]
    assert "condition keys" in helps["--unknown"] and "every value" in helps["--unknown"]
    assert "absent" in helps["--absent"]
    assert "tamper" in tamper.description.lower() and "stop" in tamper.description
