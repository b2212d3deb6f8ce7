"""S3 requests reach the call log and the fault rules like every other service.

moto's S3 does not go through ``BaseResponse.call_action`` (where :mod:`orgkit.localaws.ext` hooks every other
service): its URL table (``moto/s3/urls.py``) routes a request, by host or by path, to
``S3Response.bucket_dispatch`` / ``key_dispatch`` / ``ambiguous_dispatch``, which end in
``S3Response.bucket_response`` (no bucket, or a bucket) or ``S3Response.key_response`` (a bucket and a key);
``ambiguous_response`` picks one of the two. Both are wrapped here: the request is set up once (moto's
``setup_class``, which reads the body, is then not run a second time), and the operation named as botocore names
it, from the S3 service model's HTTP bindings (method, path shape, the literal query keys of ``requestUri``, and
the required members bound to the query string or a header, such as ``x-amz-copy-source`` for CopyObject).
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qs, urlparse


@functools.lru_cache(maxsize=1)
def _index() -> dict[tuple[str, str], list[tuple[str, frozenset[str], tuple[str, ...], tuple[str, ...], bool]]]:
    """(HTTP method, path shape) -> [(operation, literal query keys, required query keys, required headers,
    deprecated)] from botocore's S3 model; the shape is ``/``, ``/{Bucket}`` or ``/{Bucket}/{Key+}``."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    out: dict[tuple[str, str], list] = {}
    for name in model.operation_names:
        op = model.operation_model(name)
        uri = op.http["requestUri"]
        path, _, query = uri.partition("?")
        if path not in ("/", "/{Bucket}", "/{Bucket}/{Key+}"):
            continue  # WriteGetObjectResponse: an Object Lambda host, not a bucket
        literal = frozenset(p.split("=", 1)[0] for p in query.split("&") if p)
        req_q: list[str] = []
        req_h: list[str] = []
        shape = op.input_shape
        if shape is not None:
            for m in shape.required_members:
                member = shape.members[m]
                where = member.serialization.get("location")
                if where == "querystring":
                    req_q.append(member.serialization.get("name", m))
                elif where == "header":
                    req_h.append(member.serialization.get("name", m).lower())
        out.setdefault((op.http["method"], path), []).append(
            (name, literal, tuple(req_q), tuple(req_h), bool(op.deprecated)))
    return out


def operation(method: str, has_bucket: bool, has_key: bool, query: dict[str, Any], headers: Any) -> str:
    """The S3 API operation of a request, as botocore names it (``""`` when no operation of the model fits).

    Among the operations of that method and path shape whose literal query keys are all present, the one with the
    most literal keys, then the most required query/header members present, then not deprecated, wins; the tie
    left (ListBuckets / ListDirectoryBuckets, a directory-bucket host) goes to the first in the model's order."""
    path = "/{Bucket}/{Key+}" if has_key else ("/{Bucket}" if has_bucket else "/")
    lower_headers = {str(k).lower() for k in (headers.keys() if hasattr(headers, "keys") else [])}
    best: tuple[int, int, int] | None = None
    chosen = ""
    for name, literal, req_q, req_h, deprecated in _index().get((method.upper(), path), []):
        if not literal <= set(query):
            continue
        present = [q in query for q in req_q] + [h in lower_headers for h in req_h]
        if not all(present) and (req_q or req_h):
            score = (len(literal), -1, 0 if deprecated else 1)  # a required member missing: a weak candidate
        else:
            score = (len(literal), len(present), 0 if deprecated else 1)
        if best is None or score > best:
            best, chosen = score, name
    return chosen


def install(intercept: Any) -> None:
    """Wrap moto's two S3 entry points; ``intercept(response_obj, service, operation)`` returns an answer (an
    injected fault) or None to let moto answer."""
    from moto.s3.responses import S3Response

    def wrap(orig: Any, has_key: bool) -> Any:
        @functools.wraps(orig)
        def entry(self: Any, request: Any, full_url: str, headers: Any) -> Any:
            self.setup_class(request, full_url, headers)
            query = parse_qs(urlparse(full_url).query, keep_blank_values=True)
            op = operation(request.method, bool(self.bucket_name), has_key, query, request.headers)
            answer = intercept(self, "s3", op)
            if answer is not None:
                return answer
            self.setup_class = lambda *a, **k: None  # set up above: moto's entry point must not read the body again
            return orig(self, request, full_url, headers)
        return entry

    S3Response.bucket_response = wrap(S3Response.bucket_response, False)  # type: ignore[method-assign]
    S3Response.key_response = wrap(S3Response.key_response, True)  # type: ignore[method-assign]
