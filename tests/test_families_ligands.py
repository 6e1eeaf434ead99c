"""Every member of the growth families added with the vertex-sharing and tetrahedral-ring
work builds with a bulkier library thiolate than SH (PET, with its H): the thiolate and
donor windows hold and the shell inventory is the SH build's. S-Adm is covered in
tests/test_bulky_thiolates.py: Au30 octahedral-au18 and Au34 take it directly; Au20
au7-backbone, Au21 (bioctahedral-au10, the S-Adm crystal's framework, and au7-backbone)
and Au28 and Au40 tetrahedral-ring take it after the last-resort staple relaxation of
clustergen.generation.framework_room (bonds kept, staple atoms shifted up to 1.0-1.7 A).
Whole phosphines and other halides on the vertex-sharing members: tests/test_mixed_shell.py."""

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
