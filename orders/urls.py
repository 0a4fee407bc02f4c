from django.urls import path

from config import converters  # noqa: F401 - registers the <id:> path converter

from . import views, views_disputes, views_live

app_name = "orders"

urlpatterns = [
    path("orders/<id:pk>/", views.order_detail, name="detail"),
    path("orders/<id:pk>/add-milestone", views.order_add_milestone, name="add_milestone"),
    path("orders/<id:pk>/stop", views.order_stop, name="stop"),
    path("orders/<id:pk>/review", views.review_submit, name="review"),
    path("orders/<id:pk>/tip", views.order_tip, name="tip"),
    path("reviews/<id:pk>/reply", views.review_reply, name="review_reply"),
    path("milestones/<id:pk>/<slug:action>", views.milestone_action, name="milestone_action"),
    path("requests/<slug:kind>/<id:pk>/decide", views.request_decide, name="request_decide"),
    path("deliveries/files/<id:pk>", views.delivery_file, name="delivery_file"),
    path("conversations/<id:conversation_pk>/offer", views.offer_new, name="offer_new"),
    path("offers/<id:pk>/counter", views.offer_counter, name="offer_counter"),
    path("offers/<id:pk>/<slug:decision>", views.offer_respond, name="offer_respond"),
    path("gigs/<id:gig_pk>/order/<slug:tier>", views.order_package, name="order_package"),
    path("help/milestones/", views.lifecycle_help, name="lifecycle_help"),
    path("live/", views_live.live, name="live"),  # what an open page polls (static/js/live.js)
    # disputes (the parties' pages; support staff work in /staff/disputes/)
    path("milestones/<id:pk>/dispute/open", views_disputes.dispute_open, name="dispute_open"),
    path("milestones/<id:pk>/dispute/", views_disputes.milestone_dispute, name="milestone_dispute"),
    path("disputes/<id:pk>/", views_disputes.dispute_detail, name="dispute_detail"),
    path("disputes/<id:pk>/<slug:action>", views_disputes.dispute_post, name="dispute_post"),
    path("settlements/<id:pk>/<slug:decision>", views_disputes.settlement_decide, name="settlement_decide"),
    path("disputes/files/<id:pk>", views_disputes.dispute_file, name="dispute_file"),
]
