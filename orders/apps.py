from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        from config import sweeps
        from marketplace import hooks as marketplace
        from milestones import hooks as milestones
        from payments.checkout import register_purpose
        from payments.selectors import register_namer

        from .disputes import active_dispute, operator_resolve
        from .models import DisputeOutcome
        from .payment_names import milestone_names, tip_names
        from .selectors import attach_offers, offers_decided, published_reviews_about
        from .services import (
            PACKAGE_PURPOSES,
            on_order_completed,
            package_checkout_plan,
            package_checkout_validate,
            package_order_paid,
            package_order_prepare,
            package_plan_validate,
        )
        from .stats import seller_stats_recount
        from .timers import SWEEPS

        marketplace.register_reviews_source(published_reviews_about)
        for purpose in PACKAGE_PURPOSES:  # a package (or single price) ordered directly: made when paid
            register_purpose(
                purpose,
                validate=package_checkout_validate,
                prepare=package_order_prepare,
                on_paid=package_order_paid,
                posting="escrow",
                plan=package_checkout_plan,
            )
        marketplace.register_plan_validator(package_plan_validate)
        marketplace.register_message_decorator(attach_offers)
        marketplace.register_conversation_change(offers_decided)  # an offer card's answer updates open pages
        marketplace.register_stats_recount(seller_stats_recount)
        milestones.register_order_completed(on_order_completed)
        register_namer("milestone", milestone_names)  # the payments pages name payments by order and milestone
        register_namer("tip", tip_names)
        for name, outcome in (
            ("resolve_release", DisputeOutcome.RELEASE),
            ("resolve_refund", DisputeOutcome.REFUND),
            ("resolve_split", DisputeOutcome.SPLIT),
        ):
            milestones.register_operator_action(
                name, operator_resolve(outcome), available=active_dispute, split=outcome == DisputeOutcome.SPLIT
            )

        for (name, order), sweep in SWEEPS.items():
            sweeps.register("orders", name, sweep, order=order)
