#!/usr/bin/env python3
"""Generates FluxDB Studio's sample database ("Open sample database").

Writes one JSON Lines file per collection (one compact JSON object a line, `_id` first,
UTF-8) and collections.json, which lists each collection's file, document count and
indexed fields. The output is deterministic: a fixed seed, fixed word lists, no clock,
no hash-ordered containers, so running it again reproduces the committed files byte for
byte (`--check` verifies that).

The data is fictional. E-mail addresses use reserved example domains (RFC 2606/6761)
so that no generated address can belong to a real person.

Usage:
    python3 generate.py            write the files next to this script
    python3 generate.py --out DIR  write them into DIR
    python3 generate.py --check    exit 1 if the files next to this script are stale

Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import sys
import unicodedata
import uuid
from pathlib import Path

SEED = 20261128
CUSTOMER_COUNT = 2000
PRODUCT_COUNT = 300
ORDER_COUNT = 5000

# Orders are dated up to this day; signups start on FIRST_SIGNUP.
FIRST_SIGNUP = dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc)
LAST_DAY = dt.datetime(2026, 11, 27, 23, 59, 59, tzinfo=dt.timezone.utc)

# ---------------------------------------------------------------------------
# Word lists. Each region has first names, last names, street patterns and cities,
# so a customer's name, street and city belong together.
# ---------------------------------------------------------------------------

REGIONS = {
    "iberian": {
        "first": ["José", "María", "Lucía", "Javier", "Carmen", "Álvaro", "Inés", "Sergio",
                  "Marta", "Pablo", "Elena", "Raúl", "Ana", "Diego", "Nerea", "Adrián"],
        "last": ["García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
                 "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero"],
        "streets": ["Calle {name} {n}", "Avenida de {name} {n}", "Paseo de {name} {n}"],
        "street_names": ["Alcalá", "Gran Vía", "la Castellana", "Serrano", "Colón",
                         "San Vicente", "Goya", "Velázquez", "Sol"],
        "cities": [("Madrid", "Spain"), ("Barcelona", "Spain"), ("Valencia", "Spain"),
                   ("Sevilla", "Spain"), ("Bilbao", "Spain"), ("Málaga", "Spain")],
    },
    "portuguese": {
        "first": ["João", "Inês", "Tiago", "Beatriz", "Gonçalo", "Mariana", "Rui", "Sofia",
                  "Lucas", "Ana", "Rafael", "Camila", "Thiago", "Larissa", "Pedro", "Júlia"],
        "last": ["Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues",
                 "Martins", "Sousa", "Gonçalves", "Carvalho", "Araújo", "Ribeiro", "Lima"],
        "streets": ["Rua {name}, {n}", "Avenida {name}, {n}", "Travessa {name}, {n}"],
        "street_names": ["Augusta", "da Liberdade", "das Flores", "Paulista",
                         "Santa Catarina", "do Ouvidor", "Garrett", "Oscar Freire"],
        "cities": [("Lisbon", "Portugal"), ("Porto", "Portugal"), ("Coimbra", "Portugal"),
                   ("São Paulo", "Brazil"), ("Rio de Janeiro", "Brazil"),
                   ("Belo Horizonte", "Brazil"), ("Curitiba", "Brazil")],
    },
    "french": {
        "first": ["Chloé", "Léa", "Hugo", "Louis", "Camille", "Théo", "Manon", "Gabriel",
                  "Zoé", "Jules", "Élodie", "Antoine", "Margaux", "Noémie", "Étienne", "Inès"],
        "last": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
                 "Durand", "Leroy", "Moreau", "Lefèvre", "Girard", "Rousseau", "Tremblay",
                 "Gagnon", "Côté"],
        "streets": ["{n} rue {name}", "{n} avenue {name}", "{n} boulevard {name}"],
        "street_names": ["de la République", "Victor Hugo", "Saint-Honoré", "du Général Leclerc",
                         "des Lilas", "Sainte-Catherine", "Jean Jaurès", "de la Paix"],
        "cities": [("Paris", "France"), ("Lyon", "France"), ("Marseille", "France"),
                   ("Bordeaux", "France"), ("Toulouse", "France"), ("Montréal", "Canada"),
                   ("Québec", "Canada")],
    },
    "german": {
        "first": ["Lukas", "Anna", "Jonas", "Lena", "Felix", "Sophie", "Maximilian", "Marie",
                  "Leon", "Hannah", "Jürgen", "Jörg", "Käthe", "Tobias", "Katrin", "Matthias"],
        "last": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
                 "Becker", "Schulz", "Hoffmann", "Koch", "Schäfer", "Bauer", "Huber", "Keller"],
        "streets": ["{name}straße {n}", "{name}weg {n}", "{name}platz {n}"],
        "street_names": ["Haupt", "Bahnhof", "Garten", "Schiller", "Goethe", "Linden",
                         "Berg", "Kirch", "Mozart", "Sonnen"],
        "cities": [("Berlin", "Germany"), ("Hamburg", "Germany"), ("München", "Germany"),
                   ("Köln", "Germany"), ("Leipzig", "Germany"), ("Wien", "Austria"),
                   ("Graz", "Austria"), ("Zürich", "Switzerland"), ("Basel", "Switzerland")],
    },
    "nordic": {
        "first": ["Björn", "Astrid", "Søren", "Freja", "Lars", "Ingrid", "Mikkel", "Sigrid",
                  "Åsa", "Oskar", "Elin", "Anders", "Maja", "Jón", "Guðrún", "Nils"],
        "last": ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsen",
                 "Jensen", "Hansen", "Pedersen", "Lindqvist", "Berg", "Sigurðsson",
                 "Jónsdóttir", "Ström"],
        "streets": ["{name}gatan {n}", "{name}vej {n}", "{name}stræde {n}"],
        "street_names": ["Drottning", "Kungs", "Skol", "Storm", "Nørre", "Vester",
                         "Strand", "Kirke", "Sjö"],
        "cities": [("Stockholm", "Sweden"), ("Göteborg", "Sweden"), ("Malmö", "Sweden"),
                   ("Copenhagen", "Denmark"), ("Aarhus", "Denmark"), ("Oslo", "Norway"),
                   ("Bergen", "Norway"), ("Reykjavík", "Iceland"), ("Helsinki", "Finland")],
    },
    "polish": {
        "first": ["Łukasz", "Agnieszka", "Paweł", "Małgorzata", "Michał", "Katarzyna",
                  "Tomasz", "Zofia", "Wojciech", "Joanna", "Krzysztof", "Ewa", "Jakub", "Anna"],
        "last": ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński",
                 "Lewandowski", "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Król"],
        "streets": ["ul. {name} {n}", "al. {name} {n}"],
        "street_names": ["Marszałkowska", "Floriańska", "Piotrkowska", "Długa",
                         "Mickiewicza", "Jerozolimskie", "Grunwaldzka"],
        "cities": [("Warszawa", "Poland"), ("Kraków", "Poland"), ("Gdańsk", "Poland"),
                   ("Wrocław", "Poland"), ("Poznań", "Poland"), ("Łódź", "Poland")],
    },
    "italian": {
        "first": ["Giulia", "Luca", "Francesca", "Marco", "Chiara", "Alessandro", "Sara",
                  "Matteo", "Martina", "Lorenzo", "Niccolò", "Federica", "Davide", "Elisa"],
        "last": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
                 "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca"],
        "streets": ["Via {name} {n}", "Corso {name} {n}", "Piazza {name} {n}"],
        "street_names": ["Roma", "Garibaldi", "Dante", "Mazzini", "Cavour", "Vittorio Emanuele",
                         "dei Mille", "Verdi"],
        "cities": [("Roma", "Italy"), ("Milano", "Italy"), ("Torino", "Italy"),
                   ("Bologna", "Italy"), ("Firenze", "Italy"), ("Napoli", "Italy")],
    },
    "dutch": {
        "first": ["Daan", "Emma", "Sem", "Julia", "Lieke", "Bram", "Sanne", "Thijs", "Fleur",
                  "Joris", "Maarten", "Anouk"],
        "last": ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker",
                 "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Peeters", "Claes"],
        "streets": ["{name}straat {n}", "{name}laan {n}", "{name}gracht {n}"],
        "street_names": ["Kerk", "Prinsen", "Keizers", "Molen", "Dorps", "Stations", "Linden"],
        "cities": [("Amsterdam", "Netherlands"), ("Rotterdam", "Netherlands"),
                   ("Utrecht", "Netherlands"), ("Eindhoven", "Netherlands"),
                   ("Antwerpen", "Belgium"), ("Gent", "Belgium")],
    },
    "english": {
        "first": ["Oliver", "Amelia", "Jack", "Isla", "Harry", "Olivia", "James", "Emily",
                  "Liam", "Ava", "Noah", "Charlotte", "Ethan", "Grace", "Siobhán", "Seán",
                  "Chloe", "Daniel", "Megan", "Ryan", "Madison", "Tyler", "Hannah", "Connor"],
        "last": ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
                 "Johnson", "Miller", "Anderson", "Thompson", "O'Brien", "Murphy", "Walsh",
                 "Campbell", "Clarke", "Robinson", "Wright", "Hughes"],
        "streets": ["{n} {name} Street", "{n} {name} Road", "{n} {name} Avenue",
                    "{n} {name} Lane", "Flat {m}, {n} {name} Court"],
        "street_names": ["High", "Church", "Station", "Victoria", "Park", "Oak", "Maple",
                         "Elm", "King", "Queen", "Mill", "Harbour", "Riverside"],
        "cities": [("London", "United Kingdom"), ("Manchester", "United Kingdom"),
                   ("Edinburgh", "United Kingdom"), ("Bristol", "United Kingdom"),
                   ("Dublin", "Ireland"), ("Cork", "Ireland"), ("New York", "United States"),
                   ("Chicago", "United States"), ("Austin", "United States"),
                   ("Seattle", "United States"), ("Boston", "United States"),
                   ("Denver", "United States"), ("Toronto", "Canada"),
                   ("Vancouver", "Canada"), ("Sydney", "Australia"),
                   ("Melbourne", "Australia"), ("Auckland", "New Zealand")],
    },
    "spanish_americas": {
        "first": ["Valentina", "Santiago", "Camila", "Mateo", "Isabella", "Sebastián",
                  "Mariana", "Nicolás", "Daniela", "Andrés", "Ximena", "Martín"],
        "last": ["Rodríguez", "González", "Ramírez", "Torres", "Flores", "Vargas", "Castro",
                 "Rojas", "Morales", "Ortiz", "Jiménez", "Mendoza", "Núñez"],
        "streets": ["Calle {name} {n}", "Avenida {name} {n}", "Carrera {m} # {n}-{k}"],
        "street_names": ["Reforma", "Insurgentes", "Juárez", "Corrientes", "Santa Fe",
                         "Bolívar", "Providencia", "Libertador"],
        "cities": [("Ciudad de México", "Mexico"), ("Guadalajara", "Mexico"),
                   ("Bogotá", "Colombia"), ("Medellín", "Colombia"),
                   ("Buenos Aires", "Argentina"), ("Córdoba", "Argentina"),
                   ("Santiago", "Chile"), ("Lima", "Peru")],
    },
    "japanese": {
        "first": ["Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Yuto", "Sakura", "Kenji",
                  "Yuki", "Takumi", "Mei"],
        "last": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto",
                 "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada"],
        "streets": ["{m}-{k}-{n} {name}"],
        "street_names": ["Shibuya", "Ginza", "Umeda", "Sakae", "Namba", "Tenjin", "Shinjuku",
                         "Nishiki"],
        "cities": [("Tokyo", "Japan"), ("Osaka", "Japan"), ("Kyoto", "Japan"),
                   ("Nagoya", "Japan"), ("Fukuoka", "Japan"), ("Sapporo", "Japan")],
    },
    "indian": {
        "first": ["Aarav", "Priya", "Vihaan", "Ananya", "Arjun", "Diya", "Rohan", "Isha",
                  "Kabir", "Meera", "Aditya", "Kavya"],
        "last": ["Sharma", "Patel", "Singh", "Iyer", "Reddy", "Gupta", "Nair", "Mehta",
                 "Kumar", "Das", "Chatterjee", "Rao"],
        "streets": ["{n}, {name} Road", "{n}, {name} Nagar", "Flat {m}, {name} Marg"],
        "street_names": ["MG", "Brigade", "Anna", "Linking", "Park", "Gandhi", "Nehru",
                         "Lajpat"],
        "cities": [("Bengaluru", "India"), ("Mumbai", "India"), ("Delhi", "India"),
                   ("Chennai", "India"), ("Pune", "India"), ("Hyderabad", "India")],
    },
    "west_african": {
        "first": ["Chinedu", "Ngozi", "Oluwaseun", "Adaeze", "Kwame", "Ama", "Emeka",
                  "Funmilayo", "Kofi", "Yaa", "Tunde", "Chiamaka"],
        "last": ["Okafor", "Adeyemi", "Mensah", "Okonkwo", "Boateng", "Eze", "Balogun",
                 "Asante", "Nwosu", "Owusu", "Abubakar", "Oyelaran"],
        "streets": ["{n} {name} Street", "{n} {name} Road", "{n} {name} Crescent"],
        "street_names": ["Awolowo", "Adeola Odeku", "Allen", "Oxford", "Ring", "Broad",
                         "Independence", "Liberation"],
        "cities": [("Lagos", "Nigeria"), ("Abuja", "Nigeria"), ("Ibadan", "Nigeria"),
                   ("Accra", "Ghana"), ("Kumasi", "Ghana")],
    },
}

# How common each region is among customers (weights, not percentages).
REGION_WEIGHTS = {
    "english": 26, "german": 11, "french": 10, "iberian": 8, "portuguese": 8, "italian": 7,
    "nordic": 6, "dutch": 5, "polish": 5, "spanish_americas": 6, "japanese": 3, "indian": 3,
    "west_african": 2,
}

# Postcode pattern per country: 9 = digit, A = capital letter, anything else literal.
POSTCODE_PATTERNS = {
    "Spain": "99999", "Portugal": "9999-999", "Brazil": "99999-999", "France": "99999",
    "Canada": "A9A 9A9", "Germany": "99999", "Austria": "9999", "Switzerland": "9999",
    "Sweden": "999 99", "Denmark": "9999", "Norway": "9999", "Iceland": "999",
    "Finland": "99999", "Poland": "99-999", "Italy": "99999", "Netherlands": "9999 AA",
    "Belgium": "9999", "United Kingdom": "AA9 9AA", "Ireland": "A99 A9A9",
    "United States": "99999", "Australia": "9999", "New Zealand": "9999", "Mexico": "99999",
    "Colombia": "999999", "Argentina": "A9999AAA", "Chile": "9999999", "Peru": "99999",
    "Japan": "999-9999", "India": "999999", "Nigeria": "999999", "Ghana": "AA-9999-9999",
}

# Country calling code and the digit grouping of a national number.
PHONE_FORMATS = {
    "Spain": ("+34", "999 999 999"), "Portugal": ("+351", "999 999 999"),
    "Brazil": ("+55", "99 99999-9999"), "France": ("+33", "9 99 99 99 99"),
    "Canada": ("+1", "999-999-9999"), "Germany": ("+49", "999 9999999"),
    "Austria": ("+43", "999 999999"), "Switzerland": ("+41", "99 999 99 99"),
    "Sweden": ("+46", "99-999 99 99"), "Denmark": ("+45", "99 99 99 99"),
    "Norway": ("+47", "999 99 999"), "Iceland": ("+354", "999 9999"),
    "Finland": ("+358", "99 999 9999"), "Poland": ("+48", "999 999 999"),
    "Italy": ("+39", "999 999 9999"), "Netherlands": ("+31", "9 99999999"),
    "Belgium": ("+32", "999 99 99 99"), "United Kingdom": ("+44", "9999 999999"),
    "Ireland": ("+353", "99 999 9999"), "United States": ("+1", "999-999-9999"),
    "Australia": ("+61", "9 9999 9999"), "New Zealand": ("+64", "99 999 9999"),
    "Mexico": ("+52", "99 9999 9999"), "Colombia": ("+57", "999 9999999"),
    "Argentina": ("+54", "9 99 9999-9999"), "Chile": ("+56", "9 9999 9999"),
    "Peru": ("+51", "999 999 999"), "Japan": ("+81", "99-9999-9999"),
    "India": ("+91", "99999 99999"), "Nigeria": ("+234", "999 999 9999"),
    "Ghana": ("+233", "99 999 9999"),
}

EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example",
                 "inbox.example", "post.example"]

CUSTOMER_TAGS = ["newsletter", "wholesale", "early-adopter", "student", "referral",
                 "returning", "gift-buyer", "b2b", "beta-tester", "eco"]

# category -> (SKU prefix, price range, nouns, adjectives, product tags)
# category -> SKU prefix, products as (noun, lowest price, highest price), name words,
# where the word goes ("before" or "after" the noun), product tags.
PRODUCT_CATEGORIES = {
    "Electronics": ("ELE",
                    [("Wireless Earbuds", 29, 249), ("USB-C Hub", 19, 89),
                     ("Mechanical Keyboard", 49, 229), ("Smart Speaker", 39, 299),
                     ("Portable Charger", 15, 79), ("Webcam", 29, 179), ("Monitor Arm", 25, 149),
                     ("E-Reader", 89, 279), ("Action Camera", 149, 499),
                     ("Noise-Cancelling Headphones", 99, 449), ("Bluetooth Mouse", 12, 99),
                     ("Smart Plug", 9, 39), ("27-inch Monitor", 179, 899)],
                    ["Pro", "Mini", "Max", "Lite", "Ultra", "Air", "Plus", "2", "S"], "after",
                    ["wireless", "usb-c", "bluetooth", "rechargeable", "smart-home"]),
    "Books": ("BOK",
              [("Novel", 8.5, 24), ("Cookbook", 14, 45), ("Field Guide", 12, 35),
               ("Travel Guide", 11, 29), ("Poetry Collection", 9, 22), ("Biography", 12, 38),
               ("Graphic Novel", 14, 32), ("Atlas", 25, 59)],
              [], "title",
              ["paperback", "hardcover", "bestseller", "signed", "translated"]),
    "Home & Kitchen": ("HOM",
                       [("Chef's Knife", 29, 189), ("Cast Iron Skillet", 24, 119),
                        ("French Press", 15, 59), ("Linen Duvet Cover", 49, 199),
                        ("Ceramic Mug Set", 14, 49), ("Stand Mixer", 149, 549),
                        ("Spice Rack", 12, 59), ("Bamboo Cutting Board", 9, 45),
                        ("Table Lamp", 24, 179), ("Wool Throw", 39, 149)],
                       ["Nordic", "Classic", "Artisan", "Everyday", "Heritage", "Compact"], "before",
                       ["dishwasher-safe", "handmade", "organic-cotton", "gift-idea", "eco"]),
    "Garden": ("GAR",
               [("Pruning Shears", 12, 69), ("Raised Bed Kit", 59, 229), ("Watering Can", 9, 45),
                ("Seed Starter Tray", 5, 25), ("Compost Bin", 39, 149), ("Garden Kneeler", 15, 49),
                ("Solar Path Lights (6 pack)", 19, 79), ("Herb Planter", 12, 59)],
               ["Heavy-Duty", "Cedar", "Galvanised", "Balcony", "Allotment"], "before",
               ["outdoor", "weatherproof", "eco", "solar", "seasonal"]),
    "Sports & Outdoors": ("SPO",
                          [("Trail Running Shoes", 79, 189), ("Yoga Mat", 19, 99),
                           ("Camping Stove", 29, 149), ("Daypack 22 L", 39, 149),
                           ("Chalk Bag", 12, 35), ("Water Bottle", 9, 45),
                           ("Trekking Poles", 35, 159), ("Cycling Gloves", 15, 59),
                           ("Sleeping Bag", 59, 399), ("Resistance Bands", 9, 39)],
                          ["Alpine", "Trail", "Summit", "Coastal", "Urban", "Endurance"], "before",
                          ["waterproof", "lightweight", "outdoor", "recycled", "unisex"]),
    "Toys & Games": ("TOY",
                     [("Wooden Puzzle", 9, 35), ("Board Game", 19, 69), ("Building Blocks", 15, 129),
                      ("Plush Fox", 12, 39), ("Card Game", 7, 25), ("Marble Run", 29, 99),
                      ("Stunt Kite", 15, 79), ("Science Kit", 19, 69)],
                     ["Family", "Junior", "Deluxe", "Travel", "Classic"], "before",
                     ["ages-3+", "ages-8+", "family", "wooden", "educational"]),
    "Clothing": ("CLO",
                 [("Merino Sweater", 59, 159), ("Rain Jacket", 69, 259), ("Linen Shirt", 35, 99),
                  ("Denim Jeans", 45, 139), ("Wool Socks (3 pairs)", 15, 39), ("Hoodie", 35, 99),
                  ("Chinos", 39, 109), ("Puffer Vest", 59, 179)],
                 ["Relaxed", "Slim", "Organic", "Everyday", "Heritage", "Recycled"], "before",
                 ["organic-cotton", "merino", "recycled", "unisex", "waterproof"]),
    "Beauty": ("BEA",
               [("Face Serum", 14, 69), ("Lip Balm", 3.5, 12), ("Shampoo Bar", 7, 16),
                ("Hand Cream", 6, 24), ("Sunscreen SPF 50", 9, 32), ("Beard Oil", 9, 29),
                ("Clay Mask", 8, 34)],
               ["Gentle", "Daily", "Botanical", "Sensitive", "Hydrating"], "before",
               ["vegan", "fragrance-free", "refillable", "cruelty-free", "travel-size"]),
    "Office": ("OFF",
               [("Notebook", 4, 29), ("Fountain Pen", 19, 179), ("Desk Organiser", 12, 49),
                ("Ergonomic Chair", 199, 599), ("Standing Desk", 299, 799),
                ("Label Printer", 39, 129), ("Paper Shredder", 49, 199), ("Whiteboard", 25, 119)],
               ["A5", "Executive", "Studio", "Compact", "Recycled"], "before",
               ["recycled", "refillable", "ergonomic", "gift-idea", "bulk"]),
    "Grocery": ("GRO",
                [("Single-Origin Coffee 250 g", 7.5, 18), ("Loose Leaf Tea 100 g", 5, 16),
                 ("Extra Virgin Olive Oil 500 ml", 8, 24), ("Dark Chocolate 70%", 2.5, 6),
                 ("Wildflower Honey", 6, 15), ("Sea Salt Flakes", 3, 9), ("Maple Syrup", 8, 19),
                 ("Granola", 4, 9)],
                ["Organic", "Fair-Trade", "Small-Batch", "Estate", "Reserve"], "before",
                ["organic", "fair-trade", "vegan", "gluten-free", "gift-idea"]),
}

# Book titles are two halves: "The Salt" + "Road".
BOOK_TITLE_STARTS = ["The Salt", "A Winter", "The Last", "Under the", "The Glass", "North of the",
                     "A Field of", "The Quiet", "Letters from the", "The Orchard", "Beyond the",
                     "The Cartographer's"]
BOOK_TITLE_ENDS = ["Road", "Harbour", "Lighthouse", "Orchard", "Kitchen", "Mountains",
                   "Bridge", "Archive", "Islands", "Garden", "River", "Atlas"]
AUTHORS = ["Inês Carvalho", "Tomás Ferreira", "Hélène Dupont", "Jürgen Vogel", "Ama Mensah",
           "Priya Nair", "Oliver Hughes", "Kenji Yamada", "Zofia Król", "Sigrid Berg",
           "Valentina Rojas", "Niccolò Greco"]
CLOTHING_SIZES = ["XS", "S", "M", "L", "XL", "XXL"]

# An order's status depends on its age: (younger than N days, statuses, weights).
ORDER_STATUS_BY_AGE = [
    (2, ["pending", "paid", "cancelled"], [45, 50, 5]),
    (7, ["paid", "shipped", "delivered", "cancelled"], [20, 45, 25, 10]),
    (30, ["shipped", "delivered", "cancelled", "refunded"], [15, 70, 9, 6]),
    (None, ["delivered", "cancelled", "refunded"], [86, 9, 5]),
]
PAYMENT_METHODS = ["card", "paypal", "bank_transfer", "apple_pay", "gift_card"]
PAYMENT_WEIGHTS = [55, 20, 10, 12, 3]
SHIPPING_METHODS = [("standard", 4.95), ("express", 12.5), ("pickup", 0.0)]
DISCOUNT_CODES = [("WELCOME10", 0.10), ("SPRING15", 0.15), ("LOYAL5", 0.05), ("FLUX20", 0.20)]

# ASCII spellings for letters that NFKD decomposition leaves non-ASCII.
ASCII_LETTERS = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae",
                               "ß": "ss", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
                               "đ": "d", "Đ": "D", "œ": "oe", "Œ": "Oe"})


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def ascii_slug(text: str) -> str:
    """'Łukasz Dąbrowski' -> 'lukasz.dabrowski' for use in an e-mail address."""
    folded = unicodedata.normalize("NFKD", text.translate(ASCII_LETTERS))
    plain = folded.encode("ascii", "ignore").decode("ascii").lower()
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    return ".".join(words)


def fill_pattern(rng: random.Random, pattern: str) -> str:
    """Replaces 9 with a random digit and A with a random capital letter."""
    out = []
    for ch in pattern:
        if ch == "9":
            out.append(str(rng.randrange(10)))
        elif ch == "A":
            out.append(chr(ord("A") + rng.randrange(26)))
        else:
            out.append(ch)
    return "".join(out)


def new_id(rng: random.Random) -> str:
    """A random-looking but reproducible version-4 UUID, like the ones FluxDB assigns."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def random_moment(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    span = int((end - start).total_seconds())
    return start + dt.timedelta(seconds=rng.randrange(max(span, 1)))


