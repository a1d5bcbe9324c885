"""The lookup at DGFiP that a family's consent allows, in either mode, and the figures it obtained.

A DGFiP lookup happens outside any transaction (the family waits on the network, not on a lock); what
it returns is written in one transaction afterwards, and only the fields the tariff uses are kept. What the
figures mean for a dossier (its tariff, its messages) is the démarche's business (cantine.income)."""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from limits import RateLimitItem, parse_many

from impot_client import client
from impot_client.models import TaxData
from impot_client.situation import ImpotError, ImpotUnavailable, QuotaReached, TaxSituation
from portal import ratelimit
from portal.alerts import alert_raise, alert_raise_if_lasting
from portal.identity import household_identity_keys, identity_key
from portal.models import Consent
from portal.resilience import CACHE_ERRORS

logger = logging.getLogger(__name__)

# The FranceConnect scope of each field a consent may name (Consent.fields, the names TaxData keeps).
FIELD_SCOPES = {"rfr": "dgfip_rfr", "nb_parts": "dgfip_nbpart", "nb_pac": "dgfip_pac_nbPac"}
# The latest income year, or the one before while DGFiP has not published it (before late July).
YEAR_SCOPES = ("dgfip_annee_n_moins_1", "dgfip_annee_n_moins_2_si_indispo_n_moins_1")
NUMERO_FISCAL_KEY_SALT = "impot_client.services.numero_fiscal"
# Whichever limit is reached, and whatever the number: the message says nothing about the number typed.
TOO_MANY_LOOKUPS = gettext_lazy(
    "Trop de recherches par numéro fiscal ont été faites depuis votre compte ou pour cette demande : par sécurité, "
    "une nouvelle recherche ne sera possible que plus tard (jusqu'à 24 heures). Vous pouvez dès maintenant envoyer "
    "votre avis d'imposition à la place."
)


def franceconnect_scopes(fields: list[str]) -> str:
    return " ".join(["openid", *(FIELD_SCOPES[field] for field in fields), *YEAR_SCOPES])


def _declarant_keys(situation: TaxSituation) -> list[str]:
    """Each declarant under their birth name and, when they have one, their usage name."""
    keys = {
        identity_key(name, declarant.first_names, declarant.birth_date)
        for declarant in situation.declarants
        for name in (declarant.birth_name, declarant.usage_name)
    }
    return sorted(keys - {None})


def declarants_match(household, situation: TaxSituation) -> bool:
    """Whether an adult of the household is one of the declarants (names without accents or punctuation, first
    given name, birth date). It compares with what the family typed: a hint, not a proof of identity."""
    return bool(household_identity_keys(household) & set(_declarant_keys(situation)))


@transaction.atomic
def _tax_data_store(*, consent: Consent, situation: TaxSituation, numero_fiscal: str = "") -> TaxData:
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:  # withdrawn while DGFiP was answering: keep nothing
        raise ValidationError(
            _("Votre accord a été retiré entre-temps : rien n'a été conservé."), code="withdrawn"
        )
    mismatch = bool(numero_fiscal) and not declarants_match(consent.household, situation)
    TaxData.objects.filter(dossier=consent.dossier).delete()
    return TaxData.objects.create(
        dossier=consent.dossier,
        household=consent.household,
        consent=consent,
        source=TaxData.Source.DGFIP_NUMERO_FISCAL if numero_fiscal else TaxData.Source.DGFIP_FRANCECONNECT,
        year=situation.year,
        rfr=situation.rfr,
        nb_parts=situation.nb_parts,
        nb_pac=situation.nb_pac if "nb_pac" in consent.fields else None,
        numero_fiscal=numero_fiscal,
        identity_mismatch=mismatch,
        declarant_keys=_declarant_keys(situation) if numero_fiscal else [],
        correlation_id=situation.correlation_id,
    )


