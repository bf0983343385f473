# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Venues in the national open-data standard of digital-mediation venues.

"Schéma de données des lieux de médiation numérique" (LaMednum/standard-
mediation-num, v1.0.2, Licence Ouverte 2.0): a Frictionless table schema, CSV
in UTF-8, comma-separated, multiple values in a cell separated by ``|``.

Published files differ from the schema in details, and this module copes with
them: JSON lists of objects (the national cartography's older v1.0 shape, with
``courriel``, ``labels_nationaux``, numbers instead of strings), ``;`` as the
column separator (French spreadsheets), a UTF-8 byte-order mark, Windows-1252 /
Latin-1 text, ``;`` or ``,`` between multiple values, decimal commas, postcodes
that lost their leading zero, ``00000000000000`` as "SIRET unknown".

Older versions of the standard (2022-2023: 15 service labels joined by ``;``,
``publics_accueillis``, ``conditions_acces``, ``labels_nationaux``...) are read
through the mapping table ``data/open_data_vocabulary.csv`` (its sources are in
``data/open_data_vocabulary.md``).

Pure Python, no ORM: the import job ``pass.venue.import.job`` reads a file with
:func:`parse_file`, gets one :class:`VenueRecord` per row (values normalised,
the reasons the row is rejected, the warnings of the fields left out) and
matches/writes them; exports build rows with :func:`venue_export_row` and
serialise them with :func:`dump_csv` / :func:`dump_json`. The columns the
product does not use are kept as they came (:attr:`VenueRecord.extra`) and
exported back in the current vocabulary (:func:`export_extra_cells`).

