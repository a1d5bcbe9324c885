"""The simulator's fictitious vehicles, for API Particulier's ANTS route (FranceConnect mode only), and the view
that answers it at the contract's path. Plates are SIV-formatted and fictitious; the holders are FranceConnect test
identities (the `test` identity, DUBOIS, lives at 4 RUE DES ECOLES in Beauval, inside the demo's zone A).

===========  ==================================  =========================  =================================
Plate        Holder                              Status                     Case
===========  ==================================  =========================  =================================
AB-123-CD    DUBOIS Angela (FranceConnect test)  titulaire                  Euro 6d petrol: the demo's card
EF-456-GH    DUBOIS Angela                       locataire (LLD)            Euro 5 diesel, long-term lease
GH-789-JK    DUBOIS Angela                       titulaire                  Euro 2: refused by the demo grid
JK-012-LM    MERCIER Pierre (avec_nom_dusage)    cotitulaire                Euro 6 electric
MN-345-PQ    DURAND Paul (nobody's test id)      titulaire                  another person's car: no match
ZZ-999-ZZ    —                                   —                          409: same request in progress
any other    —                                   —                          404 42003
===========  ==================================  =========================  ================================="""

from dataclasses import dataclass

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from api_particulier.sandbox.views import (
    ParticulierError,
    _bearer,
    _check_recipient,
    _count,
    _franceconnect_identity,
    _invalid_token,
    _too_many_requests,
    sandbox_only,
)
from franceconnect.sandbox.identities import IDENTITIES

IN_PROGRESS = "ZZ-999-ZZ"
CLASS_LABELS = {
    code: f"Norme européenne d'émission {code}" for code in ("Euro 2", "Euro 5", "Euro 6", "Euro 6d")
}
FUELS = {"ES": "Essence", "GO": "Gazole", "EL": "Electricité"}


@dataclass(frozen=True)
class Vehicle:
    plate: str
    holder: str  # a FranceConnect test identity's key, or "other"
    status: str
    environmental_class: str
    fuel: str
    brand: str
    model: str
    lease: str = ""


VEHICLES = {
    vehicle.plate: vehicle
    for vehicle in (
        Vehicle("AB-123-CD", "test", "titulaire", "Euro 6d", "ES", "PEUGEOT", "208"),
        Vehicle("EF-456-GH", "test", "locataire", "Euro 5", "GO", "RENAULT", "MEGANE", lease="LLD"),
        Vehicle("GH-789-JK", "test", "titulaire", "Euro 2", "ES", "CITROEN", "SAXO"),
        Vehicle("JK-012-LM", "avec_nom_dusage", "cotitulaire", "Euro 6", "EL", "RENAULT", "ZOE"),
        Vehicle("MN-345-PQ", "other", "titulaire", "Euro 6", "ES", "DACIA", "SANDERO"),
    )
}
OTHER_HOLDER = {"nom": "DURAND", "prenom": "PAUL", "sexe": "M", "birthdate": "1975-06-30"}
HOLDER_ADDRESSES = {
    "test": ("4", "RUE", "DES ECOLES", "99999", "BEAUVAL"),
    "avec_nom_dusage": ("12", "RUE", "DES TILLEULS", "99999", "BEAUVAL"),
    "other": ("8", "AV", "DE PARIS", "99998", "AUTREVILLE"),
}


def _holder(vehicle: Vehicle) -> dict:
    if vehicle.holder == "other":
        nom, prenom, sexe, birthdate = OTHER_HOLDER.values()
    else:
        identity = IDENTITIES[vehicle.holder]
        nom, prenom = identity.family_name, identity.given_names[0].upper()
        sexe, birthdate = {"female": "F", "male": "M"}.get(identity.gender, "M"), identity.birthdate
    year, month, day = (int(part) or None for part in birthdate.split("-"))
    return {
        "nom": nom,
        "prenom": prenom,
        "sexe_etat_civil": sexe,
        "annee_date_naissance": year,
        "mois_date_naissance": month,
        "jour_date_naissance": day,
        "code_departement_naissance": "75",
    }


