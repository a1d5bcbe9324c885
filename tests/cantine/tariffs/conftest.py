import pytest

from cantine import selectors
from cantine.models import PsuEffortRate, PsuResourceLimit
from pricing import SHIPPED


@pytest.fixture(autouse=True)
def bareme(db):
    """The CNAF barème rows the data migration ships (rebuilt from SHIPPED should a test have emptied them)."""
    if not PsuEffortRate.objects.exists():
        PsuEffortRate.objects.bulk_create(PsuEffortRate(**vars(rate)) for rate in SHIPPED.rates)
    if not PsuResourceLimit.objects.exists():
        PsuResourceLimit.objects.bulk_create(PsuResourceLimit(**vars(limit)) for limit in SHIPPED.limits)
    assert selectors.psu_bareme().rates
