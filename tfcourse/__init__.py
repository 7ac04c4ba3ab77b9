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

# Each module's public names, exactly its ``__all__`` (tests/test_import.py checks
# the two agree): one module, one job, and one spelling per name, ``tfc.<name>``.
# Looked up lazily, so importing tfcourse imports none of these modules.
_MODULES: dict[str, tuple[str, ...]] = {
    # the data sets, every file verified
    "data": ("load_mnist", "load_fashion_mnist", "data_source", "verify_data", "DataSource",
             "MNIST_CLASSES", "FASHION_MNIST_CLASSES", "DataUnavailableError",
             "CorruptDataError", "TestSetSplitWarning"),
    # parameter counts and the formulas that give them
    "params": ("parameter_table", "ParameterTable", "mlp_parameter_table", "LayerParams",
               "ParamTerm"),
    # training curves after the fact; live while fit runs
    "curves": ("plot_history", "plot_histories", "NonFiniteHistoryWarning"),
    "live": ("LiveCurves",),
    # weight pictures; weights across epochs
    "weights": ("plot_unit_weights", "plot_weight_histograms", "plot_unit_across_epochs",
                "NonFiniteWeightsWarning"),
    "snapshots": ("WeightSnapshots",),
    # what the model got right and wrong
    "predictions": ("plot_gallery", "ConfusionMatrix", "plot_confusion_matrix",
                    "most_confident_mistakes", "plot_confident_mistakes", "NonFiniteImageWarning"),
    # versions, devices, CPU/GPU mode
    "env": ("environment_report", "setup_device", "force_cpu", "check_placement", "check_versions"),
    # interactive explorers (ipywidgets), one module each, in widgets/
    "widgets": ("ParameterExplorer", "WeightExplorer", "PredictionExplorer", "DrawDigit",
                "preprocess_digit", "DrawingWarning"),
    # the shuffled training batches that fit reads (lesson 06)
    "pipeline": ("shuffled_batches",),
    # measuring training speed against the machine's limit (lesson 06)
    "speed": ("epoch_loop", "EpochLoop", "matmul_flops_per_second", "mlp_training_flops"),
    # a local multi-worker cluster for tf.distribute (lesson 11)
    "distributed": ("run_local_cluster", "network_isolation_problem", "make_tf_config",
                    "make_distributed_dataset", "make_train_step", "ClusterResult",
                    "WorkerReport", "ClusterTimeoutError", "WorkerFailedError",
                    "NetworkExposureError"),
    # TensorBoard servers that stop with the kernel (lesson 12)
    "board": ("use_tensorboard_launcher", "tensorboard_stop_button", "stop_tensorboard",
              "temporary_log_folder"),
    # pictures drawn for the course
    "diagrams": ("plot_architecture",),
    # self-checking exercises, and the language their feedback speaks
    "exercises": ("check", "get_exercise", "Feedback"),
    "_language": ("set_language", "language"),
}

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

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
