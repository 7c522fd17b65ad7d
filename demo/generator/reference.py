"""Reference data and business parameters of the demo retailer: what the simulation draws from.

Countries and their currencies, channels, devices, the catalogue's categories, customer names
per language, and the rates and weights that shape the business (cancellations, returns,
growth, seasonality). Pure data: nothing here draws a random number or touches a file.
"""

LIFECYCLE_MAX_DAYS = 30
CANCEL_RATE = 0.05
RETURN_RATE = 0.08
NEW_CUSTOMER_SHARE = 0.4  # about one new customer per 2.5 orders once the shop is established
PROFILE_CHANGES_PER_ORDER = 0.012
BROWSING_SESSIONS_PER_ORDER = 5.0  # plus the converting session: about 6 sessions per order
KNOWN_VISITOR_SHARE = 0.3
ANNUAL_GROWTH = 0.35
MIN_ACTIVE_PRODUCTS = 60
MAX_PRODUCTS = 200
REVIEW_RATE = 0.15  # share of delivered orders whose customer reviews one product that day
RATING_WEIGHTS = (3, 5, 12, 35, 45)  # 1..5 stars
RETURNED_RATING_WEIGHTS = (30, 30, 22, 12, 6)  # orders that will be sent back
REVIEW_TITLES = {
    1: ("Disappointed", "Not as described", "Poor quality"),
    2: ("Not great", "Runs small", "Colour is off"),
    3: ("Okay", "Decent for the price", "Mixed feelings"),
    4: ("Good buy", "Nice fit", "Happy with it"),
    5: ("Love it", "Perfect", "Great quality"),
}
TARGET_STRETCH = 1.05  # targets sit a little above the expected volume
# Of a returned order's value, the share refunded on average: a one-line order, or 60 % of the
# others, comes back whole; the rest keep some of their lines.
RETURN_REFUND_SHARE = 0.8

COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "US", "GB", "SE", "PL", "CH")
COUNTRY_WEIGHTS = (28, 14, 8, 8, 8, 12, 11, 4, 4, 3)
CURRENCY_BY_COUNTRY = {
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "ES": "EUR",
    "IT": "EUR",
    "US": "USD",
    "GB": "GBP",
    "SE": "SEK",
    "PL": "PLN",
    "CH": "CHF",
}
# Rough fixed list-price rates: the shop reprices its local catalogues rarely, unlike the ECB.
EUR_PRICE_RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.85, "SEK": 11.4, "PLN": 4.35, "CHF": 0.95}

CHANNELS = ("organic_search", "paid_search", "social_ads", "email", "affiliate", "direct")
ORDER_CHANNEL_WEIGHTS = (28, 22, 12, 14, 8, 16)
TRAFFIC_CHANNEL_WEIGHTS = (32, 18, 20, 6, 7, 17)
# channel -> (cost per attributed order in EUR, cost per thousand impressions in EUR, click rate)
PAID_CHANNELS = {
    "paid_search": (14.0, 12.0, 0.045),
    "social_ads": (22.0, 7.0, 0.012),
    "email": (1.5, 0.8, 0.03),
    "affiliate": (9.0, 4.0, 0.008),
}
EVERGREEN_CAMPAIGNS = {
    "paid_search": (("search_brand", 0.35), ("search_generic", 0.65)),
    "social_ads": (("social_prospecting", 0.6), ("social_retargeting", 0.4)),
    "email": (("email_newsletter", 0.7), ("email_abandoned_cart", 0.3)),
    "affiliate": (("affiliate_partners", 1.0),),
}
SEASONAL_CHANNELS = ("paid_search", "social_ads", "email")

DEVICES = ("mobile", "desktop", "tablet")
DEVICE_WEIGHTS = (58, 35, 7)
PAYMENT_METHODS = ("card", "paypal", "klarna", "apple_pay", "bank_transfer")
PAYMENT_METHOD_WEIGHTS = (48, 26, 12, 8, 6)
ITEM_COUNT_WEIGHTS = (44, 28, 16, 8, 4)  # 1..5 line items
QUANTITY_WEIGHTS = (82, 14, 4)  # 1..3 units per line

