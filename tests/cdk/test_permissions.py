"""Every edge where one service acts on another (docs/architecture.md, "Service-to-service
permissions"): one test per edge that the template holds every statement the edge needs —
the identity policy, the resource policy and the key policy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from alexho_invoice_realtime import AlexHoInvoiceRealtime
from alexho_invoice_realtime.encryption import LOGS_ACTIONS, SENDER_ACTIONS
from stacks import InvoiceRealtimeStack

from .conftest import cdk_json_context, realtime
from .policies import role_statements

StackAndTemplate = tuple[InvoiceRealtimeStack, Template]
Statement = dict[str, Any]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows(
    statements: list[Statement],
    actions: set[str],
    resource: Any,
    *,
    principal: Any = None,
    condition: Mapping[str, Any] | None = None,
) -> bool:
    """Whether one Allow statement grants all ``actions`` on ``resource`` (to ``principal``,
    under ``condition``, when given)."""
    return any(
        statement["Effect"] == "Allow"
        and actions <= set(_as_list(statement["Action"]))
        and resource in _as_list(statement["Resource"])
        and (principal is None or statement.get("Principal") == principal)
        and (condition is None or statement.get("Condition") == condition)
        for statement in statements
    )


def _key_policy(stack: InvoiceRealtimeStack, template: Template) -> list[Statement]:
    key_id = stack.resolve(stack.realtime.encryption_key.key_arn)["Fn::GetAtt"][0]
    statements: list[Statement] = template.to_json()["Resources"][key_id]["Properties"][
        "KeyPolicy"
    ]["Statement"]
    return statements


def _resource_properties(template: Template, ref: Any) -> dict[str, Any]:
    """Properties of the resource ``ref`` (``{"Ref": id}`` or ``{"Fn::GetAtt": [id, …]}``) names."""
    logical_id = ref["Ref"] if "Ref" in ref else ref["Fn::GetAtt"][0]
    properties: dict[str, Any] = template.to_json()["Resources"][logical_id]["Properties"]
    return properties


def _via(service: str) -> dict[str, Any]:
    suffix = ".amazonaws.com"
    return {
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", [f"{service}.", {"Ref": "AWS::Region"}, suffix]]}
        }
    }


def _this_account() -> dict[str, Any]:
    return {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def _service(name: Any) -> dict[str, Any]:
    return {"Service": name}


ACCOUNT_ROOT = {
    "AWS": {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"],
        ]
    }
}


def _iam_decides(key_policy: list[Statement]) -> bool:
    """The key policy's default statement: the account's IAM policies decide who uses the key
    (so an identity policy on the key is enough for a role of this account)."""
    return _allows(key_policy, {"kms:*"}, "*", principal=ACCOUNT_ROOT)


# --- Services acting with their own identity -------------------------------------------------


def test_cloudwatch_may_notify_the_encrypted_alarm_topic(dev: StackAndTemplate) -> None:
    # GIVEN the alarms (cloudwatch.amazonaws.com) and the alarm topic encrypted with the key
    stack, template = dev
    topic_arn = stack.resolve(stack.realtime.alarm_topic.topic_arn)
    (topic_policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in template.find_resources("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [topic_arn]
    ]
    # THEN the topic policy lets CloudWatch publish and the key policy lets it encrypt
    assert _allows(
        topic_policy, {"sns:Publish"}, topic_arn, principal=_service("cloudwatch.amazonaws.com")
    )
    assert _allows(
        _key_policy(stack, template),
        set(SENDER_ACTIONS),
        "*",
        principal=_service("cloudwatch.amazonaws.com"),
        condition=_this_account(),
    )


def test_sns_may_set_failed_deliveries_aside_in_the_subscription_dlq(dev: StackAndTemplate) -> None:
    # GIVEN the fan-out's subscription, whose dead-letter queue SNS writes to as itself
    stack, template = dev
    realtime_ = stack.realtime
    queue_arn = stack.resolve(realtime_.subscription_dlq.queue_arn)
    topic_arn = stack.resolve(realtime_.topic.topic_arn)
    (queue_policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in template.find_resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [stack.resolve(realtime_.subscription_dlq.queue_url)]
    ]
    # THEN the queue policy lets SNS send for this topic only, and the key lets SNS encrypt
    assert _allows(
        queue_policy,
        {"sqs:SendMessage"},
        queue_arn,
        principal=_service("sns.amazonaws.com"),
        condition={"ArnEquals": {"aws:SourceArn": topic_arn}},
    )
    assert _allows(
        _key_policy(stack, template),
        set(SENDER_ACTIONS),
        "*",
        principal=_service("sns.amazonaws.com"),
        condition=_this_account(),
    )
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"TopicArn": topic_arn, "RedrivePolicy": {"deadLetterTargetArn": queue_arn}},
    )


def test_sns_may_invoke_the_fan_out(dev: StackAndTemplate) -> None:
    # GIVEN the encrypted invoice topic and the fan-out subscribed to it
    stack, template = dev
    realtime_ = stack.realtime
    function_arn = stack.resolve(realtime_.send_invoice_update_function.function_arn)
    topic_arn = stack.resolve(realtime_.topic.topic_arn)
    # THEN the function's resource policy lets SNS invoke it for this topic only, and the key
    # lets SNS decrypt the topic's messages to deliver them
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": function_arn,
            "Principal": "sns.amazonaws.com",
            "SourceArn": topic_arn,
        },
    )
    assert _allows(
        _key_policy(stack, template),
        {"kms:Decrypt"},
        "*",
        principal=_service("sns.amazonaws.com"),
        condition=_this_account(),
    )


def test_cloudwatch_logs_may_use_the_key_for_the_stacks_six_log_groups(
    dev: StackAndTemplate,
) -> None:
    # GIVEN the five function log groups and the access log group, encrypted with the key
    stack, template = dev
    realtime_ = stack.realtime
    log_groups = [*realtime_.function_log_groups.values(), realtime_.access_log_group]
    key_arn = stack.resolve(realtime_.encryption_key.key_arn)
    for group in log_groups:
        assert (
            _resource_properties(template, stack.resolve(group.log_group_arn))["KmsKeyId"]
            == key_arn
        )
    # THEN the key policy lets logs.<region> use it, for exactly these log groups
    (statement,) = [
        s
        for s in _key_policy(stack, template)
        if s.get("Principal")
        == _service({"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]})
    ]
    assert set(_as_list(statement["Action"])) == set(LOGS_ACTIONS)
    arns = statement["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert len(arns) == len(log_groups) == 6


def test_api_gateway_may_write_the_access_logs(dev: StackAndTemplate) -> None:
    # GIVEN the stage's access logging, which API Gateway writes with the account's role
    stack, template = dev
    account = stack.realtime.api_gateway_account
    assert account is not None
    role_arn = account.cloud_watch_role_arn
    role = _resource_properties(template, stack.resolve(role_arn))
    # THEN the role trusts API Gateway and carries the policy API Gateway documents for it
    assert [
        (s["Effect"], s["Action"], s["Principal"])
        for s in role["AssumeRolePolicyDocument"]["Statement"]
    ] == [("Allow", "sts:AssumeRole", _service("apigateway.amazonaws.com"))]
    assert "AmazonAPIGatewayPushToCloudWatchLogs" in str(role["ManagedPolicyArns"])


@pytest.mark.parametrize(
    ("function_key", "source_suffix"),
    [
        ("authorizer", "/authorizers/"),
        ("connect", "/*$connect"),
        ("disconnect", "/*$disconnect"),
        ("default", "/*$default"),
    ],
)
def test_api_gateway_may_invoke_the_authorizer_and_the_route_functions(
    dev: StackAndTemplate, function_key: str, source_suffix: str
) -> None:
    # GIVEN a function behind the API (the authorizer, or a route's integration)
    stack, template = dev
    function_arn = stack.resolve(stack.realtime.functions[function_key].function_arn)
    api_ref = stack.resolve(stack.realtime.api.api_id)
    # WHEN its resource policy is read
    (permission,) = [
        p["Properties"]
        for p in template.find_resources("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == function_arn
    ]
    # THEN API Gateway may invoke it, from this API's route or authorizer only
    assert (permission["Action"], permission["Principal"]) == (
        "lambda:InvokeFunction",
        "apigateway.amazonaws.com",
    )
    parts = permission["SourceArn"]["Fn::Join"][1]
    assert api_ref in parts
    assert source_suffix in parts


# --- Lambda acting as a function's execution role -------------------------------------------


def test_lambda_may_send_the_fan_outs_failures_to_the_on_failure_queue(
    dev: StackAndTemplate,
) -> None:
    # GIVEN the fan-out's asynchronous invocations, whose failures Lambda sends as its role
    stack, template = dev
    realtime_ = stack.realtime
    queue_arn = stack.resolve(realtime_.on_failure_dlq.queue_arn)
    key_arn = stack.resolve(realtime_.encryption_key.key_arn)
    statements = role_statements(
        template.to_json(),
        stack.resolve(realtime_.send_invoice_update_function.role.role_name),  # type: ignore[union-attr]
    )
    # THEN the destination is the queue, the role may send to it and use the key through SQS,
    # and the key's policy leaves that to IAM
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {"DestinationConfig": {"OnFailure": {"Destination": queue_arn}}},
    )
    assert _allows(statements, {"sqs:SendMessage"}, queue_arn)
    assert _allows(
        statements, {"kms:Decrypt", "kms:GenerateDataKey"}, key_arn, condition=_via("sqs")
    )
    assert _iam_decides(_key_policy(stack, template))


def test_lambda_may_decrypt_each_functions_environment_with_the_key(dev: StackAndTemplate) -> None:
    # GIVEN the functions' environment variables, encrypted with the key: Lambda creates a grant
    # for each execution role when the deploying role creates or updates the function
    stack, template = dev
    key_arn = stack.resolve(stack.realtime.encryption_key.key_arn)
    # THEN every function names the key, and the key's policy lets IAM (the deploying role)
    # create that grant
    template.resource_properties_count_is("AWS::Lambda::Function", {"KmsKeyArn": key_arn}, 5)
    assert _iam_decides(_key_policy(stack, template))


@dataclass(frozen=True)
class Edge:
    """A function acting on one store as its execution role."""

    function_key: str
    actions: frozenset[str]
    resource: Callable[[AlexHoInvoiceRealtime], Any]
    via: str | None  # the service whose kms:ViaService the key grant carries, if any


def connections_arn(method: str) -> Callable[[AlexHoInvoiceRealtime], Any]:
    return lambda r: r.connections_arn(method)


def _secret_arn(construct: AlexHoInvoiceRealtime) -> str:
    assert construct.secret is not None
    return construct.secret.secret_arn


def _log_group_arn(key: str) -> Callable[[AlexHoInvoiceRealtime], Any]:
    return lambda r: r.function_log_groups[key].log_group_arn


EDGES = {
    "authorizer->secret": Edge(
        "authorizer",
        frozenset({"secretsmanager:GetSecretValue"}),
        _secret_arn,
        "secretsmanager",
    ),
    "authorizer->revocations": Edge(
        "authorizer",
        frozenset({"dynamodb:BatchGetItem"}),
        lambda r: r.revocations_table.table_arn,
        "dynamodb",
    ),
    "connect->connections": Edge(
        "connect",
        frozenset({"dynamodb:PutItem", "dynamodb:DeleteItem"}),
        lambda r: r.connections_table.table_arn,
        "dynamodb",
    ),
    "connect->revocations": Edge(
        "connect",
        frozenset({"dynamodb:BatchGetItem"}),
        lambda r: r.revocations_table.table_arn,
        "dynamodb",
    ),
    "disconnect->connections": Edge(
        "disconnect",
        frozenset({"dynamodb:DeleteItem"}),
        lambda r: r.connections_table.table_arn,
        "dynamodb",
    ),
    "default->connections": Edge(
        "default",
        frozenset({"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}),
        lambda r: r.connections_table.table_arn,
        "dynamodb",
    ),
    "default->event-log": Edge(
        "default", frozenset({"dynamodb:Query"}), lambda r: r.event_log_table.table_arn, "dynamodb"
    ),
    "default->revocations": Edge(
        "default",
        frozenset({"dynamodb:BatchGetItem"}),
        lambda r: r.revocations_table.table_arn,
        "dynamodb",
    ),
    "default->secret": Edge(
        "default",
        frozenset({"secretsmanager:GetSecretValue"}),
        _secret_arn,
        "secretsmanager",
    ),
    "default->post-to-connections": Edge(
        "default", frozenset({"execute-api:ManageConnections"}), connections_arn("POST"), None
    ),
    "default->close-connections": Edge(
        "default", frozenset({"execute-api:ManageConnections"}), connections_arn("DELETE"), None
    ),
    "fan-out->audience-index": Edge(
        "send_invoice_update",
        frozenset({"dynamodb:Query"}),
        lambda r: {
            "Fn::Join": [
                "",
                [Stack.of(r).resolve(r.connections_table.table_arn), "/index/byAudience"],
            ]
        },
        "dynamodb",
    ),
    "fan-out->connections": Edge(
        "send_invoice_update",
        frozenset({"dynamodb:DeleteItem", "dynamodb:GetItem"}),
        lambda r: r.connections_table.table_arn,
        "dynamodb",
    ),
    "fan-out->event-log": Edge(
        "send_invoice_update",
        frozenset(
            {
                "dynamodb:PutItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:GetItem",
                "dynamodb:UpdateItem",
            }
        ),
        lambda r: r.event_log_table.table_arn,
        "dynamodb",
    ),
    "fan-out->revocations": Edge(
        "send_invoice_update",
        frozenset({"dynamodb:BatchGetItem"}),
        lambda r: r.revocations_table.table_arn,
        "dynamodb",
    ),
    "fan-out->post-to-connections": Edge(
        "send_invoice_update",
        frozenset({"execute-api:ManageConnections"}),
        connections_arn("POST"),
        None,
    ),
    "fan-out->close-connections": Edge(
        "send_invoice_update",
        frozenset({"execute-api:ManageConnections"}),
        connections_arn("DELETE"),
        None,
    ),
    **{
        f"{key}->own-log-group": Edge(
            key,
            frozenset({"logs:CreateLogStream", "logs:PutLogEvents"}),
            _log_group_arn(key),
            None,
        )
        for key in ("authorizer", "connect", "disconnect", "default", "send_invoice_update")
    },
}


@pytest.mark.parametrize("edge", EDGES.values(), ids=EDGES.keys())
def test_each_function_may_use_each_store_it_needs(dev: StackAndTemplate, edge: Edge) -> None:
    # GIVEN a function and a store it uses, as its execution role
    stack, template = dev
    realtime_ = stack.realtime
    role = realtime_.functions[edge.function_key].role
    assert role is not None
    statements = role_statements(template.to_json(), stack.resolve(role.role_name))
    # THEN its identity policy allows the actions on the store and, where the store is
    # encrypted, the key through the store's service only; the key's policy leaves it to IAM
    assert _allows(statements, set(edge.actions), stack.resolve(edge.resource(realtime_)))
    if edge.via is not None:
        key_arn = stack.resolve(realtime_.encryption_key.key_arn)
        assert _allows(statements, {"kms:Decrypt"}, key_arn, condition=_via(edge.via))
        assert _iam_decides(_key_policy(stack, template))


# --- A backend acting as its own role -------------------------------------------------------


@pytest.fixture(scope="module")
def backend_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Stack, AlexHoInvoiceRealtime, iam.Role, Template]:
    """An instance and a backend role granted publishing and revoking."""
    app = App(context=cdk_json_context(), outdir=str(tmp_path_factory.mktemp("cdk.out")))
    stack = Stack(app, "BackendStack")
    construct = realtime(stack)
    backend = iam.Role(stack, "Backend", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    construct.grant_publish(backend)
    construct.grant_revoke(backend)
    return stack, construct, backend, Template.from_stack(stack)


def test_a_backend_may_publish_to_the_encrypted_topic(
    backend_stack: tuple[Stack, AlexHoInvoiceRealtime, iam.Role, Template],
) -> None:
    # GIVEN a backend role granted with grant_publish
    stack, construct, backend, template = backend_stack
    statements = role_statements(template.to_json(), stack.resolve(backend.role_name))
    key_arn = stack.resolve(construct.encryption_key.key_arn)
    # THEN it may publish to the topic and make the topic's data keys; the key leaves it to IAM
    assert _allows(statements, {"sns:Publish"}, stack.resolve(construct.topic.topic_arn))
    assert _allows(statements, {"kms:Decrypt", "kms:GenerateDataKey*"}, key_arn)
    key_id = key_arn["Fn::GetAtt"][0]
    key_policy = template.to_json()["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    assert _iam_decides(key_policy)


def test_a_backend_may_revoke_access(
    backend_stack: tuple[Stack, AlexHoInvoiceRealtime, iam.Role, Template],
) -> None:
    # GIVEN a backend role granted with grant_revoke (the publisher SDK's AccessRevoker)
    stack, construct, backend, template = backend_stack
    statements = role_statements(template.to_json(), stack.resolve(backend.role_name))
    connections = stack.resolve(construct.connections_table.table_arn)
    key_arn = stack.resolve(construct.encryption_key.key_arn)
    # THEN it may record the revocation, find and delete the rows, close the connections and
    # use the key through DynamoDB only
    assert _allows(
        statements, {"dynamodb:PutItem"}, stack.resolve(construct.revocations_table.table_arn)
    )
    assert _allows(statements, {"dynamodb:DeleteItem"}, connections)
    assert _allows(
        statements,
        {"dynamodb:Query"},
        {"Fn::Join": ["", [connections, "/index/bySubject"]]},
    )
    assert _allows(
        statements,
        {"execute-api:ManageConnections"},
        stack.resolve(construct.connections_arn("DELETE")),
    )
    assert _allows(statements, {"kms:Decrypt"}, key_arn, condition=_via("dynamodb"))
