"""The whole system on one machine: moto, the WebSocket gateway, the Management API and the
SNS → fan-out delivery, all running the deployed Lambda code in this process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

import boto3

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.aws.moto_server import MotoBackend
from alexho_invoice_local.aws.resources import LocalResources, create_resources
from alexho_invoice_local.aws.sns_worker import Invoke, RetryPolicy, SnsDeliveryWorker
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.functions.catalog import StackFunctions, stack_functions
from alexho_invoice_local.functions.cold_start import reset_handler_caches
from alexho_invoice_local.functions.containers import ProcessContainers
from alexho_invoice_local.functions.environment import ProcessEnvironment, lambda_environment
from alexho_invoice_local.gateway.apigw_events import ApiGatewayInfo
from alexho_invoice_local.gateway.management_api import ManagementApiServer
from alexho_invoice_local.gateway.server import GatewayLimits, WebSocketGateway
from alexho_invoice_local.settings import StackSettings, url_host
from alexho_invoice_local.web.app import DemoPageApp
from alexho_invoice_local.web.page_files import page_dir_of
from alexho_invoice_local.web.server import DemoPageServer

T = TypeVar("T")
LOGGER = logging.getLogger(__name__)


class StackNotRunningError(RuntimeError):
    """The stack was used before :meth:`LocalStack.start` or after :meth:`LocalStack.stop`."""


class StackAlreadyRunningError(RuntimeError):
    """Another :class:`LocalStack` runs in this process (they would share ``os.environ``)."""


_running_lock = threading.Lock()
_running: list[LocalStack] = []


@contextlib.contextmanager
def _logged(step: str) -> Iterator[None]:
    try:
        yield
    except Exception:
        LOGGER.exception("%s failed", step)


def _running_part(part: T | None) -> T:
    if part is None:
        raise StackNotRunningError("the local stack is not running")
    return part


class LocalStack:
    """Start with :meth:`start` (or ``with LocalStack(settings) as stack:``), then :meth:`stop`.

    Only one stack may run per process: the handlers read their configuration from
    ``os.environ``, which the stack sets while it runs and restores when it stops.
    """

    def __init__(self, settings: StackSettings | None = None) -> None:
        self.settings = settings or StackSettings()
        self.functions: StackFunctions = stack_functions(self.settings)
        self._moto: MotoBackend | None = None
        self._environment = ProcessEnvironment()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._route_executor: ThreadPoolExecutor | None = None
        self._gateway: WebSocketGateway | None = None
        self._management: ManagementApiServer | None = None
        self._worker: SnsDeliveryWorker | None = None
        self._containers: ProcessContainers | None = None
        self._resources: LocalResources | None = None
        self._endpoints: StackEndpoints | None = None
        self._demo_page: DemoPageServer | None = None

    # --- public API ------------------------------------------------------------------------

    @property
    def endpoints(self) -> StackEndpoints:
        """URLs, ARNs and names of the running stack."""
        return _running_part(self._endpoints)

    @property
    def resources(self) -> LocalResources:
        """The AWS resources created in moto."""
        return _running_part(self._resources)

    @property
    def gateway(self) -> WebSocketGateway:
        """The WebSocket gateway (use :meth:`call` to touch it from another thread)."""
        return _running_part(self._gateway)

    @property
    def worker(self) -> SnsDeliveryWorker:
        """The SNS → fan-out delivery worker."""
        return _running_part(self._worker)

    @property
    def containers(self) -> ProcessContainers | None:
        """The fan-out's containers (``None`` when invocations run in threads)."""
        _running_part(self._worker)
        return self._containers

    def expire_items(self, now: float | None = None) -> int:
        """Delete the items whose TTL is before ``now`` (the current time by default) at once,
        as the stack does every ``ttl_sweep_seconds`` (DynamoDB TTL); how many."""
        return _running_part(self._moto).expire_items(now)

    def start(self) -> StackEndpoints:
        """Start everything; on any failure, stop what already started and re-raise."""
        with _running_lock:
            if _running:
                raise StackAlreadyRunningError("a local stack already runs in this process")
            _running.append(self)
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop delivery, close connections (running ``$disconnect``), stop servers and moto.

        Every step runs even if an earlier one failed (failures are logged), so moto and the
        child processes never outlive the stack.
        """
        with _logged("stopping the demo page"):
            if self._demo_page is not None:
                self._demo_page.stop()
        self._demo_page = None
        with _logged("stopping delivery"):
            if self._worker is not None:
                self._worker.stop()
        self._worker = None
        with _logged("stopping the fan-out containers"):
            if self._containers is not None:
                self._containers.close()
        self._containers = None
        if self._loop is not None and self._loop.is_running():
            with _logged("closing the connections"):
                if self._gateway is not None:
                    self.call(self._gateway.stop(), timeout=120)
            with _logged("stopping the Management API"):
                if self._management is not None:
                    self.call(self._management.stop())
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._loop_thread is not None:
            self._loop_thread.join()
            self._loop_thread = None
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        if self._route_executor is not None:
            self._route_executor.shutdown(wait=True)
            self._route_executor = None
        self._gateway = self._management = None
        self._environment.restore()
        reset_handler_caches()
        with _logged("stopping moto"):
            if self._moto is not None:
                self._moto.stop()
        self._moto = None
        self._endpoints = None
        self._resources = None
        with _running_lock:
            if self in _running:
                _running.remove(self)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the stack's event loop from another thread and return its result."""
        if self._loop is None:
            coroutine.close()
            raise StackNotRunningError("the local stack is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def open_connection_ids(self) -> list[str]:
        """Ids of the connections open right now."""

        async def ids() -> list[str]:
            return [live.connection_id for live in self.gateway.registry.all()]

        return self.call(ids())

    def drop_without_disconnect(self, connection_id: str) -> None:
        """Simulate a client that vanished and whose ``$disconnect`` got lost."""

        async def drop() -> None:
            self.gateway.drop_without_disconnect(connection_id)

        self.call(drop())

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- start-up --------------------------------------------------------------------------

    def _start(self) -> StackEndpoints:
        settings = self.settings
        self._moto = MotoBackend(
            settings.host,
            settings.port_after(2, settings.moto_port),
            in_process=settings.moto_in_process,
            forwarded_ports=settings.forwarded_ports,
            expiry_seconds=settings.ttl_sweep_seconds,
        )
        self._moto.start()
        aws_endpoint = self._moto.endpoint_url
        resources = self._resources = create_resources(settings, aws_endpoint)

        self._route_executor = ThreadPoolExecutor(
            settings.route_concurrency, thread_name_prefix="route-invoke"
        )
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(
            target=self._loop.run_forever, name="gateway-loop", daemon=True
        )
        self._loop_thread.start()
        api = ApiGatewayInfo(settings.region, settings.account_id, settings.api_id, settings.stage)
        limits = GatewayLimits(
            max_message_bytes=settings.max_message_bytes,
            idle_timeout_seconds=settings.idle_timeout_seconds,
            max_connection_seconds=settings.max_connection_seconds,
        )
        gateway = self._gateway = WebSocketGateway(
            api,
            self.functions.routes(),
            limits,
            self._route_executor,
            allowed_origins=settings.allowed_origins,
            forwarded_ports=settings.forwarded_ports,
        )
        management = self._management = ManagementApiServer(
            gateway,
            settings.stage,
            settings.max_message_bytes,
            forwarded_ports=settings.forwarded_ports,
        )
        management_port = self.call(
            management.start(settings.host, settings.port_after(1, settings.management_port))
        )
        callback_url = f"http://{url_host(settings.host)}:{management_port}/{settings.stage}"
        environment = lambda_environment(settings, resources, aws_endpoint, callback_url)
        self._environment.apply(environment)
        # Imported once the environment is set: the runtime reads LOG_LEVEL at import.
        self.functions.check_importable()
        reset_handler_caches()
        websocket_port = self.call(gateway.start(settings.host, settings.websocket_port))

        invoke: Invoke | None = None
        if settings.fanout_in_processes:
            self._containers = ProcessContainers(
                self.functions.send_invoice_update,
                environment,
                settings.fanout_concurrency,
                settings.fanout_log_file,
            )
            self._containers.warm(settings.fanout_concurrency)
            invoke = self._containers.invoke
        sqs = boto3.client("sqs", **client_args(aws_endpoint, settings.region))
        self._worker = SnsDeliveryWorker(
            sqs,
            resources.invocation_queue_url,
            resources.on_failure_queue_url,
            resources.subscription_arn,
            self.functions.send_invoice_update,
            invoke=invoke,
            retry=RetryPolicy(settings.async_retries, settings.retry_delays_seconds),
            concurrency=settings.fanout_concurrency,
        )
        self._worker.start()
        self._endpoints = StackEndpoints(
            websocket_url=f"ws://{url_host(settings.host)}:{websocket_port}",
            callback_url=callback_url,
            aws_endpoint_url=aws_endpoint,
            region=settings.region,
            topic_arn=resources.topic_arn,
            secret_arn=resources.secret_arn,
            connections_table=resources.connections_table,
            event_log_table=resources.event_log_table,
            revocations_table=resources.revocations_table,
            on_failure_queue_url=resources.on_failure_queue_url,
            pid=os.getpid(),
            idle_timeout_seconds=settings.idle_timeout_seconds,
        )
        if settings.demo_page:
            self._endpoints = self._start_demo_page(self._endpoints)
        return self._endpoints

    def _start_demo_page(self, endpoints: StackEndpoints) -> StackEndpoints:
        settings = self.settings
        app = DemoPageApp(endpoints, page_dir_of(settings.demo_page_dir))
        self._demo_page = DemoPageServer(app, settings.forwarded_ports)
        port = self._demo_page.start(settings.host, settings.port_after(3, settings.demo_page_port))
        return replace(endpoints, demo_page_url=f"http://{url_host(settings.host)}:{port}/")
