from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from config.uploads import serve_private_file

from .forms import ProfileForm
from .models import User
from .services import profile_update


@login_required
def profile_edit(request):
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, instance=request.user)
        if form.is_valid():
            profile_update(user=request.user, form=form)
            messages.success(request, "Your profile was saved.")
            return redirect("profile_edit")
        messages.error(request, "Please correct the errors below.")
    else:
        form = ProfileForm(instance=request.user)
    return render(request, "accounts/profile_edit.html", {"form": form})


@require_GET
def avatar(request, user_id):
    """Avatars are public (shown on gigs and profiles) but served through Django."""
    user = get_object_or_404(User.objects.only("avatar"), pk=user_id, is_active=True)
    return serve_private_file(user.avatar, as_attachment=False)
