"""Views, pages and figures of clustergen.visual.viz / figure / palette.

The browser tests open the rendered HTML in headless Chromium with the network closed and
count screenshot pixels near each role colour: the cluster must really be drawn, in the
role colours.  A plain py3Dmol page (3Dmol.js from a CDN) is the control: it stays blank.
"""

import colorsys
import re
import shutil
import subprocess

import numpy as np
import pytest
from ase import Atoms
from ase.cluster import Icosahedron

import py3Dmol
from clustergen.visual import palette
from clustergen.visual import viewer
from clustergen.visual import viz
from clustergen.cli import main
from clustergen.core.errors import ClusterGenError
from clustergen.core.model import make_cluster, write_candidates

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)")
FRAMEWORK = ("kernel", "staple", "dopant", "S", "P", "halide")
CANVAS = (0, 30, 648, 510)  # the 640x480 viewer of a single view, below the title


# ------------------------------------------------------------------ a candidate with every role

def _unit(v):
    return v / np.linalg.norm(v)


def _apex(p1, p2, r1, r2, out):
    """Point at r1 from p1 and r2 from p2, on the side of ``out``."""
    d = np.linalg.norm(p2 - p1)
    e = (p2 - p1) / d
    a = (r1 ** 2 - r2 ** 2 + d ** 2) / (2 * d)
    n = _unit(out - np.dot(out, e) * e)
    return p1 + a * e + np.sqrt(r1 ** 2 - a ** 2) * n


def _three_h(centre, axis, bond):
    u = _unit(np.cross(axis, [0.3, 0.5, 0.8]))
    w = np.cross(axis, u)
    t = np.radians(70.5)
    return [centre + bond * (np.cos(t) * axis + np.sin(t) * (np.cos(p) * u + np.sin(p) * w))
            for p in np.radians([0, 120, 240])]


def toy_cluster():
    """Pt-doped Au13 icosahedron with one SCH3-Au-SCH3 staple, a PH3 and a Cl.

    Au-S 2.30-2.40 A, S-C 1.82, C-H 1.09, P-H 1.42 A; the analyser finds the same roles.
    """
    core = Icosahedron("Au", 2)
    pos = core.positions - core.positions.mean(axis=0)
    centre = int(np.argmin(np.linalg.norm(pos, axis=1)))
    surface = [i for i in range(13) if i != centre]
    top = max(surface, key=lambda i: pos[i, 2])  # staple faces the viewer (+z)
    nxt = min((i for i in surface if i != top), key=lambda i: np.linalg.norm(pos[i] - pos[top]))
    free = [i for i in surface if i not in (top, nxt)]
    p_site = min(free, key=lambda i: pos[i, 1])
    free.remove(p_site)
    cl_site = min(free, key=lambda i: pos[i, 0])
    free.remove(cl_site)
    dopant = max(free, key=lambda i: pos[i, 2])
    symbols, roles, positions = ["Au"] * 13, ["kernel"] * 13, list(pos)
    symbols[dopant] = "Pt"

    def add(symbol, p, role):
        symbols.append(symbol)
        positions.append(np.asarray(p))
        roles.append(role)

    mid = (pos[top] + pos[nxt]) / 2
    gold = mid + 3.0 * _unit(mid)
    sulfurs = []
    for i in (top, nxt):
        add("S", _apex(pos[i], gold, 2.4, 2.3, _unit(pos[i])), "S")
        sulfurs.append(positions[-1])
    add("Au", gold, "staple")
    for s in sulfurs:
        axis = _unit(s - mid)
        add("C", s + 1.82 * axis, "ligand")
        for h in _three_h(s + 1.82 * axis, axis, 1.09):
            add("H", h, "ligand")
    phosphorus = pos[p_site] + 2.3 * _unit(pos[p_site])
    add("P", phosphorus, "P")
    for h in _three_h(phosphorus, _unit(pos[p_site]), 1.42):
        add("H", h, "ligand")
    add("Cl", pos[cl_site] + 2.4 * _unit(pos[cl_site]), "halide")
    return make_cluster(symbols, positions, roles, formula="PtAu13(SCH3)2(PH3)Cl",
                        host="Au", charge=0, gap=1.5)


