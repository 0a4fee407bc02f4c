"""The staff Resolution Center (not namespaced: the page frame links to ``staff_disputes``)."""

from django.urls import path

from config import converters  # noqa: F401 - registers the <id:> path converter

from . import staff

urlpatterns = [
    path("disputes/", staff.dispute_queue, name="staff_disputes"),
    path("disputes/<id:pk>/", staff.dispute_case, name="staff_dispute"),
    path("disputes/<id:pk>/resolve", staff.dispute_resolve, name="staff_dispute_resolve"),
    path("disputes/<id:pk>/message", staff.dispute_message, name="staff_dispute_message"),
    path(
        "disputes/<id:pk>/conversation-files/<id:attachment_pk>",
        staff.conversation_file,
        name="staff_conversation_file",
    ),
]
