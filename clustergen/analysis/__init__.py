"""Reading structures: kernel/motif analysis, framework comparison, site classes, checks."""
