"""Mutation testing of the modules that guard security and exactly-once (`make mutation`).

    .venv/bin/python mutation/run.py                 # every target, then the total
    .venv/bin/python mutation/run.py jobs timers     # some targets (they are CPU heavy)
    .venv/bin/python mutation/run.py --report        # the figures of the sessions already run
    .venv/bin/python mutation/run.py --retest jobs   # run the survivors again (after new tests)

Each target is one or more modules and the tests that cover them. For each,
cosmic-ray (a kept mutation tool, in the dev dependency group) writes every
mutant of the modules into a session (mutation/.sessions/TARGET.sqlite), then
runs the target's tests once per mutant, the module mutated in place and
restored after. A mutant is *killed* when a test fails. A session remembers
what it ran: a second run only runs what is left (delete the session file to
start again, as after changing the code or the tests).

The operators are the ones that model real mistakes (a comparison, a boolean,
an `and`/`or`, arithmetic on numbers, a constant, a loop or an `except`
clause changed); those that mostly make equivalent mutants are left out (bit
operators, which are type unions in annotations here; unary `~`/`+`; swapping
one variable for another; dropping a decorator). A line marked
`# pragma: no mutate` is not mutated: only for mutants that cannot change
behaviour, each saying why.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = ROOT / "mutation" / ".sessions"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Target:
    """Modules mutated together and the tests that must kill their mutants."""

    modules: tuple[str, ...]
    tests: tuple[str, ...]
    timeout: float = 120.0
    lean: bool = False
    """SDK tests only: run without the hub's conftest too (pytest's start-up is most of each
    mutant's run; every target already runs with only the pytest plugins its tests use)."""


TARGETS: dict[str, Target] = {
    "webhooks": Target(
        ("sdk/src/handoff_sdk/webhooks.py",),
        (
            "tests/sdk/test_webhooks.py",
            "tests/sdk/test_webhook_forgeries.py",
        ),
        lean=True,
    ),
    "scrub": Target(
        ("sdk/src/handoff_sdk/testing/scrub.py",),
        (
            "tests/sdk/test_cassettes.py",
            "tests/sdk/test_scrub_accesskey.py",
            "tests/sdk/test_cassette_writer.py",
            "tests/sdk/test_scrub_nested.py",
        ),
    ),
    "jobs": Target(
        ("core/src/handoff/runtime/jobs.py",),
        (  # the quick files first: pytest -x stops at the first test that kills the mutant
            "tests/runtime/test_job_listing.py",
            "tests/runtime/test_outbox_guards.py",
            "tests/runtime/test_jobs.py",
            "tests/runtime/test_subject_order.py",
            "tests/runtime/test_worker_resilience.py",
            "tests/runtime/test_claim_postgres.py",
        ),
        timeout=300.0,
    ),
    "timers": Target(
        ("core/src/handoff/runtime/timers.py",),
        ("tests/runtime/test_timers.py", "tests/runtime/test_outbox_guards.py"),
    ),
    "round-robin": Target(
        ("core/src/handoff/runtime/state.py", "core/src/handoff/rules/rotation.py"),
        (
            "tests/rules/test_rotation.py",
            "tests/runtime/test_state.py",
            "tests/runtime/test_sqlite_contention.py",
        ),
    ),
    "availability": Target(
        ("core/src/handoff/chat/routing/availability.py",),
        (  # the quick files first: pytest -x stops at the first test that kills the mutant
            "tests/chat/routing/test_availability_guards.py",
            "tests/chat/routing/test_availability.py",
            "tests/chat/routing/test_engine.py",
            "tests/chat/routing/test_handler.py",
            "tests/chat/routing/test_daily_cap_postgres.py",
        ),
        timeout=300.0,
    ),
}

KEPT_COMPARISONS = (
    "Eq_NotEq|NotEq_Eq|Lt_LtE|LtE_Lt|Gt_GtE|GtE_Gt|Lt_GtE|GtE_Lt|Gt_LtE|LtE_Gt"
    "|Is_IsNot|IsNot_Is|In_NotIn|NotIn_In"
)
# Not Mul_Div: cosmic-ray also applies it to the `*` that makes parameters keyword-only.
KEPT_ARITHMETIC = "Add_Sub|Sub_Add|Div_Mul|FloorDiv_Mul|Mod_FloorDiv"
EXCLUDED_OPERATORS = (
    f"core/ReplaceComparisonOperator_(?!({KEPT_COMPARISONS})$)",
    f"core/ReplaceBinaryOperator_(?!({KEPT_ARITHMETIC})$)",
    "core/ReplaceUnaryOperator_(?!(Delete_Not|Delete_USub)$)",
    "core/VariableInserter",
    "core/VariableReplacer",
    "core/RemoveDecorator",
)


def config_text(name: str, target: Target) -> str:
    """The cosmic-ray config of one target."""
    tests = " ".join(target.tests)
    python = shlex.quote(str(BIN / "python"))
    # No plugin is loaded by entry point: schemathesis, hypothesis and respx alone take seconds
    # to import, and no target's tests use them.
    command = (
        f"env PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {python} -m pytest -x -q -p no:cacheprovider "
        f"-p pytest_asyncio.plugin -p anyio -p handoff_sdk.testing.pytest_plugin "
        f"{'--noconftest ' if target.lean else ''}{tests}"
    )
    excluded = ", ".join(json.dumps(pattern) for pattern in EXCLUDED_OPERATORS)
    modules = ", ".join(json.dumps(module) for module in target.modules)
    return f"""# generated by mutation/run.py for target {name}
[cosmic-ray]
module-path = [{modules}]
timeout = {target.timeout}
excluded-modules = []
test-command = {json.dumps(command)}

[cosmic-ray.distributor]
name = "local"

[cosmic-ray.filters.operators-filter]
exclude-operators = [{excluded}]
"""


