from django.urls import path

from config import converters  # noqa: F401 - registers the <id:> path converter

from . import views

app_name = "marketplace"

urlpatterns = [
    # Browse and gig pages. ``gig_detail`` takes a slug; ``gig_detail`` with an
    # integer id (reversed with args=[pk]) redirects to the slug address.
    path("gigs/", views.gig_list, name="gig_list"),
    path("gigs/<id:pk>/", views.gig_by_id, name="gig_detail"),
    path("gigs/<slug:slug>/", views.gig_detail, name="gig_detail"),
    path("gigs/<slug:slug>/contact/", views.gig_contact, name="gig_contact"),
    path("gigs/<slug:slug>/request-offer/", views.gig_request_offer, name="gig_request_offer"),
    path("gig-images/<id:pk>/<str:variant>.jpg", views.gig_image, name="gig_image"),
    # Selling
    path("selling/gigs/", views.my_gigs, name="my_gigs"),
    path("selling/gigs/new/", views.gig_create, name="gig_create"),
    path("selling/gigs/<id:pk>/edit/", views.gig_edit, name="gig_edit"),
    path("selling/gigs/<id:pk>/pause/", views.gig_pause, name="gig_pause"),
    path("selling/gigs/<id:pk>/activate/", views.gig_activate, name="gig_activate"),
    path("selling/gigs/<id:pk>/delete/", views.gig_delete, name="gig_delete"),
    # People
    path("sellers/<id:pk>/", views.seller_profile, name="seller_profile"),
    # Inbox
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<id:pk>/", views.conversation, name="conversation"),
    path("inbox/<id:pk>/files/<id:attachment_pk>/", views.attachment, name="attachment"),
]
