"""The CNAF barème des participations familiales (PSU) for crèches, shipped as data with the date and source
of each figure.

The data migration copies SHIPPED into the database, where agents edit it; cantine.selectors.psu_bareme()
reads it back as a Bareme. Figures marked confirmed=False rest on a weak, undated or partly verified source
(shared/reference/tariffs.md, section 3): the admin flags them so an agent checks them against the CAF."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy

from pricing.errors import BaremeError
from pricing.words import _

# collective crèche / crèche familiale or parentale / micro-crèche (PSU)
ESTABLISHMENTS = ("collective", "family", "micro")

ESTABLISHMENT_LABELS = {
    "collective": gettext_lazy("crèche collective"),
    "family": gettext_lazy("crèche familiale ou parentale"),
    "micro": gettext_lazy("micro-crèche"),
}


@dataclass(frozen=True)
class EffortRate:
    valid_from: date
    establishment: str  # one of ESTABLISHMENTS
    children_min: int  # inclusive
    children_max: int | None  # inclusive, None = and more
    rate_percent: Decimal  # taux d'effort per hour, in percent (0.0619 means 0.0619 %)
    source: str
    confirmed: bool

    def covers(self, children: int) -> bool:
        return self.children_min <= children and (self.children_max is None or children <= self.children_max)


@dataclass(frozen=True)
class ResourceLimits:
    valid_from: date
    floor: Decimal  # monthly plancher
    ceiling: Decimal  # monthly plafond
    source: str
    confirmed: bool


@dataclass(frozen=True)
class Bareme:
    rates: tuple[EffortRate, ...]
    limits: tuple[ResourceLimits, ...]

    def effort_rate(self, on: date, establishment: str, children: int) -> EffortRate:
        """The rate in force on that date. Only the latest table before the date is read: a row missing from it
        is an error, never silently filled from an older table."""
        rows = [r for r in self.rates if r.establishment == establishment and r.valid_from <= on]
        label = ESTABLISHMENT_LABELS.get(establishment, establishment)
        if not rows:
            raise BaremeError(
                _("Le barème ne contient aucun taux d'effort pour une %(establishment)s au %(on)s.")
                % {"establishment": label, "on": f"{on:%d/%m/%Y}"}
            )
        latest = max(r.valid_from for r in rows)
        for row in rows:
            if row.valid_from == latest and row.covers(children):
                return row
        raise BaremeError(
            _(
                "Le barème en vigueur depuis le %(since)s ne prévoit pas de taux d'effort pour %(children)s enfant(s) en %(establishment)s."
            )
            % {"since": f"{latest:%d/%m/%Y}", "children": children, "establishment": label}
        )

    def resource_limits(self, on: date) -> ResourceLimits:
        rows = [row for row in self.limits if row.valid_from <= on]
        if not rows:
            raise BaremeError(
                _("Le barème ne contient aucun plancher ni plafond de ressources au %(on)s.")
                % {"on": f"{on:%d/%m/%Y}"}
            )
        return max(rows, key=lambda row: row.valid_from)


# Taux d'effort per hour, in percent, by column of the reference table: until Aug 2019, Sep–Dec 2019, 2020, 2021,
# from 2022. Rows: (children_min, children_max) → one rate per column.
_COLUMNS = (date(2019, 1, 1), date(2019, 9, 1), date(2020, 1, 1), date(2021, 1, 1), date(2022, 1, 1))
_COLLECTIVE = {
    (1, 1): ("0.06", "0.0605", "0.0610", "0.0615", "0.0619"),
    (2, 2): ("0.05", "0.0504", "0.0508", "0.0512", "0.0516"),
    (3, 3): ("0.04", "0.0403", "0.0406", "0.0410", "0.0413"),
    (4, 7): ("0.03", "0.0302", "0.0305", "0.0307", "0.0310"),
    (8, None): ("0.02", "0.0202", "0.0203", "0.0205", "0.0206"),
}
_FAMILY = {
    (1, 1): ("0.05", "0.0504", "0.0508", "0.0512", "0.0516"),
    (2, 2): ("0.04", "0.0403", "0.0406", "0.0410", "0.0413"),
    (3, 5): ("0.03", "0.0302", "0.0305", "0.0307", "0.0310"),
    (6, None): ("0.02", "0.0202", "0.0203", "0.0205", "0.0206"),
}
_RATE_SOURCES = {
    date(2019, 1, 1): "Barème CNAF jusqu'au 31/08/2019 : studio1247/gertrude cotisation.py",
    date(2019, 9, 1): "Barème CNAF du 01/09/2019 : studio1247/gertrude cotisation.py",
    date(2020, 1, 1): "Barème CNAF 2020 : studio1247/gertrude cotisation.py",
    date(2021, 1, 1): "Barème CNAF 2021 : studio1247/gertrude cotisation.py",
    date(
        2022, 1, 1
    ): "Barème CNAF depuis 2022 : studio1247/gertrude cotisation.py ; pages des villes et des CAF 2022-2025",
}
_MICRO_FROM = date(2019, 9, 1)  # PSU micro-crèches use the collective rates from 1 Sep 2019 only


def _rates() -> tuple[EffortRate, ...]:
    rows = []
    for establishment, table in (("collective", _COLLECTIVE), ("family", _FAMILY), ("micro", _COLLECTIVE)):
        for column, valid_from in enumerate(_COLUMNS):
            if establishment == "micro" and valid_from < _MICRO_FROM:
                continue
            for (children_min, children_max), figures in table.items():
                source = _RATE_SOURCES[valid_from]
                if establishment == "micro":
                    source += " (taux de la crèche collective, applicables aux micro-crèches PSU depuis le 01/09/2019)"
                rows.append(
                    EffortRate(
                        valid_from=valid_from,
                        establishment=establishment,
                        children_min=children_min,
                        children_max=children_max,
                        rate_percent=Decimal(figures[column]).quantize(
                            Decimal("0.0001")
                        ),  # as the admin keeps it
                        source=source,
                        confirmed=True,
                    )
                )
    return tuple(rows)


def _limits(valid_from, floor, ceiling, source, confirmed=True) -> ResourceLimits:
    return ResourceLimits(
        valid_from=valid_from,
        floor=Decimal(floor),
        ceiling=Decimal(ceiling),
        source=source,
        confirmed=confirmed,
    )


SHIPPED = Bareme(
    rates=_rates(),
    limits=(
        _limits(
            date(2019, 1, 1),
            "705.27",
            "4874.62",
            "babilou ; partenaires-caf66.fr — plancher : date exacte du passage de 687,30 € à 705,27 € non vérifiée",
            confirmed=False,
        ),
        # Whatever the date of the switch from 687.30, the floor was 705.27 by 1 Sep 2019.
        _limits(
            date(2019, 9, 1),
            "705.27",
            "5300.00",
            "babilou ; partenaires-caf66.fr (plafond 5 300 € au 01/09/2019)",
        ),
        _limits(date(2020, 1, 1), "705.27", "5600.00", "leaetleo.com"),
        _limits(
            date(2021, 1, 1),
            "711.62",
            "5800.00",
            "minimall.fr — plafond : source faible (une page privée)",
            confirmed=False,
        ),
        _limits(
            date(2022, 1, 1),
            "712.33",
            "6000.00",
            "vincennes.fr (plancher : page municipale non datée) ; caf45-partenaires.fr",
            confirmed=False,
        ),
        _limits(date(2023, 1, 1), "754.16", "6000.00", "mesclesdubonheur.com"),
        _limits(date(2024, 1, 1), "765.77", "6000.00", "suresnes.fr ; caf45-partenaires.fr"),
        _limits(
            date(2024, 9, 1),
            "765.77",
            "7000.00",
            "suresnes.fr ; caf45-partenaires.fr (plafond 7 000 € au 01/09/2024)",
        ),
        _limits(
            date(2025, 1, 1),
            "801.00",
            "7000.00",
            "lesparentszens.com ; caf.fr (actualité 2025) ; 1,26 × RSA 635,71 €",
        ),
        _limits(
            date(2025, 9, 1),
            "801.00",
            "8500.00",
            "caf.fr (actualité 2025) ; caf37-partenaires.fr (plafond 8 500 € au 01/09/2025, contrats en cours compris)",
        ),
        _limits(
            date(2026, 1, 1),
            "814.62",
            "8500.00",
            "suresnes.fr — plancher partiellement vérifié (1,26 × RSA 646,52 € = 814,62 €)",
            confirmed=False,
        ),
    ),
)
