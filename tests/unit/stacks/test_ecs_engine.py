"""``deployment.engine = "ecs"``: the same constructs, released by ECS-native blue/green.

Every environment is synthesized with each engine; the stacks must be consistent: no
CodeDeploy resource left over with ``ecs``, no listener rule with ``codedeploy``, and each
construct ignoring exactly what its deployer changes at run time.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from constructs_lib import bindings
from constructs_lib.release_spec import (
    RELEASE_SPEC_VARIABLE,
    VERSION_PLACEHOLDER,
    named_spec,
)
from stacks.settings import Settings
from tests.synth import Synth

ENVIRONMENTS = ("dev", "prod")
CODEDEPLOY_TYPES = (
    "aws_codedeploy_app",
    "aws_codedeploy_deployment_group",
    "aws_codedeploy_deployment_config",
)


def _service(s: Synth) -> dict[str, Any]:
    return s.body("aws_ecs_service")


def _statements(s: Synth, fragment: str) -> dict[str, dict[str, Any]]:
    _, policy = s.named("aws_iam_role_policy", fragment)
    return {st["Sid"]: st for st in json.loads(policy["policy"])["Statement"]}


def _deploy_stage(s: Synth) -> dict[str, Any]:
    """The Deploy stage's deploy action (a promoted stack runs its release step first)."""
    stages = {stage["name"]: stage for stage in s.body("aws_codepipeline")["stage"]}
    (action,) = [a for a in stages["Deploy"]["action"] if a["category"] == "Deploy"]
    return action  # type: ignore[no-any-return]


def _release_policy(s: Synth) -> str:
    """The policy of the CodeBuild project that renders the release files: the build's,
    or a promoted stack's release step's."""
    return "release-policy" if s.resources("aws_s3_bucket_notification") else "build-policy"


def _build_environment(s: Synth) -> dict[str, str]:
    variables = s.body("aws_codebuild_project")["environment"]["environment_variable"]
    return {v["name"]: v["value"] for v in variables}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_ecs_engine_leaves_no_codedeploy_resource(ecs_synths: dict[str, Synth], env) -> None:
    s = ecs_synths[env]
    assert not [t for t in CODEDEPLOY_TYPES if s.resources(t)]
    assert not [n for n in s.resources("aws_iam_role") if "deploy-role" in n]
    (parameter,) = s.resources("aws_ssm_parameter")  # the taskdef template only
    assert "taskdef" in parameter
    tf = json.loads(s.text)
    for project in tf["resource"]["aws_codebuild_project"].values():
        # A promoted stack embeds the release build, which knows both engines.
        project["source"].pop("buildspec", None)
    text = json.dumps(tf).lower()
    assert "codedeploy:" not in text
    assert "appspec" not in text
    outputs = s.tf["output"]
    assert "codedeploy_application" not in outputs
    assert outputs["deployment_engine"]["value"] == "ecs"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_codedeploy_engine_has_no_listener_rules(synths: dict[str, Synth], env) -> None:
    s = synths[env]
    assert not s.resources("aws_lb_listener_rule")
    for name, listener in s.resources("aws_lb_listener").items():
        if "redirect" in name:
            continue
        assert listener["default_action"][0]["type"] == "forward"
        assert listener["lifecycle"]["ignore_changes"] == ["default_action"]
    assert _service(s)["deployment_controller"] == {"type": "CODE_DEPLOY"}
    assert "deployment_configuration" not in _service(s)
    assert _deploy_stage(s)["provider"] == "CodeDeployToECS"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_ecs_engine_shifts_weighted_rules_and_terraform_ignores_them(
    ecs_synths: dict[str, Synth], env
) -> None:
    s = ecs_synths[env]
    blue = s.ref("aws_lb_target_group", s.named("aws_lb_target_group", "blue")[0], "arn")
    green = s.ref("aws_lb_target_group", s.named("aws_lb_target_group", "green")[0], "arn")
    rules = s.resources("aws_lb_listener_rule")
    assert sorted(rules) == sorted(
        [
            s.named("aws_lb_listener_rule", "production")[0],
            s.named("aws_lb_listener_rule", "test")[0],
        ]
    )
    for name, rule in rules.items():
        role = "production" if "production" in name else "test"
        listener = s.named("aws_lb_listener", f"{role}-listener")[0]
        assert rule["listener_arn"] == s.ref("aws_lb_listener", listener, "arn")
        assert rule["condition"] == [{"path_pattern": {"values": ["/*"]}}]
        (action,) = rule["action"]
        # One forward action only: ECS-native refuses rules mixing forward with others.
        assert action["type"] == "forward"
        assert action["forward"]["target_group"] == [
            {"arn": blue, "weight": 100},
            {"arn": green, "weight": 0},
        ]
        assert rule["lifecycle"]["ignore_changes"] == ["action"]
    for name, listener in s.resources("aws_lb_listener").items():
        if "redirect" in name:
            continue
        # The listener's own answer stays Terraform's: a 404 for what no rule matches.
        assert listener["default_action"][0]["type"] == "fixed-response"
        assert listener["default_action"][0]["fixed_response"]["status_code"] == "404"
        assert "lifecycle" not in listener


