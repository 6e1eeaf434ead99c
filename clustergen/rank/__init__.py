"""Stage 3, ranking: surrogate models with uncertainty and active learning.

``descriptors`` (role-averaged SOAP + global terms), ``data`` (training rows from the
results store), ``surrogate`` (Gaussian-process fit/predict/save/load), ``evaluate``
(held-out checks, plots), ``ranking`` (ranking rows with prediction, std, level),
``active`` and ``screening`` (active-learning searches), ``dft_gap`` (the shipped
DFT-calibrated gap model).
"""
