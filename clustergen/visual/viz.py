"""Role-coloured 3D views of candidates for Jupyter and standalone pages, with no network.

:func:`view` shows one candidate, a series (gallery), a trajectory (animation), an overlay
of two structures aligned by framework, or rows of a results database; :func:`render`
(``clustergen render FILE -o page.html | fig.png``) writes a self-contained page or a static
figure (:mod:`clustergen.visual.figure`).  Colours by role come from :mod:`clustergen.visual.palette`
(``templates/colours.yaml``); the 3Dmol.js that draws the views ships with clustergen and is
put in the page (:mod:`clustergen.visual.viewer`), so nothing is fetched from the network.

Views are :class:`clustergen.visual.viewer.ClusterView` objects, i.e. ``py3Dmol.view`` instances:
every 3Dmol.js call (``v.setStyle(...)``, ``v.spin(True)``) still works on them.

>>> from clustergen.core.model import make_cluster
>>> a = make_cluster(["S", "Au", "S"], [[-2.3, 0, 0], [0, 0, 0], [2.3, 0, 0]],
...                  ["S", "staple", "S"], formula="[Au(SR)2]-")
>>> page = view(a, labels={1: "site 1"}).html()
>>> "staple metal" in page and "site 1" in page and "cdn" not in page.lower()
True
"""

import os
from pathlib import Path

from ase import Atoms

from clustergen.core.errors import ClusterGenError
from clustergen.core.model import read_candidates
from clustergen.core.validate import check_atoms
from clustergen.core.validate import rotation as validate_rotation
from clustergen.visual import palette
from clustergen.visual.labels import caption, overlay_alignment  # noqa: F401  (public here)


def init_notebook():
    """Put 3Dmol.js into the notebook page so that later views work offline.

    Needed only when a notebook's first view no longer carries the library (see
    :mod:`clustergen.visual.viewer`); harmless otherwise.

    >>> init_notebook()  # doctest: +SKIP
    """
    from clustergen.visual.viewer import init_notebook as _init

    _init()


def _as_structures(atoms):
    if isinstance(atoms, Atoms):
        return [check_atoms(atoms, info=False)]
    if isinstance(atoms, (str, os.PathLike)):
        if not os.path.exists(atoms):
            raise ClusterGenError(f"no such file: {atoms}")
        try:
            return read_candidates(atoms)
        except Exception as exc:  # ASE raises many types for unreadable files
            raise ClusterGenError(f"cannot read {atoms}: {exc}") from None
    structures = list(atoms)
    for k, s in enumerate(structures):
        if not isinstance(s, Atoms):
            raise ClusterGenError(f"cannot view a {type(s).__name__}: expected ASE Atoms")
        check_atoms(s, f"structure {k}", info=False)
    return structures


def db_structures(db, query=None, limit=24):
    """Rows of a results database (:mod:`clustergen.compute.store`: path or URL) as candidates.

    ``query`` is an ase.db selection such as ``"status=converged"`` or ``"gap>1.5"``.
    Each row becomes a candidate as :func:`clustergen.compute.store.candidate_from_row`
    makes it (roles, info and results) plus ``db_id``; rows without roles get them from
    the analyser when viewed.

    >>> import tempfile, os, ase.db
    >>> path = os.path.join(tempfile.mkdtemp(), "r.db")
    >>> _ = ase.db.connect(path).write(Atoms("Au2", [[0, 0, 0], [2.9, 0, 0]]), status="converged")
    >>> [a.info["status"] for a in db_structures(path, "status=converged")]
    ['converged']
    """
    from clustergen.compute.store import candidate_from_row, connect

    conn = connect(db, create=False)
    try:
        rows = list(conn.select(query or None, limit=limit, sort="id"))
    except (ValueError, KeyError, SyntaxError, AttributeError) as exc:
        raise ClusterGenError(f"bad database query {query!r}: {exc}") from None
    structures = []
    for row in rows:
        atoms = candidate_from_row(row)
        atoms.info["db_id"] = row.id
        structures.append(atoms)
    return structures


def _same_atoms(frames):
    first = frames[0].get_chemical_symbols()
    return all(f.get_chemical_symbols() == first for f in frames[1:])


def view(atoms=None, grid=False, overlay=None, db=None, query=None, labels=None,
         hide_ligands=False, kernel_only=False, title=None, width=None, height=None,
         cols=4, limit=24, inline_js=None):
    """Role-coloured 3D view of one candidate, a series, a trajectory or database rows.

    atoms      Atoms, a list of Atoms (a series or trajectory frames) or a file path.
    grid       show a list as a gallery (caption: formula, N*, gap); a list whose frames
               are the same atoms is otherwise animated as a trajectory.
    overlay    a reference structure aligned onto ``atoms`` by framework; the title gives
               the framework RMSD.
    db, query  an ASE database (path or URL) and a selection such as "status=converged";
               at most ``limit`` rows are shown as a gallery.
    labels     {atom index: text} site labels (for a gallery: one dict per structure, or
               one dict for all).
    hide_ligands, kernel_only   initial toggle state (buttons under the view switch it).
    inline_js  True: this view carries 3Dmol.js; None: only the session's first view does.

    >>> from ase.cluster import Icosahedron
    >>> au13 = Icosahedron("Au", 2); au13.info["formula"] = "Au13"
    >>> v = view([au13, au13.copy()], grid=True)
    >>> "Au13" in v.html(inline_js=False)
    True
    """
    if db is not None:
        structures = db_structures(db, query, limit)
        if not structures:
            raise ClusterGenError(f"no rows in {db} match {query!r}")
        grid = grid or len(structures) > 1
        title = title or f"{db}: {query or 'all rows'} ({len(structures)} shown)"
    elif atoms is None:
        raise ClusterGenError("nothing to view: give atoms, a list of atoms, a file or db=")
    else:
        structures = _as_structures(atoms)
        if not structures:
            raise ClusterGenError("nothing to view: the list of structures is empty")
    opts = dict(labels=labels, title=title, inline_js=inline_js,
                hidden=palette.hidden_groups(hide_ligands, kernel_only))
    if len(structures) == 1 and not grid:
        return _single(structures[0], overlay, width or 640, height or 480, **opts)
    if overlay is not None:
        raise ClusterGenError("overlay needs a single structure, not a list")
    if grid or not _same_atoms(structures):
        return _gallery(structures, cols, width, height, **opts)
    return _trajectory(structures, width or 640, height or 480, **opts)


