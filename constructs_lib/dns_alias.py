"""DnsAlias: a name in a Route 53 hosted zone pointing at a load balancer.

An alias record answers with the load balancer's current addresses (they change as the ALB
scales) and costs nothing per query; a CNAME could not sit at a zone's apex and would cost
a second lookup. IPv4 always (``A``); ``AAAA`` only for a dual-stack target, since an
``AAAA`` alias to an IPv4-only ALB answers nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.validation import check_domain_name, check_hosted_zone_id


@dataclass(frozen=True, kw_only=True)
class DnsAliasProps:
    name: str
    """The name to create (lowercase, no trailing dot), inside the hosted zone."""
    hosted_zone_id: str
    """The public Route 53 hosted zone holding ``name``."""
    target_dns_name: str
    """The load balancer's DNS name (``AlbBlueGreen.dns_name``)."""
    target_hosted_zone_id: str
    """The load balancer's own zone (``AlbBlueGreen.canonical_hosted_zone_id``)."""
    dual_stack: bool = False
    """The target also has IPv6 addresses: add an ``AAAA`` alias."""
    evaluate_target_health: bool = True
    """Route 53 answers only while the target has healthy targets (matters with failover
    records; harmless otherwise)."""

    def __post_init__(self) -> None:
        check_domain_name("name", self.name)
        check_hosted_zone_id("hosted_zone_id", self.hosted_zone_id)


class DnsAlias(Construct):
    """``A`` (and with ``dual_stack`` ``AAAA``) alias records for one name."""

    def __init__(self, scope: Construct, id_: str, props: DnsAliasProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        record_types = ("A", "AAAA") if props.dual_stack else ("A",)
        self.records = {
            record_type: aws.Route53Record(
                self,
                record_type.lower(),
                zone_id=props.hosted_zone_id,
                name=props.name,
                type=record_type,
                alias=aws.Route53RecordAlias(
                    name=props.target_dns_name,
                    zone_id=props.target_hosted_zone_id,
                    evaluate_target_health=props.evaluate_target_health,
                ),
            )
            for record_type in record_types
        }
        self.fqdn: str = self.records["A"].fqdn
        """The name as Route 53 holds it (known after apply)."""
        self.name: str = props.name
