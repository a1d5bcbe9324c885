"""The dossier list and the dossier page agents review from, mixed into DossierAdmin: columns, filters, search and
the page's blocks. Every dossier reached here is one of the services the agent handles (cantine.roles).

The list reads what it shows from annotations, so it costs the same few queries for 20 dossiers or 100."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import CharField, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

import pricing
from cantine import selectors, services
from cantine.admin.filters import AgeFilter, FlagFilter, SmallTableFilter, TariffFilter
from cantine.admin.paginators import EstimatedCountPaginator
from cantine.income import benefits
from cantine.income import services as income_services
from cantine.income.selectors import DECLARANTS_TO_CHECK, income_state, income_status
from cantine.models import CrecheChoice, Dossier, DossierQuote, PlaceOffer, Service
from cantine.roles import VisibleDossiersAdminMixin, can_see_service
from impot_client.models import TaxData
from portal import formats
from portal.audit import client_ip
from portal.models import Adult, Child, Consent, User
from portal.selectors import holder_name

Status = Dossier.Status
DASH = "—"
# Where the income a quote used came from (DossierQuote.income_source), as agents read it.
QUOTE_INCOME_SOURCES = {
    "caf": _("quotient familial ou ressources transmis par la CAF"),
    "msa": _("quotient familial ou ressources transmis par la MSA"),
    "dgfip": _("revenus transmis par la DGFiP"),
    "notice": _("revenus saisis depuis un avis d'imposition vérifié"),
    "direct": _("revenus saisis directement"),
    "declined": _("revenus non communiqués par la famille"),
    "withdrawn": _("accord retiré par la famille, revenus effacés"),
    "none": _("revenus inconnus au calcul"),
}


class DeclarantsConfirmForm(forms.Form):
    checked = forms.BooleanField(
        label=_(
            "J'ai vérifié, sur l'avis d'imposition ou une pièce d'identité, que les déclarants de ce numéro fiscal "
            "sont des adultes de ce foyer."
        ),
        error_messages={"required": _("Cochez la case une fois la vérification faite.")},
    )

    def __init__(self, *args, dossier, **kwargs):  # the dossier action views give every form its dossier
        super().__init__(*args, **kwargs)


class ChildrenCountForm(forms.Form):
    checked = forms.BooleanField(
        label=_("J'ai vérifié que ces enfants sont à la charge du foyer (livret de famille, attestation CAF)."),
        error_messages={"required": _("Cochez la case une fois la vérification faite.")},
    )

    def __init__(self, *args, dossier, **kwargs):
        super().__init__(*args, **kwargs)
        self.added = selectors.children_added_since_counted(dossier)


def _date(value, with_time=False) -> str:
    return date_format(
        timezone.localtime(value) if with_time else value, "d/m/Y H:i" if with_time else "d/m/Y"
    )


def _joined(*parts) -> str:
    """The parts that say something, as one line."""
    return " — ".join(str(part) for part in parts if part)


def _lines(line_format: str, rows):
    """One line per row, each formatted and escaped by format_html."""
    # bandit B308: the separator is a constant tag, and format_html_join escapes every row.
    return format_html_join(mark_safe("<br>"), line_format, rows)  # nosec B308


def _fc_birthdate(value: str) -> str:
    """FranceConnect's AAAA-MM-JJ (« 00 » for an unknown day or month), read the French way."""
    return "/".join(reversed(value.split("-")))


