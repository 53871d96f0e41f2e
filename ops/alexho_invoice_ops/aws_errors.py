"""Reading AWS errors: short descriptions (code and message, never a payload) and denials."""

from __future__ import annotations

from typing import Final

from botocore.exceptions import BotoCoreError, ClientError

#: Error codes that mean "these credentials may not do this".
PERMISSION_DENIED_CODES: Final = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "KMSAccessDenied",
        "KMS.AccessDeniedException",
        "UnauthorizedOperation",
    }
)


def describe(error: BaseException) -> str:
    """``Code: message`` of an AWS error, or the type and text of a botocore/network error."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code", "ClientError")
        message = details.get("Message", "")
        return f"{code}: {message}" if message else str(code)
    if isinstance(error, BotoCoreError):
        return f"{type(error).__name__}: {error}"
    return f"{type(error).__name__}: {error}"


def error_code(error: BaseException) -> str:
    """The AWS error code of ``error`` (empty for anything but a ``ClientError``)."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def is_permission_denied(error: BaseException) -> bool:
    """Whether ``error`` is an authorization failure."""
    return error_code(error) in PERMISSION_DENIED_CODES
