from django.urls import path

from config import converters  # noqa: F401 - registers the <id:> path converter

from . import views

app_name = "payments"

urlpatterns = [
    path("checkout/<uuid:checkout_uuid>/", views.checkout, name="checkout"),
    path("history/", views.history, name="history"),
    path("receipts/<uuid:checkout_uuid>/", views.receipt, name="receipt"),
    path("earnings/", views.earnings, name="earnings"),
    path("tip/<id:seller_id>/", views.tip, name="tip"),
    path("earnings/payout-account/", views.payout_account_setup, name="payout_account_setup"),
    path("earnings/payout-account/return/", views.payout_account_return, name="payout_account_return"),
    path("earnings/payout-account/refresh/", views.payout_account_refresh, name="payout_account_refresh"),
    path("stripe/webhook", views.stripe_webhook, name="stripe_webhook"),
]
