"""Cues and the decision order. Crisis signals come first (they must never be missed), then
threats and abuse, misinformation about the organization, spam, and last the sentiment of
what is left: complaint, question, praise or neutral.

Sentiment starts from VADER's lexicon and rules (vaderSentiment), then corrects what a
professional audience writes and VADER misreads: negative words in a positive sense ("kills
the myth", "sick presentation", "killer line-up"), sarcastic praise ("great job losing my
registration again 👏"), emoji-only anger, and complaints in the members' other languages.
Cue lists were written for this project from general knowledge.
"""
from __future__ import annotations

import re

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from onevoice.screening.normalize import ScreenText

_VADER = SentimentIntensityAnalyzer()


def _rx(*parts: str) -> re.Pattern:
    return re.compile("|".join(parts), re.I)


CRISIS_STRONG = _rx(
    r"\bdata (?:leak|breach)\b", r"\bleak(?:ed|s)?\b", r"\bhack(?:ed|er|ers)?\b", r"\bphishing\b", r"\bscam(?:med)?\b.*\b(?:dm|email|message)\b",
    r"\b(?:asking|asked) for my (?:portal |account )?password\b", r"\bimpersonat\w+\b", r"\bfake (?:account|profile)\b",
    r"\b(?:lawyer|attorney|solicitor|legal action|sue|suing|lawsuit|court)\b", r"\bjournalist\b", r"\breporter\b",
    r"\bpress (?:enquiry|inquiry|request)\b", r"\b(?:comment|statement) on reports\b",
    r"\b(?:harmed|injured|died|death|murdered|killed)\b.*\b(?:son|daughter|child|baby|kid|patient)\b",
    r"\b(?:son|daughter|child|baby|kid|patient)\b.*\b(?:harmed|in hospital|hospitali[sz]ed|died|murdered|injured)\b",
    r"\bprivacy (?:violation|breach)\b", r"\bwithout (?:asking|consent|permission)\b", r"\btake it down\b",
    r"\breporting your account\b", r"\b(?:names|emails|phone numbers|addresses)\b.*\b(?:other members|visible|cc field|everyone can see)\b",
    r"\bother members'? (?:names|emails|details|data)\b", r"\b(?:arrested|fraud|abusers?|racist|harass\w+|misconduct|scandal|cover(?:ed)?[- ]up)\b",
    r"\bpatient(?:'s)? (?:photo|photos|x-ray|name|details|data)\b", r"\bname visible\b", r"\bmedical details\b",
    r"\b(?:datenschutz|fuite de données|filtración|vazamento|violazione)\b", r"\bpatientenfotos?\b",
)
CRISIS_WEAK = _rx(r"\bsupposed to be public\b", r"\bconsent (?:was )?obtained\b", r"\bwas consent\b", r"\btrending with\b",
                  r"\bhijack\w*\b", r"\bprivacy\b", r"\bconfidential\b.*\bposted\b", r"\bpatient (?:photo|image)s?\b")
THREAT = _rx(r"\b(?:burn(?:s)? down|you will pay|you'll pay|watch your back|i know where|going to hurt|kill (?:you|them)|"
             r"bomb|shoot|die in a fire)\b")
ABUSE = _rx(r"\b(?:shut up|idiots?|morons?|frauds?|shills?|clowns?|garbage|trash|disgusting|pathetic|corrupt\w*|vendidos|"
            r"elitist|joke of an?|ashamed|worse person|terrible (?:teacher|person|people)|ok boomer|nobody asked|"
            r"ivory towers?|scum|liars?|crooks?|hypocrites?|imbéciles?|idiotas?|connards?|arschl\w+)\b",
            r"🤡|🤮|🖕", r"\bf[\*u]ck\b|\bfuck\w*\b|\bbs\b|\bbullshit\b|\bshit\b")
ORG = r"(?:ipala|you(?:r)? (?:people|lot|organi[sz]ation|association)|they|the association)"
MISINFO = _rx(
    rf"\b{ORG}\b[^.?!]{{0,40}}\b(?:endorses?|recommends?|says|said|admitted|claims?|is funded|are funded|is secretly|"
    rf"secretly|is hiding|hides|sells? your data|sell your data|is going bankrupt|is lobbying|supports)\b",
    r"\bsell your data\b", r"\bit'?s official\b", r"\bcause[s]? (?:asthma|autism|lung damage)\b",
)
SPAM = _rx(r"\b\d{2}% off\b", r"\bbuy (?:followers|likes)\b", r"\bcheap\b", r"\bcrypto\b|\bgiveaway\b|\bairdrop\b|\beth\b",
           r"\blink in bio\b", r"\bcheck (?:out )?my (?:profile|blog|page|channel)\b", r"\bshop now\b",
           r"\bearn \$?\d+", r"\bdm me (?:for|to)\b", r"\bwhatsapp us\b", r"\bwritten by experts\b",
           r"\blearn to code\b", r"\bfollowers? (?:cheap|for \$)")
