"""The version dualad reports (``dualad.__version__``): the installed distribution's metadata."""
from importlib import metadata

try:
    VERSION = metadata.version("dualad")
except metadata.PackageNotFoundError:      # a source tree used without being installed
    VERSION = "0+unknown"
