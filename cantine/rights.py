"""What the enrolment démarche holds about a household, for its « Mes données » page and download (the
portal.demarches `household_data` hook): dossiers, consents, income records, documents, messages, crèche places."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cantine.income import services as income_services
from cantine.models import Dossier, DossierMessage, PlaceOffer
from impot_client.models import TaxData, TaxNotice
from portal import formats
from portal.demarches import DataItem, DataSection
from portal.models import Consent


def _day(value) -> str:
    if not value:
        return "—"
    if hasattr(value, "hour"):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return date_format(value, "SHORT_DATE_FORMAT")


def _dossier_item(dossier: Dossier) -> DataItem:
    fields = [
        (_("Enfant"), str(dossier.child)),
        (_("Service"), dossier.service.name),
        (_("Période"), dossier.period.label),
        (_("Établissement"), str(dossier.establishment or "—")),
        (_("Statut"), dossier.get_status_display()),
        (_("Créée le"), _day(dossier.created_at)),
        (_("Envoyée le"), _day(dossier.submitted_at)),
    ]
    if dossier.canteen_days:
        fields.append((_("Jours de repas"), ", ".join(str(day) for day in dossier.canteen_days_display())))
    if dossier.creche_schedule:
        fields.append(
            (_("Planning"), ", ".join(f"{day} {start}–{end}" for day, start, end in dossier.creche_schedule_display()))
        )
    quote = getattr(dossier, "quote", None)
    if quote is not None:
        fields.append((_("Tarif"), formats.with_unit(quote.final_amount, quote.unit_label)))
    return DataItem(title=f"{dossier.reference} — {dossier.service.name}", fields=tuple(fields))


def _consent_item(consent: Consent) -> DataItem:
    labels = income_services.FIELD_LABELS
    fields = (
        (_("Demande"), consent.dossier.reference),
        (_("Réponse"), consent.get_decision_display()),
        (_("Mode"), consent.get_mode_display() or "—"),
        (_("Données demandées"), ", ".join(str(labels.get(name, name)) for name in consent.fields) or "—"),
        (_("Finalité"), consent.purpose),
        (_("Donné le"), _day(consent.given_at)),
        (_("Retiré le"), _day(consent.withdrawn_at)),
        (_("Conservation des revenus jusqu'au"), _day(income_services.retention_date(consent.dossier))),
    )
    live_grant = consent.is_live and consent.decision == Consent.Decision.GRANTED
    return DataItem(
        title=_("Consentement — %(reference)s") % {"reference": consent.dossier.reference},
        fields=fields,
        action_url=reverse("impot:withdraw", args=[consent.dossier_id]) if live_grant else "",
        action_label=_("Retirer mon accord pour %(reference)s") % {"reference": consent.dossier.reference}
        if live_grant
        else "",
    )


def dossier_income_records(dossier: Dossier) -> list[DataItem]:
    """Every income record of the dossier, with its source, and its figures only where the family's income pages
    would show them (TaxData.shown_to_family). Other sources (CAF, MSA) add their records here."""
    records = []
    for tax_data in TaxData.objects.filter(dossier=dossier):
        fields = [
            (_("Demande"), dossier.reference),
            (_("Source"), tax_data.get_source_display()),
            (_("Année des revenus"), str(tax_data.year)),
            (_("Obtenus le"), _day(tax_data.obtained_at)),
            (_("Effacés au plus tard le"), _day(income_services.retention_date(dossier))),
        ]
        if tax_data.shown_to_family:
            fields += [
                (_("Revenu fiscal de référence"), f"{formats.number(tax_data.rfr)}{formats.NBSP}€"),
                (_("Nombre de parts"), formats.number(tax_data.nb_parts)),
            ]
            if tax_data.nb_pac is not None:
                fields.append((_("Personnes à charge"), str(tax_data.nb_pac)))
        else:
            fields.append(
                (
                    _("Montants"),
                    _(
                        "non affichés : obtenus par numéro fiscal, ils ne sont jamais montrés au compte qui les a "
                        "demandés (un agent les vérifie)"
                    ),
                )
            )
        records.append(
            DataItem(title=_("Revenus — %(reference)s") % {"reference": dossier.reference}, fields=tuple(fields))
        )
    return records


def _notice_item(notice: TaxNotice) -> DataItem:
    return DataItem(
        title=_("Avis d'imposition — %(reference)s") % {"reference": notice.dossier.reference},
        fields=(
            (_("Envoyé le"), _day(notice.uploaded_at)),
            (_("Type"), notice.content_type),
            (_("Taille (octets)"), str(notice.size)),
            (_("Statut"), notice.get_status_display()),
            (_("Fichier"), _("conservé") if notice.file else _("effacé (il a servi)")),
        ),
    )


def _message_item(message: DossierMessage) -> DataItem:
    return DataItem(
        title=message.subject,
        fields=(
            (_("Demande"), message.dossier.reference),
            (_("Le"), _day(message.created_at)),
            (_("Envoyé à"), message.recipient),
            (_("Message"), message.body),
            (_("Envoi par courriel"), message.get_email_status_display()),
        ),
    )


def _offer_item(offer: PlaceOffer) -> DataItem:
    fields = [
        (_("Crèche"), offer.establishment.name),
        (_("Date d'entrée"), _day(offer.start_date)),
        (_("Réponse attendue au plus tard le"), _day(offer.deadline)),
        (_("Statut"), offer.get_status_display()),
    ]
    title = _("Place en crèche — %(reference)s") % {"reference": offer.dossier.reference}
    contract = getattr(offer, "contract", None)
    if contract is None:
        return DataItem(title=title, fields=tuple(fields))
    fields += [
        (_("Contrat d'accueil établi le"), _day(contract.drawn_at)),
        (_("Contrat confirmé le"), _day(contract.confirmed_at)),
        (_("Mensualité"), formats.euros(contract.monthly_fee)),
    ]
    return DataItem(
        title=title,
        fields=tuple(fields),
        action_url=reverse("cantine:creche_contract_pdf", args=[offer.dossier_id]),
        action_label=_("Télécharger le contrat d'accueil (PDF)"),
        action_is_link=True,
    )


def household_data(household) -> list[DataSection]:
    dossiers = list(
        Dossier.objects.filter(child__household=household)
        .select_related("child", "service", "period", "establishment", "quote")
        .order_by("-created_at")
    )
    income_records = [record for dossier in dossiers for record in dossier_income_records(dossier)]
    return [
        DataSection("demandes", _("Demandes d'inscription"), tuple(_dossier_item(d) for d in dossiers)),
        DataSection(
            "consentements",
            _("Consentements"),
            tuple(
                _consent_item(consent)
                for consent in Consent.objects.filter(household=household).select_related("dossier__period")
            ),
            note=_("Retirer un accord efface aussitôt les revenus obtenus avec lui."),
        ),
        DataSection("revenus", _("Revenus"), tuple(income_records)),
        DataSection(
            "documents",
            _("Documents envoyés"),
            tuple(_notice_item(n) for n in TaxNotice.objects.filter(household=household).select_related("dossier")),
        ),
        DataSection(
            "messages",
            _("Messages reçus"),
            tuple(
                _message_item(m)
                for m in DossierMessage.objects.filter(dossier__child__household=household).select_related("dossier")
            ),
        ),
        DataSection(
            "places_creche",
            _("Places en crèche"),
            tuple(
                _offer_item(o)
                for o in PlaceOffer.objects.filter(dossier__child__household=household).select_related(
                    "dossier", "establishment", "contract"
                )
            ),
        ),
    ]
