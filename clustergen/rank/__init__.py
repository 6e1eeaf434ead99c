"""Stage 3, ranking: order relaxed candidates (raw energies today, surrogate models next)."""
