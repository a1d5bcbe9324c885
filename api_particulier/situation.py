"""What the portal reads from an API Particulier answer (CAF/MSA quotient familial, PSU resources), as typed
values, the identity-pivot a local account is looked up by, and the errors a lookup can end with.

Each error carries the French message the family reads; `reason` lets views, logs and the support command tell
them apart, `code` and `provider` are the contract's `errors[].code` and `meta.provider`."""

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

# The FranceConnect scopes (FranceConnect's catalogue) of the CAF and MSA data a tariff reads on the france_connect
# routes: the figure, and the allocataires and children the cross-checks compare (never cnaf_adresse).
QUOTIENT_FAMILIAL_SCOPES = ("cnaf_quotient_familial", "cnaf_allocataires", "cnaf_enfants")
FRANCE = "99100"  # codeCogInseePaysNaissance of people born in France
COG = re.compile(r"[0-9][0-9AB][0-9]{3}")  # 2A/2B: Corsica's communes
DEPARTEMENT = re.compile(r"[0-9][0-9AB][0-9]?")


@dataclass(frozen=True)
class IdentityPivot:
    """Who a local account's holder is, for the `identite` routes; named as the contract's parameters are.
    A person born in France gives their birth commune's COG code, or its name with the département's code."""

    nom_naissance: str
    prenoms: tuple[str, ...]
    sexe: str  # sexeEtatCivil: M or F
    date_naissance: date
    code_cog_insee_pays_naissance: str
    code_cog_insee_commune_naissance: str = ""
    nom_commune_naissance: str = ""
    code_cog_insee_departement_naissance: str = ""
    nom_usage: str = ""

    def problems(self) -> list[str]:
        """What keeps this identity from being sent (checked before any call, which would cost the limits)."""
        found = []
        if not self.nom_naissance.strip():
            found.append("nom_naissance")
        if not [prenom for prenom in self.prenoms if prenom.strip()]:
            found.append("prenoms")
        if self.sexe not in ("M", "F"):
            found.append("sexe")
        if not isinstance(self.date_naissance, date):
            found.append("date_naissance")
        if not re.fullmatch(r"[0-9]{5}", self.code_cog_insee_pays_naissance):
            found.append("code_cog_insee_pays_naissance")
        elif self.code_cog_insee_pays_naissance == FRANCE:
            by_code = COG.fullmatch(self.code_cog_insee_commune_naissance)
            by_name = self.nom_commune_naissance.strip() and DEPARTEMENT.fullmatch(
                self.code_cog_insee_departement_naissance
            )
            if not (by_code or by_name):
                found.append("commune_naissance")
        return found


@dataclass(frozen=True)
class Person:
    """An allocataire, their spouse or a child, as the CAF or the MSA lists them (for the household checks)."""

    nom_naissance: str
    nom_usage: str
    prenoms: str  # space-separated, as the provider sends them
    date_naissance: date | None
    sexe: str
    code_cog_insee_commune_naissance: str = ""


@dataclass(frozen=True)
class QuotientFamilial:
    provider: str  # CAF or MSA (the contract's fournisseur CNAF is the CAF)
    value: int  # euros
    year: int  # the month the QF applies to
    month: int
    calculation_year: int | None
    calculation_month: int | None
    allocataires: tuple[Person, ...]
    enfants: tuple[Person, ...]
    correlation_id: str


@dataclass(frozen=True)
class EajeResources:
    """The PSU parameters: the crèche rate is the annual resources ÷ 12 times the CNAF effort rate."""

    annual_resources: int  # base_ressources_annuelles.valeur, euros
    year: int  # base_ressources_annuelles.annee_calcul
    children: int  # nombre_enfants_a_charge
    aeeh_children: int  # nombre_enfants_beneficiaire_aeeh
    allocataires: tuple[Person, ...]
    enfants: tuple[Person, ...]
    correlation_id: str
    provider: str = ""  # the EAJE answer does not name its fournisseur


@dataclass(frozen=True)
class RateLimitHeaders:
    """RateLimit-Limit (calls per minute on the route), RateLimit-Remaining, RateLimit-Reset (a timestamp) and
    Retry-After (seconds), each None when not sent or unreadable."""

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None
    retry_after: int | None = None


