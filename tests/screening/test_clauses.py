"""Each clause of section 2 on sentences written for these tests (not taken from the dev data nor
the training corpus): what must be flagged, the compliant near-misses that must not be, and where
the spans point.

Most clauses are decided by the learned heads, so the engine is held to an accuracy over these
cases (every miss is in the failure message), and to what must hold for every finding."""
from __future__ import annotations

from onevoice.screening import Draft, default_engine, screen

CASES = [
    # 2.a personal information
    ("official", "Our new treasurer Dr. Jan Kowalski can be reached on his private number 07700 900123.", {"2.a"}, "07700 900123"),
    ("official", "Send your condolences to Maria's family at 12 Orchard Lane, Bexley DA5 1AB.", {"2.a"}, "12 Orchard Lane"),
    ("official", "Get well soon to our secretary Lena, who is recovering from a hip replacement!", {"2.a"}, "hip replacement"),
    ("official", "Email our past president at p.nguyen.home@example.co.uk to say thanks", {"2.a"}, "p.nguyen.home@example.co.uk"),
    ("official", "Tickets from our volunteer Sam: call five five five, zero one two three.", {"2.a"}, "five five five, zero one two three"),
    ("official", "Raffle winner: DOB 12/03/1979, passport X1234567, please collect.", {"2.a"}, "12/03/1979"),
    ("official", "Registration desk opens 08:00 in Hall B, Room 214. Abstract #3412 is in session 5.", set(), None),
    ("official", "Contact the secretariat at info@ipala.org or +44 20 7946 0018.", set(), None),
    ("official", "Venue: Grand Riverside Hotel, 200 Quay Street, Manchester M3 3HL.", set(), None),
    ("official", "Read it at doi:10.5555/abc.2024.5551234 or ISBN 978-3-555-01234-7. Meeting ID 876 5432 1098.", set(), None),
    ("official", "In 1921 Franklin D. Roosevelt contracted a paralytic illness; his story shaped vaccine research.", set(), None),
    # 2.b approved information
    ("official", "Confidential: the board is considering a merger with EuroAirway. Do not share yet.", {"2.b"}, None),
    ("official", "Wi-Fi at the congress: network IPALA-GUEST, password: Trach2026!", {"2.b"}, "password: Trach2026!"),
    ("official", "Preliminary results (embargoed until Friday): steroid arm showed 30% fewer reintubations.", {"2.b"}, None),
    ("official", "Keep your account safe: never share your password with anyone.", set(), None),
    ("official", "The council's decision on the 2027 venue is now published on our website.", set(), None),
    ("official", "Our confidential helpline for families is open every evening.", set(), None),
    # 2.c attribution
    ("official", "\"The art of medicine consists of amusing the patient while nature cures the disease.\" Have a great weekend!", {"2.c"}, None),
    ("official", "\"The art of medicine consists of amusing the patient while nature cures the disease.\" — Voltaire", set(), None),
    ("official", "Here's the entire textbook as a free PDF, enjoy!", {"2.c"}, None),
    # 2.d patient privacy
    ("official", "This morning we removed a coin from a 4-year-old's oesophagus. Great job team!", {"2.d"}, None),
    ("personal", "Night shift: a 7 week old with RSV needed CPAP at 3am. Exhausted.", {"2.d"}, None),
    ("reply", "@mum_of_three Sounds like croup — give him 0.15 mg/kg dexamethasone tonight.", {"2.d"}, None),
    ("official", "Hoy operamos a un niño de 5 años con una estenosis subglótica. ¡Todo salió bien!", {"2.d"}, None),
    ("official", "Infants with laryngomalacia usually improve by 18 months without surgery.", set(), None),
    ("official", "Teaching case (fictional): a 2-year-old presents with sudden stridor after eating nuts. Next step?", set(), None),
    ("official", "Magnets can tear a child's bowel within hours if two are swallowed. Keep them away from toddlers.", set(), None),
    # 2.e professional boundaries
    ("official", "What a bunch of morons at the ministry.", {"2.e"}, "morons"),
    ("official", "This new app is the sh!t, download it now", {"2.e"}, "sh!t"),
    ("reply", "@dr_x honestly, go back to medical school 🙄", {"2.e"}, "🙄"),
    ("official", "Scunthorpe General hosts our regional skills day. Assessment forms online.", set(), None),
    ("official", "Our keynote absolutely killed it today 🔥 what a talk, and a killer line-up tomorrow", set(), None),
    # 2.f individual opinions (personal posts only)
    ("personal", "As IPALA we demand that the ministry reverses this cut.", {"2.f"}, "As IPALA we demand"),
    ("personal", "Speaking on behalf of IPALA: this policy is wrong.", {"2.f"}, None),
    ("personal", "Au nom de l'IPALA, nous dénonçons cette décision.", {"2.f"}, None),
    ("official", "As IPALA we demand that the ministry reverses this cut.", set(), None),
    ("personal", "I'm proud to be an IPALA member. My own view: the new guideline is too cautious.", set(), None),
    # 2.g employer's policies
    ("personal", "Leaked from our hospital's board meeting: they will close the day unit in May. Not public yet.", {"2.g"}, None),
    ("personal", "On behalf of Northfield Hospital I can confirm the clinic will move next year.", {"2.g"}, None),
    ("personal", "Great to see Northfield Hospital open its new wing today (press release linked).", set(), None),
]


