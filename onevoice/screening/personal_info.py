"""2.a Respect privacy and confidentiality: personal information about any person.

Phone numbers, private e-mail addresses, home addresses, dates of birth, ID and card numbers,
and the medical history of an identifiable person. The organization's own public contacts
(from the pack) are not personal information, nor are dates, DOIs, ISBNs, meeting IDs, room
or poster numbers, or the address of a public venue.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import phonenumbers

from .model import Draft, Hit, Organization
from .normalize import ScreenText
from .pattern import pattern_hits
from .registry import Detector, detector
from .text_patterns import clause_span, sentence_bounds

_ANY_DIGIT = re.compile(r"\d")

# --- phone numbers -----------------------------------------------------------------------

PHONE = re.compile(r"(?<![\w/#.=-])\+?\(?\d(?:[ \t().\-–—/]{0,3}\d){6,15}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w/])")
_NOT_PHONE_BEFORE = re.compile(
    r"(?:doi|isbn|issn|id|meeting|room|poster|posters|abstract|abstracts|member|ref|order|invoice|"
    r"p-|nr\.?|no\.?|n°|#|zoom\.us/j/|version|v|"
    r"(?:licen[cs]e|card|cc|account|acct|passport|policy|zip|postal|postcode|serial|tracking|iban|ssn)"
    r"(?:\s+(?:number|no\.?|#))?(?:\s+is)?)\s*[:#]?\s*$", re.I)
_PHONE_CUE = re.compile(
    r"\b(?:call|calls|calling|text|texting|ring|phone|mobile|cell|cellphone|whatsapp|sms|tel|telephone|"
    r"reach (?:him|her|them|me)|contact|answer|answering|dial|número|numero|teléfono|telefono|móvil|handy|telefon|portable|"
    r"téléphone|cellulare|telemóvel)\b", re.I)
_DATE_LIKE = re.compile(r"^\d{1,4}[./\-–]\d{1,2}[./\-–]\d{2,4}(?:\s*[–-]\s*\d{1,4}[./\-–]\d{1,2}[./\-–]\d{2,4})?$"
                        r"|^\d{1,2}\.?\s*[–-]\s*\d{1,2}\.\d{1,2}\.\d{2,4}$"     # 24.–25.04.2026
                        r"|^(?:19|20)\d{2}\s*[-–/.]")                               # 2026-2028, 2025-0417-CME
# An identifier's label shortly before the digits: meeting IDs, course, event and reference numbers
# in the members' languages ("ID de reunión: 845 2210 6637", "Kursnummer", "evento ECM n.").
_ID_LABEL_NEAR = re.compile(
    r"\b(?:id|meeting|webinar|reuni[oó]n|r[eé]union|riunione|reuni[aã]o|sitzung|kurs\w*|course|curso|corso|"
    r"cours|evento|event|ecm|cme|ref|r[eé]f[eé]rence|referencia|riferimento|refer[eê]ncia|c[oó]digo|codice|code|"
    r"n[uú]mero|numero|nummer|processo|protocol\w*|registro|registration|inscri\w+)\b[^\d\n]{0,16}$", re.I)
_FICTIONAL = re.compile(r"555")


def digits_only(s: str) -> str:
    return re.sub(r"\D", "", s)


def is_phone(candidate: str, before: str) -> bool:
    digits = digits_only(re.split(r"\s?(?:x|ext\.?)\s?(?=\d+$)", candidate)[0])
    if not 7 <= len(digits) <= 15:
        return False
    if _DATE_LIKE.match(candidate.strip()) or _NOT_PHONE_BEFORE.search(before[-20:]):
        return False
    if _ID_LABEL_NEAR.search(before[-40:]) and not _PHONE_CUE.search(before[-40:]):
        return False
    if re.search(r"(?:https?://|www\.)\S*$", before):  # inside a link
        return False
    if candidate.strip().startswith("+"):
        try:
            return phonenumbers.is_possible_number(phonenumbers.parse(candidate, None))
        except phonenumbers.NumberParseException:
            return False
    for region in ("US", "GB", "DE", "FR", "ES", "IT", "PT", "BR", "IN", "AU"):
        try:
            n = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(n):
            return True
    # fictional and local forms that no numbering plan validates: need a cue word or the 555 range
    return bool(_FICTIONAL.search(digits[:6])) or bool(_PHONE_CUE.search(before[-60:]))


@detector("personal_info.phone", clause="2.a")
def phone_numbers(params: dict[str, Any], org: Organization) -> Detector:
    """Phone numbers written any way: digits, dots, spaces, dashes or words."""
    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        view = text.digits
        if len(_ANY_DIGIT.findall(view.text)) < 7:  # no phone number has fewer digits
            return
        yield from pattern_hits(view, (PHONE,), "A phone number of a person is personal information.",
                                "Remove the number, or give the organization's public office line instead.",
                                keep=_is_phone_match)
    return detect


def _is_phone_match(t: str, m: re.Match[str]) -> bool:
    return is_phone(m.group(), t[max(0, m.start() - 80):m.start()])


# --- e-mail addresses -----------------------------------------------------------------------

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@detector("personal_info.email", clause="2.a")
def email_addresses(params: dict[str, Any], org: Organization) -> Detector:
    """Private e-mail addresses (the organization's own domains are public)."""
    public = tuple(d.lower() for d in org.public_domains) + tuple(params.get("public_domains", ()))

    def private(t: str, m: re.Match[str]) -> bool:
        domain = m.group().rsplit("@", 1)[1].lower().rstrip(".")
        return not any(domain == d or domain.endswith("." + d) for d in public)

    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        return pattern_hits(text.digits, (EMAIL,), "A private e-mail address is personal information.",
                            "Remove it, or point people to the organization's public address.", keep=private)
    return detect


# --- postal addresses ------------------------------------------------------------------------

_STREET_TYPES = (r"street|st|road|rd|avenue|ave|lane|ln|close|court|ct|rise|way|drive|dr|place|pl|crescent|"
                 r"terrace|gardens|row|square|sq|hill|grove|walk|mews|park|boulevard|blvd|parade|view|green")
_EU_STREET = r"calle|avenida|av\.|rua|travessa|via|viale|piazza|rue|chemin|impasse|allée|straße|strasse|weg|platz|gasse|allee|ring|plein|laan|straat"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_ADDRESS = re.compile(
    rf"(?:#?\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'’\-]+\s+){{0,3}}(?:{_STREET_TYPES})\b\.?"
    rf"|\b(?:{_EU_STREET})\s+(?:[\w'’\-ºª]+\s+){{1,5}}\d{{1,4}}\b"
    rf"|#\d{{1,5}}\s+on\s+[A-Z][\w'’\-]+"
    rf"|\b\d{{1,5}}\s+[A-Z][\w'’\-]+(?=,\s*(?:flat|apt|apartment|unit)\b))"
    rf"(?:,?\s*(?:flat|apt\.?|apartment|unit|piso|\d+º\w?)\s*\w*)*"
    rf"(?:,\s*(?:{_UK_POSTCODE}|\d{{4,5}})?\s*(?:[A-Z][\w'’\-]+\s?){{0,3}})*(?:\s?{_UK_POSTCODE})?",
    re.IGNORECASE if False else 0)
ADDRESS_CI = re.compile(_ADDRESS.pattern.replace("(?:street|", "(?i:street|").replace("(?:calle|", "(?i:calle|"))
_HOME_CUE = re.compile(
    r"\b(?:home|house|flat|apartment|lives?|living|place|address|door|neighbou?r|casa|domicilio|vive|maison|"
    r"domicile|habite|wohnt|wohnung|zuhause|abita|morada|mora)\b", re.I)
_VENUE_CUE = re.compile(
    r"\b(?:venue|centre|center|hotel|hall|conference|congress|university|campus|hospital|clinic|museum|"
    r"auditorium|office|secretariat|headquarters|hq|sede|lugar)\b", re.I)
_LANDMARK = re.compile(r"\b(?:the\s+(?:\w+\s+){0,2}(?:one|house)\s+(?:opposite|next to|behind|across from|near)\b[^.,;]*"
                       r"|\bthe\s+(?:blue|red|green|white|yellow|black|pink|grey|gray)\s+(?:one|house|door)\b)", re.I)


# --- dates of birth -------------------------------------------------------------------------

_DATE = (r"(?:\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|"
         r"oct|nov|dec)\w*\.?\s+\d{4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.?\s+\d{1,2},?\s+\d{4})")
DATE_OF_BIRTH = re.compile(
    rf"(?<!\w)(?:born(?:\s+on)?|d\.?o\.?b\.?:?|date of birth:?|birth ?date:?|fecha de nacimiento:?|nacid[oa] el|"
    rf"n[ée]e? le|date de naissance:?|geboren am|geb\.|nat[oa] il|data di nascita:?|nascid[oa] em|"
    rf"data de nascimento:?)\s*{_DATE}", re.I)


@detector("personal_info.birth_date", clause="2.a")
def birth_dates(params: dict[str, Any], org: Organization) -> Detector:
    """Dates of birth."""
    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        return pattern_hits(text.base, (DATE_OF_BIRTH,), "A date of birth is personal information.",
                            "Remove the date of birth; a birthday greeting needs no year or date.")
    return detect


# --- ID, card and account numbers -------------------------------------------------------------

ID_NUMBER = re.compile(
    r"\b(?:passport|pasaporte|passeport|reisepass|passaporto|passaporte)(?:\s+(?:no\.?|number|nr\.?|n°))?\s*[:#]?\s*[A-Z0-9]{6,10}\b"
    r"|\b(?:ssn|social security(?: number)?|national id|id card|dni|nie|nif|nhs(?: number)?|mrn|medical record(?: number)?|"
    r"patient id|insurance (?:number|no\.?)|personalausweis|codice fiscale|cpf)\s*[:#]?\s*[A-Z0-9][A-Z0-9\- ]{4,18}\d\b"
    r"|\b\d{3}-\d{2}-\d{4}\b"
    r"|\b(?:account|acct|card|iban|konto|cuenta|compte|conto|conta)\s+(?:number\s+)?(?:ending|ending in|ends in|ending with|terminada en|se terminant par|endet auf)\s+(?:in\s+)?\d{3,6}\b",
    re.I)
CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b")


def luhn(digits: str) -> bool:
    total, odd = 0, True
    for ch in reversed(digits):
        d = int(ch)
        if not odd:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
        odd = not odd
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    s = candidate.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    rearranged = s[4:] + s[:4]
    try:
        return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    except ValueError:
        return False


@detector("personal_info.id_number", clause="2.a")
def id_numbers(params: dict[str, Any], org: Organization) -> Detector:
    """Payment card and bank account (IBAN) numbers, by their checksums."""
    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        view = text.base
        t = view.text
        if not _ANY_DIGIT.search(t):
            return
        yield from pattern_hits(view, (CARD,), "This looks like a payment card number.", "Never post card numbers.",
                                keep=_is_card)
        yield from pattern_hits(view, (IBAN,), "A bank account (IBAN) is personal information.",
                                "Share payment details privately, or use the organization's published account.",
                                keep=_is_iban)
    return detect


def _is_card(t: str, m: re.Match[str]) -> bool:
    digits = digits_only(m.group())
    return 13 <= len(digits) <= 19 and luhn(digits) and not _NOT_PHONE_BEFORE.search(t[max(0, m.start() - 20):m.start()])


def _is_iban(t: str, m: re.Match[str]) -> bool:
    return iban_ok(m.group())


# --- medical history of an identifiable person --------------------------------------------------

_CONDITION = re.compile(
    r"(?<!\w)(?:chemo(?:therapy)?|cancer|tumou?r|leukemia|leukaemia|lymphoma|heart attack|stroke|diabetes|depression|"
    r"depressed|anxiety disorder|burn-?out|bipolar|schizophreni\w+|dementia|alzheimer\w*|parkinson\w*|hiv|aids|"
    r"hepatitis|pneumonia|covid|surgery|operation|transplant|miscarriage|pregnan\w+|ivf|rehab|addiction|overdose|"
    r"sick leave|medical leave|diagnosed|diagnosis|admitted|hospitali[sz]ed|intensive care|icu|beta-blockers?|"
    r"antidepressants?|insulin|chemo|radiotherapy|dialysis|asthma|epilep\w+|seizures?|fracture|broken (?:leg|arm|hip)|"
    r"knee surgery|hip replacement|mental health|breakdown|recovering from|recovery from|"
    r"krebs|chemotherapie|depression|herzinfarkt|krankgeschrieben|burnout|operación|cáncer|quimioterapia|"
    r"depresión|infarto|baja médica|cancer|chimiothérapie|dépression|infarctus|arrêt maladie|tumore|"
    r"chemioterapia|depressione|cancro|quimioterapia|depressão|enfarte)\b", re.I)
_PERSON = re.compile(
    r"\b(?:(?:dr|prof|mr|mrs|ms|sir|dame|nurse)\.?\s+[A-Z][\w'’\-]+"
    r"|(?:our|my|your|his|her|their)\s+(?:own\s+)?(?:president|vice-president|treasurer|secretary|chair|chairman|"
    r"webmaster|founder|patron|member|colleague|coworker|co-worker|friend|neighbou?r|mentor|boss|officer|director|"
    r"volunteer|son|daughter|wife|husband|partner|mother|father|mum|mom|dad|sister|brother|child|kid|baby|"
    r"kollegin|kollege|colega|collègue|collega)\b"
    r"|\b(?:he|she)\s+(?:is|was|has|had|starts?|beat|'s|’s|got|will)\b"
    r"|\bhe's|\bshe's"
    r"|\b(?:die|der)\s+(?:nach|seit)\b"
    r"|\b[A-Z][a-z]{2,}(?:\s+[A-Z][a-z]{2,})?(?=,\s+who\b|\s+is\s+(?:on|in|recovering|back)|'s\s+(?:diagnosis|surgery|cancer)))")
_HISTORICAL = re.compile(r"\b(?:1[0-9]{3}|19[0-8]\d)\b|\bon this day\b|\bhistor(?:y|ical)\b|\blegacy\b", re.I)
_GENERIC = re.compile(r"\b(?:children|patients|people|adults|infants|kids|families|those|anyone|everyone)\s+with\b", re.I)


def _names_someone(t: str, sent_start: int, sent_end: int) -> bool:
    """Whether the sentence speaks of an identifiable person now (not of history, not of a group)."""
    sentence = t[sent_start:sent_end]
    if _HISTORICAL.search(sentence) or _GENERIC.search(sentence):
        return False
    return bool(_PERSON.search(sentence) or _PERSON.search(t[max(0, sent_start - 120):sent_start]))


@detector("personal_info.medical_history", clause="2.a")
def medical_history(params: dict[str, Any], org: Organization) -> Detector:
    """The health or medical history of an identifiable person (a member, staff, a relative)."""
    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        view = text.base
        about_someone: dict[tuple[int, int], bool] = {}  # per sentence: read once, however many conditions

        def about_a_person(t: str, m: re.Match[str]) -> bool:
            bounds = sentence_bounds(t, m.start())
            if bounds not in about_someone:
                about_someone[bounds] = _names_someone(t, *bounds)
            return about_someone[bounds]

        return pattern_hits(view, (_CONDITION,), "This shares the health or medical history of an identifiable person.",
                            "Leave out the diagnosis and treatment; a kind word needs no medical details.",
                            keep=about_a_person, grow=_clause)
    return detect


def _clause(t: str, m: re.Match[str]) -> tuple[int, int]:
    return clause_span(t, m.start(), m.end())
