"""The staff Resolution Center (not namespaced: the page frame links to ``staff_disputes``)."""

from django.urls import path

from . import staff

urlpatterns = [
    path("disputes/", staff.dispute_queue, name="staff_disputes"),
    path("disputes/<int:pk>/", staff.dispute_case, name="staff_dispute"),
    path("disputes/<int:pk>/resolve", staff.dispute_resolve, name="staff_dispute_resolve"),
    path("disputes/<int:pk>/message", staff.dispute_message, name="staff_dispute_message"),
    path(
        "disputes/<int:pk>/conversation-files/<int:attachment_pk>",
        staff.conversation_file,
        name="staff_conversation_file",
    ),
]
