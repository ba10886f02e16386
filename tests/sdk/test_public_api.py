"""The SDK has one front door per public path, and the connectors use only those.

The public paths are `handoff_sdk` (everything an author calls),
`handoff_sdk.entities` and `handoff_sdk.testing`. The names are read from the
live modules, so a name added to a submodule's `__all__` and forgotten at the
root fails here.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import handoff_sdk
import handoff_sdk.testing

REPO = Path(__file__).resolve().parents[2]
PUBLIC_PATHS = {"handoff_sdk", "handoff_sdk.entities", "handoff_sdk.testing"}
NOT_RE_EXPORTED = {"entities", "entity_docs", "testing"}


def _submodules(package: object) -> list[str]:
    path = package.__path__  # type: ignore[attr-defined]
    return [m.name for m in pkgutil.iter_modules(path)]


def test_the_root_re_exports_every_public_name_of_its_modules() -> None:
    missing = []
    for name in _submodules(handoff_sdk):
        if name in NOT_RE_EXPORTED:
            continue
        module = importlib.import_module(f"handoff_sdk.{name}")
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"handoff_sdk.{name} has no __all__"
        missing += [f"{name}.{n}" for n in exported if n not in handoff_sdk.__all__]
    assert not missing, f"not re-exported from handoff_sdk: {missing}"


def test_every_name_in_all_is_importable_and_unique() -> None:
    for package in (handoff_sdk, handoff_sdk.testing):
        names = package.__all__
        assert len(names) == len(set(names))
        for name in names:
            assert hasattr(package, name), f"{package.__name__}.{name} is listed but missing"


def test_the_testing_kit_re_exports_its_modules_public_names() -> None:
    missing = []
    for name in _submodules(handoff_sdk.testing):
        if name == "pytest_plugin":
            continue
        module = importlib.import_module(f"handoff_sdk.testing.{name}")
        for exported in getattr(module, "__all__", []):
            if exported not in handoff_sdk.testing.__all__:
                missing.append(f"{name}.{exported}")
    assert not missing, f"not re-exported from handoff_sdk.testing: {missing}"


def _sdk_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("handoff_sdk")
        ):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("handoff_sdk")]
    return found


def test_connectors_import_the_sdk_only_through_its_public_paths() -> None:
    sources = sorted(REPO.glob("connectors/*/src/**/*.py"))
    assert sources
    private = [
        f"{path.relative_to(REPO)}: {module}"
        for path in sources
        for module in _sdk_imports(path)
        if module not in PUBLIC_PATHS
    ]
    assert not private, "import these from handoff_sdk instead:\n" + "\n".join(private)
