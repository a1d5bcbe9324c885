from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Concat
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.alerts import alert_resolve
from portal.cog import adult_birth_place
from portal.models import Adult, Child, Household, OperationalAlert, User
from portal.roles import VisibleFamiliesAdminMixin, is_manager


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by services (history, consents, answers from DGFiP): agents read them, nobody edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_active", "is_staff", "email_confirmed_at", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["email"]
    readonly_fields = ["date_joined", "last_login", "email_confirmed_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Droits"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["date_joined", "last_login", "email_confirmed_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.display(description=_("lieu de naissance"))
def birth_place(adult):
    """The INSEE codes the holder picked, by their names (« Nantes (Loire-Atlantique), France »)."""
    return adult_birth_place(adult) or "—"


class AdultInline(admin.StackedInline):
    model = Adult
    extra = 0
    max_num = 2
    readonly_fields = [birth_place]


class ChildInline(admin.TabularInline):
    model = Child
    extra = 0
    fields = [
        "first_names",
        "last_name",
        "birth_date",
        "school",
        "class_level",
        "has_disability",
        "diet",
        "has_pai",
    ]


@admin.register(Household)
class HouseholdAdmin(VisibleFamiliesAdminMixin, admin.ModelAdmin):
    list_display = ["holder", "owner", "created_at"]
    list_select_related = ["owner"]
    search_fields = ["owner__email", "adults__last_name", "adults__first_names", "children__last_name"]
    inlines = [AdultInline, ChildInline]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        """The holder's name read with the rows (Household.__str__ would ask for it once per row)."""
        holder = Adult.objects.filter(household=OuterRef("pk"), role=Adult.Role.HOLDER).annotate(
            name=Concat("first_names", Value(" "), "last_name", output_field=CharField())
        )
        return super().get_queryset(request).annotate(holder_name=Subquery(holder.values("name")[:1]))

    @admin.display(description=_("foyer"))
    def holder(self, obj):
        return obj.holder_name or obj.owner.email


@admin.register(Adult)
class AdultAdmin(VisibleFamiliesAdminMixin, admin.ModelAdmin):
    household_lookup = "household"
    list_display = ["last_name", "first_names", "role", "household", "email", "phone"]
    list_filter = ["role"]
    search_fields = ["last_name", "first_names", "email", "household__owner__email"]
    raw_id_fields = ["household"]
    readonly_fields = [birth_place]


@admin.register(Child)
class ChildAdmin(VisibleFamiliesAdminMixin, admin.ModelAdmin):
    household_lookup = "household"
    list_display = [
        "last_name",
        "first_names",
        "birth_date",
        "school",
        "class_level",
        "diet",
        "has_pai",
        "has_disability",
    ]
    list_filter = ["school", "class_level", "diet", "has_pai", "has_disability"]
    search_fields = ["last_name", "first_names", "household__owner__email"]
    raw_id_fields = ["household"]


class OpenAlertFilter(admin.SimpleListFilter):
    title = _("état")
    parameter_name = "ouverte"

    def lookups(self, request, model_admin):
        return [("1", _("Ouvertes")), ("0", _("Résolues"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(resolved_at__isnull=self.value() == "1")
        return queryset


def can_resolve_alerts(user) -> bool:
    """A superuser or a Responsable: the people who can get the cause fixed."""
    return is_manager(user)


@admin.register(OperationalAlert)
class OperationalAlertAdmin(ReadOnlyAdmin):
    """Every agent reads the alerts (they hold no personal data); resolving one is for those who can act."""

    list_display = ["message", "first_seen", "last_seen", "occurrences", "resolved_at"]
    list_filter = [OpenAlertFilter, "kind"]
    actions = ["resolve"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_resolve_permission(self, request):
        return can_resolve_alerts(request.user)

    @admin.action(description=_("Marquer comme résolues"), permissions=["resolve"])
    def resolve(self, request, queryset):
        resolved = sum(alert_resolve(alert=alert) for alert in queryset)
        self.message_user(
            request,
            ngettext("%(count)d alerte résolue.", "%(count)d alertes résolues.", resolved)
            % {"count": resolved},
            messages.SUCCESS,
        )


class TOTPDeviceAdmin(otp_totp_admin.TOTPDeviceAdmin):
    """django-otp's, but an id that is no device is « not found » (its config and QR code views raised
    DoesNotExist, a 500) before the permission check."""

    def config_view(self, request, pk):
        get_object_or_404(TOTPDevice, pk=pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request, pk):
        get_object_or_404(TOTPDevice, pk=pk)
        return super().qrcode_view(request, pk)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, TOTPDeviceAdmin)
