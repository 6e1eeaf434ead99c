"""Report stage: ``report.html``, one self-contained page (3Dmol.js inlined, no network)
rendered from the package template ``report.html.j2`` with autoescaping on."""

import io
from importlib import resources
from pathlib import Path

from clustergen.rank.ranking import member_summary
from clustergen.workflow.stages import scalar_info
from clustergen.workflow.state import file_digest

FILE = "report.html"
TEMPLATE = "report.html.j2"
HEAD = ("formula", "member", "isomer", "energy (eV)", "ΔE (eV)", "gap (eV)", "status",
        "steps", "survivor", "why not", "cid")
KEYS = ("formula", "known", "isomer", "energy_eV", "rel_energy_eV", "gap_eV", "status",
        "steps", "survivor", "reason", "cid")
FORMATS = {"energy_eV": "{:.3f}", "rel_energy_eV": "{:.3f}", "gap_eV": "{:.2f}",
           "std_eV": "±{:.3f}", "predicted_gap": "{:.2f}", "predicted_rel_energy": "{:.3f}",
           "predicted_std": "±{:.3f}", "level_energy_eV": "{:.3f}",
           "level_rel_energy_eV": "{:.3f}", "level_gap_eV": "{:.2f}"}
# optional columns, shown when the rows have them: (key, heading)
EXTRA = (("source", "source"), ("std_eV", "std (eV)"),
         ("predicted_gap", "predicted gap (eV)"),
         ("predicted_rel_energy", "predicted ΔE (eV)"), ("predicted_std", "± (eV)"),
         ("predicted_level", "model level"), ("level", "level"),
         ("level_rel_energy_eV", "ΔE at level (eV)"), ("level_gap_eV", "gap at level (eV)"))


def _svg(fig):
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.find("<svg"):]


def _plot(ax, pts, key, optical):
    for surv, style in (("no", dict(facecolors="none", edgecolors="#777777",
                                    label="candidate")),
                        ("yes", dict(color="#c8102e", label="survivor"))):
        sel = [r for r in pts if r["survivor"] == surv]
        if sel:
            ax.scatter([r["n_metal"] for r in sel], [r[key] for r in sel], s=36,
                       zorder=3, **style)
    if key == "gap_eV":
        best = {r["n_metal"]: r[key] for r in pts if r["rel_energy_eV"] == 0}
        if best:
            xs = sorted(best)
            ax.plot(xs, [best[x] for x in xs], "-", color="#c8102e", lw=1,
                    label="lowest-energy isomer")
        if optical:
            xs = sorted(optical)
            ax.plot(xs, [optical[x] for x in xs], "x", color="#1f4e9a", ms=8,
                    label="measured optical gap")


