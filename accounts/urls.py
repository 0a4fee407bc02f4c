from django.urls import path

from . import views

urlpatterns = [
    path("profile/", views.profile_edit, name="profile_edit"),
    path("users/<int:user_id>/avatar", views.avatar, name="avatar"),
]
