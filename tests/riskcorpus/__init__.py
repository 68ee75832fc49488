"""A labelled corpus of synthetic changes for the risk rules: each mirrors a framework's real layout.

`cases.CASES` is the table (one `Case` per change: its diff, each file's expected kind, and the floor a
reviewer would give the change); `builders` writes well-formed unified diffs; `metrics` scores the
rules against the labels (recall of structural floors, docs/tests recall and precision, false-high
on low changes, medium/high changes called low). tests/test_risk_corpus.py checks every case and the
goals; bench/risk_corpus.py prints the figures.
"""
