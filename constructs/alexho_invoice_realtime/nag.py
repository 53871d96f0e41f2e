"""cdk-nag acknowledgements, recorded on the narrowest construct with a specific reason."""

from __future__ import annotations

from typing import Final

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

#: Validation plugin (cdk-nag rule pack) the acknowledged rules belong to.
AWS_SOLUTIONS: Final = "AwsSolutions"


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge the AwsSolutions ``rule`` (``AwsSolutions-SQS3``, or one finding such as
    ``AwsSolutions-IAM5[Resource::…]``) on ``construct``'s CloudFormation resource, so that
    the acknowledgement covers nothing else.

    The id carries the plugin prefix (``AwsSolutions::``) that CDK's validation report asks
    for; without it CDK would file the rule under legacy annotations.
    """
    target = construct.node.default_child or construct
    Validations.of(target).acknowledge(Acknowledgment(id=f"{AWS_SOLUTIONS}::{rule}", reason=reason))
