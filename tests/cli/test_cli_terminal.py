"""First contact: every command as a person types it at a terminal, and every bad value.

CI has no terminal, so these tests bring one (a pseudo-terminal from Python's ``pty``): the
progress bars, colour and width decisions that only happen on a terminal run here exactly as
they do for a person. Then a table over every option of every command gives each a bad value
of its type: the answer must be a one-line usage error (exit 2) naming the option, never an
"internal error" (exit 3) and never a silent exit 0.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tttr_cli import options as opt
from tttr_cli.main import cli

from conftest import SAMPLES, real_file

AUGER = SAMPLES / "sim_auger.ptu"
T3 = SAMPLES / "real" / "pq_hydraharp_v2_t3_symphotime.ptu"


def at_terminal(args, cwd, timeout=240.0):
    """Run ``tttr ARGS`` with stdin, stdout and stderr on a pseudo-terminal; return (exit code, screen text)."""
    main, child = pty.openpty()
    env = dict(os.environ, COLUMNS="120", LINES="40", TERM="xterm")
    env.pop("MPLBACKEND", None)  # a person's environment has none; matplotlib must still not need a display
    proc = subprocess.Popen([sys.executable, "-m", "tttr_cli.main", *map(str, args)], stdin=child, stdout=child,
                            stderr=child, cwd=cwd, env=env, close_fds=True)
    os.close(child)
    out = bytearray()
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"tttr {' '.join(map(str, args))} did not finish in {timeout} s")
        r, _, _ = select.select([main], [], [], 0.2)
        if r:
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                data = b""
            if not data and proc.poll() is not None:
                break
            out += data
        elif proc.poll() is not None:
            break
    os.close(main)
    return proc.wait(), out.decode("utf-8", "replace")


def _commands(tmp):
    batch_in = tmp / "in"
    batch_in.mkdir()
    shutil.copy(AUGER, batch_in / AUGER.name)
    return {
        "info": ["info", AUGER],
        "analyze": ["analyze", AUGER],
        "analyze --out --plots": ["analyze", AUGER, "--out", tmp / "res", "--plots"],
        "trace": ["trace", AUGER, "--plot", tmp / "trace.png"],
        "blink": ["blink", AUGER, "--plot", tmp / "blink.png"],
        "lifetime": ["lifetime", AUGER, "--model", "bi", "--plot", tmp / "decay.png"],
        "flid": ["flid", AUGER, "--fit", "--regions", "200-350,650-900", "--plot", tmp / "flid.png"],
        "g2": ["g2", AUGER, "--plot", tmp / "g2.png"],
        "convert": ["convert", T3, tmp / "t3.h5"],
        "simulate": ["simulate", tmp / "sim.ptu", "--duration", "2s", "--seed", "3"],
        "batch": ["batch", batch_in, "--out", tmp / "batch_out"],
        "help": ["--help"],
    }


@pytest.mark.parametrize("name", ["info", "analyze", "analyze --out --plots", "trace", "blink", "lifetime", "flid",
                                  "g2", "convert", "simulate", "batch", "help"])
def test_every_command_works_at_a_terminal(name, tmp_path):
    args = _commands(tmp_path)[name]
    code, screen = at_terminal(args, cwd=tmp_path)
    assert "internal error" not in screen and "Traceback" not in screen, screen
    assert code == 0, screen


def test_analyze_at_a_terminal_prints_the_summary_and_the_bar_leaves_no_trace(tmp_path):
    code, screen = at_terminal(["analyze", AUGER], cwd=tmp_path)
    assert code == 0, screen
    assert "FLID verdict" in screen and "g2(0) =" in screen and "τ1 =" in screen


def test_trace_and_blink_of_an_spc_without_its_set_file(tmp_path):
    src = real_file("bh_spc132.spc")
    for cmd in ("trace", "blink"):
        code, screen = at_terminal([cmd, src], cwd=tmp_path)
        assert code == 0 and "internal error" not in screen, screen
    # what needs the nanotimes says what is missing, in the command's words
    code, screen = at_terminal(["lifetime", src], cwd=tmp_path)
    assert code == 2 and "--nanotimes-unit" in screen and "internal error" not in screen, screen


# ------------------------------------------------------------------- bad values, by hand
def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _one_usage_line(r, option):
    assert r.exit_code == 2, (r.exit_code, r.output)
    err = r.stderr.strip()
    assert "internal error" not in err
    assert err.count("\n") == 0, err  # one line
    assert option in err, err


@pytest.mark.parametrize("args,option", [
    (["trace", AUGER, "--bin", "0ms"], "--bin"),
    (["trace", AUGER, "--bin", "-5ms"], "--bin"),
    (["trace", AUGER, "--bin", "abc"], "--bin"),
    (["trace", AUGER, "--bin", "1h"], "--bin"),  # longer than the 12 s measurement
    (["blink", AUGER, "--bin", "1h"], "--bin"),
    (["flid", AUGER, "--bin", "1h"], "--bin"),
    (["analyze", AUGER, "--bin", "1h"], "--bin"),
    (["g2", AUGER, "--window", "0us"], "--window"),
    (["blink", AUGER, "--fraction", "1.5"], "--fraction"),
    (["analyze", AUGER, "--fraction", "1.5"], "--fraction"),
    (["simulate", "sim.ptu", "--set", "no_such_parameter=1"], "--set"),
    (["flid", AUGER, "--regions", "20-10"], "--regions"),
    (["lifetime", AUGER, "--sync-rate", "-5e6"], "--sync-rate"),
])
def test_bad_option_values_are_one_line_usage_errors(args, option, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _one_usage_line(run(*args), option)


def test_a_bare_number_is_not_seconds():
    r = run("trace", AUGER, "--bin", "10")
    _one_usage_line(r, "--bin")
    assert "did you mean 10ms?" in r.stderr


@pytest.mark.parametrize("args", [
    ["lifetime", AUGER, "--sync-rate", "5e6"],
    ["lifetime", AUGER, "--channel-base", "1"],
    ["flid", AUGER, "--regions", "10-20"],
    ["flid", AUGER, "--regions", "200:350,650:900"],
])
def test_reader_options_and_band_spellings_work(args):
    r = run(*args)
    assert r.exit_code == 0, r.output


def test_messages_name_the_flags_not_the_python_arguments(tmp_path):
    r = run("lifetime", real_file("bh_spc132.spc"))
    assert r.exit_code == 2 and "--nanotimes-unit" in r.stderr and "nanotimes_unit_s" not in r.stderr
    r = run("convert", real_file("bh_spc132.spc"), tmp_path / "spc.h5")  # T3 without its unit: not "a T2 file"
    assert r.exit_code == 2 and "--nanotimes-unit" in r.stderr and "T2" not in r.stderr, r.output
    assert not (tmp_path / "spc.h5").exists()
    out = tmp_path / "x.h5"
    out.write_bytes(b"mine")
    r = run("convert", T3, out)
    assert r.exit_code == 2 and "--force" in r.stderr and "force=True" not in r.stderr
    assert out.read_bytes() == b"mine"


def test_plots_are_not_overwritten_without_force(tmp_path):
    for cmd in ("trace", "blink", "lifetime", "flid", "g2"):
        p = tmp_path / f"{cmd}.png"
        p.write_bytes(b"mine")
        r = run(cmd, AUGER, "--plot", p)
        assert r.exit_code == 2 and "--force" in r.stderr, (cmd, r.output)
        assert p.read_bytes() == b"mine"
        r = run(cmd, AUGER, "--plot", p, "--force")
        assert r.exit_code == 0, (cmd, r.output)
        assert p.read_bytes()[:4] == b"\x89PNG"


def test_lifetime_and_analyze_give_one_answer():
    import json

    a = json.loads(run("analyze", AUGER, "--json").stdout)["lifetime"]
    mono = json.loads(run("lifetime", AUGER, "--json").stdout)
    bi = json.loads(run("lifetime", AUGER, "--json", "--model", "bi").stdout)
    assert mono["tau_ns"] == a["tau_ns"]  # the same decay, the same fit: identical
    assert bi["tau1_ns"] == a["tau1_ns"] and bi["tau2_ns"] == a["tau2_ns"]


def test_photons_per_detector_sum_to_the_photons():
    import json

    d = json.loads(run("analyze", AUGER, "--json").stdout)
    assert sum(d["photons_per_detector"].values()) == d["n_photons"]
    assert d["n_photons_trace"] <= d["n_photons"]


# --------------------------------------------------------- every option, a bad value of its type
def _bad_values(param):
    """Values a person might type that the option's type must refuse."""
    t = param.type
    if isinstance(t, opt.Duration):
        return ["abc", "10", "-5ms", "nanms"] + ([] if getattr(t, "allow_zero", False) else ["0ms"])
    if isinstance(t, getattr(opt, "Number", ())):
        bad = ["abc", "nan", "inf"]
        if t.low is not None:
            bad.append(str(t.low - 1))
        if t.high is not None:
            bad.append(str(t.high + 1))
        return bad
    if isinstance(t, getattr(opt, "DetectorList", ())):
        return ["x", "300", "0,0"]
    if isinstance(t, getattr(opt, "IntensityBands", ())):
        return ["5", "20-10", "a:b"]
    if isinstance(t, getattr(opt, "FigurePath", ())):
        return ["figure.xyz"]
    if isinstance(t, click.IntRange):
        bad = ["abc", "1.5"]
        if t.min is not None:
            bad.append(str(t.min - 1))
        if t.max is not None:
            bad.append(str(t.max + 1))
        return bad
    if isinstance(t, click.Choice):
        return ["no-such-choice"]
    return []