def _wx(*alternatives: str) -> re.Pattern:
    """Whole words or phrases (regex fragments) starting at a word start: one scan, much faster
    than many separate \\b-anchored alternatives."""
    return re.compile(r"(?<![\w#])(?:" + "|".join(alternatives) + r")(?!\w)", re.I)


SERIOUS = _wx(r"refund\w*", "remboursement", "reembolso", "charged twice", r"double[- ]charged", "rude", "unprofessional",
              "unacceptable", r"ignor\w+", r"hypocrit\w*", "dangerous", "will die", "shame on you", "honte", "vergüenza",
              "vergonha", "boycott", "fire whoever", "third time", "posting about this everywhere", "censorship",
              r"zero repl\w+", "nobody answers", "no one answers", "nadie responde", "paid by", r"conflicts? of interest",
              "coi", "trois mois", "three months", r"(?:90|\d{2})% men")
_SERIOUS_EXTRA = re.compile(r"#boycott\w*|\b\d+\s*(?:emails|dms|messages)\b.*\b(?:no|zero)\b", re.I)


def _serious(t: str):
    """A serious complaint: the words above, a repeated failure ("again … again", "again 🙄"), or
    messages that went unanswered."""
    m = SERIOUS.search(t)
    if m:
        return m
    if t.count("again") >= 2 or ("again" in t and "🙄" in t):
        return re.search(r"again", t)
    if "#boycott" in t or any(w in t for w in ("emails", "dms", "messages")):
        return _SERIOUS_EXTRA.search(t)
    return None


COMPLAINT = _wx(
    r"(?:doesn'?t|does not|don'?t|didn'?t|can'?t|cannot|won'?t|isn'?t|never) (?:even )?(?:work|load|arrive|open|log ?in|"
    r"hear|respond|answer|download|access|find|register|pay|get|reach|see)\w*",
    r"broken|awful|horrible|terrible|boring|ridiculous|hideous|frustrat\w+|disappoint\w+|unfair|not fair",
    r"sad|misleading|outdated|sold out|downhill|unsubscrib\w+|meh|waste",
    r"please (?:moderate|stop|update|fix|respond|correct)", "stop tagging", r"why (?:do|does|did|is|are) (?:you|u)",
    "who approved", "need more", r"still (?:says|waiting|no|not)", r"no (?:reply|response|answer)",
    "funktioniert nicht", "frustrierend", "vergonzoso", "widerspricht", "korrigieren", "pas encore", "toujours pas",
    "ne fonctionne pas", "no funciona", "não funciona", "non funziona", "honte", "se taise",
)
ANGRY_EMOJI = re.compile("👎|🤬|😡|😤|💀|😴|🥱|😩|😠")


def _complaint(t: str):
    return COMPLAINT.search(t) or ANGRY_EMOJI.search(t)


SARCASM = _rx(r"\b(?:great|good|nice|fantastic|brilliant|well|wonderful|amazing|awesome|lovely|superb|stellar) "
              r"(?:job|work|done)\b.*\b(?:losing|lost|again|break|breaking|broke|crash|down|failed|forgot|ignor)\w*", r"\boutdid yourselves\b", r"\bbravo\b.*🙄|🙄", r"\bvery \d{4} of you\b",
              r"\bthanks for nothing\b", r"\bwow,? (?:just )?wow\b", r"\bso helpful\b.*\bnot\b")
POSITIVE_CONTEXT = _rx(r"\bkills? the myth\b", r"\bkilling (?:it|me)\b", r"\bkiller (?:line-?up|talk|session|keynote)\b",
                       r"\bsick (?:presentation|talk|keynote|session)\b", r"\bslaps\b", r"\bterribly good\b",
                       r"\babsolute legends?\b", r"\binsanely good\b", r"\bcrush(?:ing|ed)? it\b")
PRAISE = _rx(r"\b(?:thank(?:s| you)|merci|gracias|danke|obrigad[oa]|grazie|congrat\w*|felicidades|bravo|brilliant|"
             r"fantastic|excellent|excelente|great|love|loved|best|proud|amazing|awesome|wonderful|perfect|useful|"
             r"helpful|legends?|magnifique|passionnant|ótimos?|tolle|super|agree|kind)\b", r"💙|❤️|😍|🥰|🙌|🎉|👏|💯|🔥|😊|🙏")