def _new_view(*args, **kwargs):
    from clustergen.visual.viewer import (
        ClusterView,  # py3Dmol imports IPython: only when a view is made
    )

    return ClusterView(*args, **kwargs)


def _single(atoms, overlay, width, height, labels, title, inline_js, hidden):
    v = _new_view(width, height, title=title or "", inline_js=inline_js)
    v._cg_add(atoms, labels=labels, hidden=hidden)
    shown = [atoms]
    if overlay is not None:
        moved, rmsd, mirrored = overlay_alignment(atoms, overlay)
        v._cg_add(moved, model_id=1, opacity=0.35, hidden=hidden)
        shown.append(moved)
        name, ref = caption(atoms), caption(overlay)
        v._cg_title = title or (f"{name} (solid) on {ref} (faded): framework RMSD "
                                f"{rmsd:.3f} \u00c5" + (" (mirror image)" if mirrored else ""))
    else:
        v._cg_title = title or caption(atoms)
    v._cg_captions.append(v._cg_title)
    v._cg_legend = palette.legend(shown)
    v._cg_hover(shown)
    v.zoomTo()
    return v


def _gallery(structures, cols, width, height, labels, title, inline_js, hidden):
    cols = max(1, min(cols, len(structures)))
    rows = -(-len(structures) // cols)
    cell = 280
    v = _new_view(width or cols * cell, height or rows * cell, viewergrid=(rows, cols),
                    title=title or f"{len(structures)} structures", inline_js=inline_js)
    per_item = labels if isinstance(labels, (list, tuple)) else [labels] * len(structures)
    for k, atoms in enumerate(structures):
        where = (k // cols, k % cols)
        v._cg_add(atoms, cell=where, labels=per_item[k], hidden=hidden)
        v._cg_hover([atoms], cell=where)
        v._cg_caption(caption(atoms), cell=where)
        v.zoomTo(viewer=where)
    v._cg_legend = palette.legend(structures)
    return v


def _trajectory(frames, width, height, labels, title, inline_js, hidden):
    v = _new_view(width, height, inline_js=inline_js)
    v._cg_add(frames[0], frames=frames, labels=labels, hidden=hidden)
    v._cg_hover([frames[0]])
    energies = [_energy(f) for f in frames]
    text = f"{caption(frames[0])}: {len(frames)} frames"
    if energies[0] is not None and energies[-1] is not None:
        text += f", E {energies[0]:.3f} \u2192 {energies[-1]:.3f} eV"
    v._cg_title = title or text
    v._cg_captions.append(v._cg_title)
    v._cg_legend = palette.legend([frames[0]])
    v._cg_animated = True
    v.zoomTo()
    v.animate({"loop": "forward", "interval": 300})
    return v


def _energy(atoms):
    """Energy (eV) from info or from a stored single-point result (ASE .traj frames)."""
    if atoms.info.get("energy") is not None:
        return float(atoms.info["energy"])
    results = getattr(atoms.calc, "results", None) or {}
    return float(results["energy"]) if "energy" in results else None


def render(structures, path, grid=False, overlay=None, labels=None, hide_ligands=False,
           kernel_only=False, title=None, rotation="", cols=4, width=None, height=None):
    """Write ``path``: a self-contained HTML page (.html) or a static figure (.png/.svg/.pdf).

    A list is a gallery (``grid=True``, or structures that differ); frames of the same atoms
    are a trajectory: animated in HTML, its last frame in a static figure.

    >>> import tempfile, os
    >>> from ase.cluster import Icosahedron
    >>> out = os.path.join(tempfile.mkdtemp(), "au13.html")
    >>> render(Icosahedron("Au", 2), out)
    >>> os.path.getsize(out) > 500_000   # 3Dmol.js travels with the page
    True
    """
    rotation = validate_rotation(rotation)
    suffix = Path(path).suffix.lower()
    if suffix in (".html", ".htm"):
        view(structures, grid=grid, overlay=overlay, labels=labels, hide_ligands=hide_ligands,
             kernel_only=kernel_only, title=title, cols=cols, width=width,
             height=height).write_html(path)
    elif suffix in (".png", ".svg", ".pdf"):
        from clustergen.visual import figure

        structures = _as_structures(structures)
        if len(structures) > 1 and not grid and _same_atoms(structures):
            structures = structures[-1:]
        figure.save(structures, path, overlay=overlay, labels=labels,
                    hide_ligands=hide_ligands, kernel_only=kernel_only, title=title,
                    rotation=rotation, cols=cols)
    else:
        raise ClusterGenError(f"cannot render to '{suffix or path}': use .html, .png, .svg "
                              "or .pdf")


# ---------------------------------------------------------------------------------- CLI
