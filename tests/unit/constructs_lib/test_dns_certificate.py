"""DnsValidatedCertificate: request, validation record in the zone, wait for the issue."""

from __future__ import annotations

import pytest

from constructs_lib.dns_certificate import DnsValidatedCertificate, DnsValidatedCertificateProps
from constructs_lib.validation import ValidationError
from tests.synth import Synth

ZONE = "Z0123456789ABCDEFGHIJ"


@pytest.fixture(scope="module")
def certificate(new_stack, synth) -> tuple[DnsValidatedCertificate, Synth]:
    stack = new_stack("certificate")
    construct = DnsValidatedCertificate(
        stack,
        "cert",
        DnsValidatedCertificateProps(domain_name="orders.example.com", hosted_zone_id=ZONE),
    )
    return construct, synth(stack)


def test_certificate_is_dns_validated_and_replaced_before_release(certificate) -> None:
    _, s = certificate
    cert = s.body("aws_acm_certificate")
    assert cert["domain_name"] == "orders.example.com"
    assert cert["validation_method"] == "DNS"
    assert cert["lifecycle"] == {"create_before_destroy": True}
    assert "subject_alternative_names" not in cert


def test_validation_record_is_the_one_acm_names_in_the_zone(certificate) -> None:
    _, s = certificate
    cert_name, _ = s.one("aws_acm_certificate")
    record = s.body("aws_route53_record")
    option = f"tolist(aws_acm_certificate.{cert_name}.domain_validation_options).0"
    assert record["zone_id"] == ZONE
    assert record["name"] == f"${{{option}.resource_record_name}}"
    assert record["type"] == f"${{{option}.resource_record_type}}"
    assert record["records"] == [f"${{{option}.resource_record_value}}"]
    assert record["ttl"] == 60
    assert record["allow_overwrite"] is True


def test_the_arn_given_out_is_known_only_once_issued(certificate) -> None:
    construct, s = certificate
    _, validation = s.one("aws_acm_certificate_validation")
    cert_name, _ = s.one("aws_acm_certificate")
    record_name, _ = s.one("aws_route53_record")
    assert validation["certificate_arn"] == s.ref("aws_acm_certificate", cert_name, "arn")
    assert validation["validation_record_fqdns"] == [
        s.ref("aws_route53_record", record_name, "fqdn")
    ]
    # Whoever uses the certificate waits for the validation (the ARN is its attribute).
    assert construct.certificate_arn.startswith("${TfToken[")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"domain_name": "Orders.example.com"}, "domain_name"),
        ({"domain_name": "orders.example.com."}, "domain_name"),
        ({"domain_name": "*.example.com"}, "domain_name"),
        ({"domain_name": "localhost"}, "domain_name"),
        ({"domain_name": "10.0.0.1"}, "domain_name"),
        ({"domain_name": "-orders.example.com"}, "domain_name"),
        ({"domain_name": f"{'a' * 64}.example.com"}, "domain_name"),
        ({"domain_name": ".".join(["abcdefghi"] * 26)}, "domain_name"),
        ({"domain_name": "under_score.example.com"}, "domain_name"),
        ({"hosted_zone_id": "/hostedzone/Z0123"}, "hosted_zone_id"),
        ({"hosted_zone_id": "z0123"}, "hosted_zone_id"),
        ({"validation_record_ttl": -1}, "validation_record_ttl"),
    ],
)
def test_props_refuse_what_acm_or_route53_would(overrides: dict, field: str) -> None:
    fields = {"domain_name": "orders.example.com", "hosted_zone_id": ZONE, **overrides}
    with pytest.raises(ValidationError) as caught:
        DnsValidatedCertificateProps(**fields)
    assert caught.value.field == field
    assert "\n" not in str(caught.value)


def test_longest_names_acm_takes_are_taken() -> None:
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(longest) == 253
    DnsValidatedCertificateProps(domain_name=longest, hosted_zone_id=ZONE)
    DnsValidatedCertificateProps(domain_name="xn--bcher-kva.example", hosted_zone_id=ZONE)
