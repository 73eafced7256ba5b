"""The public event catalogue (docs/events) is complete, well-formed, and agrees with the code.

Every event a test receives through harness.Subscriber is also validated against it, so these
tests check the catalogue itself: its files, that every event the services emit has a schema,
and that validation really refuses what does not match.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from event_catalogue import ASYNCAPI, ENVELOPE, ROOT, SCHEMAS, TYPE, catalogued_types, schema_file, validate_event
from jsonschema import Draft202012Validator

SERVICES = ROOT / "services"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
# Keywords that draft 2020-12 has and draft-07 (AsyncAPI's own schema dialect) does not: kept out so
# AsyncAPI tools read the same schemas the tests apply.
NOT_IN_DRAFT_07 = {"$defs", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "prefixItems",
                   "unevaluatedItems", "unevaluatedProperties", "dependentRequired", "dependentSchemas",
                   "minContains", "maxContains"}


def asyncapi() -> dict:
    return yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))


def schema_files() -> list[Path]:
    return sorted(SCHEMAS.glob("*.json"))


def refs(node, found=None) -> list[str]:
    found = [] if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append(value)
            else:
                refs(value, found)
    elif isinstance(node, list):
        for item in node:
            refs(item, found)
    return found


def pointer(doc, ref: str):
    node = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def keywords(node, found=None) -> set[str]:
    found = set() if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key in ("properties", "patternProperties"):  # their keys are field names, not keywords
                for sub in value.values():
                    keywords(sub, found)
            elif key not in ("examples", "enum", "const", "required"):
                keywords(value, found)
    elif isinstance(node, list):
        for item in node:
            keywords(item, found)
    return found


def example_events() -> list[tuple[str, dict]]:
    return [(name, example["payload"]) for name, message in asyncapi()["components"]["messages"].items()
            for example in message.get("examples", [])]


# --- (a) the files -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", schema_files(), ids=lambda p: p.name)
def test_each_schema_is_valid_draft_2020_12_that_tolerates_new_fields(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema.get("$schema") == DRAFT_2020_12, f"{path.name}: declare $schema {DRAFT_2020_12}"
    assert schema.get("type") == "object" and schema.get("required") and schema.get("description")
    assert schema.get("additionalProperties", True) is not False, \
        f"{path.name}: consumers must tolerate new fields, so the top level may not forbid them"
    assert set(schema["required"]) <= set(schema["properties"]), f"{path.name}: required names a field not described"
    assert not keywords(schema) & NOT_IN_DRAFT_07, f"{path.name}: uses {keywords(schema) & NOT_IN_DRAFT_07}"


def test_every_ref_in_asyncapi_resolves_and_every_schema_file_is_referenced():
    doc = asyncapi()
    assert doc["asyncapi"].startswith("3.")
    files = set()
    for ref in refs(doc):
        if ref.startswith("#/"):
            pointer(doc, ref)  # KeyError names a dangling reference
        else:
            target = (ASYNCAPI.parent / ref).resolve()
            assert target.is_file(), f"asyncapi.yaml refers to {ref}, which does not exist"
            files.add(target)
    unreferenced = sorted(p.name for p in schema_files() if p.resolve() not in files)
    assert not unreferenced, f"schema files not referenced from asyncapi.yaml: {unreferenced}"


def test_each_message_has_its_schema_channel_and_operation():
    doc = asyncapi()
    messages = doc["components"]["messages"]
    exchange = doc["components"]["channelBindings"]["publicExchange"]["amqp"]["exchange"]
    assert (exchange["name"], exchange["type"]) == ("ekinerja.internal", "topic")
    assert {m["name"] for m in messages.values()} == catalogued_types(), \
        "asyncapi.yaml must have one message per schema file in docs/events/schemas (and no other)"
    addresses = {c["address"]: key for key, c in doc["channels"].items()}
    sent = {op["channel"]["$ref"].removeprefix("#/channels/"): op for op in doc["operations"].values()}
    for key, message in messages.items():
        event_type = message["name"]
        path = schema_file(event_type)
        assert path is not None and path.is_file(), f"{event_type}: no schema file {path}"
        data_ref = message["payload"]["allOf"][1]["properties"]["data"]["$ref"]
        assert (ASYNCAPI.parent / data_ref).resolve() == path.resolve(), f"{event_type}: data refers to {data_ref}"
        assert message["payload"]["allOf"][1]["properties"]["type"]["const"] == event_type
        assert message["payload"]["allOf"][0]["$ref"] == f"schemas/{ENVELOPE}"
        assert message.get("examples"), f"{event_type}: show an example"
        channel = addresses.get(event_type)
        assert channel is not None, f"{event_type}: no channel with that address (the routing key)"
        assert doc["channels"][channel]["messages"][key]["$ref"] == f"#/components/messages/{key}"
        assert channel in sent and sent[channel]["action"] == "send", f"{event_type}: no send operation"
        assert "**When:**" in sent[channel]["description"] and "**Consumers:**" in sent[channel]["description"]


@pytest.mark.parametrize("name,payload", example_events(), ids=[n for n, _ in example_events()])
def test_the_examples_in_asyncapi_are_valid_events(name, payload):
    validate_event(payload, routing_key=payload["type"])


# --- (b) every event the code emits has a schema ---------------------------------------------------
#
# How the scan finds event names, from the Python AST of every service module (services/<svc>/,
# without tests/ and alembic/), so comments and docstrings do not count:
#  1. Emitting calls: `<x>.add(session, NAME, subject, data)` where <x> mentions "outbox" (the
#     kernel's Outbox, `OUTBOX`, `self.outbox`, ...) and `make_event(service, NAME, ...)`.
#  2. NAME is resolved where it is written: a string literal; or a variable assigned in the same
#     function (every dotted lower-case string literal in the assigned expression counts, except
#     dictionary keys: `{"submit": "skp.submitted", ...}.get(action)` gives skp.submitted); or the
#     first name of a loop `for name, data in events:`, fed by the (name, data) pairs the
#     service builds: every 2-tuple literal in that service whose first element is a dotted
#     lower-case string ("employee.upserted", {...}).
#  3. A NAME none of these explains (a function parameter, a computed string) fails the test:
#     nothing is skipped silently. Emit through one of the shapes above, or extend the scan.
#  4. Types written out in full (`"ekinerja.acting.assigned.v1"`, which consumers compare with)
#     must be in the catalogue too.
# The scan is checked both ways: a schema that no code emits fails as well (stale, or missed).

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def _strings(node: ast.AST) -> set[str]:
    """Dotted lower-case string literals in an expression, dictionary keys excepted."""
    if isinstance(node, ast.Constant):
        return {node.value} if isinstance(node.value, str) and EVENT_NAME.match(node.value) else set()
    if isinstance(node, ast.Dict):
        return set().union(*(_strings(v) for v in node.values))
    return set().union(set(), *(_strings(child) for child in ast.iter_child_nodes(node)))


def _many_names(call: ast.Call) -> set[str] | None:
    """The event names of `outbox.add_many(s, [(name, key, data), ...])`, or None for another call."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "add_many"
            and "outbox" in ast.unparse(func.value).lower()):
        return None
    rows = call.args[1] if len(call.args) > 1 else None
    return {n.elts[0].value for n in ast.walk(rows) if isinstance(n, ast.Tuple) and n.elts
            and isinstance(n.elts[0], ast.Constant) and isinstance(n.elts[0].value, str)
            and EVENT_NAME.match(n.elts[0].value)} if rows is not None else set()


