"""select_refiner.py chooses between refiner runs on test pairs the evaluation never uses."""
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from select_refiner import EVALUATION_PAIRS, selection_pairs  # noqa: E402


class FakePairs:
    def __init__(self, n, seed=0):
        rng = np.random.default_rng(seed)
        self.label = (rng.random(n) < 0.6).astype(int)
        self.identical = rng.random(n) < 0.2


class SelectionPairs(unittest.TestCase):
    def test_are_oof_distinct_and_disjoint_from_the_evaluation_pairs(self):
        test = FakePairs(2000)
        oof = np.flatnonzero((test.label == 1) & ~test.identical)
        evaluation = set(oof[np.linspace(0, len(oof) - 1, EVALUATION_PAIRS).round().astype(int)].tolist())
        picked = selection_pairs(test, 48)
        self.assertGreaterEqual(len(picked), 40)
        self.assertEqual(len(set(picked)), len(picked))
        self.assertTrue(set(picked) <= set(oof.tolist()))
        self.assertFalse(set(picked) & evaluation)

    def test_a_set_no_larger_than_the_evaluation_leaves_nothing_to_select_on(self):
        test = FakePairs(30, seed=1)
        self.assertEqual(selection_pairs(test, 48), [])


if __name__ == '__main__':
    unittest.main()
