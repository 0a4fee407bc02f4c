"""Admin pages that write leave a staff audit row (``accounts.audit``), the same log the staff pages write.

:class:`AuditedAdmin` is the base of every project admin that may add, change or delete
rows by hand (a test over the admin's registry fails on one that is not). Django calls its
``log_*`` hooks after each write of the change form, the list's inline edit and the
password form, and before each delete (one object or a bulk ``delete_selected``), inside
the write's transaction where the page has one; each hook adds the audit row next to
Django's own ``LogEntry``. An admin whose writes go through a service that records its
own row (``GigAdmin`` and ``marketplace.services.gig_staff_save``) lists those verbs in
``audited_by_service``.
"""

from config.admin import MoneyAdmin

from .audit import admin_edit_record


class AuditedAdmin(MoneyAdmin):  # money columns show as dollars (config.admin.MoneyFieldsMixin)
    audited_by_service: tuple[str, ...] = ()  # "add", "change", "delete": written by the admin's service

    def _audit(self, request, verb, objects, entries):
        if verb in self.audited_by_service:
            return
        messages = [entry.get_change_message() for entry in entries] if entries else []
        for index, obj in enumerate(objects):
            message = messages[index] if index < len(messages) else ""
            admin_edit_record(staff=request.user, verb=verb, obj=obj, message=message)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._audit(request, "add", [obj], [entry])
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._audit(request, "change", [obj], [entry])
        return entry

    def log_deletions(self, request, queryset):
        objects = list(queryset)
        entries = super().log_deletions(request, objects)
        self._audit(request, "delete", objects, [])
        return entries
