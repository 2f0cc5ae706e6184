"""NetworkConstruct: a VPC with one public and one private subnet per availability zone."""

from __future__ import annotations

import ipaddress
import itertools
import re
from dataclasses import dataclass
from typing import Literal

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import Fn, Token
from constructs_lib.iam import policy_document, service_trust_policy, statement
from constructs_lib.naming import IAM_ROLE_NAME_MAX, aws_name
from constructs_lib.validation import (
    ValidationError,
    check_cidr,
    check_disjoint_cidrs,
    check_int_range,
    check_log_retention,
    check_resource_prefix,
    check_unique,
    show,
)

# AWS allows VPC and subnet prefixes from /16 to /28.
MIN_PREFIX, MAX_PREFIX = 16, 28
MAX_AZ_COUNT = 6
NatGateways = Literal["none", "single", "per-az"]
NAT_GATEWAY_CHOICES: tuple[NatGateways, ...] = ("none", "single", "per-az")
# An availability zone id, the zone's identity in every account: "use1-az1", "apne1-az4"
# (a zone *name* such as "ap-northeast-1a" maps to a different zone in each account).
_ZONE_ID_RE = re.compile(r"[a-z]{2,}[0-9]+(?:-[a-z]+[0-9]+)?-az[0-9]+")


@dataclass(frozen=True)
class SubnetPlan:
    """Concrete subnet CIDRs, index ``i`` of each tier lives in availability zone ``i``."""

    public: tuple[str, ...]
    private: tuple[str, ...]


def plan_subnets(
    vpc_cidr: str,
    az_count: int,
    subnet_prefix_length: int = 24,
    *,
    public: tuple[str, ...] | None = None,
    private: tuple[str, ...] | None = None,
    field_prefix: str = "",
) -> SubnetPlan:
    """Carve ``az_count`` public then ``az_count`` private subnets out of ``vpc_cidr``.

    Explicit ``public``/``private`` lists replace the computed ones and are checked for size,
    containment and overlap. Pure Python, so the settings loader can validate before any
    construct exists. ``field_prefix`` qualifies field names in errors (``network.``).
    """
    f = field_prefix
    vpc = check_cidr(f"{f}vpc_cidr", vpc_cidr, min_prefix=MIN_PREFIX, max_prefix=MAX_PREFIX)
    check_int_range(f"{f}az_count", az_count, 2, MAX_AZ_COUNT)
    if public is None or private is None:
        if vpc.prefixlen >= MAX_PREFIX:
            raise ValidationError(
                f"{f}vpc_cidr", f"{vpc} has no room for subnets (each /{MAX_PREFIX} or larger)"
            )
        check_int_range(f"{f}subnet_prefix_length", subnet_prefix_length, vpc.prefixlen + 1, 28)
        needed = 2 * az_count
        available = 2 ** (subnet_prefix_length - vpc.prefixlen)
        if available < needed:
            raise ValidationError(
                f"{f}subnet_prefix_length",
                f"/{subnet_prefix_length} gives {available} subnets in {vpc}, {needed} needed",
            )
        carved = [
            str(s) for s in itertools.islice(vpc.subnets(new_prefix=subnet_prefix_length), needed)
        ]
        public = public or tuple(carved[:az_count])
        private = private or tuple(carved[az_count:])
    networks: list[ipaddress.IPv4Network] = []
    for tier, cidrs in (("public_subnet_cidrs", public), ("private_subnet_cidrs", private)):
        if len(cidrs) != az_count:
            raise ValidationError(
                f"{f}{tier}", f"needs one CIDR per availability zone ({az_count}), got {len(cidrs)}"
            )
        for i, cidr in enumerate(cidrs):
            net = check_cidr(f"{f}{tier}[{i}]", cidr, min_prefix=MIN_PREFIX, max_prefix=MAX_PREFIX)
            if not net.subnet_of(vpc):
                raise ValidationError(f"{f}{tier}[{i}]", f"{net} is outside the VPC {vpc}")
            networks.append(net)
    check_disjoint_cidrs(f"{f}subnets", networks)
    return SubnetPlan(public=tuple(public), private=tuple(private))


