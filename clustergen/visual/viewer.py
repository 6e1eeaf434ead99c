"""The py3Dmol view behind :func:`clustergen.visual.viz.view`, with its own copy of 3Dmol.js.

py3Dmol loads 3Dmol.js from a CDN, so on a machine without internet its views are blank
cells.  clustergen ships 3Dmol.js (``clustergen/_static``, BSD-3-Clause, notice kept):
in a notebook the first view of a kernel session carries the library inline, once (every
view in Colab, whose outputs are separate frames); later views use the page's ``$3Dmol``,
and py3Dmol's loader is pointed at a harmless ``data:`` script instead of the network.  A
view that finds no library says so (run :func:`init_notebook`) instead of staying blank.
Pages written by :meth:`ClusterView.write_html` always carry it.

Kept apart from :mod:`clustergen.visual.viz` because py3Dmol imports IPython (0.6 s), which the
``clustergen`` command should not pay for on every start.

>>> v = ClusterView(title="empty")
>>> page = v.write_html()
>>> "empty" in page and "createViewer" in page and "cdn" not in page.lower()
True
"""

import html as _html
import json
import os
import sys
from importlib import resources
from pathlib import Path

import py3Dmol

from clustergen.core.errors import ClusterGenError
from clustergen.visual import palette

# Given to py3Dmol instead of its CDN address: if a view runs in a page that has no $3Dmol
# yet, py3Dmol "loads" this harmless script rather than asking the network.
_NO_NETWORK_JS = "data:text/javascript,void%200"
_CREDIT = ("3Dmol.js 2.5.5, Copyright (c) 2014, University of Pittsburgh and contributors, "
           "BSD-3-Clause (see clustergen/_static/3Dmol-LICENSE.txt)")
_session = {"library_sent": False}  # has this kernel already put 3Dmol.js in the notebook?


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

    def __getattr__(self, name):
        """py3Dmol records every call as JavaScript with JSON arguments inside a
        ``<script>``; JSON leaves ``</script>`` in a string as it is, so text from a file
        (a formula, a label) could end the script and start another.  ``<``, ``>`` and
        ``&`` only occur inside those JSON strings: written as ``\\u003c`` etc. they read
        the same in JavaScript and cannot close the element."""
        call = super().__getattr__(name)

        def safe(*args, **kwargs):
            start, update = len(self.startjs), len(self.updatejs)
            out = call(*args, **kwargs)
            self.startjs = self.startjs[:start] + js_safe(self.startjs[start:])
            self.updatejs = self.updatejs[:update] + js_safe(self.updatejs[update:])
            return out
        return safe

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
                  f"  var hide = {js_safe(json.dumps(palette.MODES))}[mode], "
                  f"styles = {js_safe(json.dumps(self._cg_styles))};\n"
                  f"  if (!{ref}) return;\n"
                  f"  var grid = {viewers};\n"
                  "  for (var key in styles) {\n"
                  "    var rc = key.split(','), v = grid[+rc[0]][+rc[1]];\n"
                  "    v.setStyle({}, {});\n"
                  "    styles[key].forEach(function (e) {\n"
                  "      if (hide.indexOf(e[2]) < 0) v.setStyle(e[0], e[1]); });\n"
                  "    v.render();\n  }\n}\n</script>\n")
        guard = (f'<p id="cg-missing-{uid}" style="display:none;background:#ffcccc">'
                 "3Dmol.js is not loaded in this page: run clustergen.visual.viz.init_notebook() "
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


def js_safe(code):
    """JavaScript whose string literals cannot end a ``<script>`` element: ``<``, ``>``,
    ``&`` and the JS line separators as unicode escapes (valid only where they sit inside
    string literals, as in JSON).

    >>> print(js_safe('f("</script><script>x")'))
    f("\\u003c/script\\u003e\\u003cscript\\u003ex")
    """
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        code = code.replace(char, escape)
    return code


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
