"""Enrolment forms: one per step of the journey. Rules live in cantine.services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cantine.models import Establishment, Period, Service, Weekday
from cantine.services.dossiers import MAX_CRECHE_CHOICES
from portal.forms import DateInput


class EnrolStartForm(forms.Form):
    child = forms.ModelChoiceField(
        label=_("Enfant"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choisissez l'enfant à inscrire.")},
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choisissez un service.")},
    )

    def __init__(self, *args, children, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children
        self.fields["service"].queryset = services


class PeriodForm(forms.Form):
    period = forms.ModelChoiceField(
        label=_("Période"),
        queryset=Period.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Choisissez une période."),
            "invalid_choice": _("Cette période n'est pas ouverte aux inscriptions : choisissez-en une dans la liste."),
        },
    )

    def __init__(self, *args, periods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = periods
        self.fields["period"].label_from_instance = self.period_label

    @staticmethod
    def period_label(period):
        dates = {
            "label": period.label,
            "opens": period.enrolment_opens_on.strftime("%d/%m/%Y"),
            "closes": period.enrolment_closes_on.strftime("%d/%m/%Y"),
        }
        return _("%(label)s (inscriptions du %(opens)s au %(closes)s)") % dates


class CanteenDetailsForm(forms.Form):
    establishment = forms.ModelChoiceField(
        label=_("École"),
        queryset=Establishment.objects.none(),
        empty_label=_("— Choisir —"),
        error_messages={"required": _("Choisissez l'école où l'enfant déjeunera.")},
    )
    days = forms.MultipleChoiceField(
        label=_("Jours de repas"),
        choices=Weekday.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Cochez au moins un jour de repas.")},
    )

    def __init__(self, *args, service: Service, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["establishment"].queryset = service.establishments.filter(is_active=True)


class CrecheDetailsForm(forms.Form):
    """Start date, weekly hours (arrival and departure per day), up to three crèches in order."""

    start_date = forms.DateField(
        label=_("Date d'entrée souhaitée"),
        widget=DateInput(),
        error_messages={
            "required": _("Indiquez la date d'entrée souhaitée."),
            "invalid": _("Date invalide."),
        },
    )
    single_parent = forms.BooleanField(label=_("Je suis parent isolé(e)"), required=False)
    parents_working = forms.BooleanField(
        label=_("Le ou les parents travaillent ou suivent une formation"), required=False
    )

    def __init__(self, *args, service: Service, **kwargs):
        super().__init__(*args, **kwargs)
        for day, label in Weekday.choices:
            self.fields[f"{day}_start"] = forms.TimeField(
                label=_("%(day)s : arrivée") % {"day": label},
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"{day}_end"] = forms.TimeField(
                label=_("%(day)s : départ") % {"day": label},
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
        creches = service.establishments.filter(is_active=True)
        for rank in range(1, MAX_CRECHE_CHOICES + 1):
            self.fields[f"choice_{rank}"] = forms.ModelChoiceField(
                label=_("Crèche, choix n° %(rank)s") % {"rank": rank},
                queryset=creches,
                required=rank == 1,
                empty_label=_("— aucune —") if rank > 1 else _("— choisir —"),
                error_messages={"required": _("Choisissez au moins une crèche.")},
            )

    def day_rows(self):
        return [(label, self[f"{day}_start"], self[f"{day}_end"]) for day, label in Weekday.choices]

    def choice_fields(self):
        return [self[f"choice_{rank}"] for rank in range(1, MAX_CRECHE_CHOICES + 1)]

    def clean(self):
        cleaned = super().clean()
        schedule = {}
        for day, label in Weekday.choices:
            start, end = cleaned.get(f"{day}_start"), cleaned.get(f"{day}_end")
            if start and end:
                schedule[day] = (start.strftime("%H:%M"), end.strftime("%H:%M"))
            elif start or end:
                self.add_error(
                    f"{day}_end" if start else f"{day}_start",
                    _("%(day)s : indiquez l'arrivée et le départ.") % {"day": label},
                )
        if not schedule and not self.errors:
            raise ValidationError(_("Indiquez au moins un jour d'accueil avec ses horaires."))
        cleaned["schedule"] = schedule
        cleaned["choices"] = [
            cleaned[f"choice_{rank}"]
            for rank in range(1, MAX_CRECHE_CHOICES + 1)
            if cleaned.get(f"choice_{rank}")
        ]
        return cleaned

    @classmethod
    def initial_from(cls, dossier):
        initial = {
            "start_date": dossier.creche_start_date,
            "single_parent": dossier.creche_single_parent,
            "parents_working": dossier.creche_parents_working,
        }
        for day, (start, end) in dossier.creche_schedule.items():
            initial[f"{day}_start"], initial[f"{day}_end"] = start, end
        for choice in dossier.creche_choices.all():
            initial[f"choice_{choice.rank}"] = choice.establishment_id
        return initial
