"""What every layer shares: the vocabulary (``vocabulary.py``) and the shapes declared once (``gap_row.py``)."""
