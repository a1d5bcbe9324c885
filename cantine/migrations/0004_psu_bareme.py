"""Ships the CNAF barème (pricing.bareme.SHIPPED) into the tables agents edit. A later change to SHIPPED
needs its own migration: this one only fills empty tables."""

from django.db import migrations


def ship(apps, schema_editor):
    from pricing.bareme import SHIPPED

    rates, limits = apps.get_model("cantine", "PsuEffortRate"), apps.get_model("cantine", "PsuResourceLimit")
    if not rates.objects.exists():
        rates.objects.bulk_create(rates(**vars(rate)) for rate in SHIPPED.rates)
    if not limits.objects.exists():
        limits.objects.bulk_create(limits(**vars(limit)) for limit in SHIPPED.limits)


class Migration(migrations.Migration):
    dependencies = [("cantine", "0003_tariffs")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
