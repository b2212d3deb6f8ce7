"""SCP evaluation: can this account do that, and why?

One question gives one :class:`Decision` with provenance; many give a DataFrame. Policies come from
an ``Org`` (its OU graph, ``policies`` and ``policy_targets``) or are given directly as levels::

    from orgkit import scp
    scp.decide(org, "123456789012", "cloudtrail:StopLogging").explain()
    scp.can(org, "s3:PutObject", principal="role/Dev")            # every account
    scp.summary(org, by="service")                                 # every account × every action
    scp.evaluate([[full_access], [full_access, deny_regions]], "ec2:RunInstances",
                 context={"aws:RequestedRegion": "us-east-1"})     # no organisation needed

Decisions: ``allow`` · ``explicit_deny`` · ``implicit_deny`` · ``conditional`` · ``exempt`` · ``unknown``.
Context keys not given are unknown (the answer is exact over their values: ``conditional`` only when it
really depends on them); ``context={"k": scp.ABSENT}`` says a key is absent, ``scp.UNKNOWN`` that it is
unknown even if the organisation implies it, ``missing="absent"`` that every key not given is absent.
``resource=None`` or ``"*"`` means any resource. See docs/scp.md for the semantics.
"""

from __future__ import annotations

import collections
from typing import Any, Mapping, Sequence

import pandas as pd

from orgkit.scp.catalog import Catalog, default_catalog
from orgkit.scp.conditions import BASE_OPERATORS, evaluate_condition_block
from orgkit.scp.engine import (ABSENT, DECISIONS, FULL_AWS_ACCESS, UNKNOWN, AbsentContext, Decision, Level, LevelResult,
                               RequestContext, evaluate, resolve_missing)
from orgkit.scp.lint import lint, lint_policy
from orgkit.scp.matching import Unknown, action_matches, arn_matches
from orgkit.scp.matrix import ScpMatrix, compute_matrix
from orgkit.scp.org import PERSONAS, Evaluator, OrgView, check_action, resolve_principal
from orgkit.scp.policy import Policy, PolicyError, Statement, compile_policy
from orgkit.scp.tamper import (DEPENDENCY_RESOURCES, FAILING_VERDICTS, PROTECTED_RESOURCES, TAMPER_ACTIONS, VERDICTS,
                               guardduty_guards, tamper_protection)
from orgkit.scp.whatif import WhatIf

__all__ = [
    "DECISIONS", "PERSONAS", "TAMPER_ACTIONS", "FULL_AWS_ACCESS", "BASE_OPERATORS",
    "Catalog", "default_catalog", "Decision", "Level", "LevelResult", "Evaluator", "OrgView", "Policy",
    "PolicyError", "Statement", "ScpMatrix", "WhatIf", "Unknown", "AbsentContext", "ABSENT", "UNKNOWN",
    "RequestContext", "check_action",
    "evaluate", "evaluator", "decide", "explain", "can", "matrix", "summary", "tamper_protection", "PROTECTED_RESOURCES", "DEPENDENCY_RESOURCES", "FAILING_VERDICTS", "VERDICTS", "guardduty_guards", "lint",
    "lint_policy", "compile_policy", "resolve_principal", "action_matches", "arn_matches",
    "evaluate_condition_block",
]

_EVALUATORS: "collections.OrderedDict[int, tuple[Any, Evaluator]]" = collections.OrderedDict()
_CACHE_SIZE = 4


def evaluator(org, catalog: Catalog | None = None) -> Evaluator:
    """The :class:`Evaluator` for an organisation, cached for the last few ``Org`` objects asked about,
    so policies are compiled and chains resolved once. (An ``Org`` is not hashable, so the cache is by
    identity; build a new ``Evaluator`` yourself after changing an ``Org`` in place.)"""
    if isinstance(org, Evaluator):
        return org
    if catalog is not None:
        return Evaluator(org, catalog)
    hit = _EVALUATORS.get(id(org))
    if hit is not None and hit[0] is org:
        _EVALUATORS.move_to_end(id(org))
        return hit[1]
    ev = Evaluator(org)
    _EVALUATORS[id(org)] = (org, ev)
    while len(_EVALUATORS) > _CACHE_SIZE:
        _EVALUATORS.popitem(last=False)
    return ev


def decide(org, account_id: str, action: str, resource: str | None = None, principal: str | None = None,
           context: Mapping[str, Any] | None = None, absent_unknown: bool | None = None, *,
           missing: str | None = None) -> Decision:
    """One account, one action: a :class:`Decision` (``.explain()`` for the level-by-level text)."""
    missing = resolve_missing(missing, absent_unknown, context)
    return evaluator(org).decide(str(account_id), action, resource, principal, _plain(context), missing=missing)


explain = decide


def _plain(context):
    return dict(context) if isinstance(context, AbsentContext) else context


def can(org, action: str | Sequence[str], resource: str | None = None, principal: str | None = None,
        context: Mapping[str, Any] | None = None, accounts: Sequence[str] | None = None,
        absent_unknown: bool | None = None, *, missing: str | None = None) -> pd.DataFrame:
    """The decision for every account (and every action given), with reason and source."""
    missing = resolve_missing(missing, absent_unknown, context)
    return evaluator(org).can(action, resource, principal, _plain(context), accounts, missing=missing)


def matrix(org, principal: str | None = None, context: Mapping[str, Any] | None = None,
           resource: str | None = None, actions: Sequence[str] | None = None,
           absent_unknown: bool | None = None, *, missing: str | None = None) -> ScpMatrix:
    """The account × action decision matrix over the catalog (or ``actions``)."""
    missing = resolve_missing(missing, absent_unknown, context)
    return compute_matrix(evaluator(org), principal, _plain(context), resource, actions, missing=missing)


def summary(org, by: Sequence[str] | str | None = ("service", "access_level"), principal: str | None = None,
            context: Mapping[str, Any] | None = None, resource: str | None = None,
            actions: Sequence[str] | None = None, absent_unknown: bool | None = None, *,
            missing: str | None = None) -> pd.DataFrame:
    """For every account, how many actions of each service / access level are allowed, denied, conditional."""
    missing = resolve_missing(missing, absent_unknown, context)
    return matrix(org, principal, _plain(context), resource, actions, missing=missing).summary(by)
