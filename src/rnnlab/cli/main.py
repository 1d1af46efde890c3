"""The `rnnlab` command: a thin shell that parses, calls the library and prints.

Exit status: 0 success; 1 a verification found a counterexample or a claim does not hold;
2 bad input, reported as one line on stderr.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import click

from rnnlab import __version__
from rnnlab.cli import bench, dynamics, exact, extract, generation, interop, report, reproduce, sweep, verify
from rnnlab.errors import NonFiniteError
from rnnlab.files import WriteError, json_text

# One module per command group; each exposes COMMANDS, a list of click commands.
COMMAND_GROUPS = [exact, verify, extract, interop, dynamics, generation, bench, report, sweep, reproduce]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="rnnlab")
def cli() -> None:
    """rnnlab: the classic mechanics of recurrent neural networks, run, verified, measured and plotted.

    \b
    Example:
      rnnlab run all-ones --input 11110100
    """


for group in COMMAND_GROUPS:
    for command in group.COMMANDS:
        cli.add_command(command)


def main(argv: Sequence[str] | None = None, started: float | None = None) -> int:
    """Run the CLI and return its exit status instead of exiting (used by tests). started: when the process
    began, on time.monotonic's clock (the entry point passes it: `extract --time-limit` counts the start-up)."""
    try:
        rc = cli.main(args=list(argv) if argv is not None else None, prog_name="rnnlab", standalone_mode=False,
                      obj={"started": started})
    except click.exceptions.Abort:
        click.echo("rnnlab: interrupted", err=True)
        return 130
    except click.UsageError as e:
        hint = f" (see 'rnnlab {e.ctx.info_name} --help')" if e.ctx and e.ctx.info_name != "rnnlab" else ""
        click.echo(f"rnnlab: error: {_one_line_text(e.format_message())}{hint}", err=True)
        return 2
    except click.ClickException as e:
        click.echo(f"rnnlab: error: {_one_line_text(e.format_message())}", err=True)
        return 2
    except NonFiniteError as e:  # valid input, but the run did not succeed
        click.echo(f"rnnlab: {e}", err=True)
        if argv is not None and "--json" in argv or argv is None and "--json" in sys.argv:
            click.echo(json_text({"error": "non-finite", "what": e.what, "step": e.step, "value": e.value}))
        return 1
    except MemoryError:
        click.echo("rnnlab: error: out of memory; lower the sizes, or set a limit with --max-memory SIZE", err=True)
        return 2
    except OSError as e:
        click.echo(f"rnnlab: error: {_os_error(e)}", err=True)
        return 2
    except ValueError as e:
        click.echo(f"rnnlab: error: {_one_line(e)}", err=True)
        return 2
    return rc if isinstance(rc, int) else 0


def _one_line_text(text: str) -> str:
    """A message on one line (the contract: one line on stderr)."""
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def _one_line(e: BaseException) -> str:
    return _one_line_text(str(e)) or type(e).__name__


def _os_error(e: OSError) -> str:
    """A file that could not be read or written, named, without Python's "[Errno 28]" (WriteError names itself)."""
    if isinstance(e, WriteError) or not e.filename or not e.strerror:
        return _one_line(e)
    return f"{e.filename!r}: {e.strerror}"


def _process_start() -> float | None:
    """When this process began, on time.monotonic's clock (Linux: its start in /proc/self/stat against the
    boot-time clock), so that a time limit can count the interpreter's start-up and the imports; None where
    unknown."""
    try:
        fields = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
        since = time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return time.monotonic() - since if 0.0 <= since < 600.0 else None


def run() -> None:
    """Console-script entry point."""
    sys.exit(main(started=_process_start()))


if __name__ == "__main__":
    run()
