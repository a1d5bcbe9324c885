"""Writes on a household's income data: consent, lookups at DGFiP, tax notices, withdrawal and purge.

A DGFiP lookup happens outside any transaction (the family waits on the network, not on a lock); what
it returns is written in one transaction afterwards, and only the fields the tariff uses are kept."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from limits import RateLimitItem, parse_many

import pricing
from cantine import notifications, workflow
from cantine import services as cantine_services
from cantine.models import Dossier, DossierMessage, Service
from impot_client import client
from impot_client.models import TaxData, TaxNotice
from impot_client.situation import ImpotError, QuotaReached, TaxSituation
from portal import ratelimit
from portal.alerts import alert_raise, alert_raise_if_lasting
from portal.audit import audit_record
from portal.identity import household_identity_keys, identity_key
from portal.models import AuditEntry, Consent

logger = logging.getLogger(__name__)

# What the consent page lists, what the FranceConnect scopes ask for, and what TaxData keeps.
FIELD_LABELS = {
    "rfr": gettext_lazy("votre revenu fiscal de référence"),
    "nb_parts": gettext_lazy("votre nombre de parts fiscales"),
    "nb_pac": gettext_lazy("le nombre de personnes à votre charge"),
}
FIELD_SCOPES = {"rfr": "dgfip_rfr", "nb_parts": "dgfip_nbpart", "nb_pac": "dgfip_pac_nbPac"}
# The latest income year, or the one before while DGFiP has not published it (before late July).
YEAR_SCOPES = ("dgfip_annee_n_moins_1", "dgfip_annee_n_moins_2_si_indispo_n_moins_1")
RETENTION_AFTER_PERIOD = timedelta(days=92)
NUMERO_FISCAL_KEY_SALT = "impot_client.services.numero_fiscal"
# Whichever limit is reached, and whatever the number: the message says nothing about the number typed.
TOO_MANY_LOOKUPS = gettext_lazy(
    "Trop de recherches par numéro fiscal ont été faites depuis votre compte ou pour cette demande : par sécurité, "
    "une nouvelle recherche ne sera possible que plus tard (jusqu'à 24 heures). Vous pouvez dès maintenant envoyer "
    "votre avis d'imposition à la place."
)
NOTICE_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}  # what we accept, and its extension


def requested_fields(dossier: Dossier) -> list[str]:
    """Only what this service's tariff needs: the crèche barème also depends on the children in charge."""
    if dossier.service.kind == Service.Kind.CRECHE:
        return ["rfr", "nb_parts", "nb_pac"]
    return ["rfr", "nb_parts"]


def franceconnect_scopes(fields: list[str]) -> str:
    return " ".join(["openid", *(FIELD_SCOPES[field] for field in fields), *YEAR_SCOPES])


def retention_date(dossier: Dossier) -> date:
    return dossier.period.ends_on + RETENTION_AFTER_PERIOD


def purpose_for(dossier: Dossier) -> str:
    return _("Calcul du tarif %(service)s, %(period)s, pour %(child)s") % {
        "service": dossier.service.name,
        "period": dossier.period.label,
        "child": dossier.child.first_names,
    }


def text_hash(text: str) -> str:
    """The fingerprint of what the family read: whitespace-insensitive, so template layout does not count."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def _live_consent(dossier):
    return Consent.objects.select_for_update().filter(dossier=dossier, withdrawn_at__isnull=True).first()


def _withdraw(consent: Consent, *, now=None):
    """The figures obtained with an authorisation go, and every figure the dossier derived from them
    (withdrawing a refusal erases nothing)."""
    TaxData.objects.filter(consent=consent).delete()
    consent.withdrawn_at = now or timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    if consent.decision == Consent.Decision.GRANTED:
        return cantine_services.dossier_income_erase(
            dossier=consent.dossier, reason=cantine_services.IncomeErasure.WITHDRAWN
        )
    return None


@transaction.atomic
def consent_record(*, user, dossier: Dossier, decision: str, mode: str = "", shown_text_hash: str) -> Consent:
    """The family's answer to the consent page; a new answer replaces (withdraws) the previous one."""
    if dossier.child.household.owner_id != user.pk:
        raise ValidationError(_("Cette demande n'est pas la vôtre."), code="not_owner")
    previous = _live_consent(dossier)
    if previous is not None:
        _withdraw(previous)
    granted = decision == Consent.Decision.GRANTED
    return Consent.objects.create(
        dossier=dossier,
        household=dossier.child.household,
        user=user,
        decision=decision,
        mode=mode if granted else "",
        fields=requested_fields(dossier) if granted else [],
        purpose=purpose_for(dossier),
        text_hash=shown_text_hash,
    )


