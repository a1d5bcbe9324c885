"""What the commune offers: establishments, services and their periods."""

from django.contrib import admin

from cantine.models import Establishment, Period, Service


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "address"]


class PeriodInline(admin.TabularInline):
    model = Period
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["establishments"]
    inlines = [PeriodInline]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["label", "service", "starts_on", "ends_on", "enrolment_opens_on", "enrolment_closes_on"]
    list_filter = ["service"]
    search_fields = ["label"]
