"""Template data (YAML) shipped with clustergen; see README.md in this folder."""
