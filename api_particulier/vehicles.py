"""The ANTS vehicle record through API Particulier (`/v3/ants/extrait_immatriculation_vehicule/france_connect`):
who holds the registration (owner, co-owner or long-term lessee), their address, and the vehicle's environmental
class. FranceConnect only: the family's access token is the bearer, the plate the only parameter."""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from api_particulier.client import FRANCE_CONNECT, Call, _optional_count, _text
from api_particulier.situation import InvalidResponse, NotFound

ROUTE = "extrait_immatriculation_vehicule"
PATH = f"/v3/ants/{ROUTE}/{FRANCE_CONNECT}"
STATUSES = ("titulaire", "cotitulaire", "locataire")


class VehicleNotFound(NotFound):
    """404 (42003): no vehicle registered under this plate, or not for this person."""

    provider_label = "ANTS"

    @property
    def message(self):
        return _(
            "L'ANTS ne trouve pas de véhicule à ce numéro d'immatriculation : vérifiez-le sur la carte grise, ou "
            "envoyez la carte grise à la place."
        )


@dataclass(frozen=True)
class VehicleHolder:
    """The person the registration names (identite_particulier), as the ANTS writes it."""

    nom: str
    prenom: str
    sexe: str
    date_naissance: date | None


@dataclass(frozen=True)
class VehicleRecord:
    plate: str  # numero_immatriculation, as the ANTS writes it
    first_registration: str  # date_premiere_immatriculation
    status: str  # statut_rattachement: titulaire, cotitulaire or locataire (LLD, LCB, LCL)
    lease: str  # statut_location.code, "" when not leased
    holder: VehicleHolder
    address_lines: tuple[str, ...]  # the holder's address, for an agent's eyes (never matched automatically)
    postcode: str
    commune: str
    environmental_class: str  # classe_environnementale.code: « Euro 6d »
    fuel: str  # type_carburant.code: ES, GO, EL…
    category: str  # categorie_vehicule.code: M1…
    identity_matches: (
        bool | None
    )  # meta.identity_matching.overall_match: FranceConnect's person vs the holder
    correlation_id: str


class _VehicleCall(Call):
    def __init__(self, token: str):
        super().__init__(ROUTE, FRANCE_CONNECT, token)
        self.path, self.name = PATH, f"ants/{ROUTE}/{FRANCE_CONNECT}"


def _code(block) -> str:
    return _text(block.get("code")) if isinstance(block, dict) else ""


def vehicle_by_franceconnect(access_token: str, plate: str) -> VehicleRecord:
    """The registration of `plate` as the ANTS holds it, with whether it names the person signed in."""
    call = _VehicleCall(access_token)
    try:
        data = call.data([("immatriculation", plate)])
    except NotFound as error:
        raise VehicleNotFound(
            error.detail,
            correlation_id=error.correlation_id,
            status=error.status,
            code=error.code,
            provider="ANTS",
        ) from error
    try:
        person = data["identite_particulier"]
        registration = data["donnees_immatriculation_vehicule"]
        technical = data["caracteristiques_techniques_vehicule"]
        status = _text(data.get("statut_rattachement")).lower()
        if status not in STATUSES:
            raise ValueError("unknown statut_rattachement")
        year, month, day = (
            _optional_count(person.get(name))
            for name in ("annee_date_naissance", "mois_date_naissance", "jour_date_naissance")
        )
        born = date(year, month, day) if year and month and day else None
        address = data.get("adresse_particulier") or {}
        street = " ".join(
            filter(
                None,
                (_text(address.get(name)) for name in ("num_voie", "extension", "type_voie", "libelle_voie")),
            )
        )
        lines = tuple(
            filter(
                None,
                (
                    _text(address.get("etage_escalier_appartement")),
                    _text(address.get("complement_information")),
                    street,
                    _text(address.get("lieu_dit")),
                ),
            )
        )
        matching = (call.meta or {}).get("identity_matching")
        record = VehicleRecord(
            plate=_text(registration["numero_immatriculation"]),
            first_registration=_text(registration.get("date_premiere_immatriculation")),
            status=status,
            lease=_code(registration.get("statut_location")),
            holder=VehicleHolder(
                nom=_text(person.get("nom")),
                prenom=_text(person.get("prenom")),
                sexe=_text(person.get("sexe_etat_civil")).upper(),
                date_naissance=born,
            ),
            address_lines=lines,
            postcode=_text(address.get("code_postal_ville")),
            commune=_text(address.get("libelle_commune")),
            environmental_class=_code(technical.get("classe_environnementale")),
            fuel=_code(technical.get("type_carburant")),
            category=_code(technical.get("categorie_vehicule")),
            identity_matches=matching.get("overall_match") if isinstance(matching, dict) else None,
            correlation_id=call.correlation_id,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise call.error(InvalidResponse, "200 without a usable vehicle record") from error
    return record
