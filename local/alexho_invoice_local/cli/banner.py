"""What ``alexho-local up`` prints once the stack is ready."""

from __future__ import annotations

from pathlib import Path

from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.settings import StackSettings
from alexho_invoice_local.web.page_files import page_dir_of, page_is_built

DEMO_CUSTOMER_ID = "cust-42"


def ready_banner(
    endpoints: StackEndpoints,
    settings: StackSettings,
    state_file: Path,
    admin_token: str,
    customer_token: str,
    token_ttl_seconds: int,
) -> str:
    """The endpoints, names and ready-made tokens of a running stack."""
    minutes = token_ttl_seconds // 60
    lines = [
        "AlexHo Invoice Realtime — local stack is up (loopback only)",
        "",
        *_demo_page_lines(endpoints, settings),
        f"  WebSocket URL        {endpoints.websocket_url}",
        f"  Topic ARN            {endpoints.topic_arn}",
        f"  Management API       {endpoints.callback_url}   (WEBSOCKET_CALLBACK_URL)",
        f"  AWS endpoint (moto)  {endpoints.aws_endpoint_url}   "
        "(DynamoDB, SNS, SQS, Secrets Manager)",
        f"  Tables               {endpoints.connections_table}, {endpoints.event_log_table}",
        f"  Signing secret       {endpoints.secret_arn}",
        f"  On-failure queue     {endpoints.on_failure_queue_url}",
        f"  Timeouts             idle {settings.idle_timeout_seconds:g} s, "
        f"max age {settings.max_connection_seconds:g} s",
        f"  State file           {state_file}",
        "",
        f"Admin token (valid {minutes} min):",
        f"  {admin_token}",
        f"Customer token for {DEMO_CUSTOMER_ID} (valid {minutes} min):",
        f"  {customer_token}",
        "",
        "Connect from a browser:",
        f"  new WebSocket('{endpoints.websocket_url}', ['alexho-invoice.v1', '<token>'])",
        "Try it:",
        "  alexho-local listen --as admin",
        f"  alexho-local listen --as customer --customer-id {DEMO_CUSTOMER_ID}",
        f"  alexho-local publish INVOICE_SENT --invoice-id inv-1 --customer-id "
        f"{DEMO_CUSTOMER_ID} --status SENT",
        "  alexho-local token --as admin     (fresh tokens)",
        '  eval "$(alexho-local env)"        (point your own backend at this stack)',
        "",
        "Press Ctrl-C (or run `alexho-local down`) to stop.",
    ]
    return "\n".join(lines)


def _demo_page_lines(endpoints: StackEndpoints, settings: StackSettings) -> list[str]:
    if endpoints.demo_page_url is None:
        return []
    page_dir = page_dir_of(settings.demo_page_dir)
    if page_is_built(page_dir):
        note = "(admin, cust-42 and cust-99 side by side)"
    else:
        note = f"(not built yet: run `make setup`; no index.html in {page_dir})"
    return [f"  Demo page            {endpoints.demo_page_url}   {note}"]
