"""Ground floor: errors, template data, formulas and electron counts, the candidate model,
and the symmetry engine. Nothing here imports from the stages above."""
