"""Each emulator patch, proven against the patched moto server: the valid AWS input the
stack sends is accepted and served back as AWS would, and what AWS refuses is refused (each
test fails without its patch)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tools import moto_patches

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/any"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """The patched emulator as the stack meets it: a server, answering over HTTP."""
    from tools.emulator import Emulator

    with Emulator() as emulator:
        yield emulator.endpoint


Client = Callable[[str], Any]


@pytest.fixture
def client(endpoint: str) -> Client:
    """A boto3 client factory on a freshly reset emulator."""
    from tools.emulator import client, reset

    reset(endpoint)
    return functools.partial(client, endpoint, REGION)


def test_codebuild_pipeline_project_needs_no_location_and_deletes_by_arn(client: Client) -> None:
    codebuild = client("codebuild")
    project = codebuild.create_project(
        name="build",
        source={"type": "CODEPIPELINE", "buildspec": "app/buildspec.yml"},
        artifacts={"type": "CODEPIPELINE"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=ROLE,
    )["project"]
    assert codebuild.list_projects()["projects"] == ["build"]
    codebuild.delete_project(name=project["arn"])
    assert codebuild.list_projects()["projects"] == []


def test_codepipeline_metadata_timestamps_are_epoch_numbers_on_the_wire(client: Client) -> None:
    trust = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",'
        ' "Principal": {"Service": "codepipeline.amazonaws.com"}}]}'
    )
    role = client("iam").create_role(RoleName="pipeline", AssumeRolePolicyDocument=trust)
    codepipeline = client("codepipeline")
    action = {
        "name": "a",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"},
        "outputArtifacts": [{"name": "out"}],
    }
    codepipeline.create_pipeline(
        pipeline={
            "name": "p",
            "roleArn": role["Role"]["Arn"],
            "artifactStore": {"type": "S3", "location": "bucket"},
            "stages": [
                {"name": "One", "actions": [action]},
                {"name": "Two", "actions": [{**action, "name": "b", "outputArtifacts": []}]},
            ],
        }
    )
    raw: list[bytes] = []
    codepipeline.meta.events.register(
        "after-call.codepipeline.GetPipeline",
        lambda http_response, **_: raw.append(http_response.content),
    )
    codepipeline.get_pipeline(name="p")
    # The JSON protocol's timestamps are epoch numbers; Terraform's Go SDK rejects strings
    # (botocore would parse either, so look at the wire).
    metadata = json.loads(raw[0])["metadata"]
    assert isinstance(metadata["created"], float | int), metadata
    assert isinstance(metadata["updated"], float | int), metadata


def test_codedeploy_deletes_deployment_groups_and_applications(client: Client) -> None:
    codedeploy = client("codedeploy")
    codedeploy.create_application(applicationName="app", computePlatform="ECS")
    codedeploy.create_deployment_group(
        applicationName="app", deploymentGroupName="group", serviceRoleArn=ROLE
    )
    codedeploy.delete_deployment_group(applicationName="app", deploymentGroupName="group")
    assert codedeploy.list_deployment_groups(applicationName="app")["deploymentGroups"] == []
    codedeploy.delete_application(applicationName="app")
    assert codedeploy.list_applications()["applications"] == []


def test_codedeploy_deployment_group_returns_its_alarms(client: Client) -> None:
    codedeploy = client("codedeploy")
    codedeploy.create_application(applicationName="app", computePlatform="ECS")
    alarms = {"enabled": True, "alarms": [{"name": "5xx"}], "ignorePollAlarmFailure": False}
    codedeploy.create_deployment_group(
        applicationName="app",
        deploymentGroupName="group",
        serviceRoleArn=ROLE,
        alarmConfiguration=alarms,
    )
    group = codedeploy.get_deployment_group(applicationName="app", deploymentGroupName="group")
    assert group["deploymentGroupInfo"]["alarmConfiguration"] == alarms


def _task_definition_with_task_level_memory(ecs: Any) -> str:
    arn: str = ecs.register_task_definition(
        family="web",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "app:1", "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    return arn


def _service(ecs: Any, **settings: Any) -> str:
    """Service ``s`` in cluster ``c`` on a task definition with task-level memory only;
    returns the task definition's ARN."""
    ecs.create_cluster(clusterName="c")
    task_definition = _task_definition_with_task_level_memory(ecs)
    ecs.create_service(cluster="c", serviceName="s", taskDefinition=task_definition, **settings)
    return task_definition


