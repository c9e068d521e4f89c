"""A real SMTP server (aiosmtpd) for the tests that send mail, and that stop it to play an outage.

Stopped, it keeps its port bound without listening: a connection is refused, as by a server that
is down, and no other test can take the port and answer in its place. (Each test used to free the
port; another xdist worker, or the other database's run of the suite on the same machine, could
then start its own server there, and mail sent "during the outage" was accepted.)
"""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller


def free_port(ports: range) -> int:
    """The first port of the range that nothing holds (a stopped server still holds its own)."""
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


class SmtpServer:
    """Keeps every message it accepts (`received`, parsed; `subjects`)."""

    def __init__(self, ports: range) -> None:
        self.port = free_port(ports)
        self.received: list[Any] = []
        self.controller: Controller | None = None
        self._held: socket.socket | None = None
        self._hold()  # reserved from now on, started or not

    @property
    def subjects(self) -> list[str]:
        return [str(message["subject"]) for message in self.received]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def _hold(self) -> None:
        held = socket.socket()
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past the closed server's TIME_WAITs
        held.bind(("127.0.0.1", self.port))  # bound, never listening: connections are refused
        self._held = held

    def start(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
        if self._held is None:
            self._hold()

    def close(self) -> None:
        """Stop and give the port back (at the end of the test)."""
        self.stop()
        if self._held is not None:
            self._held.close()
            self._held = None
