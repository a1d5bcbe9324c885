"""manage.py domicile_check "ADDRESS": how the portal reads an address as DGFiP writes it, and its zone."""

import json

from django.core.management.base import BaseCommand

from stationnement.selectors import domicile_locate


class Command(BaseCommand):
    help = "Lit une adresse (forme « aft » de la DGFiP) et indique sa zone de stationnement résidentiel."

    def add_arguments(self, parser):
        parser.add_argument("address")

    def handle(self, *args, address, **options):
        domicile = domicile_locate(aft=address)
        found = domicile.address
        result = {
            "zone": domicile.zone.code if domicile.zone else None,
            "number": found.number if found else None,
            "suffix": found.suffix if found else "",
            "street": found.street if found else "",
            "postcode": found.postcode if found else "",
            "commune": found.commune if found else "",
        }
        if domicile.reason:
            result["reason"] = domicile.reason
        self.stdout.write(json.dumps(result, ensure_ascii=False))
