"""Container secrets: which ARNs ECS accepts, and exactly what the execution role gets."""

from __future__ import annotations

import pytest

from constructs_lib.container_secrets import (
    check_kms_key_arn,
    execution_role_statements,
    parse_secret_arn,
)
from constructs_lib.validation import ValidationError, partition_of

REGION = "eu-west-1"
ACCOUNT = "123456789012"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:orders/db-AbCdEf"
PARTIAL_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:orders/db"
PARAMETER = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/orders/api-key"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0123abcd-4567-89ab-cdef-0123456789ab"


@pytest.mark.parametrize(
    ("value_from", "store", "resource"),
    [
        (SECRET, "secretsmanager", SECRET),
        (f"{SECRET}:password::", "secretsmanager", SECRET),
        (f"{SECRET}::AWSPREVIOUS:", "secretsmanager", SECRET),
        (
            f"{SECRET}:password::0123abcd-4567-89ab-cdef-0123456789ab",
            "secretsmanager",
            SECRET,
        ),
        # Without the random suffix: IAM must match it.
        (PARTIAL_SECRET, "secretsmanager", f"{PARTIAL_SECRET}-??????"),
        (f"{PARTIAL_SECRET}:password::", "secretsmanager", f"{PARTIAL_SECRET}-??????"),
        (PARAMETER, "ssm", PARAMETER),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/plain", "ssm", None),
    ],
)
def test_accepted_shapes_and_what_iam_names(value_from: str, store: str, resource: str) -> None:
    source = parse_secret_arn("s", value_from, region=REGION)
    assert source.store == store
    assert source.value_from == value_from
    assert source.resource_arn == (resource or value_from)
    assert ":password" not in source.resource_arn


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("orders/db", "is not an ARN"),
        ("arn:aws:secretsmanager:eu-west-1:12345:secret:x-AbCdEf", "is not an ARN"),
        (f"arn:aws:s3:::bucket/{ACCOUNT}", "is not an ARN"),
        (f"arn:aws:kms:{REGION}:{ACCOUNT}:key/x", "names a kms resource"),
        (f"arn:aws:secretsmanager:eu-central-1:{ACCOUNT}:secret:x-AbCdEf", "region"),
        (f"arn:aws-cn:secretsmanager:{REGION}:{ACCOUNT}:secret:x-AbCdEf", "partition"),
        (f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/x", "region"),
        (f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:", "not a Secrets Manager secret"),
        (f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:rotation:x", "not a Secrets Manager"),
        (f"{SECRET}:password", "exactly ':<json-key>:<version-stage>:<version-id>'"),
        (f"{SECRET}:password:", "exactly"),
        (f"{SECRET}:a:b:c:d", "exactly"),
        (f"{SECRET}:::", "empty ':::' selector"),
        (f"{SECRET}:pass word::", "no spaces"),
        (f"{SECRET}:${{x}}::", "no spaces"),
        (f"{SECRET}::AWSCURRENT:not_an_id!", "not a secret version id"),
        (f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:bad name-AbCdEf", "secret name"),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/orders", "not a parameter"),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:maintenancewindow/mw-1", "not a parameter"),
        (f"{PARAMETER}:password::", "takes no JSON-key or version suffix"),
        (f"{PARAMETER}:3", "takes no JSON-key or version suffix"),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter//x", "not a parameter name"),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a b", "not a parameter name"),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/aws/x", "are AWS's"),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/SSM-x", "are AWS's"),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{'p' * 1000}", "SSM allows 1011"),
        (42, "must be a secret or parameter ARN string"),
    ],
)
def test_bad_arns_are_one_line_errors_naming_the_field(value: object, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_secret_arn("service.secrets.DB", value, region=REGION)
    assert caught.value.field == "service.secrets.DB"
    assert reason in caught.value.reason
    assert "\n" not in str(caught.value)


def test_without_a_region_any_region_is_taken() -> None:
    """A construct's own check (the spec knows no region); the service checks the region."""
    arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:x-AbCdEf"
    assert parse_secret_arn("s", arn).region == "us-east-1"


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("eu-west-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"),
    ],
)
def test_partition_of_region(region: str, partition: str) -> None:
    assert partition_of(region) == partition
    arn = f"arn:{partition}:ssm:{region}:{ACCOUNT}:parameter/x"
    assert parse_secret_arn("s", arn, region=region).partition == partition


@pytest.mark.parametrize(
    "value",
    [
        f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/orders",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/not-a-key-id",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0123abcd-4567-89ab-cdef-0123456789ab",
        "0123abcd-4567-89ab-cdef-0123456789ab",
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:x-AbCdEf",
    ],
)
def test_kms_keys_are_key_arns_of_the_region(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_kms_key_arn("service.secrets_kms_key_arns[0]", value, region=REGION)
    assert caught.value.field == "service.secrets_kms_key_arns[0]"


def test_multi_region_keys_are_keys() -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef"
    assert check_kms_key_arn("k", key, region=REGION) == key


def _sources(*arns: str) -> list:  # type: ignore[type-arg]
    return [parse_secret_arn("s", arn, region=REGION) for arn in arns]


def test_statements_name_exactly_the_secrets_parameters_and_keys() -> None:
    statements = execution_role_statements(
        _sources(f"{SECRET}:password::", f"{SECRET}:user::", PARTIAL_SECRET, PARAMETER),
        [KEY, KEY],
        region=REGION,
        dns_suffix="amazonaws.com",
    )
    assert statements == [
        {
            "Sid": "ReadOwnSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            # Two keys of one secret: one resource, without the selector.
            "Resource": [f"{PARTIAL_SECRET}-??????", SECRET],
        },
        {
            "Sid": "ReadOwnParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameters"],
            "Resource": [PARAMETER],
        },
        {
            "Sid": "DecryptSecretsWithListedKeys",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [KEY],
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": [
                        f"secretsmanager.{REGION}.amazonaws.com",
                        f"ssm.{REGION}.amazonaws.com",
                    ]
                }
            },
        },
    ]


def test_kms_is_only_via_the_stores_in_use_and_only_for_listed_keys() -> None:
    only_ssm = execution_role_statements(
        _sources(PARAMETER), [KEY], region=REGION, dns_suffix="amazonaws.com.cn"
    )
    assert [s["Sid"] for s in only_ssm] == ["ReadOwnParameters", "DecryptSecretsWithListedKeys"]
    assert only_ssm[1]["Condition"]["StringEquals"]["kms:ViaService"] == [
        f"ssm.{REGION}.amazonaws.com.cn"
    ]
    no_keys = execution_role_statements(
        _sources(SECRET), [], region=REGION, dns_suffix="amazonaws.com"
    )
    assert [s["Sid"] for s in no_keys] == ["ReadOwnSecrets"]
    assert execution_role_statements([], [KEY], region=REGION, dns_suffix="amazonaws.com") == []


@pytest.mark.parametrize(
    ("value_from", "name", "selector"),
    [
        (SECRET, "orders/db", ""),
        (f"{SECRET}:password::", "orders/db", ":password::"),
        (PARTIAL_SECRET, "orders/db", ""),
        (f"{PARTIAL_SECRET}::AWSPREVIOUS:", "orders/db", "::AWSPREVIOUS:"),
        (PARAMETER, "/orders/api-key", ""),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/plain", "plain", ""),
    ],
)
def test_the_name_each_store_knows_it_by(value_from: str, name: str, selector: str) -> None:
    source = parse_secret_arn("s", value_from)
    assert (source.name, source.selector) == (name, selector)
