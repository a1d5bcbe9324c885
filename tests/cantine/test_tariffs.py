"""Grids in the database, and the quote a dossier stores: with which grid version, from which income, and why."""

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from cantine import services
from cantine.models import Dossier, DossierQuote, PsuResourceLimit, TariffGrid
from impot_client import services as impot_services
from portal.models import AuditEntry
from tests.cantine.backoffice import grid_for, submitted, with_income
from tests.cantine.grids import BUBRY, CHAMPCEVINEL, PARIS
from tests.cantine.grids import COLLECTIVE as PSU
from tests.factories import ChildFactory, CrecheServiceFactory, DossierFactory, PeriodFactory, creche_dossier
from tests.impot_client.conftest import grant, situation_for

pytestmark = pytest.mark.django_db


class TestQuoteAtSubmission:
    def test_dgfip_figures_give_the_paris_case_9_with_its_explanation(self):
        dossier = with_income(DossierFactory(income_declined=False), rfr=28000, parts="2.5")
        grid = grid_for(dossier.period)
        quote = submitted(dossier).quote
        assert (quote.amount, quote.unit, quote.qf, quote.grid) == (
            Decimal("2.28"),
            "meal",
            Decimal("933.33"),
            grid,
        )
        assert quote.income_source == "dgfip"
        assert any("933,33" in line for line in quote.explanation)

    def test_declined_income_pays_the_highest_price_and_is_told_so(self):
        dossier = DossierFactory()  # the factory's family declined
        grid_for(dossier.period)
        quote = submitted(dossier).quote
        assert (quote.amount, quote.income_source, quote.qf) == (Decimal("4.61"), "declined", None)
        assert any("plus élevé" in line for line in quote.explanation)

    def test_declarants_that_do_not_match_are_never_used(self):
        dossier = DossierFactory(income_declined=False)
        impot_services._tax_data_store(
            consent=grant(dossier),
            situation=situation_for(dossier.child.household.adults.get(), rfr=1000),
            numero_fiscal="3999990000074",
        )
        assert dossier.tax_data.identity_mismatch
        grid_for(dossier.period)
        quote = submitted(dossier).quote
        assert (quote.amount, quote.income_source) == (Decimal("4.61"), "none")

    def test_no_grid_in_force_means_no_quote_yet(self):
        dossier = submitted(DossierFactory())
        assert not DossierQuote.objects.filter(dossier=dossier).exists()

    def test_the_third_enrolled_child_gets_the_rank_price(self, household):
        period = PeriodFactory()
        grid_for(period, BUBRY)
        kids = [ChildFactory(household=household, birth_date=date(2015 + n, 1, 1)) for n in range(3)]
        dossiers = [
            with_income(DossierFactory(child=kid, period=period, income_declined=False), 54000, "3")
            for kid in kids
        ]
        quotes = [submitted(dossier).quote for dossier in dossiers]
        assert [quote.amount for quote in quotes] == [Decimal("3.15"), Decimal("3.15"), Decimal("1.58")]

    def test_a_creche_dossier_uses_the_psu_barème_at_its_start_date(self):
        """Reference case 7: October 2025, 2 children, monthly resources 3000 → 1.55 €/h."""
        period = PeriodFactory(service=CrecheServiceFactory())
        grid_for(period, PSU)
        dossier = creche_dossier(period=period, start=date(2025, 10, 6), siblings=1)
        with_income(dossier, rfr=36000, parts="2", nb_pac=2)
        quote = submitted(dossier).quote
        assert (quote.amount, quote.unit) == (Decimal("1.55"), "hour")

    def test_the_qf_and_explanation_are_encrypted_in_the_database(self):
        dossier = with_income(DossierFactory(income_declined=False), rfr=28000, parts="2.5")
        grid_for(dossier.period)
        quote = submitted(dossier).quote
        with connection.cursor() as cursor:
            cursor.execute("SELECT qf, explanation FROM cantine_dossierquote WHERE id = %s", [quote.pk])
            qf, explanation = cursor.fetchone()
        # Fernet tokens (urlsafe base64) never hold "." or "," or a space: the figures below cannot appear by chance.
        assert qf.startswith("gAAAAA") and explanation.startswith("gAAAAA")
        assert "933.33" not in qf and "933,33" not in explanation and "28\xa0000\xa0€" not in explanation
        assert "28\xa0000\xa0€" in " ".join(quote.explanation)  # what the model reads back, decrypted


