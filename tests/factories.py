"""factory_boy factories shared by the whole suite."""

from datetime import date, timedelta

import factory
from django.utils import timezone

from cantine.models import Dossier, Establishment, Period, Service
from portal.models import Adult, Child, Consent, Household, User

PASSWORD = "mot-de-passe-de-test-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"parent{n}@example.org")
    email_confirmed_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password(PASSWORD)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    holder = factory.RelatedFactory(
        "tests.factories.AdultFactory", factory_related_name="household", role=Adult.Role.HOLDER
    )


class AdultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Adult

    household = factory.SubFactory(HouseholdFactory, holder=None)
    role = Adult.Role.HOLDER
    first_names = "Claire"
    last_name = factory.Sequence(lambda n: f"Parent{n}")


class EstablishmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Establishment

    name = factory.Sequence(lambda n: f"École n° {n}")
    kind = Establishment.Kind.SCHOOL


class CrecheFactory(EstablishmentFactory):
    name = factory.Sequence(lambda n: f"Crèche n° {n}")
    kind = Establishment.Kind.CRECHE


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    household = factory.SubFactory(HouseholdFactory)
    first_names = factory.Sequence(lambda n: f"Enfant{n}")
    last_name = "Martin"
    birth_date = factory.LazyFunction(lambda: timezone.localdate().replace(day=1) - timedelta(days=7 * 365))


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    name = "Restauration scolaire"
    slug = factory.Sequence(lambda n: f"cantine-{n}")
    kind = Service.Kind.CANTEEN

    @factory.post_generation
    def establishments(obj, create, extracted, **kwargs):
        if create:
            obj.establishments.set(extracted if extracted is not None else [EstablishmentFactory()])


class CrecheServiceFactory(ServiceFactory):
    name = "Crèche municipale"
    slug = factory.Sequence(lambda n: f"creche-{n}")
    kind = Service.Kind.CRECHE
    max_age_years = 3
    max_age_years_with_disability = 6

    @factory.post_generation
    def establishments(obj, create, extracted, **kwargs):
        if create:
            obj.establishments.set(extracted if extracted is not None else CrecheFactory.create_batch(3))


def _this_school_year():
    today = timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


class PeriodFactory(factory.django.DjangoModelFactory):
    """A period whose enrolment is open today, spanning this school year."""

    class Meta:
        model = Period

    service = factory.SubFactory(ServiceFactory)
    label = factory.Sequence(
        lambda n: f"Année scolaire {_this_school_year()}-{_this_school_year() + 1} ({n})"
    )
    starts_on = factory.LazyFunction(lambda: date(_this_school_year(), 9, 1))
    ends_on = factory.LazyFunction(lambda: date(_this_school_year() + 1, 8, 31))
    enrolment_opens_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    enrolment_closes_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))


class DossierFactory(factory.django.DjangoModelFactory):
    """A complete canteen draft, ready to submit."""

    class Meta:
        model = Dossier
        skip_postgeneration_save = True

    child = factory.SubFactory(ChildFactory)
    period = factory.SubFactory(PeriodFactory)
    service = factory.SelfAttribute("period.service")
    establishment = factory.LazyAttribute(lambda o: o.service.establishments.first())
    canteen_days = factory.LazyFunction(lambda: ["mon", "tue", "thu", "fri"])

    @factory.post_generation
    def income_declined(dossier, create, extracted, **kwargs):
        """Ready to submit means the income question is answered: here the family declined to share.
        Pass income_declined=False for a dossier still waiting for that answer."""
        if create and extracted is not False:
            Consent.objects.create(
                dossier=dossier,
                household=dossier.child.household,
                user=dossier.child.household.owner,
                decision=Consent.Decision.REFUSED,
                purpose="Calcul du tarif",
                text_hash="0" * 64,
            )


def creche_dossier(*, period, start, household=None, siblings=0, birth_date=None, income_declined=False):
    """A crèche dossier ready to send (start date, one day a week, one crèche), income question still open
    unless `income_declined`."""
    born = {"birth_date": birth_date} if birth_date else {}
    child = ChildFactory(household=household, **born) if household else ChildFactory(**born)
    for _sibling in range(siblings):
        ChildFactory(household=child.household)
    dossier = DossierFactory(
        child=child,
        period=period,
        establishment=None,
        canteen_days=[],
        creche_start_date=start,
        creche_schedule={"mon": ["08:30", "17:30"]},
        income_declined=income_declined,
    )
    dossier.creche_choices.create(establishment=period.service.establishments.first(), rank=1)
    return dossier
