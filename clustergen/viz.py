"""Role-coloured 3D views of candidates for Jupyter and standalone pages, with no network.

py3Dmol loads 3Dmol.js from a CDN, so on a machine without internet its views are blank
cells.  clustergen ships 3Dmol.js (``clustergen/_static``, BSD-3-Clause, notice kept) and
puts it in the page itself:

* in a notebook the first view of a kernel session carries the library inline, once; later
  views use the page's ``$3Dmol``.  If a notebook is reopened after its first view cell was
  re-run, that view no longer carries it: run :func:`init_notebook` in a cell above, or pass
  ``inline_js=True``.  A view that finds no library says so instead of staying blank.
* :func:`render` (``clustergen render FILE -o page.html``) writes a self-contained page;
  ``-o fig.png`` / ``.svg`` gives a static figure (:mod:`clustergen.figure`) in the same
  colours (:mod:`clustergen.palette`, ``templates/colours.yaml``).

Views are :class:`ClusterView` objects, i.e. ``py3Dmol.view`` instances: every 3Dmol.js call
(``v.setStyle(...)``, ``v.spin(True)``) still works on them.

>>> from clustergen.model import make_cluster
>>> a = make_cluster(["S", "Au", "S"], [[-2.3, 0, 0], [0, 0, 0], [2.3, 0, 0]],
...                  ["S", "staple", "S"], formula="[Au(SR)2]-")
>>> page = view(a, labels={1: "site 1"}).html()
>>> "staple metal" in page and "site 1" in page and "cdn" not in page.lower()
True
"""

import html as _html
import json
import os
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import py3Dmol
from ase import Atoms

from . import palette
from .errors import ClusterGenError
from .model import read_candidates

# Given to py3Dmol instead of its CDN address: if a view runs in a page that has no $3Dmol
# yet, py3Dmol "loads" this harmless script rather than asking the network.
_NO_NETWORK_JS = "data:text/javascript,void%200"
_CREDIT = ("3Dmol.js 2.5.5, Copyright (c) 2014, University of Pittsburgh and contributors, "
           "BSD-3-Clause (see clustergen/_static/3Dmol-LICENSE.txt)")
_session = {"library_sent": False}  # has this kernel already put 3Dmol.js in the notebook?
MODES = {"all": (), "noligand": ("ligand",), "kernel": ("shell", "ligand")}


def library_js():
    """The shipped 3Dmol.js source (about 540 kB).

    >>> "createViewer" in library_js()
    True
    """
    return resources.files("clustergen").joinpath("_static/3Dmol-min.js").read_text()


def library_script():
    """``<script>`` defining ``$3Dmol`` from the shipped copy, with no network access.

    3Dmol.js is a UMD bundle: where a page has AMD ``define`` (classic Jupyter's RequireJS)
    it would register a module instead of the global, so ``define``/``exports``/``module``
    are hidden from it.  py3Dmol views wait on ``$3Dmolpromise``; it is resolved here.

    >>> library_script().count("</script>")
    1
    """
    return (f"<script>/* {_CREDIT} */\n(function (define, exports, module) {{\n"
            f"{library_js()}\n}}).call(window);\n"
            "window.$3Dmolpromise = Promise.resolve();\n</script>\n")


def init_notebook():
    """Put 3Dmol.js into the notebook page (display it) so that later views work offline.

    Needed only when a notebook's first view no longer carries the library (see the module
    docstring); harmless otherwise.

    >>> init_notebook()  # doctest: +SKIP
    """
    from IPython.display import HTML, display

    _session["library_sent"] = True
    display(HTML(library_script()))