Problems are reported as ``(code, params)`` pairs, never as text: the caller
turns them into translated French messages (see ``ISSUE_CODES``).
"""

import codecs
import csv
import datetime
import functools
import hashlib
import io
import json
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field

from stdnum.fr import siret as stdnum_siret

SCHEMA_VERSION = "v1.0.2"

# (column, title, required) in the order of the schema (schema.json v1.0.2).
SCHEMA_FIELDS = [
    ("id", "Identifiant unique local du lieu", True),
    ("pivot", "SIRET ou RNA ou RIDET", True),
    ("nom", "Nom", True),
    ("commune", "Commune", True),
    ("code_postal", "Code postal", True),
    ("code_insee", "Code INSEE", False),
    ("adresse", "Adresse", True),
    ("complement_adresse", "Complément d'adresse", False),
    ("latitude", "Latitude", False),
    ("longitude", "Longitude", False),
    ("typologie", "Typologie", False),
    ("telephone", "Numéro de téléphone", False),
    ("courriels", "Courriel(s)", False),
    ("site_web", "Site web", False),
    ("horaires", "Horaires", False),
    ("presentation_resume", "Présentation résumé", False),
    ("presentation_detail", "Présentation détaillée", False),
    ("source", "Structure collectant la donnée", False),
    ("itinerance", "Itinérance", False),
    ("structure_parente", "Structure parente", False),
    ("date_maj", "Date de mise à jour", True),
    ("services", "Services", False),
    ("publics_specifiquement_adresses", "Publics spécifiquement adressés", False),
    ("prise_en_charge_specifique", "Prise en charge spécifique", False),
    ("frais_a_charge", "Frais à charge", False),
    ("dispositif_programmes_nationaux", "Dispositifs et programmes nationaux", False),
    ("formations_labels", "Formations et labels", False),
    ("autres_formations_labels", "Autres formations et labels", False),
    ("modalites_acces", "Modalités d'accès", False),
    ("modalites_accompagnement", "Modalités d'accompagnement", False),
    ("fiche_acces_libre", "Fiche Accès libre", False),
    ("prise_rdv", "Prise de rdv", False),
]
SCHEMA_COLUMNS = [name for name, _title, _required in SCHEMA_FIELDS]
REQUIRED_COLUMNS = [name for name, _title, required in SCHEMA_FIELDS if required]
# Without these a row cannot become a venue one can find and go to.
ROW_REQUIRED = ["nom", "adresse", "code_postal", "commune"]
# Columns the product reads into venue fields; the others are kept as they came
# (EXTRA_COLUMNS) and exported back. ``courriels`` and ``site_web`` are both:
# the venue keeps the first address, the whole cell is kept aside.
EXTRA_COLUMNS = [
    "code_insee",
    "typologie",
    "presentation_resume",
    "presentation_detail",
    "itinerance",
    "structure_parente",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
]

# The nine services of the standard, which are the categories of the
# referential (pass.service's ``category``, whose selection is this list);
# the label is the schema's exact value. The one list of them.
SCHEMA_SERVICES = [
    ("admin", "Aide aux démarches administratives"),
    ("daily_tools", "Maîtrise des outils numériques du quotidien"),
    ("employment", "Insertion professionnelle via le numérique"),
    ("security", "Utilisation sécurisée du numérique"),
    ("parenting", "Parentalité et éducation avec le numérique"),
    ("leisure", "Loisirs et créations numériques"),
    ("understanding", "Compréhension du monde numérique"),
    ("access", "Accès internet et matériel informatique"),
    ("equipment", "Acquisition de matériel informatique à prix solidaire"),
]
SERVICE_LABEL_BY_CATEGORY = dict(SCHEMA_SERVICES)
CATEGORY_ORDER = [category for category, _label in SCHEMA_SERVICES]

# The national cartography publishes this when the SIRET is not known.
UNKNOWN_PIVOT = "00000000000000"

# Every issue code the parser can report, with its parameters (the wizard
# holds the French message of each).
ISSUE_CODES = {
    # rejections (the row cannot become a venue)
    "bad_field_count": ("count", "expected"),
    "csv_error": ("detail",),
    "csv_unclosed_quote": ("first_line",),
    "csv_stray_quote": (),
    "not_an_object": (),
    "missing_value": ("column",),
    "duplicate_id": ("line",),
    "bad_postcode": ("value",),
    # warnings (the row is imported without the field concerned)
    "bad_siret": ("value",),
    "bad_pivot": ("value",),
    "bad_number": ("column", "value"),
    "half_coordinates": (),
    "coordinates_placeholder": (),
    "coordinates_out_of_range": ("latitude", "longitude"),
    "coordinates_swapped": ("latitude", "longitude"),
    "coordinates_outside_france": ("latitude", "longitude"),
    "unknown_services": ("labels",),
    "bad_phone": ("value",),
    "bad_email": ("value",),
    "bad_date": ("value",),
    "padded_postcode": ("value",),
    "pivot_not_siret": ("value",),
    "rna_kept": ("value",),
    # set by the import job
    "archived_venue": (),
    "services_not_confirmed": ("labels",),
    "moved": ("distance",),
    "department_changed": ("old", "new"),
    "other_publisher": ("publisher",),
}
REJECTIONS = frozenset(
    {
        "bad_field_count",
        "csv_error",
        "csv_unclosed_quote",
        "csv_stray_quote",
        "not_an_object",
        "missing_value",
        "duplicate_id",
        "bad_postcode",
    }
)
# Problems of a whole file, reported once (OpenDataFileError codes).
FILE_ERROR_CODES = {
    "empty_file": (),
    "binary_file": (),
    "bad_json": ("line", "column", "detail"),
    "json_not_a_list": (),
    "bad_header": (),
    "not_the_schema": ("columns",),
    "missing_columns": ("columns",),
    "source_needed": (),
    "download_failed": ("detail",),
}
RNA_PATTERN = re.compile(r"W\d{9}")
PIVOT_PATTERN = re.compile(r"[a-zA-Z0-9]{9,14}")

# Lat/lon boxes of metropolitan France, Corsica and the overseas territories
# (DROM and COM, whose phone prefixes the schema accepts), with a margin.
FRANCE_BOXES = [
    ("metropole", 41.2, 51.2, -5.3, 9.7),
    ("guadeloupe", 15.8, 16.6, -61.9, -60.9),
    ("martinique", 14.3, 14.95, -61.3, -60.75),
    ("guyane", 2.0, 5.9, -54.7, -51.5),
    ("reunion", -21.45, -20.85, 55.2, 55.9),
    ("mayotte", -13.05, -12.6, 44.95, 45.35),
    ("saint_pierre_et_miquelon", 46.7, 47.2, -56.5, -56.1),
    ("saint_martin_saint_barthelemy", 17.85, 18.15, -63.2, -62.75),
    ("wallis_et_futuna", -14.4, -13.1, -178.3, -176.1),
    ("polynesie", -28.0, -7.8, -154.8, -134.4),
    ("nouvelle_caledonie", -22.8, -19.5, 163.5, 168.2),
]

# Postcode prefix of the overseas territories -> ISO country code Odoo uses.
OVERSEAS_COUNTRY_BY_ZIP = {
    "971": "GP",
    "972": "MQ",
    "973": "GF",
    "974": "RE",
    "975": "PM",
    "976": "YT",
    "977": "BL",
    "978": "MF",
    "986": "WF",
    "987": "PF",
    "988": "NC",
}

# International prefixes of the schema's telephone pattern, and the national
# prefixes ("0590...") that belong to an overseas territory, not to +33.
PHONE_PATTERN = re.compile(
    r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)\d{6,9}$"
)
OVERSEAS_PHONE_PREFIXES = {
    "0590": "+590",
    "0690": "+590",
    "0691": "+590",
    "0594": "+594",
    "0694": "+594",
    "0262": "+262",
    "0263": "+262",
    "0692": "+262",
    "0693": "+262",
    "0269": "+262",
    "0639": "+262",
    "0596": "+596",
    "0696": "+596",
    "0697": "+596",
    "0508": "+508",
}

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MULTI_VALUE_SPLIT = re.compile(r"\s*[|;,]\s*")
URL_SPLIT = re.compile(r"\s*[|;]\s*|\s+")


def _plain(text):
    """Lower-case ASCII form of a text: accents, case and punctuation removed."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return text.strip()


def normalize_name(name):
    """Key to compare venue names: case, accents, punctuation and spacing
    insensitive ("Médiathèque  de l'Isle" == "MEDIATHEQUE DE L ISLE")."""
    return _plain(name)


def normalize_header(header):
    return _plain(str(header).replace("\ufeff", "")).replace(" ", "_")


# Other spellings of the columns: older versions of the standard, the national
# cartography's JSON, the titles of the schema (as in its spreadsheet template).
COLUMN_ALIASES = {
    "courriel": "courriels",
    "email": "courriels",
    "emails": "courriels",
    "mail": "courriels",
    "siret": "pivot",
    "siret_rna": "pivot",
    "name": "nom",
    "ville": "commune",
    "cp": "code_postal",
    "postcode": "code_postal",
    "lat": "latitude",
    "lon": "longitude",
    "lng": "longitude",
    "long": "longitude",
    "accessibilite": "fiche_acces_libre",
    "labels_nationaux": "dispositif_programmes_nationaux",
    "labels_autres": "autres_formations_labels",
    "publics_accueillis": "publics_specifiquement_adresses",
    "conditions_acces": "frais_a_charge",
    "conditions_access": "frais_a_charge",
    "modalites_access": "frais_a_charge",
    "publics": "publics_specifiquement_adresses",
    "types_accompagnement": "modalites_accompagnement",
    "cle_unique": "id",
    "identifiant": "id",
}
COLUMN_ALIASES.update(
    {normalize_header(title): name for name, title, _required in SCHEMA_FIELDS}
)
COLUMN_ALIASES.update({name: name for name in SCHEMA_COLUMNS})

