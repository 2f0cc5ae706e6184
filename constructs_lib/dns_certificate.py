"""DnsValidatedCertificate: a public ACM certificate for one name, proven through Route 53.

ACM issues a public certificate once a CNAME it names exists under the domain. This
construct requests the certificate, writes that CNAME into the given hosted zone and waits
(``aws_acm_certificate_validation``) until ACM has issued it, so whatever uses
:attr:`DnsValidatedCertificate.certificate_arn` (an HTTPS listener) is created only with an
issued certificate. ACM renews it by itself for as long as the record stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import TerraformResourceLifecycle
from constructs_lib.validation import check_domain_name, check_hosted_zone_id, check_int_range

VALIDATION_RECORD_TTL = 60


@dataclass(frozen=True, kw_only=True)
class DnsValidatedCertificateProps:
    domain_name: str
    """The one name the certificate is for (lowercase, no trailing dot), e.g.
    ``app.example.com``."""
    hosted_zone_id: str
    """The public Route 53 hosted zone holding ``domain_name``: the validation record goes
    there."""
    validation_record_ttl: int = VALIDATION_RECORD_TTL
    """Seconds resolvers may cache the validation record."""

    def __post_init__(self) -> None:
        check_domain_name("domain_name", self.domain_name)
        check_hosted_zone_id("hosted_zone_id", self.hosted_zone_id)
        check_int_range("validation_record_ttl", self.validation_record_ttl, 0, 172800)


class DnsValidatedCertificate(Construct):
    """An ACM certificate, its DNS validation record and the wait for its issue."""

    def __init__(self, scope: Construct, id_: str, props: DnsValidatedCertificateProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self.certificate = aws.AcmCertificate(
            self,
            "certificate",
            domain_name=props.domain_name,
            validation_method="DNS",
            # A replacement (another name) is issued before listeners let go of this one.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            tags={"Name": props.domain_name},
        )
        # One name, so one validation option; the provider keeps them in a set.
        option = self.certificate.domain_validation_options.get(0)
        self.validation_record = aws.Route53Record(
            self,
            "validation-record",
            zone_id=props.hosted_zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=props.validation_record_ttl,
            # ACM gives every certificate for this name the same record: a second stack (or
            # a certificate replaced by create_before_destroy) takes the existing one over.
            allow_overwrite=True,
        )
        self.validation = aws.AcmCertificateValidation(
            self,
            "validation",
            certificate_arn=self.certificate.arn,
            validation_record_fqdns=[self.validation_record.fqdn],
        )
        self.certificate_arn: str = self.validation.certificate_arn
        """The certificate's ARN, known only once ACM has issued it: use this one."""
        self.domain_name: str = props.domain_name
        self.hosted_zone_id: str = props.hosted_zone_id
