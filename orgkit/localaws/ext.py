"""``install()``: patch moto so it behaves like AWS where orgkit needs it.

Call it before the first request reaches moto (before ``mock_aws`` starts, or before a server handles a
request); it is idempotent. It patches, in this process:

* every moto response class (``BaseResponse.call_action``): the call log, injected faults, and the 403
  UnrecognizedClientException of an opt-in region the calling account has not enabled; S3's own entry points, which
  bypass it (:mod:`orgkit.localaws.s3calls`): the call log and injected faults;
* GuardDuty (:mod:`orgkit.localaws.guardduty`), CloudTrail (:mod:`orgkit.localaws.cloudtrail`),
  Account Management (:mod:`orgkit.localaws.account`);
* Organizations: cloudtrail.amazonaws.com (and account.amazonaws.com) accepted as delegated-administrator
  services, validation before any change, CreateAccount creating the OrganizationAccountAccessRole in the new
  account and enrolling it in GuardDuty when auto-enable says so; resource control policies as AWS documents
  them (:func:`_install_rcps`: RCPFullAWSAccess attached to the root, every OU and every account exactly while the
  policy type is enabled, never detachable; an RCP attached only while the type is enabled; disabling the type
  detaches every RCP);
* IAM: Organizations access reports computed from the call log (:mod:`orgkit.localaws.iam_access`);
* STS: optional strict AssumeRole (the role must exist in the target account, else 403 AccessDenied);
* moto's reset also forgets Organizations' member-to-management map.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from moto.core.base_backend import BackendDict
from moto.core.exceptions import JsonRESTError, _RESTError
from moto.core.responses import BaseResponse

from . import account, cloudtrail, guardduty, iam_access, lake, s3calls, state

_installed = False
_install_lock = threading.Lock()
_protocols: dict[str, str] = {}


def _protocol(service: str) -> str:
    proto = _protocols.get(service)
    if proto is None:
        import botocore.session

        try:
            proto = botocore.session.get_session().get_service_model(service).metadata["protocol"]
        except Exception:  # an unknown service name: answer JSON  # noqa: BLE001
            proto = "json"
        _protocols[service] = proto
    return proto


def error_response(service: str, code: str, message: str, status: int) -> tuple[int, dict[str, str], str]:
    """An error answer in the protocol of ``service`` that botocore parses into Error.Code/Message."""
    proto = _protocol(service)
    if proto in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message})
        return status, {"Content-Type": "application/x-amz-json-1.1", "X-Amzn-ErrorType": code}, body
    from xml.sax.saxutils import escape

    if proto == "ec2":
        body = (f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
                "</Error></Errors><RequestID>orgkit-localaws</RequestID></Response>")
    elif proto == "rest-xml":
        body = f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    else:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{escape(code)}</Code>"
                f"<Message>{escape(message)}</Message></Error><RequestId>orgkit-localaws</RequestId></ErrorResponse>")
    return status, {"Content-Type": "text/xml"}, body


_orig_call_action = BaseResponse.call_action


def _call_action(self: BaseResponse) -> Any:
    service_name = getattr(self, "service_name", None)
    if not service_name or service_name == "moto_api":
        return _orig_call_action(self)
    service = self.boto3_service_name
    try:
        operation = self._get_action() or ""
    except Exception:  # noqa: BLE001 - moto raises for unroutable requests; let it answer as it does
        operation = ""
    answer = _intercept(self, service, operation)
    return _orig_call_action(self) if answer is None else answer


def _intercept(self: BaseResponse, service: str, operation: str,
               region_check: bool = True) -> tuple[int, dict[str, str], str] | None:
    """What every request meets before moto answers it (``call_action``, and S3's own entry points in
    :mod:`orgkit.localaws.s3calls`): the call logged, an injected fault, and (``region_check``) an opt-in region the
    account has not enabled. None: let moto answer."""
    acct = self.current_account
    region = self.region
    state.record_call(acct, region, service, operation)
    fault = state.take_fault(acct, region, service, operation)
    if fault is not None:
        return error_response(service, fault.error_code, fault.message, fault.http_status)
    if region_check and not account.region_enabled(acct, region):
        proto = _protocol(service)
        code = "UnrecognizedClientException" if proto in ("json", "rest-json") else "InvalidClientTokenId"
        return error_response(service, code, "The security token included in the request is invalid.", 403)
    return None


# --- Organizations ---------------------------------------------------------------------------------------


def _install_organizations() -> None:
    from moto.organizations import models as om

    for principal in ("cloudtrail.amazonaws.com", "account.amazonaws.com", "securityhub.amazonaws.com",
                      "config.amazonaws.com", "inspector2.amazonaws.com", "detective.amazonaws.com"):
        if principal not in om.FakeDelegatedAdministrator.SUPPORTED_SERVICES:
            om.FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(principal)

    orig_register = om.OrganizationsBackend.register_delegated_administrator

    def register_delegated_administrator(self: Any, **kwargs: str) -> None:
        # Validate the service before moto adds the account (moto adds it, then fails).
        if not om.FakeDelegatedAdministrator.supported_service(kwargs["ServicePrincipal"]):
            raise om.InvalidInputException("You specified an unrecognized service principal.")
        orig_register(self, **kwargs)

    om.OrganizationsBackend.register_delegated_administrator = register_delegated_administrator

    orig_create_account = om.OrganizationsBackend.create_account

    def create_account(self: Any, **kwargs: Any) -> dict[str, Any]:
        result = orig_create_account(self, **kwargs)
        new_id = result["CreateAccountStatus"]["AccountId"]
        _create_access_role(new_id, self.account_id, kwargs.get("RoleName") or "OrganizationAccountAccessRole")
        guardduty.on_account_joined_org(self.account_id, new_id)
        return result

    om.OrganizationsBackend.create_account = create_account
    _install_rcps(om)


RCP_TYPE = "RESOURCE_CONTROL_POLICY"
RCP_FULL = "p-RCPFullAWSAccess"


def _install_rcps(om: Any) -> None:
    """Resource control policies as AWS documents them (docs/localaws.md, rows O1-O3).

    moto 5.2 creates ``RCPFullAWSAccess`` with the organisation and attaches it to every root, OU and account
    whether or not the RCP policy type is enabled, lets it be detached, and attaches an RCP to a root where the
    type is off. AWS: the policy "is automatically attached to the organization root, every OU, and every account
    in your organization, when you enable resource control policies (RCPs). You cannot detach this policy." (RCP evaluation page)"""

    def rcp_enabled(backend: Any) -> bool:
        if backend.org is None:
            return False
        try:
            root = backend._get_root_by_id(backend.org.root_id)
        except Exception:  # noqa: BLE001 - no root yet
            return False
        return any(t["Type"] == RCP_TYPE and t.get("Status") == "ENABLED" for t in root.policy_types)

    def targets(backend: Any) -> list[str]:
        return [o.id for o in backend.ou] + [a.id for a in backend.accounts]

    internal = threading.local()  # moto's own attachments of RCPFullAWSAccess (organisation, OU, account made)

    for name in ("create_organization", "create_organizational_unit", "create_account"):
        orig = getattr(om.OrganizationsBackend, name)

        def created(self: Any, *args: Any, _orig: Any = orig, **kwargs: Any) -> dict[str, Any]:
            internal.on = True
            try:
                return _orig(self, *args, **kwargs)
            finally:
                internal.on = False

        setattr(om.OrganizationsBackend, name, created)

    orig_attach = om.OrganizationsBackend.attach_policy

    def attach_policy(self: Any, **kwargs: Any) -> None:
        policy = self.get_policy_by_id(kwargs["PolicyId"])
        if policy.type == RCP_TYPE and not rcp_enabled(self):
            if getattr(internal, "on", False) and policy.id == RCP_FULL:
                return  # the type is off: AWS attaches it nowhere
            raise JsonRESTError("PolicyTypeNotEnabledException",
                                "This operation can be performed only for enabled policy types.")
        orig_attach(self, **kwargs)

    om.OrganizationsBackend.attach_policy = attach_policy

    orig_detach = om.OrganizationsBackend.detach_policy

    def detach_policy(self: Any, **kwargs: Any) -> None:
        if kwargs.get("PolicyId") == RCP_FULL:
            raise JsonRESTError("ConstraintViolationException",
                             "You cannot detach the RCPFullAWSAccess policy: AWS attaches it to every root, OU and "
                             "account while resource control policies are enabled.")
        orig_detach(self, **kwargs)

    om.OrganizationsBackend.detach_policy = detach_policy

    orig_enable = om.OrganizationsBackend.enable_policy_type

    def enable_policy_type(self: Any, **kwargs: str) -> dict[str, Any]:
        out = orig_enable(self, **kwargs)
        if kwargs.get("PolicyType") == RCP_TYPE:
            for t in targets(self):
                orig_attach(self, PolicyId=RCP_FULL, TargetId=t)
            out = {"Root": self._get_root_by_id(kwargs["RootId"]).describe()}
        return out

    om.OrganizationsBackend.enable_policy_type = enable_policy_type

    orig_disable = om.OrganizationsBackend.disable_policy_type

    def disable_policy_type(self: Any, **kwargs: str) -> dict[str, Any]:
        out = orig_disable(self, **kwargs)
        if kwargs.get("PolicyType") == RCP_TYPE:
            for obj in list(self.ou) + list(self.accounts):
                for pol in list(obj.attached_policies):
                    if pol.type == RCP_TYPE:
                        obj.attached_policies.remove(pol)
                        pol.attachments.remove(obj)
        return out

    om.OrganizationsBackend.disable_policy_type = disable_policy_type