def price_in(rng: random.Random, low: float, high: float) -> float:
    """A shop-like price: skewed towards the cheap end, ending in .99, .49, .95 or .00."""
    raw = low + (high - low) * rng.random() ** 1.6
    ending = rng.choice([0.99, 0.99, 0.49, 0.95, 0.0])
    return round(max(int(raw) + ending, low), 2)


# ---------------------------------------------------------------------------
# Collections
# ---------------------------------------------------------------------------

def product_name(rng: random.Random, noun: str, words: list[str], style: str) -> str:
    if style == "title":
        return f"{rng.choice(BOOK_TITLE_STARTS)} {rng.choice(BOOK_TITLE_ENDS)}"
    word = rng.choice(words)
    return f"{noun} {word}" if style == "after" else f"{word} {noun}"


def make_products(rng: random.Random) -> list[dict]:
    categories = list(PRODUCT_CATEGORIES)
    per_category_counter = {c: 0 for c in categories}
    used_names: dict[str, int] = {}
    colours = ["Sand", "Forest", "Charcoal", "Rust", "Ivory", "Blue"]
    products = []
    for i in range(PRODUCT_COUNT):
        category = categories[i % len(categories)] if i < len(categories) else rng.choice(categories)
        prefix, nouns, words, style, tag_pool = PRODUCT_CATEGORIES[category]
        per_category_counter[category] += 1
        noun, low, high = rng.choice(nouns)
        name = product_name(rng, noun, words, style)
        used_names[name] = used_names.get(name, 0) + 1
        if used_names[name] > 1:  # a second product of the same name is another edition/colour
            suffix = f"Vol. {used_names[name]}" if style == "title" else colours[used_names[name] % 6]
            name = f"{name} ({suffix})"
        doc: dict = {
            "_id": new_id(rng),
            "sku": f"{prefix}-{per_category_counter[category]:04d}",
            "name": name,
            "category": category,
            "price": price_in(rng, low, high),
            "stock": 0 if rng.random() < 0.1 else rng.randrange(1, 500),
            "rating": None if rng.random() < 0.12 else round(rng.triangular(2.4, 5.0, 4.4), 1),
            "tags": rng.sample(tag_pool, rng.randrange(0, 4)),
            "active": rng.random() > 0.06,
            "added": iso(random_moment(rng, dt.datetime(2018, 6, 1, tzinfo=dt.timezone.utc),
                                       dt.datetime(2026, 9, 30, tzinfo=dt.timezone.utc))),
        }
        if category == "Books":
            doc["format"] = noun
            doc["author"] = rng.choice(AUTHORS)
            doc["pages"] = rng.randrange(96, 880)
        elif category == "Clothing":
            doc["sizes"] = CLOTHING_SIZES[rng.randrange(0, 2):rng.randrange(4, 7)]
        if category not in ("Grocery", "Books") and rng.random() < 0.8:
            doc["dimensions_cm"] = {"w": round(rng.uniform(2, 80), 1),
                                    "h": round(rng.uniform(1, 60), 1),
                                    "d": round(rng.uniform(1, 50), 1)}
            doc["weight_kg"] = round(rng.uniform(0.02, 25.0) ** 0.9, 3)
        if not doc["active"] and rng.random() < 0.7:
            doc["discontinued_reason"] = rng.choice(["supplier closed", "replaced by newer model",
                                                     "seasonal", None])
        products.append(doc)
    return products


