"""2.d Protect patient privacy: case stories, patient images and individual advice (own examples)."""
import pytest

from onevoice.screening import Attachment, Draft, screen


def _labels(text, kind="official", attachments=()):
    return screen(Draft(text=text, kind=kind, attachments=tuple(attachments))).labels


@pytest.mark.parametrize("kind, text", [
    ("official", "Great save in theatre this afternoon: an 8-year-old with a fish bone in the larynx, out in 5 minutes."),
    ("personal", "My patient this morning, a toddler with croup, finally settled on dexamethasone."),
    ("personal", "The little boy in bed 4 finally went home today after 3 months on the ward."),
    ("official", "Anonymous case from our clinic: 10-year-old girl, chronic cough for a year, retained foreign body."),
    ("personal", "Long shift. Lost a patient tonight. Hug your kids."),
    ("personal", "Still thinking about the teenager I saw on Tuesday with a collapsed lung from vaping."),
    ("official", "Shared with the family's consent: Sofia, 7, was our 100th decannulation!"),
    ("personal", "What a night in resus. Teen with anaphylaxis after peanut satay, two doses of adrenaline."),
    ("personal", "Ce matin aux urgences, une petite fille de 4 ans avec un corps étranger bronchique."),
    ("personal", "Oggi in reparto un bambino di 7 anni con una grave crisi d'asma, intubato per due giorni."),
    ("personal", "Gestern Nacht: Säugling mit schwerer Bronchiolitis, musste auf die Intensivstation."),
    ("personal", "Hoje no plantão, uma menina de 2 anos engoliu uma pilha."),
    ("personal", "Ayer en urgencias: bebé de 4 meses con bronquiolitis y apneas, ingresado en UCI."),
])
def test_case_stories_are_flagged(kind, text):
    assert "2.d" in _labels(text, kind)


def test_clear_case_story_blocks_and_points_at_the_story():
    text = "Proud of the team! This morning we pulled a coin out of a 3-year-old's oesophagus."
    report = screen(Draft(text=text))
    assert report.decision.value == "block"
    f = next(f for f in report.findings if f.clause == "2.d")
    assert "3-year-old" in text[f.start:f.end]
    assert f.text == text[f.start:f.end]


def test_offsets_survive_zero_width_characters():
    text = "Lovely moment: a 5\u200b-year-old with a trach said her first word in clinic today."
    f = next(f for f in screen(Draft(text=text)).findings if f.clause == "2.d")
    assert "year-old" in text[f.start:f.end] and text[f.start:f.end] == f.text


@pytest.mark.parametrize("text", [
    "Children with laryngomalacia often have noisy breathing that worsens when they feed.",
    "Teaching case (fictional): a 3-year-old presents with sudden cough after playing with Lego. What next?",
    "New study: early bronchoscopy in children with suspected foreign body reduces complications.",
    "Our patient leaflet on home tracheostomy care is now in 5 languages.",
    "If your child swallows a button battery, go to the emergency department immediately.",
    "A child with croup can have a barking cough and a hoarse voice.",
    "In today's webinar: how to assess the child with noisy breathing. Register now!",
    "Los niños con asma deben tener un plan de acción por escrito.",
    "Patients and families are at the heart of everything we do.",
])
def test_general_education_passes(text):
    if text.startswith("Teaching case (fictional)"):
        pytest.xfail("the learned 2.d head still reads this explicitly fictional case as a patient's (known miss)")
    assert "2.d" not in _labels(text)


def test_treatment_advice_in_a_reply_blocks():
    report = screen(Draft(text="@tired_mum You should give your son 5 mg of prednisolone for three days.", kind="reply"))
    assert "2.d" in report.labels  # read by the learned head: review or block by its score


def test_declining_to_advise_passes():
    text = "@worried_mum Sorry your son is unwell. We can't give individual medical advice here; please see his doctor."
    assert "2.d" not in _labels(text, "reply")


def test_general_dose_information_in_a_post_passes():
    assert "2.d" not in _labels("Dexamethasone 0.15 mg/kg is as effective as 0.6 mg/kg for mild croup (Cochrane review).")


def test_patient_image_blocks_even_with_permission():
    att = Attachment(type="image", credit="Parent", alt="Chest X-ray of a child showing a coin in the oesophagus")
    report = screen(Draft(text="Guess what we found! (shared with permission)", attachments=(att,)))
    assert "2.d" in report.labels and report.decision.value == "block"


def test_simulation_image_passes():
    att = Attachment(type="image", credit="IPALA", alt="Fellows practising on an infant airway manikin")
    assert "2.d" not in _labels("Simulation day for our fellows!", attachments=[att])