@transaction.atomic
def consent_withdraw(*, user, consent: Consent) -> None:
    """Withdrawal erases the fiscal data obtained with the consent, at once."""
    if consent.user_id != user.pk and consent.household.owner_id != user.pk:
        raise ValidationError(_("Ce consentement n'est pas le vôtre."), code="not_owner")
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is None:
        quote = _withdraw(consent)
        if consent.decision == Consent.Decision.GRANTED:
            notifications.dossier_notify(
                dossier=consent.dossier, kind=DossierMessage.Kind.INCOME_WITHDRAWN, quote=quote
            )


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
    before any call, so a refused one costs the commune's DGFiP quota nothing)."""
    _numero_fiscal_lookup_count(user=consent.user, dossier=consent.dossier, numero_fiscal=numero_fiscal)
    situation = _lookup(lambda: client.fetch_by_numero_fiscal(numero_fiscal, today=today), mode=consent.mode)
    return _tax_data_store(consent=consent, situation=situation, numero_fiscal=numero_fiscal)


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


def numero_fiscal_lookup_allowed(*, user, dossier, numero_fiscal: str) -> bool:
    """Whether one more lookup of this number would pass every limit (nothing counted)."""
    return all(
        window.allows() for window in _lookup_windows(user=user, dossier=dossier, numero_fiscal=numero_fiscal)
    )


def _numero_fiscal_lookup_count(*, user, dossier, numero_fiscal: str) -> None:
    windows = _lookup_windows(user=user, dossier=dossier, numero_fiscal=numero_fiscal)
    if not all(window.allows() for window in windows):
        logger.warning("impot_client: numéro fiscal lookups limit reached (dossier=%s)", dossier.pk)
        raise ValidationError(TOO_MANY_LOOKUPS, code="too_many_lookups")
    for window in windows:
        window.count()


@transaction.atomic
def tax_data_confirm(*, agent, tax_data: TaxData, ip: str | None = None) -> TaxData:
    """An agent checked (notice, identity papers) that the declarants of a numéro fiscal are this household's: the
    figures now set the tariff, and a sent dossier's tariff is computed with them (the family is told if the amount
    it is billed changes). A mismatch may be confirmed too: the check is the agent's, the flag stays on record."""
    tax_data = TaxData.objects.select_for_update().select_related("dossier").get(pk=tax_data.pk)
    if tax_data.source != TaxData.Source.DGFIP_NUMERO_FISCAL:
        raise ValidationError(
            _("Seuls les revenus obtenus par numéro fiscal se confirment."), code="not_numero"
        )
    tax_data.confirmed_by, tax_data.confirmed_at = agent, timezone.now()
    tax_data.save(update_fields=["confirmed_by", "confirmed_at"])
    audit_record(actor=agent, action=AuditEntry.Action.CONFIRMED_DECLARANTS, dossier=tax_data.dossier, ip=ip)
    if tax_data.dossier.status not in workflow.NOT_BILLED:
        cantine_services.dossier_quote_compute(dossier=tax_data.dossier, actor=agent, ip=ip)
    return tax_data


@transaction.atomic
def tax_data_rematch(*, household) -> int:
    """The household's adults changed: compare each lookup by numéro fiscal again with them, from the stored
    fingerprints, and drop any agent's confirmation, which was about other adults. A sent dossier billed on those
    figures is quoted again without them (the family is told if its amount changes). Returns how many were flagged."""
    keys = household_identity_keys(household)
    flagged = 0
    for tax_data in TaxData.objects.select_for_update().select_related("dossier").filter(
        household=household, source=TaxData.Source.DGFIP_NUMERO_FISCAL
    ):
        was_usable = tax_data.usable_for_tariff
        tax_data.identity_mismatch = not keys & set(tax_data.declarant_keys)
        tax_data.confirmed_by, tax_data.confirmed_at = None, None
        tax_data.save(update_fields=["identity_mismatch", "confirmed_by", "confirmed_at"])
        if was_usable and not tax_data.usable_for_tariff and tax_data.dossier.status not in workflow.NOT_BILLED:
            cantine_services.dossier_quote_compute(dossier=tax_data.dossier)
        flagged += 1
    return flagged


def tax_data_rematch_on_identity_change(sender, *, household, **kwargs):
    """Receiver of portal.signals.household_identity_changed."""
    tax_data_rematch(household=household)


