"""The examples in the package's docstrings run and give what they show."""

import doctest
import importlib
import pkgutil

import pytest
from support.skips import import_server_side

import gillab

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(gillab.__path__, "gillab.") if info.name not in {"gillab.__main__"}
)


def _import(name: str):
    if name == "gillab.grading" or name.startswith("gillab.grading."):
        # the grading pipeline runs nbgrader (some of it only inside its examples), which the
        # free-threaded venv leaves out: skip there, saying so
        import_server_side("nbgrader")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        import_server_side(error.name)
        raise


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = _import(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("name", MODULES)
def test_every_public_function_is_documented(name):
    module = _import(name)
    for public in getattr(module, "__all__", []):
        item = getattr(module, public)
        if callable(item) and getattr(item, "__module__", name) == name:
            assert (item.__doc__ or "").strip(), f"{name}.{public} has no docstring"
