"""Running the ```python blocks of a Markdown file (README.md, the docs pages).

The blocks of one file run in order in one namespace (a later block may use names an
earlier one defined, as a reader pasting them into one session would), in a temporary
directory, each once; the outcome of block i is None or its formatted error.
"""
import os
import re
import traceback

FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def python_blocks(text):
    """(line number, code) of each ```python fenced block."""
    return [(text[:m.start()].count("\n") + 1, m.group(1)) for m in FENCE.finditer(text)]


def run_blocks(blocks, name, directory):
    """Run (line, code) blocks in order in one namespace inside `directory`;
    {index: None or the formatted error}."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace = {"__name__": "__markdown__"}
    results = {}
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        for i, (line, code) in enumerate(blocks):
            try:
                exec(compile(code, f"{name} (block at line {line})", "exec"), namespace)
                results[i] = None
            except BaseException:            # noqa: B902 - report whatever the block raised
                results[i] = traceback.format_exc()
    finally:
        os.chdir(cwd)
    return results