# What each kind of alert tells its recipients to check: their title, then where the cause usually lies.
AGENT_CHECKS = {
    "access_refused": (
        gettext_lazy("accès refusé (HTTP 403)"),
        gettext_lazy(
            "La DGFiP refuse l'accès du portail. Vérifiez l'habilitation DataPass (ses scopes), le certificat "
            "client (IMPOT_CLIENT_CERT, IMPOT_CLIENT_KEY, sa date d'expiration) et l'ID_Teleservice "
            "(IMPOT_ID_TELESERVICE)."
        ),
    ),
    "misconfigured": (
        gettext_lazy("passerelle mal configurée"),
        gettext_lazy(
            "La passerelle de la DGFiP répond comme seuls nos réglages l'expliquent (adresse inconnue, requête "
            "jugée mal formée). Vérifiez IMPOT_API_URL, IMPOT_TOKEN_URL, le scope demandé et l'ID_Teleservice."
        ),
    ),
    "quota": (
        gettext_lazy("quota épuisé depuis plusieurs minutes"),
        gettext_lazy(
            "Les demandes à la DGFiP sont refusées faute de quota depuis plusieurs minutes : les familles "
            "attendent. Vérifiez IMPOT_QUOTA_PER_MINUTE au regard du quota accordé par DataPass, et demandez-en "
            "un plus élevé si l'affluence le justifie."
        ),
    ),
}


def _alert_agents(error: ImpotError, mode: str):
    """Tell the alert recipients what to check, without anything personal: the kind, the mode and the correlation
    id (DGFiP's support finds the call with it); the alert adds the times. Quota refusals only alert when they
    last: a burst is what the quota is for."""
    title, to_check = AGENT_CHECKS.get(error.reason, AGENT_CHECKS["misconfigured"])
    details = _("Mode : %(mode)s. Identifiant de corrélation : %(correlation_id)s.") % {
        "mode": mode or "-",
        "correlation_id": error.correlation_id or "-",
    }
    message = "\n".join([_("API Impôt particulier : %(title)s") % {"title": title}, str(to_check), details])
    kind = f"impot_{error.reason}"
    if isinstance(error, QuotaReached):
        after = timedelta(minutes=settings.IMPOT_QUOTA_ALERT_AFTER_MINUTES)
        alert = alert_raise_if_lasting(kind=kind, message=message, after=after)
    else:
        alert = alert_raise(kind=kind, message=message)
    if alert is not None:
        logger.error(
            "impot_client: alert %s (mode=%s, correlation_id=%s)", kind, mode, error.correlation_id or "-"
        )


def _lookup(fetch, *, mode: str):
    try:
        return fetch()
    except ImpotError as error:
        if error.alerts_agents or isinstance(error, QuotaReached):
            _alert_agents(error, mode)
        raise


def tax_data_fetch_with_franceconnect(*, consent: Consent, access_token: str, today=None) -> TaxData:
    """Right after the FranceConnect callback: the access token lives 60 seconds."""
    situation = _lookup(lambda: client.fetch_with_franceconnect(access_token, today=today), mode=consent.mode)
    return _tax_data_store(consent=consent, situation=situation)


def tax_data_fetch_by_numero_fiscal(*, consent: Consent, numero_fiscal: str, today=None) -> TaxData:
    """A lookup by the number the family typed, within the account's and the dossier's limits (checked and counted
    before any call, so a refused one costs the commune's DGFiP quota nothing). One at a time per consent: a double
    click waits for the first lookup and gets its figures (single_lookup)."""

    def fetch():
        _numero_fiscal_lookup_count(user=consent.user, dossier=consent.dossier, numero_fiscal=numero_fiscal)
        situation = _lookup(lambda: client.fetch_by_numero_fiscal(numero_fiscal, today=today), mode=consent.mode)
        return _tax_data_store(consent=consent, situation=situation, numero_fiscal=numero_fiscal)

    return single_lookup(consent, fetch)


LOOKUP_POLL_SECONDS = 0.2
wait = time.sleep  # tests replace it


