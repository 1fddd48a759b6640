"""Write dualad/modes/reverse/fastops_generated.py from the primitive table's rows.

Run after changing a row's ``fast`` operator or its partials: ``python scripts/gen_fast_ops.py``
(``--check`` exits 1 when the file is stale; tests/modes/test_fastops.py does that check).
"""
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent.parent
TARGET = HERE / "dualad" / "modes" / "reverse" / "fastops_generated.py"


def main(argv):
    sys.path.insert(0, str(HERE))
    from dualad.modes.reverse import fastops   # the table is complete once dualad imports
    from dualad import rules  # noqa: F401
    text = fastops.source()
    if "--check" in argv:
        current = TARGET.read_text() if TARGET.exists() else ""
        return 0 if current == text else 1
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
