"""Stage 1, generation: growth families, kernels, motif placements, shells and ligands."""
