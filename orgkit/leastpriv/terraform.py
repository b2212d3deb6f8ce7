"""The proposal as Terraform: ``aws_organizations_policy`` (content through ``jsonencode``) and
``aws_organizations_policy_attachment`` per policy; detachments of an allow-list are written as comments (a
``terraform import``/``removed`` of an existing attachment is the operator's call)."""

from __future__ import annotations

import json
import re

from orgkit.leastpriv import MARKER


def _hcl_string(v: str) -> str:
    # JSON string escapes are HCL's; ${ and %{ start templates in HCL and are doubled to stay literal
    return json.dumps(v, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def _hcl(v, indent: int = 2) -> str:
    pad = " " * indent
    if isinstance(v, dict):
        if not v:
            return "{}"
        inner = "\n".join(f"{pad}  {_hcl_string(k)} = {_hcl(x, indent + 2)}" for k, x in v.items())
        return "{\n" + inner + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        inner = ",\n".join(f"{pad}  {_hcl(x, indent + 2)}" for x in v)
        return "[\n" + inner + ",\n" + pad + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return _hcl_string(str(v))


def _label(name: str) -> str:
    lab = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    return lab if re.match(r"[A-Za-z_]", lab) else f"p_{lab}"


def render(s) -> str:
    out = [f"# orgkit scp suggest --target {s.target} --strategy {s.strategy} --days {s.days}",
           f"# {'proven: nothing used in the window and nothing in the core is denied' if s.ready else 'NOT PROVEN'}"]
    for i, (name, doc) in enumerate(zip(s.policy_names(), s.policies)):
        lab = _label(name)
        out.append("")
        old = s.updates[i] if i < len(s.updates) else None
        if old is not None:
            out.append(f"# updates {old} in place: the same resource address as the Terraform orgkit proposed before "
                       "(terraform plan shows an update of its content, not a new policy)")
        out.append(f'resource "aws_organizations_policy" "{lab}" {{')
        out.append(f"  name        = {_hcl_string(name)}")
        out.append(f"  description = {_hcl_string('Least privilege for ' + s.target_name + ' ' + MARKER)}")
        out.append('  type        = "SERVICE_CONTROL_POLICY"')
        out.append(f"  content     = jsonencode({_hcl(doc, 2)})")
        out.append("}")
        out.append("")
        out.append(f'resource "aws_organizations_policy_attachment" "{lab}" {{')
        out.append(f"  policy_id = aws_organizations_policy.{lab}.id")
        out.append(f"  target_id = {_hcl_string(s.target)}")
        out.append("}")
    for pid in s.retire:
        out.append("")
        out.append(f"# retire {pid} ({s.previous.get('names', {}).get(pid, pid)}): the update no longer needs it "
                   "(remove its aws_organizations_policy and attachment resources)")
    for pid in s.detach:
        out.append("")
        out.append(f"# detach {pid} from {s.target}: the allow-list replaces it (remove that attachment where it is managed)")
    return "\n".join(out) + "\n"
