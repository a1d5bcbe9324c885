"""The crèche contract as a PDF, for the family to download and keep: the child and both parents, the weekly
schedule, the dates, the hourly rate with the tariff engine's explanation, and who accepted and confirmed it.

What it prints is a document (`contract_document`: headings, label and value rows, lines of text, all strings),
built from the live data until the family confirms the contract, then frozen in `CrecheContract.document` and
printed from there: the PDF of a confirmed contract never changes when the child is renamed or a grid edited."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal import formats
from portal import pdf as documents
from portal.models import Adult

# The section of the document that quotes the household's income: its lines go when the income is erased.
CALCULATION = "calculation"


def _day(value) -> str:
    return date_format(value, "j F Y")


def _moment(value) -> str:
    local = timezone.localtime(value)
    return _("%(day)s à %(time)s") % {"day": _day(local), "time": formats.clock(local)}


def _person(user) -> str:
    """The account that acted, as the contract names it: its holder's name and its address."""
    if user is None:
        return _("la famille")
    household = getattr(user, "household", None)
    return f"{household} ({user.email})" if household is not None else user.email


def _schedule_rows(dossier) -> list[list[str]]:
    rows = []
    for day, start, end in dossier.creche_schedule_display():
        minutes = (datetime.strptime(end, "%H:%M") - datetime.strptime(start, "%H:%M")).seconds // 60
        rows.append(
            [
                str(day),
                _("de %(start)s à %(end)s (%(length)s)")
                % {
                    "start": formats.clock(start),
                    "end": formats.clock(end),
                    "length": formats.duration(minutes),
                },
            ]
        )
    return rows


def _acceptance_lines(contract) -> list[str]:
    offer = contract.offer
    lines = [
        _("Place proposée par la commission d'attribution du %(day)s.")
        % {"day": _day(offer.session.held_on)},
        _("Place acceptée en ligne le %(moment)s par %(person)s.")
        % {
            "moment": _moment(offer.answered_at or contract.drawn_at),
            "person": _person(contract.accepted_by),
        },
    ]
    if contract.confirmed_at:
        lines.append(
            _("Contrat confirmé en ligne le %(moment)s par %(person)s.")
            % {"moment": _moment(contract.confirmed_at), "person": _person(contract.confirmed_by)}
        )
    else:
        lines.append(_("À confirmer en ligne sur la page de la demande."))
    return lines


def contract_document(contract) -> dict:
    """What the contract prints today, from the live data: a dict of strings, stored as it is at confirmation."""
    dossier, offer = contract.dossier, contract.offer
    child = dossier.child
    adults = {adult.role: adult for adult in child.household.adults.all()}
    parents = [
        [_("Parent titulaire du compte"), str(adults[Adult.Role.HOLDER])]
        if Adult.Role.HOLDER in adults
        else None,
        [_("Second parent"), str(adults[Adult.Role.SECOND_PARENT])]
        if Adult.Role.SECOND_PARENT in adults
        else None,
        [_("Adresse du foyer"), child.household.address] if child.household.address else None,
    ]
    creche = offer.establishment
    return {
        "title": _("%(commune)s — contrat d'accueil en crèche") % {"commune": settings.COMMUNE_NAME},
        "subtitle": _("Demande %(reference)s, contrat établi le %(day)s")
        % {"reference": dossier.reference, "day": _day(timezone.localtime(contract.drawn_at))},
        "sections": [
            {
                "heading": _("L'enfant et ses parents"),
                "rows": [
                    [_("Enfant"), str(child)],
                    [_("Date de naissance"), _day(child.birth_date)],
                    *[row for row in parents if row],
                ],
            },
            {
                "heading": _("L'accueil"),
                "rows": [
                    [_("Crèche"), creche.name + (f", {creche.address}" if creche.address else "")],
                    [_("Section"), offer.get_age_group_display()],
                    [_("Date d'entrée"), _day(contract.start_date)],
                    [_("Date de fin"), _day(dossier.period.ends_on)],
                    [_("Période"), dossier.period.label],
                ],
            },
            {
                "heading": _("Planning hebdomadaire"),
                "rows": [
                    *_schedule_rows(dossier),
                    [_("Heures réservées par semaine"), f"{formats.number(contract.hours_per_week)}\u00a0h"],
                ],
            },
            {
                "heading": _("Tarif"),
                "rows": [
                    [_("Tarif horaire (barème PSU de la CNAF)"), formats.euros(contract.hourly_rate)],
                    [_("Semaines d'accueil par an"), formats.number(contract.weeks_per_year)],
                    [_("Mois facturés"), formats.number(contract.months_billed)],
                    [_("Mensualité"), formats.euros(contract.monthly_fee)],
                ],
            },
            {"key": CALCULATION, "heading": _("Calcul du tarif"), "lines": list(contract.explanation)},
            {"heading": _("Acceptation"), "lines": _acceptance_lines(contract)},
        ],
    }


def document_with_calculation(document: dict | None, lines: list[str]) -> dict | None:
    """The frozen document with its calculation replaced (the household's income erased from it)."""
    if document is None:
        return None
    sections = [
        {**section, "lines": list(lines)} if section.get("key") == CALCULATION else section
        for section in document["sections"]
    ]
    return {**document, "sections": sections}


def document_pdf(document: dict) -> bytes:
    pdf = documents.document(document["title"])
    documents.line(pdf, 9, document["title"], style="B", size=16)
    documents.line(pdf, 6, document["subtitle"], size=10)
    for section in document["sections"]:
        pdf.ln(2.5)
        documents.heading(pdf, section["heading"])
        if section.get("rows"):
            documents.rows(pdf, section["rows"])
        for text in section.get("lines", ()):
            documents.line(pdf, 5, text, size=10)
    return bytes(pdf.output())


def contract_pdf(contract) -> bytes:
    """The contract as confirmed once it is, as it stands until then."""
    return document_pdf(contract.document or contract_document(contract))