class ClusterView(py3Dmol.view):
    """A ``py3Dmol.view`` that brings its own 3Dmol.js, with legend, toggles and captions.

    Made by :func:`view`; ``html()`` gives a self-contained fragment, ``write_html(path)``
    a full page, and in Jupyter the object displays itself.

    >>> v = ClusterView(title="empty")
    >>> "empty" in v.html()
    True
    """

    def __init__(self, width=640, height=480, viewergrid=None, title="", inline_js=None):
        super().__init__(width=width, height=height, viewergrid=viewergrid, linked=False,
                         js=_NO_NETWORK_JS)
        if viewergrid:  # py3Dmol keeps the grid in a local variable; the toggles need it
            self.startjs += "window.clustergen_grid_UNIQUEID = viewergrid_UNIQUEID;\n"
        self._cg_title = title
        self._cg_inline = inline_js
        self._cg_legend = []
        self._cg_captions = []
        self._cg_styles = {}    # "r,c" -> [[selection, style, group], ...] for the toggles
        self._cg_animated = False

    # -- building -----------------------------------------------------------------------
    def _cg_viewer(self, cell):
        return {"viewer": cell} if self.viewergrid else {}

    def _cg_add(self, atoms, cell=None, model_id=0, frames=None, opacity=None, labels=None,
                hidden=()):
        """Add one structure (or the frames of a trajectory) as model ``model_id``."""
        kw = self._cg_viewer(cell)
        if frames is None:
            self.addModel(_xyz([atoms]), "xyz", **kw)
        else:
            self.addModelsAsFrames(_xyz(frames), "xyz", **kw)
        self.setStyle({"model": model_id}, {}, **kw)  # 3Dmol's default line style off
        key = "%d,%d" % (cell or (0, 0))
        entries = self._cg_styles.setdefault(key, [])
        for selection, style, group in _style_entries(atoms, model_id, opacity):
            entries.append([selection, style, group])
            if group not in hidden:
                self.setStyle(selection, style, **kw)
        for index, text in (labels or {}).items():
            index = int(index)
            if not -len(atoms) <= index < len(atoms):
                raise ClusterGenError(f"label for atom {index}, but the structure has "
                                      f"{len(atoms)} atoms")
            for k, frame in enumerate(frames or [atoms]):
                spec = dict(_LABEL, position=_point(frame.positions[index]))
                if frames:
                    spec["frame"] = k
                self.addLabel(str(text), spec, **kw)

    def _cg_hover(self, structures, cell=None):
        """Hover text 'index element role' for every model in one viewer."""
        table = [_hover_texts(a) for a in structures]
        on = ("function(atom, viewer) { if (atom.cgLabel) return; "
              f"var t = {json.dumps(table)}[atom.model || 0]; "
              "var text = '#' + atom.index + ' ' + ((t && t[atom.index]) || atom.elem); "
              "atom.cgLabel = viewer.addLabel(text, {position: atom, inFront: true, "
              "fontSize: 12, fontColor: 'white', backgroundColor: 'black', "
              "backgroundOpacity: 0.8}); }")
        off = ("function(atom, viewer) { if (atom.cgLabel) { viewer.removeLabel(atom.cgLabel); "
               "delete atom.cgLabel; } }")
        self.setHoverable({}, True, on, off, **self._cg_viewer(cell))

    def _cg_caption(self, text, cell=None):
        self._cg_captions.append(text)
        if self.viewergrid:
            self.addLabel(text, dict(_CAPTION), viewer=cell)

    # -- output -------------------------------------------------------------------------
    def _make_html(self):
        return self._cg_wrap(super()._make_html())

    def _cg_wrap(self, body):
        uid = self.uniqueid
        ref = f"window.clustergen_grid_{uid}" if self.viewergrid else f"window.viewer_{uid}"
        viewers = ref if self.viewergrid else f"[[{ref}]]"
        legend = "".join(
            f'<div><span style="display:inline-block;width:12px;height:12px;'
            f'border:1px solid #555;background:{c};margin-right:6px"></span>{_html.escape(t)}'
            "</div>" for t, c in self._cg_legend)
        buttons = [("all", "all atoms"), ("noligand", "hide ligands"), ("kernel", "kernel only")]
        controls = "".join(f'<button onclick="clustergen_show_{uid}(\'{m}\')">{t}</button> '
                           for m, t in buttons)
        if self._cg_animated:
            controls += (f'<button onclick="viewer_{uid}.animate({{loop: \'forward\', '
                         f'interval: 300}})">play</button> '
                         f'<button onclick="viewer_{uid}.stopAnimate()">pause</button>')
        captions = "".join(f"<li>{_html.escape(c)}</li>" for c in self._cg_captions)
        toggle = (f"<script>\nfunction clustergen_show_{uid}(mode) {{\n"
                  f"  var hide = {json.dumps(MODES)}[mode], styles = {json.dumps(self._cg_styles)};\n"
                  f"  if (!{ref}) return;\n"
                  f"  var grid = {viewers};\n"
                  "  for (var key in styles) {\n"
                  "    var rc = key.split(','), v = grid[+rc[0]][+rc[1]];\n"
                  "    v.setStyle({}, {});\n"
                  "    styles[key].forEach(function (e) {\n"
                  "      if (hide.indexOf(e[2]) < 0) v.setStyle(e[0], e[1]); });\n"
                  "    v.render();\n  }\n}\n</script>\n")
        guard = (f'<p id="cg-missing-{uid}" style="display:none;background:#ffcccc">'
                 "3Dmol.js is not loaded in this page: run clustergen.viz.init_notebook() "
                 "in a cell above, or use view(..., inline_js=True).</p>\n"
                 "<script>if (typeof $3Dmol !== 'undefined') { window.$3Dmolpromise = "
                 "Promise.resolve(); } else { document.getElementById("
                 f"'cg-missing-{uid}').style.display = 'block'; }}</script>\n")
        out = (f'<div class="clustergen-view" id="cg-{uid}" '
                'style="font-family:sans-serif;font-size:13px">\n'
                f'<div class="cg-title" style="font-weight:bold;margin:4px 0">'
                f"{_html.escape(self._cg_title)}</div>\n{guard}"
                '<div style="display:flex;gap:12px;align-items:flex-start">\n'
                f"<div>{body}</div>\n"
                f'<div class="cg-legend">{legend}</div>\n</div>\n'
                f'<div class="cg-controls" style="margin:4px 0">{controls}</div>\n'
                f'<ul class="cg-captions" style="margin:2px 0">{captions}</ul>\n'
                f"{toggle}</div>\n")
        # character references keep "\u00c5" etc. intact in pages without a charset
        return out.encode("ascii", "xmlcharrefreplace").decode("ascii")

    def html(self, inline_js=True):
        """HTML fragment of the view; with ``inline_js`` it carries 3Dmol.js itself."""
        fragment = self._make_html()
        return (library_script() + fragment) if inline_js else fragment

    def _repr_html_(self):
        # Jupyter: the library goes out with the first view of the session (or on request).
        inline = self._cg_inline
        if inline is None:
            # Colab shows each output in its own frame: nothing is shared between views
            inline = not _session["library_sent"] or "google.colab" in sys.modules
        if inline:
            _session["library_sent"] = True
        return self.html(inline_js=inline)

    def show(self):
        """Display the view in Jupyter (same as leaving it as a cell's last expression)."""
        from IPython.display import HTML, display

        display(HTML(self._repr_html_()))

    def write_html(self, f=None, fullpage=False):
        """Write a self-contained page (3Dmol.js inlined) to a path or file object.

        With ``f=None`` the page is returned as a string; ``fullpage`` is accepted for
        py3Dmol compatibility (the page keeps the view's size, legend and buttons).

        >>> ClusterView().write_html().startswith("<!DOCTYPE html>")
        True
        """
        page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                f"<title>{_html.escape(self._cg_title or 'clustergen view')}</title></head>\n"
                f'<body style="margin:8px">\n{self.html(inline_js=True)}</body></html>\n')
        if f is None:
            return page
        if isinstance(f, (str, os.PathLike)):
            Path(f).write_text(page)
        else:
            f.write(page)
        return None


