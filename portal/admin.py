from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from cantine.roles import VisibleFamiliesAdminMixin
from portal.models import Adult, Child, Household, User


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


class AdultInline(admin.StackedInline):
    model = Adult
    extra = 0
    max_num = 2


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
    list_display = ["__str__", "owner", "created_at"]
    search_fields = ["owner__email", "adults__last_name", "adults__first_names", "children__last_name"]
    inlines = [AdultInline, ChildInline]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at"]


@admin.register(Adult)
class AdultAdmin(VisibleFamiliesAdminMixin, admin.ModelAdmin):
    household_lookup = "household"
    list_display = ["last_name", "first_names", "role", "household", "email", "phone"]
    list_filter = ["role"]
    search_fields = ["last_name", "first_names", "email", "household__owner__email"]
    raw_id_fields = ["household"]


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
