"""nnlib.metrics: accuracy's companions, the confusion matrix and its largest mistakes."""

import numpy as np
import pytest

from nnlib.metrics import confusion_matrix, top_confusions


def test_confusion_matrix_counts_pairs():
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 0], n_classes=3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [2, 0, 1]])
    assert cm.sum(axis=1).tolist() == [2, 1, 3]
    assert top_confusions(cm, k=5) == [(2, 0, 2), (0, 1, 1)]
    with pytest.raises(ValueError):
        confusion_matrix([0, 1], [0])


def test_confusion_matrix_infers_the_number_of_classes_and_rejects_labels_out_of_range():
    assert confusion_matrix([0, 3], [3, 3]).shape == (4, 4)
    with pytest.raises(ValueError, match="0..1"):
        confusion_matrix([0, 2], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="0..2"):
        confusion_matrix([0, -1], [0, 1], n_classes=3)


def test_top_confusions_lists_only_mistakes_largest_first():
    cm = np.array([[5, 0, 2], [2, 7, 0], [0, 1, 4]])
    assert top_confusions(cm, k=2) == [(0, 2, 2), (1, 0, 2)]  # ties: by true class
    assert top_confusions(np.eye(3, dtype=int) * 4) == []
