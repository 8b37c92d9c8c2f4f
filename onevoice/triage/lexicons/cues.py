"""Hand-written cue lexicons for comment triage (3. Crisis management).

Written for onevoice from general knowledge of how people complain, abuse, spread rumours, raise
alarms and spam on social media, in the members' languages (EN, ES, FR, DE, PT, IT). Each entry
is a regular-expression fragment matched on whole words of the lower-cased, de-obfuscated text
(onevoice.screening.normalize's ``words`` view). Nothing here was fitted to a data set.
"""
from __future__ import annotations

CHILD = r"(?:son|daughter|child|kid|baby|boy|girl|toddler|infant|newborn|grandson|granddaughter|patient|hijo|hija|bebé|enfant|fils|fille|sohn|tochter|filho|filha|figlio|figlia|bambino|bambina)"
ORG = (r"(?:ipala|you(?:r)? (?:people|lot|organi[sz]ation|association|society|board|council|committee)|"
       r"this (?:organi[sz]ation|association|society)|they|the association|your (?:president|treasurer|chair|ceo|board))")

# --- crisis signals (severity 3 unless marked otherwise) -------------------------------------------------
CRISIS = {
    "data leak": [
        r"data (?:leak|breach)\w*", r"leak(?:ed|s|ing)?", r"breach(?:ed)?",
        r"(?:other (?:members|people|patients|parents|attendees)'?s?|everyone'?s|members'?) (?:names|e-?mails?|emails? addresses|"
        r"phone numbers?|numbers|addresses|details|data|personal (?:data|details|information))",
        r"(?:e-?mails?|addresses|names) (?:are|were) (?:visible|showing|exposed|public)", r"everyone can see (?:everyone|all|our|my)",
        r"exposed (?:my|our|members'?|patients'?) (?:data|details|information|emails?|addresses)",
        r"fuite de données", r"filtración de datos", r"vazamento de dados", r"datenleck", r"datenpanne", r"fuga di dati",
    ],
    "leaked internal material": [
        r"(?:posted|shared|published|leaked|tweeted) (?:the |our |your |an? )?(?:internal|confidential|draft|private|unpublished)\b[\w ]{0,20}",
        r"(?:posted|shared|published|leaked) (?:the |our |your )?(?:budget|minutes|board papers|salaries|memo|contract)",
        r"(?:supposed|meant) to be (?:public|private|confidential|internal)",
    ],
    "patient harm": [
        rf"(?:harmed|injured|hurt|died|dead|death|killed|murdered|paraly[sz]ed|brain damage)\b[^.!?]{{0,60}}\b{CHILD}",
        rf"{CHILD}(?:'s)?\b[^.!?]{{0,60}}\b(?:was harmed|got hurt|was injured|died|is dead|in (?:the )?(?:hospital|icu|intensive care)|"
        rf"hospitali[sz]ed|nearly died|almost died|was misdiagnosed)",
        r"malpractice", r"medical negligence", r"negligencia", r"négligence", r"kunstfehler", r"negligência", r"negligenza",
        r"murdered (?:my|our)", r"killed (?:my|our) (?:son|daughter|child|baby|kid)",
    ],
    "privacy breach": [
        r"privacy (?:violation|breach|invasion|issue)", r"violat\w+ (?:my|our|his|her|their|patient) privacy",
        rf"(?:my|our|a|the) {CHILD}'?s? (?:photo|picture|image|face|x-?ray|scan|name|medical details|records?|story)\b[^.!?]{{0,40}}\b"
        r"(?:without|no consent|posted|shared|used|online)",
        rf"used (?:my|our) {CHILD}'?s? (?:photo|picture|image|face|name|story)",
        r"without (?:my |our |their |his |her |the (?:family'?s?|parents'?) )?(?:consent|permission|asking)",
        r"patients?'?s? (?:photos?|pictures?|images?|x-?rays?|scans?|names?|details|data|records)\b[^.!?]{0,30}\b(?:posted|shared|visible|online|on your)",
        r"(?:posted|shared|published|showing) (?:a |the )?(?:hospital'?s? )?patients?'?s? (?:photos?|pictures?|images?|x-?rays?|scans?|names?|details|records)",
        r"name (?:is )?(?:visible|readable|showing)", r"sharing (?:a|my|our) (?:child|kid|patient)'?s? (?:medical|health)",
        r"obviously (?:my|our) (?:son|daughter|child|kid|baby)", r"(?:that|it) (?:was|is) (?:clearly )?(?:my|our) (?:son|daughter|child|kid|baby)\b",
        r"take (?:it|this|that|the post|the photo) down", r"patientenfotos?", r"sin (?:mi )?consentimiento", r"sans (?:mon |notre )?consentement",
        r"ohne (?:meine |unsere )?(?:einwilligung|zustimmung|erlaubnis)", r"sem (?:o meu |meu )?consentimento", r"senza (?:il mio )?consenso",
    ],
    "legal threat": [
        r"lawyers?", r"attorneys?", r"solicitors?", r"legal action", r"sue|suing|sued", r"lawsuit", r"(?:see you|take you) (?:in|to) court",
        r"defamat\w+", r"libel(?:lous)?", r"cease and desist", r"report(?:ing)? (?:you|this|ipala) to (?:the )?(?:regulator|police|authorities|gmc|ico)",
        r"abogados?", r"demanda(?:r|ré)?", r"avocats?", r"porter plainte", r"anwalt|anwältin|rechtsanwalt", r"klage|verklagen",
        r"advogad[oa]s?", r"processar", r"avvocat[oi]", r"querela", r"denunciar(?:é)?", r"denunciarvi",
    ],
    "press enquiry": [
        r"journalist", r"reporter", r"press (?:enquiry|inquiry|request|office)", r"request for comment",
        r"(?:comment|statement) on (?:the )?(?:reports?|allegations?|claims?)", r"(?:writing|working on) (?:a|an) (?:story|article|piece)",
        r"for (?:a|an|my) (?:story|article|piece|report) (?:on|about)", r"on the record", r"periodista", r"journaliste", r"jornalista", r"giornalista",
        r"(?:the )?(?:bbc|cnn|reuters|guardian|nyt|times|ap news) (?:is|are) (?:asking|calling|reporting)",
    ],
    "account compromise or impersonation": [
        r"hacked", r"hackers?", r"phishing", r"impersonat\w+", r"fake (?:account|profile|page|ipala)",
        r"(?:account|password|page|e-?mail|site|website|login|portal) (?:was |has been |is |got )?compromised",
        r"(?:asking|asked|asks) (?:me )?for (?:my )?(?:\w+ )?(?:password|passcode|pin|login|credentials|card details|card number|bank details)",
        r"(?:account|page) (?:was |has been |got )?(?:hijacked|taken over)", r"scam (?:dm|email|e-mail|message|account)",
        r"pretending to be (?:ipala|you)", r"someone (?:is )?posing as",
    ],
    "scandal": [
        r"arrested", r"(?:for|committed|guilty of|charged with) (?:fraud|embezzlement|bribery)", r"embezzl\w+", r"bribe(?:s|ry|d)?", r"kickbacks?",
        r"protect(?:s|ing|ed)? (?:abusers?|predators?|harassers?)", r"abusers?", r"predators?",
        r"(?:is|are|was) (?:a |an )?(?:racist|sexist|homophobic|misogynist|predator)", r"sexual(?:ly)? harass\w*", r"harass(?:ment|ed|ing)",
        r"misconduct", r"scandal\w*", r"cover(?:ed|ing)?[- ]up", r"i have (?:the )?(?:screenshots|receipts|proof|evidence)",
        r"escándalo", r"scandale", r"skandal", r"escândalo", r"scandalo",
    ],
}
# Possible incidents, weaker evidence: severity 2.
CRISIS_WEAK = [
    r"privacy", r"consent (?:was )?(?:obtained|given)", r"(?:was|did you get|do you have) (?:the )?(?:parents'? |family'?s? )?consent",
    r"(?:hashtag|tag) (?:is )?(?:trending|hijacked|taken over)", r"trending with", r"hijack\w*",
    r"is (?:that|this) (?:supposed|meant|allowed) to be (?:public|shared|posted)", r"should(?:n'?t| not) (?:this|that) be (?:private|confidential)",
    r"confidential\b[^.!?]{0,40}\b(?:posted|shared|public)", r"(?:posted|shared)\b[^.!?]{0,40}\bconfidential",
    r"is this (?:dm|message|email|account) (?:legit|real|from you)", r"datenschutz", r"vie privée", r"privacidad", r"privacidade", r"riservatezza",
    r"(?:members|attendees|participants|delegates) (?:were |got )?(?:injured|hurt|robbed|stranded|evacuated|sick)", r"food poisoning", r"evacuated",
]
THREAT = [
    r"burn(?:s|ed)? (?:it |this |the place )?down", r"(?:you|they) (?:will|'ll|are going to|gonna) pay", r"you'll pay",
    r"watch your back", r"i know where (?:you|she|he|they) (?:live|work)", r"(?:going to|gonna|will|i'll) (?:hurt|kill|shoot|stab|find) (?:you|them|him|her)",
    r"kill (?:you|them|him|her|yourselves)", r"bomb (?:threat|you|the|your)", r"(?:plant|send) a bomb", r"shoot (?:you|up)", r"die in a fire", r"hope (?:you|they) (?:all )?(?:die|burn|rot)",
    r"hope your (?:office|building|house|headquarters) (?:burns|explodes|collapses)", r"te voy a matar", r"je vais vous tuer", r"ich bring (?:euch|dich) um",
]