def test_ecs_service_runs_the_configured_strategy(
    ecs_synths: dict[str, Synth], ecs_settings: dict[str, Settings]
) -> None:
    dev, prod = (_service(ecs_synths[e])["deployment_configuration"] for e in ENVIRONMENTS)
    assert dev["strategy"] == "BLUE_GREEN"
    assert "canary_configuration" not in dev
    assert "linear_configuration" not in dev
    assert dev["bake_time_in_minutes"] == str(
        ecs_settings["dev"].deployment.termination_wait_minutes
    )
    # prod's CodeDeployDefault.ECSCanary10Percent5Minutes means the same under ECS.
    assert prod["strategy"] == "CANARY"
    assert prod["canary_configuration"] == {
        "canary_percent": 10,
        "canary_bake_time_in_minutes": "5",
    }
    assert prod["bake_time_in_minutes"] == "10"


def test_linear_shift_becomes_the_linear_strategy(
    cdktf_app, synth, ecs_settings: dict[str, Settings]
) -> None:
    from dataclasses import replace

    from constructs_lib.release_spec import TrafficShift
    from stacks.blue_green_stack import BlueGreenStack

    base = ecs_settings["dev"]
    settings = replace(
        base,
        environment="linear-ecs",
        deployment=replace(
            base.deployment,
            config=TrafficShift(kind="linear", percentage=25, interval_minutes=2),
        ),
    )
    s = synth(BlueGreenStack(cdktf_app, settings))
    configuration = _service(s)["deployment_configuration"]
    assert configuration["strategy"] == "LINEAR"
    assert configuration["linear_configuration"] == {
        "step_percent": 25,
        "step_bake_time_in_minutes": "2",
    }
    # 3 waits of 2 minutes + bake 1 + 15 minutes to start and verify.
    assert _deploy_stage(s)["configuration"]["DeploymentTimeout"] == "22"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_ecs_service_hooks_alarms_and_alternate_target_group(
    ecs_synths: dict[str, Synth], env
) -> None:
    s = ecs_synths[env]
    service = _service(s)
    role = s.ref("aws_iam_role", s.named("aws_iam_role", "infrastructure-role")[0], "arn")
    hook = s.ref("aws_lambda_function", s.one("aws_lambda_function")[0], "arn")
    assert service["deployment_controller"] == {"type": "ECS"}
    assert service["deployment_configuration"]["lifecycle_hook"] == [
        {
            "hook_target_arn": hook,
            "role_arn": role,
            "lifecycle_stages": ["POST_TEST_TRAFFIC_SHIFT"],
        }
    ]
    (balancer,) = service["load_balancer"]
    green = s.named("aws_lb_target_group", "green")[0]
    assert balancer["target_group_arn"] == s.ref(
        "aws_lb_target_group", s.named("aws_lb_target_group", "blue")[0], "arn"
    )
    assert balancer["advanced_configuration"] == {
        "alternate_target_group_arn": s.ref("aws_lb_target_group", green, "arn"),
        "production_listener_rule": s.ref(
            "aws_lb_listener_rule", s.named("aws_lb_listener_rule", "production")[0], "arn"
        ),
        "test_listener_rule": s.ref(
            "aws_lb_listener_rule", s.named("aws_lb_listener_rule", "test")[0], "arn"
        ),
        "role_arn": role,
    }
    alarms = sorted(
        s.ref("aws_cloudwatch_metric_alarm", name, "alarm_name")
        for name in s.resources("aws_cloudwatch_metric_alarm")
    )
    assert sorted(service["alarms"]["alarm_names"]) == alarms
    assert service["alarms"]["rollback"] is True
    assert service["alarms"]["enable"] is True
    # The role's policy exists before the service can start a deployment with it.
    policy = s.named("aws_iam_role_policy", "infrastructure-policy")[0]
    assert f"aws_iam_role_policy.{policy}" in service["depends_on"]