# ------------------------------------------------------------------ browser and pixel helpers

def chromium(tmp_path, *args):
    """Run headless Chromium with the network closed: proxy to a dead port, no DNS."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
           "--enable-unsafe-swiftshader", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--virtual-time-budget=5000",
           *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def screenshot(html_path, png_path, tmp_path, size=(900, 700)):
    chromium(tmp_path, f"--window-size={size[0]},{size[1]}", f"--screenshot={png_path}",
             f"file://{html_path}")
    assert png_path.exists(), "Chromium wrote no screenshot"
    return png_path


def role_pixels(png_path, box=None, tol=7.0):
    """Pixels within ``tol`` degrees of hue of each framework role colour (shaded or not)."""
    from PIL import Image

    img = Image.open(png_path).convert("RGB")
    if box:
        img = img.crop(box)
    hsv = np.asarray(img.convert("HSV"), dtype=float) / 255.0
    hue, sat, val = hsv[..., 0] * 360, hsv[..., 1], hsv[..., 2]
    counts = {}
    for key in FRAMEWORK:
        c = palette.colour(key)
        target = colorsys.rgb_to_hsv(*(int(c[k:k + 2], 16) / 255 for k in (1, 3, 5)))[0] * 360
        near = np.abs((hue - target + 180) % 360 - 180) < tol
        counts[key] = int((near & (sat > 0.45) & (val > 0.25)).sum())
    return counts


def exact_pixels(png_path, hex_colour, tol=12):
    from PIL import Image

    rgb = np.asarray(Image.open(png_path).convert("RGB"), dtype=int)
    target = np.array([int(hex_colour[k:k + 2], 16) for k in (1, 3, 5)])
    return int((np.abs(rgb - target).max(axis=-1) <= tol).sum())


@pytest.fixture
def toy():
    return toy_cluster()


# ------------------------------------------------------------------ colour scheme

def test_palette_keys_follow_roles_and_dopants(toy):
    keys = palette.colour_keys(toy)
    symbols = toy.get_chemical_symbols()
    assert keys[symbols.index("Pt")] == "dopant"
    assert keys.count("kernel") == 12 and keys.count("staple") == 1
    assert keys.count("S") == 2 and keys.count("P") == 1 and keys.count("halide") == 1
    assert keys.count("ligand:C") == 2 and keys.count("ligand:H") == 9
    # metals drawn larger than S, S larger than ligand atoms
    r = palette.radii(toy)
    assert r[symbols.index("Pt")] > r[symbols.index("S")] > r[symbols.index("C")]


def test_roles_come_from_the_analyser_when_missing(toy):
    bare = Atoms(toy.get_chemical_symbols(), positions=toy.positions)
    assert palette.colour_keys(bare) == palette.colour_keys(toy)


def test_bonds_are_chemical_distances(toy):
    pairs = palette.bonds(toy)
    d = np.linalg.norm(toy.positions[pairs[:, 0]] - toy.positions[pairs[:, 1]], axis=1)
    assert d.max() < 3.15 and d.min() > 1.0
    symbols = np.array(toy.get_chemical_symbols())
    staple = int(np.flatnonzero(toy.arrays["role"] == "staple")[0])
    partners = set(pairs[pairs[:, 0] == staple, 1]) | set(pairs[pairs[:, 1] == staple, 0])
    assert sorted(symbols[list(partners)]) == ["S", "S"]  # linear S-Au-S staple


# ------------------------------------------------------------------ HTML content

def test_html_has_legend_labels_hover_and_no_remote_script(toy):
    page = viz.view(toy, labels={0: "site A", 5: "site B"}).write_html()
    for label, colour in palette.legend([toy]):
        assert label in page and colour in page
    assert "site A" in page and "site B" in page
    assert "setHoverable" in page and "Pt kernel (dopant)" in page and "S S" in page
    assert "hide ligands" in page and "kernel only" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "cdn.jsdelivr" not in page
    assert page.count("createViewer") >= 2  # library itself + the view's call
    assert "University of Pittsburgh" in page  # BSD notice travels with the library


def test_notebook_output_carries_library_once(toy, monkeypatch):
    monkeypatch.setitem(viewer._session, "library_sent", False)
    first = viz.view(toy)._repr_html_()
    second = viz.view(toy)._repr_html_()
    forced = viz.view(toy, inline_js=True)._repr_html_()
    big = len(viewer.library_js())
    assert len(first) > big and len(second) < big // 10 and len(forced) > big
    assert "init_notebook" in second  # the view explains itself if the library is missing


def test_view_input_errors(toy):
    with pytest.raises(ClusterGenError, match="nothing to view"):
        viz.view([])
    with pytest.raises(ClusterGenError, match="label for atom 99"):
        viz.view(toy, labels={99: "x"})
    with pytest.raises(ClusterGenError, match="no such file"):
        viz.view("missing.extxyz")
    with pytest.raises(ClusterGenError, match="framework compositions differ"):
        viz.view(toy, overlay=Icosahedron("Au", 2))


def test_overlay_aligns_and_reports_rmsd(toy):
    moved = toy.copy()
    moved.rotate(35, "y")
    moved.translate([4.0, -1.0, 2.0])
    aligned, rmsd, _ = viz.overlay_alignment(toy, moved)
    assert rmsd < 1e-6 and np.allclose(aligned.positions, toy.positions, atol=1e-5)
    rattled = toy.copy()
    rattled.rattle(0.1, seed=3)
    _, rmsd, _ = viz.overlay_alignment(toy, rattled)
    assert 0.05 < rmsd < 0.25  # 0.1 A Gaussian per coordinate: ~0.17 A per atom
    v = viz.view(toy, overlay=rattled)
    assert f"framework RMSD {rmsd:.3f}" in v.write_html()


def test_trajectory_and_gallery(toy, tmp_path):
    frames = []
    for k in range(4):
        f = toy.copy()
        f.positions *= 1 + 0.01 * k
        f.info["energy"] = -5.0 - k
        frames.append(f)
    page = viz.view(frames).write_html()
    assert "addModelsAsFrames" in page and "animate" in page and "4 frames" in page
    assert "E -5.000 &#8594; -8.000 eV" in page
    # an optimiser's .traj file: energies from its single-point results, roles re-derived
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io import write

    for f in frames:
        f.calc = SinglePointCalculator(f, energy=f.info.pop("energy"))
    write(tmp_path / "opt.traj", frames)
    out = tmp_path / "opt.html"
    assert main(["render", str(tmp_path / "opt.traj"), "-o", str(out)]) == 0
    assert "4 frames, E -5.000 &#8594; -8.000 eV" in out.read_text()
    other = Icosahedron("Au", 2)
    other.info.update(formula="Au13", nstar=8, gap=0.8)
    page = viz.view([toy, other]).write_html()  # different atoms: gallery, not animation
    assert "createViewerGrid" in page and "Au13  N*=8  gap 0.80 eV" in page


def test_db_view_selects_rows_and_restores_roles(toy, tmp_path):
    import ase.db

    path = tmp_path / "results.db"
    with ase.db.connect(str(path)) as db:  # the layout of clustergen.compute.store.write_result
        db.write(toy, status="converged", cluster="first", gap=1.2,
                 data={"role": toy.arrays["role"].tolist(), "info": {"family": "toy"}})
        db.write(Icosahedron("Au", 2), status="failed", cluster="Au13")
        db.write(toy, status="converged", cluster="second")
    rows = viz.db_structures(path, "status=converged")
    assert [a.info["formula"] for a in rows] == ["first", "second"]
    assert rows[0].arrays["role"].tolist() == toy.arrays["role"].tolist()
    assert rows[0].info["family"] == "toy" and "role" not in rows[1].arrays
    # the second row has no roles stored: the analyser supplies the same colours
    assert palette.colour_keys(rows[1]) == palette.colour_keys(toy)
    page = viz.view(db=path, query="status=converged").write_html()
    assert "first" in page and "second" in page and "Au13" not in page
    assert "gap 1.20 eV" in page
    out = tmp_path / "converged.html"
    assert main(["render", str(path), "--query", "status=converged", "-o", str(out)]) == 0
    assert "createViewerGrid" in out.read_text() and "second" in out.read_text()
    with pytest.raises(ClusterGenError, match="no rows"):
        viz.view(db=path, query="status=queued")
    with pytest.raises(ClusterGenError, match="no results database"):
        viz.view(db=tmp_path / "none.db")


# ------------------------------------------------------------------ in a browser, offline

@needs_chromium
def test_offline_page_draws_cluster_in_role_colours(toy, tmp_path):
    page = tmp_path / "toy.html"
    viz.render(toy, page)
    counts = role_pixels(screenshot(page, tmp_path / "toy.png", tmp_path), CANVAS)
    # every framework role is on screen; the kernel (12 Au) is the biggest patch
    assert all(counts[key] > 100 for key in FRAMEWORK), counts
    assert counts["kernel"] == max(counts.values()) and counts["kernel"] > 5000, counts


@needs_chromium
def test_plain_py3dmol_page_is_blank_offline(toy, tmp_path):
    """Control: py3Dmol's own page fetches 3Dmol.js from a CDN and draws nothing here."""
    v = py3Dmol.view(width=640, height=480)
    v.addModel(viewer._xyz([toy]), "xyz")
    v.setStyle({"sphere": {"color": palette.colour("kernel")}})
    v.zoomTo()
    page = tmp_path / "plain.html"
    v.write_html(str(page))
    counts = role_pixels(screenshot(page, tmp_path / "plain.png", tmp_path))
    assert counts["kernel"] < 50, counts


