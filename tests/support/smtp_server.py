#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A real SMTP server for tests: Debian's aiosmtpd (python3-aiosmtpd 1.4) on 127.0.0.1.

Run it with /usr/bin/python3 (the one Debian's aiosmtpd is installed for). It prints exactly one
line, "listening on 127.0.0.1:PORT", once it accepts connections, and serves until SIGTERM or
SIGINT, or until its standard input reaches end of file (so that it does not outlive a test
binary that crashed).

Each accepted message is written to the maildir atomically: first <n>.json ({"mail_from",
"rcpt_tos", "auth_user"}), then <n>.eml (the data exactly as received, dot-stuffing reversed),
both before the server answers 250, so a client that saw 250 finds both files. <n> counts
from 1 and continues after the highest number already in the maildir (a restarted server).

Options:
  --port N              0 (default) picks a free port
  --maildir DIR         where accepted messages go (required)
  --tls MODE            none (default), starttls (STARTTLS offered and required before any
                        mail command) or implicit (TLS from the first byte)
  --cert FILE --key FILE  the server certificate (PEM) for starttls and implicit
  --auth USER:PASSWORD  AUTH required; with starttls, offered only after STARTTLS
  --auth-only MECH      offer only this AUTH mechanism (PLAIN or LOGIN); default both
  --reject-rcpt ADDR    answer 550 to RCPT TO:<ADDR> (repeatable)
  --tempfail N          answer 451 at the end of the first N DATA transfers (the same as
                        --fault "message:N:451 4.3.0 Temporary failure, try again later")
  --fault STAGE:TIMES:ACTION
                        misbehave the first TIMES times a connection reaches STAGE ("*": every
                        time); repeatable: faults for the same stage apply in the order given,
                        each until its TIMES are used up. STAGE is one of
                          connect   before the greeting
                          ehlo      at EHLO (each one: again after STARTTLS)
                          auth      at AUTH
                          mail      at MAIL FROM
                          rcpt      at RCPT TO (each recipient)
                          data      at the DATA command, before 354
                          mid-data  after 354, once the message's header block (up to its first
                                    empty line) has arrived, before the final dot
                          message   after the final dot, instead of storing the message
                          stored    after the message was stored, instead of its 250
                        ACTION is cut (close the connection at once, without an answer), hang
                        (answer nothing more, keep the connection open) or a reply such as
                        "451 4.3.0 Try again later", sent instead of the normal answer (at
                        connect: instead of the greeting, then the server hangs up; at mid-data
                        only cut and hang)
  --events FILE         append what happens to FILE, one line each, written before the client
                        can see its effect: "connect" for every connection, "fault STAGE
                        ACTION" for every fault that fires (mid-data adds "after N bytes"),
                        "stored N" for every message stored