_LABEL = {"fontSize": 12, "fontColor": "black", "backgroundColor": "white",
          "backgroundOpacity": 0.85, "borderThickness": 1.0, "borderColor": "#333333",
          "inFront": True, "alignment": "bottomCenter"}
_CAPTION = {"useScreen": True, "position": {"x": 6, "y": 6, "z": 0}, "fontSize": 12,
            "fontColor": "black", "backgroundColor": "white", "backgroundOpacity": 0.8,
            "alignment": "topLeft"}


def _point(p):
    return {"x": float(p[0]), "y": float(p[1]), "z": float(p[2])}


def _xyz(frames):
    """Plain XYZ text, one block per frame (3Dmol.js reads frame i as atoms 0..n-1)."""
    out = []
    for atoms in frames:
        out.append(f"{len(atoms)}\nclustergen\n")
        out.extend(f"{s} {x:.5f} {y:.5f} {z:.5f}\n"
                   for s, (x, y, z) in zip(atoms.get_chemical_symbols(), atoms.positions))
    return "".join(out)


def _style_entries(atoms, model_id=0, opacity=None):
    """(selection, 3Dmol style, toggle group) per colour key: ball-and-stick in role colours."""
    keys = palette.colour_keys(atoms)
    radii = palette.radii(atoms)
    groups = palette.groups(atoms)
    stick = palette.scheme()["stick"]
    buckets = {}
    for i, (key, radius, group) in enumerate(zip(keys, radii, groups)):
        buckets.setdefault((key, round(float(radius), 3), group), []).append(i)
    entries = []
    for (key, radius, group), index in buckets.items():
        colour = palette.colour(key)
        style = {"sphere": {"color": colour, "radius": radius},
                 "stick": {"color": colour, "radius": stick}}
        if opacity is not None:
            for part in style.values():
                part["opacity"] = opacity
        entries.append(({"model": model_id, "index": index}, style, group))
    return entries