READY_WAIT_MINUTES = 20
needs_pause_hooks = pytest.mark.skipif(
    not bindings.FRAMEWORK.ecs_pause_hooks,
    reason="a ready wait is a pause hook: bindings of hashicorp/aws >= 6.66.0 (cdktn)",
)


@pytest.fixture(scope="session")
def ready_wait_synth(synth_variant, ecs_settings: dict[str, Settings]) -> Synth:
    """dev on engine ``ecs`` with a ready wait, synthesized once (only on a framework line
    whose bindings have pause hooks: the others refuse it)."""
    dev = ecs_settings["dev"]
    settings = replace(
        dev,
        environment="dev-ecs-wait",
        deployment=replace(dev.deployment, ready_wait_minutes=READY_WAIT_MINUTES),
    )
    return synth_variant(settings)  # type: ignore[no-any-return]


@needs_pause_hooks
def test_ready_wait_pauses_the_ecs_release_beside_the_verification_hook(
    ready_wait_synth: Synth, ecs_synths: dict[str, Synth]
) -> None:
    s, without = ready_wait_synth, ecs_synths["dev"]
    configuration = _service(s)["deployment_configuration"]
    verification, pause = configuration["lifecycle_hook"]
    # The verification hook is unchanged; the pause joins its stage: ECS moves production
    # traffic only once both completed, and rolls back after the wait without a go-ahead.
    assert verification == _service(without)["deployment_configuration"]["lifecycle_hook"][0]
    assert pause == {
        "target_type": "PAUSE",
        "lifecycle_stages": ["POST_TEST_TRAFFIC_SHIFT"],
        "timeout_configuration": {"action": "ROLLBACK", "timeout_in_minutes": "20"},
    }
    others = {k: v for k, v in configuration.items() if k != "lifecycle_hook"}
    assert others == {
        k: v
        for k, v in _service(without)["deployment_configuration"].items()
        if k != "lifecycle_hook"
    }
    # A pause invokes nothing: the infrastructure role may still invoke only the hook.
    assert _statements(s, "infrastructure-policy")["InvokeOwnHooks"]["Resource"] == [
        s.ref("aws_lambda_function", s.one("aws_lambda_function")[0], "arn")
    ]


@needs_pause_hooks
def test_ready_wait_lengthens_the_ecs_action_and_the_build_that_may_release(
    ready_wait_synth: Synth, ecs_synths: dict[str, Synth]
) -> None:
    s, without = ready_wait_synth, ecs_synths["dev"]
    timeout = int(_deploy_stage(s)["configuration"]["DeploymentTimeout"])
    assert timeout == int(_deploy_stage(without)["configuration"]["DeploymentTimeout"]) + 20
    # dev: all at once, bake 1, 15 to start and verify, and the wait.
    assert timeout == 0 + 1 + 15 + READY_WAIT_MINUTES
    # The build may move the service onto the stack's spec first: that deployment pauses too.
    build, build_without = (x.body("aws_codebuild_project")["build_timeout"] for x in (s, without))
    assert build == build_without + READY_WAIT_MINUTES