@needs_chromium
def test_kernel_only_toggle_hides_shell_in_browser(toy, tmp_path):
    text = viz.view(toy).write_html()
    uid = re.search(r"clustergen_show_(\d+)", text).group(1)
    click = f"<script>setTimeout(function () {{ clustergen_show_{uid}('kernel'); }}, 500);</script>"
    page = tmp_path / "kernel.html"
    page.write_text(text.replace("</body>", click + "</body>"))
    counts = role_pixels(screenshot(page, tmp_path / "kernel.png", tmp_path), CANVAS)
    assert counts["kernel"] > 5000 and counts["dopant"] > 100, counts
    assert counts["staple"] + counts["S"] + counts["P"] + counts["halide"] < 30, counts


@needs_chromium
def test_hover_label_names_index_element_role_in_browser(toy, tmp_path):
    """Fire 3Dmol's hover callback on the dopant and on an S atom; read the labels back."""
    text = viz.view(toy).write_html()
    uid = re.search(r"clustergen_show_(\d+)", text).group(1)
    dopant = toy.get_chemical_symbols().index("Pt")
    sulfur = toy.get_chemical_symbols().index("S")
    probe = (f"<script>setTimeout(function () {{ var v = viewer_{uid}, out = [];"
             f" [{dopant}, {sulfur}].forEach(function (i) {{"
             "   var a = v.getModel(0).selectedAtoms({index: i})[0];"
             "   a.hover_callback(a, v); out.push(a.cgLabel.text); });"
             " document.body.setAttribute('data-hover', out.join('|')); }, 500);</script>")
    page = tmp_path / "hover.html"
    page.write_text(text.replace("</body>", probe + "</body>"))
    dom = chromium(tmp_path, "--dump-dom", f"file://{page}").stdout
    hover = re.search(r'data-hover="([^"]*)"', dom)
    assert hover, "hover callback did not run"
    assert hover.group(1) == f"#{dopant} Pt kernel (dopant)|#{sulfur} S S"


