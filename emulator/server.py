"""Entry point (python3 -m emulator): --port N [--profile instant|realistic|FILE]
[--time-scale X]. Prints `ready http://127.0.0.1:N` once it serves; runs until interrupted."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import threading

# Before moto is imported: the SSM managed-instance policy must exist for the helper's role.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from . import app  # noqa: E402
from . import clock  # noqa: E402
from . import extensions  # noqa: E402,F401  (registers every extension's hooks)


class EmulatorServer(ThreadedMotoServer):
    """moto's threaded server with its WSGI application wrapped by the emulator's pipeline."""

    def _server_entry(self) -> None:
        moto_app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(self._ip_address, self._port, app.EmulatorApp(moto_app), True)
        self._server_ready_event.set()
        self._server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--profile", default="instant", help="profile name or JSON file")
    parser.add_argument("--time-scale", type=float, default=None, help="overrides the profile's")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request access lines
    clock.load_profile(args.profile, args.time_scale)
    server = EmulatorServer(args.host, args.port, verbose=False)
    server.start()
    print(f"ready http://{args.host}:{args.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    extensions.shutdown()
    server.stop()


if __name__ == "__main__":
    main()
