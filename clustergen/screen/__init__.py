"""Screening: symmetry-distinct dopant configurations and adsorption sites."""
