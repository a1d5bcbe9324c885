"""The grids of shared/reference/tariffs.md, in the portal's JSON format, for every tariff test."""

PARIS = {  # 2020/21; the brackets above 1900 were not retrieved, so the last one is kept open from 1370
    "kind": "brackets",
    "qf_formula": "rfr/12/parts",
    "unit": "meal",
    "brackets": [
        {"up_to": "234", "price": "0.13"},
        {"up_to": "384", "price": "0.85"},
        {"up_to": "548", "price": "1.62"},
        {"up_to": "959", "price": "2.28"},
        {"up_to": "1370", "price": "3.62"},
        {"up_to": None, "price": "4.61"},
    ],
}
CHAMPCEVINEL = {
    "kind": "brackets",
    "brackets": [
        {"up_to": "622", "price": "1.00"},
        {"up_to": "1000", "price": "3.30"},
        {"up_to": "1500", "price": "3.40"},
        {"up_to": None, "price": "3.50"},
    ],
}
BUBRY = {
    "kind": "brackets",
    "unit": "meal",
    "brackets": [
        {"up_to": "599", "price": "1.00"},
        {"up_to": "999", "price": "3.05", "price_by_rank": {"3": "1.53"}},
        {"up_to": "1499", "price": "3.10", "price_by_rank": {"3": "1.55"}},
        {"up_to": None, "price": "3.15", "price_by_rank": {"3": "1.58"}},
    ],
}
VAL_DE_MARNE = {
    "kind": "brackets",
    "brackets": [
        {"up_to": bound, "price": price}
        for bound, price in [
            ("480", "0.40"),
            ("600", "1.15"),
            ("840", "1.55"),
            ("1025", "2.10"),
            ("1200", "2.80"),
            ("1400", "3.50"),
            ("1530", "4.20"),
            ("1680", "4.70"),
            ("1890", "5.40"),
            ("2225", "5.70"),
            (None, "5.95"),
        ]
    ],
}
FAY_AUX_LOGES = {"kind": "effort_rate", "rate_percent": "0.36", "min": "2.60", "max": "4.50", "unit": "meal"}
SENE = {"kind": "effort_rate", "rate_percent": "0.5", "min": "1.00", "max": "5.97"}
COLLECTIVE = {"kind": "psu", "establishment": "collective", "ceiling_lifted": False}
