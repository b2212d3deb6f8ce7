"""Check a response against botocore's output shape of the operation.

Two views of the same response:

* ``validate_parsed(service, operation, response)``: what boto3 returns (member names, ``datetime`` timestamps);
* ``validate_wire(service, operation, body)``: the JSON body on the wire (or a query service's XML) (serialization names such as
  GuardDuty's ``accountId``). botocore silently drops keys it does not know, so a wrongly cased key (moto's
  ``Administrator``/``AccountId`` in GetAdministratorAccount) is only visible here.

Both return a list of problems (empty when valid): missing required members, unknown members (wire only),
wrong types, values outside an enum, numbers outside min/max, lists shorter than min.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
from typing import Any

import botocore.session
from botocore.model import Shape


@functools.lru_cache(maxsize=None)
def _service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def output_shape(service: str, operation: str) -> Shape | None:
    return _service_model(service).operation_model(operation).output_shape


def _check(shape: Shape, value: Any, path: str, errors: list[str], wire: bool) -> None:
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected object for {shape.name}, got {type(value).__name__}")
            return
        members = shape.members
        by_key: dict[str, tuple[str, Shape]] = {}
        for name, mshape in members.items():
            if wire and mshape.serialization.get("location") in ("header", "headers", "statusCode"):
                continue
            key = mshape.serialization.get("name", name) if wire else name
            by_key[key] = (name, mshape)
        for key in value:
            if key not in by_key and not (not wire and key == "ResponseMetadata"):
                errors.append(f"{path}: unknown member {key!r} in {shape.name}")
        for name in shape.required_members:
            mshape = members[name]
            if wire and mshape.serialization.get("location") in ("header", "headers", "statusCode"):
                continue
            key = mshape.serialization.get("name", name) if wire else name
            if value.get(key) is None:
                errors.append(f"{path}: required member {key!r} of {shape.name} missing")
        for key, v in value.items():
            if key in by_key and v is not None:
                _check(by_key[key][1], v, f"{path}.{key}", errors, wire)
    elif t == "list":
        if not isinstance(value, list):
            errors.append(f"{path}: expected list, got {type(value).__name__}")
            return
        lo = shape.metadata.get("min")
        if lo is not None and len(value) < lo:
            errors.append(f"{path}: list shorter than min {lo}")
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}[{i}]", errors, wire)
    elif t == "map":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected map, got {type(value).__name__}")
            return
        for k, v in value.items():
            _check(shape.key, k, f"{path}<key>", errors, wire)
            _check(shape.value, v, f"{path}[{k!r}]", errors, wire)
    elif t == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected string, got {type(value).__name__} {value!r}")
            return
        enum = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            errors.append(f"{path}: {value!r} not in enum {shape.name} {list(enum)}")
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        if lo is not None and len(value) < lo:
            errors.append(f"{path}: string shorter than min {lo}")
        if hi is not None and len(value) > hi:
            errors.append(f"{path}: string longer than max {hi}")
    elif t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{path}: expected integer, got {type(value).__name__}")
            return
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        if lo is not None and value < lo:
            errors.append(f"{path}: {value} below min {lo}")
        if hi is not None and value > hi:
            errors.append(f"{path}: {value} above max {hi}")
    elif t in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{path}: expected number, got {type(value).__name__}")
    elif t == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected boolean, got {type(value).__name__} {value!r}")
    elif t == "timestamp":
        if wire:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                errors.append(f"{path}: expected a timestamp (epoch number or ISO 8601 string), got {value!r}")
            elif isinstance(value, str):
                try:
                    _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    try:
                        float(value)
                    except ValueError:
                        errors.append(f"{path}: unparseable timestamp {value!r}")
        elif not isinstance(value, _dt.datetime):
            errors.append(f"{path}: expected datetime, got {type(value).__name__}")
    elif t == "blob":
        if not isinstance(value, (bytes, bytearray, str) if wire else (bytes, bytearray)):
            errors.append(f"{path}: expected bytes, got {type(value).__name__}")


def validate_parsed(service: str, operation: str, response: dict[str, Any]) -> list[str]:
    """Problems of a boto3 response (``client.op(...)`` result) against the operation's output shape."""
    shape = output_shape(service, operation)
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    if shape is None:
        return [f"{operation}: no output shape, but got {sorted(body)}"] if body else []
    errors: list[str] = []
    _check(shape, body, operation, errors, wire=False)
    return errors


def _xml_value(shape: Shape, elem: Any, path: str, errors: list[str]) -> Any:
    """A query-protocol (XML) element as the wire value ``_check`` reads: structures by element name (unknown
    names reported here), lists of ``<member>``, scalars from their text."""
    t = shape.type_name
    if t == "structure":
        out: dict[str, Any] = {}
        for child in elem:
            tag = child.tag.split("}", 1)[-1]
            mshape = shape.members.get(tag)
            if mshape is None:
                errors.append(f"{path}: unknown member {tag!r} in {shape.name}")
                continue
            out[tag] = _xml_value(mshape, child, f"{path}.{tag}", errors)
        return out
    if t == "list":
        return [_xml_value(shape.member, m, f"{path}[{i}]", errors) for i, m in enumerate(elem)
                if m.tag.split("}", 1)[-1] == "member"]
    text = elem.text or ""
    if t in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            return text
    if t == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if t in ("double", "float"):
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _validate_query_xml(service: str, operation: str, text: str) -> list[str]:
    import xml.etree.ElementTree as ET

    shape = output_shape(service, operation)
    root = ET.fromstring(text)
    result = next((e for e in root if e.tag.split("}", 1)[-1] == f"{operation}Result"), None)
    if shape is None:
        return [f"{operation}: no output shape, but got a result"] if result is not None and len(result) else []
    if result is None:
        return [f"{operation}: no {operation}Result element"]
    errors: list[str] = []
    data = _xml_value(shape, result, operation, errors)
    _check(shape, data, operation, errors, wire=True)
    return errors


def validate_wire(service: str, operation: str, body: bytes | str | dict[str, Any]) -> list[str]:
    """Problems of a response body (as sent on the wire) against the operation's output shape: JSON, or the XML
    of a query-protocol service (IAM)."""
    if isinstance(body, (bytes, str)) and _service_model(service).metadata.get("protocol") == "query":
        return _validate_query_xml(service, operation, body.decode() if isinstance(body, bytes) else body)
    if isinstance(body, (bytes, str)):
        text = body.decode() if isinstance(body, bytes) else body
        data = json.loads(text) if text.strip() else {}
    else:
        data = body
    shape = output_shape(service, operation)
    if shape is None:
        return [f"{operation}: no output shape, but got {sorted(data)}"] if data else []
    errors: list[str] = []
    _check(shape, data, operation, errors, wire=True)
    return errors


class ResponseRecorder:
    """Collects (service, operation, raw body, parsed response) of every call of the clients it is attached to."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, bytes, dict[str, Any]]] = []

    def attach(self, client: Any) -> Any:
        service = client.meta.service_model.service_name

        def hook(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
            if http_response is not None and http_response.status_code < 300:
                self.records.append((service, model.name, http_response.content, parsed))

        client.meta.events.register(f"after-call.{client.meta.service_model.service_id.hyphenize()}", hook)
        return client

    def problems(self) -> list[str]:
        out = []
        for service, op, raw, parsed in self.records:
            for e in validate_wire(service, op, raw) + validate_parsed(service, op, parsed):
                out.append(f"{service}.{e}")
        return out
