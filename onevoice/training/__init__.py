"""Building the learned heads (``onevoice model train``); never imported at run time.

    corpus.py   the drafts and comments written for this project (``corpus/``), validated
    public.py   the public real-tweet sets in ../shared/data, with their fixed held-out splits
    fit.py      logistic regression, cross-validation, calibration and threshold choice
    screening.py, triage.py   the two head sets, their cross-validated figures and files
    validate.py the validation sets (policy-cases dev): never trained on, only a gate

Needs the ``train`` extra (scikit-learn, scipy); the heads it writes need only numpy.
"""
