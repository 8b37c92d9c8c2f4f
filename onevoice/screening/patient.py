"""2.d Protect patient privacy: no patient details, images or care, even unidentifiable.

A case story needs no name to break 2.d: "a 6-year-old I saw today", "the twins born at 26 weeks
came off oxygen", "my patient's CT". What passes is general clinical education ("children with
laryngomalacia often…"), explicitly fictional teaching cases and published studies. Replies that
give one person treatment advice are patient care too.
"""
from __future__ import annotations

import re

from .model import Hit
from .registry import detector
from .text_patterns import clause_span, sentence_bounds

# an individual's age: "6-year-old", "2 yo", "11-month-old", "de 3 años", "5-jähriger", "3 semanas"
_AGE = (r"(?:\b\d{1,2}[- ]?(?:year|yr|month|week|day)s?[- ]old\b|\b\d{1,2}\s?(?:yo|y/o|mo)\b"
        r"|\b(?:de|di|com)\s+\d{1,2}\s+(?:años|año|meses|mes|semanas|días|anni|mesi|settimane|anos|meses|semanas|dias)\b"
        r"|\b\d{1,2}[- ]?(?:jährige[rn]?|monatige[rn]?|wöchige[rn]?)\b|\bde\s+\d{1,2}\s+(?:ans|mois|semaines|jours)\b"
        r"|\bborn at \d{2} weeks\b)")
_SINGULAR_SUBJECT = (r"(?:\ba|\ban|\bone|\bthis|\bthat|\bour|\bmy|\bthe|\bun|\buna|\bune|\bum|\buma|\bein|\beine|\bder|\bdie"
                     r"|\bel|\bla|\ble|\bil|\bo)\b")
_CHILD_NOUN = (r"(?:kid|child|boy|girl|baby|infant|toddler|teen|teenager|newborn|neonate|patient|lad|twins|"
               r"niño|niña|bebé|bebe|lactante|nourrisson|enfant|garçon|fille|kind|junge|mädchen|säugling|"
               r"bambino|bambina|neonato|criança|menino|menina)")
_INDIVIDUAL = re.compile(
    rf"{_AGE}"
    rf"|{_SINGULAR_SUBJECT}\s+(?:little\s+|young\s+|sweet\s+|brave\s+)?{_CHILD_NOUN}\b(?!\s+(?:with|who)\s+\w+\s+(?:often|usually|may|can|should))(?!\s+(?-i:[A-Z])[a-z])"
    rf"|\b(?:my|our)\s+(?:little\s+|former\s+|youngest\s+)?patients?\b|\bpatients? of mine\b|\bthis little one\b"
    rf"|\bfrequent flyer\b|\bairway warrior\b|\blittle\s+[A-Z][a-z]+\b"
    rf"|\b(?:mi|mis|nuestro|nuestra)\s+paciente|\b(?:mon|ma|notre)\s+patient|\bmeine?[rn]?\s+patient"
    rf"|\b(?:il mio|la mia)\s+paziente|\b(?:meu|minha)\s+paciente"
    rf"|\bparent(?:s)? today\b|\bmum (?:still|said|told|insisted)|\bhis (?:mum|mom|dad|parents)\b|\bher (?:mum|mom|dad|parents)\b"
    rf"|\b(?:that|this|the)\s+(?:kid|child|boy|girl|baby|twins)(?:'s)?\b(?!\s+(?-i:[A-Z]))",
    re.I)
# something happened to that individual: care, a finding, a time, a place of care
_CARE = re.compile(
    r"\b(?:today|tonight|yesterday|this (?:morning|afternoon|evening|week)|last (?:night|week|month|spring|year)|"
    r"on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|since (?:monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|birth)|this week|on call|shift|clinic|ward|bed \d+|picu|nicu|icu|ER|A&E|OR\b|theatre|"
    r"admitted|intubated|ventilated|ecmo|trached|tracheostomy|surgery|surgeries|operated|retrieved|removed|"
    r"diagnosed|found|showed|scan|ct\b|x-ray|mri|bronch\w*|endoscop\w*|spirometry|decannulated|discharged|"
    r"came off|oxygen|stable|recovered|swallowed|nearly lost|saved|fixing|fixed|treated|seen|saw|"
    r"hoy|ayer|esta mañana|anoche|guardia|ingresad\w+|intubad\w+|operamos|atendimos|vimos|aujourd'hui|hier|"
    r"ce matin|garde|intubé|opéré|"
    r"heute|gestern|sprechstunde|station|normalstation|oggi|ieri|stamattina|esta manhã|hoje|ontem|"
    r"precisou|necesitó|mostró|montré|zeigte)\b",
    re.I)
