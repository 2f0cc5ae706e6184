"""ReleaseApproval: a person approves each release before it deploys.

CodePipeline's manual approval action waits (up to seven days, AWS's fixed limit) for
someone with ``codepipeline:PutApprovalResult`` to approve or reject in the console or the
CLI, and announces each wait on an SNS topic. The topic is encrypted with the account's AWS
managed SNS key; the addresses given are subscribed (each confirms once by email).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.iam import statement
from constructs_lib.naming import aws_name
from constructs_lib.pipeline_kit import action, stage
from constructs_lib.validation import (
    ValidationError,
    check_resource_prefix,
    check_template_free,
    show,
)

SNS_TOPIC_NAME_MAX = 256
APPROVAL_STAGE = "Approval"
# SNS takes one @ and a dotted domain; anything else fails at apply time.
_EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
EMAIL_MAX = 254


def check_email(field: str, value: str) -> str:
    if len(value) > EMAIL_MAX or not _EMAIL_RE.fullmatch(value):
        raise ValidationError(field, f"{show(value)} is not an email address")
    # The address reaches the synthesized JSON verbatim (the subscription's endpoint).
    return check_template_free(field, value)


@dataclass(frozen=True, kw_only=True)
class ReleaseApprovalProps:
    name_prefix: str
    emails: Sequence[str] = ()
    """Addresses notified of each release waiting for approval."""

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=200)
        for i, email in enumerate(self.emails):
            check_email(f"emails[{i}]", email)
        if len(set(self.emails)) != len(self.emails):
            raise ValidationError("emails", "lists an address twice")


class ReleaseApproval(Construct):
    """The topic announcing releases that wait for approval, and the approval stage."""

    def __init__(self, scope: Construct, id_: str, props: ReleaseApprovalProps) -> None:
        super().__init__(scope, id_)
        self.topic = aws.SnsTopic(
            self,
            "topic",
            name=aws_name(props.name_prefix, "approvals", max_length=SNS_TOPIC_NAME_MAX),
            kms_master_key_id="alias/aws/sns",
        )
        self.topic_arn: str = self.topic.arn
        for i, email in enumerate(props.emails):
            aws.SnsTopicSubscription(
                self, f"email-{i}", topic_arn=self.topic_arn, protocol="email", endpoint=email
            )
        self._name_prefix = props.name_prefix

    def stage(self) -> aws.CodepipelineStage:
        """The pipeline stage that waits for a person."""
        return stage(
            APPROVAL_STAGE,
            action(
                APPROVAL_STAGE,
                category="Approval",
                provider="Manual",
                configuration={
                    "NotificationArn": self.topic_arn,
                    "CustomData": f"Approve to deploy this release to {self._name_prefix}; "
                    "reject to stop it (the running release stays).",
                },
            ),
        )

    def pipeline_statements(self) -> list[dict[str, object]]:
        """The pipeline role announces each wait on the topic."""
        return [statement("AnnounceApprovals", ["sns:Publish"], [self.topic_arn])]
