"""Zone maps and the parking grid in the admin: a version a card or an application uses is never changed in place,
saving makes the next version and says so; putting a version in force is an audited action of its own."""

import json

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from portal.models import AuditEntry
from portal.versions import next_version
from stationnement import services
from stationnement.models import Application, Card, ParkingGrid, StreetSegment, Zone, ZoneMap
from stationnement.selectors import domicile_locate
from tests.factories import UserFactory
from tests.stationnement.conftest import GRID
from tests.stationnement.test_tasks import TODAY, sent_for_an_agent

pytestmark = pytest.mark.django_db

IN_USE = "La version 1 est utilisée par des cartes ou des demandes : vos changements forment la version 2."


@pytest.fixture
def manager(client):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Responsable"))
    client.force_login(user)
    return user


@pytest.fixture
def card(zones, grid):
    return services.card_issue(application=sent_for_an_agent(), zone=zones.zones.get(code="A"), today=TODAY)


def said(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def inline(prefix, rows, initial):
    """An admin inline formset's POST: `rows` as {field: value} (with "id" for the existing ones)."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{field}": value for field, value in row.items()})
    return data


class TestParkingGrid:
    def change(self, client, grid, data=None, label="délibération corrigée"):
        return client.post(
            reverse("admin:stationnement_parkinggrid_change", args=[grid.pk]),
            {"label": label, "data": json.dumps(data or {**GRID, "max_vehicles": 3}), "is_active": ""},
        )

    def test_a_grid_no_application_was_priced_on_changes_in_place(self, client, manager, grid):
        response = self.change(client, grid)
        assert response.status_code == 302 and IN_USE not in said(response)
        grid.refresh_from_db()
        assert (ParkingGrid.objects.count(), grid.version, grid.data["max_vehicles"]) == (1, 1, 3)
        assert grid.is_active  # the form cannot take it off: activation is its own action

    def test_a_grid_in_use_stays_and_the_change_is_the_next_version(self, client, manager, card, grid):
        assert card.application.grid == grid
        response = self.change(client, grid)
        assert IN_USE in said(response)
        grid.refresh_from_db()
        new = ParkingGrid.objects.get(version=2)
        assert (grid.data, grid.is_active) == (GRID, False)
        assert (new.data["max_vehicles"], new.is_active, new.created_by) == (3, True, manager)
        assert response.url == reverse("admin:stationnement_parkinggrid_changelist")
        audit = AuditEntry.objects.get(action=AuditEntry.Action.CHANGED_GRID)
        assert audit.detail == {"parking_grid": new.pk, "version": 2, "change": "saved"}

    def test_a_grid_the_engine_refuses_is_explained_and_nothing_saved(self, client, manager, grid):
        response = self.change(client, grid, data={"kind": "parking", "prices": {"year": "cent"}})
        assert response.status_code == 200
        assert "errorlist" in response.content.decode()
        grid.refresh_from_db()
        assert grid.data == GRID and not AuditEntry.objects.exists()

    def test_putting_a_version_in_force_is_an_audited_action(self, client, manager, grid):
        draft = services.parking_grid_save(data=GRID, label="projet", agent=None)
        assert (draft.version, draft.is_active) == (2, False)
        client.post(
            reverse("admin:stationnement_parkinggrid_changelist"),
            {"action": "activate", "_selected_action": [draft.pk]},
        )
        grid.refresh_from_db()
        draft.refresh_from_db()
        assert (grid.is_active, draft.is_active) == (False, True)
        audit = AuditEntry.objects.get(actor=manager)
        assert audit.detail["change"] == "activated" and audit.detail["parking_grid"] == draft.pk

    def test_a_grid_in_use_cannot_be_deleted(self, client, card, grid, admin_client):
        page = admin_client.post(
            reverse("admin:stationnement_parkinggrid_delete", args=[grid.pk]), {"post": "yes"}
        )
        assert page.status_code == 403 and ParkingGrid.objects.filter(pk=grid.pk).exists()


def zone_map_post(zone_map, *, label, zones):
    """The zone map's page as posted: its label and its zones' inline."""
    existing = [zone for zone in zones if "id" in zone]
    rows = [{**zone, "zone_map": zone_map.pk if zone_map else ""} for zone in zones]
    return {"label": label, **inline("zones", rows, len(existing))}


class TestZoneMap:
    def post(self, client, zone_map, **changes):
        a, b = zone_map.zones.order_by("code")
        zones = changes.pop(
            "zones",
            [
                {"id": a.pk, "code": "A", "name": "A"},
                {"id": b.pk, "code": "B", "name": "Gare et port"},
                {"code": "C", "name": "Centre"},
            ],
        )
        return client.post(
            reverse("admin:stationnement_zonemap_change", args=[zone_map.pk]),
            zone_map_post(zone_map, label=changes.pop("label", "arrêté du 3 mars 2027"), zones=zones),
        )

    def test_a_map_in_use_is_kept_and_the_changes_form_the_next_version(self, client, manager, zones, card):
        segments = StreetSegment.objects.filter(zone__zone_map=zones).count()
        response = self.post(client, zones)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert IN_USE in said(response)
        zones.refresh_from_db()
        assert (zones.label, zones.is_active) == ("arrêté de test", False)
        assert list(zones.zones.values_list("code", "name")) == [("A", "A"), ("B", "B")]
        new = ZoneMap.objects.get(version=2)
        assert (new.label, new.is_active, new.created_by) == ("arrêté du 3 mars 2027", True, manager)
        assert list(new.zones.values_list("code", "name")) == [
            ("A", "A"),
            ("B", "Gare et port"),
            ("C", "Centre"),
        ]
        assert StreetSegment.objects.filter(zone__zone_map=new).count() == segments
        card.refresh_from_db()
        assert card.zone.zone_map == zones  # the card keeps the zone it was issued in
        assert AuditEntry.objects.filter(
            action=AuditEntry.Action.CHANGED_ZONES, detail__change="new_version"
        ).exists()

    def test_a_map_nothing_uses_changes_in_place(self, client, manager, zones):
        response = self.post(client, zones)
        assert IN_USE not in said(response)
        assert ZoneMap.objects.count() == 1
        assert list(zones.zones.values_list("code", flat=True)) == ["A", "B", "C"]

    def test_a_zone_removed_from_a_map_in_use_stays_in_the_old_version(self, admin_client, zones, card):
        a, b = zones.zones.order_by("code")
        rows = [
            {"id": a.pk, "code": "A", "name": "A"},
            {"id": b.pk, "code": "B", "name": "B", "DELETE": "on"},
        ]
        response = self.post(admin_client, zones, zones=rows, label=zones.label)
        assert IN_USE in said(response)
        assert list(ZoneMap.objects.get(version=2).zones.values_list("code", flat=True)) == ["A"]
        assert Zone.objects.filter(pk=b.pk).exists()

    def test_a_new_map_is_the_next_version(self, client, manager, zones):
        client.post(
            reverse("admin:stationnement_zonemap_add"),
            zone_map_post(None, label="projet", zones=[{"code": "N", "name": "Nord"}]),
        )
        new = ZoneMap.objects.get(label="projet")
        assert (new.version, new.is_active, new.created_by) == (2, False, manager)
        assert list(new.zones.values_list("code", flat=True)) == ["N"]

    def test_putting_a_map_in_force_is_audited(self, client, manager, zones):
        draft = ZoneMap.objects.create(version=next_version(ZoneMap.objects), label="projet")
        client.post(
            reverse("admin:stationnement_zonemap_changelist"),
            {"action": "activate", "_selected_action": [draft.pk]},
        )
        draft.refresh_from_db()
        zones.refresh_from_db()
        assert (draft.is_active, zones.is_active) == (True, False)
        assert AuditEntry.objects.get(actor=manager).detail == {"zone_map": draft.pk, "change": "activated"}


class TestZoneSegments:
    def post(self, client, zone, rows, **extra):
        existing = [row for row in rows if "id" in row]
        return client.post(
            reverse("admin:stationnement_zone_change", args=[zone.pk]),
            {"code": zone.code, "name": zone.name, **inline("segments", rows, len(existing)), **extra},
        )

    def rows(self, zone):
        """Avenue de la Gare now 1 to 49, rue du Port removed, quai Ouest added."""
        gare = zone.segments.get(street="Avenue de la Gare")
        port = zone.segments.get(street="Rue du Port")
        same = {"postcode": "99999", "commune": "Beauval", "parity": "tous", "zone": zone.pk}
        return [
            {**same, "id": gare.pk, "street": "Avenue de la Gare", "number_min": "1", "number_max": "49"},
            {
                **same,
                "id": port.pk,
                "street": "Rue du Port",
                "number_min": "",
                "number_max": "",
                "DELETE": "on",
            },
            {**same, "street": "Quai Ouest", "number_min": "", "number_max": ""},
        ]

    def test_segments_of_a_map_in_use_change_on_the_next_version(self, admin_client, zones, card):
        b = zones.zones.get(code="B")
        response = self.post(admin_client, b, self.rows(b), _continue="1")
        assert IN_USE in said(response)
        assert sorted(b.segments.values_list("street", "number_max")) == [
            ("Avenue de la Gare", 99),
            ("Rue du Port", None),
        ]
        new_b = ZoneMap.objects.get(version=2).zones.get(code="B")
        assert response.url == reverse("admin:stationnement_zone_change", args=[new_b.pk])  # « continuer »
        assert sorted(new_b.segments.values_list("street", "number_max")) == [
            ("Avenue de la Gare", 49),
            ("Quai Ouest", None),
        ]
        assert domicile_locate(aft="60 AVENUE DE LA GARE 99999 BEAUVAL").reason == "number_not_in_zones"
        assert domicile_locate(aft="3 QUAI OUEST 99999 BEAUVAL").zone == new_b
        assert domicile_locate(aft="60 AVENUE DE LA GARE 99999 BEAUVAL", zone_map=zones).zone == b

    def test_segments_of_a_map_nothing_uses_change_in_place(self, admin_client, zones):
        b = zones.zones.get(code="B")
        response = self.post(admin_client, b, self.rows(b))
        assert IN_USE not in said(response) and ZoneMap.objects.count() == 1
        assert sorted(b.segments.values_list("street", flat=True)) == ["Avenue de la Gare", "Quai Ouest"]

    def test_an_application_naming_a_zone_is_enough_to_keep_the_map(self, admin_client, zones, grid):
        application = sent_for_an_agent()
        Application.objects.filter(pk=application.pk).update(zone=zones.zones.get(code="A"))
        assert not Card.objects.exists() and zones.in_use
        b = zones.zones.get(code="B")
        assert IN_USE in said(self.post(admin_client, b, self.rows(b)))

    def test_segments_are_only_read_on_their_own_list(self, admin_client, zones):
        segment = StreetSegment.objects.first()
        url = reverse("admin:stationnement_streetsegment_change", args=[segment.pk])
        assert "Enregistrer" not in admin_client.get(url).content.decode()
        assert admin_client.post(url, {"street": "Rue modifiée"}).status_code == 403
        changelist = admin_client.get(
            reverse("admin:stationnement_streetsegment_changelist")
        ).content.decode()
        assert reverse("admin:stationnement_zone_change", args=[segment.zone_id]) in changelist


def test_the_pages_show_zones_with_a_link_to_their_segments(admin_client, zones):
    b = zones.zones.get(code="B")
    page = admin_client.get(reverse("admin:stationnement_zonemap_change", args=[zones.pk])).content.decode()
    assert reverse("admin:stationnement_zone_change", args=[b.pk]) in page
    assert 'name="is_active"' not in page  # in force only through the action
    page = admin_client.get(reverse("admin:stationnement_zone_change", args=[b.pk])).content.decode()
    assert "Avenue de la Gare" in page and "Rue du Port" in page