def series_plots(rows, optical=None):
    """Two inline SVG plots along the series: HOMO-LUMO gap and relative energy against
    the number of metal atoms; survivors filled, measured optical gaps (``{n: eV}``) as
    crosses for comparison.

    >>> svgs = series_plots([{"n_metal": 25, "energy_eV": -1.0, "rel_energy_eV": 0.0,
    ...                       "gap_eV": 1.3, "survivor": "yes"}], optical={25: 1.33})
    >>> len(svgs), all(s.startswith("<svg") for s in svgs)
    (2, True)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "clustergen"  # stable ids: same rows, same page
    done = [r for r in rows if r["n_metal"] is not None and r["energy_eV"] is not None]
    out = []
    for key, label in (("gap_eV", "HOMO-LUMO gap (GFN1-xTB), eV"),
                       ("rel_energy_eV", "energy above lowest isomer, eV")):
        fig, ax = plt.subplots(figsize=(5.6, 3.6))
        pts = [r for r in done if r[key] is not None]
        _plot(ax, pts, key, optical)
        ax.set_xlabel("metal atoms n")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if pts:
            ax.set_xticks(sorted({r["n_metal"] for r in pts}))
            ax.legend(fontsize=8)
        out.append(_svg(fig))
        plt.close(fig)
    return out


def columns(rows):
    """Keys and headings of the table: the fixed ones, then the optional ones any row has.

    >>> columns([{"cid": "a", "source": "computed"}])[1][-1]
    'source'
    """
    extra = [(k, h) for k, h in EXTRA if any(r.get(k) is not None for r in rows)]
    return KEYS + tuple(k for k, _ in extra), HEAD + tuple(h for _, h in extra)


def _table(rows, keys=KEYS):
    """Table cells as text (the template escapes them)."""
    return [{"survivor": r["survivor"] == "yes",
             "cells": ["" if r.get(k) is None else FORMATS.get(k, "{}").format(r.get(k))
                       for k in keys]} for r in rows]


def _shown(rows, relaxed, show):
    by_cid = {a.info.get("cid"): a for a in relaxed}
    if show == "all":
        pick = [r for r in rows if r["energy_eV"] is not None]
    elif show == "survivors":
        pick = [r for r in rows if r["survivor"] == "yes"]
    else:  # the lowest of each formula, plus any other survivor
        pick = [r for r in rows if r["rel_energy_eV"] == 0 or r["survivor"] == "yes"]
    return [by_cid[r["cid"]] for r in pick if r["cid"] in by_cid]


def _views(rows, relaxed, show):
    from clustergen.visual.viewer import library_script
    from clustergen.visual.viz import view

    shown = _shown(rows, relaxed, show)
    if not shown:
        return ""
    v = view([scalar_info(a) for a in shown], grid=True, cols=min(3, len(shown)),
             title=f"{len(shown)} structures ({show}); hover an atom for its role",
             inline_js=False)
    return library_script() + v.html(inline_js=False)


def render(**context):
    """The report page from ``report.html.j2`` (autoescaped; ``plots`` and ``views`` are
    inserted as HTML).

    >>> page = render(title="<b>x</b>", rows=[{"formula": "</script>"}], n_survivors=0,
    ...               summary=[], plots=[], views="", head=HEAD, table=[], notes=["a&b"])
    >>> "&lt;b&gt;x&lt;/b&gt;" in page, "</script>\\"" in page, "a&amp;b" in page
    (True, False, True)
    """
    import jinja2

    text = resources.files("clustergen.workflow").joinpath(TEMPLATE).read_text("utf-8")
    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    return env.from_string(text).render(**context)


def write_report(rows, relaxed, path, title="clustergen workflow", show="lowest",
                 optical=None, notes=(), figures=()):
    """A self-contained HTML page: plots of gap and relative energy along the series, 3D
    views of the chosen structures (``show``: lowest of each formula, survivors, all), the
    ranking table, and the rows as JSON (``<script id="ranking-data">``) for scripts.
    Rows of predicted (not relaxed) candidates are listed in the table only; ``figures``
    (``{"caption", "file", "src"}``, e.g. surrogate parity plots) are inlined as images.

    >>> write_report(rows, relaxed, "report.html")  # doctest: +SKIP
    """
    done = [r for r in rows if r.get("source", "computed") == "computed"]
    keys, head = columns(rows)
    page = render(title=title, rows=rows, n_survivors=sum(r["survivor"] == "yes" for r in rows),
                  summary=member_summary(done), plots=series_plots(done, optical),
                  views=_views(done, relaxed, show), head=head, table=_table(rows, keys),
                  notes=list(notes), figures=list(figures),
                  n_predicted=len(rows) - len(done))
    Path(path).write_text(page.encode("ascii", "xmlcharrefreplace").decode("ascii"))
    return Path(path)


def optical_gaps(family_name):
    """Measured optical gaps ``{n_metal: eV}`` of a family's listed members, or None."""
    if not family_name:
        return None
    from clustergen.generation.families import family, member

    fam = family(family_name)
    out = {}
    for m in fam.get("members", []):
        if m.get("optical_gap_eV") is not None:
            out[member(fam, m["k"])["formula"].n_metal] = float(m["optical_gap_eV"])
    return out or None


def run(config, inputs, run_dir):
    notes = [f"{name}: {s.get('wall', 0):.0f} s (finished {s.get('finished', '?')})"
             for name, s in inputs["state"].items() if name in inputs["stages"]]
    relax = config["relax"]
    notes.append(f"relax: {relax['method']}, fmax {relax['fmax']} eV/Å, "
                 f"step cap {relax['steps']}, {relax['optimiser']}")
    if config["dft"]:
        notes.append(f"dft: {', '.join(config['dft']['codes'])} {config['dft']['task']} "
                     "decks for the survivors in dft/")
    from clustergen.workflow.stages.surrogate_figures import surrogate_figures

    figures, more = surrogate_figures(config, inputs, run_dir)
    write_report(inputs["rows"], inputs["relaxed"], run_dir / FILE,
                 title=config["report"]["title"] or config["description"] or config["name"],
                 show=config["report"]["show"],
                 optical=optical_gaps(config["build"]["family"]), notes=notes + more,
                 figures=figures)
    return {"digest": file_digest(run_dir / FILE)}


def reuse(config, inputs, run_dir):
    return {}


def log(inputs, status):
    import time

    return [f"report: {inputs['run_dir'] / FILE} ({status}); "
            f"{time.perf_counter() - inputs['started']:.0f} s"]
