"""The version dualad reports: the one in the installed distribution's metadata."""
from importlib import metadata

try:
    __version__ = metadata.version("dualad")
except metadata.PackageNotFoundError:      # a source tree used without being installed
    __version__ = "0+unknown"
