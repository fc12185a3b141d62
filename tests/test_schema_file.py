"""docs/schema.graphql is what frontends read: it must be exactly the code's schema."""

from pathlib import Path

from graphql import build_schema

from service.schema import schema, sdl

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "schema.graphql"


def test_committed_schema_matches_the_code():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl(), "docs/schema.graphql is stale: run ./run schema"


def test_every_type_field_and_argument_has_a_description():
    missing = []
    for name, gtype in build_schema(sdl()).type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID", "DateTime"}:
            continue
        if not gtype.description:
            missing.append(name)
        for fname, field in getattr(gtype, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{fname}")
            for aname, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    missing.append(f"{name}.{fname}({aname})")
    assert missing == []


def test_operation_names_and_arguments_are_the_contract():
    built = build_schema(sdl())

    def signature(root, name):
        field = root.fields[name]
        return {arg: str(a.type) for arg, a in field.args.items()}, str(field.type)

    m, q = built.mutation_type, built.query_type
    assert signature(m, "recordActivity") == ({"input": "RecordActivityInput!"}, "RecordActivityPayload!")
    assert signature(m, "createCustomerFromOpenList") == (
        {"entryId": "ID!", "input": "CustomerInput", "confirmNotDuplicate": "Boolean!"},
        "CreateCustomerFromOpenListPayload!",
    )
    assert signature(m, "discardOpenListEntry") == ({"entryId": "ID!"}, "DiscardOpenListEntryPayload!")
    assert signature(m, "createCustomer") == (
        {"input": "CustomerInput!", "activityId": "ID", "confirmNotDuplicate": "Boolean!"},
        "CreateCustomerPayload!",
    )
    assert signature(m, "updateCustomer") == ({"id": "ID!", "expectedVersion": "Int!", "input": "CustomerInput!"}, "UpdateCustomerPayload!")
    assert signature(m, "associateActivity") == ({"activityId": "ID!", "customerId": "ID!"}, "AssociateActivityPayload!")
    assert signature(q, "openList")[0] == {"agentId": "ID", "first": "Int", "after": "String"}
    assert signature(q, "customer") == ({"id": "ID!"}, "Customer")
    assert signature(q, "customers")[0] == {"search": "String", "first": "Int", "after": "String"}
    assert signature(q, "activity") == ({"id": "ID!"}, "Activity")
    assert signature(q, "activities")[0] == {"customerId": "ID", "unassociated": "Boolean", "first": "Int", "after": "String"}
    assert signature(q, "matchCustomers") == ({"identity": "IdentityInput!", "limit": "Int"}, "[MatchCandidate!]!")
    assert "activities" in built.type_map["Customer"].fields
    for record in ("Customer", "Activity", "OpenListEntry"):
        assert [i.name for i in built.type_map[record].interfaces] == ["Node"]
        assert {"id", "version", "createdAt", "updatedAt"} <= set(built.type_map[record].fields)
    for union in ("RecordActivityPayload", "CreateCustomerPayload", "UpdateCustomerPayload"):
        members = built.type_map[union].types
        assert all("UserError" in [i.name for i in t.interfaces] for t in members if not t.name.endswith("Success"))
    assert schema is not None
