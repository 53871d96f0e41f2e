"""Security properties of the synthesized environments: auth, encryption, logging, IAM scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Capture, Match, Template

from alexho_invoice_runtime import definitions
from stacks import InvoiceRealtimeStack

from .conftest import SynthesizedApp
from .policies import actions_of, all_statements, resources_of, role_statements

StackAndTemplate = tuple[InvoiceRealtimeStack, Template]


def _role_ref(stack: InvoiceRealtimeStack, function_key: str) -> Any:
    role = stack.realtime.functions[function_key].role
    assert role is not None
    return stack.resolve(role.role_name)


# --- $connect and the authorizer ---------------------------------------------------------------


def test_connect_route_requires_the_lambda_authorizer(dev: StackAndTemplate) -> None:
    # GIVEN the dev stack
    stack, template = dev
    authorizer_id = Capture()
    # WHEN its $connect route is inspected
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Route",
        {"RouteKey": "$connect", "AuthorizationType": "CUSTOM", "AuthorizerId": authorizer_id},
    )
    # THEN the route's authorizer is the REQUEST authorizer backed by the authorizer function
    authorizers = template.find_resources("AWS::ApiGatewayV2::Authorizer")
    authorizer = authorizers[authorizer_id.as_object()["Ref"]]["Properties"]
    assert authorizer["AuthorizerType"] == "REQUEST"
    function_arn = stack.resolve(stack.realtime.authorizer_function.function_arn)
    assert function_arn in authorizer["AuthorizerUri"]["Fn::Join"][1]


def test_authorizer_lists_no_identity_source_so_both_token_transports_reach_it(
    dev: StackAndTemplate,
) -> None:
    # GIVEN a token that comes in Sec-WebSocket-Protocol OR in ?token=
    _, template = dev
    # WHEN the authorizer's identity sources are inspected
    # THEN none is required (a missing required source would answer 401 before the Lambda)
    template.has_resource_properties("AWS::ApiGatewayV2::Authorizer", {"IdentitySource": []})


def test_routes_are_selected_on_the_action_field(dev: StackAndTemplate) -> None:
    _, template = dev
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Api",
        {"ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$request.body.action"},
    )


def test_disconnect_and_default_routes_exist_without_their_own_authorizer(
    dev: StackAndTemplate,
) -> None:
    # GIVEN WebSocket APIs authorize at $connect only
    _, template = dev
    # WHEN the routes are listed
    routes = {
        route["Properties"]["RouteKey"]: route["Properties"]["AuthorizationType"]
        for route in template.find_resources("AWS::ApiGatewayV2::Route").values()
    }
    # THEN all three exist and only $connect is CUSTOM
    assert routes == {"$connect": "CUSTOM", "$disconnect": "NONE", "$default": "NONE"}


# --- Stage and access logs ---------------------------------------------------------------------


def test_access_log_format_carries_no_query_string_header_or_token(dev: StackAndTemplate) -> None:
    # GIVEN the stage's access-log format
    _, template = dev
    log_format = Capture()
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage", {"AccessLogSettings": {"Format": log_format}}
    )
    # WHEN it is parsed as the JSON line API Gateway writes
    fields = json.loads(log_format.as_string())
    # THEN it names only request metadata, never a header, query string, body or token
    variables = " ".join(fields.values()).lower()
    for forbidden in ("querystring", "header", "token", "body", "authorizer.principalid"):
        assert forbidden not in variables
    assert {"requestId", "connectionId", "eventType", "routeKey", "status"} <= set(fields)


def test_access_logs_go_to_a_log_group_with_retention(dev: StackAndTemplate) -> None:
    stack, template = dev
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "AccessLogSettings": {
                "DestinationArn": stack.resolve(stack.realtime.access_log_group.log_group_arn)
            }
        },
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {
            "LogGroupName": "/aws/apigateway/alexHoInvoiceWebSocket-dev/live/access",
            "RetentionInDays": 14,
        },
    )


def test_stage_has_detailed_metrics_and_the_environment_throttles(dev: StackAndTemplate) -> None:
    # GIVEN cdk.json's dev throttles (50 rps, burst 100)
    _, template = dev
    # THEN the stage applies them to every route, with detailed metrics and auto-deploy
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "live",
            "AutoDeploy": True,
            "DefaultRouteSettings": {
                "DetailedMetricsEnabled": True,
                "ThrottlingRateLimit": 50,
                "ThrottlingBurstLimit": 100,
            },
        },
    )


def test_stage_waits_for_the_account_level_cloudwatch_role(dev: StackAndTemplate) -> None:
    # GIVEN access logging needs API Gateway's account-level CloudWatch role
    stack, template = dev
    account = stack.realtime.api_gateway_account
    assert account is not None
    # THEN the stage depends on the account setting, whose role API Gateway can assume
    template.has_resource(
        "AWS::ApiGatewayV2::Stage", {"DependsOn": [stack.resolve(account.logical_id)]}
    )
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like({"Principal": {"Service": "apigateway.amazonaws.com"}})
                ]
            },
            "ManagedPolicyArns": [
                {
                    "Fn::Join": [
                        "",
                        Match.array_with(
                            [":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]
                        ),
                    ]
                }
            ],
        },
    )


def test_account_level_cloudwatch_role_is_retained(dev: StackAndTemplate) -> None:
    # GIVEN other environments in the account rely on the same account setting
    _, template = dev
    # THEN deleting one stack leaves it in place
    template.has_resource(
        "AWS::ApiGateway::Account", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    )


# --- Tables ------------------------------------------------------------------------------------


def _table(template: Template, table_name: str) -> dict[str, Any]:
    tables = template.find_resources(
        "AWS::DynamoDB::Table", {"Properties": {"TableName": table_name}}
    )
    assert len(tables) == 1
    properties: dict[str, Any] = next(iter(tables.values()))["Properties"]
    return properties


def test_connections_table_matches_the_shared_definition(dev: StackAndTemplate) -> None:
    # GIVEN the CreateTable definition the local stack and the runtime use
    _, template = dev
    expected = definitions.connections_table_definition("alexHoWebSocketConnections-dev")
    # WHEN the synthesized table is read
    table = _table(template, "alexHoWebSocketConnections-dev")
    # THEN keys, attributes, the byAudience GSI (KEYS_ONLY) and billing are identical
    for key in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode"):
        assert table[key] == expected[key]


def test_event_log_table_matches_the_shared_definition(dev: StackAndTemplate) -> None:
    _, template = dev
    expected = definitions.event_log_table_definition("alexHoInvoiceEventLog-dev")
    table = _table(template, "alexHoInvoiceEventLog-dev")
    for key in ("KeySchema", "AttributeDefinitions", "BillingMode"):
        assert table[key] == expected[key]


@pytest.mark.parametrize(
    ("table_name", "ttl_attribute"),
    [
        ("alexHoWebSocketConnections-dev", definitions.CONNECTION_EXPIRES_AT),
        ("alexHoInvoiceEventLog-dev", definitions.EVENT_LOG_EXPIRES_AT),
    ],
)
def test_tables_expire_rows_by_ttl(
    dev: StackAndTemplate, table_name: str, ttl_attribute: str
) -> None:
    _, template = dev
    table = _table(template, table_name)
    assert table["TimeToLiveSpecification"] == {"AttributeName": ttl_attribute, "Enabled": True}


@pytest.mark.parametrize(("environment", "enabled"), [("dev", False), ("prod", True)])
def test_point_in_time_recovery_follows_the_environment(
    synthesized_app: SynthesizedApp, environment: str, enabled: bool
) -> None:
    # GIVEN cdk.json switches PITR off in dev only
    template = synthesized_app.templates[environment]
    # THEN every table of the environment follows the setting
    tables = template.find_resources("AWS::DynamoDB::Table")
    assert {
        table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
        for table in tables.values()
    } == {enabled}


@pytest.mark.parametrize(
    ("environment", "policy"), [("dev", "Delete"), ("prod", "RetainExceptOnCreate")]
)
def test_tables_removal_policy_follows_the_environment(
    synthesized_app: SynthesizedApp, environment: str, policy: str
) -> None:
    template = synthesized_app.templates[environment]
    tables = template.find_resources("AWS::DynamoDB::Table", {"DeletionPolicy": policy})
    assert len(tables) == 3


# --- Topic -------------------------------------------------------------------------------------


def test_topic_is_encrypted_with_a_rotating_customer_managed_key(dev: StackAndTemplate) -> None:
    stack, template = dev
    key = stack.realtime.topic_key
    assert key is not None
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {"TopicName": "alexHoInvoiceEvents-dev", "KmsMasterKeyId": stack.resolve(key.key_arn)},
    )
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_topic_refuses_publishing_without_tls(dev: StackAndTemplate) -> None:
    stack, template = dev
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "Topics": [stack.resolve(stack.realtime.topic.topic_arn)],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "sns:Publish",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


# --- Delivery and dead letters -----------------------------------------------------------------


def test_fan_out_is_subscribed_with_a_subscription_dead_letter_queue(dev: StackAndTemplate) -> None:
    stack, template = dev
    realtime = stack.realtime
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "lambda",
            "TopicArn": stack.resolve(realtime.topic.topic_arn),
            "Endpoint": stack.resolve(realtime.send_invoice_update_function.function_arn),
            "RedrivePolicy": {
                "deadLetterTargetArn": stack.resolve(realtime.subscription_dlq.queue_arn)
            },
        },
    )


def test_subscription_dead_letter_queue_lets_only_this_topic_send(dev: StackAndTemplate) -> None:
    stack, template = dev
    realtime = stack.realtime
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [stack.resolve(realtime.subscription_dlq.queue_url)],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": stack.resolve(realtime.subscription_dlq.queue_arn),
                            "Condition": {
                                "ArnEquals": {
                                    "aws:SourceArn": stack.resolve(realtime.topic.topic_arn)
                                }
                            },
                        }
                    ]
                )
            },
        },
    )


@pytest.mark.parametrize(
    "queue_name",
    ["alexHoSendInvoiceUpdateSubscriptionDlq-dev", "alexHoSendInvoiceUpdateOnFailureDlq-dev"],
)
def test_dead_letter_queue_keeps_messages_two_weeks(dev: StackAndTemplate, queue_name: str) -> None:
    _, template = dev
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": queue_name,
            "MessageRetentionPeriod": 14 * 24 * 3600,
        },
    )


def test_dead_letter_queues_refuse_requests_without_tls(dev: StackAndTemplate) -> None:
    stack, template = dev
    for queue in stack.realtime.dlqs:
        template.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [stack.resolve(queue.queue_url)],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                },
            },
        )


def test_fan_out_retries_twice_then_sends_to_the_on_failure_queue(dev: StackAndTemplate) -> None:
    stack, template = dev
    realtime = stack.realtime
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": stack.resolve(realtime.send_invoice_update_function.function_name),
            "MaximumRetryAttempts": 2,
            "MaximumEventAgeInSeconds": 3600,
            "DestinationConfig": {
                "OnFailure": {"Destination": stack.resolve(realtime.on_failure_dlq.queue_arn)}
            },
        },
    )


# --- Functions ---------------------------------------------------------------------------------


FUNCTIONS = {
    "authorizer": "alexHoWebSocketAuthorizer-dev",
    "connect": "alexHoWebSocketConnect-dev",
    "disconnect": "alexHoWebSocketDisconnect-dev",
    "default": "alexHoWebSocketDefault-dev",
    "send_invoice_update": "alexHoSendInvoiceUpdate-dev",
}


@pytest.mark.parametrize(
    ("function_name", "module", "memory", "timeout"),
    [
        ("alexHoWebSocketAuthorizer-dev", "authorizer", 256, 10),
        ("alexHoWebSocketConnect-dev", "connect", 256, 10),
        ("alexHoWebSocketDisconnect-dev", "disconnect", 256, 10),
        ("alexHoWebSocketDefault-dev", "default", 256, 30),
        ("alexHoSendInvoiceUpdate-dev", "send_invoice_update", 1024, 60),
    ],
)
def test_function_runs_the_latest_python_on_arm64(
    dev: StackAndTemplate, function_name: str, module: str, memory: int, timeout: int
) -> None:
    _, template = dev
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": function_name,
            "Handler": f"alexho_invoice_runtime.handlers.{module}.handler",
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "MemorySize": memory,
            "Timeout": timeout,
        },
    )


def test_all_functions_share_one_code_asset(dev: StackAndTemplate) -> None:
    _, template = dev
    keys = {
        function["Properties"]["Code"]["S3Key"]
        for function in template.find_resources("AWS::Lambda::Function").values()
    }
    assert len(keys) == 1


def test_each_function_has_its_own_role(dev: StackAndTemplate) -> None:
    stack, _ = dev
    roles = [
        stack.resolve(function.role.role_arn)  # type: ignore[union-attr]
        for function in stack.realtime.functions.values()
    ]
    assert len({json.dumps(role, sort_keys=True) for role in roles}) == 5


@pytest.mark.parametrize(("function_key", "function_name"), FUNCTIONS.items())
def test_each_function_logs_to_its_own_log_group_with_retention(
    dev: StackAndTemplate, function_key: str, function_name: str
) -> None:
    # GIVEN a function and the log group created for it
    stack, template = dev
    log_group = stack.realtime.function_log_groups[function_key]
    # THEN the function logs there, and the group keeps dev's two weeks
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": function_name,
            "LoggingConfig": {"LogGroup": stack.resolve(log_group.log_group_name)},
        },
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": f"/aws/lambda/{function_name}", "RetentionInDays": 14},
    )


def test_delivery_functions_get_the_stage_callback_url(dev: StackAndTemplate) -> None:
    stack, template = dev
    callback_url = stack.resolve(stack.realtime.callback_url)
    for key in ("default", "send_invoice_update"):
        template.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "FunctionName": FUNCTIONS[key],
                "Environment": {
                    "Variables": Match.object_like({definitions.Env.CALLBACK_URL: callback_url})
                },
            },
        )


def test_callback_url_is_https_api_region_suffix_and_stage(dev: StackAndTemplate) -> None:
    stack, _ = dev
    parts = stack.resolve(stack.realtime.callback_url)["Fn::Join"][1]
    assert parts == [
        "https://",
        stack.resolve(stack.realtime.api.api_id),
        ".execute-api.",
        {"Ref": "AWS::Region"},
        ".",
        {"Ref": "AWS::URLSuffix"},
        "/live",
    ]


def test_authorizer_gets_the_auth_configuration(dev: StackAndTemplate) -> None:
    stack, template = dev
    realtime = stack.realtime
    assert realtime.secret is not None
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": "alexHoWebSocketAuthorizer-dev",
            "Environment": {
                "Variables": Match.object_like(
                    {
                        definitions.Env.AUTH_MODE: definitions.AUTH_MODE_HS256,
                        definitions.Env.AUTH_SECRET_ID: stack.resolve(realtime.secret.secret_arn),
                        definitions.Env.CLAIM_SUB: definitions.DEFAULT_CLAIM_SUB,
                        definitions.Env.CLAIM_USER_TYPE: definitions.DEFAULT_CLAIM_USER_TYPE,
                        definitions.Env.CLAIM_CUSTOMER_ID: definitions.DEFAULT_CLAIM_CUSTOMER_ID,
                    }
                )
            },
        },
    )


# --- IAM scope ---------------------------------------------------------------------------------


def test_no_policy_anywhere_allows_a_scan(synthesized_app: SynthesizedApp) -> None:
    # GIVEN every identity policy of every environment
    for template in synthesized_app.template_json.values():
        # WHEN their actions are collected
        actions = actions_of(list(all_statements(template)))
        # THEN none can Scan (fan-out queries the byAudience index instead)
        assert not {"dynamodb:Scan", "dynamodb:*", "*"} & actions


def test_only_default_and_fan_out_can_post_to_connections(synthesized_app: SynthesizedApp) -> None:
    stack = synthesized_app.stacks["dev"]
    template = synthesized_app.template_json["dev"]
    allowed = {
        key
        for key in stack.realtime.functions
        if "execute-api:ManageConnections"
        in actions_of(role_statements(template, _role_ref(stack, key)))
    }
    assert allowed == {"default", "send_invoice_update"}


def test_manage_connections_is_limited_to_posting_on_this_stage(dev: StackAndTemplate) -> None:
    # GIVEN the fan-out's role
    stack, _ = dev
    statements = role_statements(stack_template(dev), _role_ref(stack, "send_invoice_update"))
    # WHEN its ManageConnections statements are read
    resources = [
        resource["Fn::Join"][1][-2:]
        for resource in resources_of(statements, "execute-api:ManageConnections")
    ]
    # THEN they cover POST (and DELETE, to close expired or revoked connections) @connections
    # on this API's stage, not every stage or method
    api_id = stack.resolve(stack.realtime.api.api_id)
    assert [api_id, "/live/POST/@connections/*"] in resources
    assert all(r[0] == api_id and r[1].startswith("/live/") for r in resources)


def stack_template(stack_and_template: StackAndTemplate) -> dict[str, Any]:
    """The template JSON of a (stack, Template) pair."""
    return dict(stack_and_template[1].to_json())


def test_connect_can_only_put_connection_rows(dev: StackAndTemplate) -> None:
    # GIVEN the connect function's role
    stack, _ = dev
    statements = role_statements(stack_template(dev), _role_ref(stack, "connect"))
    # THEN apart from its own log stream (and the tables' key, test_encryption) it may only
    # read revocations by key, and put (or, when revoked meanwhile, delete) connection rows
    non_log = [s for s in statements if not str(s["Action"]).startswith(("['logs:", "['kms:"))]
    assert non_log == [
        {
            "Action": "dynamodb:BatchGetItem",
            "Effect": "Allow",
            "Resource": stack.resolve(stack.realtime.revocations_table.table_arn),
        },
        {
            "Action": ["dynamodb:DeleteItem", "dynamodb:PutItem"],
            "Effect": "Allow",
            "Resource": stack.resolve(stack.realtime.connections_table.table_arn),
        },
    ]


def test_disconnect_can_only_delete_connection_rows(dev: StackAndTemplate) -> None:
    stack, _ = dev
    statements = role_statements(stack_template(dev), _role_ref(stack, "disconnect"))
    assert actions_of(statements) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:DeleteItem",
        "kms:Decrypt",
        "kms:DescribeKey",
    }


def test_authorizer_can_only_read_its_secret(dev: StackAndTemplate) -> None:
    stack, _ = dev
    secret = stack.realtime.secret
    assert secret is not None
    statements = role_statements(stack_template(dev), _role_ref(stack, "authorizer"))
    assert actions_of(statements) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:GetSecretValue",
        "kms:Decrypt",
        "kms:DescribeKey",  # the revocations table's key, through DynamoDB only
        "dynamodb:BatchGetItem",  # revocations, by key
    }
    (secret_statement,) = [s for s in statements if s["Action"] == "secretsmanager:GetSecretValue"]
    assert secret_statement["Resource"] == stack.resolve(secret.secret_arn)


def test_fan_out_queries_recipients_through_the_audience_index(dev: StackAndTemplate) -> None:
    stack, _ = dev
    statements = role_statements(stack_template(dev), _role_ref(stack, "send_invoice_update"))
    (query,) = [s for s in statements if s["Action"] == "dynamodb:Query"]
    assert query["Resource"] == {
        "Fn::Join": [
            "",
            [
                stack.resolve(stack.realtime.connections_table.table_arn),
                f"/index/{definitions.AUDIENCE_INDEX}",
            ],
        ]
    }


def test_fan_out_writes_the_event_log_and_deletes_stale_connections(dev: StackAndTemplate) -> None:
    stack, _ = dev
    statements = role_statements(stack_template(dev), _role_ref(stack, "send_invoice_update"))
    assert {
        "dynamodb:PutItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:GetItem",
        "dynamodb:DeleteItem",
    } <= actions_of(statements)


def test_fan_out_reads_only_single_connection_rows_for_probes(dev: StackAndTemplate) -> None:
    # GIVEN the fan-out's role
    stack, _ = dev
    statements = role_statements(stack_template(dev), _role_ref(stack, "send_invoice_update"))
    # WHEN the statements on the connections table itself are collected
    table_arn = stack.resolve(stack.realtime.connections_table.table_arn)
    on_table = actions_of([s for s in statements if s["Resource"] == table_arn])
    # THEN GetItem (a probe's one target) and DeleteItem (a gone connection) are all it may do
    assert on_table == {"dynamodb:GetItem", "dynamodb:DeleteItem"}