def _hover_texts(atoms):
    keys = palette.colour_keys(atoms)
    roles = palette.roles_of(atoms)
    symbols = atoms.get_chemical_symbols()
    return [f"{s} {r}" + (" (dopant)" if k == "dopant" else "")
            for s, r, k in zip(symbols, roles.tolist(), keys)]


def caption(atoms):
    """One-line caption: formula, N*, gap (eV) and score when ``atoms.info`` has them.

    >>> caption(Atoms("Au2", info={"formula": "Au2", "nstar": 2, "gap": 1.234}))
    'Au2  N*=2  gap 1.23 eV'
    """
    info = atoms.info
    parts = [str(info.get("formula") or atoms.get_chemical_formula())]
    if "db_id" in info:
        parts.insert(0, f"#{info['db_id']}")
    if info.get("isomer") not in (None, ""):
        parts.append(f"isomer {info['isomer']}")
    if info.get("nstar") is not None:
        parts.append(f"N*={info['nstar']}")
    if info.get("gap") is not None:
        parts.append(f"gap {float(info['gap']):.2f} eV")
    return "  ".join(parts)


def _as_structures(atoms):
    if isinstance(atoms, Atoms):
        return [atoms]
    if isinstance(atoms, (str, os.PathLike)):
        if not os.path.exists(atoms):
            raise ClusterGenError(f"no such file: {atoms}")
        try:
            return read_candidates(atoms)
        except Exception as exc:  # ASE raises many types for unreadable files
            raise ClusterGenError(f"cannot read {atoms}: {exc}") from None
    structures = list(atoms)
    for s in structures:
        if not isinstance(s, Atoms):
            raise ClusterGenError(f"cannot view a {type(s).__name__}: expected ASE Atoms")
    return structures


def db_structures(db, query=None, limit=24):
    """Rows of a results database (:mod:`clustergen.store`: path or URL) as candidates.

    ``query`` is an ase.db selection such as ``"status=converged"`` or ``"gap>1.5"``.
    Info, roles and results are restored as :func:`clustergen.store.read_relaxed` does
    (``data["info"]``, ``data["role"]``, key-value pairs; ``cluster`` is the formula);
    rows without roles get them from the analyser when viewed.

    >>> import tempfile, os, ase.db
    >>> path = os.path.join(tempfile.mkdtemp(), "r.db")
    >>> _ = ase.db.connect(path).write(Atoms("Au2", [[0, 0, 0], [2.9, 0, 0]]), status="converged")
    >>> [a.info["status"] for a in db_structures(path, "status=converged")]
    ['converged']
    """
    from .store import connect

    conn = connect(db, create=False)
    try:
        rows = list(conn.select(query or None, limit=limit, sort="id"))
    except (ValueError, KeyError, SyntaxError, AttributeError) as exc:
        raise ClusterGenError(f"bad database query {query!r}: {exc}") from None
    structures = []
    for row in rows:
        atoms = row.toatoms()
        data = row.data or {}
        atoms.info.update(data.get("info", {}))
        atoms.info.update(row.key_value_pairs)
        if "cluster" in atoms.info:
            atoms.info.setdefault("formula", atoms.info["cluster"])
        atoms.info["db_id"] = row.id
        role = data.get("role")
        if role is not None and len(role) == len(atoms):
            atoms.set_array("role", np.asarray(role).astype("U8"))
        structures.append(atoms)
    return structures


def _same_atoms(frames):
    first = frames[0].get_chemical_symbols()
    return all(f.get_chemical_symbols() == first for f in frames[1:])


def _framework_elements(atoms):
    roles = palette.roles_of(atoms)
    symbols = atoms.get_chemical_symbols()
    return tuple(dict.fromkeys(s for s, r in zip(symbols, roles.tolist()) if r != "ligand"))


def overlay_alignment(atoms, reference):
    """Align ``reference`` on ``atoms`` by their frameworks (non-ligand atoms).

    Returns (aligned copy of reference, framework RMSD in Angstrom, mirrored).

    >>> a = Atoms("Au2S", positions=[[0, 0, 0], [2.9, 0, 0], [1.45, 1.8, 0]])
    >>> b = a.copy(); b.rotate(40, "z"); b.translate([3, 0, 0])
    >>> moved, rmsd, mirrored = overlay_alignment(a, b)
    >>> round(rmsd, 6)
    0.0
    """
    from .compare import align_frameworks

    fit = align_frameworks(atoms, reference, elements=_framework_elements(atoms))
    moved = reference.copy()
    moved.positions = fit.positions
    return moved, fit.rmsd, fit.mirrored


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
                hidden=_hidden(hide_ligands, kernel_only))
    if len(structures) == 1 and not grid:
        return _single(structures[0], overlay, width or 640, height or 480, **opts)
    if overlay is not None:
        raise ClusterGenError("overlay needs a single structure, not a list")
    if grid or not _same_atoms(structures):
        return _gallery(structures, cols, width, height, **opts)
    return _trajectory(structures, width or 640, height or 480, **opts)