def test_ecs_service_returns_the_settings_it_was_created_with(client: Client) -> None:
    ecs = client("ecs")
    _service(
        ecs,
        desiredCount=0,
        healthCheckGracePeriodSeconds=30,
        enableECSManagedTags=True,
        availabilityZoneRebalancing="DISABLED",
    )
    (service,) = ecs.describe_services(cluster="c", services=["s"])["services"]
    assert service["healthCheckGracePeriodSeconds"] == 30
    assert service["enableECSManagedTags"] is True
    assert service["availabilityZoneRebalancing"] == "DISABLED"


def test_ecs_task_set_starts_with_task_level_memory_only(client: Client) -> None:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # as the stack's
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="t", Description="t", VpcId=vpc)["GroupId"]
    ecs = client("ecs")
    task_definition = _service(
        ecs, desiredCount=1, launchType="FARGATE", deploymentController={"type": "CODE_DEPLOY"}
    )
    task_set = ecs.create_task_set(
        cluster="c",
        service="s",
        taskDefinition=task_definition,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}
        },
        scale={"unit": "PERCENT", "value": 100},
    )["taskSet"]
    assert task_set["taskDefinition"] == task_definition


def test_security_group_rule_referencing_a_group_keeps_its_description(client: Client) -> None:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    alb, tasks = (
        ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        for name in ("alb", "tasks")
    )
    ec2.authorize_security_group_ingress(
        GroupId=tasks,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 80,
                "ToPort": 80,
                "UserIdGroupPairs": [{"GroupId": alb, "Description": "from the ALB"}],
            }
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [tasks]}])[
        "SecurityGroupRules"
    ]
    (ingress,) = [rule for rule in rules if not rule["IsEgress"]]
    assert ingress["Description"] == "from the ALB"
    assert ingress["ReferencedGroupInfo"]["GroupId"] == alb


def test_application_autoscaling_keeps_and_serves_scalable_target_tags(client: Client) -> None:
    ecs = client("ecs")
    _service(ecs, desiredCount=2)
    autoscaling = client("application-autoscaling")
    arn = autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/c/s",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2,
        MaxCapacity=6,
        Tags={"Project": "p", "Environment": "dev"},
    )["ScalableTargetARN"]
    assert autoscaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {
        "Project": "p",
        "Environment": "dev",
    }
    autoscaling.tag_resource(ResourceARN=arn, Tags={"Team": "t"})
    autoscaling.untag_resource(ResourceARN=arn, TagKeys=["Environment"])
    assert autoscaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {
        "Project": "p",
        "Team": "t",
    }
    with pytest.raises(autoscaling.exceptions.ResourceNotFoundException):
        autoscaling.list_tags_for_resource(ResourceARN=arn.replace("scalable-target/", "x/"))


def test_ecr_pull_through_cache_rules_are_kept(client: Client) -> None:
    ecr = client("ecr")
    ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix="svc-ecr-public", upstreamRegistryUrl="public.ecr.aws"
    )
    (rule,) = ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["svc-ecr-public"])[
        "pullThroughCacheRules"
    ]
    assert rule["upstreamRegistryUrl"] == "public.ecr.aws"
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="svc-ecr-public")
    assert ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"] == []


