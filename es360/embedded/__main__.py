"""`python -m es360.embedded --port N --data DIR [--security] [--tls-cert F --tls-key F]`: run the engine."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from . import DEFAULT_PORT
from .server import DataDirLocked, serve_forever

PASSWORD_ENV = "ES360_ENGINE_ELASTIC_PASSWORD"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m es360.embedded",
                                     description="Run the es360 embedded Elasticsearch-compatible engine.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    parser.add_argument("--data", default=".es360/engine", help="data directory (default .es360/engine)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument("--security", action="store_true",
                        help=f"require authentication and enforce roles (superuser `elastic`, password from "
                             f"${PASSWORD_ENV})")
    parser.add_argument("--tls-cert", help="PEM certificate file: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key file of --tls-cert")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    password = os.environ.get(PASSWORD_ENV)
    if args.security and not password:
        print(f"error: security mode needs the password of the built-in superuser [elastic] in ${PASSWORD_ENV}.",
              file=sys.stderr)
        return 2
    if (args.tls_cert is None) != (args.tls_key is None):
        print("error: HTTPS needs both --tls-cert and --tls-key.", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    try:
        serve_forever(args.data, args.port, security=args.security, elastic_password=password,
                      tls_cert=args.tls_cert, tls_key=args.tls_key)
    except DataDirLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
