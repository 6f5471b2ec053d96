"""The runnable examples in the docstrings of spacexnet_opt.moe stay true."""

import doctest
import importlib
import warnings

import pytest

MODULES = ["__init__", "profiles", "flops", "stats", "sampler", "loaders", "synthetic"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module("spacexnet_opt.moe" + ("" if name == "__init__" else f".{name}"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the loader example caps a probability on purpose
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