"""

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

HOST = "127.0.0.1"

# Expected noise from aiosmtpd 1.4.3, kept out of the stderr that a failing test shows: after
# every AUTH it warns that it set its own deprecated Session.login_data, and with --tls none or
# implicit that AUTH does not require STARTTLS, which is what those modes want.
_NOISE = ("login_data is deprecated", "auth_require_tls == False")
logging.getLogger("mail.log").addFilter(lambda r: not any(n in r.getMessage() for n in _NOISE))
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


STAGES = ("connect", "ehlo", "auth", "mail", "rcpt", "data", "mid-data", "message", "stored")


class Events:
    """--events FILE: one line per event, appended with a single write (none without FILE)."""

    def __init__(self, path):
        self.fd = None
        if path:
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)

    def log(self, line):
        if self.fd is not None:
            os.write(self.fd, (line + "\n").encode("utf-8"))


class Faults:
    """The --fault list: which stage misbehaves how, and how many more times."""

    def __init__(self, specs, events):
        self.events = events
        self.rules = []  # [stage, times left (None: always), action]
        for spec in specs:
            stage, times, action = parse_fault(spec)
            self.rules.append([stage, times, action])
        self.lock = threading.Lock()
        # Off while the controller starts: its own probe connection is neither logged nor
        # given a fault.
        self.armed = False

    def take(self, stage, detail=""):
        """The action for this arrival at `stage` (logged), or None to behave."""
        with self.lock:
            for rule in self.rules:
                if rule[0] != stage or rule[1] == 0:
                    continue
                if rule[1] is not None:
                    rule[1] -= 1
                self.events.log("fault %s %s%s" % (stage, rule[2], detail))
                return rule[2]
        return None

    def pending(self, stage):
        with self.lock:
            return any(r[0] == stage and r[1] != 0 for r in self.rules)


def parse_fault(spec):
    stage, sep1, rest = spec.partition(":")
    times, sep2, action = rest.partition(":")
    if not sep1 or not sep2 or stage not in STAGES:
        raise ValueError("--fault wants STAGE:TIMES:ACTION with STAGE one of %s, got %r"
                         % (", ".join(STAGES), spec))
    if times == "*":
        count = None
    elif times.isdigit() and int(times) > 0:
        count = int(times)
    else:
        raise ValueError("--fault %r: TIMES must be a positive number or *" % spec)
    if action not in ("cut", "hang") and not re.fullmatch(r"[2345]\d\d( .*)?", action):
        raise ValueError("--fault %r: ACTION must be cut, hang or an SMTP reply" % spec)
    if stage == "mid-data" and action not in ("cut", "hang"):
        raise ValueError("--fault %r: mid-data takes cut or hang" % spec)
    return stage, count, action


async def forever():
    """Waits until cancelled: aiosmtpd cancels a connection's task when the connection is lost
    (also after our own abort()) and every task when the server stops."""
    await asyncio.get_running_loop().create_future()


async def misbehave(server, action, close_after_reply=False):
    """Carries out a fault's action on `server` (an SMTP instance). Returns only after a
    reply (the session then goes on, unless close_after_reply)."""
    if action == "cut":
        server.transport.abort()  # closed at once, unanswered (a reset if data is unread)
        await forever()
    if action == "hang":
        await forever()
    await server.push(action)
    if close_after_reply:
        server.transport.close()
        await forever()


class MidDataReader:
    """Stands in for the connection's reader while DATA is read: once the header block has
    arrived it lets the pending mid-data fault (if any) happen, before the final dot."""

    def __init__(self, server, reader, faults):
        self.server = server
        self.reader = reader
        self.faults = faults
        self.received = 0
        self.done = False

    async def readuntil(self, separator=b"\n"):
        line = await self.reader.readuntil(separator)
        self.received += len(line)
        if not self.done and line == b"\r\n":
            self.done = True
            action = self.faults.take("mid-data", " after %d bytes" % self.received)
            if action is not None:
                await misbehave(self.server, action)
        return line

    def __getattr__(self, name):
        return getattr(self.reader, name)


class FaultySMTP(SMTP):
    """aiosmtpd's SMTP with the --fault stages that its handler hooks cannot reach."""

    def __init__(self, handler, **kwargs):
        super().__init__(handler, **kwargs)
        self.faults = handler.faults

    async def _fault(self, stage):
        action = self.faults.take(stage)
        if action is None:
            return False
        await misbehave(self, action)
        return True

    async def _handle_client(self):
        if self.faults.armed:
            self.faults.events.log("connect")
            action = self.faults.take("connect")
            if action is not None:
                await misbehave(self, action, close_after_reply=True)
        await super()._handle_client()

    async def smtp_EHLO(self, hostname):
        if not await self._fault("ehlo"):
            await super().smtp_EHLO(hostname)

    async def smtp_AUTH(self, arg):
        if not await self._fault("auth"):
            await super().smtp_AUTH(arg)

    async def smtp_MAIL(self, arg):
        if not await self._fault("mail"):
            await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg):
        if not await self._fault("rcpt"):
            await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg):
        if await self._fault("data"):
            return
        if not self.faults.pending("mid-data"):
            await super().smtp_DATA(arg)
            return
        reader = self._reader
        self._reader = MidDataReader(self, reader, self.faults)
        try:
            await super().smtp_DATA(arg)
        finally:
            self._reader = reader


