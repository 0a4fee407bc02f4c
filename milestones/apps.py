from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    name = "milestones"

    def ready(self):
        # Funding a milestone is a payments checkout purpose: the charge, the
        # escrow posting and the transition to "funded" happen in one transaction.
        from config import sweeps
        from payments.checkout import register_purpose

        from . import services, timers

        register_purpose(
            "milestone",
            validate=services.validate_milestone_checkout,
            on_paid=services.milestone_funded,
            posting="escrow",
            group=services.milestone_transfer_group,
        )
        for order, (name, sweep) in enumerate(timers.SWEEPS.items(), start=1):
            sweeps.register("milestones", name, sweep, order=order * 10)
