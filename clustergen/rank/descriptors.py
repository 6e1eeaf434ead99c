"""Structure descriptors for the surrogate models: role-averaged SOAP plus global terms.

Only the metal-sulfur framework (and an adsorbate, when there is one) is described: R
groups are dropped, so a built model, its relaxed structure and a bare Au-S framework
read from a file give comparable vectors.  Each framework atom gets a SOAP vector
(smooth overlap of atomic positions; Bartok, Kondor and Csanyi, Phys. Rev. B 87, 184115
(2013), DOI 10.1103/PhysRevB.87.184115, computed with DScribe: Himanen et al., Comput.
Phys. Commun. 247, 106949 (2020), DOI 10.1016/j.cpc.2019.106949); the vectors are
averaged per role (``kernel``, ``staple``, ``S``, ``dopant``, ``adsorbate``), which makes
the result independent of rotation and atom order.  Global terms: element counts, N*,
charge, dopants per metal role, and a smeared histogram of dopant-dopant distances
(which dopant arrangement, beyond each dopant's own environment).

>>> from ase.cluster import Icosahedron
>>> a = Icosahedron("Au", 2); a[0].symbol = "Cu"; a.info["host"] = "Au"
>>> x = describe([a], species=["Au", "Cu"])
>>> b = a.copy(); b.rotate(37, "z"); b = b[::-1]; b.info["host"] = "Au"
>>> bool(abs(x - describe([b], species=["Au", "Cu"])).max() < 1e-8)
True
"""

import numpy as np

from clustergen.core.errors import ClusterGenError

# SOAP cut-off 5 A covers the first two Au-Au shells (2.8-2.9 and ~4.9 A) and the S
# neighbours; n_max 4 / l_max 3 keep a Au25 framework near a few ms.
DEFAULTS = {"r_cut": 5.0, "n_max": 4, "l_max": 3, "sigma": 0.5,
            "groups": ("kernel", "staple", "S", "dopant", "adsorbate"),
            "pair_bins": [2.5, 11.0, 0.5], "pair_width": 0.35}
FRAMEWORK_ROLES = ("kernel", "staple", "S", "P", "halide")


def settings(**overrides):
    """Descriptor settings: :data:`DEFAULTS` with ``overrides`` (unknown names refused).

    >>> settings(r_cut=6.0)["r_cut"]
    6.0
    """
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise ClusterGenError(f"unknown descriptor setting(s) {sorted(unknown)}")
    out = dict(DEFAULTS)
    out.update(overrides)
    out["groups"] = list(out["groups"])
    return out


def ensure_roles(atoms):
    """``atoms`` with a ``role`` array (assigned by the analyser when missing).

    A structure without S or P (a bare metal cluster) gets role ``kernel`` everywhere.
    """
    if "role" in atoms.arrays:
        return atoms
    atoms = atoms.copy()
    if {"S", "P"} & set(atoms.get_chemical_symbols()):
        from clustergen.analysis.analyse import assign_roles
        info = dict(atoms.info)
        try:
            assign_roles(atoms, charge=atoms.info.get("charge"))
        except ClusterGenError:
            raise
        except Exception as exc:  # the analyser fails on non-cluster input in many ways
            raise ClusterGenError(f"cannot assign roles to {atoms.get_chemical_formula()}: "
                                  f"{exc}") from None
        atoms.info.update({k: v for k, v in info.items() if k in ("host", "charge")})
    else:
        atoms.set_array("role", np.array(["kernel"] * len(atoms), dtype="U8"))
    return atoms


def _adsorbate_indices(atoms):
    text = str(atoms.info.get("adsorbate_atoms", "") or "").strip("[]")
    return {int(t) for t in text.split(",") if t.strip()}