# --- abuse -------------------------------------------------------------------------------------------------
ABUSE = [
    r"idiots?", r"morons?", r"imbeciles?", r"stupid(?! question)", r"dumb(?! question)", r"clowns?", r"frauds", r"you'?re (?:all )?(?:a )?frauds?", r"shills?",
    r"liars?", r"crooks?", r"scum", r"garbage", r"trash", r"pathetic", r"disgusting", r"corrupt\w*", r"joke of an?", r"what a joke",
    r"shut up", r"nobody asked", r"go to hell", r"get lost", r"losers?", r"elitists?", r"ivory towers?", r"should be ashamed",
    r"terrible (?:person|people|human|teacher|doctor)", r"worse person", r"incompetent (?:idiots|fools|clowns)", r"fools?",
    r"should (?:retire|resign|quit|be fired)", r"sellouts?",
    r"f[\*#@%u]ck\w*", r"fck\w*", r"fk off", r"wtf", r"shit\w*", r"sh[\*#]t", r"bullshit", r"bs", r"crap", r"damn you", r"bastards?", r"assholes?", r"a[\*\$]{1,2}holes?", r"dickheads?",
    r"idiotas?", r"imbéciles?", r"estúpid[oa]s?", r"corrupt[oa]s", r"vendid[oa]s", r"basura", r"payasos", r"mentiros[oa]s",
    r"connards?", r"crétins?", r"abrutis?", r"ordures?", r"guignols?", r"menteurs?", r"pourris",
    r"arschl\w+", r"idioten", r"vollidioten", r"lügner", r"verbrecher", r"heuchler", r"dummköpfe",
    r"palhaços", r"ladrões", r"mentirosos", r"cretini", r"buffoni", r"ladri", r"bugiardi", r"vergognatevi",
]
MILD_ABUSE = [r"ok boomer", r"cringe", r"lame", r"clowning", r"l+o+l+ ok"]
ABUSE_EMOJI = "🤡🤮🖕💩"

