"""`python -m bot.rasa_server run ...`: Rasa's own command line (`python -m rasa`) with
per-turn costs of Rasa 3.6 removed and TensorFlow sized for small models on few cores.

What a turn cost before (cProfile of the Rasa server, see benchmarks/bench_scale.py):
Rasa checks the action server's JSON answer with `jsonschema.validate`, which
re-validates the (constant) response schema against the draft 2020-12 meta-schema on
every call: ~40 ms per custom action call, 1-2 calls per turn, more than NLU and the
policies together. Here the response is validated against the same schema with a
validator built once (same errors, same messages).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

logger = logging.getLogger(__name__)

# TensorFlow: one thread per op and one op at a time. The models are tiny (a 1-layer
# DIET of width 128); thread pools sized for the machine only add hand-offs and make
# concurrent requests fight over the 2 cores. Read by rasa.utils.tensorflow.environment.
TF_THREAD_DEFAULTS = {
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}


def apply_tf_thread_defaults(env: dict[str, str]) -> dict[str, str]:
    """`env` with the TensorFlow thread settings, unless they are already set."""
    return {**TF_THREAD_DEFAULTS, **env}


def install_cached_action_response_validator() -> bool:
    """Validate action server answers with a validator compiled once. Returns False
    (and leaves Rasa as it is) if Rasa's RemoteAction no longer looks as expected."""
    try:
        from jsonschema import validators
        from jsonschema.exceptions import best_match
        from rasa.core.actions.action import RemoteAction
        from rasa.shared.constants import DOCS_BASE_URL
    except ImportError:  # pragma: no cover - Rasa or jsonschema changed
        return False
    original = getattr(RemoteAction, "_validate_action_result", None)
    spec = getattr(RemoteAction, "action_response_format_spec", None)
    if original is None or spec is None or getattr(original, "_cached_validator", False):
        return False
    schema = spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, as jsonschema.validate did on every call
    validator = validator_class(schema)

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    _validate_action_result._cached_validator = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result
    return True


def install_sqlite_tracker_pragmas() -> None:
    """SQLite tracker store (the one-command default): write-ahead log and no fsync per
    commit (NORMAL is still safe against corruption; a power cut may lose the last
    turns). Without this every saved turn waited ~10 ms for the disk."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    if not event.contains(Engine, "connect", _pragmas):
        event.listen(Engine, "connect", _pragmas)
    _keep_sqlite_tracker_connections()


def _keep_sqlite_tracker_connections() -> None:
    """SQLAlchemy 1.4 gives SQLite files a NullPool: Rasa's tracker store opened a new
    connection for every query (and closed it, checkpointing the log) - three per turn.
    Keep a small pool instead (the tracker store of one Rasa process)."""
    try:
        from rasa.core import tracker_store
    except ImportError:  # pragma: no cover
        return
    original = getattr(tracker_store, "create_engine_kwargs", None)
    if original is None or getattr(original, "_keeps_sqlite_connections", False):
        return

    def create_engine_kwargs(url: Any) -> dict[str, Any]:
        kwargs = dict(original(url))
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import QueuePool

        parsed = make_url(str(url)) if not hasattr(url, "get_backend_name") else url
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            kwargs.setdefault("poolclass", QueuePool)
            kwargs.setdefault("connect_args", {"check_same_thread": False})
        return kwargs

    create_engine_kwargs._keeps_sqlite_connections = True  # type: ignore[attr-defined]
    tracker_store.create_engine_kwargs = create_engine_kwargs


def install_fast_model_load() -> bool:
    """Load DIET without a training step. Rasa 3.6 builds a loaded model's variables by
    training it on one example (`fit`: Keras traces the whole training graph, gradients
    through the CRF and the optimizer included) and then overwrites them with the saved
    weights: most of a Rasa server's start (and restart) time on a small machine.

    Here the saved weights are restored first (TensorFlow defers restoring a variable until
    it is created) and one prediction, which Rasa runs after loading anyway, creates the
    variables prediction uses, which are restored the moment they exist. Training-only
    state (optimizer slots) is left unread. Predictions are identical
    (benchmarks/check_fast_load.py compares every held-out NLU example). Fine-tuning, or
    a model without a prediction example, loads the original way. Returns False (and
    leaves Rasa as it is) if Rasa no longer looks as expected."""
    try:
        from rasa.utils.tensorflow.models import RasaModel
    except ImportError:  # pragma: no cover - Rasa changed
        return False
    original = RasaModel.__dict__.get("load")
    if not isinstance(original, classmethod) or getattr(original.__func__, "_fast", False):
        return False
    load_original = original.__func__

    def load(
        cls: Any,
        model_file_name: str,
        model_data_example: Any,
        predict_data_example: Any = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if finetune_mode or predict_data_example is None or os.environ.get("RASA_FAST_MODEL_LOAD") == "0":
            return load_original(
                cls, model_file_name, model_data_example, predict_data_example, finetune_mode, *args, **kwargs
            )
        import tensorflow as tf  # type: ignore[import-untyped]

        model = cls(*args, **kwargs)
        learning_rate = kwargs.get("config", {}).get("learning_rate", 0.001)
        run_eagerly = kwargs.get("config", {}).get("run_eagerly")
        model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), run_eagerly=run_eagerly)
        model.load_weights(model_file_name).expect_partial()  # restored as the variables appear
        model.run_inference(predict_data_example)  # creates them (and traces prediction once)
        return model

    load._fast = True  # type: ignore[attr-defined]
    RasaModel.load = classmethod(load)
    return True


def apply_runtime_fixes() -> None:
    install_cached_action_response_validator()
    install_sqlite_tracker_pragmas()
    install_fast_model_load()


def main(argv: list[str] | None = None) -> int:
    for key, value in TF_THREAD_DEFAULTS.items():
        os.environ.setdefault(key, value)
    apply_runtime_fixes()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