@needs_pause_hooks
def test_timeline_shows_the_ecs_ready_wait_like_codedeploys(
    ready_wait_synth: Synth, ecs_synths: dict[str, Synth]
) -> None:
    from tools import timeline as tl

    t, without = (tl.timeline_of(x.tf) for x in (ready_wait_synth, ecs_synths["dev"]))
    assert t.ready_wait.name == "ready wait (manual, at most)"
    assert t.ready_wait.seconds == READY_WAIT_MINUTES * 60
    assert not t.ready_wait.counted
    assert "aws ecs continue-service-deployment" in t.ready_wait.note
    # The pause is not taken for the verification hook, and counts in no total.
    assert t.hook == without.hook
    assert t.release_seconds == without.release_seconds


def test_service_ignores_what_each_engine_changes(
    synths: dict[str, Synth], ecs_synths: dict[str, Synth]
) -> None:
    ignored = {
        (env, engine): _service(s)["lifecycle"]["ignore_changes"]
        for engine, by_env in (("codedeploy", synths), ("ecs", ecs_synths))
        for env, s in by_env.items()
        if env in ENVIRONMENTS
    }
    assert ignored == {
        ("dev", "codedeploy"): ["task_definition", "load_balancer", "network_configuration"],
        ("prod", "codedeploy"): [
            "task_definition",
            "load_balancer",
            "network_configuration",
            "desired_count",
        ],
        # ECS takes network changes in UpdateService: Terraform keeps owning them.
        ("dev", "ecs"): ["task_definition", "load_balancer"],
        ("prod", "ecs"): ["task_definition", "load_balancer", "desired_count"],
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_infrastructure_role_is_scoped_to_this_service(ecs_synths: dict[str, Synth], env) -> None:
    s = ecs_synths[env]
    _, role = s.named("aws_iam_role", "infrastructure-role")
    trust = json.loads(role["assume_role_policy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    statements = _statements(s, "infrastructure-policy")
    rules = sorted(
        s.ref("aws_lb_listener_rule", n, "arn") for n in s.resources("aws_lb_listener_rule")
    )
    groups = sorted(
        s.ref("aws_lb_target_group", n, "arn") for n in s.resources("aws_lb_target_group")
    )
    assert statements["ShiftOwnListenerRules"]["Action"] == ["elasticloadbalancing:ModifyRule"]
    assert sorted(statements["ShiftOwnListenerRules"]["Resource"]) == rules
    assert sorted(statements["RegisterTasksInOwnTargetGroups"]["Resource"]) == groups
    assert statements["InvokeOwnHooks"]["Resource"] == [
        s.ref("aws_lambda_function", s.one("aws_lambda_function")[0], "arn")
    ]
    for sid, st in statements.items():
        assert all("*" not in action for action in st["Action"]), sid
        if st["Resource"] == ["*"]:
            assert sid == "ReadLoadBalancing"  # Describe* has no resource-level permissions


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_pipeline_deploys_with_the_ecs_action(ecs_synths: dict[str, Synth], env) -> None:
    s = ecs_synths[env]
    action = _deploy_stage(s)
    cluster = s.ref("aws_ecs_cluster", s.one("aws_ecs_cluster")[0], "name")
    service = s.ref("aws_ecs_service", s.one("aws_ecs_service")[0], "name")
    assert action["provider"] == "ECS"
    assert action["category"] == "Deploy"
    assert action["configuration"]["ClusterName"] == cluster
    assert action["configuration"]["ServiceName"] == service
    assert action["configuration"]["FileName"] == "imagedefinitions.json"
    assert 15 < int(action["configuration"]["DeploymentTimeout"]) <= 60
    statements = _statements(s, "pipeline-policy")
    assert statements["DeployOwnService"]["Resource"] == [
        s.ref("aws_ecs_service", s.one("aws_ecs_service")[0], "id")
    ]
    assert statements["TagOwnTaskDefinitionOnRegister"]["Condition"] == {
        "StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}
    }
    actions = {a for st in statements.values() for a in st["Action"]}
    assert not [a for a in actions if a.startswith("codedeploy:")]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_build_gets_the_ecs_release_spec(ecs_synths: dict[str, Synth], env) -> None:
    s = ecs_synths[env]
    environment = _build_environment(s)
    assert environment["RELEASE_ENGINE"] == "ecs"
    assert "APPSPEC_PARAMETER" not in environment
    assert environment["ECS_CLUSTER"] == s.ref(
        "aws_ecs_cluster", s.one("aws_ecs_cluster")[0], "name"
    )
    assert environment["ECS_SERVICE"] == s.ref(
        "aws_ecs_service", s.one("aws_ecs_service")[0], "name"
    )
    template = json.loads(s.body("aws_ssm_parameter")["insecure_value"])
    assert named_spec(template, environment["PRIMARY_CONTAINER"]) == environment["RELEASE_SPEC"]
    for container in template["containerDefinitions"]:
        # The deploy action copies the running revision: the image carries the version.
        assert container["image"].endswith(f":{VERSION_PLACEHOLDER}")
        names = [e["name"] for e in container.get("environment", ())]
        assert "VERSION" not in names
    # The build refreshes the service onto this spec: it may register and update it.
    statements = _statements(s, _release_policy(s))
    assert statements["RefreshOwnService"]["Action"] == [
        "ecs:DescribeServices",
        "ecs:UpdateService",
    ]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_spec_id_is_terraforms_digest_of_the_template(ecs_synths: dict[str, Synth], env) -> None:
    s = ecs_synths[env]
    template = json.loads(s.body("aws_ssm_parameter")["insecure_value"])
    spec = named_spec(template, "app")
    (digest,) = (k for k in s.tf["locals"] if "release-spec" in k)
    (rendered,) = (k for k in s.tf["locals"] if "release-template" in k)
    assert spec == f"${{local.{digest}}}" == _build_environment(s)["RELEASE_SPEC"]
    # Terraform hashes the template with its references resolved: a replaced role or a
    # renamed log group is a new spec too; and the id never depends on token numbering.
    assert s.tf["locals"][digest] == f"${{substr(sha256(jsonencode(local.{rendered})), 0, 16)}}"
    for container in template["containerDefinitions"]:
        container["environment"] = [
            e for e in container.get("environment", ()) if e["name"] != RELEASE_SPEC_VARIABLE
        ]
    assert template == s.tf["locals"][rendered]


def test_codedeploy_templates_name_no_spec(synths: dict[str, Synth]) -> None:
    for s in synths.values():
        (_, taskdef) = s.named("aws_ssm_parameter", "taskdef")
        assert RELEASE_SPEC_VARIABLE not in taskdef["insecure_value"]
        assert "RELEASE_SPEC" not in _build_environment(s)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_hook_answers_ecs_and_reads_only_its_service_revisions(
    ecs_synths: dict[str, Synth], ecs_settings: dict[str, Settings], env
) -> None:
    s = ecs_synths[env]
    function = s.body("aws_lambda_function")
    assert function["handler"] == "index.ecs_handler"
    assert "POST_TEST_TRAFFIC_SHIFT" in function["description"]
    statements = _statements(s, "verification-hook")
    name = ecs_settings[env].stack_name
    service, revisions = statements["ReadOwnServiceRevisions"]["Resource"]
    assert service.endswith(f":service/{name}/{name}")
    assert revisions.endswith(f":service-revision/{name}/{name}/*")
    actions = {a for st in statements.values() for a in st["Action"]}
    assert not [a for a in actions if a.startswith("codedeploy:")]


def test_endpoints_follow_the_engine(prod: Synth, ecs_synths: dict[str, Synth]) -> None:
    def services(s: Synth) -> set[str]:
        return {
            e["service_name"].rsplit(".", 1)[-1] for e in s.resources("aws_vpc_endpoint").values()
        }

    assert "codedeploy" in services(prod)
    assert "codedeploy" not in services(ecs_synths["prod"])
    assert {"ec2", "ecs"} <= services(ecs_synths["prod"])


# --- the constructs refuse an inconsistent engine choice ---------------------------------


def _traffic(**overrides: Any) -> Any:
    from constructs_lib.release_spec import TrafficRoutes

    fields: dict[str, Any] = {
        "production_listener_arn": "arn:listener/p",
        "test_listener_arn": "arn:listener/t",
        "blue_target_group_name": "blue",
        "green_target_group_name": "green",
        "blue_target_group_arn": "arn:tg/blue",
        "green_target_group_arn": "arn:tg/green",
        "production_listener_rule_arn": "arn:rule/p",
        "test_listener_rule_arn": "arn:rule/t",
    }
    return TrafficRoutes(**{**fields, **overrides})


def _fargate(**overrides: Any) -> None:
    from tests.unit.constructs_lib.test_fargate_service import _props

    _props(**overrides)


def _pipeline(**overrides: Any) -> None:
    from tests.unit.constructs_lib.test_codedeploy_pipeline import _props

    _props(**overrides)


def _hook(**overrides: Any) -> None:
    from tests.unit.constructs_lib.test_verification_hook import _props

    _props(**overrides)


def _native(**overrides: Any) -> Any:
    from constructs_lib.fargate_service import NativeRelease

    return NativeRelease(**{"traffic": _traffic(), **overrides})


@pytest.mark.parametrize(
    ("build", "field", "reason"),
    [
        (lambda: _fargate(engine="ecs"), "native_release", "required with engine 'ecs'"),
        (lambda: _fargate(native_release=_native()), "native_release", "refused with"),
        (lambda: _fargate(engine="lambda"), "engine", "codedeploy, ecs"),
        (
            lambda: _fargate(
                engine="ecs", native_release=_native(traffic=_traffic(test_listener_rule_arn=None))
            ),
            "traffic.test_listener_rule_arn",
            "AlbBlueGreen with engine 'ecs'",
        ),
        (
            lambda: _fargate(engine="ecs", native_release=_native(bake_time_minutes=1441)),
            "bake_time_minutes",
            "between 0 and 1440",
        ),
        (
            lambda: _pipeline(
                engine="ecs", hooks={"AfterAllowTestTraffic": "arn:aws:lambda:::function:f"}
            ),
            "hooks",
            "belong to the service",
        ),
        (
            lambda: _pipeline(engine="ecs", hooks={}, alarm_names=("a",)),
            "alarm_names",
            "belong to the service",
        ),
        (
            lambda: _hook(engine="ecs", deployment_group_arn=None),
            "service_arn",
            "an ECS service ARN",
        ),
    ],
)
def test_constructs_refuse_an_inconsistent_engine(build, field: str, reason: str) -> None:
    from constructs_lib.validation import ValidationError

    with pytest.raises(ValidationError) as caught:
        build()
    assert caught.value.field == field
    assert reason in str(caught.value)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_cdktf_matchers_agree_for_each_engine(
    synths: dict[str, Synth], ecs_synths: dict[str, Synth], env
) -> None:
    from constructs_lib.bindings import (
        CodedeployDeploymentGroup,
        EcsService,
        LbListenerRule,
        Testing,
    )

    testing = Testing
    ecs, codedeploy = ecs_synths[env].text, synths[env].text
    assert testing.to_have_resource_with_properties(
        ecs, EcsService.TF_RESOURCE_TYPE, {"deployment_controller": {"type": "ECS"}}
    )
    assert testing.to_have_resource_with_properties(
        ecs, LbListenerRule.TF_RESOURCE_TYPE, {"lifecycle": {"ignore_changes": ["action"]}}
    )
    assert not testing.to_have_resource(ecs, CodedeployDeploymentGroup.TF_RESOURCE_TYPE)
    assert testing.to_have_resource(codedeploy, CodedeployDeploymentGroup.TF_RESOURCE_TYPE)
    assert not testing.to_have_resource(codedeploy, LbListenerRule.TF_RESOURCE_TYPE)
