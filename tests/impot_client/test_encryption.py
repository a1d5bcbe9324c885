"""Fiscal figures and numéros fiscaux are unreadable in the database, its dumps and its backups."""

import base64
import os
import shutil
import subprocess
from decimal import Decimal
from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from impot_client import services
from impot_client.models import TaxData
from tests.cantine.income.test_erasure import CRECHE, Figures, canteen_sent, creche_contracted
from tests.impot_client.conftest import grant, situation_for

NUMERO_FISCAL = "3999990000025"
RFR = 4871359  # seven digits: distinctive enough to grep a whole dump for


def new_key():
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.fixture
def tax_data(dossier, holder):
    return services._tax_data_store(
        consent=grant(dossier),
        situation=situation_for(holder, rfr=RFR, nb_parts="2.75"),
        numero_fiscal=NUMERO_FISCAL,
    )


def raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rfr, nb_parts, nb_pac, numero_fiscal FROM impot_client_taxdata WHERE id = %s", [pk]
        )
        return cursor.fetchone()


def test_the_columns_hold_fernet_tokens_and_the_model_reads_the_values(tax_data):
    rfr, nb_parts, _nb_pac, numero_fiscal = raw_row(tax_data.pk)
    assert str(RFR) not in rfr and NUMERO_FISCAL not in numero_fiscal and "2.75" not in nb_parts
    assert rfr.startswith("gAAAAA")  # Fernet's version byte, base64
    fresh = TaxData.objects.get(pk=tax_data.pk)
    assert (fresh.rfr, fresh.nb_parts, fresh.numero_fiscal) == (RFR, Decimal("2.75"), NUMERO_FISCAL)


def test_the_same_value_encrypts_differently_each_time(tax_data):
    first = raw_row(tax_data.pk)[0]
    tax_data.save()
    assert raw_row(tax_data.pk)[0] != first


def database_dump(*tables) -> str:
    """The dump the commune's DBA would take: sqlite3's .dump, or pg_dump on PostgreSQL (of `tables`, or all)."""
    if connection.vendor != "postgresql":
        dump = "\n".join(connection.connection.iterdump())
        return dump
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    db = connection.settings_dict
    command = ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
    command += ["-U", db["USER"] or "postgres", "--data-only", *(f"--table={table}" for table in tables)]
    return subprocess.run([*command, db["NAME"]], capture_output=True, text=True, check=True).stdout


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_shows_no_amount_and_no_numero_fiscal(tax_data, settings, tmp_path):
    dump = database_dump("impot_client_taxdata")
    assert "impot_client_taxdata" in dump and "gAAAAA" in dump  # the table is there, encrypted
    assert str(RFR) not in dump and NUMERO_FISCAL not in dump


@pytest.mark.django_db(transaction=True)
def test_a_whole_database_dump_shows_no_figure_derived_from_tax_data(migrations_data):
    """A canteen dossier and a crèche dossier quoted on DGFiP's figures, the crèche one with its contract: no table
    shows an RFR, RFR ÷ 12, QF, parts, dependants or PSU resources, in any of the forms the portal writes them.
    Figures with a decimal point or comma, or of six digits or more, cannot come out of base64 by chance."""
    canteen_figures = Figures(rfr=2093761, parts="2.75")  # QF 63447,30
    canteen = canteen_sent(canteen_figures)
    contract = creche_contracted(CRECHE)  # 8446,42 € a month, 4 dependants
    assert canteen.quote.qf == canteen_figures.qf and CRECHE.found_in(" ".join(contract.explanation))
    dump = database_dump()
    assert "cantine_dossierquote" in dump and "cantine_crechecontract" in dump
    assert canteen_figures.found_in(dump) == [] and CRECHE.found_in(dump) == []


def test_rotation_re_encrypts_with_the_new_key_so_the_old_one_can_go(tax_data, settings):
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    settings.FIELD_ENCRYPTION_KEYS = [new_key(), *old_keys]
    call_command("rotate_encryption_keys", stdout=StringIO())
    rfr_token = raw_row(tax_data.pk)[0]
    assert Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(rfr_token.encode()) == str(RFR).encode()
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # old key removed
    assert TaxData.objects.get(pk=tax_data.pk).rfr == RFR


@pytest.mark.django_db
def test_rotation_covers_every_figure_derived_from_tax_data(settings):
    """Quotes and contracts quote the income too: once rotated, the old key can go without losing them."""
    canteen = canteen_sent()
    contract = creche_contracted(CRECHE)
    before = (canteen.quote.qf, canteen.quote.criteria, contract.explanation, contract.dossier.quote.explanation)
    settings.FIELD_ENCRYPTION_KEYS = [new_key(), *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_encryption_keys", stdout=StringIO())
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # old key removed
    canteen.quote.refresh_from_db()
    contract.refresh_from_db()
    contract.dossier.quote.refresh_from_db()
    after = (canteen.quote.qf, canteen.quote.criteria, contract.explanation, contract.dossier.quote.explanation)
    assert after == before and CRECHE.found_in(" ".join(contract.explanation))


def test_without_the_key_nothing_can_be_read(tax_data, settings):
    settings.FIELD_ENCRYPTION_KEYS = [new_key()]
    with pytest.raises(InvalidToken):
        TaxData.objects.get(pk=tax_data.pk)