def _create_access_role(account_id: str, management_id: str, role_name: str) -> None:
    """AWS creates this role in every account made by CreateAccount, trusting the management account."""
    from moto.iam.models import iam_backends

    iam = iam_backends[account_id]["aws"]
    try:
        iam.get_role(role_name)
        return
    except Exception:  # noqa: BLE001 - moto's NoSuchEntity
        pass
    trust = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{management_id}:root"},
                       "Action": "sts:AssumeRole"}],
    })
    iam.create_role(role_name, trust, "/", None, "", [], None)


# --- STS strict AssumeRole -------------------------------------------------------------------------------


class AccessDenied(_RESTError):
    code = 403

    def __init__(self, message: str):
        super().__init__("AccessDenied", message)


def _install_sts() -> None:
    from moto.sts import responses as sr

    orig = sr.TokenResponse.assume_role

    def assume_role(self: Any) -> Any:
        if state.get_options().get("strict_assume_role"):
            role_arn = self._get_param("RoleArn") or ""
            parts = role_arn.split(":")
            target = parts[4] if len(parts) > 5 else ""
            name = role_arn.rsplit("/", 1)[-1]
            from moto.iam.models import iam_backends

            exists = False
            if target:
                try:
                    iam_backends[target]["aws"].get_role(name)
                    exists = True
                except Exception:  # noqa: BLE001 - moto's NoSuchEntity
                    exists = False
            if not exists:
                from moto.sts.models import sts_backends

                try:
                    _, caller_arn, _ = sts_backends[self.current_account]["aws"].get_caller_identity(
                        self.get_access_key(), self.region)
                except Exception:  # noqa: BLE001
                    caller_arn = f"arn:aws:iam::{self.current_account}:user/moto"
                raise AccessDenied(f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on "
                                   f"resource: {role_arn}")
        return orig(self)

    sr.TokenResponse.assume_role = assume_role