def _https_load_balancer(client: Client) -> tuple[Any, str, str]:
    """An ALB and a target group; returns the elbv2 client, the ALB's and the group's ARNs."""
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    elbv2 = client("elbv2")
    (alb,) = elbv2.create_load_balancer(Name="alb", Subnets=subnets, Type="application")[
        "LoadBalancers"
    ]
    group = elbv2.create_target_group(
        Name="blue", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    return elbv2, alb["LoadBalancerArn"], group


def _https_listener(elbv2: Any, alb: str, group: str, certificate: str, port: int = 443) -> str:
    arn: str = elbv2.create_listener(
        LoadBalancerArn=alb,
        Protocol="HTTPS",
        Port=port,
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )["Listeners"][0]["ListenerArn"]
    return arn


# AWS answers with this code, but botocore's ELBv2 model has no shape for it; moto warns.
@pytest.mark.filterwarnings("ignore:.*code UnsupportedCertificate does not match:UserWarning")
def test_https_listeners_take_only_issued_certificates(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto.settings
    from botocore.exceptions import ClientError

    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", 3600)  # still validating
    acm = client("acm")
    pending = acm.request_certificate(DomainName="app.example.test", ValidationMethod="DNS")[
        "CertificateArn"
    ]
    elbv2, alb, group = _https_load_balancer(client)
    with pytest.raises(ClientError, match="UnsupportedCertificate"):
        _https_listener(elbv2, alb, group, pending)
    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", 0)  # validated
    assert acm.describe_certificate(CertificateArn=pending)["Certificate"]["Status"] == "ISSUED"
    listener = _https_listener(elbv2, alb, group, pending)
    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", 3600)
    replacement = acm.request_certificate(DomainName="app.example.test", ValidationMethod="DNS")[
        "CertificateArn"
    ]
    for change in (
        lambda: elbv2.modify_listener(
            ListenerArn=listener, Certificates=[{"CertificateArn": replacement}]
        ),
        lambda: elbv2.add_listener_certificates(
            ListenerArn=listener, Certificates=[{"CertificateArn": replacement}]
        ),
    ):
        with pytest.raises(ClientError, match="UnsupportedCertificate"):
            change()
    (served,) = elbv2.describe_listeners(ListenerArns=[listener])["Listeners"]
    assert served["Certificates"] == [{"CertificateArn": pending}]


def test_certificate_in_use_by_its_load_balancer_is_not_deleted(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto.settings

    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", 0)
    acm = client("acm")
    certificate = acm.request_certificate(DomainName="app.example.test", ValidationMethod="DNS")[
        "CertificateArn"
    ]
    elbv2, alb, group = _https_load_balancer(client)
    listeners = [_https_listener(elbv2, alb, group, certificate, port) for port in (443, 8443)]

    def in_use_by() -> list[str]:
        found: list[str] = acm.describe_certificate(CertificateArn=certificate)["Certificate"][
            "InUseBy"
        ]
        return found

    assert in_use_by() == [alb]
    with pytest.raises(acm.exceptions.ResourceInUseException):
        acm.delete_certificate(CertificateArn=certificate)
    for listener in listeners:
        elbv2.delete_listener(ListenerArn=listener)
    assert in_use_by() == []
    acm.delete_certificate(CertificateArn=certificate)
    assert acm.list_certificates()["CertificateSummaryList"] == []


def test_hosted_zone_ids_start_with_z(client: Client) -> None:
    import re

    route53 = client("route53")
    for n in range(20):  # moto's own ids lack the Z 35 times in 36
        zone = route53.create_hosted_zone(Name=f"z{n}.example.test", CallerReference=str(n))
        zone_id = zone["HostedZone"]["Id"].removeprefix("/hostedzone/")
        assert re.fullmatch(r"Z[A-Z0-9]{20}", zone_id), zone_id
        assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"] == f"z{n}.example.test."


def test_s3_bucket_notification_returns_its_eventbridge_configuration(client: Client) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="releases", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_notification_configuration(
        Bucket="releases", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    found = s3.get_bucket_notification_configuration(Bucket="releases")
    assert found["EventBridgeConfiguration"] == {}
    s3.put_bucket_notification_configuration(Bucket="releases", NotificationConfiguration={})
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(
        Bucket="releases"
    )


def _deny_unless_tls(secure_transport: str) -> dict[str, Any]:
    """The stack's buckets' statement (``DenyInsecureTransport``), for ``"false"``."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::releases", "arn:aws:s3:::releases/*"],
        "Condition": {"Bool": {"aws:SecureTransport": secure_transport}},
    }


def test_s3_bucket_policy_denies_insecure_transport_only(client: Client) -> None:
    from botocore.exceptions import ClientError

    s3 = client("s3")
    s3.create_bucket(Bucket="releases", CreateBucketConfiguration={"LocationConstraint": REGION})

    def policy(*statements: dict[str, Any]) -> None:
        document = {"Version": "2012-10-17", "Statement": list(statements)}
        s3.put_bucket_policy(Bucket="releases", Policy=json.dumps(document))

    policy(_deny_unless_tls("false"))  # the clients of the stack speak TLS: not denied
    s3.put_object(Bucket="releases", Key="k", Body=b"release")
    assert s3.get_object(Bucket="releases", Key="k")["Body"].read() == b"release"
    # The condition is evaluated, not dropped: denying TLS requests denies these.
    policy(_deny_unless_tls("true"))
    with pytest.raises(ClientError, match="403"):
        s3.put_object(Bucket="releases", Key="k", Body=b"release")
    unconditional = {k: v for k, v in _deny_unless_tls("false").items() if k != "Condition"}
    policy(unconditional)
    with pytest.raises(ClientError, match="403"):
        s3.put_object(Bucket="releases", Key="k", Body=b"release")


def _s3_object_created(bucket: str, key: str) -> str:
    """An S3 "Object Created" event as EventBridge delivers it (AWS's documented shape)."""
    return json.dumps(
        {
            "version": "0",
            "id": "17793124-05d4-b198-2fde-7ededc63b103",
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2026-01-01T00:00:00Z",
            "region": REGION,
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": bucket},
                "object": {"key": key, "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184"},
                "reason": "PutObject",
            },
        }
    )


def test_events_test_event_pattern_answers_whether_the_pattern_matches(client: Client) -> None:
    events = client("events")
    pattern = json.dumps(
        {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": ["b"]}, "object": {"key": ["dev/release.zip"]}},
        }
    )
    test = functools.partial(events.test_event_pattern, EventPattern=pattern)
    assert test(Event=_s3_object_created("b", "dev/release.zip"))["Result"] is True
    assert test(Event=_s3_object_created("b", "other/release.zip"))["Result"] is False
    assert test(Event=_s3_object_created("c", "dev/release.zip"))["Result"] is False
    with pytest.raises(events.exceptions.InvalidEventPatternException):
        events.test_event_pattern(
            EventPattern='{"source": "aws.s3"}', Event=_s3_object_created("b", "k")
        )


def test_load_balancer_with_deletion_protection_is_not_deleted(client: Client) -> None:
    from botocore.exceptions import ClientError

    elbv2, alb, _ = _https_load_balancer(client)
    protection = {"Key": "deletion_protection.enabled", "Value": "true"}
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=alb, Attributes=[protection])
    with pytest.raises(ClientError, match="OperationNotPermitted"):
        elbv2.delete_load_balancer(LoadBalancerArn=alb)
    assert [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]] == [
        alb
    ]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=alb, Attributes=[{**protection, "Value": "false"}]
    )
    elbv2.delete_load_balancer(LoadBalancerArn=alb)
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []


def test_every_patch_is_listed_once() -> None:
    public = [
        value
        for name, value in vars(moto_patches).items()
        if callable(value) and not name.startswith("_") and name != "apply"
        and getattr(value, "__module__", "") == moto_patches.__name__
    ]  # fmt: skip
    assert sorted(p.__name__ for p in moto_patches.PATCHES) == sorted(p.__name__ for p in public)
