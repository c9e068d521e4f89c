"""Serve Samdrift on one machine: web server, task worker and scheduler, stopped together; a worker
or scheduler that exits is started again (as systemd's Restart=always does in production)."""

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web server, the task worker and the scheduler together (used by `make run`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default="8000")
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, "manage.py"]
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"\nSamdrift is starting on {url}"))
        from samdrift.core.demo import demo_logins

        logins, password = demo_logins()
        self.stdout.write(f"Demo logins (password for all: {password}):")
        for username, description in logins:
            self.stdout.write(f"  {username:<22} {description}")
        self.stdout.write(f"(password: {password})  Stop with Ctrl+C.")
        self.stdout.write(f"E-mail is not sent in development: read it at {url}outbox/ (as admin).\n")
        # Only the lines above: the worker and the scheduler log warnings and errors only, the
        # server's banner is dropped (its errors and request log still reach the terminal), and
        # mail goes to the outbox, not to the console (issue 13: 12,000 lines hid the logins).
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "DJANGO_RUNSERVER_HIDE_WARNING": "true"}
        quiet = {**env, "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING")}
        commands = [
            [*manage, "worker", "--interval", "2", "--verbosity", "0", "--no-reload"],
            [*manage, "scheduler", "--verbosity", "0"],
        ]
        helpers = [subprocess.Popen(command, env=quiet) for command in commands]  # noqa: S603
        try:
            server = subprocess.Popen(  # noqa: S603
                [*manage, "runserver", f"{options['host']}:{options['port']}", "--noreload", "--skip-checks"],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            while server.poll() is None:
                time.sleep(1)
                for index, process in enumerate(helpers):
                    if process.poll() is not None:
                        self.stderr.write(
                            f"{' '.join(commands[index][2:])} exited ({process.returncode}); starting it again"
                        )
                        time.sleep(2)
                        helpers[index] = subprocess.Popen(commands[index], env=quiet)  # noqa: S603
            sys.exit(server.returncode)
        except KeyboardInterrupt:
            pass
        finally:
            for process in helpers:
                process.send_signal(signal.SIGTERM)
            for process in helpers:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
