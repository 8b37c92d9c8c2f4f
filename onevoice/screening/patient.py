"""2.d Protect patient privacy: no patient details, images or care, even unidentifiable.

A case story needs no name to break 2.d: "a 6-year-old I saw today", "my patient this morning",
"the little boy in bed 4". It takes two things: a reference to ONE person who is (or whose child
is) a patient, and something that happened to that person (a time, a place of care, a care event
or a clinical finding). "Anonymous", pseudonymised and with-permission cases still count.

What passes: general clinical education ("children with laryngomalacia often…"; plural,
conditional or modal statements), explicitly fictional teaching cases and published studies. The vocabulary lives in
lexicons/patient_cues.txt so that it can grow without touching the logic. Individual treatment
advice in a reply, and cases this recognizer's cues do not reach, are the learned 2.d head's
(``learned.py``): on the training corpus the advice cues added nothing to it.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain
from typing import Any

from .model import Draft, Hit, Organization
from .normalize import ScreenText
from .pattern import find_spans
from .registry import Detector, Factory, detector
from .text_patterns import alternation, clause_span, load_lexicon, sentence_bounds

_LEX = load_lexicon("patient_cues.txt")


def _words(section: str) -> str:
    return alternation(_LEX[section])


_PERSON_WORD = _words("person")

# An individual's age, the strongest sign of a case: "6-year-old", "2 yo", "11-month-old",
# "de 3 años", "de 2 mois", "5-jähriger", "di 7 anni", "born at 26 weeks", "ex-28-weeker".
_AGE = re.compile(
    r"\b\d{1,2}(?:[.,]\d)?[\s-]?(?:year|yr|month|mo|week|wk|day)s?[\s-]?old\b(?!s)"
    r"|\b\d{1,2}\s?(?:yo|y/o|y\.o\.|m/o|mo\.? old)(?!\w)"
    r"|\b(?:de|con|di|com)\s+\d{1,2}\s+(?:años|año|meses|mes|semanas|días|ans|an|mois|semaines|jours|anni|anno|"
    r"mesi|mese|settimane|giorni|anos|ano|mês|dias)\b"
    r"|\b\d{1,2}[\s-]?(?:jährig|monatig|wöchig|tägig)\w*|\b\d{1,2}-jährige\w*"
    r"|\bborn at \d{2}\s?(?:weeks|wks|w)\b|\bex[\s-]?\d{2}[\s-]?weeker\b|\b\d{2}[\s-]weeker\b",
    re.I)
# "Children under 5 years old", "los niños de 5 años": an age group, not a person.
_AGE_GROUP_BEFORE = re.compile(
    r"(?:\b(?:under|over|from|below|above|than|to|and|between|up to|at least|aged|ages|children|kids|infants|babies|"
    r"patients|menores|mayores|niños|niñas|bebés|enfants|moins|plus|unter|über|kinder|bambini|sotto|sopra|"
    r"crianças|menos|mais|los|les|des|die|gli|i|os|as)\s*(?:de\s+)?)$", re.I)

_PERSON = re.compile(
    rf"(?<![\w-]){_words('determiner')}\s+(?:{_words('adjective')}\s+){{0,2}}{_PERSON_WORD}(?![\w-])(?!'s? (?:day|hospital|ward))",
    re.I)
# "Säugling mit…", "Toddler with croup in bay 3": a person noun opening a clause, as in a handover note
# The line break may be anywhere in the whitespace before the noun; the match starts where that
# whitespace starts, so a long run of blank lines is read once, not once per line break.
_BARE_PERSON = re.compile(
    rf"(?:(?:^|[:;•]|[—–]\s|\.\s)\s*+|(?<!\s)[^\S\n]*+\n\s*+)"
    rf"(?P<who>(?:{_words('adjective')}\s+)?{_PERSON_WORD}\s+(?:with|w/|con|avec|mit|com|who|que|qui|der|die)\b)",
    re.I)
_POSSESSIVE = re.compile(rf"(?<![\w-]){_words('possessive_patient')}(?!\s+{_words('adjectival_patient')}\b)(?!\w)", re.I)
_LOCATOR = re.compile(rf"(?<![\w-]){_words('locator')}\s*(?:#|no\.?\s*|n[º°]\s*)?\d{{1,3}}[a-z]?\b", re.I)
_CASE = re.compile(rf"(?<![\w-]){_words('case_marker')}(?!\w)", re.I)
_RELATIVE = re.compile(
    rf"(?<![\w-]){_PERSON_WORD}\s+(?:that\s+|whom\s+)?(?:I|we|you)(?:'ve|\s+have|\s+had)?\s+(?:just\s+)?{_words('care_event')}\b",
    re.I)
_NAMED_CHILD = re.compile(
    r"\b(?i:little|pequeñ[oa]|petite?|kleine[rn]?|piccol[oa]|pequen[oa]|brave|sweet)\s+[A-Z][a-zà-ÿ]{2,}\b"
    r"(?!\s+(?:Rock|Italy|Venice|League|Women|Prince|Mermaid|Red|House|Book|Shop))"
    r"|\b(?i:patient|paciente|patiente?|patientin|paziente)\s+[A-Z](?![\w.])")

_POINTED = re.compile(
    r"(?:this|that|ese|esa|este|esta|ce|cet|cette|dieser|diese|diesem|diesen|questo|questa|quel|quella|esse|essa)\s"
    r"|(?:our|my|this|that)\s.*\b(?:warrior|fighter|trooper|superhero|little one|preemie)$", re.I)
# "Sofia, 7, …", "Tom (4)": a first name with an age
_NAME_AGE = re.compile(r"\b[A-Z][a-zà-ÿ]{2,},\s*\d{1,2}\s*,|\b[A-Z][a-zà-ÿ]{2,}\s+\(\d{1,2}\)")
# "told the parents their son needs…": a patient seen through their family
_THEIR_CHILD = re.compile(
    r"\b(?:their|sus|leurs?|ses|loro)\s+(?:little\s+|baby\s+|newborn\s+)?"
    r"(?:son|daughter|baby|hijo|hija|bebé|fils|fille|bébé|sohn|tochter|figlio|figlia|filho|filha)\b", re.I)
# "our bravest airway warrior", "my little fighter": the way carers speak of one patient
_HERO = re.compile(r"\b(?:our|my|this|that)\s+(?:[\w-]+\s+){0,2}(?:warrior|fighter|trooper|superhero)s?\b", re.I)
_TIME = re.compile(rf"(?<![\w-]){_words('time')}(?![\w-])", re.I)
_SETTING = re.compile(rf"(?<![\w-]){_words('setting')}(?![\w-])", re.I)
# "ER", "OR", "A&E" are places of care only in capitals ("or" and "er" are ordinary words)
_SETTING_CS = re.compile(r"(?<![\w&])(?:ER|ED|OR|A&E)(?![\w&])")
_CARE = re.compile(rf"(?<![\w-]){_words('care_event')}(?![\w-])", re.I)
_CLINICAL = re.compile(rf"(?<![\w-]){_words('clinical')}(?![\w-])", re.I)
_PAST = re.compile(r"\b(?:was|were|had|got|went|came|did|fue|estaba|était|avait|war|hatte|era|aveva|foi|estava)\b", re.I)

_FICTION = re.compile(
    r"\b(?:fictional|fictitious|hypothetical|imaginary|made[- ]up|invented|not a real (?:patient|case|child)|"
    r"simulated (?:patient|case)|teaching (?:case|scenario)s? \((?:fictional|hypothetical|invented)|ficticio|ficticia|"
    r"hipot[ée]tic[oa]|fictif|fictive|hypoth[ée]tique|fiktive?[rnms]?|hypothetische?[rnms]?|fittizi[oa]|ipotetic[oa]|"
    r"fict[íi]ci[oa])\b", re.I)
_GENERIC_BEFORE = re.compile(
    r"\b(?:if|when|whenever|once|unless|every|any|each|no|imagine|suppose|si|cuando|quand|lorsque|wenn|falls|jede[rsnm]?|"
    r"se|quando|ogni|qualquer|cada|todo)\s+(?:\w+\s+){0,2}$", re.I)
_MODAL = re.compile(
    r"\b(?:can|could|may|might|should|must|will|would|often|usually|typically|commonly|generally|tends? to|likely|"
    r"puede|pueden|suele|suelen|peut|peuvent|souvent|kann|können|oft|häufig|può|possono|spesso|pode|podem|"
    r"geralmente|frequentemente)\b", re.I)
_PUBLISHED = re.compile(
    r"\b(?:study|studies|trial|cohort|paper|journal|doi|published|meta-analysis|systematic review|case series|"
    r"estudio|étude|studie|studio|estudo|ensayo|essai)\b", re.I)
_EDUCATION_EVENT = re.compile(
    r"\b(?:webinar|session|talk|lecture|course|podcast|episode|workshop|quiz|module|seminar|masterclass|symposium|"
    r"simulation|manikin|mannequin|guide|leaflet|video|infographic|tips?)\b", re.I)

_FIX_CASE = ("Share the clinical lesson in general terms (\"children with X often…\"), without a case, a time "
             "or a place, or use an explicitly fictional teaching case.")


def _anchors(t: str, s0: int, e0: int) -> dict[str, bool]:
    sentence = t[s0:e0]
    return {
        "time": bool(_TIME.search(sentence)),
        "setting": bool(_SETTING.search(sentence) or _SETTING_CS.search(sentence)),
        "care": bool(_CARE.search(sentence)),
        "clinical": bool(_CLINICAL.search(sentence)),
        "past": bool(_PAST.search(sentence)),
        "modal": bool(_MODAL.search(sentence)),
        "published": bool(_PUBLISHED.search(sentence)),
        "education": bool(_EDUCATION_EVENT.search(sentence)),
    }


def _not_an_age_group(t: str, m: re.Match[str]) -> bool:
    return not _AGE_GROUP_BEFORE.search(t[max(0, m.start() - 25):m.start()])


def _who(t: str, m: re.Match[str]) -> tuple[int, int]:
    return m.start("who"), m.end()


def _individuals(t: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, strength) for every reference to one person who may be a patient."""
    strong = chain(find_spans(t, (_AGE,), keep=_not_an_age_group),
                   find_spans(t, (_POSSESSIVE, _LOCATOR, _CASE, _RELATIVE, _NAMED_CHILD, _HERO, _NAME_AGE)))
    for a, b in strong:
        yield a, b, "strong"
    for m in _PERSON.finditer(t):
        # "that kid", "this little one", "our airway warrior": the author points at someone they know
        yield m.start(), m.end(), "strong" if _POINTED.match(m.group()) else "plain"
    for a, b in chain(find_spans(t, (_THEIR_CHILD,)), find_spans(t, (_BARE_PERSON,), grow=_who)):
        yield a, b, "plain"


