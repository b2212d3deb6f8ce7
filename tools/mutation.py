"""Mutation testing of one module that decides answers, with mutmut 3 (not run by CI: too slow on 2 cores).

    python3 tools/mutation.py orgkit/coverage/cloudtrail.py                # its default test files (TESTS)
    python3 tools/mutation.py orgkit/scp/matching.py tests/test_scp_matching.py   # or the test files given

Copies the committed tree (``git ls-files``, plus uncommitted edits of those files) to a scratch directory, writes
a ``[tool.mutmut]`` table there that mutates only MODULE and runs only the given test files, runs ``mutmut run``
in it (your work tree is never touched: mutmut's ``mutants/`` lives in the scratch copy), then prints the score
and the surviving mutants (``mutmut show NAME`` in the scratch directory shows one). TESTING.md has the figures.

Needs ``pip install 'mutmut>=3.8,<4'``. ``--keep DIR`` uses DIR as the scratch directory and keeps it.

``--sample N [--seed S]`` runs N of the module's mutants drawn at random (seeded, uniformly, without replacement)
instead of all of them, and prints the score of the sample with its 95 % Wilson interval: an unbiased estimate of
the share of the module's mutants the tests kill, for the modules whose whole run takes hours on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: tests/test_faults.py's tests that take seconds each (a hung or refusing endpoint, Ctrl-C, credential chains, a
#: figure) or run notebooks (which need files mutmut does not copy): left out of the mutation runs of snapshot.py,
#: where every surviving mutant would run them all again
SLOW_FAULTS = ["test_notebooks_run_to_the_end_on_another_organisation", "test_endpoint_that_refuses_connections",
               "test_secrets_stay_out_of_every_output", "test_ctrl_c_is_prompt_while_worker_threads_wait_on_a_hung_call",
               "test_unknown_profile", "test_ctrl_c_during_migrate_apply_keeps_the_journal", "test_no_credentials",
               "test_ctrl_c_during_collect_keeps_the_previous_snapshot", "test_ou_tree_figure_keeps_both_ous"]

#: The modules that decide answers and the test files that hold each (the fast ones, without the local AWS where
#: the module is pure). A module's mutants are run against these files only.
TESTS = {
    "orgkit/coverage/cloudtrail.py": ["tests/test_coverage_cloudtrail.py", "tests/test_coverage_lake.py",
                                      "tests/test_coverage_lake_accounts.py"],  # the Lake functions are tested there
    "orgkit/coverage/selectors.py": ["tests/test_coverage_cloudtrail.py", "tests/test_coverage_edge_cases.py"],
    "orgkit/coverage/guardduty.py": ["tests/test_coverage_guardduty.py", "tests/test_coverage_edge_cases.py"],
    "orgkit/coverage/cost.py": ["tests/test_coverage_cost.py"],
    "orgkit/coverage/iac.py": ["tests/test_coverage_iac.py"],
    "orgkit/scp/engine.py": ["tests/test_scp_engine.py", "tests/test_scp_exact.py", "tests/test_scp_engine_outputs.py"],
    "orgkit/scp/matching.py": ["tests/test_scp_matching.py"],
    "orgkit/scp/conditions.py": ["tests/test_scp_conditions.py"],
    "orgkit/guardduty/plan.py": ["tests/test_migration_plan.py"],
    "orgkit/guardduty/state.py": ["tests/test_migration_plan.py", "tests/test_coverage_guardduty.py"],
    "orgkit/diff/effect.py": ["tests/test_diff.py", "tests/test_diff_rcp_lake.py"],  # the RCP effect is there
    "orgkit/diff/terraform.py": ["tests/test_diff_terraform.py"],
    "orgkit/aws/migrate.py": ["tests/test_migration_journal.py", "tests/test_migration_handlers.py",
                              "tests/test_migration_journal_live.py",
                              "tests/test_migration_executor.py",
                              "tests/test_migration_other_admin.py", "tests/test_migration_many_accounts.py"],
    "orgkit/snapshot.py": ["tests/test_snapshot.py", "tests/test_snapshot_integrity.py", "tests/test_faults.py",
                           *(f"--deselect=tests/test_faults.py::{t}" for t in SLOW_FAULTS)],
}


#: The packages that decide answers, each as the modules of it that do (not its CLI, notebook helpers or figures)
#: and the test files that hold them. ``python3 tools/mutation.py orgkit/scp/ --sample 200`` draws from the mutants
#: of all these modules together and prints the score of the package and of each module in the sample.
PACKAGES = {
    "orgkit/coverage/": (["_cells", "cloudtrail", "selectors", "guardduty", "cost", "iac", "summary"],
                         ["tests/test_coverage_cloudtrail.py", "tests/test_coverage_guardduty.py",
                          "tests/test_coverage_edge_cases.py", "tests/test_coverage_cost.py",
                          "tests/test_coverage_iac.py", "tests/test_coverage_summary.py", "tests/test_coverage_lake.py",
                          "tests/test_coverage_lake_accounts.py"]),
    "orgkit/scp/": (["engine", "conditions", "matching", "policy", "org", "partition", "tamper", "dependencies",
                     "matrix", "whatif", "compare", "lint", "catalog"],
                    ["tests/test_scp_engine.py", "tests/test_scp_exact.py", "tests/test_scp_conditions.py",
                     "tests/test_scp_matching.py", "tests/test_scp_matching_linear.py", "tests/test_scp_org.py",
                     "tests/test_tamper_verdicts.py", "tests/test_tamper_dependencies.py",
                     "tests/test_scp_lint.py", "tests/test_scp_matrix.py", "tests/test_scp_matrix_parts.py",
                     "tests/test_scp_partition.py", "tests/test_scp_catalog.py", "tests/test_scp_engine_outputs.py"]),
    "orgkit/guardduty/": (["plan", "state", "availability"],
                          ["tests/test_migration_plan.py", "tests/test_guardduty_region_availability.py",
                           "tests/test_coverage_guardduty.py"]),
    "orgkit/diff/": (["__init__", "rows", "effect", "state", "structure", "terraform"],
                     ["tests/test_diff.py", "tests/test_diff_rcp_lake.py", "tests/test_diff_terraform.py",
                      "tests/test_diff_effect.py",
                      "tests/test_diff_structure.py",
                      "tests/test_diff_plan_org.py",
                      "tests/test_diff_plan_parts.py",
                      "tests/test_diff_cells.py",
                      "tests/test_diff_trails.py",
                      "tests/test_diff_frame.py"]),
}


def module_of(mutant: str, modules: list[str]) -> str:
    """The module path of a mutant name such as ``orgkit.scp.engine.x_decide__mutmut_3``."""
    dotted = {m: m[:-3].replace("/", ".").removesuffix(".__init__") for m in modules}  # mutmut names a
    for m in sorted(modules, key=lambda m: len(dotted[m]), reverse=True):           # package's __init__ "pkg"
        if mutant.startswith(dotted[m] + "."):
            return m
    return "?"


def copy_tree(dest: Path) -> None:
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], check=True, capture_output=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = ROOT / rel
        if not src.is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)


#: decorators that change nothing a test can see (``no_gc`` only pauses the garbage collector). mutmut 3 does not
#: mutate a decorated function at all (other than a static or class method), so in the scratch copy of the mutated
#: module these lines are removed: without it the main functions of coverage/cloudtrail.py and coverage/guardduty.py
#: were never mutated.
NEUTRAL_DECORATORS = ("no_gc",)


def undecorate(path: Path) -> int:
    """Remove the :data:`NEUTRAL_DECORATORS` lines of ``path`` (the scratch copy); how many were removed."""
    pat = re.compile(r"(?m)^[ \t]*@(?:%s)[ \t]*\n" % "|".join(map(re.escape, NEUTRAL_DECORATORS)))
    text, n = pat.subn("", path.read_text())
    path.write_text(text)
    return n


def configure(dest: Path, modules: list[str], tests: list[str]) -> None:
    py = dest / "pyproject.toml"
    text = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", py.read_text())
    table = ("\n[tool.mutmut]\n"
             'source_paths = ["orgkit/"]\n'
             f"only_mutate = {json.dumps(modules)}\n"
             f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
             # no notebook plugin, no cache, no integration server beyond what the chosen tests start
             'pytest_add_cli_args = ["-p", "no:cacheprovider", "-o", "addopts=", "-q"]\n'
             "use_git_change_detection = false\n")
    py.write_text(text.rstrip() + "\n" + table)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of ``k`` successes in ``n`` draws, as percentages."""
    if n == 0:
        return (0.0, 100.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(100 * max(0.0, centre - half), 1), round(100 * min(1.0, centre + half), 1))


