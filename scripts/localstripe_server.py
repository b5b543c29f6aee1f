"""Run localstripe (the fake Stripe server, a dev dependency) the way this project needs it.

``make run`` starts it from Procfile.dev and the test fixture starts one per test session on a
free port. Why a launcher instead of ``python -m localstripe`` (docs/payments.md, "localstripe"):

- it listens on loopback only (localstripe itself binds every interface);
- it keeps its state in the file given with ``--state`` (localstripe always writes
  ``/tmp/localstripe.pickle``, shared by every instance on the machine, after every write), or
  in memory only without ``--state``;
- it registers the webhook endpoint in-process (``--webhook-url``/``--webhook-secret``), so
  events are signed with the same secret the app checks;
- it accepts ``off_session`` on ``POST /v1/payment_intents/{id}/confirm``, which Stripe takes
  and localstripe rejects with a 400: the app confirms off-session charges with it.

Usage: python scripts/localstripe_server.py --port 8420 [--state var/localstripe.pickle]
       [--webhook-url http://127.0.0.1:8000/payments/stripe/webhook/ --webhook-secret whsec_…]
"""

from __future__ import annotations

import argparse
import logging
import os
import pickle
import sys
from pathlib import Path
from typing import Any


def _patch_store(state: Path | None) -> None:
    from localstripe import resources

    def load(self: Any) -> None:
        if state is None or not state.exists():
            return
        try:
            with state.open("rb") as f:
                old = pickle.load(f)  # our own file, written below
        except (OSError, EOFError, pickle.UnpicklingError):
            return
        self.clear()
        self.update(old)

    def dump(self: Any) -> None:
        if state is None:
            return
        tmp = state.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(dict(self), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, state)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump


def _patch_confirm() -> None:
    """Stripe's confirm takes ``off_session``; localstripe's refuses any parameter."""
    from localstripe import resources

    original = resources.PaymentIntent._api_confirm.__func__

    @classmethod  # type: ignore[misc]
    def confirm(cls: Any, id: str, off_session: Any = None, **kwargs: Any) -> Any:
        return original(cls, id, **kwargs)

    resources.PaymentIntent._api_confirm = confirm
    # The route table is built from extra_apis when localstripe.server is imported: swap the
    # entry there too (this runs before that import).
    route = "/v1/payment_intents/{id}/confirm"
    resources.extra_apis[:] = [
        (method, url, resources.PaymentIntent._api_confirm if url == route else func)
        for method, url, func in resources.extra_apis
    ]


async def _stripe_js_in_a_block(request: Any, handler: Any) -> Any:
    """localstripe's stand-in for Stripe.js declares a top-level ``class Element``, which
    shadows the DOM's ``Element`` for every script on the page (Bootstrap then throws on its
    first lookup). Served inside a block, its declarations stay local; ``Stripe`` is assigned,
    not declared, so it is still the global the page uses."""
    response = await handler(request)
    if request.path == "/js.stripe.com/v3/" and response.status == 200:
        response.text = "{\n" + response.text + "\n}\n"
    return response


_stripe_js_in_a_block.__middleware_version__ = 1  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state", type=Path, default=None)
    parser.add_argument("--webhook-url", default="")
    parser.add_argument("--webhook-secret", default="")
    args = parser.parse_args(argv)

    _patch_store(args.state)
    _patch_confirm()
    # Imported after the patches: the server module builds its routes from extra_apis.
    from aiohttp import web
    from localstripe import server
    from localstripe.resources import store
    from localstripe.webhooks import register_webhook

    server.app.middlewares.append(_stripe_js_in_a_block)
    store.try_load_from_disk()
    if args.webhook_url:
        register_webhook("homeknots", args.webhook_url, args.webhook_secret, None)

    logger = logging.getLogger("aiohttp.access")
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler(sys.stdout))
    print(f"localstripe listening on http://{args.host}:{args.port}", flush=True)
    web.run_app(server.app, host=args.host, port=args.port, access_log=logger, print=None)


if __name__ == "__main__":
    main()