ATTACHED = [
    ({"text": "Amazing photo of the Alps to start your week", "attachments": [
        {"type": "image", "credit": None, "alt": "Mountain photo found on Instagram, photographer unknown"}]}, {"2.c"}),
    ({"text": "Our team at the charity run!", "attachments": [
        {"type": "image", "credit": None, "alt": "Group of runners in IPALA shirts"}]}, set()),
    ({"text": "Lovely cartoon 😂", "attachments": [{"type": "image", "credit": "@inkdoc", "alt": "Cartoon of a nurse"}]}, set()),
]


def test_clauses_of_hand_written_drafts():
    drafts = [Draft.from_dict({"text": text, "kind": kind}) for kind, text, _, _ in CASES]
    drafts += [Draft.from_dict(d) for d, _ in ATTACHED]
    wants = [want for _, _, want, _ in CASES] + [want for _, want in ATTACHED]
    reports = default_engine().screen_many(drafts)
    misses = [(d.text, sorted(w), r.labels) for d, w, r in zip(drafts, wants, reports) if set(r.labels) != w]
    # 12 of 46 were wrong when this was written (short near-misses; see BENCHMARKS.md): a floor, not a goal
    assert len(misses) <= len(wants) * 0.3, misses
    compliant_blocked = [d.text for d, w, r in zip(drafts, wants, reports) if not w and r.decision.value == "block"]
    assert len(compliant_blocked) <= 5, compliant_blocked
    for d, r in zip(drafts, reports):
        for f in r.findings:
            assert d.text[f.start:f.end] == f.text and f.fix and f.explanation
            assert f.text or f.evidence  # a finding without a span says where its evidence is
    for (kind, text, want, span), r in zip(CASES, reports):
        if span and set(r.labels) == want:
            assert any(span in f.text or f.text in span for f in r.findings if f.text), (text, r.findings)


def test_patient_image_from_attachment_description():
    r = screen({"text": "Look at this!", "attachments": [
        {"type": "image", "credit": "Dr. B", "alt": "X-ray of a child's chest with a swallowed coin"}]})
    assert "2.d" in r.labels and r.decision.value == "block"


def test_employer_pack_adds_its_own_rules(tmp_path):
    from onevoice.policy import load_pack
    from onevoice.screening import Engine

    engine = Engine(load_pack("ipala", employers=("hospital-generic",)))
    text = "Our hospital's staffing levels on nights are a scandal, the rota is impossible."
    with_pack = engine.screen(Draft(text=text, kind="personal"))
    assert any(f.rule == "2.g-hospital-internal" for f in with_pack.findings)
    assert not any(f.rule == "2.g-hospital-internal" for f in screen({"text": text, "kind": "personal"}).findings)