def find_cases(t: str) -> list[tuple[int, int, bool]]:
    """Case stories in `t` (a normalized text): (start, end, sure) per sentence, in text order."""
    people = list(_individuals(t))
    if not people or _FICTION.search(t):
        return []
    best: dict[int, tuple[int, int, bool]] = {}
    # each sentence is read once, however many people it mentions (a long one may mention many)
    anchors: dict[tuple[int, int], dict[str, bool]] = {}

    def anchors_of(s0: int, e0: int) -> dict[str, bool]:
        if (s0, e0) not in anchors:
            anchors[(s0, e0)] = _anchors(t, s0, e0)
        return anchors[(s0, e0)]

    for start, end, strength in people:
        s0, e0 = sentence_bounds(t, start)
        a = dict(anchors_of(s0, e0))
        if s0 > 0 and not (a["time"] or a["setting"]):
            # "What a night in resus. Teen with anaphylaxis…": the scene is set one sentence before
            p0, _ = sentence_bounds(t, max(0, s0 - 2))
            scene = anchors_of(p0, s0)
            a["time"], a["setting"] = scene["time"], scene["setting"]
        before = t[max(s0, start - 40):start]
        generic = bool(_GENERIC_BEFORE.search(before)) or (a["modal"] and not (a["time"] or a["setting"]))
        published = a["published"] and not a["setting"]
        lead = t[start:end].lower()
        if strength == "strong":
            if not (a["time"] or a["setting"] or a["care"] or a["clinical"]) or generic or published:
                continue
            sure = True
        else:
            if generic or published:
                continue
            if lead.startswith(("the ", "la ", "le ", "el ", "il ", "lo ", "der ", "die ", "den ", "dem ", "o ")):
                # "the child with stridor…" is how textbooks speak: only a past event makes it a story
                if not (a["care"] and (a["time"] or a["setting"] or a["past"])):
                    continue
            told = a["time"] or a["setting"]
            if told and (a["care"] or a["clinical"]):
                sure = not a["education"]
            elif a["care"] and (a["clinical"] or a["past"]):
                sure = False
            else:
                continue
        prev = best.get(s0)
        if prev is None or (sure and not prev[2]):
            best[s0] = (start, end, sure)
    out = []
    for s0, (start, end, sure) in sorted(best.items()):
        _, e0 = sentence_bounds(t, start)
        left, right = _evidence(t, start, end, s0, e0)
        out.append((left, right, sure))
        # the story goes on in the next sentence: the parents' reaction, "her scan showed…"
        n0, n1 = _next_sentence(t, e0)
        if n0 is not None and n0 not in best and _CONTINUES.match(t[n0:n1]):
            stop = n1
            while stop > n0 and t[stop - 1] in " \t":
                stop -= 1
            out.append((n0, stop, sure))
    return out


