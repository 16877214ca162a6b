"""`python -m es360.embedded --port N --data DIR`: run the engine in the foreground."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from . import DEFAULT_PORT
from .server import DataDirLocked, serve_forever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m es360.embedded",
                                     description="Run the es360 embedded Elasticsearch-compatible engine.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    parser.add_argument("--data", default=".es360/engine", help="data directory (default .es360/engine)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    signal.signal(signal.SIGTERM, _stop)
    try:
        serve_forever(args.data, args.port)
    except DataDirLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
