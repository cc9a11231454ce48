"""linattn.attribution: top-k Jaccard, Spearman ρ, ranks and targeted margins on hand cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from linattn import attribution as at
from pyverify.errors import InputError


def test_topk_jaccard_hand_cases():
    before = [[5.0, -4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0, 5.0]]
    after = [[1.0, 2.0, 3.0, -4.0, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0]]
    # k = 2: {0, 1} vs {4, 3} -> 0; unchanged row -> 1
    assert at.topk_jaccard(before, after, 2).tolist() == [0.0, 1.0]
    # k = 3: {0, 1, 2} vs {4, 3, 2} -> 1/5
    assert at.topk_jaccard(before, after, 3).tolist() == [0.2, 1.0]
    # signs do not matter (|I|), ties broken by the lower index
    assert at.topk_indices([[1.0, -1.0, 1.0, 0.5]], 2).tolist() == [[0, 1]]


def test_spearman_hand_cases():
    a = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0]])
    b = np.array([[1.0, 3.0, 2.0, 4.0], [4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
    rho, undefined = at.influence_spearman(a, b)
    # 1 - 6 Σd² / (n(n² - 1)) = 1 - 6·2/60 = 0.8; reversed order: -1; constant row: undefined
    assert np.allclose(rho, [0.8, -1.0, 0.0], rtol=0, atol=1e-15) and undefined == 1


def test_rank_and_margins():
    I = torch.tensor([[0.5, -0.9, 0.1, 0.3]], dtype=torch.float64)
    assert [at.rank_of(I, 0, j) for j in range(4)] == [1, 0, 3, 2]
    # push j = 3 into the top 2: |0.3| - (2nd largest of 0.5, 0.9, 0.1) = -0.2
    assert math.isclose(float(at.targeted_margin(I, 0, 3, 2, "in")), -0.2)
    # push j = 0 out of the top 2: (2nd largest of 0.9, 0.1, 0.3) - 0.5 = -0.2
    assert math.isclose(float(at.targeted_margin(I, 0, 0, 2, "out")), -0.2)
    # push j = 2 out: already out, margin 0.3 - 0.1 > 0
    assert float(at.targeted_margin(I, 0, 2, 2, "out")) > 0
    J = I.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(at.targeted_margin(J, 0, 3, 2, "in"), J)
    assert g.tolist() == [[-1.0, 0.0, 0.0, 1.0]]  # d(|I3| - |I0|)


def test_margin_sign_agrees_with_rank():
    rng = np.random.default_rng(0)
    I = torch.from_numpy(rng.normal(size=(3, 15)))
    for t in range(3):
        for j in range(15):
            r = at.rank_of(I, t, j)
            assert (float(at.targeted_margin(I, t, j, 10, "in")) > 0) == (r < 10)
            assert (float(at.targeted_margin(I, t, j, 10, "out")) > 0) == (r >= 10)


def test_validation():
    with pytest.raises(InputError):
        at.topk_jaccard(np.ones((2, 3)), np.ones((2, 4)), 1)
    with pytest.raises(InputError):
        at.topk_indices(np.ones((2, 3)), 3)  # k must be < n
    with pytest.raises(InputError):
        at.targeted_margin(torch.ones(2, 3), 0, 1, 1, "sideways")
    with pytest.raises(InputError):
        at.rank_of(np.ones((2, 3)), 2, 0)
