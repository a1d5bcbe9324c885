"""What the engine's tests share: the grids they run over and how they read a quote."""

from decimal import Decimal

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from pricing import Facts
from tests.cantine.grids import BUBRY, CHAMPCEVINEL, COLLECTIVE, FAY_AUX_LOGES, PARIS, SENE, VAL_DE_MARNE

D = Decimal

BRACKET_GRIDS = [PARIS, CHAMPCEVINEL, BUBRY, VAL_DE_MARNE]
ALL_GRIDS = [*BRACKET_GRIDS, FAY_AUX_LOGES, SENE, COLLECTIVE, {"kind": "psu", "establishment": "micro"}]

# Hypothesis runs the body many times; the project's autouse fixtures are harmless to share between runs.
prop = hypothesis_settings(
    database=None,
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def text(result) -> str:
    """The explanation as one string, with ordinary spaces so assertions read naturally."""
    return "\n".join(result.explanation).replace("\u00a0", " ")


def psu(on, resources, children=1, **kwargs):
    return Facts(on=on, monthly_resources=D(resources), children=children, income_source="direct", **kwargs)


def brackets(*items):
    return {"kind": "brackets", "brackets": list(items)}
