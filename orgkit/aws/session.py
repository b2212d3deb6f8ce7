"""Sessions, assume-role fan-out and clients: one boto3 Session per account, one client per (account, region, service).

Every client gets botocore's standard retry mode and two event hooks: one counts calls (for benchmarks and the
progress bar), one refuses any operation that is not read-only unless the factory was made with ``allow_writes``
(only the GuardDuty migration executor does that). The read-only guard runs before the request is signed, so a
refused call never reaches AWS.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import boto3
import botocore.config
from botocore.exceptions import ClientError

READ_PREFIXES = ("List", "Describe", "Get")
# STS calls that only obtain credentials or identity: allowed in read-only mode.
READ_EXCEPTIONS = {("sts", "AssumeRole"), ("sts", "GetCallerIdentity")}


class WriteRefused(RuntimeError):
    """A call that is not read-only was attempted through a read-only session factory."""


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


@dataclass
class CallLog:
    """Thread-safe count of the API calls made, by (service, operation)."""

    counts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    listeners: list[Callable[[str, str], None]] = field(default_factory=list)

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
        max_attempts: int = 5,
    ):
        self.base = session or boto3.Session(profile_name=profile, region_name=default_region)
        self.endpoint_url = endpoint_url
        self.role_name = role_name
        self.default_region = self.base.region_name or default_region
        self.allow_writes = allow_writes
        self.calls = CallLog()
        self.config = botocore.config.Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            max_pool_connections=max_pool,
            user_agent_extra="orgkit",
        )
        self._lock = threading.Lock()
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._partition: str | None = None
        self.caller_account: str | None = None

    # -- event hooks -------------------------------------------------------------------------------------------
    def _hook(self, client: Any) -> None:
        service = client.meta.service_model.service_name
        signing = client.meta.service_model.service_id

        def before_call(model, params, **kwargs):  # noqa: ANN001
            op = model.name
            if not self.allow_writes and not is_read_only(service, op):
                raise WriteRefused(f"orgkit refused a write call in read-only mode: {signing} {op}")
            self.calls.record(service, op)

        client.meta.events.register("before-call", before_call)

    # -- clients -----------------------------------------------------------------------------------------------
    def _make_client(self, session: boto3.Session, service: str, region: str) -> Any:
        client = session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=self.config)
        self._hook(client)
        return client

    def caller_client(self, service: str, region: str | None = None) -> Any:
        return self.client(None, service, region)

    def client(self, account_id: str | None, service: str, region: str | None = None) -> Any:
        """The cached client for (account, region, service); ``account_id=None`` or the caller's is the caller."""
        region = region or self.default_region
        acct = None if account_id in (None, self.caller_account) else account_id
        key = (acct or "", region, service)
        with self._lock:
            c = self._clients.get(key)
        if c is not None:
            return c
        session = self.base if acct is None else self.session_for(acct)
        c = self._make_client(session, service, region)
        with self._lock:
            return self._clients.setdefault(key, c)

    def identity(self) -> dict:
        ident = self.caller_client("sts").get_caller_identity()
        ident = {k: v for k, v in ident.items() if k != "ResponseMetadata"}
        self.caller_account = ident["Account"]
        self._partition = ident["Arn"].split(":")[1]
        return ident

    @property
    def partition(self) -> str:
        return self._partition or "aws"

    def session_for(self, account_id: str) -> boto3.Session:
        """A Session acting in ``account_id`` through STS AssumeRole (raises ClientError when refused)."""
        with self._lock:
            s = self._sessions.get(account_id)
        if s is not None:
            return s
        sts = self.caller_client("sts")
        arn = f"arn:{self.partition}:iam::{account_id}:role/{self.role_name}"
        creds = sts.assume_role(RoleArn=arn, RoleSessionName="orgkit-collect", DurationSeconds=3600)["Credentials"]
        s = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=self.default_region,
        )
        with self._lock:
            return self._sessions.setdefault(account_id, s)

    def role_arn(self, account_id: str) -> str:
        return f"arn:{self.partition}:iam::{account_id}:role/{self.role_name}"
