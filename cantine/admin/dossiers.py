"""The dossier admin: its inlines, the agents' actions on one dossier (decision, tariff override, place offer) and
the bulk actions. The list and the page's blocks come from review.py, the billing export from exports.py."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api_particulier.situation import ParticulierError
from cantine import services, workflow
from cantine.admin.exports import BillingExportAdminMixin
from cantine.admin.review import DossierReviewAdminMixin
from cantine.income import benefits
from cantine.models import (
    CommitteeSession,
    CrecheChoice,
    Dossier,
    DossierMessage,
    DossierStatusChange,
    Establishment,
    Job,
    PlaceOffer,
)
from portal import formats
from portal.audit import client_ip

# Dossiers the « Recalculer le tarif » action re-quotes inside the request; more are a job for the task worker.
INLINE_REQUOTE_MAX = 100


class ReadOnlyInline(admin.TabularInline):
    """Rows services write on the dossier: agents read them there, nobody adds or deletes them."""

    extra = 0
    can_delete = False
    template = "admin/edit_inline/tabular_scrollable.html"  # wide on a phone: scrolls in a focusable region
    # The rows' foreign keys shown, read with them: no query per row.
    related = ()

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)


class CrecheChoiceInline(ReadOnlyInline):
    model = CrecheChoice
    readonly_fields = ["rank", "establishment"]
    related = ["establishment"]


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
    related = ["session__period__service", "establishment", "decided_by"]


class HistoryInline(ReadOnlyInline):
    model = DossierStatusChange
    readonly_fields = ["at", "from_status", "to_status", "actor", "note"]
    fields = readonly_fields
    related = ["actor"]


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
        # The family's crèches in its order of preference, each named with its rank.
        ranks = dict(dossier.creche_choices.values_list("establishment", "rank"))
        field = self.fields["establishment"]
        field.queryset = Establishment.objects.filter(crechechoice__dossier=dossier).order_by("crechechoice__rank")
        field.label_from_instance = lambda creche: _("Choix n° %(rank)s : %(name)s") % {
            "rank": ranks[creche.pk],
            "name": creche.name,
        }
        self.fields["start_date"].initial = dossier.creche_start_date


@admin.register(Dossier)
class DossierAdmin(DossierReviewAdminMixin, BillingExportAdminMixin, admin.ModelAdmin):
    """The list, filters and page layout come from DossierReviewAdminMixin (cantine/admin/review.py)."""

    inlines = [CrecheChoiceInline, PlaceOfferInline, HistoryInline, MessageInline]
    actions = ["start_review", "accept", "recompute_tariff", "refresh_benefits"]
    change_form_template = "admin/cantine/dossier/change_form.html"

    @admin.display(description=_("tarif"))
    def tariff(self, obj):
        """What is billed and where it comes from. The explanation quotes the household's income: it is shown with
        the fiscal data, to agents allowed to see them."""
        quote = getattr(obj, "quote", None)
        if quote is None:
            return _("pas encore calculé (aucune grille en vigueur à l'envoi)")
        computed = format_html(
            "{} {} — {} v{}, {}",
            formats.euros(quote.amount),
            quote.unit_label,
            _("grille"),
            quote.grid.version,
            timezone.localtime(quote.computed_at).strftime("%d/%m/%Y %H:%M"),
        )
        if not quote.is_overridden:
            return format_html("<strong>{}</strong>", computed)
        return format_html(
            "<strong>{} {}</strong> — {} {}, {} : « {} »<br>{} {}",
            formats.euros(quote.final_amount),
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
            fiscal_data = services.fiscal_data_view(
                dossier=dossier, agent=request.user, ip=client_ip(request)
            )
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
            return _("Demande %(ref)s : tarif fixé à %(amount)s %(unit)s.") % {
                "ref": dossier.reference,
                "amount": formats.euros(quote.final_amount),
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

    @admin.action(description=_("Actualiser auprès de la CAF ou de la MSA"), permissions=["change"])
    def refresh_benefits(self, request, queryset):
        """Ask the CAF or the MSA again (the QF changes monthly), with the family's live authorisation."""
        done = failed = 0
        for dossier in queryset:
            try:
                benefits.benefit_data_refresh(dossier=dossier, agent=request.user, ip=client_ip(request))
            except (ParticulierError, ValidationError):
                failed += 1
            else:
                done += 1
        self.message_user(
            request,
            _("%(done)d demande(s) actualisée(s) auprès de la CAF ou de la MSA, %(failed)d impossible(s).")
            % {"done": done, "failed": failed},
        )

    @admin.action(
        description=_("Recalculer le tarif (grille en vigueur, revenus actuels)"), permissions=["change"]
    )
    def recompute_tariff(self, request, queryset):
        """Up to a page of dossiers at once; more (« select all » over thousands) go to the task worker."""
        if queryset.count() > INLINE_REQUOTE_MAX:
            job = services.job_start(
                kind=Job.Kind.REQUOTE,
                agent=request.user,
                params={"dossier_ids": list(queryset.values_list("pk", flat=True)), "ip": client_ip(request)},
            )
            self.message_user(request, _("Le recalcul est lancé : suivez son avancement ici."))
            return redirect(reverse("admin:cantine_job_change", args=[job.pk]))
        done = sum(
            services.dossier_quote_compute(dossier=dossier, agent=request.user, ip=client_ip(request))
            is not None
            for dossier in queryset
        )
        self.message_user(request, ngettext("%d tarif recalculé.", "%d tarifs recalculés.", done) % done)