# How a region's name shortens into its zones' ids: ap-northeast-1 -> apne1-az4.
_REGION_WORDS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    "gov": "g",
}


def zone_id_prefix(region: str) -> str | None:
    """What every zone id of ``region`` starts with (``us-east-1`` -> ``use1-az``,
    ``us-gov-west-1`` -> ``usgw1-az``), or None for a region whose naming this does not know
    (the plan then checks the ids)."""
    area, *words, number = region.split("-")
    if not number.isdigit() or not all(word in _REGION_WORDS for word in words):
        return None
    return f"{area}{''.join(_REGION_WORDS[word] for word in words)}{number}-az"


def check_zone_ids(
    field: str, zone_ids: object, az_count: int, *, region: str | None = None
) -> tuple[str, ...]:
    """One distinct availability zone id (``apne1-az4``, not a zone name) per AZ, of
    ``region`` when given."""
    if not isinstance(zone_ids, (list, tuple)) or not all(isinstance(z, str) for z in zone_ids):
        raise ValidationError(field, f"must be a list of zone ids, got {show(zone_ids)}")
    if len(zone_ids) != az_count:
        raise ValidationError(
            field, f"needs one zone id per availability zone ({az_count}), got {len(zone_ids)}"
        )
    for i, zone_id in enumerate(zone_ids):
        if not _ZONE_ID_RE.fullmatch(zone_id):
            raise ValidationError(
                f"{field}[{i}]",
                f"must be an availability zone id such as 'apne1-az4' (a zone name maps to a "
                f"different zone in each account), got {show(zone_id)}",
            )
    prefix = None if region is None else zone_id_prefix(region)
    for i, zone_id in enumerate(zone_ids):
        if prefix is not None and not zone_id.startswith(prefix):
            raise ValidationError(
                f"{field}[{i}]",
                f"{zone_id!r} is not a zone of {region} (its zone ids start with {prefix!r})",
            )
    check_unique(field, list(zone_ids))
    return tuple(zone_ids)


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    name_prefix: str
    """Prefix of the ``Name`` tags."""
    vpc_cidr: str = "10.0.0.0/16"
    """The VPC's IPv4 range, /16 to /28."""
    az_count: int = 2
    """Availability zones to spread the subnets over (2-6), taken in order from the
    region's zones that need no opt-in (unless ``zone_ids`` names them)."""
    zone_ids: tuple[str, ...] | None = None
    """The zones by id, one per AZ in subnet order (``("apne1-az4", "apne1-az1")``): the same
    physical zones in every account, and a set no new or changed zone of the region can
    alter. Default: the region's first ``az_count`` zones, read on every plan."""
    subnet_prefix_length: int = 24
    """Size of each computed subnet."""
    public_subnet_cidrs: tuple[str, ...] | None = None
    """Explicit public subnet CIDRs (one per AZ); default: carved from ``vpc_cidr``."""
    private_subnet_cidrs: tuple[str, ...] | None = None
    """Explicit private subnet CIDRs (one per AZ); default: carved after the public ones."""
    nat_gateways: NatGateways = "none"
    """Internet access for the private subnets: ``none`` (endpoints or nothing), ``single``
    (one NAT gateway, cheaper; an AZ outage cuts the others off) or ``per-az``."""
    flow_log_retention_days: int | None = 30
    """VPC flow logs (all traffic) to CloudWatch Logs, kept this many days; None: none."""

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=200)
        if self.flow_log_retention_days is not None:
            check_log_retention("flow_log_retention_days", self.flow_log_retention_days)
        if self.nat_gateways not in NAT_GATEWAY_CHOICES:
            raise ValidationError(
                "nat_gateways",
                f"must be one of {', '.join(NAT_GATEWAY_CHOICES)}, got {self.nat_gateways!r}",
            )
        plan_subnets(
            self.vpc_cidr,
            self.az_count,
            self.subnet_prefix_length,
            public=self.public_subnet_cidrs,
            private=self.private_subnet_cidrs,
        )
        if self.zone_ids is not None:
            check_zone_ids("zone_ids", self.zone_ids, self.az_count)


