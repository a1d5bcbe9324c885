"""The cantine app's models, one module per sub-domain, all importable from here: app label and migrations stay
those of `cantine`."""

from cantine.models.benefits import BenefitRefreshSchedule, FamilyBenefitData
from cantine.models.creche import (
    AgeGroup,
    CommitteeSession,
    CrecheCapacity,
    CrecheContract,
    PlaceOffer,
    WaitingListCriterion,
)
from cantine.models.dossiers import CrecheChoice, Dossier, DossierMessage, DossierStatusChange
from cantine.models.jobs import JOB_RETENTION, Job
from cantine.models.offer import Establishment, Period, Service, Weekday
from cantine.models.tariffs import DossierQuote, PsuEffortRate, PsuResourceLimit, TariffGrid

__all__ = [
    "AgeGroup",
    "BenefitRefreshSchedule",
    "CommitteeSession",
    "CrecheCapacity",
    "CrecheChoice",
    "CrecheContract",
    "Dossier",
    "DossierMessage",
    "DossierQuote",
    "DossierStatusChange",
    "Establishment",
    "FamilyBenefitData",
    "JOB_RETENTION",
    "Job",
    "Period",
    "PlaceOffer",
    "PsuEffortRate",
    "PsuResourceLimit",
    "Service",
    "TariffGrid",
    "WaitingListCriterion",
    "Weekday",
]
