"""Small helpers for tests against a :class:`~orgkit.localaws.LocalAWS` server."""

from __future__ import annotations

from typing import Any

import boto3

ROLE = "OrganizationAccountAccessRole"


class Accounts:
    """boto3 clients acting as given accounts (sts:AssumeRole from the management account), cached."""

    def __init__(self, endpoint_url: str, retries: dict[str, Any] | None = None):
        from botocore.config import Config

        self.endpoint_url = endpoint_url
        self.config = Config(retries=retries or {"mode": "standard", "max_attempts": 3})
        self._creds: dict[str, dict[str, str]] = {}
        self._clients: dict[tuple[str | None, str, str], Any] = {}
        self.management: str | None = None

    def _credentials(self, account_id: str | None) -> dict[str, str]:
        base = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        if account_id is None or account_id == self.management:
            return base
        if account_id not in self._creds:
            sts = boto3.client("sts", region_name="us-east-1", endpoint_url=self.endpoint_url, **base)
            c = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE}",
                                RoleSessionName="orgkit-test")["Credentials"]
            self._creds[account_id] = {"aws_access_key_id": c["AccessKeyId"],
                                       "aws_secret_access_key": c["SecretAccessKey"],
                                       "aws_session_token": c["SessionToken"]}
        return self._creds[account_id]

    def client(self, service: str, account_id: str | None = None, region: str = "us-east-1") -> Any:
        key = (account_id, service, region)
        if key not in self._clients:
            self._clients[key] = boto3.client(service, region_name=region, endpoint_url=self.endpoint_url,
                                              config=self.config, **self._credentials(account_id))
        return self._clients[key]

    def make_org(self, n_accounts: int, trusted: tuple[str, ...] = ()) -> list[str]:
        """An organization (management = the default account) with ``n_accounts`` new accounts; returns their ids."""
        org = self.client("organizations")
        org.create_organization(FeatureSet="ALL")
        self.management = self.client("sts").get_caller_identity()["Account"]
        for principal in trusted:
            org.enable_aws_service_access(ServicePrincipal=principal)
        ids = []
        for i in range(n_accounts):
            st = org.create_account(AccountName=f"acct{i}", Email=f"acct{i}@example.com")
            ids.append(st["CreateAccountStatus"]["AccountId"])
        return ids

    def create_account(self, name: str) -> str:
        st = self.client("organizations").create_account(AccountName=name, Email=f"{name}@example.com")
        return str(st["CreateAccountStatus"]["AccountId"])

    def detector(self, account_id: str | None, region: str = "us-east-1", **kwargs: Any) -> str:
        gd = self.client("guardduty", account_id, region)
        ids = gd.list_detectors()["DetectorIds"]
        if ids:
            return str(ids[0])
        return str(gd.create_detector(Enable=True, **kwargs)["DetectorId"])


def error_code(exc: Any) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]