def all_mutants(mutmut: str, scratch: Path, env: dict, max_children: int) -> list[str]:
    """Every mutant name of the configured module. mutmut 3 has no "list" command: a run filtered on a name no
    mutant has generates the mutants and the test statistics (both kept for the next run), then stops."""
    subprocess.run([mutmut, "run", "--max-children", str(max_children), "orgkit-mutation-sample-none"],
                   cwd=scratch, env=env, check=False, capture_output=True)
    res = subprocess.run([mutmut, "results", "--all", "true"], cwd=scratch, env=env, capture_output=True, text=True)
    names = sorted(m.group(1) for line in res.stdout.splitlines() if (m := re.match(r"\s*(\S+): (.+)$", line)))
    if not names:
        raise SystemExit(f"mutation.py: mutmut generated no mutant in {scratch}:\n{res.stdout}{res.stderr}")
    return names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module", help="the module to mutate, e.g. orgkit/coverage/cloudtrail.py, or a package of "
                    "PACKAGES, e.g. orgkit/scp/")
    ap.add_argument("tests", nargs="*", help="the test files that hold it (default: TESTS[module])")
    ap.add_argument("--keep", type=Path, help="scratch directory to use and keep")
    ap.add_argument("--max-children", type=int, default=2)
    ap.add_argument("--mutants", nargs="+", default=[], metavar="NAME",
                    help="run only these mutants (names or globs, e.g. 'orgkit.coverage.cloudtrail.x__age*')")
    ap.add_argument("--sample", type=int, metavar="N", help="run N mutants drawn at random from the module's")
    ap.add_argument("--seed", type=int, default=22, help="the seed of --sample's draw (default 22)")
    a = ap.parse_args(argv)
    if a.module in PACKAGES:
        modules = [f"{a.module}{m}.py" for m in PACKAGES[a.module][0]]
        a.tests = a.tests or PACKAGES[a.module][1]
    elif (ROOT / a.module).is_file():
        modules = [a.module]
    else:
        ap.error(f"{a.module}: no such module (or package of PACKAGES: {', '.join(PACKAGES)})")
    a.tests = a.tests or TESTS.get(a.module)
    if not a.tests:
        ap.error(f"{a.module}: no default test files: name them")
    if a.sample is not None and (a.mutants or a.sample < 1):
        ap.error("--sample N takes a positive N and no --mutants")
    mutmut = shutil.which("mutmut")
    if mutmut is None:
        print("mutation.py: mutmut is not installed: pip install 'mutmut>=3.8,<4'", file=sys.stderr)
        return 2
    scratch = a.keep or Path(tempfile.mkdtemp(prefix="orgkit-mutation-"))
    scratch.mkdir(parents=True, exist_ok=True)
    copy_tree(scratch)
    configure(scratch, modules, a.tests)
    for module in modules:
        if n := undecorate(scratch / module):
            print(f"{module}: {n} @{'/@'.join(NEUTRAL_DECORATORS)} line(s) removed in the scratch copy so that "
                  "mutmut mutates those functions", flush=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    print(f"mutating {a.module} in {scratch} (tests: {' '.join(a.tests)})", flush=True)
    population = None
    if a.sample is not None:
        names = all_mutants(mutmut, scratch, env, a.max_children)
        population = len(names)
        a.mutants = sorted(random.Random(a.seed).sample(names, min(a.sample, population)))
        print(f"sample: {len(a.mutants)} of the {population} mutants (seed {a.seed})", flush=True)
    chosen = set(a.mutants)
    subprocess.run([mutmut, "run", "--max-children", str(a.max_children), *a.mutants], cwd=scratch, env=env,
                   check=False)
    res = subprocess.run([mutmut, "results", "--all", "true"], cwd=scratch, env=env, capture_output=True, text=True)
    counts: dict[str, int] = {}
    per_module: dict[str, dict[str, int]] = {}
    survivors = []
    for line in res.stdout.splitlines():
        m = re.match(r"\s*(\S+): (.+)$", line)
        if not m:
            continue
        status = m.group(2).strip()
        if population is not None and m.group(1) not in chosen:
            continue  # outside the sample
        if a.mutants and status == "not checked":
            continue  # outside the mutants asked for
        counts[status] = counts.get(status, 0) + 1
        mc = per_module.setdefault(module_of(m.group(1), modules), {})
        mc[status] = mc.get(status, 0) + 1
        if status == "survived":
            survivors.append(m.group(1))
    total = sum(counts.values())
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    out = {"module": a.module, "tests": a.tests, "mutants": total, "counts": counts,
           "score": round(100 * killed / total, 1) if total else None}
    if population is not None:
        out.update(population=population, seed=a.seed, interval_95=wilson(killed, total))
    if len(modules) > 1:
        out["per_module"] = {m: {"mutants": sum(c.values()), "killed": c.get("killed", 0) + c.get("timeout", 0),
                                 "counts": c} for m, c in sorted(per_module.items())}
    print(json.dumps(out, indent=1))
    for s in survivors:
        print("survived:", s)
    if a.keep is None:
        print(f"(scratch directory kept for `mutmut show`: {scratch})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
