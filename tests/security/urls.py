"""The URL patterns the security tests walk: every route of the resolver, so a new app's URLs are covered without
anyone listing them. The simulators (sandbox/, dev and test settings only, 404 in production) are left out."""

import re
from dataclasses import dataclass

from django.contrib.admin.utils import NestedObjects
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
OBJECT_CONVERTERS = {"int", "path"}  # what names an object (a pk); slugs, tokens and roles do not


@dataclass(frozen=True)
class Route:
    route: str  # "demarches/dossiers/<int:pk>/"
    name: str
    callback: object

    @property
    def converters(self) -> list[tuple[str, str]]:
        return [(m["converter"] or "str", m["name"]) for m in CONVERTER.finditer(self.route)]

    @property
    def names_an_object(self) -> bool:
        converters = self.converters
        return bool(converters) and all(kind in OBJECT_CONVERTERS for kind, _name in converters)

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def model(self):
        """The model of a ModelAdmin's view (its wrapper keeps model_admin), None elsewhere."""
        model_admin = getattr(self.callback, "model_admin", None)
        return model_admin.model if model_admin is not None else None

    def url(self, value="1") -> str:
        return "/" + CONVERTER.sub(lambda _m: str(value), self.route)


def routes(resolver=None, prefix="") -> list[Route]:
    """Every concrete route (path() patterns; admin's regex catch-alls and app indexes aside)."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        if not isinstance(pattern.pattern, RoutePattern):
            continue
        route = prefix + str(pattern.pattern)
        if route.startswith("sandbox/"):
            continue
        if isinstance(pattern, URLResolver):
            found += routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            found.append(Route(route=route, name=pattern.name or "", callback=pattern.callback))
    return found


def object_routes() -> list[Route]:
    return [route for route in routes() if route.names_an_object]


def owned_objects(*roots) -> dict:
    """Every object that hangs off `roots` (an account, its household): what a delete would cascade to, and what
    protects it from deletion, followed again (a dossier protects the child, a place offer the dossier...). Any
    model a new app links to a family is found without being named here. Returns {model: {pk, ...}}."""
    owned: dict = {}
    todo = list(roots)
    seen = set()
    while todo:
        collector = NestedObjects(using="default")
        by_model: dict = {}
        for obj in todo:
            by_model.setdefault(type(obj), []).append(obj)
        for objs in by_model.values():  # the collector takes one model at a time
            collector.collect(objs)
        todo = []
        found = [obj for instances in collector.data.values() for obj in instances] + list(collector.protected)
        for obj in found:
            key = (type(obj), obj.pk)
            if key in seen:
                continue
            seen.add(key)
            owned.setdefault(type(obj), set()).add(obj.pk)
            if obj in collector.protected:
                todo.append(obj)
    return owned