class ParticulierError(Exception):
    """A lookup that did not give a usable answer."""

    reason = "error"
    message = _("Le service qui transmet les données de la CAF et de la MSA n'a pas pu répondre.")
    # The commune's side must act (habilitation, token, settings): the alert recipients are told.
    alerts_agents = False
    # Whether the family may usefully try again later; if not, another income source is the way.
    retry_helps = True

    def __init__(
        self,
        detail: str = "",
        *,
        correlation_id: str = "",
        status: int | None = None,
        code: str = "",
        provider: str = "",
        rate_limit: RateLimitHeaders | None = None,
    ):
        super().__init__(detail or self.reason)
        self.detail = detail
        self.correlation_id = correlation_id
        self.status = status
        self.code = code
        self.provider = provider
        self.rate_limit = rate_limit or RateLimitHeaders()


class NotFound(ParticulierError):
    """404: no allocataire file at the CAF (23003), the MSA (10003), the CNAV (37003), or in any fund (35003).
    The same question gets the same answer: the family is sent to the other income sources."""

    reason = "not_found"
    retry_helps = False

    @property
    def message(self):
        if self.provider == "CAF":
            return _("La CAF ne trouve pas de dossier allocataire pour cette personne.")
        if self.provider == "MSA":
            return _("La MSA ne trouve pas de dossier allocataire pour cette personne.")
        return _("Aucun dossier allocataire n'a été trouvé à la CAF ni à la MSA pour cette personne.")


class InvalidToken(ParticulierError):
    """401 with the commune's token: invalid, expired (00103) or blacklisted (00105). Agents must renew it."""

    reason = "invalid_token"
    message = _(
        "Le service de la CAF et de la MSA a refusé l'accès de la commune. Ce n'est pas de votre fait : "
        "les agents sont prévenus."
    )
    alerts_agents = True
    retry_helps = False


class FranceConnectTokenRefused(InvalidToken):
    """401 on a `france_connect` route: the family's access token lives 60 seconds; signing in again helps."""

    reason = "franceconnect_token"
    message = _("Votre connexion FranceConnect a expiré. Reconnectez-vous avec FranceConnect puis réessayez.")
    alerts_agents = False
    retry_helps = True


class ScopeMissing(ParticulierError):
    """403 (00100): the token is valid but its habilitation lacks this route's scope."""

    reason = "scope_missing"
    message = _(
        "La commune n'est pas habilitée à recevoir ces données de la CAF ou de la MSA. Ce n'est pas de votre "
        "fait : les agents sont prévenus."
    )
    alerts_agents = True
    retry_helps = False


class RequestInProgress(ParticulierError):
    """409 (00015): the same request with the same token is still being served."""

    reason = "in_progress"
    message = _("Une demande identique est déjà en cours. Réessayez dans quelques secondes.")


class InvalidIdentity(ParticulierError):
    """422 on the identity (00366), or an identity refused before any call: the holder's details must change."""

    reason = "invalid_identity"
    message = _(
        "Les informations d'état civil ne permettent pas d'interroger la CAF ou la MSA. Vérifiez le nom de "
        "naissance, les prénoms, le sexe, la date et le lieu de naissance."
    )
    retry_helps = False


class Misconfigured(ParticulierError):
    """A refusal only our settings explain: 422 on `recipient` (00203), another 4xx, an unknown path."""

    reason = "misconfigured"
    message = _(
        "Le service de la CAF et de la MSA est indisponible pour le moment. Ce n'est pas de votre fait : les "
        "agents de la commune sont prévenus."
    )
    alerts_agents = True
    retry_helps = False


class RateLimited(ParticulierError):
    """429 from API Particulier, or the portal's own limits reached before calling (status None)."""

    reason = "rate_limited"
    message = _("Trop de demandes sont en cours auprès de la CAF et de la MSA. Réessayez dans une minute.")


class ProviderUnavailable(ParticulierError):
    """502/504 (the CAF, the MSA or their intermediary is down or late), or API Particulier unreachable."""

    reason = "unavailable"
    message = _(
        "Le service de la CAF et de la MSA ne répond pas pour le moment. Réessayez dans quelques minutes."
    )


class InvalidResponse(ParticulierError):
    """A 200 whose body cannot be read as the contract's answer (not JSON, the figures missing)."""

    reason = "invalid_response"
    message = _("La réponse du service de la CAF et de la MSA est illisible. Réessayez plus tard.")
