"""Static pictures of candidates for papers and reports (PNG, SVG, PDF) in the role colours.

A flat ball-and-stick projection drawn with matplotlib: atoms are discs of the drawing radius
(``templates/colours.yaml``), bonds are half-sticks in the colour of their atom, and
everything is painted back to front.  The colours are those of the 3D views
(:mod:`clustergen.visual.palette`), so a figure matches what was inspected in the notebook.

>>> import tempfile, os
>>> from ase.cluster import Icosahedron
>>> path = os.path.join(tempfile.mkdtemp(), "au13.png")
>>> save([Icosahedron("Au", 2)], path)
>>> open(path, "rb").read(4) == b"\\x89PNG"
True
"""

import textwrap

import numpy as np
from ase.utils import rotate

from clustergen.core.errors import ClusterGenError
from clustergen.visual import palette
from clustergen.visual.labels import caption, overlay_alignment


def _shade(hex_colour, factor):
    rgb = np.array([int(hex_colour[k:k + 2], 16) for k in (1, 3, 5)]) / 255.0
    return tuple(rgb * factor)


def _layers(atoms, rotation, hidden, alpha, centre):
    """Per atom: projected position (x, y, depth), colour, radius, visibility and alpha."""
    visible = np.array([g not in hidden for g in palette.groups(atoms)])
    xyz = (atoms.positions - centre) @ rotate(rotation)
    return dict(xyz=xyz, colours=palette.colours(atoms), radii=palette.radii(atoms),
                visible=visible, bonds=palette.bonds(atoms), alpha=alpha)


def draw(ax, atoms, rotation="", overlay=None, labels=None, hide_ligands=False,
         kernel_only=False, title=None):
    """Draw one candidate (and a faded, aligned ``overlay``) on a matplotlib Axes.

    Returns the title used (the caption, or the overlay's framework RMSD).

    >>> from matplotlib.figure import Figure
    >>> from ase.cluster import Icosahedron
    >>> draw(Figure().add_subplot(), Icosahedron("Au", 2), title="Au13")
    'Au13'
    """
    from matplotlib.patches import Circle, Polygon

    hidden = palette.hidden_groups(hide_ligands, kernel_only)
    centre = atoms.positions.mean(axis=0)
    layers = [_layers(atoms, rotation, hidden, 1.0, centre)]
    if overlay is not None:
        moved, rmsd, mirrored = overlay_alignment(atoms, overlay)
        layers.insert(0, _layers(moved, rotation, hidden, 0.35, centre))
        title = title or (f"{caption(atoms)} on {caption(overlay)}: framework RMSD "
                          f"{rmsd:.3f} \u00c5" + (" (mirror image)" if mirrored else ""))
    title = title or caption(atoms)
    stick = palette.scheme()["stick"]

    depth = np.concatenate([layer["xyz"][:, 2] for layer in layers])
    rank = np.empty(len(depth), dtype=int)
    rank[np.argsort(depth, kind="stable")] = np.arange(len(depth))  # far atoms first
    offset = 0
    lo, hi = np.full(2, np.inf), np.full(2, -np.inf)
    for layer in layers:
        xyz, colours, radii, visible = (layer[k] for k in ("xyz", "colours", "radii", "visible"))
        a = layer["alpha"]
        for i in np.flatnonzero(visible):
            z = 2 * rank[offset + i] + 1
            ax.add_patch(Circle(xyz[i, :2], radii[i], facecolor=colours[i], alpha=a,
                                edgecolor=_shade(colours[i], 0.55), linewidth=0.6, zorder=z))
            lo = np.minimum(lo, xyz[i, :2] - radii[i])
            hi = np.maximum(hi, xyz[i, :2] + radii[i])
        for i, j in layer["bonds"]:
            if not (visible[i] and visible[j]):
                continue
            d = xyz[j, :2] - xyz[i, :2]
            length = np.linalg.norm(d)
            if length < 1e-6:
                continue  # bond along the line of sight: hidden behind its atoms
            n = np.array([-d[1], d[0]]) / length * stick
            mid = (xyz[i, :2] + xyz[j, :2]) / 2
            for k, end in ((i, xyz[i, :2]), (j, xyz[j, :2])):
                # each half-stick sits just under its own atom in the painting order
                ax.add_patch(Polygon([end + n, mid + n, mid - n, end - n], closed=True,
                                     facecolor=colours[k], alpha=a, linewidth=0,
                                     zorder=2 * rank[offset + k]))
        offset += len(xyz)
    xyz = layers[-1]["xyz"]
    for index, text in (labels or {}).items():
        index = int(index)
        if not -len(atoms) <= index < len(atoms):
            raise ClusterGenError(f"label for atom {index}, but the structure has "
                                  f"{len(atoms)} atoms")
        ax.annotate(str(text), xyz[index, :2], ha="center", va="center", fontsize=7,
                    zorder=4 * len(depth) + 10,
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="#333333", alpha=0.85))
    if np.isfinite(lo).all():
        pad = 0.5
        ax.set_xlim(lo[0] - pad, hi[0] + pad)
        ax.set_ylim(lo[1] - pad, hi[1] + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(textwrap.fill(title, 60), fontsize=9)
    return title


def save(structures, path, cols=4, panel=4.0, dpi=200, rotation="", overlay=None,
         labels=None, hide_ligands=False, kernel_only=False, title=None, legend=True):
    """Write a figure of one or more candidates (a gallery) to ``path`` (.png, .svg, .pdf).

    ``panel`` is the size of one structure in inches; ``labels`` is a dict {index: text}
    (for a gallery: a list of dicts, or one dict for all).

    >>> import tempfile, os
    >>> from ase.cluster import Icosahedron
    >>> path = os.path.join(tempfile.mkdtemp(), "au13.svg")
    >>> save([Icosahedron("Au", 2)], path, title="Au13")
    >>> "<svg" in open(path).read()
    True
    """
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError:
        raise ClusterGenError("static figures need matplotlib: pip install matplotlib") from None
    structures = list(structures)
    if not structures:
        raise ClusterGenError("nothing to draw: the list of structures is empty")
    if overlay is not None and len(structures) != 1:
        raise ClusterGenError("overlay needs a single structure, not a list")
    cols = max(1, min(cols, len(structures)))
    rows = -(-len(structures) // cols)
    entries = palette.legend(structures) if legend else []
    ncol = max(1, min(len(entries), 2 * cols))
    footer = 0.25 * -(-len(entries) // ncol) + 0.1 if entries else 0.0  # inches
    fig = Figure(figsize=(cols * panel, rows * panel + footer))
    per_item = labels if isinstance(labels, (list, tuple)) else [labels] * len(structures)
    for k, atoms in enumerate(structures):
        ax = fig.add_subplot(rows, cols, k + 1)
        draw(ax, atoms, rotation=rotation, overlay=overlay, labels=per_item[k],
             hide_ligands=hide_ligands, kernel_only=kernel_only,
             title=title if len(structures) == 1 else None)
    if title and len(structures) > 1:
        fig.suptitle(title)
    if entries:
        handles = [Patch(facecolor=c, edgecolor=_shade(c, 0.55), label=t) for t, c in entries]
        fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=8, frameon=False,
                   handlelength=1.0, columnspacing=1.0)
    fig.tight_layout(rect=(0, footer / fig.get_figheight(), 1, 1))
    fig.savefig(str(path), dpi=dpi)
