"""Every root field and every mutation of the schema, as every role: the allowed ones
work, the others answer FORBIDDEN naming the field and write nothing.

Root fields and mutations are read from the schema; an example below must exist for
each mutation, so a new one fails here until its rule and example are written."""

from __future__ import annotations


import pytest
import strawberry

from graph.access import Access, Role, allowed_roles
from graph.cost import CostBudgets
from graph.store import Store
from schema import build_schema
from seeds.loader import load
from seeds.stories import build
from tests.conftest import GraphQLClient
from tests.integration.test_partner_scope import filler
from tests.oracle import Snapshot, partner_scope
from tests.schema_walk import root_documents

ROLES = [Role.ADMIN, Role.EDITOR, Role.ANALYST, Role.PARTNER]
COMPANY = "company:abc-steel"

# A working example per mutation; {r} makes ids unique per role.
MUTATIONS: dict[str, str] = {
    "createPerson": 'createPerson(input: {id: "person:m-{r}", name: "M"}) { id }',
    "upsertPerson": 'upsertPerson(input: {id: "person:u-{r}", name: "U"}) { id }',
    "updatePerson": 'updatePerson(id: "person:john-smith", patch: {city: "Leeds-{r}"}) { id }',
    "deletePerson": 'deletePerson(id: "person:noah-thompson", withOrders: true)',
    "createCompany": 'createCompany(input: {id: "company:m-{r}", name: "M"}) { id }',
    "upsertCompany": 'upsertCompany(input: {id: "company:u-{r}", name: "U"}) { id }',
    "updateCompany": 'updateCompany(id: "company:apex-motors", patch: {city: "Detroit-{r}"}) { id }',
    "deleteCompany": 'deleteCompany(id: "company:lakeside-auto", withOrders: true)',
    "createProduct": 'createProduct(input: {id: "product:m-{r}", name: "M", sku: "M-{r}"}) { id }',
    "upsertProduct": 'upsertProduct(input: {id: "product:u-{r}", name: "U", sku: "U-{r}"}) { id }',
    "updateProduct": 'updateProduct(id: "product:probook-x15", patch: {category: "laptops-{r}"}) { id }',
    "deleteProduct": 'deleteProduct(id: "product:m-{r}")',
    "linkSupplies": 'linkSupplies(input: {supplierId: "company:northern-ore", customerId: "company:apex-motors", '
                    'sharePct: 5}) { type }',
    "linkResellsFor": 'linkResellsFor(input: {resellerId: "company:lakeside-auto", principalId: "company:horizon-auto"})'
                      ' { type }',
    "linkComponentOf": 'linkComponentOf(input: {componentId: "product:steel-sheet-cr12", '
                       'productId: "product:probook-x15", qty: 1}) { type }',
    "linkWorksFor": 'linkWorksFor(input: {personId: "person:emily-chen", companyId: "company:apex-motors"}) { type }',
    "linkSubsidiaryOf": 'linkSubsidiaryOf(input: {subsidiaryId: "company:lakeside-auto", '
                        'parentId: "company:apex-motors"}) { type }',
    "linkMakes": 'linkMakes(input: {companyId: "company:apex-motors", productId: "product:probook-x15"}) { type }',
    "linkInSegment": 'linkInSegment(input: {partyId: "person:emily-chen", segmentId: "segment:key-accounts"})'
                     ' { type }',
    "unlink": 'unlink(type: SUPPLIES, from: "company:northern-ore", to: "company:apex-motors")',
    "setExchangeRate": 'setExchangeRate(currency: "EUR", validFrom: "2020-01-01", rate: "1.1") { rate }',
    "recordOrder": 'recordOrder(input: {id: "order:m-{r}", customerId: "person:emily-chen", '
                   'sellerId: "company:abc-electronics", placedAt: "2026-11-01T10:00:00Z", '
                   'items: [{productId: "product:probook-x15", qty: 1, unitPrice: 999}]}) { id }',
    "recordReferral": 'recordReferral(input: {referrerId: "person:emily-chen", referredId: "person:m-{r}"}) { status }',
    "recordInteraction": 'recordInteraction(input: {id: "interaction:m-{r}", partyId: "person:john-smith", '
                         'companyId: "company:abc-electronics", channel: "chat", at: "2026-11-21T10:00:00Z"}) { id }',
    "recordFeedback": 'recordFeedback(input: {id: "feedback:m-{r}", partyId: "person:john-smith", '
                      'aboutId: "product:probook-x15", kind: "review", rating: 4, at: "2026-11-21T11:00:00Z"}) { id }',
    "mergeParties": 'mergeParties(survivorId: "person:john-smith", mergedId: "person:m-{r}") { id }',
}
# Some examples need what another made: run these first, as admin, for every role.
SETUP = ("createPerson", "createProduct")