def notice_content_type(uploaded) -> str:
    """The type read from the file's first bytes, never from its name or the browser's claim."""
    head = uploaded.read(261)
    uploaded.seek(0)
    kind = filetype.guess(head)
    return kind.mime if kind else ""


@transaction.atomic
def tax_notice_upload(*, user, dossier: Dossier, uploaded) -> TaxNotice:
    if dossier.child.household.owner_id != user.pk:
        raise ValidationError(_("Cette demande n'est pas la vôtre."), code="not_owner")
    if uploaded.size > settings.TAX_NOTICE_MAX_BYTES:
        raise ValidationError(
            {
                "file": ValidationError(
                    _("Le fichier dépasse %(max)d Mo : envoyez une version plus légère (une photo suffit).")
                    % {"max": settings.TAX_NOTICE_MAX_BYTES // (1024 * 1024)},
                    code="too_large",
                )
            }
        )
    content_type = notice_content_type(uploaded)
    if content_type not in NOTICE_TYPES:
        raise ValidationError(
            {
                "file": ValidationError(
                    _(
                        "Ce fichier n'est ni un PDF, ni une image JPEG ou PNG : envoyez l'avis dans l'un de ces formats."
                    ),
                    code="bad_type",
                )
            }
        )
    notice = TaxNotice(
        dossier=dossier,
        household=dossier.child.household,
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=user,
    )
    notice.file.save("avis", uploaded, save=False)
    try:
        notice.save()
    except Exception:
        notice.file.delete(save=False)  # no orphan file when the row is not written
        raise
    return notice


@transaction.atomic
def tax_data_enter_from_notice(
    *,
    agent,
    notice: TaxNotice,
    year: int,
    rfr: int,
    nb_parts,
    nb_pac: int | None = None,
    ip: str | None = None,
) -> TaxData:
    """An agent read the notice and types its figures: they replace whatever the dossier had. The figures record
    who checked them; the audit log, when and from where (never the figures)."""
    notice = TaxNotice.objects.select_for_update().get(pk=notice.pk)
    TaxData.objects.filter(dossier=notice.dossier).delete()
    notice.status = TaxNotice.Status.CHECKED
    notice.save(update_fields=["status"])
    audit_record(
        actor=agent, action=AuditEntry.Action.ENTERED_FIGURES, dossier=notice.dossier, ip=ip, notice=notice.pk
    )
    return TaxData.objects.create(
        dossier=notice.dossier,
        household=notice.household,
        notice=notice,
        source=TaxData.Source.NOTICE,
        year=year,
        rfr=rfr,
        nb_parts=nb_parts,
        nb_pac=nb_pac,
        checked_by=agent,
    )


@transaction.atomic
def tax_data_purge(*, today: date | None = None) -> tuple[int, int, int]:
    """Erase figures and notices of periods ended more than RETENTION_AFTER_PERIOD ago, and what the dossiers
    derived from them (quotes and crèche contracts, which older purges may have left). Counts the figures, the
    notices and the dossiers whose derived figures went."""
    today = today or timezone.localdate()
    cutoff = today - RETENTION_AFTER_PERIOD
    data = TaxData.objects.filter(dossier__period__ends_on__lt=cutoff)
    notices = TaxNotice.objects.filter(dossier__period__ends_on__lt=cutoff)
    files = [notice.file.name for notice in notices]
    data_count, _details = data.delete()
    notice_count, _details = notices.delete()
    derived = Dossier.objects.filter(period__ends_on__lt=cutoff).filter(
        Q(quote__income_erased_at__isnull=True, quote__income_source__in=pricing.WITH_FIGURES)
        | Q(creche_contract__isnull=False, creche_contract__income_erased_at__isnull=True)
    )
    derived_count = 0
    for dossier in derived:
        cantine_services.dossier_income_erase(dossier=dossier, reason=cantine_services.IncomeErasure.RETENTION)
        derived_count += 1
    storage = TaxNotice._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])
    return data_count, notice_count, derived_count


@transaction.atomic
def tax_notice_open(*, notice: TaxNotice, user, ip: str | None = None):
    """The notice's file. An agent opening a family's tax notice is a look at its fiscal data: audited."""
    if user.pk != notice.household.owner_id:
        audit_record(
            actor=user,
            action=AuditEntry.Action.VIEWED_FISCAL_DATA,
            dossier=notice.dossier,
            ip=ip,
            notice=notice.pk,
        )
    return notice.file.open("rb")
