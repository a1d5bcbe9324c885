"""Writes on a dossier's income step: the family's consent and its withdrawal, a tax notice and the figures an agent
types from it, an agent's confirmation of the declarants, and the purge once the retention ends.

The DGFiP lookup itself is impot_client's; what it means for the dossier (its tariff, its messages) is decided here."""

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import pricing
from cantine import notifications, workflow
from cantine import services as cantine_services
from cantine.income import benefits
from cantine.income.selectors import income_order
from cantine.models import Dossier, DossierMessage, FamilyBenefitData, Service
from impot_client.models import TaxData, TaxNotice
from portal import antivirus
from portal.alerts import alert_raise
from portal.audit import audit_record
from portal.consents import text_hash  # noqa: F401  the consent page's fingerprint, shared
from portal.identity import household_identity_keys
from portal.models import AuditEntry, Consent
from portal.resilience import enqueue_on_commit
from portal.uploads import DOCUMENT_TYPES, document_content_type

# What the consent page lists, under the names the FranceConnect scopes and TaxData use (impot_client.services).
FIELD_LABELS = {
    "rfr": gettext_lazy("votre revenu fiscal de référence"),
    "nb_parts": gettext_lazy("votre nombre de parts fiscales"),
    "nb_pac": gettext_lazy("le nombre de personnes à votre charge"),
}
# A dossier in one of these statuses is decided: its tax notices have served (their file goes).
SETTLED_STATUSES = (Dossier.Status.ACCEPTED, Dossier.Status.REJECTED, Dossier.Status.CANCELLED)
NOTICE_TYPES = DOCUMENT_TYPES  # what we accept, and its extension (portal.uploads, shared by every démarche)


def requested_fields(dossier: Dossier) -> list[str]:
    """Only what this service's tariff needs: the crèche barème also depends on the children in charge."""
    if dossier.service.kind == Service.Kind.CRECHE:
        return ["rfr", "nb_parts", "nb_pac"]
    return ["rfr", "nb_parts"]


