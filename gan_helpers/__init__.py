"""Helpers for the GAN coursework notebooks: data, models, training, plotting, assessment.

Importing the package imports TensorFlow once, quietly. Its native libraries log as they load ("All log
messages before absl::InitializeLog() is called are written to STDERR", "Could not find cuda drivers on
your machine...") straight to the process's stderr, ahead of ``TF_CPP_MIN_LOG_LEVEL``; in Jupyter those
lines land in the first cell as red output. Set ``TF_CPP_MIN_LOG_LEVEL=0`` before the import to see them.
"""

import os
import re
import sys
import tempfile

__version__ = "0.1.0"

# TensorFlow's C++ log threshold: 3 keeps INFO, WARNING and ERROR lines (such as "failed call to cuInit" on
# a machine without a GPU) out of the notebook; Python errors still raise as usual.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# What TensorFlow's libraries print while loading, before the threshold applies: absl's preface and INFO lines.
_LOAD_TIME_LOG = re.compile(
    rb"^(WARNING: All log messages before absl::InitializeLog\(\)|I\d{4} \d\d:\d\d:\d\d)"
)


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with file descriptor 2 captured, then pass on every captured line except its
    load-time log lines, so warnings and errors from the import still reach the user."""
    if "tensorflow" in sys.modules or os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0":
        return
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            sys.stderr.flush()
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
            captured.seek(0)
            kept = [
                line
                for line in captured.read().splitlines(keepends=True)
                if not _LOAD_TIME_LOG.match(line)
            ]
            if kept:
                os.write(2, b"".join(kept))


_import_tensorflow_quietly()
