"""A real IMAP server for the email tests: Debian's dovecot, configured in a temporary directory.

Each instance has its own base_dir, a passwd-file of users, maildirs in the temporary directory,
plaintext login allowed, and listens on 127.0.0.1 at a free port; under pytest-xdist every worker
starts its own. As root (CI) the login and internal processes run as Debian's dovenull and
dovecot users, which dovecot insists on; otherwise everything runs as the current user.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

DOVECOT = os.environ.get("SAMDRIFT_DOVECOT", "/usr/sbin/dovecot")
POOL = 200  # mailboxes per server; more than the email tests use in one process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ImapServer:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="samdrift-dovecot-"))
        os.chmod(self.dir, 0o755)
        self.host = "127.0.0.1"
        self.port = _free_port()
        root = os.getuid() == 0
        me = pwd.getpwuid(os.getuid()).pw_name
        self.internal_user = "dovecot" if root else me
        internal_group = "dovecot" if root else grp.getgrgid(os.getgid()).gr_name
        login_user = "dovenull" if root else me
        self.mail_uid = pwd.getpwnam(self.internal_user).pw_uid
        self.mail_gid = grp.getgrnam(internal_group).gr_gid
        (self.dir / "mail").mkdir()
        if root:
            os.chown(self.dir / "mail", self.mail_uid, self.mail_gid)
        self.passwd = self.dir / "passwd"
        # Dovecot's passwd-file driver looks at the file at most once a second, so a user appended
        # in the same second as an earlier login would be unknown to it. Every mailbox a test
        # will need is therefore written before dovecot starts; add_user hands them out.
        self._users = [(f"desk{uuid.uuid4().hex[:10]}", uuid.uuid4().hex) for _ in range(POOL)]
        self.passwd.write_text("".join(self._line(user, password) for user, password in self._users))
        self.config = self.dir / "dovecot.conf"
        self.log = self.dir / "dovecot.log"
        self.config.write_text(
            f"""
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.log}
info_log_path = {self.log}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {self.internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 0
mail_location = maildir:{self.dir}/mail/%u
passdb {{
  driver = passwd-file
  args = {self.passwd}
}}
userdb {{
  driver = passwd-file
  args = {self.passwd}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {self.internal_user}
  }}
  unix_listener stats-writer {{
    user = {self.internal_user}
  }}
}}
"""
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ImapServer:
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start: {self.log_tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self) -> str:
        return self.log.read_text()[-2000:] if self.log.exists() else ""

    def _line(self, user: str, password: str) -> str:
        return f"{user}:{{PLAIN}}{password}:{self.mail_uid}:{self.mail_gid}::{self.dir}/mail/{user}::\n"

    def add_user(self) -> tuple[str, str]:
        """A fresh, empty mailbox for one test: (user name, password)."""
        if self._users:
            return self._users.pop()
        user, password = f"desk{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
        with self.passwd.open("a") as fh:
            fh.write(self._line(user, password))
        time.sleep(1.1)  # past dovecot's once-a-second look at the file
        return user, password

    def deliver(self, user: str, password: str, raw: bytes, folder: str = "INBOX") -> int:
        """Put a message in the mailbox by IMAP APPEND, as a mail server would; returns its UID."""
        from imap_tools import MailBoxUnencrypted

        with MailBoxUnencrypted(self.host, self.port, timeout=30).login(user, password) as mb:
            result = mb.client.append(folder, None, None, raw)
        assert result[0] == "OK", result
        text = result[1][0].decode()
        return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
