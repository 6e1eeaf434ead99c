"""Generator speed: build time of every member, `grow double-helix --upto 84` wall time.

Run: python benchmarks/generate.py     (target: the grow run < 60 s)
"""

import time

from clustergen.generation.families import families, members
from clustergen.generation.generate import build, grow


def main():
    print(f"{'member':<22}{'family':<26}{'isomers':>8}{'seconds':>10}")
    for name, fam in families().items():
        for m in members(fam):
            if not m.get("built", True):
                continue
            t = time.perf_counter()
            cands = build(str(m["formula"]), ligand="SCH3", isomers=8)
            print(f"{str(m['formula']):<22}{name:<26}{len(cands):>8}"
                  f"{time.perf_counter() - t:>10.1f}")
    t = time.perf_counter()
    series = grow("double-helix", upto=84, ligand="SCH3")
    print(f"grow double-helix --upto 84 (SCH3): {len(series)} members in "
          f"{time.perf_counter() - t:.1f} s (target < 60 s)")


if __name__ == "__main__":
    main()
