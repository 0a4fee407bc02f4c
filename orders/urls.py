from django.urls import path

from . import views, views_disputes

app_name = "orders"

urlpatterns = [
    path("orders/<int:pk>/", views.order_detail, name="detail"),
    path("orders/<int:pk>/add-milestone", views.order_add_milestone, name="add_milestone"),
    path("orders/<int:pk>/stop", views.order_stop, name="stop"),
    path("orders/<int:pk>/review", views.review_submit, name="review"),
    path("orders/<int:pk>/tip", views.order_tip, name="tip"),
    path("reviews/<int:pk>/reply", views.review_reply, name="review_reply"),
    path("milestones/<int:pk>/<slug:action>", views.milestone_action, name="milestone_action"),
    path("requests/<slug:kind>/<int:pk>/decide", views.request_decide, name="request_decide"),
    path("deliveries/files/<int:pk>", views.delivery_file, name="delivery_file"),
    path("conversations/<int:conversation_pk>/offer", views.offer_new, name="offer_new"),
    path("offers/<int:pk>/counter", views.offer_counter, name="offer_counter"),
    path("offers/<int:pk>/<slug:decision>", views.offer_respond, name="offer_respond"),
    path("gigs/<int:gig_pk>/order/<slug:tier>", views.order_package, name="order_package"),
    path("help/milestones/", views.lifecycle_help, name="lifecycle_help"),
    # disputes (the parties' pages; support staff work in /staff/disputes/)
    path("milestones/<int:pk>/dispute/open", views_disputes.dispute_open, name="dispute_open"),
    path("milestones/<int:pk>/dispute/", views_disputes.milestone_dispute, name="milestone_dispute"),
    path("disputes/<int:pk>/", views_disputes.dispute_detail, name="dispute_detail"),
    path("disputes/<int:pk>/<slug:action>", views_disputes.dispute_post, name="dispute_post"),
    path("settlements/<int:pk>/<slug:decision>", views_disputes.settlement_decide, name="settlement_decide"),
    path("disputes/files/<int:pk>", views_disputes.dispute_file, name="dispute_file"),
]
