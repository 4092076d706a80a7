"""Entry point of the ``tttr`` command; library errors become one-line messages here."""

from __future__ import annotations

import logging
import sys
import warnings

import click

from . import analyze as _analyze
from . import batch as _batch
from . import blink as _blink
from . import convert as _convert
from . import flid as _flid
from . import g2 as _g2
from . import info as _info
from . import lifetime as _lifetime
from . import simulate as _simulate
from . import trace as _trace
from .options import for_the_command_line


class TttrGroup(click.Group):
    """Turns :class:`tttr.TttrError` (and file-system errors) into one line and exit code 2.

    Usage errors (a bad option value, an unknown option or command) are one line too, naming
    the command and the option, with exit code 2: click's own four-line block is shown only
    by ``--help``.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "tttr"
            message = " ".join(exc.format_message().split())
            click.echo(f"{where}: usage error: {message} (see '{where} --help')", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("tttr: interrupted", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except Exception as exc:  # noqa: BLE001 - the one place errors meet the user
            from tttr.errors import TttrError, printable

            if ctx.obj and ctx.obj.get("debug"):
                raise
            from tttr.io.atomic import DISK_ERRNOS

            # every line printed is one printable line, whatever bytes a hostile file holds
            if isinstance(exc, (TttrError, FileExistsError, FileNotFoundError, PermissionError, IsADirectoryError,
                                NotADirectoryError)) or (isinstance(exc, OSError) and exc.errno in DISK_ERRNOS):
                click.echo(f"tttr: error: {for_the_command_line(printable(exc, 2000))}", err=True)
                ctx.exit(2)
            click.echo(f"tttr: internal error: {type(exc).__name__}: {printable(exc, 2000)} "
                       "(run with --debug for the traceback)", err=True)
            ctx.exit(3)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    from tttr.errors import printable

    click.echo(f"tttr: warning: {for_the_command_line(printable(message, 2000))}", err=True)


@click.group(cls=TttrGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.version_option(package_name="tttr")
@click.pass_context
def cli(ctx, debug, verbose, quiet):
    """Streaming analysis of time-tagged photon data from single emitters.

    Read PicoQuant (PTU, PT3, PT2, HT3, HT2), Becker & Hickl SPC, Siminics FT1040, columnar
    exports and Photon-HDF5; compute blinking traces, lifetimes, FLID maps and g2.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="tttr: %(levelname)s: %(message)s", stream=sys.stderr)
    if quiet:
        warnings.simplefilter("ignore")
    else:
        warnings.showwarning = _show_warning


for _cmd in (_analyze.analyze, _info.info, _convert.convert, _trace.trace, _lifetime.lifetime, _flid.flid, _blink.blink, _g2.g2, _simulate.simulate, _batch.batch):
    cli.add_command(_cmd)
cli.add_command(__import__("tttr_cli.levels", fromlist=["levels"]).levels)  # issue 16: tttr levels

if __name__ == "__main__":  # pragma: no cover
    cli()
