"""The package version, in a leaf module that every layer may import (no upward arrow to the root)."""

__version__ = "0.1.0.dev0"