# --- misinformation about the organization ----------------------------------------------------------------
MISINFO = [
    rf"{ORG}\b[^.?!]{{0,30}}\b(?:endorses?|endorsed|recommends?|recommended|says|said|claims?|claimed|admitted|admits|"
    r"is (?:secretly )?funded by|are (?:secretly )?funded by|gets money from|takes money from|is owned by|is secretly|are secretly|"
    r"secretly|is hiding|are hiding|hides|covers up|sells?|is selling|is lobbying|lobbies|wants to ban|banned|supports|"
    r"is going bankrupt|is bankrupt|went bankrupt|is cancelling|is canceling|is shutting down|approved)\b",
    r"sells? (?:your|our|members'?) (?:data|details|information)", r"it'?s official:?",
    r"(?:vaccines?|masks?|inhalers?|steroids|screen ?time|wi-?fi|5g|fluoride|antibiotics) (?:cause|causes|caused) (?:asthma|autism|cancer|lung damage|infertility|sids)",
    r"ipala (?:dice|recomienda|afirma|dit|recommande|affirme|sagt|empfiehlt|behauptet|diz|recomenda|afirma|raccomanda|afferma)",
]
ASSERTION = [r"everyone knows", r"look it up", r"saw it", r"just saw", r"i heard", r"they said", r"wake up", r"do your (?:own )?research",
             r"they don'?t want you to know", r"dont trust", r"don'?t trust"]
