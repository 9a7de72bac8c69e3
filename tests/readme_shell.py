"""How ``test_readme.py`` runs the README's commands: its code blocks, a shell per line, and
the set-up command without a real install.

With ``NEWSDESK_README_INSTALL=real`` the set-up commands run as written: a new virtual
environment and pip downloads (minutes). Otherwise ``python3`` on the PATH is a stand-in
that answers ``python3 -m venv DIR`` by making DIR/bin/{python,pip,newsdesk,activate} that
use the interpreter running the tests (every other ``python3`` call goes to it as is), and
that ``pip`` installs nothing: it checks that what the command asks for is what this
interpreter has (the extras named in pyproject.toml exist and their requirements are met,
a pinned package is installed at that version), and fails saying what is missing.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
TRACEBACK = "Traceback (most recent call last)"


@dataclass
class Block:
    section: str      # the heading above the block
    lines: list[str]  # its command lines (blank lines and whole-line comments left out)


def code_blocks(readme: str) -> list[Block]:
    """The ``sh`` code blocks of the README with the section each one is in."""
    blocks = []
    for match in FENCE.finditer(readme):
        if match.group(1) not in ("sh", "bash", "shell", "console"):
            continue
        before = readme[:match.start()]
        headings = re.findall(r"^#+ (.+)$", before, re.M)
        bold = re.findall(r"^\*\*(.+?)\*\*", before, re.M)
        section = headings[-1] if headings else ""
        if bold and before.rfind("**" + bold[-1]) > before.rfind("# " + section):
            section = bold[-1]
        lines = [ln.strip() for ln in match.group(2).splitlines()]
        blocks.append(Block(section, [ln for ln in lines if ln and not ln.startswith("#")]))
    return blocks


def words(line: str) -> list[str]:
    """The line's words as the shell splits them, comments dropped."""
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()


def subcommand(line: str) -> str | None:
    """``newsdesk --db x ai timeline ...`` -> "ai"; None when the line is not newsdesk's."""
    parts = words(line)
    while parts and re.match(r"^[A-Z_][A-Z0-9_]*=", parts[0]):
        parts.pop(0)
    if not parts or Path(parts[0]).name != "newsdesk":
        return None
    rest, i = parts[1:], 0
    while i < len(rest) and rest[i].startswith("-"):
        i += 2 if rest[i] in ("--db", "--config") else 1
    return rest[i] if i < len(rest) else None


# ----------------------------------------------------------------- the stand-in python3
PYTHON3 = '''#!{python}
import os, sys
args = sys.argv[1:]
if args[:2] != ["-m", "venv"]:
    os.execv({python!r}, [{python!r}] + args)
bin_dir = os.path.join(os.path.abspath(args[-1]), "bin")
os.makedirs(bin_dir, exist_ok=True)
scripts = {{
    "python": '#!/bin/sh\\nexec {python} "$@"\\n',
    "newsdesk": '#!/bin/sh\\nexec {python} -m newsdesk "$@"\\n',
    "pip": '#!/bin/sh\\nexec {python} {pip_check} "$@"\\n',
    "activate": 'VIRTUAL_ENV="%s"; export VIRTUAL_ENV\\nPATH="%s:$PATH"; export PATH\\n'
                % (os.path.dirname(bin_dir), bin_dir),
}}
for name, text in scripts.items():
    path = os.path.join(bin_dir, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)
'''

PIP_CHECK = '''"""pip stand-in: check that the requirements are met by this interpreter."""
import re, sys, tomllib
from importlib import metadata
from packaging.requirements import Requirement

def installed(req):
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        return f"{req.name} is not installed"
    if req.specifier and not req.specifier.contains(version, prereleases=True):
        return f"{req.name} {version} does not satisfy {req.specifier}"
    return None

args, problems, i = sys.argv[1:], [], 0
if not args or args[0] != "install":
    sys.exit("pip stand-in: only 'pip install' is known")
args = args[1:]
while i < len(args):
    arg = args[i]
    if arg in ("-e", "--editable"):
        i += 1
        path, _, extras = args[i].partition("[")
        project = tomllib.load(open(f"{path}/pyproject.toml", "rb"))["project"]
        wanted = [e for e in re.split(r"[,\\]\\s]+", extras) if e]
        optional = project.get("optional-dependencies", {})
        problems += [f"no extra {e!r} in pyproject.toml" for e in wanted if e not in optional]
        for spec in project["dependencies"] + [d for e in wanted for d in optional.get(e, [])]:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate():
                problems.append(installed(req))
    elif not arg.startswith("-"):
        problems.append(installed(Requirement(arg)))
    i += 1
problems = [p for p in problems if p]
if problems:
    sys.exit("pip stand-in: " + "; ".join(problems))
'''


def install_stand_ins(folder: Path) -> Path:
    """A bin folder holding the stand-in ``python3``; put it first on the PATH."""
    bin_dir = folder / "stand-in-bin"
    bin_dir.mkdir()
    pip_check = bin_dir / "pip_check.py"
    pip_check.write_text(PIP_CHECK)
    python3 = bin_dir / "python3"
    python3.write_text(PYTHON3.format(python=sys.executable, pip_check=pip_check))
    python3.chmod(python3.stat().st_mode | stat.S_IEXEC)
    return bin_dir


# ----------------------------------------------------------------- running lines
@dataclass
class Ran:
    line: str
    returncode: int
    stdout: str
    stderr: str

    def ok(self) -> bool:
        return self.returncode == 0 and TRACEBACK not in self.stdout + self.stderr

    def why(self) -> str:
        return (f"`{self.line}` exited {self.returncode}\n--- stdout\n{self.stdout[-3000:]}"
                f"\n--- stderr\n{self.stderr[-3000:]}")


def run_line(line: str, cwd: Path, env: dict, stdin: str = "", timeout: float = 240) -> Ran:
    done = subprocess.run(["bash", "-c", line], cwd=cwd, env=env, input=stdin, text=True,
                          capture_output=True, timeout=timeout)
    return Ran(line, done.returncode, done.stdout, done.stderr)


class Background:
    """A line that runs until stopped (serve, run, the demo): started in its own process
    group; ``wait_for`` reads its output until a pattern shows; ``stop`` sends a signal to
    the group and collects the exit status and the output."""

    def __init__(self, line: str, cwd: Path, env: dict, log: Path):
        self.line, self.log = line, log
        self.out = open(log, "w+")
        self.proc = subprocess.Popen(["bash", "-c", line], cwd=cwd, env=env, text=True,
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 240) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output())
            if found:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"`{self.line}` never printed {pattern!r}:\n{self.output()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> Ran:
        """Signal the command (the shell's children: the shell itself would die of it
        instead of reporting the command's exit status) and wait for it."""
        if self.proc.poll() is None:
            for pid in _children(self.proc.pid) or [self.proc.pid]:
                os.kill(pid, sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.out.close()
        code = self.proc.returncode
        if code in (-sig, 128 + sig):   # uvicorn re-raises the signal after a clean shutdown
            code = 0
        return Ran(self.line, code, self.output(), "")


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
