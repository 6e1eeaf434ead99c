"""Generator speed: build time per member and `grow double-helix --upto 84` wall time.

Run: python benchmarks/generate.py     (target from issue 2: the grow run < 60 s)
"""

import time

from clustergen.families import family, members
from clustergen.generate import build, grow


def main():
    print(f"{'member':<22}{'isomers':>8}{'seconds':>10}")
    for name in ("face-sharing-icosahedra", "double-helix"):
        for m in members(family(name)):
            t = time.perf_counter()
            cands = build(str(m["formula"]), ligand="SCH3", isomers=8)
            print(f"{str(m['formula']):<22}{len(cands):>8}{time.perf_counter() - t:>10.1f}")
    t = time.perf_counter()
    series = grow("double-helix", upto=84, ligand="SCH3")
    print(f"grow double-helix --upto 84 (SCH3): {len(series)} members in "
          f"{time.perf_counter() - t:.1f} s (target < 60 s)")


if __name__ == "__main__":
    main()