class DossierReviewAdminMixin(VisibleDossiersAdminMixin):
    list_display = [
        "reference",
        "family",
        "child",
        "service",
        "period_label",
        "establishment",
        "status",
        "tariff_column",
        "flags",
        "age",
    ]
    list_filter = [
        "status",
        ("service", SmallTableFilter),
        ("period", SmallTableFilter),
        ("establishment", SmallTableFilter),
        TariffFilter,
        FlagFilter,
        AgeFilter,
    ]
    list_select_related = ["child", "service", "period", "establishment"]
    search_fields = [
        "child__first_names",
        "child__last_name",
        "child__household__adults__first_names",
        "child__household__adults__last_name",
        "child__household__owner__email",
    ]
    search_help_text = _("Nom ou prénom de l'enfant ou d'un parent, ou adresse électronique du compte.")
    # 100 000 dossiers: no second count of the whole table, and an estimated count on PostgreSQL for large lists.
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # Oldest request first: the one that has waited longest; drafts (never sent) at the end.
    ordering = [F("submitted_at").asc(nulls_last=True), "created_at"]

    def get_search_results(self, request, queryset, search_term):
        """search_fields' meaning (every word in a child's or an adult's names, or the account's address), each
        word looked up in its own table, where PostgreSQL's trigram indexes serve it (portal/0005), then the dossiers
        of those children and households: no name compared on each of 100 000 rows, no duplicate rows."""
        for term in search_term.split():
            names = Q(first_names__icontains=term) | Q(last_name__icontains=term)
            # One UNION of the children found each way, so that PostgreSQL reaches the dossiers through their
            # child's index: an OR of three IN would make it join and filter all 100 000 dossiers.
            # Unordered parts: SQLite refuses an ORDER BY (Child's default) inside a compound statement.
            children = (
                Child.objects.filter(names)
                .order_by()
                .values("pk")
                .union(
                    Child.objects.filter(household__in=Adult.objects.filter(names).values("household"))
                    .order_by()
                    .values("pk"),
                    Child.objects.filter(household__owner__email__icontains=term).order_by().values("pk"),
                )
            )
            queryset = queryset.filter(child__in=children)
        return queryset, False

    def has_view_permission(self, request, obj=None):
        """Per dossier too, for the views that fetch one themselves."""
        return super().has_view_permission(request, obj) and (
            obj is None or can_see_service(request.user, obj.service)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or can_see_service(request.user, obj.service)
        )

    def get_queryset(self, request):
        """The list's columns as subqueries on the dossier's own keys, never joins: the count and the page's keys
        (EstimatedCountPaginator) then read the dossiers alone, and PostgreSQL computes the columns for the page's
        rows only."""
        quote = DossierQuote.objects.filter(dossier=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                family_name=Coalesce(
                    holder_name("child", lookup="household__children"),
                    Subquery(User.objects.filter(household__children=OuterRef("child")).values("email")[:1]),
                    output_field=CharField(),
                ),
                tariff_amount=Subquery(quote.values(billed=Coalesce("overridden_amount", "amount"))[:1]),
                tariff_unit=Subquery(quote.values("unit")[:1]),
            )
        )

    def get_object(self, request, object_id, from_field=None):
        """The dossier page's dossier with what its blocks read (family, account, FranceConnect identity, adults,
        quote and grid) in two queries, fetched once per request although change_view and the admin both ask."""
        cached = getattr(request, "_dossier_page_object", None)
        if cached is not None and from_field is None and str(cached.pk) == str(object_id):
            return cached
        queryset = (
            self.get_queryset(request)
            .select_related(
                "child__household__owner__franceconnect",
                "service",
                "period",
                "establishment",
                "quote__grid",
                "quote__overridden_by",
            )
            .prefetch_related("child__household__adults")
        )
        field = Dossier._meta.pk if from_field is None else Dossier._meta.get_field(from_field)
        try:  # ModelAdmin.get_object's own lookup, on this queryset
            dossier = queryset.get(**{field.name: field.to_python(object_id)})
        except (Dossier.DoesNotExist, ValidationError, ValueError):
            return None
        request._dossier_page_object = dossier
        return dossier

    def _income(self, obj):
        """income_status(obj), computed once for the page's flags and income blocks."""
        if not hasattr(obj, "_income_status"):
            obj._income_status = income_status(obj)
        return obj._income_status

    def get_changelist_instance(self, request):
        """The income state (the flags column) read for the page's rows only, in one query by primary key: as an
        annotation of the whole list, PostgreSQL hashes every consent and tax data row for each of its subqueries
        (0.6 s at 100 000 dossiers). The flag filter annotates what it filters on itself."""
        changelist = super().get_changelist_instance(request)
        changelist.result_list = rows = list(changelist.result_list)
        states = dict(
            Dossier.objects.filter(pk__in=[row.pk for row in rows])
            .annotate(state=income_state())
            .values_list("pk", "state")
        )
        to_count = set(
            Dossier.objects.filter(selectors.children_to_count(), pk__in=[row.pk for row in rows]).values_list(
                "pk", flat=True
            )
        )
        for row in rows:
            row.income_state = states.get(row.pk)
            row.children_to_count = row.pk in to_count
        return changelist

    # The list's columns.

    @admin.display(description=_("référence"), ordering="pk")
    def reference(self, obj):
        return obj.reference

    @admin.display(description=_("famille"), ordering="family_name")
    def family(self, obj):
        return obj.family_name

    @admin.display(description=_("période"), ordering="period__starts_on")
    def period_label(self, obj):
        return obj.period.label

    @admin.display(description=_("tarif"), ordering="tariff_amount")
    def tariff_column(self, obj):
        if obj.tariff_amount is None:
            return DASH
        return formats.with_unit(obj.tariff_amount, pricing.UNITS.get(obj.tariff_unit, obj.tariff_unit))

    @admin.display(description=_("signalements"))
    def flags(self, obj):
        # The list annotates its rows' states; the dossier page reads its own with the income block.
        state = obj.income_state if hasattr(obj, "income_state") else self._income(obj).state
        raised = {
            "enfants": obj.children_to_count
            if hasattr(obj, "children_to_count")
            else selectors.children_added_since_counted(obj).exists(),
            "identite": state in DECLARANTS_TO_CHECK,
            "avis": state == "notice",
            "famille": obj.status == Status.AWAITING_DOCUMENTS,
        }
        return ", ".join(str(FlagFilter.table[flag][1]) for flag, on in raised.items() if on) or DASH

    @admin.display(description=_("ancienneté"), ordering="-submitted_at")
    def age(self, obj):
        if obj.submitted_at is None:
            return DASH
        days = (timezone.now() - obj.submitted_at).days
        return ngettext("%d jour", "%d jours", days) % days if days else _("aujourd'hui")

    # The dossier page: read-only; decisions and tariff changes have their own pages.

    def get_fieldsets(self, request, obj=None):
        if obj is None or obj.service.kind == Service.Kind.CANTEEN:
            details = ["canteen_days_text"]
        else:
            details = ["creche_start_date", "creche_schedule_text"]
        return [
            (_("Famille"), {"fields": ["identity", "adults", "household_children"]}),
            (
                _("Demande"),
                {
                    "fields": [
                        "reference",
                        "status",
                        "flags",
                        "child",
                        "service",
                        "period",
                        "establishment",
                        *details,
                        "submitted_at",
                        "age",
                        "updated_at",
                    ]
                },
            ),
            (_("Revenus et consentement"), {"fields": ["income", "consent_record"]}),
            (_("Tarif"), {"fields": ["tariff", "tariff_basis"]}),
        ]

    def get_inlines(self, request, obj):
        """A canteen dossier has no crèches to rank nor places offered."""
        inlines = super().get_inlines(request, obj)
        if obj is not None and obj.service.kind == Service.Kind.CANTEEN:
            return [inline for inline in inlines if inline.model not in (CrecheChoice, PlaceOffer)]
        return inlines

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.get_fieldsets(request, obj) for name in options["fields"]]

    def render_change_form(self, request, context, *args, **kwargs):
        context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description=_("titulaire du compte"))
    def identity(self, obj):
        """The civil status FranceConnect certified when the account holder used it, else what the family typed."""
        owner = obj.child.household.owner
        certified = getattr(owner, "franceconnect", None)
        if certified is not None:
            usage = f" ({certified.preferred_username})" if certified.preferred_username else ""
            name = f"{certified.given_name} {certified.family_name}{usage}"
            born = _fc_birthdate(certified.birthdate)
            source = format_html("<strong>✔ {}</strong>", _("identité certifiée FranceConnect"))
        else:
            holder = next((a for a in obj.child.household.adults.all() if a.role == Adult.Role.HOLDER), None)
            name = str(holder) if holder else _("identité non renseignée")
            born = _date(holder.birth_date) if holder and holder.birth_date else DASH
            source = _("identité déclarée par la famille, non certifiée")
        return format_html(
            "<strong>{}</strong>, {} {} — {}<br>{}", name, _("né(e) le"), born, source, owner.email
        )

    @admin.display(description=_("adultes du foyer"))
    def adults(self, obj):
        household = obj.child.household
        rows = [
            (adult.get_role_display(), _joined(adult, adult.email, adult.phone))
            for adult in household.adults.all()
        ]
        address = household.address or _("adresse postale non renseignée")
        return format_html("{}<br>{}", _lines("{} : {}", rows), address)

    @admin.display(description=_("enfants du foyer"))
    def household_children(self, obj):
        def details(child):
            level = f" ({child.get_class_level_display()})" if child.class_level else ""
            return child, _joined(
                f"{_('né(e) le')} {_date(child.birth_date)}",
                f"{child.school}{level}" if child.school else "",
                child.get_diet_display(),
                _("PAI") if child.has_pai else "",
                _("AEEH") if child.has_disability else "",
                _("enfant de cette demande") if child.pk == obj.child_id else "",
                _("ajouté(e) après l'envoi le %(day)s : pas encore compté(e) dans le tarif")
                % {"day": _date(child.added_at, with_time=True)}
                if child.pk in added
                else "",
            )

        children = obj.child.household.children.select_related("school").order_by("birth_date")
        added = set(selectors.children_added_since_counted(obj).values_list("pk", flat=True))
        lines = _lines("{} : {}", map(details, children))
        if not added:
            return lines
        url = reverse("admin:cantine_dossier_count_children", args=[obj.pk])
        return format_html('{}<br><a href="{}">{}</a>', lines, url, _("Vérifier et compter les enfants ajoutés"))

    @admin.display(description=_("jours de repas"))
    def canteen_days_text(self, obj):
        return ", ".join(str(day) for day in obj.canteen_days_display()) or DASH

    @admin.display(description=_("planning hebdomadaire"))
    def creche_schedule_text(self, obj):
        return _lines("{} : {} – {}", obj.creche_schedule_display()) or DASH

    @admin.display(description=_("base du tarif"))
    def tariff_basis(self, obj):
        """How the tariff was reached, without the household's figures: those show with the fiscal data, to agents
        allowed to see them."""
        quote = getattr(obj, "quote", None)
        if quote is None:
            return DASH
        basis = [
            QUOTE_INCOME_SOURCES.get(quote.income_source, quote.income_source),
            *pricing.criteria_words(quote.criteria),
        ]
        if quote.income_erased_at:
            basis.append(
                _("revenus et chiffres qui en découlaient effacés le %(day)s")
                % {"day": _date(quote.income_erased_at, with_time=True)}
            )
        return " ; ".join(str(part) for part in basis)

    @admin.display(description=_("revenus"))
    def income(self, obj):
        income = self._income(obj)
        return format_html("{}{}", self._income_line(obj, income), self._notice_links(income))

    def _income_line(self, obj, income):
        checked = income.benefit_data if income.state.startswith("caf_") else income.tax_data
        confirmed = checked is not None and checked.confirmed_by
        if confirmed:
            when = _date(checked.confirmed_at, with_time=True)
            return f"{income.label} — {_('déclarants confirmés par')} {confirmed}, {when}"
        if income.state not in DECLARANTS_TO_CHECK:
            return income.label
        url = reverse("admin:cantine_dossier_confirm_declarants", args=[obj.pk])
        return format_html('{} — <a href="{}">{}</a>', income.label, url, _("Confirmer les déclarants"))

    @staticmethod
    def _notice_links(income):
        """Each tax notice the family sent, linked to its page (where an agent allowed to reads it and types its
        figures)."""
        return format_html_join(
            "",
            '<br><a href="{}">{}</a> ({})',
            (
                (
                    reverse("admin:impot_client_taxnotice_change", args=[notice.pk]),
                    _("Avis d'imposition envoyé le %(day)s") % {"day": _date(notice.uploaded_at, with_time=True)},
                    notice.get_status_display(),
                )
                for notice in income.notices
            ),
        )

    def get_urls(self):
        confirm = self.admin_site.admin_view(self.confirm_declarants_view)
        return [
            path("<int:pk>/declarants/", confirm, name="cantine_dossier_confirm_declarants"),
            path(
                "<int:pk>/enfants/",
                self.admin_site.admin_view(self.count_children_view),
                name="cantine_dossier_count_children",
            ),
            *super().get_urls(),
        ]

    def confirm_declarants_view(self, request, pk):
        """The agent checked the family's papers: figures typed in by numéro fiscal may set the tariff."""

        def confirm(dossier, data):
            income = income_status(dossier)
            if income.state in ("caf_to_confirm", "caf_mismatch"):
                benefits.benefit_data_confirm(
                    agent=request.user, benefit_data=income.benefit_data, ip=client_ip(request)
                )
                return _("Demande %(ref)s : allocataires confirmés, tarif calculé avec ces informations.") % {
                    "ref": dossier.reference
                }
            tax_data = income.tax_data
            if tax_data is None:
                raise ValidationError(_("Cette demande n'a pas de revenus obtenus par numéro fiscal."))
            income_services.tax_data_confirm(agent=request.user, tax_data=tax_data, ip=client_ip(request))
            return _("Demande %(ref)s : déclarants confirmés, tarif calculé avec ces revenus.") % {
                "ref": dossier.reference
            }

        return self._dossier_action_view(
            request,
            pk,
            form_class=DeclarantsConfirmForm,
            act=confirm,
            title=_("Confirmer les déclarants de la demande %(ref)s"),
            template="admin/cantine/dossier/confirm_declarants.html",
        )

    def count_children_view(self, request, pk):
        """Children added after the crèche dossier was sent count only once an agent has checked them."""

        def count(dossier, data):
            services.dossier_children_count(dossier=dossier, agent=request.user, ip=client_ip(request))
            return _("Demande %(ref)s : enfants ajoutés comptés, tarif recalculé.") % {"ref": dossier.reference}

        return self._dossier_action_view(
            request,
            pk,
            form_class=ChildrenCountForm,
            act=count,
            title=_("Compter les enfants ajoutés au foyer, demande %(ref)s"),
            template="admin/cantine/dossier/count_children.html",
        )

    @admin.display(description=_("consentement"))
    def consent_record(self, obj):
        """Every answer the family gave for this dossier, withdrawn ones included: what it agreed to, and when."""
        consents = obj.consents.all()
        if not consents:
            return _("aucune réponse de la famille à la page de consentement")

        def label(consent, name):
            if consent.source == Consent.Source.API_PARTICULIER:
                return str(benefits.FIELD_LABELS.get(name, name))
            return str(TaxData._meta.get_field(name).verbose_name)

        def row(consent):
            fields = ", ".join(label(consent, name) for name in consent.fields)
            withdrawn = consent.withdrawn_at
            return consent.get_decision_display(), _joined(
                consent.get_mode_display(),
                consent.get_source_display(),
                _("inconnu de la source le %(day)s") % {"day": _date(consent.not_found_at, with_time=True)}
                if consent.not_found_at
                else "",
                f"{_('données :')} {fields}" if fields else "",
                f"{_('donné le')} {_date(consent.given_at, with_time=True)}",
                f"{_('retiré le')} {_date(withdrawn, with_time=True)}" if withdrawn else _("en cours"),
            )

        return _lines("<strong>{}</strong> — {}", map(row, consents))