class TestRecomputation:
    def test_never_silent_then_explicit_by_command(self):
        dossier = with_income(DossierFactory(income_declined=False), rfr=28000, parts="2.5")
        grid = grid_for(dossier.period)
        submitted(dossier)
        services.tariff_grid_save(
            period=dossier.period,
            data={**PARIS, "brackets": PARIS["brackets"][:3] + [{"up_to": None, "price": "9.99"}]},
            label="v2",
            agent=None,
            grid=grid,
        )
        dossier.refresh_from_db()
        assert dossier.quote.amount == Decimal("2.28") and dossier.quote.grid == grid  # unchanged until asked
        call_command("recompute_quotes", period=dossier.period.pk, stdout=StringIO())
        dossier.quote.refresh_from_db()
        assert dossier.quote.amount == Decimal("9.99") and dossier.quote.grid.version == 2

    def test_by_the_agents_action(self, agent, client):
        dossier = submitted(DossierFactory())
        grid_for(dossier.period)
        client.force_login(agent)
        client.post(
            reverse("admin:cantine_dossier_changelist"),
            {"action": "recompute_tariff", "_selected_action": [dossier.pk]},
        )
        quote = DossierQuote.objects.get(dossier=dossier)
        assert quote.computed_by == agent and quote.amount == Decimal("4.61")


class TestGridVersions:
    def test_an_unused_grid_changes_in_place(self):
        grid = grid_for(PeriodFactory())
        saved = services.tariff_grid_save(
            period=grid.period, data=BUBRY, label="corrigée", agent=None, grid=grid
        )
        assert saved.pk == grid.pk and saved.version == 1 and saved.data == BUBRY

    def test_a_grid_in_use_is_never_changed_a_new_version_takes_over(self):
        dossier = submitted(DossierFactory())
        grid = grid_for(dossier.period)
        services.dossier_quote_compute(dossier=dossier)
        saved = services.tariff_grid_save(period=grid.period, data=BUBRY, label="v2", agent=None, grid=grid)
        grid.refresh_from_db()
        assert grid.data == PARIS and not grid.is_active
        assert (saved.version, saved.is_active, saved.data) == (2, True, BUBRY)

    def test_an_invalid_grid_is_refused_with_french_messages(self):
        with pytest.raises(ValidationError) as error:
            services.tariff_grid_save(
                period=PeriodFactory(),
                data={"kind": "effort_rate", "rate_percent": "0.36", "min": "5", "max": "2"},
                label="x",
                agent=None,
            )
        assert "min" in json.dumps(error.value.message_dict, ensure_ascii=False)

    def test_activation_leaves_one_grid_in_force(self):
        first = grid_for(PeriodFactory())
        second = services.tariff_grid_save(period=first.period, data=BUBRY, label="projet", agent=None)
        services.tariff_grid_activate(grid=second)
        first.refresh_from_db()
        assert (first.is_active, second.is_active) == (False, True)