_CONTINUES = re.compile(
    r"(?:(?:the |his |her |their )?(?:parents?|mum|mom|dad|mother|father|family|grandma|grandmother)\b"
    r"|(?:los |sus )?(?:padres|madre|padre|familia)\b|(?:les |ses )?(?:parents|mère|père|famille)\b"
    r"|(?:die |seine |ihre )?(?:eltern|mutter|vater|familie)\b|(?:i |suoi )?(?:genitori|madre|padre|famiglia)\b"
    r"|(?:os )?(?:pais|mãe|pai|família)\b|(?:he|she|his|her)\s+(?:\w+\s+){0,3}?(?:was|is|had|has|said|told|"
    r"scan|x-ray|ct|sats|spirometry|airway|lungs?|breathing|mum|mom|dad|parents)\b)", re.I)


def _next_sentence(t: str, e0: int) -> tuple[int | None, int]:
    m = re.compile(r"[.!?…]*\s+").match(t, e0)
    start = m.end() if m else e0
    if start >= len(t):
        return None, 0
    return start, sentence_bounds(t, start)[1]


def _evidence(t: str, start: int, end: int, s0: int, e0: int) -> tuple[int, int]:
    """The case as the author wrote it: from the clause of the reference to the end of its details."""
    a, _ = clause_span(t, start, end, limit=140)
    stop = e0
    while stop > end and t[stop - 1] in " .!?":
        stop -= 1
    return a, min(max(end, stop), a + 220)


