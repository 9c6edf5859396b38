"""The seed documents' stories, as graph data.

* B2C: John Smith, 35, a marketing professional in Chicago, researches laptops online and
  in stores, buys a high-performance laptop with an extended warranty at ABC Electronics,
  pays by credit card, and recommends the store to friends and colleagues, some of whom
  become customers (and one of whom refers someone in turn).
* B2B: XYZ Manufacturing Inc., a mid-sized automotive components maker, buys steel sheets
  from ABC Steel Suppliers on contract.
* Indirect customers: XYZ's parts go into cars that Apex Motors and Horizon Auto make and
  sell, directly or through a dealer, to consumers: XYZ's (and ABC Steel's) indirect customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph.money import to_minor


@dataclass
class Dataset:
    nodes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # label -> rows
    rels: dict[str, list[tuple[str, str, dict[str, Any]]]] = field(default_factory=dict)

    def node(self, label: str, **props: Any) -> str:
        if label == "Product":  # amounts are stored in minor units of their currency (graph.money)
            for key in ("price", "cost"):
                if props.get(key) is not None:
                    props[key] = to_minor(props[key], props.get("currency") or "USD")
        self.nodes.setdefault(label, []).append(props)
        return str(props["id"])

    def rel(self, type_: str, start: str, end: str, **props: Any) -> None:
        self.rels.setdefault(type_, []).append((start, end, props))

    def order(self, id: str, buyer: str, seller: str, placed_at: str,
              items: list[tuple[str, int, float]], **props: Any) -> str:
        """An order in US dollars with its lines; the total is the sum of quantity x unit
        price, in cents, exactly (the seed stories are all in the base currency, USD)."""
        lines = [(product, qty, to_minor(price, "USD")) for product, qty, price in items]
        total = sum(qty * cents for _, qty, cents in lines)
        self.node("Order", id=id, placedAt=placed_at, total=total, currency="USD", baseTotal=total,
                  exchangeRate="1", **props)
        self.rel("PLACED", buyer, id)
        self.rel("SOLD_BY", id, seller)
        for product, qty, cents in lines:
            self.rel("CONTAINS", id, product, qty=qty, unitPrice=cents, currency="USD")
        return id


def build() -> Dataset:
    d = Dataset()
    _b2c(d)
    _b2b(d)
    _automotive(d)
    _segments(d)
    return d


def _person(d: Dataset, id: str, first: str, last: str, **props: Any) -> str:
    return d.node("Person", id=id, name=f"{first} {last}", firstName=first, lastName=last, **props)


def _b2c(d: Dataset) -> None:
    abc = d.node("Company", id="company:abc-electronics", name="ABC Electronics",
                 industry="consumer electronics retail", city="Chicago", region="IL", country="US",
                 employeeCount=1200, website="https://abc-electronics.example",
                 createdAt="2015-04-01T00:00:00Z")
    brightwave = d.node("Company", id="company:brightwave-tech", name="Brightwave Tech",
                        industry="software", city="Chicago", region="IL", country="US",
                        employeeCount=350, createdAt="2018-01-10T00:00:00Z")
    john = _person(d, "person:john-smith", "John", "Smith", age=35,
                   occupation="marketing professional", city="Chicago", region="IL", country="US",
                   email="john.smith@example.com", createdAt="2026-03-10T17:05:00Z")
    d.rel("WORKS_FOR", john, brightwave, title="Marketing Manager", isPrimary=True,
          since="2021-06-01T00:00:00Z")

    laptop = d.node("Product", id="product:probook-x15", sku="PBX15-32-1T",
                    name="ProBook X15 high-performance laptop", category="laptop",
                    price=1899.0, cost=1520.0, currency="USD")
    warranty = d.node("Product", id="product:extended-warranty-3y", sku="EW-3Y",
                      name="Extended warranty, 3 years", category="warranty",
                      price=249.0, cost=60.0, currency="USD")
    headphones = d.node("Product", id="product:soundmax-anc", sku="SMX-ANC",
                        name="SoundMax noise-cancelling headphones", category="audio",
                        price=299.0, cost=180.0, currency="USD")
    tablet = d.node("Product", id="product:slate-11", sku="SLT-11", name="Slate 11 tablet",
                    category="tablet", price=649.0, cost=470.0, currency="USD")
    d.rel("MAKES", "company:abc-electronics", warranty, since="2015-04-01T00:00:00Z")

    # The purchase: in store, by credit card, laptop plus extended warranty.
    d.order("order:abc-1001", john, abc, "2026-03-14T15:20:00Z",
            [(laptop, 1, 1899.0), (warranty, 1, 249.0)],
            channel="store", status="delivered", paymentMethod="credit_card")

    # The journey across channels, newest last.
    touch = [
        ("web", "inbound", "2026-03-02T20:15:00Z", 0.2, "Compared laptop models and reviews online."),
        ("store", "inbound", "2026-03-10T17:00:00Z", 0.4, "Visited the store to compare prices and features."),
        ("store", "inbound", "2026-03-14T15:00:00Z", 0.9, "Sales staff helped choose the ProBook X15; bought it with the extended warranty."),
        ("email", "outbound", "2026-03-14T15:25:00Z", 0.5, "Receipt and warranty registration sent."),
        ("social", "inbound", "2026-03-16T09:30:00Z", 0.8, "Posted a photo of the new laptop and tagged the store."),
        ("chat", "inbound", "2026-04-02T12:10:00Z", 0.6, "Asked what the extended warranty covers; answered in chat."),
        ("phone", "outbound", "2026-04-20T16:00:00Z", 0.7, "Satisfaction call after five weeks of use."),
        ("sms", "outbound", "2026-05-05T10:00:00Z", 0.1, "Referral programme invitation: reward for each friend who buys."),
    ]
    for n, (channel, direction, at, sentiment, summary) in enumerate(touch, 1):
        iid = d.node("Interaction", id=f"interaction:john-{n}", channel=channel, direction=direction,
                     at=at, sentiment=sentiment, summary=summary)
        d.rel("HAD", john, iid)
        d.rel("WITH", iid, abc)

    for fid, kind, at, target, extra in [
        ("feedback:john-review", "review", "2026-03-20T19:00:00Z", abc,
         {"rating": 5, "text": "Helpful, courteous staff; they found me the right laptop."}),
        ("feedback:john-nps", "nps", "2026-04-20T16:05:00Z", abc,
         {"nps": 10, "text": "Will come back for future electronics needs."}),
        ("feedback:john-survey", "survey", "2026-03-21T08:00:00Z", "order:abc-1001",
         {"rating": 5, "text": "Smooth checkout; warranty explained clearly."}),
    ]:
        d.node("Feedback", id=fid, kind=kind, at=at, **extra)
        d.rel("GAVE", john, fid)
        d.rel("ABOUT", fid, target)

    # John recommends the store to friends and colleagues.
    friends = [
        ("person:emily-chen", "Emily", "Chen", 31, "colleague", "rewarded", "2026-03-18T12:00:00Z"),
        ("person:david-lee", "David", "Lee", 38, "colleague", "converted", "2026-03-22T18:30:00Z"),
        ("person:michael-brown", "Michael", "Brown", 36, "friend", "converted", "2026-04-05T20:00:00Z"),
        ("person:sarah-johnson", "Sarah", "Johnson", 34, "friend", "invited", "2026-05-06T09:00:00Z"),
        ("person:priya-patel", "Priya", "Patel", 29, "colleague", "rejected", "2026-05-07T11:00:00Z"),
    ]
    for pid, first, last, age, relation, status, at in friends:
        _person(d, pid, first, last, age=age, city="Chicago", region="IL", country="US",
                createdAt=at)
        if relation == "colleague":
            d.rel("WORKS_FOR", pid, brightwave, isPrimary=True, title="Marketing Specialist")
        d.rel("REFERRED", john, pid, at=at, status=status, company=abc,
              channel="word_of_mouth" if relation == "friend" else "email")
    d.order("order:abc-1002", "person:emily-chen", abc, "2026-03-25T14:00:00Z",
            [(laptop, 1, 1899.0), (warranty, 1, 249.0)],
            channel="store", status="delivered", paymentMethod="credit_card")
    d.order("order:abc-1003", "person:david-lee", abc, "2026-03-29T11:45:00Z",
            [(laptop, 1, 1849.0)], channel="web", status="delivered", paymentMethod="debit_card")
    d.order("order:abc-1004", "person:michael-brown", abc, "2026-04-12T16:30:00Z",
            [(tablet, 1, 649.0), (headphones, 1, 299.0)],
            channel="store", status="delivered", paymentMethod="credit_card")
    # A second generation: David passes the recommendation on.
    _person(d, "person:anna-kowalski", "Anna", "Kowalski", age=41, city="Evanston", region="IL",
            country="US", createdAt="2026-04-15T10:00:00Z")
    d.rel("REFERRED", "person:david-lee", "person:anna-kowalski", at="2026-04-15T10:00:00Z",
          status="converted", channel="social", company=abc)
    d.order("order:abc-1005", "person:anna-kowalski", abc, "2026-04-18T13:10:00Z",
            [(headphones, 2, 299.0)], channel="web", status="shipped", paymentMethod="credit_card")
    # John comes back, as he planned to.
    d.order("order:abc-1006", john, abc, "2026-06-02T18:00:00Z", [(headphones, 1, 279.0)],
            channel="store", status="delivered", paymentMethod="credit_card")


def _b2b(d: Dataset) -> None:
    xyz = d.node("Company", id="company:xyz-manufacturing", name="XYZ Manufacturing Inc.",
                 industry="automotive components", city="Detroit", region="MI", country="US",
                 employeeCount=850, createdAt="2012-09-01T00:00:00Z")
    abc_steel = d.node("Company", id="company:abc-steel", name="ABC Steel Suppliers",
                       industry="steel", city="Pittsburgh", region="PA", country="US",
                       employeeCount=9000, createdAt="2010-02-01T00:00:00Z")
    lakes = d.node("Company", id="company:great-lakes-metals", name="Great Lakes Metals",
                   industry="steel", city="Cleveland", region="OH", country="US", employeeCount=600)
    ore = d.node("Company", id="company:northern-ore", name="Northern Ore Mining",
                 industry="mining", city="Duluth", region="MN", country="US", employeeCount=2100)
    sheet = d.node("Product", id="product:steel-sheet-cr12", sku="CR-1.2", category="steel sheet",
                   name="Cold-rolled steel sheet 1.2 mm", price=900.0, cost=720.0, currency="USD")
    ore_p = d.node("Product", id="product:iron-ore-pellets", sku="IOP-65", category="iron ore",
                   name="Iron ore pellets, 65% Fe", price=140.0, cost=95.0, currency="USD")
    caliper = d.node("Product", id="product:brake-caliper-bc200", sku="BC-200",
                     name="Brake caliper BC-200", category="brake system", price=85.0, cost=52.0,
                     currency="USD")
    hinge = d.node("Product", id="product:door-hinge-dh7", sku="DH-7", name="Door hinge assembly DH-7",
                   category="body hardware", price=22.0, cost=12.5, currency="USD")

    d.rel("MAKES", abc_steel, sheet, since="2010-02-01T00:00:00Z")
    d.rel("MAKES", lakes, sheet, since="2014-01-01T00:00:00Z")
    d.rel("MAKES", ore, ore_p)
    d.rel("MAKES", xyz, caliper)
    d.rel("MAKES", xyz, hinge)
    d.rel("COMPONENT_OF", ore_p, sheet, qty=2)
    d.rel("COMPONENT_OF", sheet, caliper, qty=1)
    d.rel("COMPONENT_OF", sheet, hinge, qty=1)

    d.rel("SUPPLIES", abc_steel, xyz, products=["steel sheet"], sharePct=70.0, leadTimeDays=21,
          singleSource=False, contractEnd="2027-12-31T00:00:00Z", since="2019-01-01T00:00:00Z")
    d.rel("SUPPLIES", lakes, xyz, products=["steel sheet"], sharePct=30.0, leadTimeDays=14,
          singleSource=False, contractEnd="2026-12-31T00:00:00Z", since="2022-07-01T00:00:00Z")
    d.rel("SUPPLIES", ore, abc_steel, products=["iron ore"], sharePct=100.0, leadTimeDays=30,
          singleSource=True, contractEnd="2028-06-30T00:00:00Z", since="2015-01-01T00:00:00Z")

    for n, (at, qty) in enumerate([("2026-01-05T09:00:00Z", 400), ("2026-04-06T09:00:00Z", 450),
                                   ("2026-07-06T09:00:00Z", 500)], 1):
        d.order(f"order:xyz-abc-steel-{n}", xyz, abc_steel, at, [(sheet, qty, 880.0)],
                channel="contract", status="delivered" if n < 3 else "open", paymentMethod="invoice")
    d.order("order:xyz-great-lakes-1", xyz, lakes, "2026-02-10T09:00:00Z", [(sheet, 180, 905.0)],
            channel="contract", status="delivered", paymentMethod="invoice")

    linda = _person(d, "person:linda-martinez", "Linda", "Martinez", occupation="procurement manager",
                    city="Detroit", region="MI", country="US")
    robert = _person(d, "person:robert-king", "Robert", "King", occupation="account manager",
                     city="Pittsburgh", region="PA", country="US")
    d.rel("WORKS_FOR", linda, xyz, title="Procurement Manager", isPrimary=True)
    d.rel("WORKS_FOR", robert, abc_steel, title="Key Account Manager", isPrimary=True)
    for n, (channel, direction, at, sentiment, summary) in enumerate([
        ("email", "outbound", "2025-11-20T15:00:00Z", 0.5, "Quote for the 2026 steel sheet contract."),
        ("phone", "inbound", "2026-01-03T10:00:00Z", 0.6, "Confirmed first quarterly call-off of 400 t."),
        ("email", "inbound", "2026-06-28T08:30:00Z", -0.3, "Asked about a two-day delay on the Q3 delivery."),
    ], 1):
        iid = d.node("Interaction", id=f"interaction:xyz-abc-steel-{n}", channel=channel,
                     direction=direction, at=at, sentiment=sentiment, summary=summary)
        d.rel("HAD", xyz, iid)
        d.rel("WITH", iid, abc_steel)
    d.node("Feedback", id="feedback:xyz-supplier-survey", kind="survey", rating=4,
           at="2026-06-30T12:00:00Z",
           text="Consistent quality and reliable deliveries; critical to our production line.")
    d.rel("GAVE", xyz, "feedback:xyz-supplier-survey")
    d.rel("ABOUT", "feedback:xyz-supplier-survey", abc_steel)


def _automotive(d: Dataset) -> None:
    apex = d.node("Company", id="company:apex-motors", name="Apex Motors", industry="automotive",
                  city="Detroit", region="MI", country="US", employeeCount=40000)
    horizon = d.node("Company", id="company:horizon-auto", name="Horizon Auto", industry="automotive",
                     city="Lansing", region="MI", country="US", employeeCount=22000)
    dealer = d.node("Company", id="company:lakeside-auto", name="Lakeside Auto Dealers",
                    industry="car dealership", city="Chicago", region="IL", country="US",
                    employeeCount=80)
    sedan = d.node("Product", id="product:apex-sedan-s", sku="APX-S", name="Apex Sedan S",
                   category="car", price=32000.0, cost=26500.0, currency="USD")
    crossover = d.node("Product", id="product:horizon-crossover", sku="HZ-X", category="car",
                       name="Horizon Crossover", price=38500.0, cost=31000.0, currency="USD")
    d.rel("MAKES", apex, sedan)
    d.rel("MAKES", horizon, crossover)
    d.rel("COMPONENT_OF", "product:brake-caliper-bc200", sedan, qty=4)
    d.rel("COMPONENT_OF", "product:door-hinge-dh7", crossover, qty=8)
    d.rel("SUPPLIES", "company:xyz-manufacturing", apex, products=["brake caliper"], sharePct=100.0,
          leadTimeDays=10, singleSource=True, contractEnd="2027-06-30T00:00:00Z")
    d.rel("SUPPLIES", "company:xyz-manufacturing", horizon, products=["door hinge assembly"],
          sharePct=60.0, leadTimeDays=12, singleSource=False, contractEnd="2026-12-31T00:00:00Z")
    d.rel("RESELLS_FOR", dealer, apex, channelType="dealer", region="Chicagoland",
          since="2016-05-01T00:00:00Z")
    d.order("order:apex-xyz-1", apex, "company:xyz-manufacturing", "2026-02-01T08:00:00Z",
            [("product:brake-caliper-bc200", 8000, 84.0)], channel="contract", status="delivered",
            paymentMethod="invoice")
    d.order("order:horizon-xyz-1", horizon, "company:xyz-manufacturing", "2026-02-15T08:00:00Z",
            [("product:door-hinge-dh7", 20000, 21.5)], channel="contract", status="open",
            paymentMethod="invoice")
    drivers = [
        ("person:maria-garcia", "Maria", "Garcia", dealer, sedan, 31500.0, "2026-05-09T14:00:00Z"),
        ("person:james-wilson", "James", "Wilson", horizon, crossover, 38500.0, "2026-06-21T11:00:00Z"),
        ("person:olivia-davis", "Olivia", "Davis", apex, sedan, 32000.0, "2026-07-02T16:45:00Z"),
        ("person:noah-thompson", "Noah", "Thompson", dealer, sedan, 30900.0, "2026-08-12T10:30:00Z"),
    ]
    for n, (pid, first, last, seller, car, price, at) in enumerate(drivers, 1):
        _person(d, pid, first, last, city="Chicago", region="IL", country="US", createdAt=at)
        d.order(f"order:car-{n}", pid, seller, at, [(car, 1, price)],
                channel="store" if seller == dealer else "web", status="delivered",
                paymentMethod="transfer")
    d.rel("REFERRED", "person:maria-garcia", "person:noah-thompson", at="2026-07-20T09:00:00Z",
          status="converted", channel="word_of_mouth", company="company:lakeside-auto")


def _segments(d: Dataset) -> None:
    members = {
        "segment:loyal-advocates": ("Loyal advocates", "Repeat buyers who refer others.",
                                    ["person:john-smith", "person:david-lee", "person:maria-garcia"]),
        "segment:new-customers": ("New customers", "First purchase in the last 90 days.",
                                  ["person:anna-kowalski", "person:noah-thompson"]),
        "segment:key-accounts": ("B2B key accounts", "Contract customers with large volumes.",
                                 ["company:xyz-manufacturing", "company:apex-motors",
                                  "company:horizon-auto"]),
    }
    for sid, (name, description, parties) in members.items():
        d.node("Segment", id=sid, name=name, description=description)
        for party in parties:
            d.rel("IN_SEGMENT", party, sid, since="2026-09-01T00:00:00Z")