class TestAdmin:
    def test_export_then_import_round_trips(self, agent, client):
        grid = grid_for(PeriodFactory(), BUBRY)
        client.force_login(agent)
        exported = client.get(reverse("admin:cantine_tariffgrid_export", args=[grid.pk]))
        assert "attachment" in exported["Content-Disposition"] and json.loads(exported.content) == BUBRY
        response = client.post(
            reverse("admin:cantine_tariffgrid_import"),
            {
                "period": grid.period.pk,
                "label": "Importée",
                "file": SimpleUploadedFile("g.json", exported.content),
            },
        )
        assert response.status_code == 302
        imported = TariffGrid.objects.get(label="Importée")
        assert (imported.data, imported.version, imported.is_active) == (BUBRY, 2, False)

    def test_a_bad_grid_is_explained_and_what_was_typed_stays(self, agent, client):
        client.force_login(agent)
        bad = json.dumps(
            {
                "kind": "brackets",
                "brackets": [{"up_to": "500", "price": "2"}, {"up_to": "400", "price": "-1"}],
            }
        )
        response = client.post(
            reverse("admin:cantine_tariffgrid_add"), {"period": PeriodFactory().pk, "label": "x", "data": bad}
        )
        page = response.content.decode()
        assert response.status_code == 200 and "brackets" in page and "&quot;400&quot;" in page
        assert not TariffGrid.objects.exists()

    def test_editing_a_grid_in_use_makes_the_next_version_and_says_so(self, agent, client):
        """The admin's save (portal.versions.NewVersionOnSaveAdmin, shared with stationnement's zones and grid)."""
        dossier = submitted(DossierFactory())
        grid = grid_for(dossier.period)
        services.dossier_quote_compute(dossier=dossier)
        client.force_login(agent)
        url = reverse("admin:cantine_tariffgrid_change", args=[grid.pk])
        change = {"period": grid.period.pk, "label": "corrigée", "data": json.dumps(BUBRY)}
        response = client.post(url, {**change, "_continue": "1"}, follow=True)
        new = TariffGrid.objects.get(period=grid.period, version=2)
        assert response.redirect_chain[0][0] == reverse("admin:cantine_tariffgrid_change", args=[new.pk])
        assert (
            "La version 1 est utilisée par des demandes : vos changements forment la version 2."
            in response.content.decode()
        )
        grid.refresh_from_db()
        assert (grid.data, grid.label, new.data, new.is_active) == (PARIS, grid.label, BUBRY, True)
        response = client.post(reverse("admin:cantine_tariffgrid_change", args=[new.pk]), change, follow=True)
        assert "forment la version" not in response.content.decode()  # unused yet: changed in place
        assert TariffGrid.objects.filter(period=grid.period).count() == 2

    def test_the_cantine_a_1_euro_check_is_shown(self, agent, client):
        grid = grid_for(PeriodFactory(), BUBRY)
        client.force_login(agent)
        page = client.get(reverse("admin:cantine_tariffgrid_change", args=[grid.pk])).content.decode()
        assert "1\xa0000" in page  # the ≤ 1 € bracket stops at QF 599: the condition it misses is named

    def test_unconfirmed_barème_figures_are_flagged(self, agent, client):
        client.force_login(agent)
        page = client.get(reverse("admin:cantine_psuresourcelimit_changelist")).content.decode()
        assert "non confirmé" in page
        assert PsuResourceLimit.objects.filter(confirmed=False).exists()


def test_the_family_sees_the_figures_tariff_quote_prints(family_client, household, tmp_path):
    """Reference case 10 (Champcevinel, RFR 30 000, 3 parts): the dossier page and the command agree."""
    dossier = with_income(
        DossierFactory(child__household=household, income_declined=False), rfr=30000, parts="3"
    )
    grid_for(dossier.period, CHAMPCEVINEL)
    submitted(dossier)
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(CHAMPCEVINEL))
    out = StringIO()
    call_command("tariff_quote", grid=str(path), rfr="30000", parts="3", stdout=out)
    printed = json.loads(out.getvalue())
    page = family_client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
    assert (
        printed["amount"] == "3.30" and "3,30\xa0€ par repas" in page
    )  # the same figure, written the French way
    assert printed["qf"] == "833.33" and "833,33" in page
    assert Dossier.objects.get(pk=dossier.pk).quote.qf == Decimal(printed["qf"])


def test_agents_changes_to_grids_are_audited(agent, client):
    grid = grid_for(PeriodFactory())
    client.force_login(agent)
    client.post(
        reverse("admin:cantine_tariffgrid_changelist"), {"action": "activate", "_selected_action": [grid.pk]}
    )
    services.tariff_grid_save(
        period=grid.period, data=BUBRY, label="corrigée", agent=agent, grid=grid, ip="192.0.2.1"
    )
    entries = list(AuditEntry.objects.order_by("pk").values_list("action", "detail", "ip_address"))
    assert entries == [
        (
            "changed_grid",
            {"grid": grid.pk, "period": grid.period_id, "version": 1, "change": "activated"},
            "127.0.0.1",
        ),
        (
            "changed_grid",
            {"grid": grid.pk, "period": grid.period_id, "version": 1, "change": "saved"},
            "192.0.2.1",
        ),
    ]
