"""Trails that AWS has and Terraform does not know (``unmanaged``), and trails Terraform expects that AWS lacks
(``missing``).

Terraform state is read from a file given by path (the only I/O of :mod:`orgkit.coverage`), in either form:

* ``terraform show -json`` output: ``values.root_module.resources`` and, recursively,
  ``values.root_module.child_modules[].resources``; each resource's ``values`` hold the attributes;
* a raw state file (``terraform.tfstate``, format version 4): ``resources[].instances[].attributes``.

Only ``managed`` resources of type ``aws_cloudtrail`` are read. A state entry matches an AWS trail by ARN
(``arn``, or ``id`` when it is an ARN); without an ARN, by (``name``, region), the region taken from
``home_region`` or ``region``; without either, by name when exactly one AWS trail has it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

import pandas as pd

from orgkit.coverage.cloudtrail import trail_profiles
from orgkit.coverage._cells import account_read_status
from orgkit.model import Org, account_id_of_arn

COLUMNS = ["trail_arn", "name", "account_id", "home_region", "status", "reason", "source", "address"]


class TerraformStateError(ValueError):
    """A Terraform state file that cannot be read; the message names the file."""

    def __init__(self, path: os.PathLike | str, problem: str):
        self.path = str(path)
        super().__init__(f"{path}: {problem}")


def _resources_show_json(mod: dict, where: str) -> Iterable[tuple[str, dict]]:
    for r in mod.get("resources") or []:
        if not isinstance(r, dict):
            raise TerraformStateError(where, "a resource in values.root_module is not an object")
        if r.get("mode", "managed") == "managed" and r.get("type") == "aws_cloudtrail":
            yield r.get("address") or f"aws_cloudtrail.{r.get('name')}", r.get("values") or {}
    for child in mod.get("child_modules") or []:
        yield from _resources_show_json(child, where)


def _resources_raw(doc: dict, where: str) -> Iterable[tuple[str, dict]]:
    for r in doc.get("resources") or []:
        if not isinstance(r, dict) or "instances" not in r:
            raise TerraformStateError(where, "a resource has no 'instances' (is this a version 4 state file?)")
        if r.get("mode") != "managed" or r.get("type") != "aws_cloudtrail":
            continue
        base = (r["module"] + "." if r.get("module") else "") + f"aws_cloudtrail.{r.get('name')}"
        for inst in r["instances"]:
            key = inst.get("index_key")
            addr = base + ("" if key is None else f"[{json.dumps(key)}]")
            attrs = inst.get("attributes")
            if attrs is None:
                raise TerraformStateError(where, f"{addr} has no 'attributes'")
            yield addr, attrs


def read_tfstate(path: os.PathLike | str) -> pd.DataFrame:
    """The ``aws_cloudtrail`` resources of one state file: address, trail_arn, name, home_region, account_id."""
    where = str(path)
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise TerraformStateError(where, f"cannot read: {e.strerror or e}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise TerraformStateError(where, f"not JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    if not isinstance(doc, dict):
        raise TerraformStateError(where, "not a Terraform state: the top level is not an object")
    if "planned_values" in doc or "resource_changes" in doc:
        raise TerraformStateError(where, "this is a plan (`terraform show -json PLANFILE`), not a state: give "
                                         "`terraform show -json` without a plan file, or the .tfstate file")
    if "format_version" in doc and "version" not in doc:
        values = doc.get("values")
        if values is None:
            found: list = []  # an empty state: `terraform show -json` omits "values"
        elif not isinstance(values, dict) or not isinstance(values.get("root_module", {}), dict):
            raise TerraformStateError(where, "'values.root_module' is not an object")
        else:
            found = list(_resources_show_json(values.get("root_module") or {}, where))
    elif "version" in doc:
        if doc["version"] != 4:
            raise TerraformStateError(where, f"state format version {doc['version']} is not supported (only 4; or "
                                             f"give `terraform show -json` output)")
        if not isinstance(doc.get("resources", []), list):
            raise TerraformStateError(where, "'resources' is not a list")
        found = list(_resources_raw(doc, where))
    else:
        raise TerraformStateError(where, "not a Terraform state (neither `terraform show -json` output, with "
                                         "'format_version' and 'values', nor a state file with 'version')")
    rows = []
    for addr, a in found:
        arn = a.get("arn") or (a.get("id") if str(a.get("id") or "").startswith("arn:") else None)
        region = a.get("home_region") or a.get("region") or (arn.split(":")[3] if arn else None)
        rows.append({"address": addr, "trail_arn": arn, "name": a.get("name"), "home_region": region or None,
                     "account_id": account_id_of_arn(arn), "file": where})
    return pd.DataFrame(rows, columns=["address", "trail_arn", "name", "home_region", "account_id", "file"])


def unmanaged_trails(org: Org, tfstate_path: os.PathLike | str | Iterable[os.PathLike | str],
                     include_managed: bool = False) -> pd.DataFrame:
    """Compare the trails of the snapshot with one or several Terraform state files.

    Columns: trail_arn, name, account_id, home_region, status (``unmanaged``: in AWS, in no state file;
    ``missing``: in a state file, not in AWS; ``unknown``: in a state file, in an account whose trails were not
    read; ``managed`` with ``include_managed``), reason, source (the trail ARN, or ``file:address``), address.
    """
    paths = [tfstate_path] if isinstance(tfstate_path, (str, os.PathLike)) else list(tfstate_path)
    if not paths:
        raise ValueError("give at least one Terraform state file")
    tf = pd.concat([read_tfstate(p) for p in paths], ignore_index=True)
    aws = trail_profiles(org)[["trail_arn", "name", "account_id", "home_region"]]
    aws_arns = set(aws["trail_arn"])
    by_name_region = {(n, r): a for a, n, r in zip(aws["trail_arn"], aws["name"], aws["home_region"])}
    names = aws.groupby("name")["trail_arn"].agg(list).to_dict() if len(aws) else {}

    matched: dict[int, str | None] = {}
    how: dict[int, str] = {}
    for i, rec in tf.iterrows():
        arn = rec["trail_arn"]
        if isinstance(arn, str):
            matched[i] = arn if arn in aws_arns else None
            how[i] = "ARN"
        elif isinstance(rec["home_region"], str):
            matched[i] = by_name_region.get((rec["name"], rec["home_region"]))
            how[i] = "name and region"
        else:
            cands = names.get(rec["name"], [])
            matched[i] = cands[0] if len(cands) == 1 else None
            how[i] = "name"
    managed = {a for a in matched.values() if a}

    reads = {a: st for a, (st, _) in account_read_status(org, "cloudtrail").items()}
    rows = []
    for rec in aws.itertuples(index=False):
        if rec.trail_arn in managed:
            if include_managed:
                addrs = [tf.loc[i, "address"] for i, a in matched.items() if a == rec.trail_arn]
                rows.append({"trail_arn": rec.trail_arn, "name": rec.name, "account_id": rec.account_id,
                             "home_region": rec.home_region, "status": "managed", "reason": None,
                             "source": rec.trail_arn, "address": ", ".join(addrs)})
            continue
        rows.append({"trail_arn": rec.trail_arn, "name": rec.name, "account_id": rec.account_id,
                     "home_region": rec.home_region, "status": "unmanaged",
                     "reason": "in AWS, in no Terraform state given", "source": rec.trail_arn, "address": None})
    for i, rec in tf.iterrows():
        if matched[i]:
            continue
        acct = rec["account_id"]
        st = reads.get(acct) if isinstance(acct, str) else None
        src = f"{rec['file']}:{rec['address']}"
        if isinstance(acct, str) and st not in ("ok", "partial"):
            status = "unknown"
            reason = (f"account {acct} is not in the snapshot" if st is None and acct not in set(
                org.accounts["account_id"]) else f"the trails of account {acct} were not read ({st or 'not collected'})")
        else:
            status = "missing"
            reason = f"in Terraform state, not in AWS (matched by {how[i]})"
        rows.append({"trail_arn": rec["trail_arn"], "name": rec["name"], "account_id": acct,
                     "home_region": rec["home_region"], "status": status, "reason": reason, "source": src,
                     "address": rec["address"]})
    out = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
    return out.sort_values(["status", "trail_arn", "address"], na_position="last").reset_index(drop=True)
