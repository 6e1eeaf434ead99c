"""Stage 2, computation: GFN-xTB relaxation, the results store and the executor."""
