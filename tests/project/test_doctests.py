"""The examples in the public API's docstrings run (doctest), and every public name has one.

Each name of ``dualad.__all__`` (a function, a class with its methods, the ``optim``
module with its classes) is searched by ``doctest.DocTestFinder``; its examples run with
``np`` and ``ad`` (dualad) predefined, ELLIPSIS / NORMALIZE_WHITESPACE so long outputs
can be abbreviated, and IGNORE_EXCEPTION_DETAIL: an expected exception matches by class
name, wherever in the package the class is defined.
"""
import doctest
import inspect

import numpy as np
import pytest

import dualad

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL
NAMES = sorted(dualad.__all__)


def _tests(name):
    obj = getattr(dualad, name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    globs = {"np": np, "ad": dualad}
    return [t for t in finder.find(obj, f"dualad.{name}", globs=globs) if t.examples]


@pytest.mark.parametrize("name", NAMES)
def test_public_name_has_a_docstring_with_an_example(name):
    obj = getattr(dualad, name)
    doc = inspect.getdoc(obj)
    assert doc, f"dualad.{name} has no docstring"
    assert _tests(name), f"dualad.{name}'s docstring has no example (>>> lines)"


@pytest.mark.parametrize("name", NAMES)
def test_docstring_examples_run(name):
    report = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in _tests(name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
