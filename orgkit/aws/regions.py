"""Region names checked against botocore's endpoint data, before any call.

A misspelled region (``us-east1``) is not an AWS error: a client for it is built, every call fails to resolve or
is answered as if the region were off, and a collect would record every cell ``not_applicable``. So a region must
be one botocore knows in some partition (``endpoints.json``), and all the regions of one run must be in the same
partition. A region newer than the installed botocore is refused too: upgrade botocore (``pip install -U boto3``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable


class UnknownRegion(ValueError):
    """A region name botocore does not know, or regions of several partitions in one run."""


@lru_cache(maxsize=1)
def partitions() -> dict[str, frozenset[str]]:
    """{partition: its region names}, from the endpoint data of the installed botocore."""
    import botocore.session

    data = botocore.session.get_session().get_data("endpoints")
    return {p["partition"]: frozenset(p.get("regions") or {}) for p in data["partitions"]}


def partition_of(region: str) -> str | None:
    for name, regions in partitions().items():
        if region in regions:
            return name
    return None


def known_regions(partition: str | None = None) -> list[str]:
    """Every region of ``partition`` (default: of every partition), sorted."""
    parts = partitions()
    if partition is not None:
        return sorted(parts.get(partition, ()))
    return sorted(r for regions in parts.values() for r in regions)


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    import difflib

    m = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
    return m[0] if m else None


def check_regions(regions: Iterable[str] | None, partition: str | None = None) -> list[str]:
    """``regions`` unchanged if every name is a known region (of ``partition`` when given, else all of one
    partition); otherwise :class:`UnknownRegion` naming the first bad one and the closest known name."""
    if regions is None:
        return None  # type: ignore[return-value]
    regions = list(regions)
    if not regions:
        raise UnknownRegion("no region given")
    pool = known_regions(partition)
    for r in regions:
        if r not in pool:
            hint = r.strip().lower() if r.strip().lower() in pool else _closest(r, pool)
            where = f"the {partition} partition" if partition else "any AWS partition"
            raise UnknownRegion(f"unknown region {r!r}: not a region of {where} in botocore's endpoint data"
                                + (f" (did you mean {hint}?)" if hint else "")
                                + "; a region newer than botocore needs `pip install -U boto3`")
    if partition is None:
        seen = sorted({partition_of(r) for r in regions})
        if len(seen) > 1:
            raise UnknownRegion(f"regions of several partitions ({', '.join(seen)}) in one run: one set of "
                                "credentials reaches one partition")
    return regions
