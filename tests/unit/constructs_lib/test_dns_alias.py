"""DnsAlias: the service's name points at the load balancer, IPv4 unless dual-stack."""

from __future__ import annotations

import pytest

from constructs_lib.dns_alias import DnsAlias, DnsAliasProps
from constructs_lib.validation import ValidationError

ZONE = "Z0123456789ABCDEFGHIJ"


def _props(**overrides: object) -> DnsAliasProps:
    fields: dict[str, object] = {
        "name": "orders.example.com",
        "hosted_zone_id": ZONE,
        "target_dns_name": "orders-123.eu-west-1.elb.amazonaws.com",
        "target_hosted_zone_id": "Z32O12XQLNTSW2",
    }
    return DnsAliasProps(**{**fields, **overrides})  # type: ignore[arg-type]


def test_an_ipv4_alb_gets_an_a_alias_only(new_stack, synth) -> None:
    stack = new_stack("alias-ipv4")
    alias = DnsAlias(stack, "domain", _props())
    (record,) = synth(stack).resources("aws_route53_record").values()
    assert record == {
        "zone_id": ZONE,
        "name": "orders.example.com",
        "type": "A",
        "alias": {
            "name": "orders-123.eu-west-1.elb.amazonaws.com",
            "zone_id": "Z32O12XQLNTSW2",
            "evaluate_target_health": True,
        },
    }
    assert set(alias.records) == {"A"}


def test_a_dual_stack_target_also_gets_aaaa(new_stack, synth) -> None:
    stack = new_stack("alias-dual")
    DnsAlias(stack, "domain", _props(dual_stack=True))
    records = synth(stack).resources("aws_route53_record").values()
    assert sorted(r["type"] for r in records) == ["A", "AAAA"]
    assert {r["alias"]["name"] for r in records} == {"orders-123.eu-west-1.elb.amazonaws.com"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"name": "orders.example.com."}, "name"), ({"hosted_zone_id": "zone"}, "hosted_zone_id")],
)
def test_props_refuse_bad_names(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _props(**overrides)
    assert caught.value.field == field