def months_after(day: date, months: int) -> date:
    """The same day `months` calendar months later (the month's last day when it has no such day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retention_end(period_end: date) -> date:
    """The last day figures that served a period ending on `period_end` are kept (RETENTION_FIGURES_MONTHS)."""
    return months_after(period_end, settings.RETENTION_FIGURES_MONTHS)


def retention_date(dossier: Dossier) -> date:
    return retention_end(dossier.period.ends_on)


def _first_end_kept(today: date) -> date:
    """The earliest period end whose retention still covers `today` (retention_end only grows with the end; months
    differ in length, so step from the first guess to the exact day)."""
    candidate = months_after(today, -settings.RETENTION_FIGURES_MONTHS)
    while retention_end(candidate - timedelta(days=1)) >= today:
        candidate -= timedelta(days=1)
    while retention_end(candidate) < today:
        candidate += timedelta(days=1)
    return candidate


def purpose_for(dossier: Dossier) -> str:
    return _("Calcul du tarif %(service)s, %(period)s, pour %(child)s") % {
        "service": dossier.service.name,
        "period": dossier.period.label,
        "child": dossier.child.first_names,
    }


def _live_consent(dossier, source=Consent.Source.DGFIP):
    return (
        Consent.objects.select_for_update()
        .filter(dossier=dossier, source=source, withdrawn_at__isnull=True)
        .first()
    )


def _withdraw(consent: Consent, *, now=None):
    """The figures obtained with an authorisation go, and every figure the dossier derived from them
    (withdrawing a refusal erases nothing)."""
    TaxData.objects.filter(consent=consent).delete()
    FamilyBenefitData.objects.filter(consent=consent).delete()
    consent.withdrawn_at = now or timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    if consent.decision == Consent.Decision.GRANTED:
        return cantine_services.dossier_income_erase(
            dossier=consent.dossier, reason=cantine_services.IncomeErasure.WITHDRAWN
        )
    return None


@transaction.atomic
def consent_record(
    *,
    user,
    dossier: Dossier,
    decision: str,
    mode: str = "",
    shown_text_hash: str,
    source: str = Consent.Source.DGFIP,
) -> Consent:
    """The family's answer to the consent page of one source (DGFiP, or the CAF/MSA through API Particulier); a
    new answer replaces (withdraws) the previous one of that source. Answers to one dossier are recorded one at a
    time (its row locked); the same answer given again (a double click) is the first one, not a second."""
    cantine_services.dossier_check_owner(dossier=dossier, user=user)
    Dossier.objects.select_for_update().filter(pk=dossier.pk).first()
    previous = _live_consent(dossier, source)
    granted = decision == Consent.Decision.GRANTED
    if previous is not None and (previous.decision, previous.mode, previous.text_hash) == (
        decision,
        mode if granted else "",
        shown_text_hash,
    ):
        return previous  # the same answer again (a double click): one consent, its figures kept
    if previous is not None:
        _withdraw(previous)
    if source == Consent.Source.API_PARTICULIER:
        fields = benefits.requested_fields(dossier)
    else:
        fields = requested_fields(dossier)
    return Consent.objects.create(
        dossier=dossier,
        household=dossier.child.household,
        user=user,
        source=source,
        decision=decision,
        mode=mode if granted else "",
        fields=fields if granted else [],
        purpose=purpose_for(dossier),
        text_hash=shown_text_hash,
    )


@transaction.atomic
def income_decline(*, user, dossier: Dossier, shown_text_hash: str) -> list[Consent]:
    """« Je ne communique pas mes revenus »: a refusal for each State source the grid would ask (the CAF/MSA and
    DGFiP), so none is asked and the highest tariff applies."""
    order = income_order(dossier)
    sources = [Consent.Source.API_PARTICULIER] if "caf" in order else []
    if "dgfip" in order or not sources:
        sources.append(Consent.Source.DGFIP)
    return [
        consent_record(
            user=user,
            dossier=dossier,
            source=source,
            decision=Consent.Decision.REFUSED,
            shown_text_hash=shown_text_hash,
        )
        for source in sources
    ]


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
        cantine_services.dossier_quote_compute(dossier=tax_data.dossier, agent=agent, ip=ip)
    return tax_data


@transaction.atomic
def tax_data_rematch(*, household) -> int:
    """The household's adults changed: compare each lookup by numéro fiscal again with them, from the stored
    fingerprints, and drop any agent's confirmation, which was about other adults. A sent dossier billed on those
    figures is quoted again without them (the family is told if its amount changes). Returns how many were flagged."""
    keys = household_identity_keys(household)
    flagged = 0
    for tax_data in (
        TaxData.objects.select_for_update()
        .select_related("dossier")
        .filter(household=household, source=TaxData.Source.DGFIP_NUMERO_FISCAL)
    ):
        was_usable = tax_data.usable_for_tariff
        tax_data.identity_mismatch = not keys & set(tax_data.declarant_keys)
        tax_data.confirmed_by, tax_data.confirmed_at = None, None
        tax_data.save(update_fields=["identity_mismatch", "confirmed_by", "confirmed_at"])
        if (
            was_usable
            and not tax_data.usable_for_tariff
            and tax_data.dossier.status not in workflow.NOT_BILLED
        ):
            cantine_services.dossier_quote_compute(dossier=tax_data.dossier)
        flagged += 1
    return flagged


def tax_data_rematch_on_identity_change(sender, *, household, **kwargs):
    """Receiver of portal.signals.household_identity_changed."""
    tax_data_rematch(household=household)


def _file_error(message, code) -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code)})


@transaction.atomic
def tax_notice_upload(*, user, dossier: Dossier, uploaded) -> TaxNotice:
    """Keep a notice the family sent, once its size, count, type and whole structure are checked
    (portal.documents). With an antivirus configured it is kept quarantined until `tax_notice_scan` finds it clean."""
    cantine_services.dossier_check_owner(dossier=dossier, user=user)
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)  # two uploads at once count one after the other
    if TaxNotice.objects.filter(dossier=dossier).count() >= settings.TAX_NOTICE_MAX_PER_DOSSIER:
        raise _file_error(
            _(
                "Vous avez déjà envoyé %(max)d avis pour cette demande : c'est le maximum. Un agent va les lire ; "
                "s'il lui en faut un autre, il vous le demandera."
            )
            % {"max": settings.TAX_NOTICE_MAX_PER_DOSSIER},
            "too_many",
        )
    content_type = document_content_type(uploaded, max_bytes=settings.TAX_NOTICE_MAX_BYTES)
    notice = TaxNotice(
        dossier=dossier,
        household=dossier.child.household,
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=user,
        scan_status=TaxNotice.ScanStatus.PENDING if antivirus.configured() else TaxNotice.ScanStatus.NOT_SCANNED,
    )
    notice.file.save("avis", uploaded, save=False)
    try:
        notice.save()
    except Exception:
        notice.file.delete(save=False)  # no orphan file when the row is not written
        raise
    return notice


# After a scan that gave no verdict, the task worker tries again after these delays; then an alert tells the agents.
SCAN_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
INFECTED = gettext_lazy(
    "L'antivirus a détecté un virus dans ce fichier : il n'a pas été enregistré. Envoyez une autre copie de votre "
    "avis (par exemple une photo)."
)


def tax_notice_scan(*, notice: TaxNotice, attempt: int = 1) -> TaxNotice | None:
    """Ask the antivirus about a quarantined notice. Clean: agents may open it. Infected: the notice and its file
    are erased (None). No verdict: it stays quarantined and the task worker tries again (`attempt` counts the
    tries); after the last one the alert recipients are told. Outside any transaction: the scan takes time."""
    if not notice.quarantined:
        return notice
    try:
        with notice.file.open("rb") as stream:
            verdict, _signature = antivirus.scan(stream)
    except antivirus.ScanFailed:
        _tax_notice_scan_retry(notice=notice, attempt=attempt)
        return notice
    return _tax_notice_scan_record(notice=notice, clean=verdict == antivirus.Verdict.CLEAN)


@transaction.atomic
def _tax_notice_scan_record(*, notice: TaxNotice, clean: bool) -> TaxNotice | None:
    notice = TaxNotice.objects.select_for_update().filter(pk=notice.pk).first()
    if notice is None:  # erased meanwhile (withdrawn, purged)
        return None
    if clean:
        notice.scan_status = TaxNotice.ScanStatus.CLEAN
        notice.save(update_fields=["scan_status"])
        return notice
    name, storage = notice.file.name, notice.file.storage
    notice.delete()
    transaction.on_commit(lambda: storage.delete(name))
    return None


@transaction.atomic
def _tax_notice_scan_retry(*, notice: TaxNotice, attempt: int) -> None:
    from cantine.income.tasks import tax_notice_scan_retry  # the task calls back into this module

    if attempt <= len(SCAN_RETRY_DELAYS):
        run_after = timezone.now() + SCAN_RETRY_DELAYS[attempt - 1]
        enqueue_on_commit(tax_notice_scan_retry.using(run_after=run_after), notice.pk, attempt + 1)
        return
    alert_raise(
        kind="antivirus_unavailable",
        message=_(
            "L'antivirus (clamd) ne répond pas : des avis d'imposition restent en quarantaine, inaccessibles aux "
            "agents. Vérifiez CLAMD_SOCKET ou CLAMD_HOST et le démon clamd, puis relancez l'analyse : "
            "« manage.py tax_notice_scan »."
        ),
    )


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
    """An agent read the notice and types its figures: they replace whatever the dossier had, and a sent dossier is
    quoted on them at once (the family is told if the amount it is billed changes). The figures record who checked
    them; the audit log, when and from where (never the figures)."""
    notice = TaxNotice.objects.select_for_update().get(pk=notice.pk)
    TaxData.objects.filter(dossier=notice.dossier).delete()
    notice.status = TaxNotice.Status.CHECKED
    notice.save(update_fields=["status"])
    audit_record(
        actor=agent, action=AuditEntry.Action.ENTERED_FIGURES, dossier=notice.dossier, ip=ip, notice=notice.pk
    )
    tax_data = TaxData.objects.create(
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
    if notice.dossier.status not in workflow.NOT_BILLED:
        cantine_services.dossier_quote_compute(dossier=notice.dossier, agent=agent, ip=ip)
    return tax_data


@transaction.atomic
def tax_data_purge(*, today: date | None = None) -> tuple[int, int, int]:
    """Erase figures (DGFiP's, the CAF's and the MSA's) and notices of periods whose retention
    (RETENTION_FIGURES_MONTHS after their end) is over, and what the dossiers derived from them (quotes and crèche
    contracts, which older purges may have left). Counts the figures, the notices and the dossiers whose derived
    figures went."""
    today = today or timezone.localdate()
    cutoff = _first_end_kept(today)
    data = TaxData.objects.filter(dossier__period__ends_on__lt=cutoff)
    benefits = FamilyBenefitData.objects.filter(dossier__period__ends_on__lt=cutoff)
    notices = TaxNotice.objects.filter(dossier__period__ends_on__lt=cutoff)
    files = list(notices.exclude(file="").values_list("file", flat=True))
    data_count, _details = data.delete()
    benefit_count, _details = benefits.delete()
    data_count += benefit_count
    notice_count, _details = notices.delete()
    past = Dossier.objects.filter(period__ends_on__lt=cutoff)
    derived_count = past.filter(
        Q(quote__income_erased_at__isnull=True, quote__income_source__in=pricing.WITH_FIGURES)
        | Q(creche_contract__isnull=False, creche_contract__income_erased_at__isnull=True)
    ).count()
    cantine_services.dossiers_income_figures_erase(
        dossiers=past, reason=cantine_services.IncomeErasure.RETENTION
    )
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


def _files_delete_on_commit(names):
    storage = TaxNotice._meta.get_field("file").storage
    names = [name for name in names if name]
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


@transaction.atomic
def tax_notices_settled_erase(*, today: date | None = None) -> int:
    """A notice's file goes once an agent has typed its figures or the dossier is decided (accepted, refused or
    cancelled): the row stays, without its file, as the record of where the figures came from. Returns how many
    files went."""
    settled = TaxNotice.objects.select_for_update().exclude(file="").filter(
        Q(status=TaxNotice.Status.CHECKED) | Q(dossier__status__in=SETTLED_STATUSES)
    )
    names = [notice.file.name for notice in settled]
    count = settled.update(file="")
    _files_delete_on_commit(names)
    return count


@transaction.atomic
def household_income_erase(*, household) -> dict[str, int]:
    """The account is being erased: every consent, figure and notice of the household goes, and every figure the
    dossiers derived from them (the tariff billed stays). Returns counts by kind."""
    dossiers = Dossier.objects.filter(child__household=household)
    data = TaxData.objects.filter(household=household)
    notices = TaxNotice.objects.filter(household=household)
    _files_delete_on_commit([notice.file.name for notice in notices])
    counts = {"income_figures": data.delete()[1].get("impot_client.TaxData", 0)}
    counts["tax_notices"] = notices.delete()[1].get("impot_client.TaxNotice", 0)
    cantine_services.dossiers_income_figures_erase(
        dossiers=dossiers, reason=cantine_services.IncomeErasure.ERASED
    )
    counts["consents"] = Consent.objects.filter(household=household).delete()[1].get("portal.Consent", 0)
    return counts


def dossiers_notices_files_delete(*, dossier_pks) -> None:
    """The dossiers are about to go (their notices with them, by cascade): their files go once that is committed."""
    _files_delete_on_commit(
        list(TaxNotice.objects.filter(dossier__pk__in=dossier_pks).values_list("file", flat=True))
    )