class Handler:
    def __init__(self, maildir, reject_rcpt, faults):
        self.maildir = maildir
        self.reject_rcpt = {a.lower() for a in reject_rcpt}
        self.faults = faults
        self.next_number = 1 + max(
            [int(m.group(1)) for m in
             (re.fullmatch(r"(\d+)\.eml", f) for f in os.listdir(maildir)) if m],
            default=0)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject_rcpt:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        action = self.faults.take("message")
        if action is not None:
            if action in ("cut", "hang"):
                await misbehave(server, action)
            return action  # a reply instead of storing
        with self.lock:
            n = self.next_number
            self.next_number += 1
        user = session.auth_data
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": user.decode("utf-8", "replace") if isinstance(user, bytes) else "",
        }
        write_atomically(os.path.join(self.maildir, "%d.json" % n),
                         json.dumps(meta).encode("utf-8"))
        write_atomically(os.path.join(self.maildir, "%d.eml" % n), envelope.original_content)
        self.faults.events.log("stored %d" % n)
        action = self.faults.take("stored")
        if action in ("cut", "hang"):
            await misbehave(server, action)
        if action is not None:
            return action  # stored, but this reply instead of 250
        return "250 2.0.0 Ok: queued as %d" % n


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def make_authenticator(expected_user, expected_password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login == expected_user.encode("utf-8")
              and auth_data.password == expected_password.encode("utf-8"))
        if not ok:
            # handled=False: aiosmtpd then answers 535 itself. Its default, handled=True, means
            # "the authenticator already answered" and leaves the client waiting for a reply.
            return AuthResult(success=False, handled=False)
        # auth_data becomes session.auth_data: the user name is what the maildir records.
        return AuthResult(success=True, auth_data=auth_data.login)
    return authenticate


class PortZeroController(Controller):
    # aiosmtpd 1.4's Controller pokes the server once after binding to make it build its SMTP
    # object, and connects to self.port for that: with port 0 it would connect to port 0. Use
    # the port the listening socket actually got.
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    def factory(self):
        # Each connection gets our SMTP, which knows the --fault stages.
        return FaultySMTP(self.handler, **self.SMTP_kwargs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--maildir", required=True)
    p.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth")
    p.add_argument("--auth-only", choices=["PLAIN", "LOGIN"])
    p.add_argument("--reject-rcpt", action="append", default=[])
    p.add_argument("--tempfail", type=int, default=0)
    p.add_argument("--fault", action="append", default=[])
    p.add_argument("--events")
    args = p.parse_args()

    os.makedirs(args.maildir, exist_ok=True)
    specs = list(args.fault)
    if args.tempfail > 0:
        specs.insert(0, "message:%d:451 4.3.0 Temporary failure, try again later" % args.tempfail)
    try:
        faults = Faults(specs, Events(args.events))
    except ValueError as e:
        p.error(str(e))
    handler = Handler(args.maildir, args.reject_rcpt, faults)

    kwargs = {
        # A fixed name: the default, socket.getfqdn(), may wait on DNS for every connection.
        "server_hostname": "smtp.test.invalid",
        "ident": "cspwatch test SMTP (aiosmtpd)",
    }
    if args.tls != "none":
        if not args.cert or not args.key:
            p.error("--tls %s needs --cert and --key" % args.tls)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if args.tls == "starttls":
            kwargs["tls_context"] = context
            kwargs["require_starttls"] = True
        else:
            kwargs["ssl_context"] = context
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep:
            p.error("--auth wants USER:PASSWORD")
        kwargs["authenticator"] = make_authenticator(user, password)
        kwargs["auth_required"] = True
        # aiosmtpd counts only STARTTLS as TLS (implicit TLS leaves its _tls_protocol unset), so
        # requiring TLS for AUTH would refuse AUTH on an implicit-TLS connection. With
        # --tls none, AUTH over plain text is what the test wants to see.
        kwargs["auth_require_tls"] = args.tls == "starttls"
        if args.auth_only:
            kwargs["auth_exclude_mechanism"] = [m for m in ("PLAIN", "LOGIN")
                                                if m != args.auth_only]

    # Block the stop signals before any thread starts, so that only sigwait() below sees them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    controller = PortZeroController(handler, hostname=HOST, port=args.port, **kwargs)
    controller.start()
    faults.armed = True
    print("listening on %s:%d" % (HOST, controller.port), flush=True)

    def stop_when_stdin_closes():
        # The parent holds our stdin open; end of file means it is gone. os.read, not
        # sys.stdin: a thread blocked inside sys.stdin holds its lock, and interpreter shutdown
        # then waits a second for it.
        while os.read(0, 4096):
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