_CLINICAL = re.compile(
    r"\b(?:stridor|croup|asthma|apnea|apnoea|bronchiolitis|pneumonia|anaphylaxis|anaphylaxie|stenosis|cleft|"
    r"hemangioma|tonsils?|tonsillen|trach\w*|traqueostom\w+|speaking valve|oxygen|foreign body|button battery|"
    r"peanut|bronchus|larynx|laryngeal|vocal cords?|cordas vocais|tosferina|pertussis|rsv|vrs|ecmo|intubat\w+|"
    r"surgery|surgeries|cirugía|op\b|operation|laryngomalacia|spirometry|ct\b|scan|x-ray|cough|fever|seizure|"
    r"atemaussetzer|estridor|paralisia|anillo vascular|tracheal|vaping|decannulat\w+|injur\w+|tear|"
    r"o?esophag\w+|airway|lungs?|chest|throat|trachea|coin|magnet|battery|choking|choked|breathing|ventilat\w+|"
    r"cpap|bipap|nebuli[sz]\w+|steroids?|antibiotics?|fracture|burns?|sedat\w+|ana?esthe\w+|biopsy|sepsis|"
    r"meningitis|bronchoscop\w+|laryngoscop\w+|endoscop\w+|cyanos\w+|apnoeas?|desaturat\w+|saturation|"
    r"reflux|allerg\w+|epiglott\w+|abscess|tumou?r|mass|infection|wheez\w+|"
    r"estenosis|sténose|stenose|stenosi|estenose|asma|asthme|bronquiolitis|neumonía|pneumonie|lungenentzündung|"
    r"polmonite|cirugía|cirurgia|opération|operation|intervento|operamos|operado|opéré|operiert|operato|"
    r"intubad[oa]|intubé|intubiert|intubato|traqueotom\w+|trachéotom\w+|tracheotom\w+|tracheostom\w+|"
    r"broncoscop\w+|bronchoskop\w+|fièvre|fiebre|fieber|febbre|febre|toux|tos|husten|tosse)\b",
    re.I)
_FICTION = re.compile(r"\b(?:fictional|fictitious|hypothetical|imaginary|made-up|invented|teaching case|"
                      r"caso ficticio|cas fictif|fiktiv\w*|caso fittizio)\b", re.I)
_GENERAL = re.compile(r"\b(?:most|many|some|all|every|any|children|kids|infants|babies|patients|parents|families|"
                      r"teens|people)\b\s+(?:with|who|under|over|from|aged|born)\b"
                      r"|\b(?:often|usually|typically|commonly|generally|may|can|should|tend to)\b", re.I)
_MODAL = re.compile(r"\b(?:can|could|may|might|often|usually|typically|tend to|should|must|if)\b", re.I)
_WHEN = re.compile(r"\b(?:today|tonight|yesterday|this (?:morning|afternoon|evening|week)|last (?:night|week|month|"
                   r"spring|summer|year)|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|since|ago|"
                   r"hoy|ayer|anoche|aujourd'hui|hier|heute|gestern|oggi|ieri|hoje|ontem)\b", re.I)
_PUBLISHED = re.compile(r"\b(?:study|trial|paper|review|article|guideline|meta-analysis|published|journal|doi)\b", re.I)

# a person's own treatment, advised in a reply
_ADVICE = re.compile(
    r"\b(?:give|giving|take|taking|use|start|increase|stop|double)\s+(?:him|her|them|your (?:son|daughter|child|kid|baby)|it)?\s*"
    r"[\w\s-]{0,30}?\d+(?:[.,]\d+)?\s?(?:mg|mcg|µg|ml|mL|puffs?|drops?|tablets?|units?)\b"
    r"|\b(?:sounds|looks) like (?:laryngomalacia|croup|asthma|reflux|an? \w+ infection|\w+itis)\b",
    re.I)