@needs_chromium
def test_gallery_cells_are_all_drawn(toy, tmp_path):
    other = toy.copy()
    other.rotate(90, "x")
    page = tmp_path / "grid.html"
    viz.render([toy, other], page, grid=True, cols=2)
    png = screenshot(page, tmp_path / "grid.png", tmp_path)
    for left in (8, 288):  # two 280-pixel cells side by side
        counts = role_pixels(png, (left, 30, left + 280, 310))
        assert counts["kernel"] > 1000 and counts["S"] > 50, counts


@needs_chromium
def test_notebook_views_render_offline_after_execution(toy, tmp_path):
    """Run a notebook, put its outputs in one page as Jupyter would, and look at it.

    Only the first view carries 3Dmol.js; the second must use it.
    """
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    write_candidates(tmp_path / "toy.extxyz", [toy])
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in (
        "from clustergen.core.model import read_candidates\nimport clustergen.visual.viz as viz\n"
        f"atoms = read_candidates({str(tmp_path / 'toy.extxyz')!r})[0]",
        "viz.view(atoms, width=400, height=300)",
        "viz.view(atoms, width=400, height=300, kernel_only=True)")]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = [o["data"]["text/html"] for cell in nb.cells for o in cell.get("outputs", [])
               if "text/html" in o.get("data", {})]
    assert len(outputs) == 2
    assert len(outputs[0]) > 500_000 > 50_000 > len(outputs[1])
    page = tmp_path / "notebook.html"
    page.write_text("<html><body style='margin:8px'>" + "".join(
        f"<div style='height:420px'>{o}</div>" for o in outputs) + "</body></html>")
    png = screenshot(page, tmp_path / "notebook.png", tmp_path, size=(800, 900))
    first = role_pixels(png, (0, 30, 410, 340))
    second = role_pixels(png, (0, 450, 410, 760))
    assert first["kernel"] > 1000 and first["S"] > 50, first
    assert second["kernel"] > 1000 and second["S"] < 10, second