@pytest.fixture(scope="module")
def schema() -> strawberry.Schema:
    """The schema without its cost budget: these documents select everything on purpose
    (the budget has tests of its own)."""
    return build_schema(budgets=CostBudgets({role: 10**9 for role in Role}, max_rows=10**6))


@pytest.fixture
async def seeded(empty_store: Store) -> Store:
    """The seed stories in a store of this test's own (every backend, like the contract suite)."""
    await load(empty_store, build())
    return empty_store


async def footprint(store: Store) -> tuple[int, int, list[dict[str, object]]]:
    nodes = (await store.read("MATCH (n:Entity) RETURN count(n) AS n"))[0]["n"]
    rels = (await store.read("MATCH ()-[r]->() RETURN count(r) AS n"))[0]["n"]
    props = await store.read("MATCH (n:Entity) RETURN n.id AS id, properties(n) AS p ORDER BY id")
    return nodes, rels, props


def test_every_mutation_has_an_example(schema: strawberry.Schema) -> None:
    assert set(schema._schema.mutation_type.fields) == set(MUTATIONS)


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
async def test_mutations_by_role(seeded: Store, schema: strawberry.Schema, role: Role) -> None:
    client = GraphQLClient(schema, seeded)
    access = Access(role, company_id=COMPANY, key_id=f"k-{role.value}")
    admin = Access(Role.ADMIN)
    for name in SETUP:
        await client.data("mutation { " + MUTATIONS[name].replace("{r}", role.value) + " }", access=admin)
    last = ("deletePerson", "deleteCompany", "deleteProduct", "mergeParties")  # they remove what others use
    for name in sorted(MUTATIONS, key=lambda n: n in last):
        call = MUTATIONS[name]
        if name in SETUP and role in allowed_roles("mutation", name):
            call = call.replace("{r}", "{r}-2")
        document = "mutation { " + call.replace("{r}", role.value) + " }"
        before = await footprint(seeded)
        result = await client.execute(document, access=access)
        if role in allowed_roles("mutation", name):
            assert result.errors is None, (name, role, result.errors)
        else:
            assert [e.extensions for e in result.errors or []] == [{"code": "FORBIDDEN", "field": name}], name
            assert result.data == {name: None} or result.data is None
            assert await footprint(seeded) == before, name


async def test_every_root_field_by_role(seeded: Store, schema: strawberry.Schema) -> None:
    client = GraphQLClient(schema, seeded)
    snap = await Snapshot.read(seeded)
    visible, _ = partner_scope(snap, COMPANY, 2)
    fill = filler(snap, COMPANY, visible)
    for role in ROLES:
        access = Access(role, company_id=COMPANY, scope_depth=2)
        for root, document, variables in root_documents(schema._schema, fill, rel_depth=1):
            result = await client.execute(document, variables, access=access)
            codes = {(e.extensions or {}).get("code") for e in result.errors or []}
            if role in allowed_roles("query", root):
                assert "FORBIDDEN" not in codes, (root, role)
                tolerated = {"NOT_LOADED_HERE"} | ({"OUT_OF_SCOPE"} if role is Role.PARTNER else set())
                assert codes <= tolerated, (root, role, variables, result.errors)
            else:
                assert codes == {"FORBIDDEN"}, (root, role)
