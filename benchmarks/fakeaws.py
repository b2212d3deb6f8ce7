"""A synthetic AWS endpoint for the collector benchmark: canned answers at a simulated latency, no moto CPU cost.

It answers the read calls the collector makes (Organizations and CloudTrail over JSON 1.1, GuardDuty and Account
over REST-JSON, STS and IAM's Organizations access reports over the query protocol) for a generated organisation of N accounts, paginating at AWS's
documented maximum page sizes, after sleeping ``latency`` seconds per request (an asyncio server: requests overlap at little CPU cost, so that
the collector, not the fake, is what the two cores spend their time on). The
account making a call is taken from the access key (AssumeRole hands out ``ASIA<account id>`` keys), the region
from the request's SigV4 credential scope. It listens on 127.0.0.1 only.

    python benchmarks/fakeaws.py --accounts 1000 --regions 17 --latency 0.1   # prints FAKEAWS_PORT=<n>
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from urllib.parse import parse_qs, urlparse

MGMT = "100000000000"
ADMIN = "100000000001"  # GuardDuty delegated administrator
ALL_REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
               "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
               "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "sa-east-1"]


class FakeOrg:
    def __init__(self, n_accounts: int, n_regions: int):
        self.regions = ALL_REGIONS[:n_regions]
        self.accounts = [MGMT, ADMIN] + [f"2{i:011d}" for i in range(n_accounts - 2)]
        self.root = "r-fake"
        # 10 top OUs, each with 5 children: accounts spread over the 50 leaf OUs
        self.ous: dict[str, list[str]] = {self.root: [f"ou-fake-{t:02d}" for t in range(10)]}
        leaves = []
        for t in range(10):
            kids = [f"ou-fake-{t:02d}{c}" for c in range(5)]
            self.ous[f"ou-fake-{t:02d}"] = kids
            leaves += kids
        self.parent = {a: (self.root if i < 2 else leaves[i % len(leaves)]) for i, a in enumerate(self.accounts)}
        self.children: dict[str, list[str]] = {}
        for a, p in self.parent.items():
            self.children.setdefault(p, []).append(a)
        self.policies = {"p-FullAWSAccess": ["r-fake"] + list(self.ous) + [o for k in self.ous.values() for o in k]}
        for i in range(9):
            self.policies[f"p-deny{i}"] = [f"ou-fake-{i:02d}"]
        # trails: one organization trail; every 10th account has its own multi-region trail
        self.own_trails = {a: [f"arn:aws:cloudtrail:us-east-1:{a}:trail/local"] for a in self.accounts[2::10]}
        self.org_trail = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org"
        # GuardDuty: every account an org member of ADMIN in every region, but 5% standalone and 5% with none
        self.standalone = set(self.accounts[3::20])
        self.none = set(self.accounts[13::20])
        self.members = [a for a in self.accounts if a not in self.standalone | self.none and a != ADMIN]
        # every 7th account has its last region (an opt-in region, say) disabled; every 25th member's detector is
        # suspended (the administrator still lists it Enabled)
        self.disabled_region = {a: self.regions[-1] for a in self.accounts[5::7]}
        self.suspended = {a for a in self.members[4::25]}

    def region_on(self, account: str, region: str) -> bool:
        return self.disabled_region.get(account) != region

    def truth(self) -> dict[tuple[str, str], tuple[str, str]]:
        """The expected (GuardDuty, CloudTrail) status of every (account, region) cell, in orgkit's vocabulary."""
        out = {}
        for a in self.accounts:
            for r in self.regions:
                if not self.region_on(a, r):
                    out[(a, r)] = ("not_applicable", "not_applicable")
                    continue
                if a == ADMIN:
                    gd = "administrator"
                elif a in self.none:
                    gd = "none"
                elif a in self.standalone:
                    gd = "standalone"
                else:
                    gd = "suspended" if a in self.suspended else "org_member"
                out[(a, r)] = (gd, "covered")  # the organization trail covers every account and region
        return out


