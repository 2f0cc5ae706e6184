"""VpcEndpoints: private paths to AWS APIs for subnets without internet access.

Tasks in private subnets without NAT still need ECR (``ecr.api`` for the manifest,
``ecr.dkr`` for the registry, S3 for the image layers) and CloudWatch Logs; the verification
hook needs CodeDeploy, EC2 and ECS. Interface endpoints with private DNS make the usual API
host names resolve to addresses inside the VPC, so nothing in the clients changes; the S3
gateway endpoint is a route in the private route tables and costs nothing.

One security group guards every interface endpoint and admits exactly the clients' security
groups on 443.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import TerraformResource
from constructs_lib.validation import ValidationError, check_resource_prefix

_SERVICE_RE = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
TASK_SERVICES = ("ecr.api", "ecr.dkr", "logs")
"""What Fargate needs to start a task from ECR and ship its logs (plus the S3 gateway)."""


@dataclass(frozen=True, kw_only=True)
class VpcEndpointsProps:
    name_prefix: str
    region: str
    vpc_id: str
    subnet_ids: Sequence[str]
    """Where the interface endpoints' addresses live: the clients' (private) subnets, one
    per AZ."""
    route_table_ids: Sequence[str] = ()
    """Route tables that get the S3 gateway endpoint (empty: no S3 gateway endpoint)."""
    interface_services: Sequence[str] = TASK_SERVICES
    """Service names after ``com.amazonaws.<region>.``, e.g. ``ecr.api``."""
    client_security_group_ids: Sequence[str] = ()
    """Security groups whose members may call the endpoints (on 443)."""

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=200)
        if not self.subnet_ids and self.interface_services:
            raise ValidationError("subnet_ids", "interface endpoints need at least one subnet")
        seen: set[str] = set()
        for i, service in enumerate(self.interface_services):
            if not isinstance(service, str) or not _SERVICE_RE.fullmatch(service):
                raise ValidationError(f"interface_services[{i}]", f"{service!r} is not a service")
            if service in seen:
                raise ValidationError(f"interface_services[{i}]", f"{service!r} appears twice")
            seen.add(service)


class VpcEndpoints(Construct):
    def __init__(self, scope: Construct, id_: str, props: VpcEndpointsProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self.security_group = aws.SecurityGroup(
            self,
            "sg",
            name_prefix=f"{props.name_prefix}-endpoints-",
            description="Interface endpoints: HTTPS from the clients of the stack only",
            vpc_id=props.vpc_id,
            tags={"Name": f"{props.name_prefix}-endpoints"},
            lifecycle=aws.TerraformResourceLifecycle(create_before_destroy=True),
        )
        self.security_group_id: str = self.security_group.id
        self.ready: list[TerraformResource] = []
        """Endpoints and the rules admitting the clients: what a client that calls the APIs
        as soon as it starts must wait for (``FargateService.start_after``)."""
        for i, client in enumerate(props.client_security_group_ids):
            rule = aws.VpcSecurityGroupIngressRule(
                self,
                f"https-from-client-{i}",
                security_group_id=self.security_group_id,
                description="HTTPS to the AWS APIs from a client of the endpoints",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                referenced_security_group_id=client,
            )
            self.ready.append(rule)
        self.interface_endpoint_ids: dict[str, str] = {}
        for service in props.interface_services:
            endpoint = aws.VpcEndpoint(
                self,
                service.replace(".", "-"),
                vpc_id=props.vpc_id,
                service_name=f"com.amazonaws.{props.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=list(props.subnet_ids),
                security_group_ids=[self.security_group_id],
                tags={"Name": f"{props.name_prefix}-{service}"},
            )
            self.interface_endpoint_ids[service] = endpoint.id
            self.ready.append(endpoint)
        self.s3_gateway_endpoint_id: str | None = None
        if props.route_table_ids:
            gateway = aws.VpcEndpoint(
                self,
                "s3",
                vpc_id=props.vpc_id,
                service_name=f"com.amazonaws.{props.region}.s3",
                vpc_endpoint_type="Gateway",
                route_table_ids=list(props.route_table_ids),
                tags={"Name": f"{props.name_prefix}-s3"},
            )
            self.s3_gateway_endpoint_id = gateway.id
            self.ready.append(gateway)