GENUINE_QUESTION = [r"is (?:that|this|it) true", r"can (?:you|someone|anyone) confirm", r"any truth", r"is this real", r"rumou?r",
                    r"¿es verdad", r"c'est vrai", r"stimmt das", r"é verdade", r"è vero"]

# --- spam --------------------------------------------------------------------------------------------------
SPAM = [
    r"link in (?:my )?bio", r"check (?:out )?my (?:new )?(?:profile|blog|page|channel|website|site|shop|store|video|onlyfans)",
    r"\d{1,2}% off", r"buy (?:\d+k? )?(?:followers|likes|views|subscribers)", r"(?:cheap|free|real) (?:followers|likes|views)",
    r"followers (?:cheap|for \$?\d)", r"\d+k (?:followers|likes) for", r"crypto\w*", r"bitcoin", r"send \d[\d.]* (?:eth|btc)", r"nft", r"giveaway", r"airdrop",
    r"forex", r"earn \S?\d+", r"make (?:\$?\d+|money) (?:from home|online|fast|a day)", r"work from home",
    r"dm me(?: for| to| now|!|$)", r"whatsapp (?:us|me)", r"telegram (?:me|us)", r"promo code", r"discount code", r"shop now", r"click (?:here|the link)",
    r"limited (?:time )?offer", r"visit my", r"(?:essays?|thesis|dissertations?|assignments?|homework) written", r"learn to \w+ in \d+ days",
    r"\d+% guaranteed", r"guaranteed (?:results|income)", r"sugar (?:daddy|mommy)", r"free (?:iphone|gift card|pdf|download|tickets)",
    r"win an? (?:free )?(?:iphone|ipad|gift card|prize)", r"cheap (?:tickets|meds|pills|sunglasses|\w+ tickets)", r"designer (?:bags|sunglasses|watches)",
    r"superfoods?", r"weight loss (?:pills|tea|secrets?|fast)", r"follow (?:me|back) for follow", r"f4f", r"sub4sub",
]

