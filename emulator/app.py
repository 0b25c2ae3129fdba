"""The WSGI application: moto's, wrapped by the pipeline described in registry.py."""
from __future__ import annotations

import json
import threading
from typing import Any, Callable, Iterable

from . import calllog
from . import faults
from . import registry
from .request import AwsRequest, AwsResponse, parse_request

CONTROL_PREFIX = "/_emulator"

# One request at a time: moto's models are not thread-safe against our extensions' changes,
# and a serialized emulator makes call logs and fault counters deterministic.
_lock = threading.RLock()


class EmulatorApp:
    def __init__(self, moto_app: Callable):
        self._moto_app = moto_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = _read_body(environ)
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            with _lock:
                _run_tick_hooks()
                return _answer_control(environ, path[len(CONTROL_PREFIX):], body, start_response)
        req = parse_request(environ, body)
        if req is None:
            return self._moto_app(_with_body(environ, body), start_response)
        delay = faults.delay_for(req)  # outside the lock: a delayed call must not stall others
        if delay:
            faults.sleep(delay)
        with _lock:
            response = self._handle(req, environ, body)
        start_response(f"{response.status} X", response.headers + [("Content-Length", str(len(response.body)))])
        return [response.body]

    def _handle(self, req: AwsRequest, environ: dict, body: bytes) -> AwsResponse:
        _run_tick_hooks()
        entry = calllog.record(req)
        response = faults.injected_error(req) or _first_answer(registry.before_hooks(req), req)
        if response is None:
            handler = registry.replace_handler(req)
            response = handler(req) if handler else self._call_moto(environ, body)
            if response.status < 300:
                for hook in registry.after_hooks(req):
                    response = hook(req, response) or response
        calllog.finish(entry, response)
        return response

    def _call_moto(self, environ: dict, body: bytes) -> AwsResponse:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> None:
            captured["status"], captured["headers"] = int(status.split()[0]), headers

        chunks = self._moto_app(_with_body(environ, body), capture)
        data = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        return AwsResponse(captured["status"], data, headers)


def _first_answer(hooks: list, req: AwsRequest) -> AwsResponse | None:
    for hook in hooks:
        response = hook(req)
        if response is not None:
            return response
    return None


def _run_tick_hooks() -> None:
    for hook in registry.tick_hooks():
        hook()


def _answer_control(environ: dict, route: str, body: bytes, start_response: Callable) -> list[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    handler = registry.control_handler(method, route)
    if handler is None:
        status, payload = 404, {"error": f"no control route {method} {CONTROL_PREFIX}{route}"}
    else:
        try:
            status, payload = handler(json.loads(body) if body else _query(environ))
        except (KeyError, ValueError, TypeError) as err:
            status, payload = 400, {"error": f"{type(err).__name__}: {err}"}
    data = json.dumps(payload).encode()
    start_response(f"{status} X", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _query(environ: dict) -> dict:
    from urllib.parse import parse_qs

    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _read_body(environ: dict) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _with_body(environ: dict, body: bytes) -> dict:
    import io

    copy = dict(environ)
    copy["wsgi.input"] = io.BytesIO(body)
    copy["CONTENT_LENGTH"] = str(len(body))
    return copy