def page(items: list, token: str | None, size: int, key: str) -> dict:
    start = int(token or 0)
    out = {key: items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


class Reply(Exception):
    """The answer to one request: status, content type and body."""

    def __init__(self, status: int, body: bytes, ctype: str):
        self.status, self.body, self.ctype = status, body, ctype


class Handler:
    """The answers, one method per protocol; each raises :class:`Reply` (kept from the threaded server's shape)."""

    org: FakeOrg
    latency: float = 0.1
    calls = 0
    throttled = 0
    throttle_rate: float = 0.0  # calls per second per (account, service) before ThrottlingException; 0: never
    buckets: dict = {}

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes):
        self.method, self.path, self.headers, self.body = method, path, headers, body

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        raise Reply(status, body, ctype)

    def _json(self, obj: dict, status: int = 200, ctype: str = "application/x-amz-json-1.1") -> None:
        self._send(status, json.dumps(obj).encode(), ctype)

    def _who(self) -> tuple[str, str, str]:
        m = re.search(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/", self.headers.get("authorization", ""))
        key, region, service = m.group(1), m.group(2), m.group(3)
        account = key[4:] if key.startswith("ASIA") and key[4:].isdigit() else MGMT
        return account, region, service

    def _throttle(self, account: str, service: str) -> bool:
        """A token bucket per (account, service), as AWS throttles per account and API: True when out of tokens."""
        rate = Handler.throttle_rate
        if not rate:
            return False
        now = time.monotonic()
        tokens, last = Handler.buckets.get((account, service), (rate, now))
        tokens = min(rate, tokens + (now - last) * rate)
        if tokens < 1:
            Handler.buckets[(account, service)] = (tokens, now)
            return True
        Handler.buckets[(account, service)] = (tokens - 1, now)
        return False

    def handle(self) -> None:
        body = self.body
        Handler.calls += 1
        url = urlparse(self.path)
        if url.path == "/__calls":
            return self._json({"calls": Handler.calls - 1, "throttled": Handler.throttled})
        account, region, service = self._who()
        target = self.headers.get("x-amz-target", "")
        if service != "sts" and self._throttle(account, service):
            Handler.throttled += 1
            if target:
                return self._json({"__type": "ThrottlingException", "message": "Rate exceeded"}, 400)
            return self._json({"__type": "TooManyRequestsException", "message": "Rate exceeded"}, 429,
                              ctype="application/json")
        if service == "sts":
            return self._sts(parse_qs(body.decode()), account)
        if service == "iam":
            return self._iam(parse_qs(body.decode()), account)
        if service == "ec2":  # DescribeRegions(AllRegions), the collector's fallback for account:ListRegions
            items = "".join(f"<item><regionName>{r}</regionName><regionEndpoint>ec2.{r}.amazonaws.com</regionEndpoint>"
                            f"<optInStatus>{'opt-in-not-required' if self.org.region_on(account, r) else 'not-opted-in'}"
                            "</optInStatus></item>" for r in self.org.regions)
            return self._send(200, (f'<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                                    f"<requestId>r</requestId><regionInfo>{items}</regionInfo>"
                                    "</DescribeRegionsResponse>").encode(), "text/xml")
        if service == "s3":  # ListBuckets (who owns each trail's bucket): one bucket per account, empty body in
            return self._send(200, (  # noqa: E501 - the collector's one S3 call
                '<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets><Bucket>'
                f"<Name>logs-{account}</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>"
                "</Buckets><Owner><ID>o</ID></Owner></ListAllMyBucketsResult>").encode(), "application/xml")
        if target:
            op = target.rsplit(".", 1)[1]
            return self._json1(op, json.loads(body or b"{}"), account)
        return self._rest(service, self.method, url.path, parse_qs(url.query), json.loads(body or b"{}"), account,
                          region)

    # -- STS (query protocol, XML) --------------------------------------------------------------------------
    def _sts(self, form: dict, account: str) -> None:
        action = form["Action"][0]
        if action == "GetCallerIdentity":
            xml = (f"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::{account}:user/bench</Arn>"
                   f"<UserId>AIDBENCH</UserId><Account>{account}</Account></GetCallerIdentityResult>"
                   "</GetCallerIdentityResponse>")
        else:
            target = form["RoleArn"][0].split(":")[4]
            xml = ("<AssumeRoleResponse><AssumeRoleResult><Credentials>"
                   f"<AccessKeyId>ASIA{target}</AccessKeyId><SecretAccessKey>x</SecretAccessKey>"
                   "<SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
                   f"<AssumedRoleUser><Arn>arn:aws:sts::{target}:assumed-role/r/s</Arn>"
                   "<AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>")
        self._send(200, xml.encode(), "text/xml")

    # -- IAM Organizations access reports (query protocol, XML; collect --access-reports) -------------------
    jobs: dict = {}
    SERVICES = [f"svc{i:03d}" for i in range(360)]  # namespaces a report lists (AWS lists ~360: pages of 100)

    def _iam(self, form: dict, account: str) -> None:
        action = form["Action"][0]
        if action == "GenerateOrganizationsAccessReport":
            job = f"{len(Handler.jobs):036d}"
            Handler.jobs[job] = 0
            return self._send(200, ("<GenerateOrganizationsAccessReportResponse><GenerateOrganizationsAccessReport"
                                    f"Result><JobId>{job}</JobId></GenerateOrganizationsAccessReportResult>"
                                    "</GenerateOrganizationsAccessReportResponse>").encode(), "text/xml")
        job = form["JobId"][0]
        Handler.jobs[job] += 1
        head = "<JobCreationDate>2026-01-01T00:00:00Z</JobCreationDate>"
        if Handler.jobs[job] == 1:  # the first read: the job is still running
            inner = "<JobStatus>IN_PROGRESS</JobStatus>" + head
        else:
            start = int(form.get("Marker", ["0"])[0])
            page = self.SERVICES[start:start + 100]
            items = "".join(f"<member><ServiceName>{n}</ServiceName><ServiceNamespace>{n}</ServiceNamespace>"
                            + ("<Region>us-east-1</Region><LastAuthenticatedTime>2026-01-01T00:00:00Z"
                               "</LastAuthenticatedTime><TotalAuthenticatedEntities>1</TotalAuthenticatedEntities>"
                               if i % 10 == 0 else "<TotalAuthenticatedEntities>0</TotalAuthenticatedEntities>")
                            + "</member>" for i, n in enumerate(page, start))
            more = start + 100 < len(self.SERVICES)
            inner = ("<JobStatus>COMPLETED</JobStatus>" + head + "<JobCompletionDate>2026-01-01T00:01:00Z"
                     f"</JobCompletionDate><AccessDetails>{items}</AccessDetails>"
                     f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>"
                     + (f"<Marker>{start + 100}</Marker>" if more else ""))
        self._send(200, (f"<GetOrganizationsAccessReportResponse><GetOrganizationsAccessReportResult>{inner}"
                         "</GetOrganizationsAccessReportResult></GetOrganizationsAccessReportResponse>").encode(),
                   "text/xml")

    # -- Organizations and CloudTrail (JSON 1.1) ------------------------------------------------------------
    def _acct(self, a: str) -> dict:
        return {"Id": a, "Arn": f"arn:aws:organizations::{MGMT}:account/o-fake/{a}", "Email": f"{a}@example.com",
                "Name": f"acct-{a}", "Status": "ACTIVE", "JoinedMethod": "CREATED", "JoinedTimestamp": 1.7e9}

    def _json1(self, op: str, p: dict, account: str) -> None:
        o, tok = self.org, p.get("NextToken")
        if op == "DescribeOrganization":
            return self._json({"Organization": {"Id": "o-fake", "Arn": f"arn:aws:organizations::{MGMT}:organization/o-fake",
                                                "FeatureSet": "ALL", "MasterAccountId": MGMT,
                                                "MasterAccountArn": f"arn:aws:organizations::{MGMT}:account/o-fake/{MGMT}",
                                                "MasterAccountEmail": "m@example.com"}})
        if op == "ListRoots":
            return self._json({"Roots": [{"Id": o.root, "Name": "Root", "Arn": "arn:aws:organizations::x:root/o-fake/r",
                                          "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}]})
        if op == "ListOrganizationalUnitsForParent":
            kids = [{"Id": k, "Name": k, "Arn": f"arn:aws:organizations::x:ou/o-fake/{k}"}
                    for k in o.ous.get(p["ParentId"], [])]
            return self._json(page(kids, tok, 20, "OrganizationalUnits"))
        if op == "ListAccountsForParent":
            return self._json(page([self._acct(a) for a in o.children.get(p["ParentId"], [])], tok, 20, "Accounts"))
        if op == "ListTagsForResource":
            return self._json({"Tags": [{"Key": "env", "Value": "prod"}]})
        if op == "ListPolicies":
            summaries = [{"Id": pid, "Name": pid, "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": pid.endswith("Access"),
                          "Arn": f"arn:aws:organizations::x:policy/{pid}", "Description": ""} for pid in o.policies]
            return self._json(page(summaries, tok, 20, "Policies"))
        if op == "DescribePolicy":
            doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            return self._json({"Policy": {"PolicySummary": {"Id": p["PolicyId"]}, "Content": json.dumps(doc)}})
        if op == "ListTargetsForPolicy":
            t = [{"TargetId": x, "Arn": "arn:aws:organizations::x:t", "Name": x,
                  "Type": "ROOT" if x.startswith("r-") else "ORGANIZATIONAL_UNIT"} for x in o.policies[p["PolicyId"]]]
            return self._json(page(t, tok, 20, "Targets"))
        if op == "ListDelegatedAdministrators":
            return self._json({"DelegatedAdministrators": [dict(self._acct(ADMIN), DelegationEnabledDate=1.7e9)]})
        if op == "ListDelegatedServicesForAccount":
            return self._json({"DelegatedServices": [{"ServicePrincipal": "guardduty.amazonaws.com",
                                                      "DelegationEnabledDate": 1.7e9}]})
        if op == "ListAWSServiceAccessForOrganization":
            return self._json({"EnabledServicePrincipals": [{"ServicePrincipal": "guardduty.amazonaws.com",
                                                             "DateEnabled": 1.7e9}]})
        if op == "ListTrails":
            arns = [o.org_trail] + o.own_trails.get(account, [])
            return self._json({"Trails": [{"TrailARN": a, "Name": a.rsplit("/", 1)[1], "HomeRegion": "us-east-1"}
                                          for a in arns]})
        if op == "DescribeTrails":
            return self._json({"trailList": [{"Name": a.rsplit("/", 1)[1], "TrailARN": a, "HomeRegion": "us-east-1",
                                              "S3BucketName": "b", "IsMultiRegionTrail": True,
                                              "IsOrganizationTrail": a == o.org_trail,
                                              "IncludeGlobalServiceEvents": True, "LogFileValidationEnabled": True,
                                              "HasCustomEventSelectors": False, "HasInsightSelectors": False}
                                             for a in p.get("trailNameList", [])]})
        if op == "GetTrailStatus":
            now = time.time()  # delivering: the last log file five minutes ago
            return self._json({"IsLogging": True, "LatestDeliveryTime": now - 300, "StartLoggingTime": now - 86400 * 30})
        if op == "GetEventSelectors":
            return self._json({"TrailARN": p["TrailName"], "EventSelectors": [
                {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]})
        if op == "ListEventDataStores":  # CloudTrail Lake: no event data store anywhere in the fake organisation
            return self._json({"EventDataStores": []})
        if op == "ListTags":
            return self._json({"ResourceTagList": [{"ResourceId": r, "TagsList": []} for r in p["ResourceIdList"]]})
        return self._json({"__type": "UnknownOperationException", "message": op}, 400)

    # -- GuardDuty and Account (REST-JSON) ------------------------------------------------------------------
    def _rest(self, service: str, method: str, path: str, q: dict, p: dict, account: str, region: str) -> None:
        o = self.org
        rj = "application/json"
        if service == "account":  # POST /listRegions
            target = p.get("AccountId") or account
            regs = [{"RegionName": r, "RegionOptStatus": "ENABLED_BY_DEFAULT" if o.region_on(target, r) else "DISABLED"}
                    for r in o.regions]
            return self._json(page(regs, p.get("NextToken"), 50, "Regions"), ctype=rj)
        if not o.region_on(account, region):  # as AWS answers in a region the account has not enabled
            return self._json({"__type": "UnrecognizedClientException",
                               "message": "The security token included in the request is invalid."}, 403, ctype=rj)
        det = f"d{account}{region.replace('-', '')}"[:32]
        has = account not in o.none
        if path == "/admin":
            return self._json({"adminAccounts": [{"adminAccountId": ADMIN, "adminStatus": "ENABLED"}]}, ctype=rj)
        if path == "/detector":
            return self._json({"detectorIds": [det] if has else []}, ctype=rj)
        m = re.match(r"^/detector/([^/]+)(/.*)?$", path)
        sub = m.group(2) or ""
        if sub == "":
            return self._json({"status": "DISABLED" if account in o.suspended else "ENABLED",
                               "findingPublishingFrequency": "SIX_HOURS", "serviceRole": "r",
                               "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
                               "features": [{"name": "S3_DATA_EVENTS", "status": "ENABLED"}]}, ctype=rj)
        if sub == "/administrator":
            if account in o.members:
                return self._json({"administrator": {"accountId": ADMIN, "relationshipStatus": "Enabled",
                                                     "invitationId": "i"}}, ctype=rj)
            return self._json({}, ctype=rj)
        if sub == "/member":
            members = []
            if account == ADMIN:
                members = [{"accountId": a, "detectorId": f"d{a}{region.replace('-', '')}"[:32],
                            "masterId": ADMIN, "administratorId": ADMIN, "email": f"{a}@example.com",
                            "relationshipStatus": "Enabled", "updatedAt": "2026-01-01T00:00:00.000Z"}
                           for a in o.members]
            tok = (q.get("nextToken") or [None])[0]
            r = page(members, tok, 50, "members")
            if "NextToken" in r:
                r["nextToken"] = r.pop("NextToken")
            return self._json(r, ctype=rj)
        if sub == "/admin":
            return self._json({"autoEnable": True, "memberAccountLimitReached": False,
                               "autoEnableOrganizationMembers": "ALL"}, ctype=rj)
        return self._json({"message": path}, 404, ctype=rj)


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for ln in lines[1:]:
                if ln:
                    k, _, v = ln.partition(":")
                    headers[k.strip().lower()] = v.strip()
            body = await reader.readexactly(int(headers.get("content-length") or 0))
            await asyncio.sleep(Handler.latency)
            try:
                Handler(method, path, headers, body).handle()
                raise Reply(500, b"no answer", "text/plain")
            except Reply as r:
                reply = r
            except Exception as e:  # a request the fake does not know: an error answer, never a dropped connection
                reply = Reply(500, json.dumps({"__type": "InternalFailure", "message": repr(e)}).encode(),
                              "application/json")
            writer.write(f"HTTP/1.1 {reply.status} X\r\nContent-Type: {reply.ctype}\r\n"
                         f"Content-Length: {len(reply.body)}\r\nx-amzn-RequestId: fake\r\n\r\n".encode() + reply.body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _serve(port: int) -> None:
    srv = await asyncio.start_server(_serve_connection, "127.0.0.1", port, backlog=1024)
    print(f"FAKEAWS_PORT={srv.sockets[0].getsockname()[1]}", flush=True)
    async with srv:
        await srv.serve_forever()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--regions", type=int, default=17)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--throttle-rate", type=float, default=0.0,
                    help="calls per second allowed per (account, service); beyond it ThrottlingException (0: never)")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args(argv)
    Handler.org = FakeOrg(a.accounts, a.regions)
    Handler.latency = a.latency
    Handler.throttle_rate = a.throttle_rate
    try:
        asyncio.run(_serve(a.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