def _name_argument(call: ast.Call) -> ast.AST | None:
    func = call.func
    is_outbox_add = isinstance(func, ast.Attribute) and func.attr == "add" \
        and "outbox" in ast.unparse(func.value).lower()
    is_make_event = (isinstance(func, ast.Name) and func.id == "make_event") or \
        (isinstance(func, ast.Attribute) and func.attr == "make_event")
    if not (is_outbox_add or is_make_event):
        return None
    named = [k.value for k in call.keywords if k.arg == "name"]
    return named[0] if named else (call.args[1] if len(call.args) > 1 else None)


def _pairs(tree: ast.AST) -> set[str]:
    return {n.elts[0].value for n in ast.walk(tree)
            if isinstance(n, ast.Tuple) and len(n.elts) == 2 and isinstance(n.elts[0], ast.Constant)
            and isinstance(n.elts[0].value, str) and EVENT_NAME.match(n.elts[0].value)}


def _loop_first_names(function: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(function):
        if isinstance(node, (ast.For, ast.comprehension)):
            target = node.target
            first = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else target
            if isinstance(first, ast.Name):
                names.add(first.id)
    return names


def scan(modules: dict[str, str]) -> tuple[dict[str, set[str]], list[str]]:
    """{event name: {where it is emitted}} and the emitting calls whose name the scan cannot see,
    for modules given as {"<service>/<path>": source}."""
    trees = {where: ast.parse(source) for where, source in modules.items()}
    pairs_by_service: dict[str, set[str]] = {}
    for where, tree in trees.items():
        pairs_by_service.setdefault(where.split("/")[0], set()).update(_pairs(tree))
    found: dict[str, set[str]] = {}
    unexplained = []
    for where, tree in trees.items():
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (many := _many_names(node)) is not None:
                if not many:
                    unexplained.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
                for name in many:
                    found.setdefault(name, set()).add(f"{where}:{node.lineno}")
                continue
            if not isinstance(node, ast.Call) or (arg := _name_argument(node)) is None:
                continue
            here = f"{where}:{node.lineno}"
            names = _strings(arg) if not isinstance(arg, ast.Name) else set()
            if isinstance(arg, ast.Name):
                inside = [f for f in functions if f.lineno <= node.lineno <= f.end_lineno]
                function = min(inside, key=lambda f: f.end_lineno - f.lineno) if inside else tree
                for assign in ast.walk(function):
                    targets = assign.targets if isinstance(assign, ast.Assign) else \
                        [assign.target] if isinstance(assign, ast.AnnAssign) and assign.value else []
                    if any(isinstance(t, ast.Name) and t.id == arg.id for t in targets):
                        names |= _strings(assign.value)
                if arg.id in _loop_first_names(function):
                    names |= pairs_by_service[where.split("/")[0]]
            if not names:
                unexplained.append(f"{here}: {ast.unparse(node)}")
            for name in names:
                found.setdefault(name, set()).add(here)
        for node in ast.walk(tree):  # 4: full types, e.g. the ones a consumer compares with
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (m := TYPE.match(node.value)):
                found.setdefault(m["name"] if m["version"] == "1" else f"{m['name']}.v{m['version']}",
                                 set()).add(f"{where}:{node.lineno}")
    return found, unexplained


def service_modules() -> dict[str, str]:
    modules = {}
    for path in sorted(SERVICES.glob("*/**/*.py")):
        relative = path.relative_to(SERVICES)
        if {"tests", "alembic"} & set(relative.parts[1:-1]):
            continue
        modules[relative.as_posix()] = path.read_text(encoding="utf-8")
    return modules


def _as_type(name: str) -> str:
    m = re.fullmatch(r"(.+)\.v([1-9][0-9]*)", name)
    return f"ekinerja.{m[1]}.v{m[2]}" if m else f"ekinerja.{name}.v1"


def test_the_scan_sees_literals_name_maps_and_pairs_and_reports_what_it_cannot_see():
    found, unexplained = scan({
        "a/a/direct.py": 'def f(s):\n    OUTBOX.add(s, "thing.made", "x", {})\n    make_event("a", name="thing.kept", '
                         'subject="x", data={})\n',
        "a/a/mapped.py": 'def g(self, s, action):\n    event = {"go": "thing.went", "stop": "thing.stopped"}'
                         '.get(action)\n    self.outbox.add(s, event, "x", {})\n',
        "a/a/pairs.py": 'def h(old):\n    return [("thing.changed", {"id": 1}), ("thing.moved", old.to_dict())]\n'
                        'def k(self, events):\n    for name, data in events:\n        self.outbox.add(self.s, name, '
                        '"x", data)\n',
        "a/a/consumer.py": 'KIND = "ekinerja.other.seen.v1"\nLATER = "ekinerja.other.seen.v2"\n',
        "a/a/blind.py": 'def m(outbox, s, name):\n    outbox.add(s, name, "x", {})\n'
                        'def n(outbox, s, kind):\n    outbox.add(s, f"thing.{kind}", "x", {})\n',
        "a/a/noise.py": '"""outbox.add(s, "doc.string", ...)"""\nAUDIT = "session.revoked"\n',
    })
    assert set(found) == {"thing.made", "thing.kept", "thing.went", "thing.stopped", "thing.changed",
                          "thing.moved", "other.seen", "other.seen.v2"}
    assert [u.split(":")[0] for u in unexplained] == ["a/a/blind.py", "a/a/blind.py"]
    assert _as_type("other.seen.v2") == "ekinerja.other.seen.v2"


def test_every_event_the_services_emit_has_a_schema_and_every_schema_an_emitter():
    found, unexplained = scan(service_modules())

    assert not unexplained, ("cannot see which event these calls emit (see the comment above scan()):\n"
                             + "\n".join(unexplained))
    emitted = {_as_type(name): sorted(places) for name, places in found.items()}
    missing = {t: places for t, places in emitted.items() if t not in catalogued_types()}
    assert not missing, f"events emitted without a schema in docs/events/schemas (and asyncapi.yaml): {missing}"
    stale = sorted(catalogued_types() - set(emitted))
    assert not stale, f"schemas for events no service emits (stale, or the scan missed them): {stale}"


# --- (c) validation bites ----------------------------------------------------------------------------

def an_event(type_: str) -> dict:
    return copy.deepcopy(next(p for _, p in example_events() if p["type"] == type_))


def test_a_missing_required_data_field_is_refused_naming_type_and_path():
    event = an_event("ekinerja.skp.approved.v1")
    del event["data"]["rhk"][0]["iki"][1]["satuan"]
    with pytest.raises(AssertionError, match=r"ekinerja\.skp\.approved\.v1(.|\n)*data\.rhk\[0\]\.iki\[1\]: "
                                             r"'satuan' is a required property"):
        validate_event(event)
    event = an_event("ekinerja.employee.deactivated.v1")
    del event["data"]["agency_id"]
    with pytest.raises(AssertionError, match=r"ekinerja\.employee\.deactivated\.v1(.|\n)*data: 'agency_id'"):
        validate_event(event)


def test_an_unknown_type_is_refused():
    event = an_event("ekinerja.unit.upserted.v1")
    event["type"] = "ekinerja.unit.vanished.v1"
    with pytest.raises(AssertionError, match=r"no schema in docs/events/schemas for ekinerja\.unit\.vanished\.v1"):
        validate_event(event)
    event["type"] = "ekinerja.unit.upserted.v2"  # a new major version needs its own file
    with pytest.raises(AssertionError, match=r"no schema .* for ekinerja\.unit\.upserted\.v2 .*unit\.upserted\.v2"):
        validate_event(event)


@pytest.mark.parametrize("change,path", [
    (lambda e: e.update(time="04/01/2027 08:12"), r"envelope\.time: .* is not a 'date-time'"),
    (lambda e: e.pop("id"), r"envelope: 'id' is a required property"),
    (lambda e: e.update(type="skp.approved"), r"envelope\.type: 'skp\.approved' does not match"),
    (lambda e: e["data"].update(year="2027"), r"data\.year: '2027' is not of type 'integer'"),
    (lambda e: e["data"].update(state="approved"), r"data\.state: 'disetujui' was expected"),
    (lambda e: e["data"]["rhk"][0].update(id="rhk-1"), r"data\.rhk\[0\]\.id: 'rhk-1' is not a 'uuid'"),
    (lambda e: e["data"].update(nip="19860926"), r"data\.nip: '19860926' does not match"),
])
def test_wrong_values_are_refused(change, path):
    event = an_event("ekinerja.skp.approved.v1")
    change(event)
    with pytest.raises(AssertionError, match=path):
        validate_event(event)


def test_dates_and_the_routing_key_are_checked():
    event = an_event("ekinerja.acting.assigned.v1")
    event["data"]["end_date"] = "21/03/2027"
    with pytest.raises(AssertionError, match=r"data\.end_date: '21/03/2027' is not a 'date'"):
        validate_event(event)
    with pytest.raises(AssertionError, match="routing key 'ekinerja.acting.ended.v1': it must be the type"):
        validate_event(an_event("ekinerja.acting.assigned.v1"), routing_key="ekinerja.acting.ended.v1")


def test_new_fields_and_extensions_are_tolerated():
    event = an_event("ekinerja.skp.evaluated.v1")
    event["data"]["unit_predikat"] = "baik"
    event["data"]["period"]["deadline"] = "2027-02-15"
    event["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert validate_event(event) is event


# --- (d) the public catalogue: docs/events/public and the projections in the kernel -------------------

ASYNCAPI_SCHEMA = ROOT / "tests" / "asyncapi" / "asyncapi-3.0.0.schema.json"
PERSONAL_FIELDS = {"nik", "email", "phone", "address", "birth_date", "npwp"}


def public_asyncapi() -> dict:
    from event_catalogue import PUBLIC_ASYNCAPI

    return yaml.safe_load(PUBLIC_ASYNCAPI.read_text(encoding="utf-8"))


def asyncapi_errors(doc: dict) -> list[str]:
    """The AsyncAPI 3.0.0 document schema's complaints (the official JSON Schema, vendored in tests/asyncapi)."""
    from jsonschema import Draft7Validator

    validator = Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8")))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(doc)]


@pytest.mark.parametrize("document", ["internal", "public"])
def test_the_asyncapi_documents_are_valid_asyncapi_3(document):
    doc = asyncapi() if document == "internal" else public_asyncapi()
    assert doc["asyncapi"] == "3.0.0"
    assert asyncapi_errors(doc) == []


def test_the_asyncapi_check_refuses_a_broken_document():
    doc = public_asyncapi()
    broken = copy.deepcopy(doc)
    broken["channels"]["harian.day_closed"]["address"] = 42
    broken["servers"]["public"]["protocol"] = {"not": "a string"}
    errors = asyncapi_errors(broken)
    # A channel or server is one of (object | reference): the complaint names the whole object.
    assert any(e.startswith("channels/harian.day_closed") for e in errors), errors
    assert any(e.startswith("servers/public") for e in errors), errors
    assert len(errors) == 2, errors


def test_the_public_catalogue_is_the_projections_one_message_each():
    from event_catalogue import PUBLIC_SCHEMAS, public_schema_file

    from ekinerja_kernel.publicevents import catalogue

    doc = public_asyncapi()
    messages = doc["components"]["messages"]
    assert {m["name"] for m in messages.values()} == set(catalogue())
    files = {p.name for p in PUBLIC_SCHEMAS.glob("*.json")} - {ENVELOPE}
    assert files == {public_schema_file(t).name for t in catalogue()}, "one schema file per public type, no other"
    addresses = {c["address"]: key for key, c in doc["channels"].items()}
    for key, message in messages.items():
        public = catalogue()[message["name"]]
        schema = json.loads(public_schema_file(public.type).read_text(encoding="utf-8"))
        assert schema["$id"] == public.dataschema, f"{public.type}: $id must be the events' dataschema"
        props = message["payload"]["allOf"][1]["properties"]
        assert props["type"]["const"] == public.type and props["dataschema"]["const"] == public.dataschema
        assert (PUBLIC_SCHEMAS.parent / props["data"]["$ref"]).resolve() == public_schema_file(public.type).resolve()
        assert message["contentType"] == "application/cloudevents+json"
        assert addresses[public.type] == key
        operation = doc["operations"][key]
        assert "**When:**" in operation["description"] and "**Consumers:**" in operation["description"]
        assert doc["channels"][key]["servers"] == [{"$ref": "#/servers/public"}]


def test_the_public_asyncapi_declares_the_account_and_the_vhost():
    doc = public_asyncapi()
    server = doc["servers"]["public"]
    assert server["pathname"] == "/ekinerja-public" and server["protocol"] == "amqp"
    assert server["security"] == [{"$ref": "#/components/securitySchemes/subscriberAccount"}]
    assert doc["components"]["securitySchemes"]["subscriberAccount"]["type"] == "userPassword"
    exchange = doc["components"]["channelBindings"]["publicExchange"]["amqp"]["exchange"]
    assert (exchange["name"], exchange["type"], exchange["vhost"]) == ("ekinerja.public", "topic", "ekinerja-public")


@pytest.mark.parametrize("path", sorted((ROOT / "docs" / "events" / "public" / "schemas").glob("*.json")),
                         ids=lambda p: p.name)
def test_each_public_schema_describes_every_field_and_keeps_personal_data_to_personal_types(path):
    from ekinerja_kernel.publicevents import catalogue

    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DRAFT_2020_12 and schema["$id"].startswith("urn:ekinerja:schema:")
    assert not keywords(schema) & NOT_IN_DRAFT_07
    undocumented = []

    def walk(node, where):
        for name, sub in node.get("properties", {}).items():
            if not sub.get("description"):
                undocumented.append(f"{where}{name}")
            walk(sub, f"{where}{name}.")
            if isinstance(sub.get("items"), dict):
                walk(sub["items"], f"{where}{name}[].")

    walk(schema, "")
    assert not undocumented, f"{path.name}: fields without a description: {undocumented}"
    if path.name == ENVELOPE:
        return
    public = next(t for t in catalogue().values() if t.dataschema == schema["$id"])
    if not public.personal:
        assert not set(schema["properties"]) & PERSONAL_FIELDS, f"{path.name} carries personal data"


@pytest.mark.parametrize("name,payload", example_events(), ids=[n for n, _ in example_events()])
def test_every_internal_example_projects_to_valid_public_events(name, payload):
    from event_catalogue import validate_public_event

    from ekinerja_kernel.publicevents import catalogue, project, public_id

    made = project(payload)
    assert {p["type"] for p in made} == {t.type for t in catalogue().values() if t.source == payload["type"]}
    for public in made:
        validate_public_event(public)
        assert public["id"] == public_id(payload["id"], public["type"]) != payload["id"]
        assert (public["subject"], public["time"], public["source"]) == \
            (payload["subject"], payload["time"], payload["source"])
        if not catalogue()[public["type"]].personal:
            assert not set(public["data"]) & PERSONAL_FIELDS, f"{public['type']} carries personal data"


@pytest.mark.parametrize("name,payload", [(m["name"], ex["payload"]) for m in
                                          public_asyncapi()["components"]["messages"].values()
                                          for ex in m["examples"]])
def test_the_public_examples_are_valid_public_events(name, payload):
    from event_catalogue import validate_public_event

    validate_public_event(payload, routing_key=name)


def test_a_public_event_with_a_wrong_dataschema_or_a_personal_field_type_is_refused():
    from event_catalogue import validate_public_event

    event = copy.deepcopy(public_asyncapi()["components"]["messages"]["harian.day_closed"]["examples"][0]["payload"])
    validate_public_event(event)
    wrong = copy.deepcopy(event)
    wrong["dataschema"] = "urn:ekinerja:schema:ekinerja.public.unit.changed.v1"
    with pytest.raises(AssertionError, match="is not the schema's \\$id"):
        validate_public_event(wrong)
    wrong = copy.deepcopy(event)
    wrong["data"]["status"] = "sakit"
    with pytest.raises(AssertionError, match=r"data\.status"):
        validate_public_event(wrong)
    with pytest.raises(AssertionError, match="routing key"):
        validate_public_event(event, routing_key="ekinerja.public.#")
