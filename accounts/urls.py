from django.urls import path

from config import converters  # noqa: F401 - registers the <id:> path converter

from . import views

urlpatterns = [
    path("profile/", views.profile_edit, name="profile_edit"),
    path("users/<id:user_id>/avatar", views.avatar, name="avatar"),
]
