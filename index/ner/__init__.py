"""Shipped named-entity model (CRF + word lists), built by scripts/train_ner.py."""
