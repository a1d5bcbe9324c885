"""The enrolment démarche as the core knows it (portal.demarches): its five steps, its dossiers on a family's
dashboard, the families its agents see."""

from django.utils.translation import gettext_lazy as _

from portal.demarches import Demarche, Journey, Step

ENROLMENT = Journey(
    steps=(
        Step("child", _("enfant et service")),
        Step("period", _("période")),
        Step("details", _("détails")),
        Step("income", _("revenus")),
        Step("review", _("vérification et envoi")),
    )
)


def step(key: str):
    """For a page's context: where this step stands in the journey."""
    return ENROLMENT.position(key)


def enrolment_demarche() -> Demarche:
    from cantine import rights, roles, selectors  # models are ready only once the app registry is
    from cantine.services import rights as rights_services

    return Demarche(
        key="inscription",
        journey=ENROLMENT,
        start_url_name="cantine:enrol_start",
        start_label=_("Inscrire un enfant"),
        dossier_row_template="cantine/_dashboard_dossier.html",
        dossiers_for_household=selectors.dossiers_for_household,
        households_handled_by=roles.households_handled_by,
        household_data=rights.household_data,
        erasure_refusals=rights_services.erasure_refusals,
        household_erase=rights_services.household_erase,
        child_in_use=rights_services.child_in_use,
        purges=rights_services.purges,
        kept_after_erasure=rights_services.kept_after_erasure,
        pending_actions=selectors.pending_actions,
    )
