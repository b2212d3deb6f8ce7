"""What a trail records, from its event selectors (basic or advanced), parsed by their fields, never by ``Name``.

Management events are described per direction (read, write) as a :class:`Scope`:

* ``Scope("except", S)``: every event source except those in ``S`` (``Scope.ALL`` when ``S`` is empty);
* ``Scope("only", S)``: only the event sources in ``S``;
* ``None``: no management events in that direction.

Scopes combine by union (several selectors of a trail, several trails over one account and region):
``except A ∪ except B = except (A ∩ B)``; ``except A ∪ only B = except (A − B)``; ``only A ∪ only B = only (A ∪ B)``.

AWS references: EventSelector and AdvancedFieldSelector in the CloudTrail API Reference. For management events an
advanced selector supports ``eventCategory`` (required, Equals ``Management``), ``readOnly`` (Equals ``true`` or
``false``; absent means both) and ``eventSource`` (``NotEquals``, e.g. ``kms.amazonaws.com``,
``rdsdata.amazonaws.com``). A trail with no event selectors logs all management events (CloudTrail's default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple


class Scope(NamedTuple):
    mode: str  # "except" | "only"
    sources: frozenset

    @property
    def full(self) -> bool:
        return self.mode == "except" and not self.sources

    def describe(self) -> str:
        if self.full:
            return "all event sources"
        if self.mode == "except":
            return "all except " + ", ".join(sorted(self.sources))
        return "only " + ", ".join(sorted(self.sources))


Scope.ALL = Scope("except", frozenset())  # type: ignore[attr-defined]


def union(a: Scope | None, b: Scope | None) -> Scope | None:
    if a is None:
        return b
    if b is None:
        return a
    if a.mode == "except" and b.mode == "except":
        return Scope("except", a.sources & b.sources)
    if a.mode == "only" and b.mode == "only":
        return Scope("only", a.sources | b.sources)
    exc, only = (a, b) if a.mode == "except" else (b, a)
    return Scope("except", exc.sources - only.sources)


def union_all(scopes: Iterable[Scope | None]) -> Scope | None:
    out: Scope | None = None
    for sc in scopes:
        out = union(out, sc)
    return out


class DataScope(NamedTuple):
    """Data events of one resource type: ``values`` is ``("*",)`` for every resource, else ARNs or prefixes."""

    resource_type: str
    values: tuple
    read: bool
    write: bool
    exceptions: tuple = ()  # resources.ARN NotEquals / NotStartsWith values under a "*" scope

    def describe(self) -> str:
        kind = {"AWS::S3::Object": "S3 objects", "AWS::Lambda::Function": "Lambda functions",
                "AWS::DynamoDB::Table": "DynamoDB tables"}.get(self.resource_type, self.resource_type)
        rw = "" if self.read and self.write else (" (read only)" if self.read else " (write only)")
        if self.values == ("*",):
            what = "all" + (" except " + ", ".join(self.exceptions) if self.exceptions else "")
        else:
            what = ", ".join(self.values)
        return f"{kind}: {what}{rw}"


@dataclass
class TrailSelectors:
    """What one trail records. ``known`` is False when its selectors were not read."""

    known: bool
    read: Scope | None = None
    write: Scope | None = None
    data: list[DataScope] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def management(self) -> bool:
        return self.read is not None or self.write is not None

    @property
    def read_write(self) -> str | None:
        if not self.known:
            return None
        if self.read is not None and self.write is not None:
            return "All"
        if self.read is not None:
            return "ReadOnly"
        if self.write is not None:
            return "WriteOnly"
        return "None"

    @property
    def excluded_sources(self) -> list[str]:
        out: set[str] = set()
        for sc in (self.read, self.write):
            if sc is not None and sc.mode == "except":
                out |= sc.sources
        return sorted(out)

    @property
    def only_sources(self) -> list[str]:
        out: set[str] = set()
        for sc in (self.read, self.write):
            if sc is not None and sc.mode == "only":
                out |= sc.sources
        return sorted(out)

    def management_summary(self) -> str | None:
        if not self.known:
            return None
        return describe_management(self.read, self.write)


def describe_management(read: Scope | None, write: Scope | None) -> str:
    if read is None and write is None:
        return "none"
    if read is not None and write is not None:
        if read == write:
            return "read and write" + ("" if read.full else f", {read.describe()}")
        return f"read ({read.describe()}), write ({write.describe()})"
    one, sc = ("read only", read) if read is not None else ("write only", write)
    return one + ("" if sc.full else f", {sc.describe()}")


_PARTITION_ALL = {  # basic DataResources values meaning "every resource of the type"
    "AWS::S3::Object": ("arn:aws:s3", "arn:aws:s3:::", "arn:aws-cn:s3", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3",
                        "arn:aws-us-gov:s3:::"),
    "AWS::Lambda::Function": ("arn:aws:lambda", "arn:aws-cn:lambda", "arn:aws-us-gov:lambda"),
    "AWS::DynamoDB::Table": ("arn:aws:dynamodb", "arn:aws-cn:dynamodb", "arn:aws-us-gov:dynamodb"),
}


def _rw(read_write_type: str | None) -> tuple[bool, bool]:
    t = (read_write_type or "All")
    return t in ("All", "ReadOnly"), t in ("All", "WriteOnly")


def parse_basic(selectors: list[dict], has_custom: bool | None = None) -> TrailSelectors:
    """Basic selectors: rows with read_write_type, include_management_events, exclude_management_event_sources,
    data_resources (as in ``org.event_selectors``)."""
    if _malformed_basic(selectors or []):
        return TrailSelectors(known=False, notes=[MALFORMED])
    out = TrailSelectors(known=True)
    if not selectors:
        if has_custom:
            out.notes.append("no event selectors: records nothing")
        else:
            out.read = out.write = Scope.ALL  # type: ignore[attr-defined]
            out.notes.append("no event selectors: CloudTrail's default, all management events")
        return out
    for s in selectors:
        read, write = _rw(s.get("read_write_type"))
        include = s.get("include_management_events")
        if include is None or include is True:
            excluded = frozenset(s.get("exclude_management_event_sources") or [])
            sc = Scope("except", excluded)
            if read:
                out.read = union(out.read, sc)
            if write:
                out.write = union(out.write, sc)
        for dr in s.get("data_resources") or []:
            rtype = dr.get("Type")
            values = tuple(dr.get("Values") or [])
            if not rtype or not values:
                continue
            if any(v in _PARTITION_ALL.get(rtype, ()) for v in values):
                values = ("*",)
            out.data.append(DataScope(rtype, values, read, write))
    return out


def _values(fs: dict, op: str) -> list[str]:
    return list(fs.get(op) or [])


#: the operators of a CloudTrail AdvancedFieldSelector, each a list of strings
FIELD_OPERATORS = ("Equals", "NotEquals", "StartsWith", "NotStartsWith", "EndsWith", "NotEndsWith")


def _strings(v: Any) -> bool:
    return v is None or (isinstance(v, list) and all(isinstance(x, str) for x in v))


def _malformed_advanced(selectors: Any) -> bool:
    """True when the selectors are not shaped as CloudTrail returns them (a snapshot edited or written by
    something else): each a list of objects whose Field is a string and whose operators are lists of strings."""
    if not isinstance(selectors, list):
        return True
    for fields in selectors:
        if fields is None:
            continue
        if not isinstance(fields, list):
            return True
        for f in fields:
            if not isinstance(f, dict) or not isinstance(f.get("Field"), (str, type(None))) or \
                    not all(_strings(f.get(op)) for op in FIELD_OPERATORS):
                return True
    return False


def _malformed_basic(selectors: Any) -> bool:
    for s in selectors:
        if not isinstance(s, dict) or not _strings(s.get("exclude_management_event_sources")):
            return True
        drs = s.get("data_resources")
        if drs is not None and (not isinstance(drs, list) or not all(
                isinstance(d, dict) and isinstance(d.get("Type"), (str, type(None))) and _strings(d.get("Values"))
                for d in drs)):
            return True
    return False


MALFORMED = "event selectors not as CloudTrail returns them: not evaluated"


def parse_advanced(selectors: list[list[dict]]) -> TrailSelectors:
    """Advanced selectors: each a list of field selectors ({"Field", "Equals", "NotEquals", ...}), ANDed; the
    selectors are ORed. Selectors not shaped as CloudTrail returns them are not evaluated (``known`` False)."""
    if _malformed_advanced(selectors):
        return TrailSelectors(known=False, notes=[MALFORMED])
    out = TrailSelectors(known=True)
    for fields in selectors:
        by: dict[str, list[dict]] = {}
        for f in fields or []:
            by.setdefault(f.get("Field"), []).append(f)
        cats: set[str] = set()
        for f in by.get("eventCategory", []):
            cats |= set(_values(f, "Equals"))
        if not cats:
            out.notes.append("a selector without eventCategory Equals is ignored")
            continue
        read, write = True, True
        for f in by.get("readOnly", []):
            eq = {v.lower() for v in _values(f, "Equals")}
            ne = {v.lower() for v in _values(f, "NotEquals")}
            if eq:
                read, write = read and "true" in eq, write and "false" in eq
            if ne:
                read, write = read and "true" not in ne, write and "false" not in ne
        if "Management" in cats:
            sc: Scope | None = Scope.ALL  # type: ignore[attr-defined]
            for f in by.get("eventSource", []):
                ne = _values(f, "NotEquals") + [v + "*" for v in _values(f, "NotStartsWith")] + \
                    ["*" + v for v in _values(f, "NotEndsWith")]
                eq = _values(f, "Equals") + [v + "*" for v in _values(f, "StartsWith")] + \
                    ["*" + v for v in _values(f, "EndsWith")]
                if ne and sc is not None:
                    sc = Scope(sc.mode, sc.sources | frozenset(ne)) if sc.mode == "except" else \
                        Scope("only", sc.sources - frozenset(ne))
                if eq and sc is not None:
                    only = frozenset(eq)
                    sc = Scope("only", only - sc.sources) if sc.mode == "except" else Scope("only", sc.sources & only)
            others = sorted(k for k in by if k not in ("eventCategory", "readOnly", "eventSource"))
            if others:
                out.notes.append(f"management selector also filters on {', '.join(others)}: treated as partial")
                sc = Scope("only", frozenset(f"{k} filter" for k in others)) if sc is not None else None
            if read:
                out.read = union(out.read, sc)
            if write:
                out.write = union(out.write, sc)
        if "Data" in cats:
            types: list[str] = []
            for f in by.get("resources.type", []):
                types += _values(f, "Equals")
            values: list[str] = []
            exceptions: list[str] = []
            for f in by.get("resources.ARN", []):
                values += _values(f, "Equals") + [v + "*" for v in _values(f, "StartsWith")] + \
                    ["*" + v for v in _values(f, "EndsWith")]
                exceptions += _values(f, "NotEquals") + [v + "*" for v in _values(f, "NotStartsWith")] + \
                    ["*" + v for v in _values(f, "NotEndsWith")]
            if not types:
                out.notes.append("a data selector without resources.type Equals is ignored")
            for t in types:
                out.data.append(DataScope(t, tuple(values) if values else ("*",), read, write, tuple(exceptions)))
    return out


def parse_trail(kind: str | None, rows: list[dict], has_custom: bool | None = None) -> TrailSelectors:
    """Parse one trail's ``org.event_selectors`` rows (already in ``position`` order)."""
    if kind is None:
        return TrailSelectors(known=False, notes=["event selectors not read"])
    if kind == "advanced":
        return parse_advanced([r.get("field_selectors") or [] for r in rows])
    return parse_basic(rows, has_custom)
