"""Moments for retention tests, whose rules count calendar days from local midnight."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def noon(day: date) -> datetime:
    """Noon, local time, on that day: half a day from either midnight, so a change of summer time cannot move it
    across a retention cutoff (``now() - timedelta(days=91)`` does, in the last hour of a winter day)."""
    return timezone.make_aware(datetime.combine(day, time(12)))


def days_ago(days: int) -> datetime:
    return noon(timezone.localdate() - timedelta(days=days))