def test_no_option_takes_an_unchecked_number():
    """A bare int/float option accepts nan, inf and negative values; each must use a checked type."""
    bare = [f"{name} {p.opts[0]}" for name, cmd in cli.commands.items() for p in cmd.params
            if isinstance(p, click.Option) and (p.type is click.INT or p.type is click.FLOAT)]
    assert bare == []


def _table():
    rows = []
    for name, cmd in sorted(cli.commands.items()):
        for p in cmd.params:
            if not isinstance(p, click.Option) or p.is_flag or p.name in ("help",):
                continue
            for bad in _bad_values(p):
                rows.append(pytest.param(name, p.opts[0], bad, id=f"{name} {p.opts[0]} {bad}"))
    return rows


def _argv(name, tmp_path):
    if name == "simulate":
        return [name, tmp_path / "sim.ptu", "--duration", "1s"]
    if name == "convert":
        return [name, AUGER, tmp_path / "out.h5"]
    if name == "batch":
        d = tmp_path / "in"
        d.mkdir(exist_ok=True)
        return [name, d, "--out", tmp_path / "out"]
    return [name, AUGER]


def test_the_table_covers_every_command():
    assert {r.values[0] for r in _table()} == set(cli.commands)


@pytest.mark.parametrize("name,option,bad", _table())
def test_every_option_refuses_a_bad_value(name, option, bad, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run(*_argv(name, tmp_path), option, bad)
    _one_usage_line(r, option)


@pytest.mark.slow  # ~40 s
def test_every_report_figure_draws_on_the_samples(tmp_path):
    """Each figure of a report, and the one-page summary, renders to a decodable PNG for every sample."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import tttr
    from tttr import plot

    for sample in sorted(SAMPLES.glob("sim_*.ptu")):
        report = tttr.analyze(sample)
        figs = plot.report_figures(report)
        assert {"trace", "decay", "flid", "g2"} <= set(figs), (sample.name, sorted(figs))
        figs["summary"] = plot.summary_figure(report)
        for name, fig in figs.items():
            out = plot.save(fig, tmp_path / f"{sample.stem}.{name}.png")
            img = plt.imread(out)
            assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100, (sample.name, name)


def test_html_report_is_self_contained_and_every_image_decodes(tmp_path):
    """The page parses, names the verdict, and each embedded figure is a PNG that decodes."""
    import base64
    import io
    from html.parser import HTMLParser

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import tttr
    from tttr.report_html import write_html_report

    report = tttr.analyze(AUGER)
    page = write_html_report(report, tmp_path / "r.html")

    class Images(HTMLParser):
        def __init__(self):
            super().__init__()
            self.src, self.links = [], []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "img":
                self.src.append(a["src"])
            if tag in ("link", "script") and (a.get("href") or a.get("src")):
                self.links.append(a)

    p = Images()
    text = Path(page).read_text(encoding="utf-8")
    p.feed(text)
    assert p.links == []  # nothing fetched from elsewhere
    assert len(p.src) >= 5 and all(s.startswith("data:image/png;base64,") for s in p.src)
    for s in p.src:
        img = plt.imread(io.BytesIO(base64.b64decode(s.split(",", 1)[1])), format="png")
        assert img.shape[0] > 50
    assert "FLID verdict" in text and "±" in text
    with pytest.raises(FileExistsError):
        write_html_report(report, tmp_path / "r.html")


@pytest.mark.slow  # ~20 s
def test_the_tour_notebook_runs(tmp_path):
    """docs/tour.ipynb, from tttr.read to the report, runs top to bottom on the samples."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    root = SAMPLES.parents[1]
    nb = nbformat.read(root / "docs" / "tour.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(root)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("text/html" in o.get("data", {}) for o in outputs)  # the report as a table
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the figures
