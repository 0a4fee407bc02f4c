"""Model shapes shared by the apps (abstract: no table of their own)."""

from django.db import models

from .uploads import private_upload_to


class Attachment(models.Model):
    """A file a person attached (to a message, a delivery, a dispute's evidence), checked by
    ``config.uploads.check_attachments``: the stored file, its safe name and its size in bytes.

    Each subclass adds what the file belongs to and redeclares ``file`` with its own folder
    (``private_upload_to("...")``); its ``Meta`` keeps its own ordering.
    """

    file = models.FileField(upload_to=private_upload_to("attachments"))
    name = models.CharField(max_length=120)
    size = models.PositiveIntegerField()

    class Meta:
        abstract = True

    def __str__(self):
        return self.name
