"""API Particulier's published OpenAPI contract (the five routes issue 13 needs), loaded for the tests that hold
the client, and later the simulator, to it: `../shared/reference/openapi/api-particulier-v3-subset.yaml` beside the
repository, or under PORTAIL_SHARED_DIR. Without it the tests using `contract` are skipped, except in CI."""

import os
from pathlib import Path

import pytest
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

REPOSITORY = Path(__file__).resolve().parents[2]
CONTRACT = Path("reference", "openapi", "api-particulier-v3-subset.yaml")


def contract_path(repository: Path = REPOSITORY) -> Path | None:
    """The shared folder beside the repository root first, then PORTAIL_SHARED_DIR."""
    folders = [repository.parent / "shared"]
    if os.environ.get("PORTAIL_SHARED_DIR"):
        folders.append(Path(os.environ["PORTAIL_SHARED_DIR"]))
    return next((folder / CONTRACT for folder in folders if (folder / CONTRACT).is_file()), None)


class Contract:
    def __init__(self, document: dict):
        self.document = document

    def operation(self, path: str) -> dict:
        return self.document["paths"][path]["get"]

    def parameters(self, path: str, location: str = "query") -> dict[str, dict]:
        return {p["name"]: p for p in self.operation(path)["parameters"] if p["in"] == location}

    def response(self, path: str, status: int | str) -> dict:
        return self.operation(path)["responses"][str(status)]

    def schema(self, path: str, status: int | str) -> dict:
        schema = self.response(path, status)["content"]["application/json"]["schema"]
        return self.resolve(schema)

    def resolve(self, node: dict) -> dict:
        if "$ref" not in node:
            return node
        found = self.document
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        return found

    def error_examples(self, path: str):
        """(status, example name, body) for every error example of `path`."""
        for status, response in self.operation(path)["responses"].items():
            examples = response.get("content", {}).get("application/json", {}).get("examples", {})
            for name, example in examples.items():
                yield int(status), name, example["value"]

    def errors(self, instance, schema: dict) -> list[str]:
        validator = OAS30Validator(
            {**schema, "components": self.document["components"]}, format_checker=oas30_format_checker
        )
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in validator.iter_errors(instance)
        ]


def example_of(schema: dict):
    """An instance assembled from the `example` of each property (the contract gives no whole 200 example):
    arrays hold one item, every declared property is present."""
    if "example" in schema and schema.get("type") not in ("object", "array"):
        return schema["example"]
    if schema.get("type") == "object":
        return {name: example_of(child) for name, child in schema.get("properties", {}).items()}
    if schema.get("type") == "array":
        return [example_of(schema["items"])]
    return None


def load() -> Contract:
    path = contract_path()
    if path is None:
        message = (
            f"API Particulier's contract {CONTRACT} is in neither {REPOSITORY.parent / 'shared'} nor "
            "PORTAIL_SHARED_DIR (unset or without it): the contract tests cannot run"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return Contract(yaml.safe_load(path.read_text(encoding="utf-8")))
