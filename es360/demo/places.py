"""Countries of the demo world: labels, name mix, cities, streets, postcodes, currency, time zone."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from es360.demo.phones import PLANS, PhonePlan
from es360.demo.timefmt import month as _month


@dataclass(frozen=True, slots=True)
class City:
    """A city with its postcode pattern (# digit, A letter), landline area code and other spellings."""

    name: str
    postcode: str
    area: str
    sub_len: int
    aliases: tuple[str, ...] = ()
    utc_offset: int | None = None  # minutes, when it differs from the country's


@dataclass(frozen=True, slots=True)
class Country:
    """One country of the world."""

    code: str
    labels: tuple[str, ...]  # free-text spellings a CRM user types; [0] is the English name
    pools: tuple[tuple[str, float], ...]  # name pool -> share of residents
    cities: tuple[City, ...]
    streets: tuple[str, ...]
    street_style: str
    currency: str
    utc_offset: int  # minutes, standard time
    dst: str  # "eu", "us", "south" or "" (none)
    domains: tuple[str, ...]
    weight: float
    tld: str

    @property
    def phone_plan(self) -> PhonePlan:
        return PLANS[self.code]


def _c(spec: str) -> tuple[City, ...]:
    """Parse 'Name|postcode|area|sublen|alias/alias|offset; ...'."""
    cities = []
    for entry in spec.split(";"):
        parts = [p.strip() for p in entry.split("|")]
        if len(parts) < 4:
            continue
        aliases = tuple(a for a in parts[4].split("/") if a) if len(parts) > 4 else ()
        offset = int(parts[5]) if len(parts) > 5 and parts[5] else None
        cities.append(City(parts[0], parts[1], parts[2], int(parts[3]), aliases, offset))
    return tuple(cities)


def _w(words: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in words.split(",") if w.strip())


US_STREETS = _w("Main Street, Oak Avenue, Maple Street, Cedar Lane, Elm Street, Park Avenue, Washington Boulevard,"
                "Lakeview Drive, Pine Street, Sunset Boulevard, Highland Avenue, Church Street, Madison Avenue,"
                "2nd Street, 5th Avenue, Lincoln Road, Jefferson Street, Hillcrest Drive, River Road, Walnut Street")
UK_STREETS = _w("High Street, Station Road, Church Lane, Victoria Road, Green Lane, Manor Road, Park Road,"
                "Queen's Road, King Street, Mill Lane, The Crescent, Albert Street, George Street, London Road,"
                "Kingsway, Elm Grove, Orchard Close, Beech Avenue, St John's Road, Castle Street")
DE_STREETS = _w("Hauptstraße, Bahnhofstraße, Schulstraße, Gartenstraße, Dorfstraße, Bergstraße, Lindenstraße,"
                "Kirchweg, Goethestraße, Schillerstraße, Am Markt, Mühlenweg, Friedrichstraße, Königsallee,"
                "Rosenweg, Waldstraße, Marktplatz, Ringstraße, Mozartgasse, Bahnhofplatz")
FR_STREETS = _w("rue de la Paix, avenue Victor Hugo, rue Victor Hugo, boulevard Saint-Michel,"
                "rue de la République, place de la Mairie, rue du Moulin, chemin des Vignes, rue Pasteur,"
                "allée des Tilleuls, rue Jean Jaurès, impasse des Lilas, quai des Chartrons, rue Nationale")
NL_STREETS = _w("Kerkstraat, Dorpsstraat, Stationsweg, Molenstraat, Schoolstraat, Prinsengracht, Keizersgracht,"
                "Julianastraat, Wilhelminastraat, Beatrixlaan, Markt, Hoofdstraat, Grote Markt, Lange Nieuwstraat")
ES_STREETS = _w("Calle Mayor, Gran Vía, Calle de Alcalá, Avenida de la Constitución, Paseo de la Castellana,"
                "Calle Real, Plaza de España, Calle San Juan, Avenida Insurgentes, Calle del Sol,"
                "Avenida Corrientes, Calle Luna, Avenida Reforma, Calle Sierpes")
PT_STREETS = _w("Rua Augusta, Avenida da Liberdade, Rua do Carmo, Rua das Flores, Avenida Paulista,"
                "Rua Oscar Freire, Rua da Consolação, Travessa do Sol, Largo do Chiado, Rua São Bento")
IT_STREETS = _w("Via Roma, Via Garibaldi, Corso Vittorio Emanuele II, Via Dante, Piazza del Duomo, Via Mazzini,"
                "Via Verdi, Viale Europa, Via della Libertà, Corso Italia, Via Cavour")
NORDIC_STREETS = _w("Nørregade, Vestergade, Østergade, Søndergade, Storgatan, Drottninggatan, Kungsgatan,"
                    "Karl Johans gate, Storgata, Kirkegata, Strandvejen, Götgatan, Åsgatan")
PL_STREETS = _w("Długa, Marszałkowska, Piotrkowska, Floriańska, Mickiewicza, Słowackiego, Kościuszki, Polna,"
                "Leśna, Ogrodowa, Żeromskiego")
VN_STREETS = _w("Lê Lợi, Nguyễn Huệ, Trần Hưng Đạo, Hai Bà Trưng, Lý Thường Kiệt, Điện Biên Phủ, Pasteur,"
                "Đồng Khởi")
IN_STREETS = _w("MG Road, Brigade Road, Linking Road, Park Street, Anna Salai, Nehru Place, Residency Road,"
                "Church Street, Hill Road")
TR_STREETS = _w("Atatürk Caddesi, İstiklal Caddesi, Bağdat Caddesi, Cumhuriyet Caddesi, Barbaros Bulvarı,"
                "Çiçek Sokak, Gül Sokak")
JP_STREETS = _w("Shibuya, Shinjuku, Minato, Chiyoda, Setagaya, Naka-ku, Chūō, Kita-ku")

COUNTRIES: tuple[Country, ...] = (
    Country("US", _w("United States, USA, US, U.S.A., United States of America, usa"),
            (("en", .8), ("es", .1), ("vi", .03), ("hi", .04), ("ga", .03)),
            _c("New York|100##|212|7|NYC/New York City;Los Angeles|900##|213|7|LA|-480;"
               "Chicago|606##|312|7||-360;Houston|770##|713|7||-360;Phoenix|850##|602|7||-420;"
               "Philadelphia|191##|215|7|Philly;San Diego|921##|619|7||-480;Dallas|752##|214|7||-360;"
               "Austin|787##|512|7||-360;Seattle|981##|206|7||-480;Boston|021##|617|7;"
               "Denver|802##|303|7||-420;Springfield|627##|217|7||-360;Miami|331##|305|7;Atlanta|303##|404|7"),
            US_STREETS, "num_first", "USD", -300, "us",
            _w("comcast.net, att.net, verizon.net, aol.com, yahoo.com"), 20, "com"),
    Country("GB", _w("United Kingdom, UK, GB, Great Britain, England, U.K."),
            (("en", .85), ("hi", .07), ("ga", .03), ("pl", .05)),
            _c("London|SW# #AA|20|8;Manchester|M## #AA|161|7;Birmingham|B## #AA|121|7;Leeds|LS# #AA|113|7;"
               "Glasgow|G## #AA|141|7;Edinburgh|EH# #AA|131|7|Edinboro;Bristol|BS# #AA|117|7;"
               "Liverpool|L## #AA|151|7;Cardiff|CF## #AA|29|8|Caerdydd"),
            UK_STREETS, "num_first", "GBP", 0, "eu",
            _w("btinternet.com, sky.com, yahoo.co.uk, hotmail.co.uk, virginmedia.com"), 12, "co.uk"),
    Country("IE", _w("Ireland, IE, Éire, Republic of Ireland"), (("ga", .6), ("en", .35), ("pl", .05)),
            _c("Dublin|D## A#A#|1|7|Baile Átha Cliath;Cork|T12 A#A#|21|7|Corcaigh;Galway|H91 A#A#|91|7;"
               "Limerick|V94 A#A#|61|6"),
            UK_STREETS, "num_first", "EUR", 0, "eu", _w("eircom.net, gmail.com, hotmail.com"), 2, "ie"),
    Country("CA", _w("Canada, CA, canada"), (("en", .75), ("fr", .2), ("vi", .05)),
            _c("Toronto|M#A #A#|416|7;Vancouver|V#A #A#|604|7||-480;Montréal|H#A #A#|514|7|Montreal;"
               "Ottawa|K#A #A#|613|7;Calgary|T#A #A#|403|7||-420"),
            US_STREETS, "num_first", "USD", -300, "us", _w("rogers.com, shaw.ca, sympatico.ca"), 4, "ca"),
    Country("AU", _w("Australia, AU, australia"), (("en", .85), ("vi", .05), ("it", .05), ("hi", .05)),
            _c("Sydney|2###|2|8;Melbourne|3###|3|8;Brisbane|4###|7|8||600;Perth|6###|8|8||480;"
               "Adelaide|5###|8|8||570"),
            UK_STREETS, "num_first", "USD", 600, "south", _w("bigpond.com, optusnet.com.au"), 3, "com.au"),
    Country("NZ", _w("New Zealand, NZ, Aotearoa"), (("en", .9), ("hi", .1)),
            _c("Auckland|10##|9|7;Wellington|60##|4|7;Christchurch|80##|3|7"),
            UK_STREETS, "num_first", "USD", 720, "south", _w("xtra.co.nz, gmail.com"), 1, "co.nz"),
    Country("DE", _w("Germany, DE, Deutschland, GER, germany, Deutschland (DE)"),
            (("de", .85), ("tr", .08), ("pl", .04), ("it", .03)),
            _c("Berlin|1####|30|8;Hamburg|2####|40|8;München|8####|89|8|Munich/Muenchen;"
               "Köln|50###|221|7|Cologne/Koeln;Frankfurt am Main|60###|69|8|Frankfurt/Frankfurt a.M.;"
               "Stuttgart|70###|711|7;Düsseldorf|40###|211|7|Duesseldorf/Dusseldorf;Leipzig|04###|341|7;"
               "Dresden|01###|351|7;Nürnberg|90###|911|7|Nuremberg/Nuernberg"),
            DE_STREETS, "name_first", "EUR", 60, "eu",
            _w("web.de, gmx.de, gmx.net, t-online.de, freenet.de"), 12, "de"),
    Country("AT", _w("Austria, AT, Österreich, Oesterreich"), (("de", .9), ("tr", .1)),
            _c("Wien|1###|1|7|Vienna;Graz|80##|316|6;Linz|40##|732|6;Salzburg|50##|662|6;Innsbruck|60##|512|6"),
            DE_STREETS, "name_first", "EUR", 60, "eu", _w("gmx.at, aon.at, chello.at"), 2, "at"),
    Country("CH", _w("Switzerland, CH, Schweiz, Suisse"), (("de", .6), ("fr", .3), ("it", .1)),
            _c("Zürich|80##|44|7|Zurich/Zuerich;Genève|12##|22|7|Geneva/Genf;Basel|40##|61|7|Bâle;"
               "Bern|30##|31|7|Berne;Lausanne|10##|21|7"),
            DE_STREETS, "name_first", "EUR", 60, "eu", _w("bluewin.ch, gmx.ch, sunrise.ch"), 2, "ch"),
    Country("FR", _w("France, FR, france, République française"), (("fr", .9), ("pt", .05), ("es", .05)),
            _c("Paris|750##|1|8;Lyon|6900#|4|8;Marseille|130##|4|8;Toulouse|310##|5|8;Nice|060##|4|8;"
               "Nantes|440##|2|8;Bordeaux|330##|5|8;Lille|590##|3|8;Strasbourg|670##|3|8"),
            FR_STREETS, "num_first", "EUR", 60, "eu",
            _w("orange.fr, free.fr, laposte.net, sfr.fr, wanadoo.fr"), 8, "fr"),
    Country("BE", _w("Belgium, BE, Belgique, België"), (("fr", .55), ("nl", .45)),
            _c("Bruxelles|10##|2|7|Brussels/Brussel;Antwerpen|20##|3|7|Antwerp/Anvers;Gent|90##|9|7|Ghent/Gand;"
               "Liège|40##|4|7|Liege/Luik"),
            NL_STREETS, "name_first", "EUR", 60, "eu", _w("skynet.be, telenet.be, proximus.be"), 2, "be"),
    Country("NL", _w("Netherlands, NL, The Netherlands, Holland, Nederland"),
            (("nl", .9), ("tr", .05), ("en", .05)),
            _c("Amsterdam|10## AA|20|7;Rotterdam|30## AA|10|7;Den Haag|25## AA|70|7|The Hague/'s-Gravenhage;"
               "Utrecht|35## AA|30|7;Eindhoven|56## AA|40|7;Groningen|97## AA|50|7"),
            NL_STREETS, "name_first", "EUR", 60, "eu", _w("ziggo.nl, kpnmail.nl, xs4all.nl"), 4, "nl"),
    Country("ES", _w("Spain, ES, España, Espana, spain"), (("es", 1.0),),
            _c("Madrid|280##|91|7;Barcelona|080##|93|7;Valencia|460##|96|7|València;Sevilla|410##|95|7|Seville;"
               "Zaragoza|500##|976|6;Málaga|290##|952|6|Malaga;Bilbao|480##|94|7|Bilbo"),
            ES_STREETS, "comma", "EUR", 60, "eu", _w("telefonica.net, yahoo.es, hotmail.es"), 5, "es"),
    Country("MX", _w("Mexico, MX, México"), (("es", 1.0),),
            _c("Ciudad de México|0####|55|8|Mexico City/CDMX;Guadalajara|44###|33|8;Monterrey|64###|81|8;"
               "Puebla|72###|222|7"),
            ES_STREETS, "comma", "USD", -360, "", _w("prodigy.net.mx, hotmail.com, yahoo.com.mx"), 3, "com.mx"),
    Country("AR", _w("Argentina, AR, argentina"), (("es", .8), ("it", .2)),
            _c("Buenos Aires|C####AAA|11|8|CABA;Córdoba|X####AAA|351|7|Cordoba;Rosario|S####AAA|341|7"),
            ES_STREETS, "comma", "USD", -180, "", _w("fibertel.com.ar, yahoo.com.ar"), 1, "com.ar"),
    Country("PT", _w("Portugal, PT, portugal"), (("pt", 1.0),),
            _c("Lisboa|1###-###|21|7|Lisbon;Porto|4###-###|22|7|Oporto;Braga|47##-###|253|6;"
               "Coimbra|30##-###|239|6"),
            PT_STREETS, "comma", "EUR", 0, "eu", _w("sapo.pt, netcabo.pt"), 2, "pt"),
    Country("BR", _w("Brazil, BR, Brasil"), (("pt", .85), ("it", .1), ("ja", .05)),
            _c("São Paulo|0####-###|11|8|Sao Paulo/SP;Rio de Janeiro|2####-###|21|8|Rio;"
               "Belo Horizonte|3####-###|31|8|BH;Curitiba|8####-###|41|8"),
            PT_STREETS, "comma", "USD", -180, "", _w("uol.com.br, bol.com.br, terra.com.br"), 3, "com.br"),
    Country("IT", _w("Italy, IT, Italia"), (("it", 1.0),),
            _c("Roma|001##|06|8|Rome;Milano|201##|02|8|Milan;Napoli|801##|081|7|Naples;Torino|101##|011|7|Turin;"
               "Firenze|501##|055|7|Florence;Bologna|401##|051|7"),
            IT_STREETS, "comma", "EUR", 60, "eu", _w("libero.it, virgilio.it, tiscali.it, alice.it"), 5, "it"),
    Country("DK", _w("Denmark, DK, Danmark"), (("da", 1.0),),
            _c("København|1###|3|7|Copenhagen/Kobenhavn;Aarhus|8000|8|7|Århus;Odense|5000|6|7"),
            NORDIC_STREETS, "name_first", "EUR", 60, "eu", _w("mail.dk, jubii.dk"), 1.5, "dk"),
    Country("SE", _w("Sweden, SE, Sverige"), (("sv", 1.0),),
            _c("Stockholm|1## ##|8|7;Göteborg|4## ##|31|7|Gothenburg/Goteborg;Malmö|2## ##|40|6|Malmo"),
            NORDIC_STREETS, "name_first", "EUR", 60, "eu", _w("telia.com, bredband.net"), 1.5, "se"),
    Country("NO", _w("Norway, NO, Norge"), (("no", .9), ("pl", .1)),
            _c("Oslo|0###|2|7;Bergen|5###|5|7;Trondheim|7###|7|7"),
            NORDIC_STREETS, "name_first", "EUR", 60, "eu", _w("online.no, broadpark.no"), 1, "no"),
    Country("PL", _w("Poland, PL, Polska"), (("pl", 1.0),),
            _c("Warszawa|0#-###|22|7|Warsaw;Kraków|3#-###|12|7|Krakow/Cracow;Wrocław|5#-###|71|7|Wroclaw;"
               "Gdańsk|8#-###|58|7|Gdansk;Poznań|6#-###|61|7|Poznan;Łódź|9#-###|42|7|Lodz"),
            PL_STREETS, "pl", "EUR", 60, "eu", _w("wp.pl, onet.pl, interia.pl, o2.pl"), 3, "pl"),
    Country("VN", _w("Vietnam, VN, Viet Nam, Việt Nam"), (("vi", 1.0),),
            _c("Hồ Chí Minh|700###|28|8|Ho Chi Minh City/Saigon/HCMC;Hà Nội|100###|24|8|Hanoi/Ha Noi;"
               "Đà Nẵng|550###|236|7|Da Nang"),
            VN_STREETS, "num_first", "USD", 420, "", _w("yahoo.com.vn, gmail.com"), 1.5, "vn"),
    Country("IN", _w("India, IN, Bharat, india"), (("hi", 1.0),),
            _c("Mumbai|400###|22|8|Bombay;Delhi|110###|11|8|New Delhi;Bengaluru|560###|80|8|Bangalore;"
               "Chennai|600###|44|8|Madras;Hyderabad|500###|40|8;Pune|411###|20|8"),
            IN_STREETS, "num_first", "USD", 330, "", _w("rediffmail.com, yahoo.co.in"), 3, "in"),
    Country("TR", _w("Turkey, TR, Türkiye, Turkiye"), (("tr", 1.0),),
            _c("İstanbul|34###|212|7|Istanbul;Ankara|06###|312|7;İzmir|35###|232|7|Izmir;Bursa|16###|224|7"),
            TR_STREETS, "tr", "USD", 180, "", _w("yandex.com.tr, mynet.com, hotmail.com"), 2, "com.tr"),
    Country("JP", _w("Japan, JP, Nippon"), (("ja", 1.0),),
            _c("Tokyo|1##-####|3|8|Tōkyō;Osaka|5##-####|6|8|Ōsaka;Yokohama|2##-####|45|7;Kyoto|6##-####|75|7"),
            JP_STREETS, "ja", "USD", 540, "", _w("yahoo.co.jp, docomo.ne.jp, ezweb.ne.jp"), 1.5, "jp"),
)

BY_CODE: dict[str, Country] = {c.code: c for c in COUNTRIES}

GLOBAL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 40), ("outlook.com", 10), ("hotmail.com", 10), ("yahoo.com", 7), ("icloud.com", 6),
    ("protonmail.com", 2), ("live.com", 3), ("googlemail.com", 1),
)

