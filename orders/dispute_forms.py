"""Forms of the dispute pages (parties) and of the Resolution Center (staff). HTTP parsing only."""

from django import forms

from accounts.second_factor import SecondFactorFormMixin
from config.money import AmountField
from config.uploads import attachments_help, check_attachments

from .forms import MultipleFileField
from .models import DisputeOutcome, DisputeReason


class _FilesMixin:
    def clean_files(self):
        return check_attachments(self.cleaned_data.get("files"), per="message")


class DisputeOpenForm(_FilesMixin, forms.Form):
    reason = forms.ChoiceField(choices=DisputeReason.choices, widget=forms.RadioSelect)
    description = forms.CharField(
        label="What happened?",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Be specific: what was agreed, what was delivered, what you tried. Support reads this first.",
    )
    files = MultipleFileField(required=False, help_text=f"Evidence: {attachments_help()}")


class DisputeMessageForm(_FilesMixin, forms.Form):
    body = forms.CharField(label="Message", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(required=False, help_text=attachments_help())


class _OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=DisputeOutcome.choices, widget=forms.RadioSelect)
    seller_amount = AmountField(
        label="Seller's share (USD, for a split)",
        required=False,
        help_text="Of the amount held in escrow; the rest goes back to the buyer's balance. "
        "The seller commission applies to the seller's share.",
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == DisputeOutcome.SPLIT and data.get("seller_amount") is None:
            if "seller_amount" not in self.errors:
                self.add_error("seller_amount", "Enter the seller's share of the split.")
        elif data.get("outcome") != DisputeOutcome.SPLIT:
            data["seller_amount"] = None
        return data


class SettlementForm(_OutcomeForm):
    note = forms.CharField(
        label="Note (optional)", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(SecondFactorFormMixin, _OutcomeForm):
    """Build with ``user=request.user``: a decision moves money, so support types a code (accounts.second_factor)."""

    decision = forms.CharField(
        label="Decision",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Shown to both parties: what you found and why you decided this way.",
    )