# ------------------------------------------------------------------ static figures

def test_png_figure_in_role_colours(toy, tmp_path):
    from clustergen.visual import figure

    png = tmp_path / "toy.png"
    figure.save([toy], png, legend=False)
    counts = {key: exact_pixels(png, palette.colour(key)) for key in FRAMEWORK}
    assert all(counts[key] > 200 for key in FRAMEWORK), counts
    assert counts["kernel"] == max(counts.values()), counts
    kernel = tmp_path / "kernel.png"
    figure.save([toy], kernel, legend=False, kernel_only=True)
    hidden = {key: exact_pixels(kernel, palette.colour(key)) for key in ("staple", "S", "P")}
    assert max(hidden.values()) == 0, hidden


def test_svg_figure_has_role_colours(toy, tmp_path):
    svg = tmp_path / "toy.svg"
    viz.render(toy, svg, labels={0: "centre"})
    text = svg.read_text().lower()
    for key in FRAMEWORK:
        assert palette.colour(key).lower() in text, key
    assert text.count(palette.colour("kernel").lower()) >= 12


def test_cli_render(toy, tmp_path, capsys):
    src = tmp_path / "toy.extxyz"
    write_candidates(src, [toy, toy.copy()])
    assert main(["render", str(src), "-o", str(tmp_path / "a.html"), "--frame", "0",
                 "--labels", "0=centre"]) == 0
    assert "centre" in (tmp_path / "a.html").read_text()
    assert main(["render", str(src), "-o", str(tmp_path / "a.png"), "--grid"]) == 0
    assert main(["render", str(src), "-o", str(tmp_path / "last.png")]) == 0
    from PIL import Image

    gallery, last = Image.open(tmp_path / "a.png"), Image.open(tmp_path / "last.png")
    assert gallery.width > 1.8 * last.width  # two panels side by side vs the last frame
    assert main(["render", str(src), "-o", str(tmp_path / "a.gif")]) == 2
    assert main(["render", str(src), "-o", str(tmp_path / "b.html"), "--frame", "7"]) == 2
    err = capsys.readouterr().err
    assert "cannot render to '.gif'" in err and "frame 7 out of range" in err