def _case_detector(want_sure: bool) -> Factory:
    def factory(params: dict[str, Any], org: Organization) -> Detector:
        def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
            view = text.base
            # both the sure and the possible rule need the same analysis: do it once per draft
            cases = text.__dict__.get("_patient_cases")
            if cases is None:
                cases = text.__dict__["_patient_cases"] = find_cases(view.text)
            for a, b, sure in cases:
                if sure != want_sure:
                    continue
                s, e = view.to_original(a, b)
                yield Hit(s, e, "This discusses a specific patient or their care; 2.d protects patient privacy "
                                "even when the patient is not named.", _FIX_CASE)
        return detect
    return factory


@detector("patient.case_details", clause="2.d")
def case_details(params: dict[str, Any], org: Organization) -> Detector:
    """Stories about a specific patient or their care, named or not (clear cases)."""
    return _case_detector(True)(params, org)


# ---- patient images ---------------------------------------------------------------------------

_IMAGE_PERSON = re.compile(
    r"\b(?:child|child's|children's|patient|patient's|infant|infant's|baby|baby's|toddler|toddler's|boy|girl|kid|"
    r"newborn|neonate|teen|teenager|preemie|niño|niña|bebé|enfant|bébé|kind|säugling|bambino|criança)\b", re.I)
_IMAGE_MEDICAL = re.compile(
    r"\b(?:trach\w*|stoma|tube|ventilat\w+|oxygen|cannula|nasal prongs|hospital|ward|bed|cot|incubator|icu|picu|nicu|"
    r"monitor|drip|iv line|scar|surgery|surgical|post-?op\w*|operat\w+|bandage|dressing|cast|sling|mask|nebuli\w+|"
    r"speaking valve|wristband|gown|clinic|stitches|sutures|wound|rash|swelling|x-ray|scan)\b", re.I)