def make_customers(rng: random.Random) -> list[dict]:
    regions = list(REGION_WEIGHTS)
    weights = [REGION_WEIGHTS[r] for r in regions]
    emails: dict[str, int] = {}
    customers = []
    for _ in range(CUSTOMER_COUNT):
        region = REGIONS[rng.choices(regions, weights)[0]]
        first, last = rng.choice(region["first"]), rng.choice(region["last"])
        name = f"{first} {last}"
        local = ascii_slug(name) if rng.random() < 0.7 else f"{ascii_slug(first)}{rng.randrange(1, 99)}"
        domain = rng.choice(EMAIL_DOMAINS)
        base = f"{local}@{domain}"
        emails[base] = emails.get(base, 0) + 1
        email = base if emails[base] == 1 else f"{local}{emails[base]}@{domain}"
        city, country = rng.choice(region["cities"])
        signup = random_moment(rng, FIRST_SIGNUP, LAST_DAY - dt.timedelta(days=20))

        doc: dict = {"_id": new_id(rng), "name": name, "email": email}
        if rng.random() > 0.04:  # a few customers never gave their age
            doc["age"] = max(18, min(89, int(rng.gauss(39, 13))))
        doc["city"] = city
        doc["country"] = country
        doc["signup_date"] = iso(signup)
        doc["tags"] = rng.sample(CUSTOMER_TAGS, rng.choices([0, 1, 2, 3], [30, 40, 20, 10])[0])
        if rng.random() > 0.03:  # a few have no address on file
            street = rng.choice(region["streets"]).format(
                name=rng.choice(region["street_names"]), n=rng.randrange(1, 240),
                m=rng.randrange(1, 40), k=rng.randrange(1, 99))
            address = {"street": street, "postcode": fill_pattern(rng, POSTCODE_PATTERNS[country]),
                       "city": city, "country": country}
            if rng.random() < 0.08:
                address["line2"] = rng.choice(["c/o reception", "2nd floor", "Apt. 4B",
                                               "Building C", "Unit 12"])
            doc["address"] = address
        roll = rng.random()
        if roll < 0.15:
            doc["phone"] = None
        elif roll < 0.85:
            code, pattern = PHONE_FORMATS[country]
            # A national number written after the country code never starts with 0.
            doc["phone"] = f"{code} {rng.randrange(1, 10)}{fill_pattern(rng, pattern[1:])}"
        doc["vip"] = rng.random() < 0.08
        if rng.random() < 0.05:
            doc["notes"] = rng.choice(["Prefers e-mail contact", "Invoice to company address",
                                       "Ships to a parcel locker", "Asked for no marketing",
                                       None])
        customers.append(doc)
    return customers


