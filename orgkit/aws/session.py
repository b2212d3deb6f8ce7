"""Sessions, assume-role fan-out and clients: one set of credentials per account (STS AssumeRole), one client per
(region, service) shared by the member accounts, each call signed with its account's credentials.

Every client gets botocore's standard retry mode, connect and read timeouts, and one event hook that runs before
each call is serialised and signed: it refuses any operation that is not read-only unless the factory was made with
``allow_writes`` (only the GuardDuty migration executor does that), so a refused call never reaches AWS; it refuses
any call once the run's deadline has passed (:class:`DeadlineExceeded`, recorded like any other failure); and it
counts calls (for benchmarks and the progress bar). An ``after-call`` hook counts the retries botocore made
(throttling and transient errors), so that a slowed-down run says so.

A read-only factory also skips per-call costs a collector has no use for (measured in BENCHMARKS.md): botocore's
client-side parameter validation (orgkit builds every request itself; AWS validates again), rebuilding the
User-Agent string twice per call (it is computed once per client), and urllib3 (:mod:`orgkit.aws.http` sends the
signed requests, where no proxy or custom CA bundle is configured).
"""

from __future__ import annotations

import contextvars
import datetime
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import boto3
import botocore.config
import botocore.credentials
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from orgkit.aws import http as lean_http

READ_PREFIXES = ("List", "Describe", "Get")
# Calls allowed in read-only mode although their names do not say so, each for a reason:
# STS calls that only obtain credentials or identity; and IAM's GenerateOrganizationsAccessReport, which only starts
# a report job whose result GetOrganizationsAccessReport reads ("Generates a report for service last accessed data
# for Organizations"): it changes nothing in any account. Made only with ``orgkit collect --access-reports``.
READ_EXCEPTIONS = {("sts", "AssumeRole"), ("sts", "GetCallerIdentity"), ("iam", "GenerateOrganizationsAccessReport")}


class WriteRefused(RuntimeError):
    """A call that is not read-only was attempted through a read-only session factory."""


class DeadlineExceeded(BotoCoreError):
    """The run's overall deadline passed before this call was made: it was not sent (recorded like a failure)."""

    fmt = "the run's deadline passed before {operation} was called (--deadline {seconds:g} s)"

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.operation_name = kwargs.get("operation")


_LAST_CALL = threading.local()


def last_operation() -> str | None:
    """The operation this thread called last (names the call behind a timeout, which botocore does not)."""
    return getattr(_LAST_CALL, "op", None)


DEFAULT_CALL_TIMEOUT = 20.0  # seconds: the read timeout of every call (the connect timeout is at most 10 s)


