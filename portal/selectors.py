"""Reads on family data, always scoped to the signed-in account."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Concat
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal.demarches import DataItem, DataSection, PendingAction, demarches
from portal.models import Adult, Child, Household, SignIn


def holder_name(household: str = "child__household", *, lookup: str = "household") -> Subquery:
    """The household's holder worded as Adult.__str__ does (« prénoms nom »), an expression on rows that reach the
    household by the lookup `household` (the adult's `lookup` equal to it): the agents' list and the billing export
    read it without an Adult per row."""
    holder = (
        Adult.objects.filter(**{lookup: OuterRef(household)}, role=Adult.Role.HOLDER)
        .order_by("pk")
        .annotate(name=Concat("first_names", Value(" "), "last_name", output_field=CharField()))
    )
    return Subquery(holder.values("name")[:1], output_field=CharField())


def household_for(user) -> Household:
    """The household the account owns; agents and other accounts without one get a 404."""
    try:
        return user.household
    except Household.DoesNotExist:
        raise Http404("no household") from None


def children_for_household(household):
    return household.children.select_related("school").order_by("birth_date")


def child_get_for_family(*, user, pk) -> Child:
    return get_object_or_404(Child.objects.select_related("school"), pk=pk, household__owner=user)


def adult_for_role(household, role) -> Adult | None:
    return household.adults.filter(role=role).first()


def is_certified(user) -> bool:
    """Whether the account's civil status comes from FranceConnect (and so is read-only)."""
    return hasattr(user, "franceconnect")


@dataclass(frozen=True)
class DossierRow:
    """One dossier on the family's dashboard, with the template of the démarche it belongs to."""

    dossier: object
    template: str


def dossier_rows_for_household(household) -> list[DossierRow]:
    """The household's dossiers in every démarche, newest first."""
    rows = [
        DossierRow(dossier, demarche.dossier_row_template)
        for demarche in demarches()
        for dossier in demarche.dossiers_for_household(household)
    ]
    return sorted(rows, key=lambda row: row.dossier.created_at, reverse=True)


def pending_actions_for_household(household) -> list[PendingAction]:
    """What the family must do in every démarche, those with a deadline first (soonest first): the top of its
    dashboard, before the dossiers' statuses."""
    actions = [
        action
        for demarche in demarches()
        if demarche.pending_actions
        for action in demarche.pending_actions(household)
    ]
    return sorted(actions, key=lambda action: (action.deadline is None, action.deadline or timezone.localdate()))


def _day(value) -> str:
    if not value:
        return "—"
    if hasattr(value, "hour"):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return date_format(value, "SHORT_DATE_FORMAT")


def _adult_fields(adult: Adult) -> tuple[tuple[str, str], ...]:
    return (
        (_("Prénoms"), adult.first_names),
        (_("Nom"), adult.last_name),
        (_("Nom de naissance"), adult.birth_name or "—"),
        (_("Date de naissance"), _day(adult.birth_date)),
        (_("Sexe à l'état civil"), adult.get_sex_display() or "—"),
        (_("Pays de naissance (code INSEE)"), adult.birth_country or "—"),
        (_("Commune de naissance (code INSEE)"), adult.birth_commune or "—"),
        (_("Adresse électronique"), adult.email or "—"),
        (_("Téléphone"), adult.phone or "—"),
    )


def child_in_use(child: Child) -> bool:
    """Whether a démarche holds a dossier of the child (it cannot be deleted then)."""
    return any(demarche.child_in_use(child) for demarche in demarches() if demarche.child_in_use)


def _portal_sections(user, household: Household) -> list[DataSection]:
    certified = is_certified(user)
    holder = adult_for_role(household, Adult.Role.HOLDER)
    second = adult_for_role(household, Adult.Role.SECOND_PARENT)
    source = (
        _("certifiée par FranceConnect (INSEE), non modifiable ici")
        if certified
        else _("saisie par vous, non vérifiée par un tiers")
    )
    identity = []
    if holder is not None:
        identity.append(
            DataItem(
                title=_("Titulaire du compte : %(name)s") % {"name": holder},
                fields=((_("Source de l'identité"), source), *_adult_fields(holder)),
            )
        )
    if certified:
        fc = user.franceconnect
        identity.append(
            DataItem(
                title=_("Identité transmise par FranceConnect"),
                fields=(
                    (_("Prénoms"), fc.given_name),
                    (_("Nom de naissance"), fc.family_name),
                    (_("Nom d'usage"), fc.preferred_username or "—"),
                    (_("Date de naissance"), fc.birthdate),
                    (_("Sexe"), fc.gender or "—"),
                    (_("Lieu de naissance (code INSEE)"), fc.birthplace or "—"),
                    (_("Pays de naissance (code INSEE)"), fc.birthcountry or "—"),
                    (_("Adresse électronique FranceConnect"), fc.email or "—"),
                    (_("Liée le"), _day(fc.linked_at)),
                    (_("Dernière connexion FranceConnect"), _day(fc.last_login_at)),
                ),
            )
        )
    if second is not None:
        identity.append(
            DataItem(
                title=_("Second parent : %(name)s") % {"name": second},
                fields=((_("Source"), _("saisie par vous")), *_adult_fields(second)),
            )
        )
    if household.address:
        identity.append(DataItem(title=_("Adresse du foyer"), fields=((_("Adresse postale"), household.address),)))
    children = []
    for child in children_for_household(household):
        in_use = child_in_use(child)
        children.append(
            DataItem(
                title=str(child),
                fields=(
                    (_("Date de naissance"), _day(child.birth_date)),
                    (_("École"), str(child.school or "—")),
                    (_("Classe"), child.get_class_level_display() or "—"),
                    (_("En situation de handicap (AEEH)"), _("oui") if child.has_disability else _("non")),
                    (_("Régime alimentaire"), child.get_diet_display()),
                    (_("Projet d'accueil individualisé (PAI)"), _("oui") if child.has_pai else _("non")),
                ),
                action_url="" if in_use else reverse("portal:child_delete", args=[child.pk]),
                action_label="" if in_use else _("Supprimer %(name)s du foyer") % {"name": child.first_names},
                action_is_link=True,
            )
        )
    account = DataItem(
        title=_("Compte"),
        fields=(
            (_("Adresse électronique"), user.email),
            (_("Créé le"), _day(user.date_joined)),
            (_("Adresse confirmée le"), _day(user.email_confirmed_at)),
            (_("Dernière connexion"), _day(user.last_login)),
        ),
    )
    sign_ins = tuple(
        DataItem(title=_day(sign_in.at), fields=((_("Moyen"), sign_in.get_method_display()),))
        for sign_in in SignIn.objects.filter(user=user)[:50]
    )
    return [
        DataSection("identite", _("Identité"), tuple(identity)),
        DataSection("enfants", _("Enfants"), tuple(children), note=_("Un enfant sans demande peut être supprimé.")),
        DataSection("compte", _("Compte"), (account,)),
        DataSection(
            "connexions",
            _("Connexions"),
            sign_ins,
            note=_("Les %(days)s derniers jours.") % {"days": settings.RETENTION_SIGN_IN_DAYS},
        ),
    ]


def household_data_sections(user) -> list[DataSection]:
    """Everything the portal holds about the account's household: the core's parts, then each démarche's."""
    household = household_for(user)
    sections = _portal_sections(user, household)
    for demarche in demarches():
        if demarche.household_data:
            sections += demarche.household_data(household)
    return sections


def household_data_json(user) -> dict:
    return {
        "genere_le": timezone.now().isoformat(),
        "commune": settings.COMMUNE_NAME,
        **{
            section.key: [item.as_json() for item in section.items]
            for section in household_data_sections(user)
        },
    }


def account_erasure_refusals(household: Household) -> list[str]:
    return [
        reason
        for demarche in demarches()
        if demarche.erasure_refusals
        for reason in demarche.erasure_refusals(household)
    ]


def kept_after_erasure() -> list[str]:
    return [text for demarche in demarches() if demarche.kept_after_erasure for text in demarche.kept_after_erasure()]


@dataclass(frozen=True)
class RetentionRule:
    what: str
    how_long: str


def retention_rules() -> list[RetentionRule]:
    """The retention settings as families read them (« Données personnelles »); purge_expired applies them."""
    return [
        RetentionRule(
            _("Revenus (revenu fiscal de référence, parts, quotient familial, ressources) et ce qui en est calculé"),
            _("effacés %(months)s mois après la fin de la période pour laquelle ils ont servi, ou dès le retrait de "
              "votre accord") % {"months": settings.RETENTION_FIGURES_MONTHS},
        ),
        RetentionRule(
            _("Avis d'imposition envoyés"),
            _("effacés dès que leurs montants sont saisis par un agent ou que la demande est décidée, et au plus "
              "tard avec les revenus"),
        ),
        RetentionRule(
            _("Demandes en brouillon"),
            _("effacées après %(days)s jours sans modification") % {"days": settings.RETENTION_DRAFT_DAYS},
        ),
        RetentionRule(
            _("Comptes dont l'adresse n'a jamais été confirmée"),
            _("effacés %(days)s jours après leur création") % {"days": settings.RETENTION_UNCONFIRMED_ACCOUNT_DAYS},
        ),
        RetentionRule(
            _("Comptes sans connexion"),
            _("effacés après %(years)s ans sans connexion, après un courriel d'avertissement %(days)s jours avant")
            % {"years": settings.RETENTION_INACTIVE_ACCOUNT_YEARS, "days": settings.RETENTION_INACTIVE_WARNING_DAYS},
        ),
        RetentionRule(
            _("Historique des connexions"),
            _("%(days)s jours") % {"days": settings.RETENTION_SIGN_IN_DAYS},
        ),
        RetentionRule(
            _("Demandes facturées (après l'effacement d'un compte)"),
            _("%(years)s ans après la fin de la période facturée, pour la facturation et le contrôle des comptes "
              "publics : référence, service, période, tarif, noms de l'enfant et du titulaire, adresse")
            % {"years": settings.RETENTION_BILLING_YEARS},
        ),
    ]
