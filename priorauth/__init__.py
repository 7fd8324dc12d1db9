"""priorauth: pre-review of prior-authorization requests for CT of the spine."""

__version__ = "0.1.0"
