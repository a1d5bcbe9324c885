"""Versions of what a commune deliberates (cantine's tariff grids, stationnement's zone maps and parking grid): a
version something was decided on (a quote, a card, an application) is never changed in place, so each keeps the
version it came from; changing it makes the next version. What both démarches share: the next number, the write that
makes a change on a version or on the next one, putting a version in force (services call them in their transaction
and write their own audit rows), and the admin's save that tells the agent which version the changes went to."""

from django import forms
from django.contrib import messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def next_version(queryset) -> int:
    """The number after the highest of `queryset`'s versions (unique per set: a concurrent one fails to save)."""
    return (queryset.aggregate(latest=Max("version"))["latest"] or 0) + 1


def version_save(*, versions, edited, changes: dict, agent, **fields):
    """Make `changes` on `edited` when nothing uses it (its `in_use`); otherwise leave it as it is and create the
    next version of `versions` with them (and `fields`, what the set shares: a period), in force if `edited` was.
    `edited` None: a new version. Call it inside the service's transaction (the version is locked)."""
    every = versions.model.objects  # `edited` may be of another set (a grid whose period the agent changed)
    if edited is not None and not every.select_for_update().get(pk=edited.pk).in_use:
        for name, value in changes.items():
            setattr(edited, name, value)
        edited.save(update_fields=list(changes))
        return edited
    was_active = edited is not None and edited.is_active
    if was_active:
        every.filter(pk=edited.pk).update(is_active=False)
    return versions.create(
        version=next_version(versions), is_active=was_active, created_by=agent, **fields, **changes
    )


def version_activate(*, versions, version):
    """Put `version` in force; the one of `versions` in force until now leaves it."""
    versions.select_for_update().filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    version.is_active = True
    version.save(update_fields=["is_active"])
    return version


def grid_json_field(*, example: str) -> forms.JSONField:
    """A deliberated grid's JSON in the admin, as the import and export files write it; the démarche's form checks
    it with the tariff engine's French messages."""
    return forms.JSONField(
        label=_("Grille (JSON)"),
        widget=forms.Textarea(attrs={"rows": 16, "cols": 80, "spellcheck": "false"}),
        help_text=_("Exemple : %(example)s") % {"example": example},
    )


class NewVersionOnSaveAdmin:
    """ModelAdmin mixin: saving goes through `save_version` (which calls the démarche's service), which changes the
    version in place when nothing uses it and otherwise makes a new version from it. The agent is told when that happened, and
    the page (its inlines, « Enregistrer et continuer ») goes on with the version saved.

    `save_version` returns the version saved and, when it copied the one edited, the copies of the rows the page's
    inlines edit, as {model: {original pk: copy pk}}: each inline's changes are then made on the copies."""

    in_use_message = _(
        "La version %(old)s est utilisée par des demandes : vos changements forment la version %(new)s."
    )

    def save_version(self, request, obj, form, change):
        """Save through the service; leave `obj` as the row saved (its copy, when copied). Returns the version
        saved and the copies ({} when changed in place)."""
        raise NotImplementedError

    def version_of(self, obj):
        """The versioned object an edited row belongs to (itself, or the zone map of a zone)."""
        return obj

    def save_model(self, request, obj, form, change):
        edited = self.version_of(obj)
        edited_pk, edited_version = edited.pk, edited.version  # before the save re-points `obj`
        saved, copies = self.save_version(request, obj, form, change)
        if change and saved.pk != edited_pk:
            self.message_user(
                request, self.in_use_message % {"old": edited_version, "new": saved.version}, messages.WARNING
            )
        obj._version_copies = copies

    def response_change(self, request, obj):
        """« Enregistrer et continuer » opens the version saved (Django's goes back to the address posted to)."""
        response = super().response_change(request, obj)
        if "_continue" in request.POST:
            opts = obj._meta
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[obj.pk],
                current_app=self.admin_site.name,
            )
            filters = {"preserved_filters": self.get_preserved_filters(request), "opts": opts}
            response["Location"] = add_preserved_filters(filters, url)
        return response

    def save_formset(self, request, form, formset, change):
        copies = getattr(formset.instance, "_version_copies", {}).get(formset.model)
        if copies is None:
            return super().save_formset(request, form, formset, change)
        # The forms are bound to the original's rows: their changes go to the rows' copies.
        for row in formset.save(commit=False):
            if row.pk is not None:
                row.pk = copies[row.pk]
            setattr(row, formset.fk.name, formset.instance)
            row.save()
        formset.model.objects.filter(pk__in=[copies[row.pk] for row in formset.deleted_objects]).delete()
        formset.save_m2m()
        return None
