from io import BytesIO

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from PIL import Image, ImageOps

from config.text import LineField
from config.uploads import safe_name, validate_image_upload

from . import zones
from .models import User

AVATAR_SIZE = 256


class SignupExtraForm(forms.Form):
    """Fields allauth's sign-up form gains (ACCOUNT_SIGNUP_FORM_CLASS)."""

    display_name = LineField(max_length=60, required=False, help_text="Shown to other people.")
    # Filled by the page's script with the browser's zone (Intl.DateTimeFormat); empty without JS.
    time_zone = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-tz-guess": ""}))

    def clean_time_zone(self):
        """The browser's guess, or the site's default when it is missing or unknown (never an error)."""
        return zones.zone_or_default(self.cleaned_data.get("time_zone"))

    def signup(self, request, user):
        user.display_name = self.cleaned_data.get("display_name", "")
        user.time_zone = self.cleaned_data.get("time_zone") or zones.default_time_zone()
        user.save(update_fields=["display_name", "time_zone"])


class ProfileForm(forms.ModelForm):
    # A plain FileField: our own checks (size first, then content) give the
    # messages, not Django's generic "upload a valid image".
    avatar = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
        help_text="JPEG, PNG, WebP or GIF, up to 2 MB. It is cropped to a square.",
    )

    class Meta:
        model = User
        fields = ["display_name", "bio", "avatar", "time_zone"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        options = zones.choices()
        current = self.instance.time_zone
        if current and all(current != value for _, group in options[1:] for value, _ in group) and current != "UTC":
            options = [(current, current), *options]  # a name kept from before (an alias): still selectable
        field.widget = forms.Select(choices=options)
        field.required = False  # a form sent without it (an old page, a script) keeps the zone as it is

    def clean_time_zone(self):
        value = (self.cleaned_data.get("time_zone") or "").strip()
        if not value:
            return self.instance.time_zone or zones.default_time_zone()
        return zones.canonical(value) if zones.is_valid(value) else value  # an unknown name: the model says so

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if not avatar or avatar == self.instance.avatar:
            return avatar
        validate_image_upload(avatar, settings.AVATAR_MAX_BYTES)
        # Re-encode: a square thumbnail, no metadata, never the uploaded bytes.
        with Image.open(avatar) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE))
            out = BytesIO()
            image.save(out, format="JPEG", quality=85)
        name = safe_name(avatar.name).rsplit(".", 1)[0] + ".jpg"
        return InMemoryUploadedFile(out, "avatar", name, "image/jpeg", out.tell(), None)
