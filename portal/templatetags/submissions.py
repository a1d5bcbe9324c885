"""`{% load submissions %}` then `{% submission_token %}` in a creating form, beside `{% csrf_token %}`: the hidden
one-time token portal.submissions.create_once claims."""

from django import template
from django.utils.html import format_html

from portal import submissions

register = template.Library()


@register.simple_tag
def submission_token():
    return format_html(
        '<input type="hidden" name="{}" value="{}">', submissions.FIELD, submissions.token_new()
    )
