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
]
