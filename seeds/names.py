"""Names for the synthetic graph: people, companies and products named the way a CRM's
are (many John Smiths, no two lists alike in their first characters), not "Person 123".

Each name is a pure function of the node's number, so that any process makes the same
one, and the vocabularies are small enough that a column of them is encoded once per
distinct name (``graph.bulk.columns.Codes``).
"""

from __future__ import annotations

from itertools import product

import numpy as np

FIRST = ("Aaron", "Abigail", "Adam", "Aisha", "Alice", "Amir", "Ana", "Ben", "Carla", "Chen", "Chloe", "Daniel",
         "David", "Elena", "Emily", "Emma", "Ethan", "Fatima", "Grace", "Hannah", "Hiro", "Isaac", "Ivan", "Jack",
         "James", "Jane", "John", "Jose", "Julia", "Kai", "Laura", "Leo", "Liam", "Lucas", "Maria", "Mark", "Maya",
         "Mia", "Michael", "Nadia", "Noah", "Nora", "Olivia", "Omar", "Paul", "Priya", "Rachel", "Ravi", "Rosa",
         "Sam", "Sara", "Sofia", "Tom", "Uma", "Victor", "Wei", "Will", "Yara", "Yusuf", "Zoe")
LAST = ("Adams", "Ahmed", "Baker", "Brown", "Campbell", "Carter", "Chen", "Clark", "Cohen", "Collins", "Cruz",
        "Davis", "Diaz", "Edwards", "Evans", "Fischer", "Garcia", "Gomez", "Green", "Gupta", "Hall", "Harris",
        "Hernandez", "Hill", "Hughes", "Ito", "Jackson", "Jensen", "Johnson", "Jones", "Kaur", "Kelly", "Khan",
        "Kim", "King", "Kowalski", "Lee", "Lewis", "Lopez", "Martin", "Martinez", "Meyer", "Miller", "Mitchell",
        "Moore", "Morgan", "Murphy", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Park", "Patel", "Perez",
        "Phillips", "Price", "Reed", "Reyes", "Roberts", "Rodriguez", "Rossi", "Russo", "Sanchez", "Santos",
        "Schmidt", "Scott", "Shah", "Silva", "Singh", "Smith", "Sato", "Stewart", "Sullivan", "Tanaka", "Taylor",
        "Thomas", "Thompson", "Torres", "Turner", "Walker", "Wang", "Ward", "White", "Williams", "Wilson",
        "Wong", "Wright", "Young", "Zhang")
BRANDS = ("Acme", "Apex", "Atlas", "Beacon", "Bluebird", "Cascade", "Cedar", "Summit", "Delta", "Eagle", "Evergreen",
          "Falcon", "Frontier", "Granite", "Harbor", "Horizon", "Ironwood", "Keystone", "Lakeside", "Liberty",
          "Maple", "Meridian", "Nova", "Oakridge", "Orion", "Pacific", "Pinnacle", "Pioneer", "Prairie", "Quantum",
          "Redwood", "Ridge", "Riverside", "Sierra", "Silverline", "Sterling", "Sunrise", "Titan", "Union",
          "Vanguard", "Vertex", "Westfield", "Zenith")
TRADES = ("Steel", "Metals", "Plastics", "Components", "Electronics", "Motors", "Foods", "Logistics", "Textiles",
          "Chemicals", "Glass", "Paper", "Tools", "Machinery", "Energy", "Retail", "Supply", "Devices", "Systems",
          "Automotive")
FORMS = ("Inc", "LLC", "Co", "Group", "Ltd", "Corp", "GmbH", "SA")
ADJECTIVES = ("Basic", "Compact", "Deluxe", "Eco", "Heavy", "Light", "Mini", "Pro", "Smart", "Ultra", "Classic",
              "Rugged", "Slim", "Max", "Prime", "Flex")
THINGS = ("Bearing", "Bolt", "Cable", "Chip", "Display", "Drill", "Engine", "Fan", "Filter", "Frame", "Gear",
          "Hinge", "Laptop", "Lens", "Motor", "Panel", "Pump", "Router", "Sensor", "Sheet", "Speaker", "Switch",
          "Tablet", "Valve", "Warranty", "Wheel", "Wire", "Battery", "Charger", "Camera")

PEOPLE = tuple(f"{f} {last}" for f, last in product(FIRST, LAST))
COMPANIES = tuple(f"{b} {t} {f}" for b, t, f in product(BRANDS, TRADES, FORMS))
PRODUCTS = tuple(f"{a} {t} {m}" for a, t, m in product(ADJECTIVES, THINGS, range(100, 1000, 37)))


def pick(numbers: np.ndarray, size: int) -> np.ndarray:
    """An index into a vocabulary of ``size`` for each number: a fixed shuffle, so that
    consecutive numbers get unrelated names and every name is used about as often."""
    return (numbers * 7_919 + numbers // size) % size  # type: ignore[no-any-return]