def order_status(rng: random.Random, age_days: int) -> str:
    for younger_than, statuses, weights in ORDER_STATUS_BY_AGE:
        if younger_than is None or age_days < younger_than:
            return rng.choices(statuses, weights)[0]
    raise AssertionError("ORDER_STATUS_BY_AGE ends with a catch-all row")


def make_orders(rng: random.Random, customers: list[dict], products: list[dict]) -> list[dict]:
    # Some customers buy much more often than others; a few never order.
    activity = list(itertools.accumulate(
        rng.lognormvariate(0.0, 0.9) if rng.random() > 0.12 else 0.0 for _ in customers))
    sellable = [p for p in products if p["active"]]
    popularity = list(itertools.accumulate(rng.paretovariate(1.3) for _ in sellable))
    drafts = []
    for _ in range(ORDER_COUNT):
        customer = rng.choices(customers, cum_weights=activity)[0]
        signup = dt.datetime.strptime(customer["signup_date"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.timezone.utc)
        drafts.append((random_moment(rng, signup, LAST_DAY), customer))
    drafts.sort(key=lambda d: d[0])  # order numbers follow time, as in a real shop

    orders = []
    for number, (created, customer) in enumerate(drafts, start=1):
        lines: dict[str, dict] = {}
        for _ in range(rng.choices([1, 2, 3, 4, 5], [38, 30, 17, 10, 5])[0]):
            product = rng.choices(sellable, cum_weights=popularity)[0]
            if product["sku"] in lines:
                lines[product["sku"]]["qty"] += 1
            else:
                lines[product["sku"]] = {"sku": product["sku"],
                                         "qty": rng.choices([1, 2, 3, 4], [75, 17, 6, 2])[0],
                                         "price": product["price"]}
        items = list(lines.values())
        subtotal = round(sum(it["qty"] * it["price"] for it in items), 2)

        status = order_status(rng, (LAST_DAY - created).days)

        method, cost = rng.choices(SHIPPING_METHODS, [70, 20, 10])[0]
        if method == "standard" and subtotal >= 50:
            cost = 0.0  # free standard shipping over 50

        doc: dict = {"_id": new_id(rng), "order_no": f"ORD-{created.year}-{number:06d}",
                     "customer": customer["email"], "items": items}
        discount = 0.0
        if rng.random() < 0.12:
            code, rate = rng.choice(DISCOUNT_CODES)
            discount = round(subtotal * rate, 2)
            doc["discount"] = {"code": code, "amount": discount}
        doc["shipping"] = {"method": method, "cost": cost}
        doc["total"] = round(subtotal - discount + cost, 2)
        doc["status"] = status
        doc["payment"] = None if status == "pending" else rng.choices(PAYMENT_METHODS, PAYMENT_WEIGHTS)[0]
        doc["created"] = iso(created)
        if status in ("shipped", "delivered", "refunded"):
            doc["shipped"] = iso(created + dt.timedelta(hours=rng.randrange(4, 96)))
        if status == "delivered":
            doc["delivered"] = iso(created + dt.timedelta(hours=rng.randrange(100, 400)))
        if status == "cancelled" and rng.random() < 0.7:
            doc["cancel_reason"] = rng.choice(["changed mind", "found cheaper", "payment failed",
                                               "out of stock", "ordered by mistake"])
        if rng.random() < 0.04:
            doc["gift_message"] = rng.choice(["Happy birthday! 🎂", "Feliz Navidad", "Joyeux anniversaire",
                                              "Alles Gute!", "Congratulations on the new flat",
                                              "Parabéns!", "お誕生日おめでとう"])
        orders.append(doc)
    return orders


def add_customer_totals(customers: list[dict], orders: list[dict]) -> None:
    """Gives each customer an order count and lifetime value that agree with orders.jsonl
    (cancelled and refunded orders excluded), placed before `vip`."""
    counts: dict[str, int] = {}
    values: dict[str, float] = {}
    for order in orders:
        if order["status"] in ("cancelled", "refunded"):
            continue
        counts[order["customer"]] = counts.get(order["customer"], 0) + 1
        values[order["customer"]] = values.get(order["customer"], 0.0) + order["total"]
    for i, customer in enumerate(customers):
        rebuilt: dict = {}
        for key, value in customer.items():
            if key == "vip":
                rebuilt["orders_count"] = counts.get(customer["email"], 0)
                rebuilt["lifetime_value"] = round(values.get(customer["email"], 0.0), 2)
            rebuilt[key] = value
        customers[i] = rebuilt


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

COLLECTIONS = [
    ("customers", ["email", "age", "city"],
     "People who shop at a small online store: contact details, address, tags and totals."),
    ("orders", ["status", "customer"],
     "Orders with their line items; `customer` is the customer's e-mail."),
    ("products", ["category", "price"],
     "The store's catalogue; `items[].sku` in orders refers to `sku` here."),
]


def build() -> dict[str, str]:
    """File name -> file content for every file the sample database consists of."""
    rng = random.Random(SEED)
    products = make_products(rng)
    customers = make_customers(rng)
    orders = make_orders(rng, customers, products)
    add_customer_totals(customers, orders)
    docs = {"customers": customers, "orders": orders, "products": products}

    files = {}
    manifest = {"description": "Sample database for FluxDB Studio, made by generate.py.",
                "collections": []}
    for name, indexes, description in COLLECTIONS:
        file_name = f"{name}.jsonl"
        files[file_name] = "".join(
            json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n" for doc in docs[name])
        manifest["collections"].append({"name": name, "file": file_name, "count": len(docs[name]),
                                        "indexes": indexes, "description": description})
    files["collections.json"] = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    return files


def main() -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=here, help="folder to write into")
    parser.add_argument("--check", action="store_true",
                        help="compare with the files in --out instead of writing; exit 1 if different")
    args = parser.parse_args()

    files = build()
    if args.check:
        stale = [n for n, text in files.items()
                 if not (args.out / n).is_file() or (args.out / n).read_text(encoding="utf-8") != text]
        for name in stale:
            print(f"stale or missing: {args.out / name}", file=sys.stderr)
        if stale:
            print("run: python3 assets/sample/generate.py", file=sys.stderr)
            return 1
        print(f"sample data in {args.out} is up to date")
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, text in files.items():
        data = text.encode("utf-8")
        (args.out / name).write_bytes(data)
        total += len(data)
        print(f"wrote {args.out / name} ({len(data):,} bytes)")
    print(f"total {total:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
