"""The one exception type the CLI turns into a clear one-line message."""


class Es360Error(Exception):
    """A user-facing failure: its message is one sentence, printed without a traceback."""
