"""The SDK's version: in the User-Agent of every request and in the package's metadata."""

__version__ = "0.1.0"
