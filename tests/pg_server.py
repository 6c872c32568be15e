"""A throw-away PostgreSQL server for the tests, from Debian's ``postgresql`` package.

Not a test module: ``conftest.py`` starts one server per test run with
:func:`postgres_server`. The cluster lives in a temporary folder, listens on a
free loopback port (and a unix socket in that folder), trusts local
connections, and is stopped and deleted afterwards. PostgreSQL refuses to run
as root, so under root the cluster belongs to the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app_server import free_port

DATABASE = "faqbot_test"
INSTALL_HINT = "PostgreSQL is not installed: `apt-get install postgresql` (scripts/setup.sh --dev does it)"


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` holding initdb, or the folder of initdb on PATH."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        newest = max(found, key=lambda p: int(re.search(r"/(\d+)/bin/", p).group(1)))
        return Path(newest).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


class PostgresStartError(RuntimeError):
    pass


@contextmanager
def postgres_server(bindir: Path) -> Iterator[str]:
    """Run a PostgreSQL cluster for the duration of the block; yield the URL of an empty database."""
    tmp = Path(tempfile.mkdtemp(prefix="faqbot-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(tmp, owner.pw_uid, owner.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, log = tmp / "data", tmp / "server.log"
    port = free_port()

    def run(*args: str) -> None:
        done = subprocess.run(as_owner + list(args), capture_output=True, text=True, timeout=120, cwd=tmp)
        if done.returncode != 0:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            raise PostgresStartError(f"{Path(args[0]).name} failed:\n{done.stdout}{done.stderr}{server_log}")

    started = False
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={tmp} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        started = True
        # A French collation like a clinic's database would have: the store must not depend on it.
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "--template=template0",
            "--locale-provider=icu", "--icu-locale=fr-FR", DATABASE)
        yield f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
    finally:
        if started:
            subprocess.run(as_owner + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60, cwd=tmp)
        shutil.rmtree(tmp, ignore_errors=True)