def run(*args: str) -> str:
    """Run one of the venv's tools in the repository; its output, or exit with its error."""
    done = subprocess.run(  # noqa: S603 - our own tools
        [str(BIN / args[0]), *args[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def counts(session: Path) -> tuple[int, int, int, list[str]]:
    """(mutants, run, killed, survivors as 'module:line operator') of one session.

    Mutants the operator filter or a pragma left out are not counted; a mutant
    whose tests errored or timed out counts as killed (the change was noticed).
    """
    dump = run("cosmic-ray", "dump", str(session))
    total = ran = killed = 0
    survivors: list[str] = []
    for line in dump.splitlines():
        job, result = json.loads(line)
        if result is not None and result["worker_outcome"] == "skipped":
            continue
        total += 1
        if result is None:
            continue
        ran += 1
        if result["test_outcome"] != "survived":
            killed += 1
            continue
        [mutation] = job["mutations"]
        survivors.append(
            f"{mutation['module_path']}:{mutation['start_pos'][0]} "
            f"{mutation['operator_name']} #{mutation['occurrence']}"
        )
    return total, ran, killed, survivors


def compile_bytecode() -> None:
    """Compile the environment and the sources once, so no mutant's run compiles them again.

    uv installs no bytecode and PYTHONDONTWRITEBYTECODE may be set, which left every test run
    compiling FastAPI, SQLAlchemy and the hub from source (most of its start-up). The runs
    themselves write no bytecode: a mutated module is compiled from its source (its mtime
    differs from the cached one), the cache is never written with a mutant in it.
    """
    folders = [str(path) for path in (BIN.parent / "lib").glob("python3*/site-packages")]
    folders += [str(ROOT / name) for name in ("core/src", "sdk/src", "connectors", "tests")]
    subprocess.run(  # noqa: S603 - the standard library's compileall
        [str(BIN / "python"), "-m", "compileall", "-q", *folders],
        cwd=ROOT,
        capture_output=True,
        check=False,
        env={key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
    )


def prepare(name: str, target: Target) -> tuple[Path, Path]:
    """The target's config, and its session: created (baseline checked, mutants listed) once."""
    SESSIONS.mkdir(parents=True, exist_ok=True)
    config = SESSIONS / f"{name}.toml"
    session = SESSIONS / f"{name}.sqlite"
    config.write_text(config_text(name, target))
    if not session.exists():
        missing = [path for path in (*target.modules, *target.tests) if not (ROOT / path).exists()]
        if missing:
            raise SystemExit(f"{name}: no such file: {', '.join(missing)}")
        # The tests must pass on the code as it is, or every mutant would count as killed.
        run("cosmic-ray", "baseline", str(config))
        run("cosmic-ray", "init", str(config), str(session))
        run("cr-filter-operators", str(session), str(config))
        run("cr-filter-pragma", str(session))
    return config, session


def forget_survivors(session: Path) -> int:
    """Mark the session's surviving mutants as not run, so `exec` tries them with the new tests."""
    with sqlite3.connect(session) as db:
        return db.execute(
            "DELETE FROM work_results WHERE lower(test_outcome) = 'survived'"
        ).rowcount


def main() -> None:
    """Run the chosen targets' remaining mutants, then print what each killed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", choices=[[], *TARGETS], help="default: all")
    parser.add_argument("--report", action="store_true", help="only report, run nothing")
    parser.add_argument("--survivors", action="store_true", help="list each surviving mutant")
    parser.add_argument(
        "--retest", action="store_true", help="run the survivors again (after adding tests)"
    )
    args = parser.parse_args()
    chosen = args.targets or list(TARGETS)
    if not args.report:
        compile_bytecode()
        for name in chosen:
            config, session = prepare(name, TARGETS[name])
            if args.retest:
                print(f"{name}: {forget_survivors(session)} survivors to run again", flush=True)
                run("cr-filter-pragma", str(session))  # lines marked since the session began
            total, ran, _, _ = counts(session)
            print(f"{name}: {total} mutants, {total - ran} to run", flush=True)
            run("cosmic-ray", "exec", str(config), str(session))
    grand_total = grand_killed = grand_ran = 0
    for name in chosen:
        session = SESSIONS / f"{name}.sqlite"
        if not session.exists():
            print(f"{name}: not run yet")
            continue
        total, ran, killed, survivors = counts(session)
        grand_total, grand_ran, grand_killed = (
            grand_total + total,
            grand_ran + ran,
            grand_killed + killed,
        )
        share = f"{killed / ran:.1%}" if ran else "-"
        print(f"{name:13} {killed:4} of {ran:4} killed ({share}); {total - ran} not run")
        if args.survivors:
            for survivor in survivors:
                print(f"    survived: {survivor}")
    if grand_ran:
        print(
            f"{'total':13} {grand_killed:4} of {grand_ran:4} killed "
            f"({grand_killed / grand_ran:.1%}); {grand_total - grand_ran} not run"
        )


if __name__ == "__main__":
    main()