# Share of orders and visits per UTC hour, 00..23: quiet nights, an evening peak.
HOUR_WEIGHTS = (
    *(0.35, 0.2, 0.12, 0.08, 0.08, 0.12, 0.3, 0.55, 0.8, 0.9, 1.0, 1.05),
    *(1.1, 1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.5, 1.6, 1.45, 1.1, 0.65),
)
WEEKDAY_FACTORS = (1.08, 1.0, 0.97, 0.98, 0.93, 0.88, 1.16)  # Monday..Sunday
MONTH_FACTORS = (0.95, 0.8, 0.92, 0.98, 1.0, 0.95, 0.97, 0.85, 1.0, 1.05, 1.25, 1.35)

# category -> (SKU code, items, (lowest, highest) list price in EUR)
CATEGORIES = {
    "tops": ("TOP", ("T-Shirt", "Shirt", "Blouse", "Sweater", "Hoodie", "Polo"), (15, 79)),
    "bottoms": ("BTM", ("Jeans", "Chinos", "Shorts", "Trousers", "Skirt", "Joggers"), (25, 99)),
    "dresses": ("DRS", ("Midi Dress", "Maxi Dress", "Wrap Dress", "Shirt Dress"), (35, 149)),
    "outerwear": ("OUT", ("Parka", "Rain Jacket", "Wool Coat", "Denim Jacket", "Gilet"), (59, 249)),
    "shoes": ("SHO", ("Sneakers", "Loafers", "Ankle Boots", "Sandals", "Espadrilles"), (39, 179)),
    "accessories": ("ACC", ("Scarf", "Beanie", "Belt", "Tote Bag", "Cap", "Socks 3-Pack"), (9, 59)),
}
STYLES = (
    "Classic",
    "Relaxed",
    "Slim",
    "Organic Cotton",
    "Linen",
    "Merino",
    "Recycled",
    "Heritage",
    "Everyday",
    "Coastal",
)
COLOURS = ("Black", "Navy", "Sand", "Olive", "White", "Rust", "Grey", "Sky Blue", "Burgundy")

NAMES_BY_LANGUAGE = {
    "de": (
        ("Anna", "Lena", "Laura", "Julia", "Sophie", "Emma", "Mia", "Lukas", "Jonas", "Felix"),
        ("Leon", "Paul", "Niklas", "Tobias", "Hannah"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"),
        ("Hoffmann", "Koch", "Keller", "Brunner"),
    ),
    "fr": (
        ("Camille", "Léa", "Manon", "Chloé", "Inès", "Lucas", "Hugo", "Louis", "Jules"),
        ("Gabriel", "Élise"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy"),
        ("Moreau", "Laurent"),
    ),
    "nl": (
        ("Daan", "Sem", "Lars", "Bram", "Noah", "Tess", "Sanne", "Fleur", "Julia"),
        ("Emma",),
        ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit"),
        ("Meijer",),
    ),
    "es": (
        ("Lucía", "Sofía", "Martina", "María", "Carmen", "Pablo", "Hugo", "Alejandro"),
        ("Daniel", "Javier"),
        ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez"),
        ("Pérez",),
    ),
    "it": (
        ("Giulia", "Chiara", "Francesca", "Sara", "Giorgia", "Marco", "Luca", "Matteo"),
        ("Alessandro", "Andrea"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
        (),
    ),
    "en": (
        ("Olivia", "Emily", "Sophia", "Charlotte", "Amelia", "Ava", "James", "Oliver"),
        ("William", "Jack", "Harry", "Ethan"),
        ("Smith", "Johnson", "Brown", "Taylor", "Williams", "Davies", "Wilson", "Evans"),
        ("Miller", "Clark"),
    ),
    "sv": (
        ("Elsa", "Maja", "Alice", "Astrid", "Ella", "Erik", "Oscar", "William", "Hugo"),
        ("Liam",),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson"),
        ("Olsson",),
    ),
    "pl": (
        ("Zuzanna", "Julia", "Maja", "Hanna", "Oliwia", "Jakub", "Kacper", "Antoni"),
        ("Szymon", "Jan"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński"),
        ("Lewandowski",),
    ),
}
LANGUAGE_BY_COUNTRY = {
    "DE": "de",
    "CH": "de",
    "FR": "fr",
    "NL": "nl",
    "ES": "es",
    "IT": "it",
    "US": "en",
    "GB": "en",
    "SE": "sv",
    "PL": "pl",
}
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