def _hidden(hide_ligands, kernel_only):
    return MODES["kernel" if kernel_only else "noligand" if hide_ligands else "all"]


def _single(atoms, overlay, width, height, labels, title, inline_js, hidden):
    v = ClusterView(width, height, title=title or "", inline_js=inline_js)
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
    v = ClusterView(width or cols * cell, height or rows * cell, viewergrid=(rows, cols),
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
    v = ClusterView(width, height, inline_js=inline_js)
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
    suffix = Path(path).suffix.lower()
    if suffix in (".html", ".htm"):
        view(structures, grid=grid, overlay=overlay, labels=labels, hide_ligands=hide_ligands,
             kernel_only=kernel_only, title=title, cols=cols, width=width,
             height=height).write_html(path)
    elif suffix in (".png", ".svg", ".pdf"):
        from . import figure

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

def _parse_labels(text):
    labels = {}
    for item in filter(None, (text or "").split(",")):
        index, sep, name = item.partition("=")
        if not sep or not index.strip().lstrip("-").isdigit():
            raise ClusterGenError(f"bad label '{item}': write INDEX=TEXT, e.g. 0=centre")
        labels[int(index)] = name
    return labels


def _cli(args):
    if args.input.endswith(".db"):
        structures = db_structures(args.input, args.query, args.limit)
        if not structures:
            raise ClusterGenError(f"no rows in {args.input} match {args.query!r}")
    else:
        structures = _as_structures(args.input)
    if args.frame is not None:
        if not -len(structures) <= args.frame < len(structures):
            raise ClusterGenError(f"frame {args.frame} out of range: {args.input} has "
                                  f"{len(structures)} frame(s)")
        structures = [structures[args.frame]]
    overlay = None
    if args.overlay:
        overlay = _as_structures(args.overlay)[0]
        if len(structures) != 1:
            raise ClusterGenError("--overlay needs one structure: add --frame N")
    target = structures[0] if len(structures) == 1 else structures
    render(target, args.output, grid=args.grid, overlay=overlay,
           labels=_parse_labels(args.labels), hide_ligands=args.hide_ligands,
           kernel_only=args.kernel_only, title=args.title, rotation=args.rotation,
           cols=args.cols)
    print(f"wrote {args.output}")
    return 0


def register_cli(subparsers):
    """Add ``clustergen render FILE -o OUT``: HTML page (3Dmol.js inlined) or PNG/SVG figure.

    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> register_cli(sub).prog.endswith("render")
    True
    """
    p = subparsers.add_parser(
        "render", help="draw candidates: self-contained HTML page or PNG/SVG figure",
        description="Draw candidates in role colours. Examples:\n"
                    "  clustergen render au25.extxyz -o au25.html   # page, works offline\n"
                    "  clustergen render au25.extxyz -o au25.png    # static figure\n"
                    "  clustergen render series.extxyz --grid -o series.svg\n"
                    "  clustergen render results.db --query status=converged -o best.html",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("input", help="extended XYZ (or any ASE-readable file) or an ASE .db")
    p.add_argument("-o", "--output", required=True, help="output .html, .png, .svg or .pdf")
    p.add_argument("--frame", type=int, help="draw only this frame (0 first, -1 last)")
    p.add_argument("--grid", action="store_true",
                   help="gallery of all frames (default for HTML: animate same-atom frames)")
    p.add_argument("--overlay", metavar="REF", help="reference structure to align and overlay")
    p.add_argument("--labels", help="site labels, e.g. '0=centre,5=shell'")
    p.add_argument("--hide-ligands", action="store_true", help="hide R-group atoms")
    p.add_argument("--kernel-only", action="store_true", help="show only kernel metal atoms")
    p.add_argument("--title", help="title above the picture")
    p.add_argument("--rotation", default="", help="static figures: ASE rotation, e.g. '90x,30y'")
    p.add_argument("--cols", type=int, default=4, help="gallery columns (default 4)")
    p.add_argument("--query", default="", help="database selection, e.g. status=converged")
    p.add_argument("--limit", type=int, default=24, help="database rows at most (default 24)")
    p.set_defaults(func=_cli)
    return p
