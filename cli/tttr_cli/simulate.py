"""``tttr simulate OUT``: a synthetic single-emitter measurement and its ground truth."""

from __future__ import annotations

import click

from .options import DURATION, POSITIVE, LibraryChoice, emit_json, json_option


@click.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=str))
@click.option("--model", type=LibraryChoice("tttr.simulate", "MODELS"), default="auger", show_default=True)
@click.option("--mode", type=click.Choice(["t3", "t2"]), default="t3", show_default=True)
@click.option("--duration", "duration_s", type=DURATION, default="60s", show_default=True)
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--excitation", type=click.Choice(["pulsed", "cw"]), default=None, help="Default: pulsed.")
@click.option("--rep-rate", "repetition_rate_hz", type=POSITIVE, default=None, help="Laser repetition rate (Hz).")
@click.option("--mean-excitons", "mean_excitons_per_pulse", type=POSITIVE, default=None, help="⟨N⟩ per pulse.")
@click.option("--set", "extra", multiple=True, metavar="NAME=VALUE",
              help="Any other SimulationConfig field, e.g. --set alpha_on=1.7 (repeatable).")
@click.option("--force", is_flag=True, help="Overwrite OUT and its truth file.")
@json_option
def simulate(out, model, mode, duration_s, seed, excitation, repetition_rate_hz, mean_excitons_per_pulse, extra, force,
             as_json):
    """Simulate an emitter into OUT (.ptu or .h5) and write OUT.truth.json beside it."""
    import json

    from tttr.simulate import simulate_to_file, truth_path

    params = {k: v for k, v in dict(excitation=excitation, repetition_rate_hz=repetition_rate_hz,
                                      mean_excitons_per_pulse=mean_excitons_per_pulse).items() if v is not None}
    from dataclasses import fields

    from tttr.simulate import SimulationConfig

    known = sorted(f.name for f in fields(SimulationConfig))
    for item in extra:
        if "=" not in item:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="'--set'")
        k, v = item.split("=", 1)
        if k.strip() not in known:
            import difflib

            close = difflib.get_close_matches(k.strip(), known, n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise click.BadParameter(f"no simulation parameter {k.strip()!r}; {hint}(one of: {', '.join(known)})",
                                     param_hint="'--set'")
        try:
            params[k.strip()] = json.loads(v)
        except json.JSONDecodeError:
            params[k.strip()] = v
    try:
        truth = simulate_to_file(out, model=model, mode=mode, seed=seed, duration_s=duration_s, force=force, **params)
    except (TypeError, ValueError) as exc:
        raise click.UsageError(f"--set: {exc}") from None
    if as_json:
        emit_json(truth)
        return
    acq = truth.get("acquisition", {})
    click.echo(f"wrote {out} ({acq.get('n_photons', 0):,} photons, {duration_s:g} s) and {truth_path(out)}")