def single_lookup(consent: Consent, fetch) -> TaxData:
    """Run `fetch` unless a lookup for this consent is already under way (another click, another worker: a lease
    in the shared cache); then wait for it to end and give the figures it stored. Without them (it failed), the
    family may try again: DGFiP did not answer this time."""
    key = f"impot_client:lookup:{consent.pk}"
    seconds = int(2 * settings.IMPOT_TIMEOUT + settings.IMPOT_RETRY_BACKOFF) + 5
    try:
        leased = cache.add(key, "1", seconds)
    except CACHE_ERRORS as error:  # without the shared cache two lookups could run: refused instead
        raise ImpotUnavailable(f"lookup lease: {type(error).__name__}") from error
    if not leased:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and cache.get(key) is not None:
            wait(LOOKUP_POLL_SECONDS)
        found = TaxData.objects.filter(consent=consent).first()
        if found is None:
            raise ImpotUnavailable("the concurrent lookup stored no figures")
        return found
    try:
        return fetch()
    finally:
        cache.delete(key)


@dataclass(frozen=True)
class _LookupWindow:
    """One limit on lookups by numéro fiscal. For distinct numbers, `number` is the keyed fingerprint of the number
    typed: a one-hit window per number says whether it was already counted, so a number tried again is no new one."""

    rate: RateLimitItem
    keys: tuple[str, ...]
    number: str = ""

    @property
    def first_sight(self) -> RateLimitItem:
        return type(self.rate)(1, self.rate.multiples)

    def allows(self) -> bool:
        if self.number and not ratelimit.allows(self.first_sight, *self.keys, self.number):
            return True  # already counted in this window
        return ratelimit.allows(self.rate, *self.keys)

    def count(self) -> None:
        if not self.number or ratelimit.hit(self.first_sight, *self.keys, self.number):
            ratelimit.hit(self.rate, *self.keys)


def _lookup_windows(*, user, dossier, numero_fiscal: str) -> list[_LookupWindow]:
    """Attempts and distinct numbers, per account and per dossier. The number itself is never a key, only its
    keyed fingerprint."""
    number = salted_hmac(NUMERO_FISCAL_KEY_SALT, numero_fiscal, algorithm="sha256").hexdigest()
    windows = []
    for scope, pk, attempts, numbers in (
        (
            "account",
            user.pk,
            settings.IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_ACCOUNT,
            settings.IMPOT_NUMERO_FISCAL_NUMBERS_PER_ACCOUNT,
        ),
        (
            "dossier",
            dossier.pk,
            settings.IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_DOSSIER,
            settings.IMPOT_NUMERO_FISCAL_NUMBERS_PER_DOSSIER,
        ),
    ):
        windows += [
            _LookupWindow(rate, ("numero-fiscal-attempts", scope, str(pk))) for rate in parse_many(attempts)
        ]
        windows += [
            _LookupWindow(rate, ("numero-fiscal-numbers", scope, str(pk)), number)
            for rate in parse_many(numbers)
        ]
    return windows


def _limits_unavailable(error: ratelimit.Unavailable) -> ImpotUnavailable:
    """Limits that cannot be counted refuse the lookup (fail safe): the family reads « réessayez »."""
    logger.warning("impot_client: numéro fiscal limits unavailable (%s), no lookup made", error)
    return ImpotUnavailable("rate limit store unavailable")


def numero_fiscal_lookup_allowed(*, user, dossier, numero_fiscal: str) -> bool:
    """Whether one more lookup of this number would pass every limit (nothing counted). Raises ImpotUnavailable
    when the limits' store does not answer."""
    try:
        return all(
            window.allows()
            for window in _lookup_windows(user=user, dossier=dossier, numero_fiscal=numero_fiscal)
        )
    except ratelimit.Unavailable as error:
        raise _limits_unavailable(error) from error


def _numero_fiscal_lookup_count(*, user, dossier, numero_fiscal: str) -> None:
    windows = _lookup_windows(user=user, dossier=dossier, numero_fiscal=numero_fiscal)
    try:
        if not all(window.allows() for window in windows):
            logger.warning("impot_client: numéro fiscal lookups limit reached (dossier=%s)", dossier.pk)
            raise ValidationError(TOO_MANY_LOOKUPS, code="too_many_lookups")
        for window in windows:
            window.count()
    except ratelimit.Unavailable as error:
        raise _limits_unavailable(error) from error
