"""A real localstripe process for the tests (not a mock of the ``stripe`` module), and what
Stripe.js would do in a browser, done over HTTP: confirm a SetupIntent with a test card, pass or
fail 3-D Secure. Started by a session fixture on a free port, so `make test` needs nothing
installed beyond the dev dependencies."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
PUBLISHABLE = "pk_test_localstripe"
SECRET = "sk_test_localstripe"
WEBHOOK_SECRET = "whsec_test_payments"

VISA = "4242424242424242"
DECLINED_AT_ATTACH = "4000000000000002"
DECLINED_AT_CHARGE = "4000000000000341"
NEEDS_AUTHENTICATION = "4000002500003155"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalStripe:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The secret-key API, as our server calls it (to look at what Stripe holds)."""
        return requests.request(
            method, f"{self.url}{path}", auth=(SECRET, ""), timeout=10, **kwargs
        )

    def confirm_setup(self, client_secret: str, number: str) -> requests.Response:
        """What ``stripe.confirmCardSetup`` does in the browser (localstripe's Stripe.js)."""
        seti = client_secret.split("_secret_")[0]
        response = requests.post(
            f"{self.url}/v1/setup_intents/{seti}/confirm",
            json={
                "key": PUBLISHABLE,
                "use_stripe_sdk": True,
                "client_secret": client_secret,
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
                },
            },
            timeout=10,
        )
        if response.status_code == 200 and response.json().get("status") == "requires_action":
            # The 3-D Secure window: the client completes it.
            response = requests.post(
                f"{self.url}/v1/setup_intents/{seti}/confirm",
                json={"key": PUBLISHABLE, "use_stripe_sdk": True, "client_secret": client_secret},
                timeout=10,
            )
        return response

    def authenticate(self, client_secret: str, *, success: bool = True) -> requests.Response:
        """What ``stripe.confirmCardPayment`` does for a payment that needs 3-D Secure."""
        pi = client_secret.split("_secret_")[0]
        return requests.post(
            f"{self.url}/v1/payment_intents/{pi}/_authenticate?success={str(success).lower()}",
            json={"key": PUBLISHABLE, "client_secret": client_secret},
            timeout=10,
        )

    def charges(self, customer: str) -> list[dict[str, Any]]:
        data = self.api("GET", "/v1/charges", params={"customer": customer, "limit": 100})
        return list(data.json()["data"])

    def intent(self, pi: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/v1/payment_intents/{pi}").json())

    def send_webhooks_to(self, url: str, secret: str = WEBHOOK_SECRET) -> None:
        response = requests.post(
            f"{self.url}/_config/webhooks/tests", data={"url": url, "secret": secret}, timeout=10
        )
        response.raise_for_status()


def start_localstripe(tmp: Path) -> LocalStripe:
    port = free_port()
    log = tmp / "localstripe.log"
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "localstripe_server.py"), "--port", str(port)],
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = LocalStripe(url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited: {log.read_text()}")
        try:
            if server.api("GET", "/v1/customers").status_code == 200:
                return server
        except requests.ConnectionError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"localstripe did not start: {log.read_text()}")


def signed_event(event: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    """An event body and its ``Stripe-Signature`` header, signed as Stripe (and localstripe)
    sign them."""
    payload = json.dumps(event).encode()
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), b"%d." % stamp + payload, hashlib.sha256).hexdigest()
    return payload, f"t={stamp},v1={mac}"


class SlowProxy:
    """An HTTP proxy in front of localstripe that answers ``/confirm`` requests late: the
    request reaches Stripe and is carried out, but its answer arrives after the app's timeout
    (what a slow network does)."""

    def __init__(self, target: str, *, delay: float) -> None:
        self.target = target
        self.delay = delay
        self.slow = True
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = requests.request(
                    self.command,
                    f"{proxy.target}{self.path}",
                    data=body,
                    headers=headers,
                    timeout=10,
                )
                if proxy.slow and self.path.split("?")[0].endswith("/confirm"):
                    time.sleep(proxy.delay)
                try:
                    self.send_response(answer.status_code)
                    self.send_header(
                        "Content-Type", answer.headers.get("Content-Type", "text/plain")
                    )
                    self.send_header("Content-Length", str(len(answer.content)))
                    self.end_headers()
                    self.wfile.write(answer.content)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the app gave up waiting, as intended

            do_GET = _forward
            do_POST = _forward
            do_DELETE = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SilentServer:
    """Accepts connections and never answers: Stripe hanging."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()