# Words of critique that VADER's lexicon underweights in reviews and commentary (written from
# general knowledge; nothing was fitted to a data set).
CRITIQUE = _rx(r"\b(?:dull|tedious|boring|bland|lifeless|pointless|mediocre|uninspired|forgettable|fails?|failed|failing|"
               r"lacks?|lacking|waste[sd]?|overlong|predictable|clumsy|shallow|hollow|mess|messy|disappointing|unfunny|"
               r"contrived|clichéd?|stale|tiresome|plodding|incoherent|pretentious|flawed|weak|poorly|badly|worse|worst|"
               r"cheaply|defective|junk|flimsy|unreliable|overpriced|stopped working|returned it|falls flat|"
               r"misses the mark|not worth|no reason|doesn'?t work|too long|too slow|nothing new|decline|deficit|"
               r"failure|corruption|recession|violence|crisis|threat|collapse)\b")
GREETING = _rx(r"^\s*(?:good (?:morning|afternoon|evening|night)|hello|hi|hey|greetings|buenos días|buenas tardes|"
               r"bonjour|bonsoir|guten (?:morgen|tag|abend)|buongiorno|bom dia|boa tarde)\b[\w\s,!.]{0,30}$")
QUESTION_START = _rx(r"^\s*(?:how|when|where|what|which|who|why|is|are|can|could|will|would|do|does|did|should|anyone|"
                     r"any|¿|quelle?s?|quand|comment|où|wann|wie|wo|gibt|cómo|cuándo|dónde|habrá|quando|como|onde)\b")


def classify(text: str) -> tuple[str, int, dict, tuple[str, ...]]:
    t = ScreenText(text).words.text  # lower-cased, de-obfuscated
    vs = _VADER.polarity_scores(text)
    compound = vs["compound"]
    positive_context = POSITIVE_CONTEXT.search(t)
    if positive_context and compound < 0.3:
        compound = max(compound, 0.5)
    critique = len(CRITIQUE.findall(t))
    if critique and not positive_context:
        compound = max(-1.0, compound - 0.25 * critique)
    sarcasm = SARCASM.search(t)
    if sarcasm and compound > -0.3:
        compound = -0.4
    scores = {"negative": round(max(0.0, -compound), 3), "positive": round(max(0.0, compound), 3)}
    reasons: list[str] = []

    def hit(pattern, name: str):
        m = pattern(t) if callable(pattern) and not isinstance(pattern, re.Pattern) else pattern.search(t)
        scores[name] = 1.0 if m else 0.0
        if m:
            reasons.append(f"{name}: “{m.group()[:60]}”")
        return m

    strong, weak, threat = hit(CRISIS_STRONG, "crisis"), CRISIS_WEAK.search(t), hit(THREAT, "threat")
    abuse, misinfo = hit(ABUSE, "abuse"), hit(MISINFO, "misinformation")
    spam, serious, complaint = hit(SPAM, "spam"), hit(_serious, "serious"), hit(_complaint, "complaint")
    question = "?" in t and QUESTION_START.search(t)
    if threat:
        return "abuse", 3, scores, tuple(reasons)
    if strong:
        return "crisis", 3, scores, tuple(reasons)
    if weak and not positive_context and (compound <= 0.3 or "?" in t):
        reasons.append(f"crisis signal: “{weak.group()}”")
        return "crisis", 2, scores, tuple(reasons)
    if spam and not abuse:
        return "spam", 0, scores, tuple(reasons)
    if misinfo and not question or (misinfo and re.search(r"\b(?:i heard|saw it|just saw)\b", t)):
        return "misinformation", 2, scores, tuple(reasons)
    if abuse and not positive_context:
        return "abuse", 2, scores, tuple(reasons)
    if sarcasm:
        reasons.append(f"sarcasm: “{sarcasm.group()[:60]}”")
        return "complaint", 2 if serious else 1, scores, tuple(reasons)
    if (complaint or serious) and not positive_context:
        mixed_positive = PRAISE.search(t)
        # "shame this wasn't recorded, but thanks for the slides": praise with a small regret
        if mixed_positive and compound >= 0.5 and not serious:
            return "praise", 0, scores, tuple(reasons)
        return "complaint", 2 if serious else 1, scores, tuple(reasons)
    if question:
        return "question", 0, scores, tuple(reasons)
    if compound <= -0.4 and not positive_context:
        reasons.append(f"negative sentiment ({compound:+.2f})")
        return "complaint", 2 if serious else 1, scores, tuple(reasons)
    if GREETING.search(t):
        return "neutral", 0, scores, tuple(reasons)
    if positive_context or compound >= 0.3 or PRAISE.search(t):
        return "praise", 0, scores, tuple(reasons)
    return "neutral", 0, scores, tuple(reasons)
