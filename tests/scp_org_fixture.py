"""An in-memory stand-in for a loaded Org (the attributes the SCP engine reads), shared by the SCP tests."""

import json
import types

import networkx as nx
import pandas as pd

MGMT = "000000000001"


def make_org(structure, policies, mgmt=MGMT, org_id="o-abcdef1234"):
    """``structure``: (node, parent, kind, name, [policy ids]) rows, parents first."""
    g = nx.DiGraph()
    for node, parent, kind, name, scps in structure:
        g.add_node(node, kind=kind, name=name, scps=sorted(scps))
        if kind == "account":
            g.nodes[node]["is_management"] = node == mgmt
        if parent:
            g.add_edge(parent, node)
    accounts = []
    for node, parent, kind, name, _ in structure:
        if kind == "account":
            chain = nx.shortest_path(g, structure[0][0], parent)
            accounts.append({"account_id": node, "account_name": name,
                             "ou_path": "/".join(g.nodes[n]["name"] for n in chain), "is_management": node == mgmt})
    pols = pd.DataFrame([{"policy_id": k, "name": k.removeprefix("p-"), "description": None, "type": "SERVICE_CONTROL_POLICY",
                          "aws_managed": k == "p-FullAWSAccess", "arn": f"arn:aws:organizations::x:policy/{k}",
                          "content": v if isinstance(v, str) else json.dumps(v, indent=2)} for k, v in policies.items()])
    targets = pd.DataFrame([{"policy_id": p, "target_id": n, "target_type": k.upper(), "target_name": nm}
                            for n, _, k, nm, ps in structure for p in ps],
                           columns=["policy_id", "target_id", "target_type", "target_name"])
    return types.SimpleNamespace(graph=g, policies=pols, policy_targets=targets, accounts=pd.DataFrame(accounts),
                                 management_account_id=mgmt, organization_id=org_id)
