"""Input pipelines: the shuffled training batches that ``fit`` reads (lesson 06).

``fit(x_train, y_train, batch_size=32)`` turns the arrays into a ``tf.data``
pipeline itself: at every epoch it starts the pipeline anew and cuts the
batches with a pool of threads. On a laptop or a Binder machine with one or
two cores, those threads compete with the training step for the same cores,
and the restart costs time at every epoch. :func:`shuffled_batches` builds the
same batches as ONE pipeline that runs for the whole training:

- every epoch, a new random order of all the samples (epoch ``k`` in the order
  drawn from ``(seed, k)``, so a run can be repeated);
- cut into batches of ``batch_size``, the last one smaller when
  ``batch_size`` does not divide the number of samples, as ``fit`` does;
- each batch gathered by one background thread and prefetched, so the next
  batch is ready when the training step asks for it.

The pipeline never ends, so ``fit`` needs ``steps_per_epoch`` (the number of
batches in an epoch) to know where an epoch ends, and ``shuffle=False`` (without
it Keras warns that it cannot shuffle a dataset). Same images per epoch, same
batch size, same updates as ``fit`` on the arrays: only the random order
differs, as it would with another seed.

TensorFlow is imported inside the function, so ``import tfcourse`` stays light.

In a lesson (a sketch: ``model``, ``x_train`` and ``y_train`` come from it)::

    train_batches = tfc.shuffled_batches(x_train, y_train, batch_size=32)
    steps_per_epoch = math.ceil(len(x_train) / 32)
    model.fit(train_batches, steps_per_epoch=steps_per_epoch, shuffle=False, epochs=5)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfcourse._validation import check_positive_int, expected, resolve_seed

__all__ = ["shuffled_batches"]


def shuffled_batches(x: Any, y: Any, *, batch_size: int = 32, seed: int | None = None) -> Any:
    """An endless ``tf.data.Dataset`` of ``(x_batch, y_batch)``: every epoch all samples, in a new order.

    Args:
        x, y: the samples and their labels (NumPy arrays or tensors) with the
            same number of samples along the first axis.
        batch_size: samples per batch (``fit``'s default is 32). An epoch has
            ``ceil(len(x) / batch_size)`` batches; the last is smaller when
            ``batch_size`` does not divide ``len(x)``.
        seed: the orders of the epochs; ``None`` draws one from NumPy's random
            generator, so ``keras.utils.set_random_seed`` makes runs repeatable.

    Returns:
        A dataset that never ends: pass ``steps_per_epoch=ceil(len(x) / batch_size)``
        and ``shuffle=False`` to ``fit`` so that its epochs are the dataset's epochs. Each new
        iteration of the dataset starts again at epoch 0.

    Example: five examples in batches of 2 make epochs of 2 + 2 + 1, and each
    epoch holds every example once, in its own order:

        >>> import numpy as np
        >>> x, y = np.arange(10, dtype="float32").reshape(5, 2), np.arange(5)
        >>> batches = shuffled_batches(x, y, batch_size=2, seed=0)
        >>> [tuple(x_batch.shape) for x_batch, _ in batches.take(4)]
        [(2, 2), (2, 2), (1, 2), (2, 2)]
        >>> sorted(int(label) for _, y_batch in batches.take(3) for label in y_batch)
        [0, 1, 2, 3, 4]
    """
    batch_size = check_positive_int("batch_size", batch_size)
    seed = resolve_seed(seed)
    num_samples, num_labels = _num_samples(x, "x"), _num_samples(y, "y")
    if num_labels != num_samples:
        raise ValueError(
            expected(
                "x and y with the same number of samples along their first axis",
                "lengths",
                (num_samples, num_labels),
            )
        )
    if num_samples == 0:
        raise ValueError(expected("at least one sample", "len(x)", 0))

    import tensorflow as tf

    # The data stays in host memory on a GPU machine too: tf.data runs on the CPU,
    # and Keras copies each batch to the GPU itself.
    with tf.device("/cpu:0"):
        arrays = (tf.convert_to_tensor(x), tf.convert_to_tensor(y))
    num_whole = num_samples // batch_size
    leftover = num_samples - num_whole * batch_size

    def one_epoch_of_indices(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(num_samples, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch])
        )
        # Whole batches as rows of a matrix: every batch has batch_size indices, a
        # shape the compiled training step knows in advance.
        batches = tf.data.Dataset.from_tensor_slices(tf.reshape(order[: num_whole * batch_size], (num_whole, batch_size)))
        if leftover:
            batches = batches.concatenate(tf.data.Dataset.from_tensors(order[num_whole * batch_size :]))
        return batches

    def gather(indices):
        return tf.gather(arrays[0], indices), tf.gather(arrays[1], indices)

    batches = tf.data.Dataset.counter().flat_map(one_epoch_of_indices)  # epochs 0, 1, 2, ...
    # One thread gathers (no num_parallel_calls): more would compete with the
    # training step for the cores of a small machine; prefetch keeps a batch ready.
    batches = batches.map(gather).prefetch(tf.data.AUTOTUNE)
    # tf.data's default rewrites of the pipeline would copy the arrays the
    # functions capture: nothing to gain here, so they are off.
    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False
    return batches.with_options(options)


def _num_samples(value: Any, name: str) -> int:
    shape = getattr(value, "shape", None)
    if shape is None:
        if isinstance(value, (list, tuple)):
            shape = np.shape(value)
        else:
            raise TypeError(expected("a NumPy array or a tensor", name, value))
    if len(shape) == 0:
        raise ValueError(expected("an array with a first axis of samples", f"{name}.shape", tuple(shape)))
    return int(shape[0])
