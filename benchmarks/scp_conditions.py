"""Benchmark: evaluating SCP condition blocks (orgkit.scp.conditions.evaluate_condition_block), CPU time per block.

    python benchmarks/scp_conditions.py [--rounds 9]

Four blocks such as SCPs carry (a region deny with a role exception, a root-user match, an MFA age with a
transport flag, a date with source ranges) against 200 generated request contexts; the best of ``--rounds``
rounds of CPU time (``time.process_time``: on a shared machine wall time measures the other processes too).
Run it on two trees (``PYTHONPATH=TREE``) to compare them: it prints the file it imported.
"""

from __future__ import annotations

import argparse
import platform
import random
import time
import timeit

import orgkit.scp.conditions as conditions
from orgkit.scp.conditions import evaluate_condition_block

BLOCKS = [
    {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]},
     "ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/NetworkAdmin"]}},
    {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}, "Bool": {"aws:SecureTransport": "false"}},
    {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
     "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}},
]


def contexts(n: int = 200, seed: int = 1) -> list[dict]:
    rnd = random.Random(seed)
    return [{"aws:requestedregion": rnd.choice(["eu-west-1", "us-east-1"]),
             "aws:principalarn": f"arn:aws:iam::{rnd.randrange(10**12):012d}:role/R{rnd.randrange(9)}",
             "aws:multifactorauthage": str(rnd.randrange(7200)), "aws:securetransport": rnd.choice([True, False]),
             "aws:currenttime": "2024-05-01T00:00:00Z", "aws:sourceip": f"10.{rnd.randrange(255)}.0.1"}
            for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    a = ap.parse_args()
    ctxs = contexts()

    def run():
        for c in ctxs:
            for b in BLOCKS:
                evaluate_condition_block(b, c)

    number = 20
    t = min(timeit.Timer(run, timer=time.process_time).repeat(number=number, repeat=a.rounds))
    per_block = t / number / (len(ctxs) * len(BLOCKS))
    print(f"{per_block * 1e6:.2f} µs CPU per condition block (best of {a.rounds} rounds; {conditions.__file__}; "
          f"Python {platform.python_version()})")


if __name__ == "__main__":
    main()
