"""What the portal keeps from a DGFiP answer, as typed values, and the errors a lookup can end with.

Each error carries the French message the family reads; `reason` lets views and logs tell them apart."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Declarant:
    birth_name: str  # nmNaiDec
    usage_name: str  # nmUsaDec, "" when none
    first_names: str  # prnmDec, space-separated, upper case as DGFiP sends them
    birth_date: date | None


@dataclass(frozen=True)
class Address:
    """The foyer's address as DGFiP knows it (aft, and aftDetail when sent): read, never stored."""

    text: str  # aft, on one line, upper case
    complement: str = ""  # aftDetail.complementAdresse
    street: str = ""  # aftDetail.voie
    postcode: str = ""  # aftDetail.getcodePostal (codePostal in the 2020 schema)
    city: str = ""  # aftDetail.getcommune (commune in the 2020 schema)


@dataclass(frozen=True)
class TaxSituation:
    year: int  # income year (annrev): income N is on the notice of N+1
    rfr: int  # revenu fiscal de référence, euros
    nb_parts: Decimal
    sit_fam: str  # M, O, C, D, V or "" when not released
    nb_pac: int  # dependants (personnes à charge), 0 when the block is missing
    single_parent: bool  # case T (sitParIso)
    declarants: tuple[Declarant, ...]
    correlation_id: str  # X-Correlation-ID of the call that answered
    address: Address | None = None  # only when the scope dgfip_aft is granted; kept nowhere


@dataclass(frozen=True)
class TaxAddress:
    """The foyer's address declared on 1 January (scope dgfip_aft) and who declares there: the proof of domicile
    for a resident parking card. The income is read from that answer only when asked (`income`)."""

    year: int
    address: Address
    declarants: tuple[Declarant, ...]
    correlation_id: str
    # The same answer's RFR and parts, when they were asked (with_income) and DGFiP sent them usable: a resident
    # parking card's social tariff. None otherwise; the address stands without them.
    income: "TaxSituation | None" = None


class ImpotError(Exception):
    """A lookup that did not give a usable TaxSituation."""

    reason = "unavailable"
    message = _("Le service des impôts n'a pas pu répondre.")
    alerts_agents = False  # the commune's side must act (habilitation, settings): the alert recipients are told
    retry_helps = True  # whether the family may usefully press the button again; if not, the notice is the way

    def __init__(self, detail: str = "", *, correlation_id: str = ""):
        super().__init__(detail or self.reason)
        self.detail = detail
        self.correlation_id = correlation_id


class InvalidTaxNumber(ImpotError):
    """DGFiP refused the number typed (400/4001). Worded so that it does not tell a stranger whether the number
    is a real taxpayer's: the family reads the same for « no declaration » by number."""

    reason = "invalid_number"
    message = _(
        "Le service des impôts ne peut pas transmettre de revenus pour ce numéro fiscal. Vérifiez les 13 chiffres, "
        "en haut à gauche de la première page de votre avis d'imposition, ou envoyez votre avis d'imposition."
    )


class NoDeclaration(ImpotError):
    reason = "no_declaration"
    message = _(
        "Le service des impôts ne trouve pas de déclaration de revenus récente pour ce foyer. "
        "Si vous avez saisi un numéro fiscal, vérifiez-le sur votre avis d'imposition."
    )


class AccessRefused(ImpotError):
    reason = "access_refused"
    message = _(
        "Le service des impôts a refusé l'accès de la commune à ces données. Ce n'est pas de votre fait : "
        "les agents sont prévenus."
    )
    alerts_agents = True
    retry_helps = False


class ImpotUnavailable(ImpotError):
    reason = "unavailable"
    message = _("Le service des impôts ne répond pas pour le moment. Réessayez dans quelques minutes.")


class GatewayMisconfigured(ImpotUnavailable):
    """The gateway answered in a way only our settings explain (an unknown path, a request it calls malformed)."""

    reason = "misconfigured"
    message = _(
        "Le service des impôts est indisponible pour le moment. Ce n'est pas de votre fait : les agents de la "
        "commune sont prévenus."
    )
    alerts_agents = True
    retry_helps = False


class InvalidResponse(ImpotUnavailable):
    """DGFiP answered with a body that cannot be read (not JSON, not an object): perhaps a passing fault."""

    reason = "invalid_response"
    message = _("La réponse du service des impôts est illisible. Réessayez plus tard.")


class IncompleteAnswer(InvalidResponse):
    """DGFiP answered the foyer's situation without a usable rfr or nbPart: the same question gets the same
    answer, so the family is sent to the notice, not back to the button."""

    reason = "incomplete"
    message = _(
        "Le service des impôts a répondu sans le revenu fiscal de référence ou le nombre de parts de votre "
        "foyer : une nouvelle demande n'y changera rien. Envoyez plutôt votre avis d'imposition."
    )
    retry_helps = False


class QuotaReached(ImpotError):
    reason = "quota"
    message = _(
        "Trop de demandes sont en cours auprès du service des impôts. Revenez dans une minute : "
        "votre demande est enregistrée."
    )