_IMAGE_SCAN = re.compile(
    r"\b(?:x-?rays?|radiographs?|ct(?: scan| slice| image)?|mri|ultrasound|sonograph\w*|fluoroscop\w+|angiogra\w+|"
    r"(?:endoscopic|bronchoscopic|laryngoscopic|microlaryngoscop\w+|intraoperative|operative|clinical|surgical|"
    r"scope|airway)\s+(?:image|images|view|views|photo|photos|picture|pictures|still|stills|video|footage|clip|shot))\b",
    re.I)
_IMAGE_ID = re.compile(
    r"\b(?:patient|hospital|record|mrn|nhs|medical record)\s+(?:name|id|number|no\.?|label|sticker|details)\b"
    r"|\b(?:name|id|number|ward number|bed number|date of birth|dob|label|wristband)\s+(?:\w+\s+)?(?:visible|shown|legible|readable|blurred)\b"
    r"|\b(?:visible|legible|readable)\s+(?:patient|hospital|name|id|wristband)\b"
    r"|\bchild's (?:first |full )?name\b|\bward number\b", re.I)
_IMAGE_NOT_PATIENT = re.compile(
    r"\b(?:illustration|illustrated|diagram|schematic|drawing of (?:the )?anatomy|anatomical (?:model|drawing)|"
    r"model|mannequin|manikin|simulat\w+|phantom|stock|cartoon|animat\w+|infographic|chart|graph|logo|skyline|"
    r"venue|faculty|delegates|members|team|runners|congress|conference|audience|speaker|poster|slide|volunteers|"
    r"instrument|device|equipment|bronchoscope|endoscope|laryngoscope|clipart|icon|emoji|3d render|artwork)\b",
    re.I)


@detector("patient.images", clause="2.d")
def patient_images(params: dict[str, Any], org: Organization) -> Detector:
    """Images or videos of patients, their scans or their bodies (from the attachment's description)."""
    def detect(text: ScreenText, draft: Draft) -> Iterator[Hit]:
        for a in draft.attachments:
            if a.type not in ("image", "video", "gif", "document", "audio"):
                continue
            alt = a.alt or ""
            shows_id = _IMAGE_ID.search(alt)
            scan = _IMAGE_SCAN.search(alt)
            person = _IMAGE_PERSON.search(alt) and _IMAGE_MEDICAL.search(alt)
            if not (shows_id or scan or person):
                continue
            if _IMAGE_NOT_PATIENT.search(alt) and not shows_id:
                continue
            yield Hit(0, 0, "The attachment shows a patient or a patient's images (scans, scopes, their body); "
                            "2.d keeps patient images off social media, even anonymised or with permission.",
                      "Remove the image or video, or replace it with an illustration or an explicitly "
                      "simulated image.", evidence=f"{a.type}: {alt[:160]}")
            caption = _caption(text.base.text)
            if caption:
                s, e = text.base.to_original(*caption)
                yield Hit(s, e, "This caption presents a patient's image or case.",
                          "Remove the patient image and its caption, or describe the lesson without the case.")
            return
    return detect


def _caption(t: str) -> tuple[int, int] | None:
    """The sentence of the text that presents the image: the first with a clinical word or a time."""
    for m in _CLINICAL.finditer(t):
        s0, e0 = sentence_bounds(t, m.start())
        return clause_span(t, m.start(), m.end(), limit=120)
    return None