# --- reset -----------------------------------------------------------------------------------------------


def _install_reset() -> None:
    orig = BackendDict.reset.__func__  # type: ignore[attr-defined]

    def reset(cls: Any) -> None:
        orig(cls)
        from moto.organizations.models import organizations_backends

        organizations_backends.master_accounts.clear()
        iam_access.reset()

    BackendDict.reset = classmethod(reset)  # type: ignore[method-assign,assignment]


# --- speed (same answers, less work per request) ---------------------------------------------------------


def _install_speedups() -> None:
    """moto rescans its package directory and every IAM backend of every partition on each request."""
    import moto.backends as mb
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam import models as iam_models

    modules = tuple(mb.list_of_moto_modules())
    mb.list_of_moto_modules = lambda: iter(modules)  # type: ignore[assignment]

    cache: dict[str, str] = {}

    def get_account_id_from(access_key: str) -> str:
        acct = cache.get(access_key)
        if acct is not None:
            asb = dict.get(iam_models.iam_backends, acct)
            if asb is not None and any(access_key in b.access_keys for b in list(dict.values(asb))):
                return acct
            cache.pop(access_key, None)
        # only the partitions already created: moto's version creates every partition backend of every account
        for account_id, asb in list(iam_models.iam_backends.items()):
            for backend in list(dict.values(asb)):
                if access_key in backend.access_keys:
                    cache[access_key] = account_id
                    return account_id
        return DEFAULT_ACCOUNT_ID

    iam_models.get_account_id_from = get_account_id_from  # type: ignore[assignment]


def install() -> None:
    """Patch moto in this process (idempotent). Call before the first request is served."""
    global _installed
    with _install_lock:
        if _installed:
            return
        BaseResponse.call_action = _call_action  # type: ignore[method-assign]
        # moto's S3 has its own dispatch, not call_action: logged and faulted the same way; which error S3 answers
        # from an opt-in region the account has not enabled is not documented in what we could read, so moto answers
        s3calls.install(lambda resp, service, op: _intercept(resp, service, op, region_check=False))
        guardduty.install()
        cloudtrail.install()
        lake.install()
        account.install()
        iam_access.install()
        _install_organizations()
        _install_sts()
        _install_reset()
        _install_speedups()
        _installed = True


def installed() -> bool:
    return _installed


EXTENDED_OPERATIONS = {
    "guardduty": guardduty.EXTENDED_OPERATIONS,
    "cloudtrail": cloudtrail.EXTENDED_OPERATIONS + lake.EXTENDED_OPERATIONS,
    "account": account.EXTENDED_OPERATIONS,
    "iam": iam_access.EXTENDED_OPERATIONS,
}
