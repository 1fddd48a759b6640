"""Where a traced value was converted to a plain number: read from the stack, for errors.

Walking out from dualad's refusal, the first frame outside dualad is either library code
(NumPy, SciPy, scikit-learn, the standard library: files under the interpreter's install
paths) or the user's. For library code the error names the function the user called
(the outermost library frame, under its public name: ``scipy.integrate.trapezoid``); for
the user's own code it quotes the expression being executed (``np.float64(x)``,
``a[0] = ...``), which Python 3.11 locates exactly (``co_positions``).
"""
import dis
import inspect
import linecache
import os
import sys
import sysconfig

_DUALAD = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_LIBRARY = tuple(sorted({os.path.abspath(p) + os.sep for k, p in sysconfig.get_paths().items()
                         if k in ("stdlib", "platstdlib", "purelib", "platlib")} | {
    os.path.abspath(os.path.dirname(os.path.dirname(inspect.getfile(inspect))))
    + os.sep}))


def _kind(frame):
    name = frame.f_code.co_filename
    if name.startswith(_DUALAD):
        return "dualad"
    if name.startswith(_LIBRARY) or name.startswith("<frozen"):
        return "library"
    return "user"


def public_name(frame):
    """``package.function`` for a library frame: the shortest module path under which the
    function is reachable (``scipy.integrate.trapezoid``, not ``..._quadrature``), or None."""
    code = frame.f_code
    module = frame.f_globals.get("__name__", "?")
    parts = module.split(".")
    for j in range(1, len(parts) + 1):
        mod = sys.modules.get(".".join(parts[:j]))
        obj = getattr(mod, code.co_name, None)
        for cand in (obj, getattr(obj, "_implementation", None)):
            try:
                if cand is not None and inspect.unwrap(cand).__code__ is code:
                    return ".".join(parts[:j]) + "." + code.co_name
            except AttributeError:
                pass
    return None


def _library_name(frames):
    """The name of the library function the user called, from its frames (outermost
    first): the outermost with a public name (decorator wrappers have none)."""
    for frame in frames:
        name = public_name(frame)
        if name is not None:
            return name
    frame = frames[0]
    return (frame.f_globals.get("__name__", "?") + "."
            + getattr(frame.f_code, "co_qualname", frame.f_code.co_name))


def _executing(frame):
    """(opname, source text) of the instruction ``frame`` is executing."""
    code, lasti = frame.f_code, frame.f_lasti
    try:
        op = dis.opname[code.co_code[lasti]]
        line, end, col, end_col = list(code.co_positions())[lasti // 2]
    except (IndexError, ValueError, TypeError):
        return None, None
    if line is None or col is None:
        return op, None
    if end == line:
        text = linecache.getline(code.co_filename, line)[col:end_col]
    else:
        text = linecache.getline(code.co_filename, line)[col:].rstrip() + " ..."
    return op, text.strip() or None


class Site:
    """Where a conversion happened: ``library`` (public name of the function the user
    called, or None), and the user's frame: file, line, and the expression executing."""

    def __init__(self, library, frame):
        self.library = library
        self.file = frame.f_code.co_filename
        self.line = frame.f_lineno
        self.function = frame.f_code.co_name
        self.op, self.text = _executing(frame)

    @property
    def stores_into_plain_array(self):
        return self.library is None and self.op == "STORE_SUBSCR"

    def what(self, default):
        """What converted the value, in the user's terms (``default``: dualad's hook)."""
        if self.stores_into_plain_array:
            return (f"`{self.text} = ...` into a plain NumPy array" if self.text
                    else "a write into a plain NumPy array")
        if self.library is None and self.text and self.op and self.op.startswith("CALL"):
            hook = default.strip("(). ")
            return f"`{self.text}`" if hook in self.text else f"`{self.text}` ({default})"
        return default

    def describe(self):
        at = f"{os.path.basename(self.file)}:{self.line}"
        if self.library:
            return f"in {self.library}, called at {at}"
        return f"at {at}"

    def fix(self):
        """The fix that applies here, or ''."""
        if self.library:
            return (f"{self.library} converts its input to plain numbers, which dualad "
                    "cannot differentiate through: write that step with NumPy functions "
                    "on the traced value, or declare it with dualad.primitive and give it "
                    "jvp/vjp rules.")
        if self.stores_into_plain_array:
            return ("A traced value cannot be stored into a plain array made outside the "
                    "traced computation (np.zeros, np.empty, ...): make the array from a "
                    "traced value with np.zeros_like(x) / np.empty_like(x) (writes into it "
                    "are then recorded), or build it with np.stack([...]) / "
                    "np.array([...]).")
        text = self.text or ""
        if "float64(" in text or "float32(" in text:
            return ("A traced scalar already behaves as a float64: drop the conversion "
                    "(or use x.astype(...) on a traced array).")
        if text.startswith("math.") or ".math." in text:
            return "Use the NumPy function of the same name (np.sin, np.exp, ...)."
        if "fromiter(" in text:
            return "np.fromiter converts each element: build the array with np.array([...]) " \
                   "or np.stack([...]) of the traced values."
        return ""


def conversion_site():
    """The Site of the conversion being refused now, or None."""
    frame = sys._getframe(1)
    while frame is not None and _kind(frame) == "dualad":
        frame = frame.f_back
    if frame is None:
        return None
    library = []
    while frame is not None and _kind(frame) != "user":
        if _kind(frame) == "library":
            library.insert(0, frame)
        frame = frame.f_back
    if frame is None:
        return None
    return Site(_library_name(library) if library else None, frame)
