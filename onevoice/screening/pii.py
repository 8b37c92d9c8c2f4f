"""Broad personal-data recognition without a statistical model, Presidio-style: small
recognizers, each returning typed spans with a score, behind one `find_pii(text)`.

The 2.a policy rules flag only what the clause means (a person's private contacts, IDs, date of
birth, medical history). This wider net also finds names and places; it serves redaction (the
committee's notifications and logs) and the side-by-side benchmark with Presidio.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from .normalize import ScreenText, View
from .personal_info import (ADDRESS_CI, CARD, DATE_OF_BIRTH, EMAIL, IBAN, ID_NUMBER, PHONE, iban_ok, is_phone, luhn)


@dataclass(frozen=True, slots=True)
class PiiSpan:
    start: int
    end: int
    entity: str
    score: float


_IP = re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"
                 r"|\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b", re.I)
_DOMAIN = re.compile(r"\b(?:https?://)?(?:www\.)?[a-z0-9][a-z0-9-]{1,62}\.(?:com|org|net|edu|gov|io|info|biz|co|uk|de|fr|"
                     r"es|it|nl|be|ch|at|se|no|dk|fi|pl|pt|br|au|ca|jp|cn|in|ru|hu|cz|gr|ie|nz|za|mx|ar|us)"
                     r"(?:\.[a-z]{2})?\b(?:/\S*)?", re.I)
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DATE = re.compile(  # dates and times that start with a digit (a digit first lets the scanner skip ahead)
    rf"(?<![\w])(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b|\d{{4}}-\d{{2}}-\d{{2}}\b|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?(?:\s+\d{{4}})?\b"
    rf"|(?:19|20)\d{{2}}s?\b|\d{{1,2}}(?::\d{{2}})?\s?(?:am|pm|a\.m\.|p\.m\.))", re.I)
_MONTH_DATE = re.compile(rf"\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?(?:\s+\d{{4}})?\b|\b{_MONTH}\s+\d{{4}}\b", re.I)
_MONTH_HINTS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|tomorrow|tonight)\b", re.I)
_DAY_HINT = ("day", "tomorrow", "tonight")
_ID_HINTS = ("pass", "ssn", "social", "national", "id", "dni", "nie", "nif", "nhs", "mrn", "record", "insurance",
             "ausweis", "fiscale", "cpf", "ending", "ends in", "termin", "endet")
_AGE = re.compile(r"(?:\b(?:aged|turn|turned|age|i'm|i am)\s+)(\d{1,3})\b|\b(\d{1,3})(?=[- ](?:years?|yrs?|y/o|yo)\b|-year-old)",
                  re.I)
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}(?::\d{2})")
_PHONE_WORD = re.compile(r"\b(?:phone|tel|telephone|call|mobile|cell|fax|number|contact|reach|text|whatsapp|sms)\b",
                         re.I)
_UNIT = re.compile(r"\b(?:apt|apartment|suite|ste|unit|flat|floor|fl|p\.?\s?o\.?\s?box|postbox|box)\.?\s*#?\d{1,5}[A-Za-z]?\b",
                   re.I)
_NUMBERED_STREET = re.compile(r"\b\d{1,5}\s+(?:[A-ZÀ-Þ][\w'’.\-]*\s+){1,3}\d{1,4}[A-Za-z]?\b|"
                              r"\b\d{1,5}\s+[A-ZÀ-Þ][\w'’\-]*(?:\s+[A-ZÀ-Þ][\w'’\-]*){0,2}\s+"
                              r"(?i:st|street|rd|road|ave|avenue|blvd|lane|ln|dr|drive|way|court|ct|place|pl|sq|square)\b\.?")
# numbers whose kind the words before them say, even when no checksum confirms it
_CARD_CUED = re.compile(r"\b(?:card|cc|visa|mastercard|amex)(?:\s+(?:number|no\.?|#))?(?:\s+is)?\s*[:#]?\s*"
                        r"(\d[\d -]{10,22}\d)\b", re.I)
_LICENSE_CUED = re.compile(r"\b(?:driver'?s?|driving)\s+licen[cs]e(?:\s+(?:number|no\.?|#))?(?:\s+is)?\s*[:#]?\s*"
                           r"([A-Z0-9][A-Z0-9-]{4,14})\b", re.I)
_ZIP_CUED = re.compile(r"\b(?:zip(?:\s*code)?|postal\s*code|postcode|plz|cp)\s*[:#]?\s*(\d{4,5}(?:-\d{3,4})?)\b", re.I)
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b|\b\d{9}\b(?=.{0,30}\b(?:ssn|social security)\b)", re.I)
_ZIP = re.compile(r"\b\d{5}(?:-\d{4})?\b")
# capitalised word sequences: people, organisations and places (no model: shape and context)
_CAP = r"(?:[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’\-]*\.?|[A-ZÀ-ÖØ-ÞΑ-Ω]{2,})"
_PROPER = re.compile(rf"{_CAP}(?:(?:\s+|\s*&\s*|,\s+(?=[A-Z][a-z]+\s+(?:and|&)\s))(?:(?:van|von|de|del|der|da|di|le|la|du|of|and|bin|al)\s+)?{_CAP})*")
_CUE_PERSON = re.compile(r"(?:\b(?:mr|mrs|ms|miss|dr|prof|sir|madam|dear|hi|hello|hey|name is|i am|i'm|called|named|"
                         r"contact|ask|tell|says|said|thanks|thank you)\.?,?\s+)$", re.I)
# Words capitalised for grammar, not because they are names.
_COMMON = frozenset("""
a an the i i'm i'll i've i'd my me we our us you your he him his she her they them their it its this that these those
what whats what's when where who whom whose why how which can could would should will shall may might must do does did
is are was were be been am have has had not no yes please hi hello hey dear thanks thank ok okay so but and or if then
there here just also all any some each every one two three four five six seven eight nine ten first second last next
new old good great best very more most much many few other another such same own only still even now today tomorrow
yesterday tonight monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december mr mrs ms dr prof sir madam miss patient male female hospital street road
avenue address email phone number card account bank credit debit please kindly let lets let's as at by for from in
into of on to up with about after before over under again once via per re fw fwd subject note attention
name date time zip postcode website web site answer question info information personal title company city state
country code id phone fax tel mobile e-mail email address details reference ref order invoice total amount
c'mon you're we're they're it's don't can't won't let's that's there's he's she's isn't aren't wasn't i'll
asap tm fyi faq pm am etc ok re sunday monday
cool unfortunately fortunately however also actually anyway well sure great sorry desk user bot letter article
update edit reply hint tip warning error status result summary total iban atm st rr ps vii viii
""".split())
_HONORIFIC = re.compile(r"(?:\b(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|madam|lord|lady)\.?\s+)$", re.I)


_VOCATIVE = re.compile(r"\s*(?:[,:]|'s\b|’s\b)")
_PHONE_PUNCT = re.compile(r"[+()]|\d[-.]\d")
_NON_DIGIT = re.compile(r"\D")


def _proper_nouns(t: str) -> Iterator[PiiSpan]:
    for m in _PROPER.finditer(t):
        all_words = m.group().split()
        first, last = 0, len(all_words)  # the words kept: all_words[first:last] (no copies: a run may be long)
        start = m.start()
        # drop capitalised function words at the start ("The", "My", "Hi")
        while first < last and all_words[first].strip(".,").lower() in _COMMON:
            start = t.index(all_words[first], start) + len(all_words[first])
            while start < len(t) and t[start] in " ,":
                start += 1
            first += 1
        if first == last:
            continue
        end = m.end()
        while first < last and all_words[last - 1].strip(".,").lower() in _COMMON:
            end = t.rindex(all_words[last - 1], start, end)
            while end > start and t[end - 1] in " ,":
                end -= 1
            last -= 1
        words = all_words[first:last]
        if not words or end <= start:
            continue
        span = t[start:end].rstrip(".")
        if len(span) < 2:
            continue
        before = t[max(0, start - 4):start].rstrip(" \t")
        sentence_start = not before or before[-1] in '.!?:"“\n\r'

        cue = _CUE_PERSON.search(t[max(0, start - 25):start])
        vocative = _VOCATIVE.match(t, start + len(span))
        if sentence_start and len(words) == 1 and not cue and not vocative:
            continue  # a single capitalised word opening a sentence is usually just a word
        entity = "PERSON" if cue else "NAME"
        title = _HONORIFIC.search(t, max(0, start - 8), start)
        if title:  # "Mrs. Diaz": the title belongs to the name
            yield PiiSpan(title.start(), start + len(span), "PERSON", 0.85)
            continue
        yield PiiSpan(start, start + len(span), entity, 0.85 if cue else 0.5)


_DIGIT = re.compile(r"\d")
# (pattern, entity, score, needs a digit)
_RECOGNIZERS = ((_IP, "IP_ADDRESS", 0.95, True), (_SSN, "US_SSN", 0.8, True), (ID_NUMBER, "ID", 0.8, True),
                (DATE_OF_BIRTH, "DATE_OF_BIRTH", 1.0, True), (ADDRESS_CI, "STREET_ADDRESS", 0.8, True),
                (_NUMBERED_STREET, "STREET_ADDRESS", 0.75, True), (_UNIT, "STREET_ADDRESS", 0.7, True),
                (_DATE, "DATE_TIME", 0.6, True), (_AGE, "AGE", 0.7, True), (_DOMAIN, "DOMAIN_NAME", 0.6, False),
                (_ZIP, "ZIP_CODE", 0.3, True))


def find_pii(text: str) -> list[PiiSpan]:
    """Every personal-data span found, longest first where two overlap."""
    st = ScreenText(text)
    digits, base = st.digits, st.base
    out: list[PiiSpan] = []

    def add(view: View, start: int, end: int, entity: str, score: float) -> None:
        s, e = view.to_original(start, end)
        if e > s:
            out.append(PiiSpan(s, e, entity, score))

    t = base.text
    # how many digits there are decides which number patterns can match at all
    n_digits = len(_DIGIT.findall(digits.text))
    for m in (EMAIL.finditer(digits.text) if "@" in digits.text else ()):
        add(digits, m.start(), m.end(), "EMAIL_ADDRESS", 1.0)
    for m in (PHONE.finditer(digits.text) if n_digits >= 7 else ()):
        before = digits.text[max(0, m.start() - 80):m.start()]
        if _STAMP.match(digits.text, m.start()) or not is_phone(m.group(), before):
            continue
        # without a cue word or phone punctuation, a digit group may as well be a house number
        cued = _PHONE_WORD.search(before[-40:]) or _PHONE_PUNCT.search(m.group())
        add(digits, m.start(), m.end(), "PHONE_NUMBER", 0.9 if cued else 0.55)
    for m in (CARD.finditer(t) if n_digits >= 13 else ()):
        d = _NON_DIGIT.sub("", m.group())
        if 13 <= len(d) <= 19 and luhn(d):
            add(base, m.start(), m.end(), "CREDIT_CARD", 1.0)
    for m in (IBAN.finditer(t) if n_digits >= 8 else ()):
        if iban_ok(m.group()):
            add(base, m.start(), m.end(), "IBAN_CODE", 1.0)
    has_digit = _DIGIT.search(t) is not None
    lower = t.lower()
    for pattern, entity, score, numeric in _RECOGNIZERS:
        if numeric and not has_digit:
            continue
        if pattern is ID_NUMBER and not any(h in lower for h in _ID_HINTS):
            continue  # a cheap look for its key words before the long pattern
        for m in pattern.finditer(t):
            if pattern is _AGE:
                g = 1 if m.group(1) else 2
                add(base, m.start(g), m.end(g), entity, score)
            else:
                add(base, m.start(), m.end(), entity, score)
    if has_digit and any(h in lower for h in _MONTH_HINTS):
        for m in _MONTH_DATE.finditer(t):
            add(base, m.start(), m.end(), "DATE_TIME", 0.6)
    if any(h in lower for h in _DAY_HINT):
        for m in _DAY.finditer(t):
            add(base, m.start(), m.end(), "DATE_TIME", 0.6)
    for pattern, entity in ((_CARD_CUED, "CREDIT_CARD"), (_LICENSE_CUED, "US_DRIVER_LICENSE"), (_ZIP_CUED, "ZIP_CODE")):
        if has_digit:
            for m in pattern.finditer(t):
                add(base, m.start(1), m.end(1), entity, 0.85)
    for span in _proper_nouns(t):
        add(base, span.start, span.end, span.entity, span.score)
    # where two overlap, the more certain recognizer wins (a card number is not also a phone)
    out.sort(key=lambda s: (-s.score, -(s.end - s.start), s.start))
    kept: list[PiiSpan] = []
    starts: list[int] = []  # of `kept`, which never overlap: sorted by start, they are sorted by end too
    for s in out:
        i = bisect_left(starts, s.end)  # kept[i - 1] is the last one starting before s ends
        if i and kept[i - 1].end > s.start:
            continue
        starts.insert(i, s.start)
        kept.insert(i, s)
    return kept