# --- complaints --------------------------------------------------------------------------------------------
COMPLAINT = [
    r"(?:doesn'?t|does not|don'?t|didn'?t|can'?t|cannot|couldn'?t|won'?t|isn'?t|wasn'?t|never|still (?:doesn'?t|can'?t|won'?t)) "
    r"(?:even )?(?:work|load|arrive|open|log ?in|hear|respond|answer|download|access|find|register|pay|get|reach|see|play|connect|"
    r"send|show|load|receive|received)\w*",
    r"broken", r"awful", r"horrible", r"terrible", r"boring", r"ridiculous", r"hideous", r"ugly", r"frustrat\w+", r"disappoint\w*",
    r"unfair", r"not fair", r"sad", r"misleading", r"outdated", r"out of date", r"sold out", r"downhill", r"unsubscrib\w+", r"meh",
    r"waste of", r"useless", r"poor(?:ly)? (?:organi[sz]ed|quality|service|sound|audio)", r"worst", r"annoying", r"confusing", r"mess",
    r"please (?:moderate|stop|update|fix|respond|reply|correct|remove|delete|answer)", r"stop (?:tagging|spamming|sending|posting)",
    r"why (?:do|does|did|is|are|can'?t|won'?t|would|should) (?:you|u|ipala|the|this|they)", r"who approved", r"who thought",
    r"still (?:says|waiting|no|not|nothing|haven'?t|hasn'?t)", r"no (?:reply|response|answer|one (?:answers|replies|responds))",
    r"nobody (?:answers|replies|responds|cares)", r"need more", r"not enough", r"too (?:expensive|long|short|late|slow|small|loud|quiet)",
    r"(?:english|one language) only", r"only (?:in|speak) english", r"alt[- ]text", r"captions?", r"subtitles?", r"not accessible", r"screen reader",
    r"errors?", r"crash(?:es|ed|ing)?", r"(?:is|was|went) down", r"glitch\w*", r"lag(?:gy|ging)?",
    r"no funciona", r"no puedo", r"nadie (?:responde|contesta)", r"sigo esperando", r"llevo \w+ (?:días|semanas|meses)", r"vergonzoso", r"pésim[oa]",
    r"decepcion\w*", r"ne (?:fonctionne|marche) pas", r"toujours pas", r"pas (?:encore )?reçu", r"aucune réponse", r"inadmissible", r"honteux",
    r"déçue?s?", r"nul(?:le)?", r"funktioniert nicht", r"keine antwort", r"immer noch nicht", r"enttäuscht\w*", r"frustrierend", r"unmöglich",
    r"schlecht", r"(?:bitte )?korrigieren", r"widerspricht", r"falsch", r"não funciona", r"ninguém responde", r"ainda não", r"péssim[oa]",
    r"decepcionad[oa]", r"non funziona", r"nessuna risposta", r"ancora non", r"pessim[oa]", r"delus[oa]", r"vergogna",
]
# A serious complaint (severity 2 rather than 1).
SERIOUS = [
    r"refund\w*", r"remboursement", r"reembolso", r"rimborso", r"rückerstattung", r"charged (?:me )?twice", r"double[- ]charged", r"overcharged",
    r"rude", r"unprofessional", r"unacceptable", r"inaceptable", r"inacceptable", r"inakzeptabel", r"inaceitável", r"inaccettabile",
    r"ignor(?:e|es|ed|ing)", r"hypocrit\w*", r"hypocrisy", r"dangerous", r"(?:will|could|might) die", r"shame on you", r"honte", r"vergüenza",
    r"vergonha", r"schande", r"boycott\w*", r"fire (?:whoever|the person|your|them)", r"censor\w*", r"deleted my (?:comment|post|reply)",
    r"(?:third|fourth|fifth|\d+(?:rd|th)) time", r"(?:three|four|five|several|\d+) (?:weeks|months|times)", r"trois mois", r"tres (?:semanas|meses)",
    r"zero (?:reply|replies|response|answer)", r"discriminat\w+", r"exclud\w+", r"excluye", r"racist policy",
    r"paid by", r"conflicts? of interest", r"coi", r"in the pocket of", r"bought by", r"posting (?:about )?this everywhere", r"tell everyone",
    r"(?:silent|silence) (?:on|about)", r"se taise", r"schweigt", r"silencio (?:sobre|ante)", r"cancel(?:ling|led)? my membership",
]
# Regret inside praise ("shame it wasn't recorded, but thanks") is not a complaint.
REGRET = [r"shame (?:this|it|that|i|we)", r"pity", r"too bad", r"wish (?:i|we) could", r"sad (?:i|we) missed", r"(?:was|were) sad to miss"]
ANGRY_EMOJI = "👎🤬😡😤😠🙄😒💢😴🥱😩😞😑💀"

