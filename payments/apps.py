from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self):
        # Tips are paid through the shared checkout like everything else.
        from config import sweeps

        from .checkout import register_purpose
        from .connect import transfers_send
        from .services import checkouts_recover, earnings_clear, tip_on_paid, tip_validate

        register_purpose("tip", on_paid=tip_on_paid, validate=tip_validate, posting="tip", service_fee=False)
        sweeps.register("payments", "clearance", earnings_clear, order=80)
        sweeps.register("payments", "card_payments_recovered", checkouts_recover, order=90)
        # With Stripe Connect: cleared earnings to sellers' connected accounts (nothing to do on the sandbox)
        sweeps.register("payments", "transfers_sent", transfers_send, order=100)
