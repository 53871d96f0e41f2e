"""How ``make test`` shares the tests between its two xdist workers."""

from __future__ import annotations

from tests.xdist_groups import group_of, queue_rank


def test_every_cdk_test_shares_one_group_and_other_modules_have_their_own() -> None:
    groups = {
        group_of("tests/cdk/test_app.py::test_cfn_lint_passes_on_every_template"),
        group_of("tests/cdk/test_packaging.py::test_wheel_installs[x]"),
    }
    assert groups == {"tests/cdk/"}
    assert group_of("tests/local/test_resume.py::test_resume") == "tests/local/test_resume.py"
    assert group_of("tests/test_loopback_guard.py::test_a") == "tests/test_loopback_guard.py"


def test_long_units_are_handed_out_first() -> None:
    groups = [
        "tests/runtime/test_connect.py",
        "tests/local/test_resume.py",
        "tests/benchmarks/test_local_soak_smoke.py",
        "tests/cdk/",
        "tests/browser/test_demo_page.py",
    ]
    assert sorted(groups, key=queue_rank) == [
        "tests/cdk/",
        "tests/benchmarks/test_local_soak_smoke.py",
        "tests/local/test_resume.py",
        "tests/browser/test_demo_page.py",
        "tests/runtime/test_connect.py",
    ]
