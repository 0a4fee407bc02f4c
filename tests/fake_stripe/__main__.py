"""Run the fake Stripe API on its own, to try the Stripe provider by hand with no network (like
``stripe listen``, it forwards every event, signed, to the app's webhook):

    .venv/bin/python -m tests.fake_stripe --port 12111 --forward-to http://127.0.0.1:8000

and start the app with the environment it prints. The test cards are those of Stripe's test mode.
"""

import argparse
import sys
import time

from .server import FakeStripe


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_stripe")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--forward-to", default="http://127.0.0.1:8000", help="the app's base URL")
    args = parser.parse_args(argv)
    fake = FakeStripe().start(args.port)
    print("Fake Stripe API on", fake.url)
    print("Start the app with:")
    print(
        f"  PAYMENTS_PROVIDER=payments.providers.stripe.StripeProvider STRIPE_API_BASE={fake.url} "
        f"STRIPE_JS_URL={fake.url}/v3/ STRIPE_SECRET_KEY={fake.secret_key} "
        f"STRIPE_PUBLISHABLE_KEY={fake.publishable_key} STRIPE_WEBHOOK_SECRET={fake.webhook_secret}"
    )
    sys.stdout.flush()
    sent = 0
    try:
        while True:
            time.sleep(0.3)
            with fake.lock:
                waiting = list(fake.events[sent:])
            for event in waiting:
                try:
                    status, _body = fake.deliver(event, args.forward_to)
                except OSError as error:  # the app is not up (yet): send it again next round, as Stripe retries
                    print(f"{event['type']} {event['id']} -> not delivered ({error}); retrying", flush=True)
                    time.sleep(2)
                    break
                print(f"{event['type']} {event['id']} -> {status}", flush=True)
                sent += 1
    except KeyboardInterrupt:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
