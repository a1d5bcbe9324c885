"""What was written about dossiers: status history, messages to families and their emails, the audit log."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cantine import notifications
from cantine.models import DossierMessage, DossierStatusChange
from cantine.roles import VisibleDossiersAdminMixin
from portal.admin import ReadOnlyAdmin
from portal.models import AuditEntry


@admin.register(DossierStatusChange)
class DossierStatusChangeAdmin(VisibleDossiersAdminMixin, ReadOnlyAdmin):
    dossier_lookup = "dossier__"
    list_display = ["dossier", "from_status", "to_status", "at", "actor"]
    list_select_related = ["dossier__child", "dossier__service", "actor"]  # one query for the page, not per row
    list_filter = ["to_status"]
    search_fields = ["dossier__child__last_name"]


class DossierReferenceSearchMixin:
    """Search by the reference agents read on a dossier (D-000123) or its number."""

    search_fields = ["dossier__id"]
    search_help_text = _("La référence de la demande (« D- » suivi de son numéro) ou son numéro.")

    def get_search_results(self, request, queryset, search_term):
        number = search_term.strip().upper().removeprefix("D-")
        if not number:
            return queryset, False
        return queryset.filter(dossier_id=int(number)) if number.isdigit() else queryset.none(), False


@admin.register(AuditEntry)
class AuditEntryAdmin(DossierReferenceSearchMixin, ReadOnlyAdmin):
    """The audit log, append-only: read here by users with portal.view_auditentry, changed by no one."""

    list_display = ["at", "actor", "action", "dossier", "ip_address"]
    list_filter = ["action", ("actor", admin.RelatedOnlyFieldListFilter), "at"]
    list_select_related = ["actor", "dossier__child", "dossier__service"]
    date_hierarchy = "at"

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("portal.view_auditentry")


@admin.register(DossierMessage)
class DossierMessageAdmin(VisibleDossiersAdminMixin, DossierReferenceSearchMixin, ReadOnlyAdmin):
    """Messages to families and their emails: agents filter the failed ones and resend them."""

    dossier_lookup = "dossier__"
    list_display = ["created_at", "dossier", "kind", "recipient", "email_status", "attempts", "last_error"]
    list_filter = ["email_status", "kind", "created_at"]
    list_select_related = ["dossier__child", "dossier__service"]
    actions = ["resend"]

    def has_resend_permission(self, request):
        return request.user.has_perm("cantine.change_dossier")

    @admin.action(description=_("Renvoyer les courriels en échec"), permissions=["resend"])
    def resend(self, request, queryset):
        done = sum(notifications.dossier_message_resend(message=message) for message in queryset)
        self.message_user(
            request, ngettext("%d courriel sera renvoyé.", "%d courriels seront renvoyés.", done) % done
        )
        if done < len(queryset):
            self.message_user(
                request, _("Seuls les courriels en échec sont renvoyés."), level=messages.WARNING
            )