def is_read_only(service: str, operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or (service, operation) in READ_EXCEPTIONS


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore error (``e.response['Error']['Code']``), or the exception's class name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Message") or exc)
    return str(exc)


_ACTING_AS: contextvars.ContextVar[botocore.credentials.ReadOnlyCredentials | None] = contextvars.ContextVar(
    "orgkit_acting_as", default=None)


REFRESH_MARGIN = datetime.timedelta(minutes=10)


def _expiring(creds: dict) -> bool:
    exp = creds.get("Expiration")
    if not isinstance(exp, datetime.datetime):
        return False
    if exp.tzinfo is None:
        exp = exp.replace(tzinfo=datetime.timezone.utc)
    return exp - datetime.datetime.now(datetime.timezone.utc) < REFRESH_MARGIN


def _cache_user_agent(client: Any) -> None:
    """Compute the client's User-Agent once instead of twice per call (botocore rebuilds it for every request).

    Best effort: when botocore's internals differ from what this expects, the client is left as it is.
    """
    creator = getattr(client, "_user_agent_creator", None)
    if creator is None or not hasattr(creator, "rebuild_and_replace_user_agent_handler"):
        return
    try:
        ua = creator.to_string()
        sid = client.meta.service_model.service_id.hyphenize()
        client.meta.events.unregister(f"request-created.{sid}", creator.rebuild_and_replace_user_agent_handler)
    except Exception:  # noqa: BLE001  (an optimisation only: keep botocore's own behaviour)
        return

    class _Fixed:
        def to_string(self) -> str:
            return ua

        def rebuild_and_replace_user_agent_handler(self, *a: Any, **k: Any) -> None:
            return None

    client._user_agent_creator = _Fixed()


class NotActingAsAnAccount(RuntimeError):
    """A member-account client was used outside :class:`AccountClient` (no account's credentials in context)."""


class _ContextCredentials(botocore.credentials.Credentials):
    """Credentials that are whatever account the current call acts as (set by :class:`AccountClient`).

    It lets one client per (region, service) serve every member account: creating a boto3 client costs 10-20 ms
    of CPU, and an organisation of 5,000 accounts x 17 regions would otherwise need 85,000 of them. Outside an
    AccountClient call it refuses to sign rather than fall back to any other identity.
    """

    def __init__(self) -> None:
        super().__init__("unset", "unset", None, method="orgkit-context")

    def get_frozen_credentials(self) -> botocore.credentials.ReadOnlyCredentials:
        c = _ACTING_AS.get()
        if c is None:
            raise NotActingAsAnAccount("a member-account client was called without an account's credentials")
        return c


class _ContextProvider(botocore.credentials.CredentialProvider):
    METHOD = "orgkit-context"

    def load(self) -> botocore.credentials.Credentials:
        return _ContextCredentials()


class _BoundPaginator:
    def __init__(self, paginator: Any, creds: botocore.credentials.ReadOnlyCredentials):
        self._p, self._creds = paginator, creds

    def paginate(self, **kwargs: Any) -> list[dict]:
        """All pages, fetched now (the pages are requested while the account's credentials are in context)."""
        token = _ACTING_AS.set(self._creds)
        try:
            return list(self._p.paginate(**kwargs))
        finally:
            _ACTING_AS.reset(token)


class AccountClient:
    """A shared (region, service) client bound to one member account's credentials for every call made through it.

    Behaves like the boto3 client for what orgkit uses: API methods, ``get_paginator``, ``can_paginate``,
    ``meta`` and ``exceptions``.
    """

    def __init__(self, client: Any, creds: botocore.credentials.ReadOnlyCredentials, account_id: str):
        self._client, self._creds, self.account_id = client, creds, account_id

    @property
    def meta(self) -> Any:
        return self._client.meta

    @property
    def exceptions(self) -> Any:
        return self._client.exceptions

    def can_paginate(self, operation: str) -> bool:
        return self._client.can_paginate(operation)

    def get_paginator(self, operation: str) -> _BoundPaginator:
        return _BoundPaginator(self._client.get_paginator(operation), self._creds)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name.startswith("_") or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            token = _ACTING_AS.set(self._creds)
            try:
                return attr(*args, **kwargs)
            finally:
                _ACTING_AS.reset(token)

        return call


@dataclass
class CallLog:
    """Thread-safe count of the API calls made, by (service, operation)."""

    counts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    listeners: list[Callable[[str, str], None]] = field(default_factory=list)
    retries: Counter = field(default_factory=Counter)  # (service, operation) -> retries botocore made

    def record_retries(self, service: str, operation: str, n: int) -> None:
        with self.lock:
            self.retries[(service, operation)] += n

    def merge(self, counts: Counter, retries: Counter) -> None:
        """Add the counts of another process's log (a collector worker process)."""
        with self.lock:
            self.counts.update(counts)
            self.retries.update(retries)

    def record(self, service: str, operation: str) -> None:
        with self.lock:
            self.counts[(service, operation)] += 1
        for fn in self.listeners:
            fn(service, operation)

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())

    def operations(self) -> set[tuple[str, str]]:
        with self.lock:
            return set(self.counts)


