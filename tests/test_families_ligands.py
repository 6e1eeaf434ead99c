"""Every member of the growth families added with the vertex-sharing and tetrahedral-ring
work builds with a bulkier library thiolate than SH (PET, with its H): the thiolate and
donor windows hold and the shell inventory is the SH build's. S-Adm is not covered: it
is refused as "too crowded" on Au20, Au21, Au28, Au34 and Au40 (a ligand-placement limit,
clustergen.generation.ligate), a one-line error rather than a structure."""

import pytest

from clustergen.analysis.analyse import analyse
from clustergen.analysis.checks import geometry_report
from clustergen.generation.donors import donor_report
from clustergen.generation.generate import build

MEMBERS = [("[Au13(dppe)5Cl2]3+", "vertex-sharing-icosahedra"),
           ("[Au25(PPh3)10(SR)5Cl2]2+", "vertex-sharing-icosahedra"),
           ("[Au37(PPh3)10(SR)10Cl2]+", "vertex-sharing-icosahedra"),
           ("Au20(SR)16", "au7-backbone"),
           ("Au21(SR)15", "bioctahedral-au10"),
           ("Au28(SR)20", "tetrahedral-ring"),
           ("Au30(SR)18", "octahedral-au18"),
           ("Au34(SR)22", "tetrahedral-ring"),
           ("Au40(SR)24", "tetrahedral-ring")]


@pytest.mark.parametrize("formula, family", MEMBERS)
def test_member_builds_with_pet(formula, family):
    pet = build(formula, ligand="PET", isomers=1, family=family)[0]
    sh = build(formula, ligand="SH", isomers=1, family=family)[0]
    report = geometry_report(pet)
    assert report["ok"], report["problems"]
    assert all(ok for _, _, ok in donor_report(pet).values())
    assert pet.info["family"] == family and pet.info["nstar"] == sh.info["nstar"]
    assert analyse(pet).inventory == analyse(sh).inventory