# Sarcastic praise.
SARCASM = [
    r"(?:great|good|nice|fantastic|brilliant|wonderful|amazing|awesome|lovely|superb|stellar|excellent|well) (?:job|work|done|move|going)\b"
    r"[^.!?]{0,40}\b(?:los(?:e|ing|t)|again|break(?:ing)?|broke|crash\w*|down|fail\w*|forg[eo]t\w*|ignor\w*|delay\w*|cancel\w*|mess\w*|ruin\w*)",
    r"outdid yourselves", r"thanks for nothing", r"thank you for nothing", r"wow,? (?:just )?wow", r"slow clap", r"yeah,? right",
    r"very (?:\d{4}|professional|classy|mature|inclusive) of (?:you|ipala)", r"(?:just|exactly) what (?:we|i) needed,? (?:another|more)",
    r"oh,? (?:great|wonderful|perfect)", r"love (?:how|that) (?:i|we) (?:have to|still|can'?t|never)", r"so helpful\b[^.!?]{0,20}\bnot",
    r"bravo\b[^.!?]{0,20}🙄", r"quel professionnalisme", r"qué profesionalidad", r"bravo,? vraiment", r"gran trabajo\b[^.!?]{0,30}\botra vez",
]

# Negative words used in a positive sense.
POSITIVE_IDIOM = [
    r"kill(?:s|ed|ing)? the myth", r"killing it", r"killing me", r"killed it", r"killer (?:line-?up|talk|session|keynote|app|slides|content|speakers?|programme|program)",
    r"sick (?:presentation|talk|keynote|session|slides|content|work|line-?up|video|infographic|thread)", r"(?:was|is|looks) sick\b[^.!?]{0,20}(?:best|love|🔥|🤘)",
    r"slaps", r"terribly (?:good|useful|helpful|important)", r"insanely (?:good|useful|helpful)", r"ridiculously (?:good|useful|helpful)",
    r"crazy (?:good|useful)", r"wicked (?:good|smart)", r"absolute (?:legends?|unit|gem)", r"nailed it", r"crush(?:ed|ing) it", r"bad-?ass", r"dope",
    r"this is fire", r"(?:is|was) fire\b", r"no cap", r"so bad it'?s good", r"scary good", r"brutally honest", r"can'?t stop laughing",
    r"dying\b[^.!?]{0,10}😂", r"i'?m dead\b[^.!?]{0,10}😂", r"too real", r"beast mode",
]
PRAISE = [
    r"thank(?:s| you)", r"thx", r"merci", r"gracias", r"danke", r"obrigad[oa]", r"grazie", r"congrat\w*", r"felicidades", r"felicita\w*",
    r"félicitations", r"glückwunsch", r"parabéns", r"complimenti", r"bravo", r"brilliant", r"fantastic", r"excellent", r"excelente", r"eccellente",
    r"great", r"love[ds]?", r"loving", r"best", r"proud", r"amazing", r"awesome", r"wonderful", r"perfect", r"useful", r"helpful", r"legends?",
    r"magnifique", r"passionnant", r"génial", r"ótim[oa]s?", r"tolle?", r"super", r"agree", r"kind", r"inspiring", r"well done", r"beautiful",
    r"genial", r"genius", r"life-?savers?", r"can'?t wait", r"increíble", r"maravilhos[oa]", r"bellissim[oa]", r"fantastisch", r"hervorragend", r"sehr gut", r"muy bien", r"impressive", r"superb",
]
PRAISE_EMOJI = "💙❤😍🥰🙌🎉👏💯🔥😊🙏👍🤩💪🌟✨🤘"
GREETING = [
    r"good (?:morning|afternoon|evening|night)", r"hello", r"hi", r"hey", r"greetings", r"buenos días", r"buenas (?:tardes|noches)", r"bonjour",
    r"bonsoir", r"salut", r"guten (?:morgen|tag|abend)", r"hallo", r"buongiorno", r"buonasera", r"ciao", r"bom dia", r"boa (?:tarde|noite)", r"olá",
]
QUESTION_START = [
    r"how", r"when", r"where", r"what", r"which", r"who", r"why", r"is", r"are", r"can", r"could", r"will", r"would", r"do", r"does", r"did",
    r"should", r"anyone", r"any", r"¿", r"quel(?:le)?s?", r"quand", r"comment", r"où", r"est-ce", r"wann", r"wie", r"wo", r"gibt", r"kann",
    r"cómo", r"cuándo", r"dónde", r"habrá", r"hay", r"puedo", r"quando", r"como", r"onde", r"posso", r"qual", r"dove", r"c'è",
]