def framework(atoms):
    """The described part of ``atoms`` and its group labels.

    Returns ``(frame, labels)``: the framework atoms (metals, S, P, halides, adsorbate)
    and, per atom, one of ``kernel``, ``staple``, ``S``, ``dopant``, ``adsorbate`` (P and
    halides count as ``S``, the ligand-binding atoms).  Dopants are metal atoms whose
    element is not ``info["host"]`` (default: the most common metal).

    >>> from clustergen.core.model import make_cluster
    >>> a = make_cluster(["Cu", "Au", "S", "C"], [[0, 0, 0], [2.6, 0, 0], [4, 1.6, 0],
    ...                  [5.6, 1.6, 0]], ["kernel", "staple", "S", "ligand"], host="Au")
    >>> framework(a)[1]
    ['dopant', 'staple', 'S']
    """
    atoms = ensure_roles(atoms)
    roles = [str(r) for r in atoms.arrays["role"]]
    symbols = atoms.get_chemical_symbols()
    ads = _adsorbate_indices(atoms)
    metals = [s for s, r in zip(symbols, roles) if r in ("kernel", "staple")]
    host = atoms.info.get("host") or (max(set(metals), key=metals.count) if metals else "")
    keep, labels = [], []
    for i, (s, r) in enumerate(zip(symbols, roles)):
        if i in ads:
            label = "adsorbate"
        elif r in ("kernel", "staple"):
            label = r if s == host else "dopant"
        elif r in FRAMEWORK_ROLES:
            label = "S"
        else:
            continue
        keep.append(i)
        labels.append(label)
    if not keep:
        raise ClusterGenError(f"{atoms.get_chemical_formula()}: no framework atoms to "
                              "describe")
    return atoms[keep], labels


def framework_elements(atoms):
    """Elements of the described framework of ``atoms`` (sorted).

    >>> from ase.cluster import Icosahedron
    >>> framework_elements(Icosahedron("Au", 2))
    ['Au']
    """
    return sorted(set(framework(atoms)[0].get_chemical_symbols()))


def _soap(species, s):
    from dscribe.descriptors import SOAP
    return SOAP(species=list(species), r_cut=s["r_cut"], n_max=s["n_max"],
                l_max=s["l_max"], sigma=s["sigma"], periodic=False)


def _pair_histogram(frame, labels, s):
    idx = [i for i, g in enumerate(labels) if g == "dopant"]
    lo, hi, step = s["pair_bins"]
    centres = np.arange(lo, hi + 1e-9, step)
    hist = np.zeros(len(centres))
    if len(idx) > 1:
        pos = frame.positions[idx]
        d = np.linalg.norm(pos[:, None] - pos[None], axis=2)[np.triu_indices(len(idx), 1)]
        hist = np.exp(-0.5 * ((d[:, None] - centres[None]) / s["pair_width"]) ** 2).sum(0)
    return hist


def _global_terms(atoms, frame, labels, species):
    """Element counts, dopants in kernel and staple roles, N*, charge."""
    symbols = frame.get_chemical_symbols()
    counts = [symbols.count(e) for e in species]
    roles = [str(r) for r in frame.arrays["role"]]
    per_role = [sum(1 for g, r in zip(labels, roles) if g == "dopant" and r == role)
                for role in ("kernel", "staple")]
    nstar = atoms.info.get("nstar")
    charge = float(atoms.info.get("charge", 0) or 0)
    return counts + per_role + [float(nstar) if nstar is not None else 0.0, charge]


def describe_one(atoms, species, s=None, soap=None):
    """Descriptor vector of one structure (see :func:`describe`)."""
    s = settings() if s is None else s
    atoms = ensure_roles(atoms)
    frame, labels = framework(atoms)
    unseen = sorted(set(frame.get_chemical_symbols()) - set(species))
    if unseen:
        raise ClusterGenError(f"{atoms.info.get('formula', atoms.get_chemical_formula())}: "
                              f"element(s) {', '.join(unseen)} never seen in training "
                              f"(model knows {', '.join(species)})")
    soap = soap or _soap(species, s)
    per_atom = soap.create(frame)
    parts = []
    for group in s["groups"]:
        rows = [k for k, g in enumerate(labels) if g == group]
        parts.append(per_atom[rows].mean(axis=0) if rows else np.zeros(per_atom.shape[1]))
    parts.append(_pair_histogram(frame, labels, s))
    parts.append(np.asarray(_global_terms(atoms, frame, labels, species), dtype=float))
    return np.concatenate(parts)


def describe(atoms_list, species, s=None):
    """Descriptor matrix (one row per structure) over the framework ``species``.

    ``species``: the elements the model knows; a structure with another framework
    element raises :class:`~clustergen.core.errors.ClusterGenError`.
    """
    s = settings() if s is None else s
    soap = _soap(species, s)
    rows = [describe_one(a, species, s, soap) for a in atoms_list]
    if not rows:
        raise ClusterGenError("no structures to describe")
    return np.vstack(rows)