class NetworkConstruct(Construct):
    """VPC (DNS support and hostnames on), an internet gateway, and per AZ a public subnet
    routed to the gateway and a private subnet with its own route table (so a NAT gateway or
    endpoints can be added per AZ). The VPC's default security group is taken over and left
    without rules, so nothing can silently use it.

    Subnets name their zone by id (``availability_zone_id``), never by name: a zone name
    means a different physical zone in each account. Without ``zone_ids`` the zones are the
    region's first ``az_count`` (by name, as the data source orders both lists), so the
    physical zones are the ones ``availability_zone = names[i]`` chose before.

    Other stacks may skip this construct and hand their own VPC and subnet ids to
    :class:`AlbBlueGreen` and :class:`FargateService`.
    """

    def __init__(self, scope: Construct, id_: str, props: NetworkProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        plan = plan_subnets(
            props.vpc_cidr,
            props.az_count,
            props.subnet_prefix_length,
            public=props.public_subnet_cidrs,
            private=props.private_subnet_cidrs,
        )
        name = props.name_prefix

        zones = self._zones()
        self.vpc = aws.Vpc(
            self,
            "vpc",
            cidr_block=props.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{name}-vpc"},
        )
        # Read once: every read of a resource attribute is a round trip to the jsii runtime.
        self.vpc_id: str = self.vpc.id
        aws.DefaultSecurityGroup(
            self, "default-sg", vpc_id=self.vpc_id, tags={"Name": f"{name}-default-unused"}
        )
        gateway = aws.InternetGateway(self, "igw", vpc_id=self.vpc_id, tags={"Name": f"{name}-igw"})
        public_table = aws.RouteTable(
            self, "public-rt", vpc_id=self.vpc_id, tags={"Name": f"{name}-public"}
        )
        public_table_id: str = public_table.id
        aws.Route(
            self,
            "public-default-route",
            route_table_id=public_table_id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id,
        )

        # The data source lists names and zone ids in the same order (by name).
        names, ids = zones.names, zones.zone_ids
        if props.zone_ids is None:
            self.availability_zone_ids: list[str] = [
                Fn.element(ids, i) for i in range(props.az_count)
            ]
            self.availability_zones: list[str] = [
                Fn.element(names, i) for i in range(props.az_count)
            ]
        else:
            self.availability_zone_ids = list(props.zone_ids)
            self.availability_zones = [
                Fn.element(names, Token.as_number(Fn.index(ids, zone_id)))
                for zone_id in props.zone_ids
            ]
        self.public_subnet_ids: list[str] = []
        self.private_subnet_ids: list[str] = []
        self.private_route_table_ids: list[str] = []
        for i, zone_id in enumerate(self.availability_zone_ids):
            public = aws.Subnet(
                self,
                f"public-{i}",
                vpc_id=self.vpc_id,
                cidr_block=plan.public[i],
                availability_zone_id=zone_id,
                # Tasks and the ALB get public addresses explicitly; nothing else should.
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-public-{i}", "Tier": "public"},
            )
            aws.RouteTableAssociation(
                self, f"public-{i}-rta", subnet_id=public.id, route_table_id=public_table_id
            )
            private = aws.Subnet(
                self,
                f"private-{i}",
                vpc_id=self.vpc_id,
                cidr_block=plan.private[i],
                availability_zone_id=zone_id,
                tags={"Name": f"{name}-private-{i}", "Tier": "private"},
            )
            private_table = aws.RouteTable(
                self, f"private-{i}-rt", vpc_id=self.vpc_id, tags={"Name": f"{name}-private-{i}"}
            )
            aws.RouteTableAssociation(
                self, f"private-{i}-rta", subnet_id=private.id, route_table_id=private_table.id
            )
            self.public_subnet_ids.append(public.id)
            self.private_subnet_ids.append(private.id)
            self.private_route_table_ids.append(private_table.id)
        self.egress_ready: list[aws.Route] = []
        """What private subnets need before anything in them reaches the internet (the NAT
        routes): give it to whatever starts there first (``FargateService.start_after``)."""
        self.nat_gateway_ids = self._nat_gateways(gateway)
        self.flow_log_group_name: str | None = self._flow_logs()

        self.vpc_cidr_block: str = props.vpc_cidr
        self.internet_gateway_id: str = gateway.id
        self.public_route_table_id: str = public_table_id

    def _zones(self) -> aws.DataAwsAvailabilityZones:
        """The region's zones: with ``zone_ids``, exactly those (the plan fails, naming them,
        if one is not in the region); else those that need no opt-in and are available."""
        pinned = self.props.zone_ids
        if pinned is None:
            return aws.DataAwsAvailabilityZones(
                self,
                "zones",
                state="available",
                filter=[
                    aws.DataAwsAvailabilityZonesFilter(
                        name="opt-in-status", values=["opt-in-not-required"]
                    )
                ],
            )
        wanted = "[" + ", ".join(f'"{zone_id}"' for zone_id in pinned) + "]"
        missing = f"setsubtract({wanted}, self.zone_ids)"
        return aws.DataAwsAvailabilityZones(
            self,
            "zones",
            filter=[aws.DataAwsAvailabilityZonesFilter(name="zone-id", values=list(pinned))],
            lifecycle=aws.TerraformResourceLifecycle(
                postcondition=[
                    # A jsii struct given as a map: its keys are the struct's (camelCase).
                    {
                        "condition": f"${{length({missing}) == 0}}",
                        "errorMessage": (
                            f'zone_ids not in this region: ${{join(", ", {missing})}}'
                        ),
                    }
                ]
            ),
        )

    def _nat_gateways(self, internet_gateway: aws.InternetGateway) -> list[str]:
        """NAT gateways in the public subnets; each private route table gets a default route
        to the one in its own AZ (``per-az``) or to the only one (``single``)."""
        mode = self.props.nat_gateways
        if mode == "none":
            return []
        count = self.props.az_count if mode == "per-az" else 1
        ids: list[str] = []
        for i in range(count):
            address = aws.Eip(
                self,
                f"nat-{i}-eip",
                domain="vpc",
                tags={"Name": f"{self.props.name_prefix}-nat-{i}"},
            )
            nat = aws.NatGateway(
                self,
                f"nat-{i}",
                allocation_id=address.id,
                subnet_id=self.public_subnet_ids[i],
                tags={"Name": f"{self.props.name_prefix}-nat-{i}"},
                depends_on=[internet_gateway],
            )
            ids.append(nat.id)
        for i, table in enumerate(self.private_route_table_ids):
            route = aws.Route(
                self,
                f"private-{i}-default-route",
                route_table_id=table,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=ids[i if mode == "per-az" else 0],
            )
            self.egress_ready.append(route)
        return ids

    def _flow_logs(self) -> str | None:
        """Every accepted and rejected connection of the VPC, for incident analysis; the
        delivery role may write to this one log group only."""
        days = self.props.flow_log_retention_days
        if days is None:
            return None
        prefix = self.props.name_prefix
        group = aws.CloudwatchLogGroup(
            self, "flow-logs", name=f"/vpc/{prefix}/flow-logs", retention_in_days=days
        )
        role = aws.IamRole(
            self,
            "flow-logs-role",
            name=aws_name(prefix, "vpc-flow-logs", max_length=IAM_ROLE_NAME_MAX),
            assume_role_policy=service_trust_policy(
                "vpc-flow-logs.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": self._account()}},
            ),
        )
        policy = aws.IamRolePolicy(
            self,
            "flow-logs-policy",
            role=role.id,
            name="write-flow-logs",
            policy=policy_document(
                statement(
                    "WriteOwnFlowLogGroup",
                    ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    [f"{group.arn}:*"],
                )
            ),
        )
        aws.FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=600,
            tags={"Name": f"{prefix}-flow-logs"},
            depends_on=[policy],
        )
        name: str = group.name
        return name

    def _account(self) -> str:
        account: str = aws.DataAwsCallerIdentity(self, "account").account_id
        return account
