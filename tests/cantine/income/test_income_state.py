"""One source for the income state: each state, reached as a family or an agent reaches it, reads the same on the
family's pages (income_status), in the agents' list (its flags column and filters) and on the tax data itself."""

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile

from cantine.income import benefits, services
from cantine.income.selectors import DECLARANTS_TO_CHECK, IncomeStatus, income_status
from cantine.models import Dossier, FamilyBenefitData
from impot_client import services as impot_services
from impot_client.models import TaxData
from tests.cantine.admin.test_review import references
from tests.cantine.backoffice import caf_answer, grid_for
from tests.cantine.grids import PARIS
from tests.cantine.income.test_services import PDF
from tests.impot_client.conftest import grant, situation_for

pytestmark = pytest.mark.django_db
NUMERO_FISCAL = "3999990000025"


def _figures(dossier, adult, mode="numero_fiscal"):
    number = NUMERO_FISCAL if mode == "numero_fiscal" else ""
    impot_services._tax_data_store(
        consent=grant(dossier, mode), situation=situation_for(adult), numero_fiscal=number
    )


def _notice(dossier):
    owner = dossier.child.household.owner
    return services.tax_notice_upload(
        user=owner, dossier=dossier, uploaded=SimpleUploadedFile("avis.pdf", PDF)
    )


def reach(state, dossier, holder, stranger, agent):
    """Brings the draft `dossier` to `state` the way its family does (an agent, for a checked notice)."""
    owner = dossier.child.household.owner
    match state:
        case "waiting":
            grant(dossier)
        case "obtained":
            _figures(dossier, holder, mode="franceconnect")
        case "to_confirm":
            _figures(dossier, holder)
        case "mismatch":
            _figures(dossier, stranger)
        case "notice":
            _notice(dossier)
        case "checked":
            services.tax_data_enter_from_notice(
                agent=agent, notice=_notice(dossier), year=2025, rfr=21000, nb_parts=2
            )
        case "declined":
            services.consent_record(user=owner, dossier=dossier, decision="refused", shown_text_hash="a" * 64)
        case "withdrawn":
            services.consent_withdraw(user=owner, consent=grant(dossier))
        case "caf_obtained" | "caf_to_confirm" | "caf_mismatch" | "caf_not_found":
            grid_for(dossier.period, {**PARIS, "income": ["caf", "notice"]})
            mode = "franceconnect" if state == "caf_obtained" else "identite"
            consent = services.consent_record(
                user=owner,
                dossier=dossier,
                source="api_particulier",
                decision="granted",
                mode=mode,
                shown_text_hash="a" * 64,
            )
            if state == "caf_not_found":
                benefits._mark_not_found(consent)
            else:
                answer = caf_answer(dossier, adults=[stranger if state == "caf_mismatch" else holder])
                benefits._store(consent=consent, answer=answer)


STATES = [
    "missing",
    "waiting",
    "obtained",
    "to_confirm",
    "mismatch",
    "notice",
    "checked",
    "declined",
    "withdrawn",
    "caf_obtained",
    "caf_to_confirm",
    "caf_mismatch",
    "caf_not_found",
]


def test_every_state_is_reached_here():
    assert set(STATES) == set(IncomeStatus.LABELS)


def flags_column(agent, dossier, rf):
    model_admin = admin.site.get_model_admin(Dossier)
    request = rf.get("/")
    request.user = agent
    return model_admin.flags(model_admin.get_queryset(request).get(pk=dossier.pk))


@pytest.mark.parametrize("state", STATES)
def test_the_family_pages_the_agents_list_and_the_tax_data_agree(
    client, rf, agent, dossier, holder, stranger, state
):
    reach(state, dossier, holder, stranger, agent)
    income = income_status(dossier)
    assert income.state == state
    data = (
        TaxData.objects.filter(dossier=dossier).first()
        or FamilyBenefitData.objects.filter(dossier=dossier).first()
    )
    assert (data is not None and data.awaiting_agent) is (state in DECLARANTS_TO_CHECK)

    client.force_login(agent)
    assert (dossier.reference in references(client, signalement="identite")) is (state in DECLARANTS_TO_CHECK)
    assert (dossier.reference in references(client, signalement="avis")) is (state == "notice")
    flags = flags_column(agent, dossier, rf)
    assert ("identité à vérifier" in flags) is (state in DECLARANTS_TO_CHECK)
    assert ("avis d'imposition à vérifier" in flags) is (state == "notice")
    assert income.needs_agent is (state in (*DECLARANTS_TO_CHECK, "notice"))


def test_a_commune_that_skips_the_check_reads_a_match_as_obtained_everywhere(
    settings, client, rf, agent, dossier, holder
):
    settings.IMPOT_NUMERO_FISCAL_NEEDS_AGENT = False
    _figures(dossier, holder)
    assert income_status(dossier).state == "obtained"
    assert not TaxData.objects.get(dossier=dossier).awaiting_agent
    client.force_login(agent)
    assert dossier.reference not in references(client, signalement="identite")
    assert "identité" not in flags_column(agent, dossier, rf)
