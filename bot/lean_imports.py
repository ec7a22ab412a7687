"""Keep TensorFlow out of processes that do not need it.

spaCy's machine-learning library (thinc) imports TensorFlow whenever it is installed
(it is, for Rasa): ~600 MB resident and a few seconds of start-up in every process
that only uses spaCy's rule Matcher to find and mask personal data (the gateway and
the action server). Marking the module as absent before spaCy is imported makes
thinc take its "no TensorFlow" path; nothing in those processes uses TensorFlow.
"""

from __future__ import annotations

import sys


def keep_tensorflow_out() -> None:
    """Call first thing in a process's entry point, before spaCy is imported."""
    if "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]  # `import tensorflow` -> ImportError
