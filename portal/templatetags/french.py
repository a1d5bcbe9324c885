"""`{% load french %}`: `{{ amount|euros }}`, `{{ parts|number }}`, `{{ child.first_names|de }}` (« d'Inès »),
`{{ establishment|a_le }}` (« à la crèche Les Petits Pas »), `{{ label|de_le }}` (« de l'année scolaire »), `{{ period.label|le }}` (« l'année scolaire 2026-2027 »)."""

from django import template

from portal import formats

register = template.Library()

register.filter("euros", formats.euros)
register.filter("number", formats.number)
register.filter("de", formats.de)
register.filter("a_le", formats.a_le)
register.filter("de_le", formats.de_le)
register.filter("le", formats.le)
