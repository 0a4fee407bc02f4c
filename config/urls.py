from django.contrib import admin
from django.urls import include, path

from orders import views as order_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("marketplace.urls")),
    path("", include("orders.urls")),
    path("dashboard/", order_views.dashboard, name="dashboard"),
    path("notifications/", order_views.notifications, name="notifications"),
    path("notifications/read", order_views.notifications_read, name="notifications_read"),
    path("payments/", include("payments.urls")),
    path("staff/", include("orders.urls_staff")),
    path("admin/", admin.site.urls),
]

handler400 = "config.views.error_400"
handler403 = "config.views.error_403"
handler404 = "config.views.error_404"
handler500 = "config.views.error_500"