_IMAGE_PATIENT = re.compile(
    r"\b(?:child|child's|children's|patient|patient's|infant|baby|toddler|boy|girl|kid|newborn|teen)\b"
    r"|\b(?:endoscopic|x-ray|ct slice|mri|ultrasound|radiograph|scan|bronchoscop\w+|larynx|trachea|airway)\b",
    re.I)
_IMAGE_GENERIC = re.compile(r"\b(?:illustration|diagram|drawing of anatomy|model|mannequin|manikin|simulat\w+|stock|"
                            r"cartoon|infographic|chart|graph|logo|skyline|venue|faculty|poster|slide|"
                            r"members|team|runners|congress)\b", re.I)


@detector("patient.case_details", clause="2.d")
def case_details(params: dict, org) -> callable:
    """Stories about a specific patient or their care, named or not."""
    def detect(text, draft):
        view = text.base
        t = view.text
        if _FICTION.search(t):
            return
        seen_sentences = set()
        for m in _INDIVIDUAL.finditer(t):
            s0, e0 = sentence_bounds(t, m.start())
            if s0 in seen_sentences:
                continue
            sentence = t[s0:e0]
            local = t[max(s0, m.start() - 80):m.end() + 120]
            care = _CARE.search(local)
            clinical = _CLINICAL.search(sentence)
            # "my patient", "that kid", "this little one": already one real person
            pointed = re.match(r"(?:that|this|my|our)\b|.*(?:patient|little one|warrior|frequent flyer)", m.group(), re.I)
            if not clinical or not (care or pointed):
                continue
            if _GENERAL.search(m.group()) or (_PUBLISHED.search(sentence) and not care):
                continue
            # "a child can swallow…": a general statement, unless it is pinned to a time
            if _MODAL.search(sentence) and not _WHEN.search(local) and not pointed:
                continue
            seen_sentences.add(s0)
            start, end = _evidence(t, m.start(), m.end(), s0, e0)
            s, e = view.to_original(start, end)
            yield Hit(s, e, "This discusses a specific patient or their care; 2.d applies even without a name.",
                      "Share the clinical lesson in general terms (\"children with X often…\"), without a case, "
                      "a time or a place, or use an explicitly fictional teaching case.")
    return detect


def _evidence(t: str, start: int, end: int, s0: int, e0: int) -> tuple[int, int]:
    """The case as the author wrote it: the clause around the match, extended across the
    clinical details that follow (up to the sentence end)."""
    a, b = clause_span(t, start, end, limit=140)
    stop = e0
    while stop > b and t[stop - 1] in " .!?":
        stop -= 1
    return a, min(max(b, stop), a + 220)


@detector("patient.treatment_advice", clause="2.d")
def treatment_advice(params: dict, org) -> callable:
    """Individual treatment advice (replies): doses or diagnoses for one person."""
    def detect(text, draft):
        view = text.base
        for m in _ADVICE.finditer(view.text):
            s0, e0 = sentence_bounds(view.text, m.start())
            s, e = view.to_original(s0, e0)
            yield Hit(s, e, "Advising one person on their (or their child's) treatment is patient care on social media.",
                      "Say you can't give individual medical advice here and point to their own doctor or emergency services.")
    return detect


@detector("patient.images", clause="2.d")
def patient_images(params: dict, org) -> callable:
    """Images or videos of patients, their scans or their bodies (from the attachment's description)."""
    def detect(text, draft):
        for a in draft.attachments:
            if a.type not in ("image", "video", "gif"):
                continue
            alt = a.alt or ""
            if _IMAGE_PATIENT.search(alt) and not _IMAGE_GENERIC.search(alt):
                yield Hit(0, 0, "The attachment shows a patient or a patient's images.",
                          "Remove the image or video; even with a blurred name or a parent's permission, "
                          "patient images stay off social media.",
                          evidence=f"{a.type}: {alt[:120]}")
    return detect
