"""What the resident parking démarche holds about a household and what its rights mean here (the portal.demarches
hooks): its applications and cards on « Mes données », why an account holding a valid card cannot be erased yet,
the erasure, and the démarche's retention purge."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal.demarches import DataItem, DataSection
from portal.formats import euros, number
from pricing import month_label
from stationnement import services
from stationnement.models import Application, ApplicationDocument, Card, IncomeFigures


def _day(value) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def household_data(household) -> list[DataSection]:
    applications = (
        Application.objects.filter(household=household).select_related("zone").prefetch_related("documents")
    )
    items = []
    for application in applications:
        card = Card.objects.filter(application=application).first()
        fields = [
            (_("Immatriculation"), application.plate or "—"),
            (_("Statut"), application.get_status_display()),
            (_("Durée"), application.get_duration_display()),
            (_("Domicile vérifié par"), application.get_domicile_source_display()),
            (_("Adresse déclarée (DGFiP)"), application.address or "—"),
            (_("Zone"), str(application.zone or "—")),
            (_("Véhicule vérifié par"), application.get_vehicle_source_display()),
            (
                _("Pièces envoyées"),
                ", ".join(d.get_kind_display() for d in application.documents.all()) or "—",
            ),
        ]
        income = IncomeFigures.objects.filter(application=application).first()
        if income is not None:
            fields.append((_("Revenus du tarif social"), _income_words(income)))
        if card is not None:
            fields += [
                (_("Carte"), card.number),
                (_("Valable"), f"{_day(card.starts_on)} – {_day(card.last_day)}"),
            ]
        items.append(
            DataItem(
                title=_("Carte de stationnement résident — %(plate)s") % {"plate": application.plate or "—"},
                fields=tuple(fields),
            )
        )
    if not items:
        return []
    return [DataSection(key="stationnement", title=_("Stationnement résidentiel"), items=tuple(items))]


def _income_words(income: IncomeFigures) -> str:
    """The figures only when FranceConnect established who asked; else that they are held, not what they are."""
    if not income.certified:
        return _("transmis par %(source)s, non affichés (identité non certifiée par FranceConnect)") % {
            "source": income.get_source_display()
        }
    if income.source == IncomeFigures.Source.DGFIP:
        return _("revenu fiscal de référence %(rfr)s, %(parts)s parts (revenus %(year)s, DGFiP)") % {
            "rfr": euros(income.rfr),
            "parts": number(income.nb_parts),
            "year": income.year,
        }
    return _("quotient familial %(qf)s (%(month)s, %(source)s)") % {
        "qf": euros(income.qf),
        "month": month_label(income.year, income.month),
        "source": income.get_source_display(),
    }


def erasure_refusals(household, today: date | None = None) -> list[str]:
    """A card still valid, or an application an agent is examining, keeps the account."""
    today = today or timezone.localdate()
    reasons = []
    for card in Card.objects.filter(household=household, ends_on__gte=today, ended_on__isnull=True):
        reasons.append(
            _("La carte résident %(number)s est valable jusqu'au %(end)s : l'effacement sera possible après.")
            % {"number": card.number, "end": _day(card.ends_on)}
        )
    if Application.objects.filter(household=household, status=Application.Status.SUBMITTED).exists():
        reasons.append(
            _("Une demande de carte résident est en cours de vérification : attendez la décision.")
        )
    return reasons


@transaction.atomic
def household_erase(household) -> dict[str, int]:
    """Everything: no card is valid any more (erasure_refusals); the commune's accounts keep their own records of
    what was paid, which the portal does not hold."""
    documents = ApplicationDocument.objects.filter(application__household=household)
    files = [document.file.name for document in documents]
    documents_count, _details = documents.delete()
    income, _details = IncomeFigures.objects.filter(application__household=household).delete()
    cards, _details = Card.objects.filter(household=household).delete()
    applications, _details = Application.objects.filter(household=household).delete()
    storage = ApplicationDocument._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])
    return {
        "parking_documents": documents_count,
        "parking_income": income,
        "parking_cards": cards,
        "parking_applications": applications,
    }


def purges(today: date | None = None) -> dict[str, int]:
    return services.parking_data_purge(today=today)
