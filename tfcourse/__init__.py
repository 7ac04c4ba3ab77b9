"""tfcourse: the helper package behind the TensorFlow 2 course.

Use it as ``import tfcourse as tfc``. The ideas are taught in the lessons; this
package holds the plumbing (data downloads, figure layout, widget wiring).

Importing it is cheap: no TensorFlow, no matplotlib. Each public name below is
looked up in its module on first use (PEP 562), the way Keras keeps heavy
imports lazy, so ``tfc.load_mnist`` imports only what loading needs.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> the module (one job each) that defines it
_EXPORTS: dict[str, str] = {
    # data.py: the data sets
    "load_mnist": "data",
    "load_fashion_mnist": "data",
    "data_source": "data",
    "verify_data": "data",
    "DataSource": "data",
    "MNIST_CLASSES": "data",
    "FASHION_MNIST_CLASSES": "data",
    "DataUnavailableError": "data",
    "CorruptDataError": "data",
    "TestSetSplitWarning": "data",
    # params.py: parameter counts and their formulas
    "parameter_table": "params",
    "ParameterTable": "params",
    "mlp_parameter_table": "params",
    # curves.py: training curves after the fact; live.py: while fit runs
    "plot_history": "curves",
    "plot_histories": "curves",
    "LiveCurves": "live",
    # weights.py: weight pictures; snapshots.py: weights across epochs
    "plot_unit_weights": "weights",
    "plot_weight_histograms": "weights",
    "plot_unit_across_epochs": "weights",
    "WeightSnapshots": "snapshots",
    # predictions.py: what the model got right and wrong
    "plot_gallery": "predictions",
    "ConfusionMatrix": "predictions",
    "plot_confusion_matrix": "predictions",
    "most_confident_mistakes": "predictions",
    "plot_confident_mistakes": "predictions",
    # env.py: versions, devices, CPU/GPU mode
    "environment_report": "env",
    "setup_device": "env",
    "force_cpu": "env",
    "check_placement": "env",
    "check_versions": "env",
    # widgets.py: interactive explorers (ipywidgets)
    "ParameterExplorer": "widgets",
    "WeightExplorer": "widgets",
    "PredictionExplorer": "widgets",
    "DrawDigit": "widgets",
    "preprocess_digit": "widgets",
    # pipeline.py: the shuffled training batches that fit reads
    "shuffled_batches": "pipeline",
    # speed.py: measuring training speed against the machine's limit
    "epoch_loop": "speed",
    "EpochLoop": "speed",
    "matmul_flops_per_second": "speed",
    "mlp_training_flops": "speed",
    # distributed.py: a local multi-worker cluster for tf.distribute
    "run_local_cluster": "distributed",
    "network_isolation_problem": "distributed",
    # board.py: TensorBoard servers that stop with the kernel
    "use_tensorboard_launcher": "board",
    "tensorboard_stop_button": "board",
    "stop_tensorboard": "board",
    "temporary_log_folder": "board",
    # diagrams.py: pictures drawn for the course
    "plot_architecture": "diagrams",
    # exercises/: self-checking exercises
    "check": "exercises",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'tfcourse' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tfcourse.{module_name}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