class SessionFactory:
    """Sessions and clients for the accounts of one organisation.

    ``profile`` and the ordinary boto3 chain give the caller's (management account's) credentials;
    ``endpoint_url`` sends every client to another endpoint (a moto server); ``role_name`` is the role assumed in
    member accounts.
    """

    def __init__(
        self,
        profile: str | None = None,
        endpoint_url: str | None = None,
        role_name: str = "OrganizationAccountAccessRole",
        default_region: str = "us-east-1",
        max_pool: int = 50,
        allow_writes: bool = False,
        session: boto3.Session | None = None,
        max_attempts: int | None = None,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        lean_http: bool = True,
    ):
        self.base = session or boto3.Session(profile_name=profile, region_name=default_region)
        self.endpoint_url = endpoint_url
        self.role_name = role_name
        self.default_region = self.base.region_name or default_region
        self.allow_writes = allow_writes
        self.calls = CallLog()
        self.call_timeout = float(call_timeout)
        # a read-only collector retries throttling longer (8 attempts: backoff up to 20 s each); the writer 5
        max_attempts = max_attempts or (5 if allow_writes else 8)
        self.lean_http = lean_http  # read-only clients send through orgkit.aws.http (see there); False: urllib3
        self.config = botocore.config.Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            max_pool_connections=max_pool,
            user_agent_extra="orgkit",
            connect_timeout=min(10.0, self.call_timeout),
            read_timeout=self.call_timeout,
            # a read-only collector builds every request itself; AWS validates again. The writer keeps it.
            parameter_validation=allow_writes,
        )
        # The caller's (management account's) clients make the organisation-wide reads for every account
        # (Organizations, account:ListRegions, sts:AssumeRole): one account's quotas. Adaptive mode slows their
        # sending rate down when throttled (a client-side token bucket), on top of standard mode's backoff. Member
        # clients are shared by every member account, whose quotas are separate: standard mode, and at most a few
        # calls in flight per account (the collector's scheduler).
        self.caller_config = self.config.merge(
            botocore.config.Config(retries={"mode": "adaptive", "max_attempts": max_attempts}))
        # time.monotonic() after which no call is sent (DeadlineExceeded); None: no deadline
        self.deadline: float | None = None
        self.deadline_seconds: float | None = None
        self._lock = threading.Lock()
        self._create_lock = threading.Lock()
        self._creds: dict[str, dict] = {}
        self._members: boto3.Session | None = None
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._partition: str | None = None
        self.caller_account: str | None = None

    # -- event hooks -------------------------------------------------------------------------------------------
    def _hook(self, client: Any) -> None:
        service = client.meta.service_model.service_name
        signing = client.meta.service_model.service_id

        def before_call(model, params, **kwargs):  # noqa: ANN001
            op = model.name
            _LAST_CALL.op = op
            if not self.allow_writes and not is_read_only(service, op):
                raise WriteRefused(f"orgkit refused a write call in read-only mode: {signing} {op}")
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise DeadlineExceeded(operation=op, seconds=self.deadline_seconds or 0)
            self.calls.record(service, op)

        def after_call(http_response, parsed, model, **kwargs):  # noqa: ANN001
            n = (parsed or {}).get("ResponseMetadata", {}).get("RetryAttempts") or 0
            if n:
                self.calls.record_retries(service, model.name, n)

        # before-call runs before the request is signed and sent: the guard holds on every path (threads or the
        # collector's worker processes, which use this same factory)
        client.meta.events.register("before-call", before_call)
        client.meta.events.register("after-call", after_call)
        if not self.allow_writes:
            _cache_user_agent(client)

    def warm(self, member: bool, services_regions: list[tuple[str, str]]) -> None:
        """Make these clients now (before the collector forks its worker processes, which then share them)."""
        for service, region in services_regions:
            c = self._shared_client(member, service, region)
            ops = list(c.meta.method_to_api_mapping)
            if ops:
                c.can_paginate(ops[0])  # loads the paginators' model now (then cached on the client)

    def reset_after_fork(self) -> None:
        """In a forked worker process: fresh locks and call log; the clients are kept (they cost 10-20 ms of CPU
        each) but their connection pools are emptied, so that no connection is shared with the parent. A client
        whose pool cannot be found is dropped and made again."""
        self._lock = threading.Lock()
        self._create_lock = threading.Lock()
        kept = {}
        for key, c in self._clients.items():
            http = getattr(getattr(c, "_endpoint", None), "http_session", None)
            if isinstance(http, lean_http.LeanSession):
                http.forget()
                kept[key] = c
                continue
            managers = [getattr(http, "_manager", None)] + list((getattr(http, "_proxy_managers", None) or {}).values())
            if managers[0] is None or not all(hasattr(m, "clear") for m in managers):
                continue
            for m in managers:
                m.clear()
            kept[key] = c
        self._clients = kept
        self.calls = CallLog()

    # -- clients -----------------------------------------------------------------------------------------------
    def _make_client(self, session: boto3.Session, service: str, region: str) -> Any:
        config = self.caller_config if session is self.base else self.config
        client = session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=config)
        self._hook(client)
        if self.lean_http and not self.allow_writes and lean_http.usable(self.config):
            endpoint = getattr(client, "_endpoint", None)
            verify = getattr(getattr(endpoint, "http_session", None), "_verify", None)
            if verify is not None:  # (botocore's certificate decision, kept)
                endpoint.http_session = lean_http.LeanSession(self.config.connect_timeout, self.config.read_timeout,
                                                              self.config.max_pool_connections, verify=verify)
        return client

    def _member_session(self) -> boto3.Session:
        with self._lock:
            if self._members is None:
                bs = botocore.session.Session()
                bs.register_component("credential_provider",
                                      botocore.credentials.CredentialResolver([_ContextProvider()]))
                self._members = boto3.Session(botocore_session=bs, region_name=self.default_region)
            return self._members

    def caller_client(self, service: str, region: str | None = None) -> Any:
        return self.client(None, service, region)

    def client(self, account_id: str | None, service: str, region: str | None = None) -> Any:
        """The client for (account, region, service); ``account_id=None`` or the caller's is the caller.

        The caller's clients are ordinary boto3 clients, one per (region, service). A member account's is an
        :class:`AccountClient`: one shared client per (region, service) for all members, bound to the account's
        assumed-role credentials on every call.
        """
        region = region or self.default_region
        acct = None if account_id in (None, self.caller_account) else account_id
        c = self._shared_client(acct is not None, service, region)
        if acct is None:
            return c
        creds = self.credentials_for(acct)
        frozen = botocore.credentials.ReadOnlyCredentials(creds["AccessKeyId"], creds["SecretAccessKey"],
                                                          creds["SessionToken"])
        return AccountClient(c, frozen, acct)

    def _shared_client(self, member: bool, service: str, region: str) -> Any:
        key = ("member" if member else "caller", region, service)
        with self._lock:
            c = self._clients.get(key)
        if c is None:
            session = self._member_session() if member else self.base
            # boto3 sessions are not safe to create clients from in parallel; and a client costs 10-20 ms of CPU,
            # so two threads wanting the same one make it once
            with self._create_lock:
                with self._lock:
                    c = self._clients.get(key)
                if c is None:
                    c = self._make_client(session, service, region)
                    with self._lock:
                        self._clients[key] = c
        return c

    def identity(self) -> dict:
        ident = self.caller_client("sts").get_caller_identity()
        ident = {k: v for k, v in ident.items() if k != "ResponseMetadata"}
        self.caller_account = ident["Account"]
        self._partition = ident["Arn"].split(":")[1]
        return ident

    @property
    def partition(self) -> str:
        return self._partition or "aws"

    def credentials_for(self, account_id: str) -> dict:
        """Credentials acting in ``account_id`` through STS AssumeRole (raises ClientError when refused).

        Fetched once and reused; fetched again when fewer than ``REFRESH_MARGIN`` remain before they expire (a
        role session lasts an hour by default), so a long collection or migration never signs with expired keys.
        A call already signed keeps its keys: each call is short.
        """
        with self._lock:
            c = self._creds.get(account_id)
        if c is not None and not _expiring(c):
            return c
        sts = self.caller_client("sts")
        creds = sts.assume_role(RoleArn=self.role_arn(account_id), RoleSessionName="orgkit-collect",
                                DurationSeconds=3600)["Credentials"]
        with self._lock:
            current = self._creds.get(account_id)
            if current is None or _expiring(current):
                self._creds[account_id] = creds
            return self._creds[account_id]

    # kept for callers that want a boto3 Session acting in the account
    def session_for(self, account_id: str) -> boto3.Session:
        c = self.credentials_for(account_id)
        return boto3.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                             aws_session_token=c["SessionToken"], region_name=self.default_region)

    def role_arn(self, account_id: str) -> str:
        return f"arn:{self.partition}:iam::{account_id}:role/{self.role_name}"
