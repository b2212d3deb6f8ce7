"""``orgkit demo``: the demo organisation, end to end, with no AWS account.

It starts the local AWS (a moto server with orgkit's extension) on 127.0.0.1, builds the demo organisation from
its scenario through boto3, runs the real collector against it over HTTP, executes the curated notebooks on the
snapshot and writes them as HTML reports. Nothing leaves loopback; no credentials are needed (dummy ones are set
for the child processes only).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from orgkit.model import BUNDLED_DEMO
from orgkit.report import (REPORT_TEMPLATE, inject_parameters, notebooks, private_dir, report_html,  # noqa: F401
                           run_notebook, write_private)

DUMMY_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
             "AWS_DEFAULT_REGION": "us-east-1"}
BUNDLED_TFSTATE = BUNDLED_DEMO.parent / "demo-terraform.tfstate"
BUNDLED_LATER = BUNDLED_DEMO.parent / "demo-later"
BUNDLED_TFPLAN = BUNDLED_DEMO.parent / "demo-later-plan.json"


@contextmanager
def dummy_credentials() -> Iterator[None]:
    """Dummy credentials and no AWS profile/endpoint from the user's environment, for the duration of the block."""
    saved = {k: os.environ.get(k) for k in [*DUMMY_ENV, "AWS_PROFILE", "AWS_ENDPOINT_URL", "MOTO_ACCOUNT_ID"]}
    os.environ.update(DUMMY_ENV)
    for k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "MOTO_ACCOUNT_ID"):
        os.environ.pop(k, None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def collect_demo(out: Path, scenario: str | Path = "demo", progress: bool = False, workers: int = 16,
                 later: str | Path | None = "demo-later") -> dict:
    """Build the demo organisation in a fresh local AWS and collect it into ``out``; then, with ``later`` (a
    scenario of steps, ``scenarios/demo-later.json``), apply its steps to the same organisation through boto3 and
    collect it again ("the demo organisation some time later"), and write the Terraform plan fixture for it.

    Returns ``{"snapshot": path, "tfstate": path, "later": path | None, "tfplan": path | None,
    "ids": {key: account id}, "seconds": {...}}``.
    """
    from orgkit.aws.collect import collect
    from orgkit.localaws.scenario import Builder, load_scenario, terraform_plan, terraform_state
    from orgkit.localaws.server import LocalAWS

    sc = load_scenario(scenario)
    out = private_dir(Path(out))
    timings = {}
    later_snap = plan_path = None
    with dummy_credentials(), LocalAWS(seed=sc.get("seed")) as aws:
        t = time.monotonic()
        builder = Builder(aws.endpoint_url, json.loads(json.dumps(sc)))
        ids = builder.build()
        timings["build"] = round(time.monotonic() - t, 2)
        aws.set_options(strict_assume_role=True)  # from here on, a role that does not exist cannot be assumed
        # IAM's access reports show the scenario's use (its "usage" calls and the building), not the collector's
        # own calls, whose order varies: AWS too shows recent activity only after a while
        aws.set_options(access_data_frozen=True)
        t = time.monotonic()
        if progress:  # two progress bars follow: say which is which
            print("  collecting the demo organisation (snapshot):", file=sys.stderr)
        snap = collect(out / "snapshot", endpoint_url=aws.endpoint_url, regions=sc["regions"], workers=workers,
                       progress="snapshot" if progress else False, access_reports=True)
        timings["collect"] = round(time.monotonic() - t, 2)
        if later is not None:
            lsc = load_scenario(later)
            # reseed: the later ids do not depend on how many random draws the collection above made
            aws.seed(lsc["seed"])
            t = time.monotonic()
            ids = builder.later(lsc["steps"])
            if progress:
                print("  collecting it again some time later, after the scenario's changes (snapshot-later):",
                      file=sys.stderr)
            later_snap = collect(out / "snapshot-later", endpoint_url=aws.endpoint_url, regions=sc["regions"],
                                 workers=workers, progress="snapshot-later" if progress else False,
                                 access_reports=True)
            timings["later"] = round(time.monotonic() - t, 2)
    tf = out / "terraform.tfstate"
    write_private(tf, json.dumps(terraform_state(sc, ids), indent=1, sort_keys=True) + "\n")
    if later_snap is not None and lsc.get("terraform_plan"):
        from orgkit.model import load

        plan_path = out / "terraform-plan.json"
        write_private(plan_path, json.dumps(terraform_plan(lsc["terraform_plan"], load(later_snap)), indent=1,
                                            sort_keys=True) + "\n")
    return {"snapshot": snap, "tfstate": tf, "later": later_snap, "tfplan": plan_path, "ids": ids,
            "seconds": timings}


def explain_errors(snapshot: Path, scenario: str | Path = "demo") -> list[str]:
    """One line per collection error of a demo snapshot: planted by the scenario (an account built without the role
    the collector assumes) or not."""
    from orgkit.localaws.scenario import load_scenario

    sc = load_scenario(scenario)
    errors = json.loads((Path(snapshot) / "errors.json").read_text()).get("Errors", [])
    accounts = json.loads((Path(snapshot) / "organization.json").read_text()).get("Accounts", [])
    names = {a.get("Id"): a.get("Name") for a in accounts}
    no_role = {a["name"] for a in sc.get("accounts", []) if a.get("role", True) is False}
    lines = []
    for e in errors:
        aid = e.get("account_id")
        who = f"{names.get(aid, aid)} ({aid})"
        what = f"{e.get('service')}:{e.get('operation')} {e.get('error_code')}"
        if names.get(aid) in no_role and e.get("operation") == "AssumeRole":
            lines.append(f"{who}: {what} -- planted: the scenario builds this account without the role the "
                         "collector assumes, so its own trails and detectors show as unknown")
        else:
            lines.append(f"{who} {e.get('region') or ''}: {what} -- not planted by the scenario: "
                         f"{e.get('message')}")
    return lines


def _cmd_demo(args: argparse.Namespace) -> int:
    out = private_dir(Path(args.out).absolute())
    print(f"orgkit demo: local AWS on 127.0.0.1, demo organisation, collector, notebooks -> {out}", file=sys.stderr)
    # the live progress bar only on a terminal; otherwise the one line below says how it went
    res = collect_demo(out, progress=not args.quiet and sys.stderr.isatty())
    print(f"  organisation built in {res['seconds']['build']} s, collected in {res['seconds']['collect']} s: "
          f"{res['snapshot']}", file=sys.stderr)
    errs = explain_errors(res["snapshot"])
    if errs:
        print(f"  {len(errs)} collection error(s) recorded in the snapshot (the run went on):", file=sys.stderr)
        for line in errs:
            print(f"    {line}", file=sys.stderr)
    if args.write_bundled:
        if BUNDLED_DEMO.exists():
            shutil.rmtree(BUNDLED_DEMO)
        shutil.copytree(res["snapshot"], BUNDLED_DEMO)
        shutil.copy(res["tfstate"], BUNDLED_TFSTATE)
        if res["later"] is not None:
            if BUNDLED_LATER.exists():
                shutil.rmtree(BUNDLED_LATER)
            shutil.copytree(res["later"], BUNDLED_LATER)
        if res["tfplan"] is not None:
            shutil.copy(res["tfplan"], BUNDLED_TFPLAN)
        print(f"  bundled demo snapshot refreshed: {BUNDLED_DEMO}", file=sys.stderr)
    reports = []
    if not args.no_notebooks:
        params = {"SNAPSHOT": str(res["snapshot"]), "TFSTATE": str(res["tfstate"])}
        if res["later"] is not None:
            params["LATER"] = str(res["later"])
        if res["tfplan"] is not None:
            params["TFPLAN"] = str(res["tfplan"])
        for nb in notebooks():
            t = time.monotonic()
            reports.append(run_notebook(nb, out / "reports", params))
            print(f"  {nb.name} executed in {time.monotonic() - t:.1f} s", file=sys.stderr)
    print(f"snapshot: {res['snapshot']}")
    print(f"terraform state: {res['tfstate']}")
    if res["later"] is not None:
        print(f"snapshot later: {res['later']}")
    if res["tfplan"] is not None:
        print(f"terraform plan: {res['tfplan']}")
    for r in reports:
        print(f"report: {r}")
    return 0


def register(sub) -> None:
    d = sub.add_parser("demo", help="build the demo organisation in a local AWS, collect it and write the reports")
    d.add_argument("--out", default="orgkit-demo", help="output directory (default ./orgkit-demo)")
    d.add_argument("--no-notebooks", action="store_true", help="collect only; do not execute the notebooks")
    d.add_argument("--write-bundled", action="store_true",
                   help="(maintainers) refresh the snapshot bundled in orgkit/datasets/demo from this run")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.set_defaults(fn=_cmd_demo)
