import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cantine import notifications, pricing, roles, selectors, services, workflow
from cantine.admin_exports import BillingExportAdminMixin
from cantine.admin_review import DossierReviewAdminMixin
from cantine.income import admin as income_admin  # noqa: F401  registers the income step's admin
from cantine.models import (
    CommitteeSession,
    CrecheCapacity,
    CrecheChoice,
    CrecheContract,
    Dossier,
    DossierMessage,
    DossierStatusChange,
    Establishment,
    Period,
    PlaceOffer,
    PsuEffortRate,
    PsuResourceLimit,
    Service,
    TariffGrid,
    WaitingListCriterion,
)
from cantine.roles import VisibleDossiersAdminMixin
from cantine.simulators import GridComparisonAdminMixin
from portal.admin import ReadOnlyAdmin
from portal.audit import client_ip
from portal.models import AuditEntry


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


class ReadOnlyInline(admin.TabularInline):
    """Rows services write on the dossier: agents read them there, nobody adds or deletes them."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CrecheChoiceInline(ReadOnlyInline):
    model = CrecheChoice
    readonly_fields = ["rank", "establishment"]


class PlaceOfferInline(ReadOnlyInline):
    """The places the committee offered and the family's answers; the contract is in « Contrats d'accueil »."""

    model = PlaceOffer
    readonly_fields = [
        "session",
        "establishment",
        "age_group",
        "start_date",
        "deadline",
        "status",
        "decided_by",
    ]
    fields = readonly_fields


class HistoryInline(ReadOnlyInline):
    model = DossierStatusChange
    readonly_fields = ["at", "from_status", "to_status", "actor", "note"]
    fields = readonly_fields


class MessageInline(ReadOnlyInline):
    """What the family was told and whether the email went out; a failed one is resent from the messages list."""

    model = DossierMessage
    readonly_fields = ["created_at", "kind", "subject", "email_status", "attempts", "last_error", "sent_at"]
    fields = readonly_fields


class DecisionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Décision"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Message à la famille"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Obligatoire pour un refus ou une demande de pièces : la famille le lira."),
    )

    def __init__(self, *args, dossier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (status, Dossier.Status(status).label)
            for status in workflow.allowed_targets(dossier.status, workflow.Actor.AGENT)
        ]


class TariffOverrideForm(forms.Form):
    amount = forms.DecimalField(label=_("Tarif facturé (€)"), max_digits=8, decimal_places=2)
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Obligatoire : la famille la lira avec son nouveau tarif."),
    )

    def __init__(self, *args, dossier, **kwargs):
        super().__init__(*args, **kwargs)
        quote = getattr(dossier, "quote", None)
        self.fields["amount"].initial = quote.final_amount if quote else None


class PlaceOfferForm(forms.Form):
    """The committee's decision for one application: which of the family's crèches, from when, until when to answer."""

    session = forms.ModelChoiceField(label=_("Commission"), queryset=CommitteeSession.objects.none())
    establishment = forms.ModelChoiceField(label=_("Crèche"), queryset=Establishment.objects.none())
    start_date = forms.DateField(label=_("Date d'entrée"))
    deadline = forms.DateField(label=_("Réponse attendue au plus tard le"))
    weeks_per_year = forms.DecimalField(
        label=_("Semaines d'accueil par an"), max_digits=4, decimal_places=1, initial=45
    )
    months_billed = forms.DecimalField(label=_("Mois facturés"), max_digits=4, decimal_places=1, initial=11)

    def __init__(self, *args, dossier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = CommitteeSession.objects.filter(period=dossier.period)
        self.fields["establishment"].queryset = Establishment.objects.filter(
            pk__in=dossier.creche_choices.values("establishment")
        )
        self.fields["start_date"].initial = dossier.creche_start_date


@admin.register(Dossier)
class DossierAdmin(DossierReviewAdminMixin, BillingExportAdminMixin, admin.ModelAdmin):
    """The list, filters and page layout come from DossierReviewAdminMixin (cantine/admin_review.py)."""

    inlines = [CrecheChoiceInline, PlaceOfferInline, HistoryInline, MessageInline]
    actions = ["start_review", "accept", "recompute_tariff"]
    change_form_template = "admin/cantine/dossier/change_form.html"

    @admin.display(description=_("tarif"))
    def tariff(self, obj):
        """What is billed and where it comes from. The explanation quotes the household's income: it is shown with
        the fiscal data, to agents allowed to see them."""
        quote = getattr(obj, "quote", None)
        if quote is None:
            return _("pas encore calculé (aucune grille en vigueur à l'envoi)")
        computed = format_html(
            "{} € {} — {} v{}, {}",
            quote.amount,
            quote.unit_label,
            _("grille"),
            quote.grid.version,
            timezone.localtime(quote.computed_at).strftime("%d/%m/%Y %H:%M"),
        )
        if not quote.is_overridden:
            return format_html("<strong>{}</strong>", computed)
        return format_html(
            "<strong>{} € {}</strong> — {} {}, {} : « {} »<br>{} {}",
            quote.final_amount,
            quote.unit_label,
            _("modifié par"),
            quote.overridden_by,
            timezone.localtime(quote.overridden_at).strftime("%d/%m/%Y %H:%M"),
            quote.override_justification,
            _("tarif calculé :"),
            computed,
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        override = self.admin_site.admin_view(self.override_view)
        offer = self.admin_site.admin_view(self.offer_view)
        return [
            path("<int:pk>/decider/", decide, name="cantine_dossier_decide"),
            path("<int:pk>/place/", offer, name="cantine_dossier_offer"),
            path("<int:pk>/tarif/", override, name="cantine_dossier_override"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Opening a dossier shows its income figures to agents allowed to see them, and audits that look."""
        dossier = self.get_object(request, unquote(object_id))
        if dossier is not None and request.method == "GET" and self.has_view_permission(request, dossier):
            fiscal_data = services.fiscal_data_view(dossier=dossier, user=request.user, ip=client_ip(request))
            extra_context = {**(extra_context or {}), "fiscal_data": fiscal_data}
        return super().change_view(request, object_id, form_url, extra_context)

    def _dossier_action_view(self, request, pk, *, form_class, act, title, template):
        """One agent action on one dossier through its service: a form, the service's refusal shown on it, back to
        the dossier once done. `act(dossier, cleaned_data)` returns the confirmation to show."""
        dossier = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, dossier):
            raise PermissionDenied
        form = form_class(request.POST or None, dossier=dossier)
        if request.method == "POST" and form.is_valid():
            try:
                done = act(dossier, form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, done)
                return redirect(reverse("admin:cantine_dossier_change", args=[dossier.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": title % {"ref": dossier.reference},
            "dossier": dossier,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, template, context)

    def decide_view(self, request, pk):
        """One decision on one dossier, through the same service functions as everywhere else."""

        def decide(dossier, data):
            services.dossier_decide(dossier=dossier, agent=request.user, ip=client_ip(request), **data)
            return _("Demande %(ref)s : %(status)s.") % {
                "ref": dossier.reference,
                "status": dossier.get_status_display(),
            }

        return self._dossier_action_view(
            request,
            pk,
            form_class=DecisionForm,
            act=decide,
            title=_("Décision sur la demande %(ref)s"),
            template="admin/cantine/dossier/decide.html",
        )

    def override_view(self, request, pk):
        """« Modifier le tarif »: the amount billed instead of the computed one, with the justification the family
        reads."""

        def override(dossier, data):
            quote = services.dossier_quote_override(
                dossier=dossier, agent=request.user, ip=client_ip(request), **data
            )
            return _("Demande %(ref)s : tarif fixé à %(amount)s € %(unit)s.") % {
                "ref": dossier.reference,
                "amount": quote.final_amount,
                "unit": quote.unit_label,
            }

        return self._dossier_action_view(
            request,
            pk,
            form_class=TariffOverrideForm,
            act=override,
            title=_("Modifier le tarif de la demande %(ref)s"),
            template="admin/cantine/dossier/override.html",
        )

    def offer_view(self, request, pk):
        """The committee's offer of a place, through the allocation service (row locks, audit, message)."""

        def offer(dossier, data):
            made = services.place_offer_create(
                dossier=dossier, agent=request.user, ip=client_ip(request), **data
            )
            return _("Demande %(ref)s : place proposée à %(creche)s.") % {
                "ref": dossier.reference,
                "creche": made.establishment,
            }

        return self._dossier_action_view(
            request,
            pk,
            form_class=PlaceOfferForm,
            act=offer,
            title=_("Proposer une place pour la demande %(ref)s"),
            template="admin/cantine/dossier/offer.html",
        )

    def _bulk(self, request, queryset, to_status):
        """Each dossier in its own transaction, with its own history and audit row: a refusal stops only that one."""
        done, refused = 0, []
        for dossier in queryset:
            try:
                services.dossier_decide(
                    dossier=dossier, agent=request.user, to_status=to_status, ip=client_ip(request)
                )
                done += 1
            except ValidationError as error:
                refused.append(f"{dossier.reference} : {' '.join(error.messages)}")
        if done:
            self.message_user(request, ngettext("%d demande traitée.", "%d demandes traitées.", done) % done)
        for line in refused:
            self.message_user(request, line, level=messages.WARNING)

    @admin.action(description=_("Passer en instruction"), permissions=["change"])
    def start_review(self, request, queryset):
        self._bulk(request, queryset, Dossier.Status.UNDER_REVIEW)

    @admin.action(description=_("Accepter"), permissions=["change"])
    def accept(self, request, queryset):
        self._bulk(request, queryset, Dossier.Status.ACCEPTED)

    @admin.action(
        description=_("Recalculer le tarif (grille en vigueur, revenus actuels)"), permissions=["change"]
    )
    def recompute_tariff(self, request, queryset):
        done = sum(
            services.dossier_quote_compute(dossier=dossier, actor=request.user, ip=client_ip(request))
            is not None
            for dossier in queryset.exclude(status=Dossier.Status.DRAFT)
        )
        self.message_user(request, ngettext("%d tarif recalculé.", "%d tarifs recalculés.", done) % done)


@admin.register(DossierStatusChange)
class DossierStatusChangeAdmin(VisibleDossiersAdminMixin, ReadOnlyAdmin):
    dossier_lookup = "dossier__"
    list_display = ["dossier", "from_status", "to_status", "at", "actor"]
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


def checked_grid(data):
    """The grid JSON if cantine.pricing accepts it, else its French messages, each naming its field."""
    try:
        pricing.parse_grid(data)
    except ValidationError as error:
        raise ValidationError(
            [
                message if field == "__all__" else f"{field} : {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            ]
        ) from error
    return data


class TariffGridForm(forms.ModelForm):
    """The grid as JSON (the import/export format), checked by cantine.pricing with its French messages."""

    data = forms.JSONField(
        label=_("Grille (JSON)"),
        widget=forms.Textarea(attrs={"rows": 16, "cols": 80, "spellcheck": "false"}),
        help_text=_(
            'Exemple : {"kind": "brackets", "qf_formula": "rfr/12/parts", "unit": "meal", '
            '"brackets": [{"up_to": "622", "price": "1.00"}, {"up_to": null, "price": "3.50"}]}'
        ),
    )

    class Meta:
        model = TariffGrid
        fields = ["period", "label", "data"]

    def clean_data(self):
        return checked_grid(self.cleaned_data["data"])


class GridImportForm(forms.Form):
    period = forms.ModelChoiceField(label=_("Période"), queryset=Period.objects.select_related("service"))
    label = forms.CharField(label=_("Libellé"), max_length=200)
    file = forms.FileField(label=_("Fichier JSON exporté d'une grille"))

    def clean_file(self):
        try:
            data = json.loads(self.cleaned_data["file"].read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ValidationError(_("Ce fichier n'est pas du JSON lisible (UTF-8).")) from error
        return checked_grid(data)


@admin.register(TariffGrid)
class TariffGridAdmin(GridComparisonAdminMixin, admin.ModelAdmin):
    form = TariffGridForm
    list_display = ["period", "version", "label", "kind", "is_active", "used_by", "cantine_a_1_euro"]
    list_filter = ["period__service", "period", "is_active"]
    list_select_related = ["period__service"]
    readonly_fields = ["version", "is_active", "created_at", "created_by", "check_cantine_a_1_euro", "links"]
    actions = ["activate"]
    change_list_template = "admin/cantine/tariffgrid/change_list.html"

    @admin.display(description=_("demandes"))
    def used_by(self, obj):
        return obj.quotes.count()

    @admin.display(description=_("cantine à 1 €"), boolean=True)
    def cantine_a_1_euro(self, obj):
        return pricing.cantine_a_1_euro(pricing.parse_grid(obj.data))[0] if obj.kind == "brackets" else None

    @admin.display(description=_("conditions « cantine à 1 € »"))
    def check_cantine_a_1_euro(self, obj):
        if obj is None or not obj.pk:
            return "—"
        met, reasons = pricing.cantine_a_1_euro(pricing.parse_grid(obj.data))
        if met:
            return _(
                "Remplies : au moins 3 tranches, une à 1 € ou moins couvrant QF ≤ 1000, une au-dessus de 1 €."
            )
        return format_html_join(" ", "<span>{}</span>", ((reason,) for reason in reasons))

    @admin.display(description=_("outils"))
    def links(self, obj):
        if obj is None or not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:cantine_tariffgrid_export", args=[obj.pk]),
            _("Exporter en JSON"),
            reverse("admin:cantine_tariffgrid_compare", args=[obj.pk]),
            _("Comparer un projet de grille"),
        )

    def save_model(self, request, obj, form, change):
        """Through the service: a version a quote uses becomes a new version instead of changing."""
        original = TariffGrid.objects.get(pk=obj.pk) if change else None
        saved = services.tariff_grid_save(
            period=obj.period,
            data=obj.data,
            label=obj.label,
            agent=request.user,
            grid=original,
            ip=client_ip(request),
        )
        if original is not None and saved.pk != original.pk:
            self.message_user(
                request,
                _(
                    "La version %(old)s est utilisée par des demandes : vos changements forment la version %(new)s."
                )
                % {"old": original.version, "new": saved.version},
                level=messages.WARNING,
            )
        obj.pk, obj.version = saved.pk, saved.version

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.in_use)

    @admin.action(description=_("Mettre en vigueur pour sa période"), permissions=["change"])
    def activate(self, request, queryset):
        for grid in queryset.order_by("version"):
            services.tariff_grid_activate(grid=grid, agent=request.user, ip=client_ip(request))
        self.message_user(
            request,
            _("Grille(s) mise(s) en vigueur. Les tarifs déjà calculés ne changent qu'en les recalculant."),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                name="cantine_tariffgrid_export",
            ),
            path("importer/", self.admin_site.admin_view(self.import_view), name="cantine_tariffgrid_import"),
            *super().get_urls(),
        ]

    def export_view(self, request, pk):
        grid = get_object_or_404(TariffGrid, pk=pk)
        if not self.has_view_permission(request, grid):
            raise PermissionDenied
        response = JsonResponse(grid.data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = (
            f'attachment; filename="grille-{grid.period.service.slug}-v{grid.version}.json"'
        )
        return response

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = GridImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            grid = services.tariff_grid_save(
                period=form.cleaned_data["period"],
                data=form.cleaned_data["file"],
                label=form.cleaned_data["label"],
                agent=request.user,
                ip=client_ip(request),
            )
            self.message_user(
                request, _("Grille importée : version %(version)s.") % {"version": grid.version}
            )
            return redirect(reverse("admin:cantine_tariffgrid_change", args=[grid.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Importer une grille (JSON)"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/cantine/tariffgrid/import.html", context)


class BaremeFigureAdmin(admin.ModelAdmin):
    """Barème figures: the ones public sources did not confirm are flagged, for an agent to check."""

    list_filter = ["confirmed"]

    @admin.display(description=_("à vérifier"))
    def to_check(self, obj):
        return "" if obj.confirmed else _("⚠ non confirmé : vérifiez la source")


@admin.register(PsuEffortRate)
class PsuEffortRateAdmin(BaremeFigureAdmin):
    list_display = [
        "valid_from",
        "establishment",
        "children_min",
        "children_max",
        "rate_percent",
        "to_check",
        "source",
    ]
    list_filter = ["confirmed", "establishment", "valid_from"]


@admin.register(PsuResourceLimit)
class PsuResourceLimitAdmin(BaremeFigureAdmin):
    list_display = ["valid_from", "floor", "ceiling", "to_check", "source"]


@admin.register(CrecheCapacity)
class CrecheCapacityAdmin(admin.ModelAdmin):
    list_display = ["establishment", "age_group", "from_date", "places"]
    list_filter = ["establishment", "age_group"]


@admin.register(WaitingListCriterion)
class WaitingListCriterionAdmin(admin.ModelAdmin):
    list_display = ["code", "points", "is_active"]


@admin.register(CommitteeSession)
class CommitteeSessionAdmin(VisibleDossiersAdminMixin, admin.ModelAdmin):
    """A session's page lists the waiting list, by score with its breakdown, each with « Proposer une place »."""

    dossier_lookup = "period__"
    list_display = ["held_on", "period", "decision_date"]
    readonly_fields = ["places", "candidates"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "period":  # the crèche periods the agent handles
            kwargs["queryset"] = Period.objects.filter(
                service__kind=Service.Kind.CRECHE, service__kind__in=roles.service_kinds(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        fields = ["period", "held_on", "decision_date"]
        return [*fields, "places", "candidates"] if obj is not None else fields

    @admin.display(description=_("places libres"))
    def places(self, obj):
        """On the session's date, or the period's start if later."""
        on = max(obj.held_on, obj.period.starts_on)
        return format_html(
            "<p>{} {}</p><ul>{}</ul>",
            _("Au"),
            on.strftime("%d/%m/%Y"),
            format_html_join("", "<li>{} — {} : {}</li>", selectors.places_free_by_section(obj.period, on)),
        )

    @admin.display(description=_("liste d'attente"))
    def candidates(self, obj):
        rows = [
            (
                position,
                candidate.dossier.reference,
                candidate.dossier.child,
                candidate.dossier.creche_start_date.strftime("%d/%m/%Y"),
                ", ".join(str(choice.establishment) for choice in candidate.dossier.creche_choices.all()),
                candidate.score,
                "; ".join(f"{label} : {points}" for label, points in candidate.breakdown) or "—",
                reverse("admin:cantine_dossier_offer", args=[candidate.dossier.pk]),
                _("Proposer une place"),
            )
            for position, candidate in enumerate(
                selectors.waiting_list(service=obj.period.service, period=obj.period), start=1
            )
        ]
        if not rows:
            return _("Aucune demande en attente.")
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "<th></th></tr></thead><tbody>{}</tbody></table>",
            _("rang"),
            _("demande"),
            _("enfant"),
            _("entrée souhaitée"),
            _("crèches souhaitées"),
            _("points"),
            _("détail"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                '<td><a href="{}">{}</a></td></tr>',
                rows,
            ),
        )


@admin.register(PlaceOffer)
class PlaceOfferAdmin(VisibleDossiersAdminMixin, ReadOnlyAdmin):
    dossier_lookup = "dossier__"
    list_display = ["dossier", "establishment", "age_group", "start_date", "deadline", "status", "decided_by"]
    list_filter = ["status", "establishment", "age_group"]


@admin.register(CrecheContract)
class CrecheContractAdmin(VisibleDossiersAdminMixin, ReadOnlyAdmin):
    dossier_lookup = "dossier__"
    list_display = ["dossier", "start_date", "hours_per_week", "hourly_rate", "monthly_fee", "confirmed_at"]
    exclude = ["explanation"]  # it quotes the household's income: shown with the fiscal data only
