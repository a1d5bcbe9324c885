"""The resident parking démarche as the core knows it (portal.demarches): its steps, its applications on a
household's dashboard, the households its agents see."""

from django.utils.translation import gettext_lazy as _

from portal.demarches import Demarche, Journey, Step

PARKING = Journey(
    steps=(
        Step("vehicle", _("véhicule et durée")),
        Step("domicile", _("domicile")),
        Step("documents", _("pièces justificatives")),
        Step("review", _("vérification et envoi")),
    )
)


def step(key: str):
    return PARKING.position(key)


def parking_demarche() -> Demarche:
    from stationnement import rights, roles, selectors  # models are ready only once the app registry is

    return Demarche(
        key="stationnement",
        journey=PARKING,
        start_url_name="stationnement:begin",
        start_label=_("Demander une carte de stationnement résident"),
        dossier_row_template="stationnement/_dashboard_application.html",
        dossiers_for_household=selectors.applications_for_household,
        households_handled_by=roles.households_handled_by,
        household_data=rights.household_data,
        erasure_refusals=rights.erasure_refusals,
        household_erase=rights.household_erase,
        purges=rights.purges,
        pending_actions=selectors.pending_actions,
    )
