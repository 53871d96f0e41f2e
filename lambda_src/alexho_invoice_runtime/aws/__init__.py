"""The runtime's one way to AWS: DynamoDB, API Gateway's ``@connections`` and Secrets Manager.

The rule: every AWS call of ``alexho_invoice_runtime`` goes through this package, and nothing
outside it imports an AWS SDK (boto3, botocore) or catches an SDK's exception. Callers use the
typed interfaces (:class:`~alexho_invoice_runtime.aws.dynamodb.TableApi`,
:class:`~alexho_invoice_runtime.aws.connections_api.ConnectionsApi`,
:class:`~alexho_invoice_runtime.aws.secrets.SecretsApi`), get them from
:mod:`~alexho_invoice_runtime.aws.clients`, and catch
:class:`~alexho_invoice_runtime.aws.errors.AwsError`.

Inside, the layer is the Python standard library only — SigV4 with ``hmac``/``hashlib``
(:mod:`~alexho_invoice_runtime.aws.sigv4`, AWS's documented algorithm) and keep-alive
``http.client`` connections (:mod:`~alexho_invoice_runtime.aws.transport`) — so the deployed
functions depend on no SDK version the Lambda runtime might change, and the WebSocket path starts
without boto3's import. Retries with jittered backoff live in
:mod:`~alexho_invoice_runtime.aws.retry`; region, credentials and endpoints are resolved in
:mod:`~alexho_invoice_runtime.aws.environment` (``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_<SERVICE>`` honoured), once per container.
"""

from alexho_invoice_runtime.aws.errors import AwsConfigError, AwsError

__all__ = ["AwsConfigError", "AwsError"]
