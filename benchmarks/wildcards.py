"""Benchmark: adversarial wildcard patterns, the linear matcher against the naive ``.*`` translation.

    python benchmarks/wildcards.py [--stars 4 8 10 12 24 200] [--naive-max 10]

Each pattern has k stars and never matches its value (the worst case for a backtracking matcher): a Resource
``arn:aws:s3:::a*a*...a*b`` against ``arn:aws:s3:::`` + 40 ``a``; an action / StringLike ``*a*a*...*b`` against 40
``a``; an ArnLike whose account field's ``*`` crosses colons, ``arn:aws:iam:a*a*...a*:b*:c`` against ARNs of 40
``a`` and 20 ``a:``. The naive matcher (``re`` with ``.*`` for every ``*``, as orgkit did before issue 17) is timed
only up to ``--naive-max`` stars: its time grows about tenfold per two stars. CPU seconds of one match (best of 3
for the linear one, its regex compiled once), with the machine and load average.

Two scans over text a policy's or a plan's author chooses are timed the same way, at ``--text`` characters: finding
the ``${...}`` policy variables in ``${`` repeated (no ``}``), and stripping the instance key of a Terraform address
``[`` repeated after the resource's name (the old ``re.sub(r"\[[^\]]*\]$", ...)``).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from orgkit.diff.terraform import _strip_index  # noqa: E402
from orgkit.scp.matching import _crossing_regex, action_matches, arn_matches, glob_matches, iter_variables  # noqa: E402

V40 = "a" * 40


def naive_glob(pattern: str, value: str, flags=0) -> bool:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, flags | re.DOTALL) is not None


def naive_crossing(pattern: str, value: str) -> bool:
    parts = []
    for i, seg in enumerate(pattern.split(":")):
        out = []
        for j, ch in enumerate(seg):
            if ch == "*":
                out.append(".*" if (j == len(seg) - 1 or i >= 5) else "[^:]*")
            elif ch == "?":
                out.append("." if i >= 5 else "[^:]")
            else:
                out.append(re.escape(ch))
        parts.append("".join(out))
    return re.fullmatch(":".join(parts), value, re.DOTALL) is not None


def cases(k: int):
    res_p, res_v = "arn:aws:s3:::" + "a*" * k + "b", "arn:aws:s3:::" + V40
    glob_p = "*a" * k + "*b"
    cross_p, cross_v = "arn:aws:iam:" + "a*" * k + ":b*:c", "arn:aws:iam:" + V40 + ":b:" + "a:" * 20
    return [
        ("Resource (ARN resource part)", lambda: arn_matches(res_p, res_v),
         lambda: naive_glob(res_p.split(":", 5)[5], V40)),
        ("Action (case-insensitive)", lambda: action_matches(glob_p, V40), lambda: naive_glob(glob_p, V40, re.I)),
        ("StringLike", lambda: glob_matches(glob_p, V40), lambda: naive_glob(glob_p, V40)),
        ("ArnLike, crossing '*'", lambda: _crossing_regex(cross_p).fullmatch(cross_v) is not None,
         lambda: naive_crossing(cross_p, cross_v)),
    ]


def cpu(fn, repeat=1):
    best = None
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        dt = time.process_time() - t
        best = dt if best is None else min(best, dt)
    assert out in (False, 0, None)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stars", type=int, nargs="+", default=[4, 6, 8, 10, 12, 24, 200])
    ap.add_argument("--naive-max", type=int, default=10)
    ap.add_argument("--text", type=int, nargs="+", default=[20000, 100000])
    args = ap.parse_args(argv)
    cpu_name = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
                    platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    print(f"python {platform.python_version()}, nproc {os.cpu_count()}, cpu: {cpu_name}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'pattern':<30} {'stars':>5} {'linear (s)':>12} {'naive (s)':>12}")
    for k in args.stars:
        for name, linear, naive in cases(k):
            lin = cpu(linear, 3)
            nv = f"{cpu(naive):12.4f}" if k <= args.naive_max else f"{'not run':>12}"
            print(f"{name:<30} {k:>5} {lin:12.6f} {nv}", flush=True)
    var = re.compile(r"\$\{([^}]*)\}")
    for n in args.text:
        vt, at = "${" * (n // 2), "aws_organizations_policy.p" + "[" * n
        scans = [("policy variables in '${'*", lambda: len(list(iter_variables(vt))),
                  lambda: len(list(var.finditer(vt)))),
                 ("plan address key '['*", lambda: _strip_index(at) and None,
                  lambda: re.sub(r"\[[^\]]*\]$", "", at) and None)]
        for name, linear, naive in scans:
            print(f"{name:<30} {n:>5} {cpu(linear, 3):12.6f} {cpu(naive):12.4f}  (characters, not stars)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
