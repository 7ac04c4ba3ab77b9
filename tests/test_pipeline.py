"""tfcourse.pipeline: shuffled_batches gives every sample once per epoch, in a new order each epoch.

The labels are the sample numbers, so each batch says which samples it holds:
a pipeline that dropped, repeated or mismatched a sample, reused an epoch's
order, or lost the smaller last batch would fail.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfcourse.pipeline import shuffled_batches  # noqa: E402


def _numbered(num_samples):
    """Samples whose features repeat their own number, labelled by that number."""
    numbers = np.arange(num_samples)
    return np.repeat(numbers[:, None], 3, axis=1).astype(np.float32), numbers


def _epochs(dataset, num_samples, batch_size, epochs):
    """The label batches of each epoch, as lists of arrays; checks features match labels."""
    steps = math.ceil(num_samples / batch_size)
    batches = iter(dataset)
    result = []
    for _ in range(epochs):
        epoch = []
        for _ in range(steps):
            x_batch, y_batch = (v.numpy() for v in next(batches))
            assert np.array_equal(x_batch, np.repeat(y_batch[:, None], 3, axis=1).astype(np.float32))
            epoch.append(y_batch)
        result.append(epoch)
    return result


def test_every_epoch_holds_every_sample_once_in_batches_with_a_smaller_last(tf):
    x, y = _numbered(70)
    epochs = _epochs(shuffled_batches(x, y, batch_size=32, seed=3), 70, 32, epochs=3)
    for epoch in epochs:
        assert [len(b) for b in epoch] == [32, 32, 6]
        assert np.array_equal(np.sort(np.concatenate(epoch)), np.arange(70))
    orders = [np.concatenate(epoch) for epoch in epochs]
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])


def test_whole_batches_have_a_fixed_shape_when_the_batch_size_divides(tf):
    x, y = _numbered(64)
    dataset = shuffled_batches(x, y, batch_size=16, seed=0)
    assert dataset.element_spec[0].shape.as_list() == [16, 3]  # XLA compiles one shape
    assert [len(b) for b in _epochs(dataset, 64, 16, epochs=1)[0]] == [16] * 4


def test_the_same_seed_gives_the_same_orders_and_none_follows_numpy(tf):
    x, y = _numbered(50)
    first = _epochs(shuffled_batches(x, y, batch_size=8, seed=7), 50, 8, epochs=2)
    again = _epochs(shuffled_batches(x, y, batch_size=8, seed=7), 50, 8, epochs=2)
    other = _epochs(shuffled_batches(x, y, batch_size=8, seed=8), 50, 8, epochs=2)
    assert all(np.array_equal(a, b) for e, f in zip(first, again) for a, b in zip(e, f))
    assert not np.array_equal(np.concatenate(first[0]), np.concatenate(other[0]))
    np.random.seed(5)  # what keras.utils.set_random_seed does, among others
    drawn = _epochs(shuffled_batches(x, y, batch_size=8), 50, 8, epochs=1)
    np.random.seed(5)
    redrawn = _epochs(shuffled_batches(x, y, batch_size=8), 50, 8, epochs=1)
    assert np.array_equal(np.concatenate(drawn[0]), np.concatenate(redrawn[0]))


def test_fit_reads_it_epoch_by_epoch_with_steps_per_epoch(tf):
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        shuffled_batches(x, y, batch_size=32), steps_per_epoch=math.ceil(100 / 32), shuffle=False, epochs=3, verbose=0
    )
    assert len(history.history["loss"]) == 3
    assert history.history["loss"][-1] < history.history["loss"][0]  # it learned from the batches


def test_the_arrays_stay_on_the_cpu(tf):
    x, y = _numbered(10)
    x_batch, _ = next(iter(shuffled_batches(x, y, batch_size=4, seed=0)))
    assert "CPU" in x_batch.device  # tf.data runs on the CPU; Keras copies batches to a GPU


@pytest.mark.parametrize(
    ("kwargs", "error", "phrase"),
    [
        ({"x": np.zeros((5, 2)), "y": np.zeros(4)}, ValueError, r"same number of samples.*Received: lengths=\(5, 4\)"),
        ({"x": np.zeros((0, 2)), "y": np.zeros(0)}, ValueError, "at least one sample"),
        ({"x": np.zeros((5, 2)), "y": np.zeros(5), "batch_size": 0}, ValueError, "batch_size"),
        ({"x": np.zeros((5, 2)), "y": np.zeros(5), "seed": -1}, ValueError, r"None or a whole number >= 0.*Received: seed=-1"),
        ({"x": np.zeros((5, 2)), "y": np.zeros(5), "seed": 1.5}, TypeError, "Received: seed=1.5"),
        ({"x": "images", "y": np.zeros(5)}, TypeError, r"NumPy array or a tensor.*Received: x='images'"),
        ({"x": np.float32(3.0), "y": np.zeros(5)}, ValueError, r"first axis of samples.*Received: x.shape=\(\)"),
    ],
)
def test_bad_arguments_say_what_was_expected(kwargs, error, phrase):
    with pytest.raises(error, match=phrase):
        shuffled_batches(**kwargs)
