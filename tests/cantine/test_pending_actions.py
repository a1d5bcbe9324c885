"""The dashboard shows every pending action first (issue 16, « Journeys »): measured before, it said « En cours
d'instruction » while a place offer waited with a deadline. Each action links to where it is done."""

import pytest
from django.urls import reverse

from cantine import services
from cantine.models import Dossier
from portal.selectors import pending_actions_for_household
from tests.cantine.test_creche_places import DEADLINE, offer, setting, waiting
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db


def dashboard(client) -> str:
    return client.get(reverse("portal:dashboard")).content.decode()


def to_do(page: str) -> str:
    """The « À faire » block, which must come before the dossiers' list."""
    assert 'id="titre-a-faire"' in page, "no pending-action block"
    start = page.index('id="titre-a-faire"')
    assert start < page.index('id="titre-demandes"')
    return page[start : page.index("</section>", start)]


def test_a_place_offer_to_answer_comes_first_with_its_deadline(client):
    period, creche, session = setting()
    dossier = waiting(period)
    offer(dossier, session, creche)
    client.force_login(dossier.child.household.owner)
    block = to_do(dashboard(client))
    assert "Une place vous est proposée" in block and DEADLINE.strftime("%d/%m/%Y") in block
    assert reverse("cantine:dossier_detail", args=[dossier.pk]) + "#titre-place" in block


def test_an_accepted_place_leaves_the_contract_to_confirm_then_nothing(client):
    period, creche, session = setting()
    dossier = waiting(period)
    owner = dossier.child.household.owner
    contract = services.place_offer_accept(offer=offer(dossier, session, creche), user=owner)
    client.force_login(owner)
    assert "contrat d&#x27;accueil" in to_do(dashboard(client)) or "contrat d'accueil" in to_do(
        dashboard(client)
    )
    services.creche_contract_confirm(contract=contract, user=owner)
    assert 'id="titre-a-faire"' not in dashboard(client)


def test_documents_requested_and_a_draft_to_finish(family_client, household, make_dossier):
    make_dossier(Dossier.Status.AWAITING_DOCUMENTS, child__household=household)
    draft = DossierFactory(child__household=household)
    block = to_do(dashboard(family_client))
    assert "Des pièces sont demandées" in block
    assert reverse("cantine:dossier_review", args=[draft.pk]) in block
    assert draft.period.enrolment_closes_on.strftime("%d/%m/%Y") in block


def test_nothing_to_do_shows_no_block(family_client, household, make_dossier):
    make_dossier(Dossier.Status.SUBMITTED, child__household=household)
    assert 'id="titre-a-faire"' not in dashboard(family_client)


def test_deadlines_first_and_a_fixed_number_of_queries(household, django_assert_num_queries, make_dossier):
    for _ in range(3):
        DossierFactory(child__household=household)
    make_dossier(Dossier.Status.AWAITING_DOCUMENTS, child__household=household)
    with django_assert_num_queries(3):  # two for the enrolments, one for resident parking
        actions = pending_actions_for_household(household)
    assert [action.deadline is None for action in actions] == [False, False, False, True]