def _same(one: str, other: str) -> float:
    return 1.0 if one.strip().upper() == other.strip().upper() else 0.0


def _record(vehicle: Vehicle, person: dict) -> tuple[dict, dict]:
    holder = _holder(vehicle)
    number, street_type, street, postcode, commune = HOLDER_ADDRESSES[vehicle.holder]
    first_given = (person.get("given_name") or "").split(" ")[0]
    family_name, given_name = (
        _same(holder["nom"], person.get("family_name", "")),
        _same(holder["prenom"], first_given),
    )
    born = f"{holder['annee_date_naissance'] or 0:04d}-{holder['mois_date_naissance'] or 0:02d}-{holder['jour_date_naissance'] or 0:02d}"
    data = {
        "identite_particulier": holder,
        "adresse_particulier": {
            "complement_information": None,
            "num_voie": number,
            "type_voie": street_type,
            "libelle_voie": street,
            "code_postal_ville": postcode,
            "libelle_commune": commune,
            "lieu_dit": None,
            "etage_escalier_appartement": None,
            "extension": None,
            "pays": "FRANCE",
        },
        "statut_rattachement": vehicle.status,
        "donnees_immatriculation_vehicule": {
            "numero_immatriculation": vehicle.plate,
            "date_premiere_immatriculation": "2021-05-17",
            "statut_location": {
                "code": vehicle.lease or None,
                "label": "Location Longue Durée" if vehicle.lease == "LLD" else None,
            },
        },
        "caracteristiques_techniques_vehicule": {
            "marque": vehicle.brand,
            "type_variante_version": "SIM-0001",
            "denomination_commerciale": vehicle.model,
            "masse_charge_maximale": 1600,
            "categorie_vehicule": {"code": "M1", "label": "Véhicule de transport de personnes"},
            "genre_national": {"code": "VP", "label": "Véhicule Particulier"},
            "cylindree": 0 if vehicle.fuel == "EL" else 1199,
            "type_carburant": {"code": vehicle.fuel, "label": FUELS[vehicle.fuel]},
            "taux_co2": 0 if vehicle.fuel == "EL" else 118,
            "classe_environnementale": {
                "code": vehicle.environmental_class,
                "label": CLASS_LABELS[vehicle.environmental_class],
            },
        },
    }
    meta = {
        "identity_matching": {
            "family_name": family_name,
            "given_name": given_name,
            "birth_date": _same(born, person.get("birthdate", "")),
            "overall_match": bool(family_name and given_name),
        }
    }
    return data, meta


def _plate(raw: str) -> str:
    compact = "".join(char for char in raw.upper() if char.isalnum())
    return f"{compact[:2]}-{compact[2:5]}-{compact[5:]}" if len(compact) == 7 else raw.strip().upper()


@sandbox_only
@require_GET
def vehicle_france_connect(request):
    """/v3/ants/extrait_immatriculation_vehicule/france_connect"""
    headers: dict[str, str] = {}
    try:
        token = _bearer(request)
        if not token:
            raise _invalid_token()
        headers, allowed = _count(token)
        if not allowed:
            raise _too_many_requests()
        _check_recipient(request)
        plate = _plate(request.GET.get("immatriculation", ""))
        person, _scopes = _franceconnect_identity(token)
        if plate == IN_PROGRESS:
            raise ParticulierError(
                409,
                "00015",
                _("Requête en cours"),
                _("Une requête associé à votre jeton est déjà en cours de traitement pour ces paramètres."),
            )
        vehicle = VEHICLES.get(plate)
        if vehicle is None:
            raise ParticulierError(
                404,
                "42003",
                _("Entité non trouvée"),
                _(
                    "Le ou les paramètre(s) d'entrée n'existent pas, ne sont pas connus, ou ne comportent aucune "
                    "donnée à restituer."
                ),
                meta={"provider": "ANTS"},
            )
        data, meta = _record(vehicle, person)
    except ParticulierError as error:
        return JsonResponse({"errors": [error.error]}, status=error.status, headers=headers)
    return JsonResponse({"data": data, "links": {}, "meta": meta}, headers=headers)
