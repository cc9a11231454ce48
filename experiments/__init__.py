"""experiments: the runnable experiments of linattn, their driver, report and plots.

``python -m experiments`` runs the main job (every experiment, one report);
``python -m experiments.<name> --help`` runs one experiment; ``python -m experiments.report
RUN_DIR`` re-renders a finished run's report.md from its results.json;
``python -m experiments.compare RUN_A RUN_B`` compares two runs within the tolerance table.
The library they use is :mod:`linattn` (imported first, so that its OpenMP wait policy is
in place before torch loads).
"""

import linattn  # noqa: F401  (before torch: linattn.threads)
