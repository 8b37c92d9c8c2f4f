"""Triage on comments written for these tests (none taken from the dev data or the training corpus).

Triage is learned, so a single comment may go either way; these tests hold it to an accuracy
over fixed cases (with every miss in the failure message) and to the rules that must always hold:
escalation exactly for the four escalated categories, severity 0 exactly when not escalated, the
audience bump.
"""
from __future__ import annotations


from onevoice.triage import CATEGORIES, ESCALATE, triage, triage_batch
from onevoice.triage.sentiment import negative_probability

CASES = [
    # complaints, incl. sarcasm, terse negativity, emoji-only anger and other languages
    ("Fantastic work crashing the payment page again 👏 second day in a row", "complaint"),
    ("Oh great, another webinar I can't join because the link doesn't work", "complaint"),
    ("meh", "complaint"),
    ("👎", "complaint"),
    ("🤬", "complaint"),
    ("I paid in March and still no receipt. Nobody replies to my emails.", "complaint"),
    ("El formulario de inscripción no funciona desde ayer.", "complaint"),
    ("Le lien du webinaire ne fonctionne pas, c'est décevant.", "complaint"),
    ("Das Video funktioniert nicht auf dem Handy.", "complaint"),
    ("O site não funciona e ninguém responde.", "complaint"),
    ("Il modulo non funziona, che delusione.", "complaint"),
    # praise, incl. negative words in a positive sense
    ("This paper kills the myth that wheeze always means asthma. Must read.", "praise"),
    ("sick presentation, the airway slides were 🔥", "praise"),
    ("the coffee-break cartoon is killing me 😂", "praise"),
    ("Your new family leaflet is terribly good, thank you!", "praise"),
    ("Gracias por el curso, ¡excelente!", "praise"),
    # abuse and threats
    ("You are a bunch of incompetent idiots.", "abuse"),
    ("What a pathetic excuse for a society 🤡", "abuse"),
    ("I hope your headquarters burns down", "abuse"),
    # misinformation about the organization
    ("IPALA is funded by the sugar industry, look it up.", "misinformation"),
    ("IPALA recommends skipping the measles jab, saw it on their page", "misinformation"),
    # crisis signals of each kind
    ("Your newsletter went out with every member's home address in it. Data breach?", "crisis"),
    ("Your post leaked members' phone numbers", "crisis"),
    ("You posted a photo of my daughter from the clinic without my consent.", "crisis"),
    ("My lawyer will contact you about this defamatory post.", "crisis"),
    ("Reporter at the Morning Courier here, can your press office call me about the allegations?", "crisis"),
    ("Someone is impersonating IPALA and asking members for card details by DM.", "crisis"),
    ("Is it true your CEO was arrested for embezzlement?", "crisis"),
    # questions, neutral, spam
    ("Where do I download my CME certificate?", "question"),
    ("Is that rumour about the congress moving to Rome true?", "question"),
    ("See you all in Porto!", "neutral"),
    ("ok, noted", "neutral"),
    ("Make $300 a day from home!!! DM me now", "spam"),
    ("Buy 5k followers for $9, real accounts, link in bio", "spam"),
]


def test_categories_of_hand_written_comments():
    results = triage_batch([{"text": text} for text, _ in CASES])
    misses = [(text, want, t.category) for (text, want), t in zip(CASES, results) if t.category != want]
    assert len(misses) <= len(CASES) * 0.25, misses  # 7 of 33 missed when this was written
    wrong_side = [(text, want, t.category) for (text, want), t in zip(CASES, results)
                  if t.escalate is not (want in ESCALATE)]
    assert len(wrong_side) <= len(CASES) * 0.2, wrong_side
    for t in results:
        assert t.escalate is (t.category in ESCALATE)
        assert (t.severity == 0) is (not t.escalate)
        assert 0 <= t.severity <= 3


SEVERITIES = [
    ("The audio in today's session was awful.", 1),                      # minor negative feedback
    ("Your receptionist was rude and I want a refund.", 2),               # serious complaint
    ("You clowns 🤡", 2),                                                  # abuse
    ("IPALA secretly supports the tobacco lobby.", 2),                    # misinformation
    ("Members' phone numbers were leaked in your spreadsheet.", 3),        # data leak
    ("I'm taking legal action against you.", 3),                          # legal threat
    ("Your account has been hacked, it's posting crypto links.", 3),      # security incident
    ("I know where you work. Watch your back.", 3),                       # threat of violence
    ("Thanks for the great course!", 0),
]


def test_severities_of_hand_written_comments():
    results = triage_batch([{"text": text} for text, _ in SEVERITIES])
    misses = [(text, want, t.severity) for (text, want), t in zip(SEVERITIES, results) if t.severity != want]
    assert len(misses) <= 3, misses
    assert all(abs(t.severity - want) <= 1 for (_, want), t in zip(SEVERITIES, results)), misses


def test_followers_bump_raises_by_one_and_caps_at_three():
    for text, _ in SEVERITIES:
        small, big = triage(text, 200), triage(text, 150_000)
        assert small.category == big.category
        if small.escalate:
            assert big.severity == min(3, small.severity + 1)
            assert (big.severity > small.severity) is any("audience" in r for r in big.reasons)
        else:
            assert big.severity == small.severity == 0  # not escalated: no bump
        assert triage(text, None).severity == small.severity


def test_result_shape_and_reasons():
    t = triage("Someone posted a patient's x-ray with the name visible on your page")
    assert t.category == "crisis" and t.reasons and all(isinstance(r, str) for r in t.reasons)
    assert set(t.scores) >= {"negative", "complaint", "abuse", "crisis", "spam"}
    assert all(0.0 <= v <= 1.0 for v in t.scores.values())
    assert t.category in CATEGORIES
    assert t.to_dict()["reasons"] == list(t.reasons)


def test_obfuscated_abuse_is_found():
    assert triage("you're all id\u200biots").category == "abuse"
    assert triage("sh1t organisation").escalate  # abuse or complaint: either reaches the chair


def test_empty_and_batch():
    assert triage("").category == "neutral" and triage("").severity == 0
    assert triage(" \n").category == "neutral"
    texts = [text for text, _ in CASES[:8]]
    batch = triage_batch([{"text": t} for t in texts])
    assert [b.to_dict() for b in batch] == [triage(t).to_dict() for t in texts]  # a batch decides as one by one


def test_learned_sentiment_reads_plain_negative_prose():
    assert negative_probability("a dull, overlong film that never finds its footing") > 0.5
    assert negative_probability("a warm, funny and moving film") < 0.5