STREET_ABBREVIATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Street", ("St", "St.", "str")), ("Avenue", ("Ave", "Ave.", "Av")), ("Road", ("Rd", "Rd.")),
    ("Boulevard", ("Blvd", "Blvd.")), ("Drive", ("Dr", "Dr.")), ("Lane", ("Ln",)),
    ("straße", ("str.", "strasse", "str")), ("Straße", ("Str.", "Strasse")), ("Calle ", ("C/ ", "c/ ")),
    ("Avenida ", ("Av. ", "Avda. ")), ("Caddesi", ("Cad.", "Cd.")), ("Rua ", ("R. ",)), ("Via ", ("V. ",)),
    ("gade", ("g.",)), ("gatan", ("g.",)),
)


def fill_pattern(rng: Random, pattern: str) -> str:
    """Fill a postcode pattern: # -> digit, A -> letter, anything else literal."""
    out = []
    for ch in pattern:
        if ch == "#":
            out.append("0123456789"[int(rng.random() * 10)])
        elif ch == "A":
            out.append("ABCDEFGHJKLMNPRSTUVWXY"[int(rng.random() * 22)])
        else:
            out.append(ch)
    return "".join(out)


def format_street(rng: Random, style: str, street: str) -> str:
    """A street line in the country's usual order, with a house number (and sometimes a flat)."""
    num = rng.randint(1, 180) if rng.random() < 0.8 else rng.randint(181, 2400)
    if style == "num_first":
        line = f"{num} {street}"
        if rng.random() < 0.12:
            line = (f"Flat {rng.randint(1, 40)}, {line}" if rng.random() < 0.5
                    else f"{line} Apt {rng.randint(1, 30)}{'ABCD'[int(rng.random() * 4)]}")
        return line
    if style == "name_first":
        suffix = "abc"[int(rng.random() * 3)] if rng.random() < 0.08 else ""
        return f"{street} {num % 200}{suffix}"
    if style == "comma":
        line = f"{street}, {num % 300}"
        if rng.random() < 0.3:
            line += f", {rng.randint(1, 9)}º {'ABCD'[int(rng.random() * 4)]}"
        return line
    if style == "pl":
        line = f"ul. {street} {num % 150}"
        return line + f"/{rng.randint(1, 60)}" if rng.random() < 0.5 else line
    if style == "tr":
        return f"{street} No: {num % 200} D: {rng.randint(1, 20)}"
    if style == "ja":
        return f"{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)} {street}"
    return f"{num} {street}"


def utc_offset(country: Country, city: City, ts: int) -> int:
    """Offset from UTC in minutes at time ts, with a month-based daylight-saving approximation."""
    base = city.utc_offset if city.utc_offset is not None else country.utc_offset
    if not country.dst:
        return base
    month = _month(ts)
    if country.dst == "eu" and 4 <= month <= 10:
        return base + 60
    if country.dst == "us" and 4 <= month <= 10 and not (country.code == "US" and base == -420
                                                          and city.name == "Phoenix"):
        return base + 60
    if country.dst == "south" and (month >= 10 or month <= 3):
        return base + 60
    return base

