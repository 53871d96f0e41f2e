"""``alexho-local`` given bad input: one line naming the option, exit code 2, no traceback.

None of these needs a running stack: the arguments are checked before the state file is read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alexho_invoice_local.cli.arguments import web_origin
from alexho_invoice_local.cli.main import main


def exit_code(*argv: str) -> int:
    """``alexho-local *argv`` in this process (a usage error found while parsing exits)."""
    try:
        return main(list(argv))
    except SystemExit as exited:
        return int(str(exited.code))


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["listen", "--as", "customer", "--customer-id", "x y"], "--customer-id"),
        (["token", "--as", "customer", "--customer-id", "-42"], "--customer-id"),
        (
            [
                "publish",
                "INVOICE_SENT",
                "--invoice-id",
                "i",
                "--customer-id",
                "a/b",
                "--status",
                "SENT",
            ],
            "--customer-id",
        ),
        (["listen", "--as", "customer"], "--customer-id"),
        (["token", "--as", "admin", "--customer-id", "cust-42"], "--customer-id"),
        (["listen", "--as", "admin", "--customer-id", "cust-42"], "--customer-id"),
        (["token", "--as", "admin", "--ttl", "0"], "--ttl"),
        (["token", "--as", "admin", "--ttl", "3601"], "--ttl"),
        (["listen", "--as", "admin", "--resume-after", "garbage"], "--resume-after"),
        (["listen", "--as", "admin", "--count", "0"], "--count"),
        (["up", "--log-level", "LOUD"], "--log-level"),
        (["up", "--port", "70000"], "--port"),
        (["up", "--idle-timeout", "soon"], "--idle-timeout"),
        (["up", "--host", "0.0.0.0"], "--host"),
        (["up", "--allow-origin", "http://192.168.1.5:3000/app"], "--allow-origin"),
        (["up", "--allow-origin", "192.168.1.5:3000"], "--allow-origin"),
        (["up", "--allow-origin", "http://dev@192.168.1.5:3000"], "--allow-origin"),
        (["up", "--allow-origin", "http://192.168.1.5:3000#top"], "--allow-origin"),
        (["down", "--timeout", "-1"], "--timeout"),
    ],
)
def test_bad_input_gets_one_line_naming_the_option_and_exit_2(
    argv: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = exit_code("--state-file", str(tmp_path / "no-stack.json"), *argv)
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert named in err
    assert err.startswith(f"alexho-local {argv[0]}: ")


@pytest.mark.parametrize(
    ("given", "sent_by_browsers"),
    [
        ("HTTP://Dev-Box:3000", "http://dev-box:3000"),
        ("http://192.168.1.5:80", "http://192.168.1.5"),
        ("https://dev-box:443", "https://dev-box"),
        ("http://[FE80::1]:8080", "http://[fe80::1]:8080"),
    ],
)
def test_an_allowed_origin_is_kept_as_browsers_send_it(given: str, sent_by_browsers: str) -> None:
    # GIVEN `up --allow-origin` written with upper case or a scheme's default port
    # THEN it is kept in the form of a page's Origin header, which the gateway compares exactly
    assert web_origin(given) == sent_by_browsers


def test_a_token_ttl_error_names_the_option_not_the_sdk_parameter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert exit_code("token", "--as", "admin", "--ttl", "0") == 2
    assert capsys.readouterr().err == (
        "alexho-local token: argument --ttl: must be from 1 to 3600 seconds, not 0 "
        "(see alexho-local token --help)\n"
    )


def test_the_state_file_option_is_accepted_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_file = tmp_path / "elsewhere.json"
    assert exit_code("env", "--state-file", str(state_file)) == 1
    assert str(state_file) in capsys.readouterr().err


def test_the_console_script_without_the_local_extra_names_the_extra(tmp_path: Path) -> None:
    # GIVEN an environment where PyJWT cannot be imported (a stand-in package shadows it)
    (tmp_path / "jwt").mkdir()
    (tmp_path / "jwt" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'jwt'\", name='jwt')\n"
    )
    console_script = Path(sys.executable).parent / "alexho-local"
    # WHEN the installed console script runs
    finished = subprocess.run(
        [str(console_script), "token", "--as", "admin"],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # THEN it names the extra to install, in one line, and exits 2
    assert finished.returncode == 2
    assert finished.stderr == (
        "alexho-local: the local stack needs the [local] extra (jwt is not installed): "
        "pip install 'alexho-invoice-realtime[local]'\n"
    )
