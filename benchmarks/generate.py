"""Generator speed: build time of every member, `grow double-helix --upto 84` wall time.

Run: python benchmarks/generate.py
Targets: each member's build (4 isomers, SCH3) < 15 s, the grow run < 60 s.  CPU seconds are
printed beside wall seconds because wall time on a shared machine measures the load too.
"""

import time

from clustergen.generation.families import families, members
from clustergen.generation.generate import build, grow


def main():
    print(f"{'member':<22}{'family':<26}{'isomers':>8}{'wall s':>8}{'CPU s':>8}")
    for name, fam in families().items():
        for m in members(fam):
            if not m.get("built", True):
                continue
            t, c = time.perf_counter(), time.process_time()
            # alkynyl-stapled members take their own -C≡CR, not a thiolate
            ligand = "SCH3" if m["staple_ligand"] == "SR" else None
            cands = build(str(m["formula"]), ligand=ligand, isomers=4)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            flag = "" if wall < 15 else "  (over the 15 s target)"
            print(f"{str(m['formula']):<22}{name:<26}{len(cands):>8}{wall:>8.1f}{cpu:>8.1f}{flag}")
    t = time.perf_counter()
    series = grow("double-helix", upto=84, ligand="SCH3")
    print(f"grow double-helix --upto 84 (SCH3): {len(series)} members in "
          f"{time.perf_counter() - t:.1f} s (target < 60 s)")


if __name__ == "__main__":
    main()