# Older or free-text service labels seen in published files.
SERVICE_ALIASES = {
    "accompagnement aux demarches en ligne": "admin",
    "realiser des demarches administratives en ligne": "admin",
    "demarches administratives": "admin",
    "prendre en main un ordinateur": "daily_tools",
    "prendre en main un smartphone ou une tablette": "daily_tools",
    "naviguer sur internet": "daily_tools",
    "envoyer recevoir gerer ses courriels": "daily_tools",
    "usages du quotidien": "daily_tools",
    "accompagnement insertion professionnelle": "employment",
    "trouver un emploi": "employment",
    "securite numerique": "security",
    "parentalite et numerique": "parenting",
    "acces a internet": "access",
    "acces internet": "access",
    "acces a du materiel informatique": "access",
    "acquisition de materiel informatique": "equipment",
}
SERVICE_ALIASES.update({_plain(label): cat for cat, label in SCHEMA_SERVICES})


VOCABULARY_PATH = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), "data", "open_data_vocabulary.csv"
)


@functools.cache
def vocabulary():
    """The mapping table of older vocabularies (``open_data_vocabulary.csv``):
    ``{"services": {plain old label: (category, service codes)},
    "values": {(column, plain old value): (new column, new value)}}``; columns
    are the v1.0.2 ones the old columns are read as."""
    category_by_label = {_plain(label): cat for cat, label in SCHEMA_SERVICES}
    services, values = {}, {}
    with open(VOCABULARY_PATH, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = _plain(row["old_value"])
            if row["column"] == "services":
                category = category_by_label[_plain(row["new_value"])]
                services[key] = (category, tuple(row["service_codes"].split()))
                continue
            column = COLUMN_ALIASES[normalize_header(row["column"])]
            values[(column, key)] = (row["new_column"], row["new_value"])
    return {"services": services, "values": values}


@dataclass
class VenueRecord:
    """One row of an open-data file, normalised, with what is wrong with it."""

    line: str  # "12" or "12-14" (CSV lines) or "3" (JSON item)
    raw: dict = field(default_factory=dict)
    open_data_id: str = ""
    siret: str = ""
    pivot: str = ""
    name: str = ""
    street: str = ""
    street2: str = ""
    zip: str = ""
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    phone: str = ""
    email: str = ""
    website: str = ""
    opening_hours: str = ""
    categories: list = field(default_factory=list)
    # Services the row names precisely (older vocabularies), and whether some
    # labels were not recognised (then no service may be taken away).
    service_hints: list = field(default_factory=list)
    services_partial: bool = False
    rna: str = ""
    source: str = ""
    date_maj: str = ""
    # Columns the product does not use (and whole multi-value cells), as they
    # came: exported back.
    extra: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def valid(self):
        return not self.errors

    @property
    def country_code(self):
        return country_code_for_zip(self.zip)

    @property
    def warning_codes(self):
        return [code for code, _params in self.warnings]

    @property
    def texts(self):
        """Presentation texts, where finer services are looked for."""
        return " ".join(
            self.extra.get(column, "")
            for column in ("presentation_resume", "presentation_detail")
        )


@dataclass
class ParseResult:
    file_format: str  # "csv" or "json"
    encoding: str = ""
    delimiter: str = ""
    records: list = field(default_factory=list)
    unknown_columns: list = field(default_factory=list)
    missing_columns: list = field(default_factory=list)
    has_source: bool = False
    has_ids: bool = False
    missing_row_columns: list = field(default_factory=list)


class OpenDataFileError(ValueError):
    """The file as a whole cannot be read; ``code``/``params`` tell why."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


# ---------------------------------------------------------------------------
# Reading files


def decode_bytes(data):
    """Text of a file and the encoding it was read with.

    UTF-8 (with or without byte-order mark), UTF-16 with a byte-order mark
    ("texte Unicode" of spreadsheets), otherwise Windows-1252, the superset of
    Latin-1 that French spreadsheets write, and finally Latin-1 itself, which
    decodes anything.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode(
            "utf-8", errors="replace"
        ), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def detect_format(text, filename=""):
    """``json`` when the content is JSON (whatever the file is called),
    ``csv`` otherwise."""
    head = text.lstrip()[:1]
    if head in ("[", "{"):
        return "json"
    if (filename or "").lower().endswith((".json", ".geojson")) and not head:
        return "json"
    return "csv"


def sniff_delimiter(text):
    """``,``, ``;`` or tab: the one found most often in the header line
    (outside quotes)."""
    header = text.split("\n", 1)[0]
    header = re.sub(r'"[^"]*"', "", header)
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def parse_file(data, filename="", referential=None):
    """Read an open-data file (bytes) into a :class:`ParseResult`.

    ``referential`` maps each service code of the referential to its category;
    it lets :func:`map_services` report unknown labels. Raises
    :class:`OpenDataFileError` when the file as a whole is unreadable.
    """
    if not data or not data.strip():
        raise OpenDataFileError("empty_file")
    text, encoding = decode_bytes(data)
    if "\x00" in text:
        raise OpenDataFileError("binary_file")
    file_format = detect_format(text, filename)
    if file_format == "json":
        result = ParseResult("json", encoding=encoding)
        items = _json_items(text)
        rows = [(str(index), item) for index, item in enumerate(items, start=1)]
        keys = []
        for item in items:
            if isinstance(item, dict):
                keys.extend(key for key in item if key not in keys)
    else:
        delimiter = sniff_delimiter(text)
        result = ParseResult("csv", encoding=encoding, delimiter=delimiter)
        keys, rows = _csv_rows(text, delimiter)
    _check_columns(result, keys)
    seen_ids = {}
    for line, item in rows:
        record = build_record(line, item)
        # Ids are unique per publisher: an aggregated file may hold the same
        # id from two sources.
        key = (normalize_name(record.source), record.open_data_id)
        if record.open_data_id and record.valid:
            if key in seen_ids:
                record.errors.append(("duplicate_id", {"line": seen_ids[key]}))
            else:
                seen_ids[key] = line
        result.records.append(record)
    if result.records and result.missing_row_columns:
        # Once for the file, not once per row.
        raise OpenDataFileError(
            "missing_columns", columns=", ".join(result.missing_row_columns)
        )
    return result


def _json_items(text):
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise OpenDataFileError(
            "bad_json", line=error.lineno, column=error.colno, detail=error.msg
        ) from error
    if isinstance(content, dict):
        # GeoJSON FeatureCollection, or a wrapper object around the list.
        if isinstance(content.get("features"), list):
            return [_geojson_properties(item) for item in content["features"]]
        lists = [value for value in content.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
        if "nom" in content or "id" in content:
            return [content]
        raise OpenDataFileError("json_not_a_list")
    if not isinstance(content, list):
        raise OpenDataFileError("json_not_a_list")
    return content


def _geojson_properties(feature):
    if not isinstance(feature, dict):
        return feature
    properties = dict(feature.get("properties") or {})
    geometry = feature.get("geometry") or {}
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if geometry.get("type") == "Point" and isinstance(coordinates, list):
        if len(coordinates) >= 2:
            properties.setdefault("longitude", coordinates[0])
            properties.setdefault("latitude", coordinates[1])
    return properties


def _csv_rows(text, delimiter):
    """``(header, rows)``: ``rows`` holds ``(line, item)`` per data row;
    ``item`` is a dict by header, or a ``(code, params[, partial dict])``
    issue for a row that cannot be read."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as error:
        raise OpenDataFileError("bad_header") from error
    header = [cell.strip() for cell in header]
    if not any(header):
        raise OpenDataFileError("bad_header")
    physical_lines = [*re.split(r"\r\n|\r|\n", text), ""]
    rows = []
    last_line = reader.line_num
    while True:
        first_line = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            line = _line_span(first_line, reader.line_num)
            if "unexpected end of data" in str(error):
                issue = ("csv_unclosed_quote", {"first_line": first_line})
            elif "expected after '\"'" in str(error):
                issue = ("csv_stray_quote", {})
            else:
                issue = ("csv_error", {"detail": str(error)})
            # What can be read of the lines concerned (id, name...) helps to
            # find the row in the file.
            partial = _lax_cells(physical_lines[first_line - 1], delimiter)
            rows.append((line, (*issue, dict(zip(header, partial, strict=False)))))
            last_line = reader.line_num
            continue
        line = _line_span(first_line, reader.line_num)
        last_line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) != len(header):
            issue = ("bad_field_count", {"count": len(cells), "expected": len(header)})
            # What can be read of it (id, name...) helps to find it in the file.
            rows.append((line, (*issue, dict(zip(header, cells, strict=False)))))
            continue
        rows.append((line, dict(zip(header, cells, strict=True))))
    return [cell for cell in header if cell], rows


def _lax_cells(line, delimiter):
    """The cells of one physical line, read without the strict quoting rules."""
    try:
        return next(csv.reader([line], delimiter=delimiter, strict=False))
    except (csv.Error, StopIteration):
        return line.split(delimiter)


def _line_span(first, last):
    return str(first) if first >= last else "%s-%s" % (first, last)


def _check_columns(result, keys):
    """Unknown and missing columns (of the CSV header, or over every key of
    the JSON objects)."""
    canonical = set()
    for key in keys:
        name = COLUMN_ALIASES.get(normalize_header(key))
        if name:
            canonical.add(name)
        else:
            result.unknown_columns.append(str(key))
    result.missing_columns = [
        name for name in REQUIRED_COLUMNS if name not in canonical
    ]
    if keys and not canonical & set(ROW_REQUIRED):
        raise OpenDataFileError("not_the_schema", columns=", ".join(map(str, keys[:8])))
    result.missing_row_columns = [
        name for name in ROW_REQUIRED if keys and name not in canonical
    ]
    result.has_source = "source" in canonical
    result.has_ids = "id" in canonical


# ---------------------------------------------------------------------------
# Rows


def canonical_row(item):
    """Values of a row by schema column; the first non-empty value wins when
    two columns map onto the same one (``courriel`` and ``courriels``)."""
    row = {}
    for key, value in item.items():
        name = COLUMN_ALIASES.get(normalize_header(key))
        if not name:
            continue
        text = _cell_text(value)
        if text and not row.get(name):
            row[name] = text
        else:
            row.setdefault(name, text)
    return row


def _cell_text(value):
    if value is None or value is False:
        return ""
    if isinstance(value, list):
        return "|".join(_cell_text(item) for item in value if _cell_text(item))
    if isinstance(value, float) and value.is_integer() and abs(value) > 180:
        return str(int(value))  # 16000.0 read from a spreadsheet export
    text = re.sub(r"\s+", " ", str(value)).strip()
    # A formula neutralised by an export (ours or a spreadsheet's): the value
    # without the quote (see neutralize_cell).
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


def build_record(line, item):
    """A :class:`VenueRecord` from one row (a dict by column, or the issue of
    a row that could not be read)."""
    if isinstance(item, tuple):
        record = VenueRecord(line=line, errors=[item[:2]])
        if len(item) > 2:
            record.raw = canonical_row(item[2])
            record.open_data_id = record.raw.get("id", "")
            record.name = record.raw.get("nom", "")
        return record
    if not isinstance(item, dict):
        return VenueRecord(line=line, errors=[("not_an_object", {})])
    row = canonical_row(item)
    record = VenueRecord(line=line, raw=row)
    record.open_data_id = row.get("id", "")
    record.name = row.get("nom", "")
    record.street = row.get("adresse", "")
    record.street2 = row.get("complement_adresse", "")
    record.city = row.get("commune", "")
    record.opening_hours = row.get("horaires", "")
    for column in ROW_REQUIRED:
        if not row.get(column):
            record.errors.append(("missing_value", {"column": column}))
    _read_postcode(record, row.get("code_postal", ""))
    _read_pivot(record, row.get("pivot", ""))
    _read_coordinates(record, row.get("latitude", ""), row.get("longitude", ""))
    _read_contacts(record, row)
    record.source = row.get("source", "")
    _read_date(record, row.get("date_maj", ""))
    record.extra = {column: row[column] for column in EXTRA_COLUMNS if row.get(column)}
    for column in ("courriels", "site_web"):
        # Several addresses: the venue keeps the first, the cell is kept whole.
        if len([v for v in MULTI_VALUE_SPLIT.split(row.get(column, "")) if v]) > 1:
            record.extra[column] = row[column]
    if record.pivot and not record.siret and not record.rna:
        record.extra["pivot"] = record.pivot  # kept aside, exported back
    record.categories, unknown, record.service_hints = map_service_labels(
        row.get("services", "")
    )
    if unknown:
        record.services_partial = True
        record.warnings.append(("unknown_services", {"labels": ", ".join(unknown)}))
    return record


def _read_date(record, value):
    """``date_maj`` as an ISO date; the national cartography sometimes writes
    a timestamp, spreadsheets a French date."""
    value = value.strip()
    if not value:
        return
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value) or re.fullmatch(
        r"(\d{2})/(\d{2})/(\d{4})", value
    )
    try:
        if not match:
            raise ValueError(value)
        parts = [int(part) for part in match.groups()]
        if "/" in value[:10]:
            parts.reverse()
        record.date_maj = datetime.date(*parts).isoformat()
    except ValueError:
        record.warnings.append(("bad_date", {"value": value}))


def _read_postcode(record, value):
    value = value.replace(" ", "")
    if not value:
        return
    if re.fullmatch(r"\d{4}", value):
        # A leading zero lost by a spreadsheet or a JSON number (01000 -> 1000).
        record.warnings.append(("padded_postcode", {"value": value}))
        value = value.zfill(5)
    if not re.fullmatch(r"\d{5}", value):
        record.errors.append(("bad_postcode", {"value": value}))
        return
    record.zip = value


def _read_pivot(record, value):
    value = re.sub(r"[\s.\-]", "", value)
    record.pivot = value
    if not value or value == UNKNOWN_PIVOT:
        record.pivot = ""
        return
    if re.fullmatch(r"\d{14}", value):
        if stdnum_siret.is_valid(value):
            record.siret = value
        else:
            # The schema's pattern is met: kept aside (and exported back as it
            # came), but not as the venue's SIRET.
            record.warnings.append(("bad_siret", {"value": value}))
        return
    if not PIVOT_PATTERN.fullmatch(value):
        record.warnings.append(("bad_pivot", {"value": value}))
        record.pivot = ""
        return
    if RNA_PATTERN.fullmatch(value.upper()):
        record.rna = value.upper()
        record.warnings.append(("rna_kept", {"value": record.rna}))
        return
    # A SIREN or a RIDET: valid for the schema, but the partner's SIRET field
    # only takes establishments.
    record.warnings.append(("pivot_not_siret", {"value": value}))


def parse_number(value):
    """A float from ``45.68``, ``45,68`` or `` 45.68 ``; None when empty;
    raises ValueError when unreadable."""
    text = str(value).strip().replace(",", ".").replace(" ", "")
    if not text:
        return None
    number = float(text)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(text)
    return number


def in_france(latitude, longitude):
    return any(
        lat_min <= latitude <= lat_max and lon_min <= longitude <= lon_max
        for _name, lat_min, lat_max, lon_min, lon_max in FRANCE_BOXES
    )


def coordinates_issue(latitude, longitude):
    """The ``(code, params)`` rejection of a pair of coordinates, or None."""
    params = {"latitude": latitude, "longitude": longitude}
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        if -90 <= longitude <= 90 and -180 <= latitude <= 180:
            if in_france(longitude, latitude):
                return ("coordinates_swapped", params)
        return ("coordinates_out_of_range", params)
    if in_france(latitude, longitude):
        return None
    if -90 <= longitude <= 90 and in_france(longitude, latitude):
        return ("coordinates_swapped", params)
    return ("coordinates_outside_france", params)


def _read_coordinates(record, lat_text, lon_text):
    """Coordinates that cannot be right are left out, with a warning: the
    venue is imported without them (it can be located again from its
    address)."""
    values = {}
    for column, text in (("latitude", lat_text), ("longitude", lon_text)):
        try:
            values[column] = parse_number(text)
        except ValueError:
            record.warnings.append(("bad_number", {"column": column, "value": text}))
            return
    latitude, longitude = values["latitude"], values["longitude"]
    if latitude is None and longitude is None:
        return
    if latitude is None or longitude is None:
        record.warnings.append(("half_coordinates", {}))
        return
    if latitude == 0 and longitude == 0:
        record.warnings.append(("coordinates_placeholder", {}))
        return
    issue = coordinates_issue(latitude, longitude)
    if issue:
        record.warnings.append(issue)
        return
    record.latitude, record.longitude = latitude, longitude


def normalize_phone(value):
    """The schema's international form (``+33545932222``) of a French phone
    number, or "" when it cannot be read as one."""
    text = re.sub(r"[\s.\-/()]", "", value or "")
    if text.startswith("00"):
        text = "+" + text[2:]
    if re.fullmatch(r"0\d{9}", text):
        prefix = OVERSEAS_PHONE_PREFIXES.get(text[:4])
        text = prefix + text[1:] if prefix else "+33" + text[1:]
    if text.startswith("+330"):
        text = "+33" + text[4:]
    return text if PHONE_PATTERN.fullmatch(text) else ""


def _read_contacts(record, row):
    phone = row.get("telephone", "")
    if phone:
        record.phone = normalize_phone(phone)
        if not record.phone:
            record.warnings.append(("bad_phone", {"value": phone}))
    emails = [
        email for email in MULTI_VALUE_SPLIT.split(row.get("courriels", "")) if email
    ]
    valid_emails = [email for email in emails if EMAIL_PATTERN.match(email)]
    if valid_emails:
        record.email = valid_emails[0]
    elif emails:
        record.warnings.append(("bad_email", {"value": ", ".join(emails)}))
    urls = [url for url in URL_SPLIT.split(row.get("site_web", "")) if url]
    if urls:
        url = urls[0]
        record.website = url if "://" in url else "https://" + url


def map_service_labels(value):
    """``(categories, unknown_labels, service_hints)`` of a ``services`` cell:
    labels of the standard (any version, see ``open_data_vocabulary.csv``)
    separated by ``|`` (or ``;`` / ``,`` in older files), compared without case
    and accents. ``service_hints`` are the services of the referential that
    older labels name precisely."""
    categories, unknown, hints = [], [], []
    old_services = vocabulary()["services"]
    for label in MULTI_VALUE_SPLIT.split(value or ""):
        if not label:
            continue
        key = _plain(label)
        category, codes = old_services.get(key, (SERVICE_ALIASES.get(key), ()))
        if category is None:
            if label not in unknown:
                unknown.append(label)
            continue
        if category not in categories:
            categories.append(category)
        hints.extend(code for code in codes if code not in hints)
    categories.sort(key=CATEGORY_ORDER.index)
    return categories, unknown, hints


# Words of the presentation texts that point at one service of the referential
# (compared on the plain form of the text, as whole words).
SERVICE_KEYWORDS = {
    "online_admin_procedure": (
        "impots",
        "impot",
        "caf",
        "declaration de revenus",
        "ants",
        "carte grise",
        "retraite",
        "dossier administratif",
    ),
    "france_connect": ("franceconnect", "france connect"),
    "online_health_services": (
        "sante",
        "ameli",
        "cpam",
        "doctolib",
        "mon espace sante",
        "medecin",
    ),
    "device_first_steps": ("ordinateur", "souris", "clavier"),
    "smartphone_first_steps": ("smartphone", "tablette", "telephone portable"),
    "browse_internet": ("naviguer", "navigateur", "navigation"),
    "use_email": ("messagerie", "courriel", "courriels", "boite mail"),
    "scan_and_send_documents": ("scanner", "numeriser", "piece jointe"),
    "online_job_search": ("emploi", "france travail", "pole emploi", "candidature"),
    "cv_cover_letter": ("cv", "lettre de motivation"),
    "online_scams": ("arnaque", "arnaques", "hameconnage", "phishing"),
    "passwords_identity": ("mot de passe", "mots de passe", "donnees personnelles"),
    "parents_digital_uses": ("parents", "parentalite", "controle parental"),
    "school_digital_space": ("ent", "pronote", "espace numerique de travail"),
    "photos_and_videos": ("photo", "photos", "video", "videos", "montage"),
    "video_calls": ("visio", "visioconference", "appel video"),
    "digital_culture": (
        "culture numerique",
        "reseaux sociaux",
        "intelligence artificielle",
    ),
    "free_access_computer": ("acces libre", "libre acces", "wifi", "wi fi"),
    "printing_scanning": ("imprimer", "impression", "photocopie", "photocopies"),
    "solidarity_equipment": ("reconditionne", "reconditionnes", "prix solidaire"),
}


def propose_services(categories, referential, hints=(), text=""):
    """Service codes proposed for a venue declaring ``categories``: in each
    category, the services the row names precisely (``hints``, from older
    labels) or that its presentation text mentions; the whole category when
    nothing narrows it down. ``referential`` maps code -> category."""
    plain = " %s " % _plain(text)
    mentioned = {
        code
        for code, words in SERVICE_KEYWORDS.items()
        if any(" %s " % word in plain for word in words)
    }
    codes = set()
    for category in categories:
        in_category = {code for code, cat in referential.items() if cat == category}
        precise = in_category & (set(hints) | mentioned)
        codes |= precise or in_category
    return sorted(codes)


def map_services(
    categories, referential, current_codes=(), hints=(), text="", partial=False
):
    """Service codes of a venue declaring ``categories``.

    ``referential`` maps each service code to its category. A venue that
    already offers services of a declared category keeps exactly those (the
    cooperative may have narrowed them down); a newly declared category brings
    the services proposed for it (:func:`propose_services`); categories no
    longer declared lose theirs, unless the row had labels that were not
    recognised (``partial``): an unknown label never takes a service away.
    """
    current_by_category = {}
    for code in current_codes:
        if code in referential:
            current_by_category.setdefault(referential[code], set()).add(code)
    proposed = set(propose_services(categories, referential, hints, text))
    codes = set()
    for category in categories:
        kept = current_by_category.get(category)
        if kept:
            codes |= kept
        else:
            codes |= {code for code in proposed if referential[code] == category}
    if partial:
        codes |= {code for code in current_codes if code in referential}
    return sorted(codes)


def country_code_for_zip(zip_code):
    """ISO code of the country Odoo uses for a French postcode ("FR", or the
    overseas territory's own code)."""
    if not zip_code:
        return ""
    return OVERSEAS_COUNTRY_BY_ZIP.get(zip_code[:3], "FR")


# ---------------------------------------------------------------------------
# Export


def services_cell(categories):
    """The ``services`` value of the schema: labels in the schema's order,
    joined by ``|``."""
    ordered = sorted(set(categories), key=CATEGORY_ORDER.index)
    return "|".join(SERVICE_LABEL_BY_CATEGORY[category] for category in ordered)


def product_cells(venue):
    """The cells of the schema the product owns, from a plain dict with the
    keys of :class:`VenueRecord` (and ``categories``). Compared at export with
    the cells as imported (:func:`cells_digest`) to know whether the venue was
    changed here."""
    siret = venue.get("siret") or ""
    street = venue.get("street") or ""
    cells = {
        "pivot": siret if stdnum_siret.is_valid(siret) else (venue.get("rna") or ""),
        "nom": venue.get("name") or "",
        "commune": venue.get("city") or "",
        "code_postal": venue.get("zip") or "",
        # The schema requires an address: a venue known by a place name only
        # (a hamlet, a mobile venue) is published with that.
        "adresse": street or venue.get("street2") or venue.get("city") or "",
        "complement_adresse": venue.get("street2") or "" if street else "",
        "telephone": normalize_phone(venue.get("phone") or ""),
        "courriels": venue.get("email") or "",
        "site_web": venue.get("website") or "",
        "horaires": venue.get("opening_hours") or "",
        "services": services_cell(venue.get("categories") or []),
        "latitude": "",
        "longitude": "",
    }
    latitude, longitude = venue.get("latitude"), venue.get("longitude")
    if latitude or longitude:
        cells["latitude"] = format_coordinate(latitude)
        cells["longitude"] = format_coordinate(longitude)
    return cells


def cells_digest(cells):
    return hashlib.sha1(
        json.dumps(cells, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def venue_export_row(venue):
    """A row of the schema (dict by column, strings) from a plain dict with
    the keys of :class:`VenueRecord` plus ``date_maj`` (ISO date), ``source``
    and ``extra`` (the columns kept as they came)."""
    extra = venue.get("extra") or {}
    row = dict.fromkeys(SCHEMA_COLUMNS, "")
    row.update(product_cells(venue))
    row.update(
        {
            "id": venue["open_data_id"],
            "source": venue.get("source") or "",
            "date_maj": venue.get("date_maj") or "",
        }
    )
    if not row["pivot"]:
        kept = extra.get("pivot", "")
        row["pivot"] = kept if PIVOT_PATTERN.fullmatch(kept) else UNKNOWN_PIVOT
    # The whole cells of several addresses, as long as the first one is still
    # the venue's.
    for column in ("courriels", "site_web"):
        whole = [value for value in MULTI_VALUE_SPLIT.split(extra.get(column, ""))]
        if row[column] and whole and _plain(whole[0]) == _plain(row[column]):
            row[column] = "|".join(value for value in whole if value)
    row.update(export_extra_cells(extra))
    return row


# Columns whose values come from a closed list (their pattern in schema.json).
ENUMERATED_COLUMNS = {
    "itinerance": ("Itinérant", "Fixe"),
    "publics_specifiquement_adresses": (
        "Jeunes",
        "Étudiants",
        "Familles et/ou enfants",
        "Seniors",
        "Femmes",
    ),
    "prise_en_charge_specifique": (
        "Surdité",
        "Handicaps moteurs",
        "Handicaps mentaux",
        "Illettrisme",
        "Langues étrangères (anglais)",
        "Langues étrangères (autres)",
        "Déficience visuelle",
    ),
    "frais_a_charge": ("Gratuit", "Gratuit sous condition", "Payant"),
    "dispositif_programmes_nationaux": (
        "Aidants Connect",
        "Bibliothèques numérique de référence",
        "Certification PIX",
        "Conseillers numériques",
        "Emmaüs Connect",
        "France Services",
        "Grande école du numérique",
        "La Croix Rouge",
        "Point d'accès numérique CAF",
        "Promeneurs du net",
        "Relais numérique (Emmaüs Connect)",
    ),
    "formations_labels": (
        "Formé à « Mon Espace Santé »",
        "Formé à « DUPLEX » (illettrisme)",
        "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
        "Collectif ressources et acteurs réemploi (Normandie)",
        "Étapes numériques(La Poste)",
        "Fabriques de Territoire",
        "Les Éclaireurs du numérique (Drôme)",
        "Mes Papiers (Métropole de Lyon)",
        "ORDI 3.0",
        "SUD LABS (PACA)",
    ),
    "modalites_acces": (
        "Se présenter",
        "Téléphoner",
        "Contacter par mail",
        "Prendre un RDV en ligne",
        "Ce lieu n'accueille pas de public",
        "Envoyer un mail avec une fiche de prescription",
    ),
    "modalites_accompagnement": (
        "En autonomie",
        "Accompagnement individuel",
        "Dans un atelier collectif",
        "À distance",
    ),
}
CODE_INSEE_PATTERN = re.compile(r"([013-9]\d|2[AB1-9])\d{3}")
PRESENTATION_RESUME_MAX = 280


def _enumerated_values(column, cell):
    """``[(column, value)]`` of a cell of a closed-list column in the current
    vocabulary: values of older versions mapped through the table (possibly
    onto another column), values with no equivalent left out."""
    allowed = {_plain(value): value for value in ENUMERATED_COLUMNS[column]}
    old_values = vocabulary()["values"]
    found = []
    for piece in re.split(r"\s*[|;]\s*", cell):
        # Code-made files of 2022 joined values with ",", but old values may
        # themselves hold a comma: try the whole piece first.
        for value in [piece] if _known(column, piece) else piece.split(","):
            value = value.strip()
            key = _plain(value)
            if key in allowed:
                found.append((column, allowed[key]))
            elif (column, key) in old_values:
                new_column, new_value = old_values[(column, key)]
                if new_column:
                    found.append((new_column, new_value))
    return found


def _known(column, value):
    key = _plain(value)
    allowed = {_plain(v) for v in ENUMERATED_COLUMNS[column]}
    return key in allowed or (column, key) in vocabulary()["values"]


def export_extra_cells(extra):
    """The cells of the columns the product does not use, from the values
    kept as they came, written as the current schema wants them: older
    vocabularies mapped, values with no equivalent left out, the summary cut
    to its maximum length, a code INSEE of the wrong shape left out."""
    cells = {column: "" for column in EXTRA_COLUMNS}
    collected = {}
    for column in EXTRA_COLUMNS:
        value = (extra.get(column) or "").strip()
        if not value:
            continue
        if column in ENUMERATED_COLUMNS:
            for target, item in _enumerated_values(column, value):
                collected.setdefault(target, [])
                if item not in collected[target]:
                    collected[target].append(item)
        elif column == "code_insee":
            cells[column] = value if CODE_INSEE_PATTERN.fullmatch(value) else ""
        elif column == "presentation_resume" and len(value) > PRESENTATION_RESUME_MAX:
            cells[column] = value[: PRESENTATION_RESUME_MAX - 1].rstrip() + "…"
        else:
            cells[column] = value
    for column, items in collected.items():
        # In the order they came: a round trip gives the cell back as it was.
        if column in ENUMERATED_COLUMNS:
            cells[column] = "|".join(items)
        else:  # free text (autres_formations_labels)
            kept = [cells[column]] if cells[column] else []
            cells[column] = "|".join(kept + [i for i in items if i not in kept])
    return cells


def format_coordinate(value):
    """A coordinate as stored (7 decimals), without trailing zeros."""
    return ("%.7f" % (value or 0.0)).rstrip("0").rstrip(".")


def department_of_zip(zip_code):
    """The département a postcode belongs to ("33", "2A/2B" as "20", "971")."""
    if not zip_code:
        return ""
    if zip_code[:2] in ("97", "98"):
        return zip_code[:3]
    return zip_code[:2]


def distance_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1, lon1, lat2, lon2))
    hav = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(hav)))


# A spreadsheet reads a cell starting with one of these as a formula (OWASP
# "CSV injection"); a tab or carriage return first can hide one.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain number ("-0.5", "+33545932222") is no formula whatever its sign:
# coordinates and phone numbers of the schema stay as the schema wants them.
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def neutralize_cell(value):
    """``value`` safe to open in a spreadsheet: text starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return gets a single quote in
    front (OWASP), except a plain number. Anything else is left as it is.
    :func:`parse_file` removes that quote again (round trip)."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_TRIGGERS)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def dump_csv(rows):
    """CSV text as the schema asks: UTF-8, comma-separated, every column in the
    schema's order, every value quoted like the schema's own example; text
    that a spreadsheet would run as a formula is neutralised
    (:func:`neutralize_cell`)."""
    output = io.StringIO(newline="")
    writer = csv.DictWriter(
        output, fieldnames=SCHEMA_COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(
        {column: neutralize_cell(value) for column, value in row.items()}
        for row in rows
    )
    return output.getvalue()


def dump_json(rows):
    """JSON list of objects with the schema's keys, as the national
    cartography publishes them: empty values left out, coordinates as numbers."""
    items = []
    for row in rows:
        item = {}
        for column in SCHEMA_COLUMNS:
            value = row.get(column)
            if not value:
                continue
            if column in ("latitude", "longitude"):
                value = float(value)
            item[column] = value
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2)
