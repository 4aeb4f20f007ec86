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
  --tempfail N          answer 451 at the end of the first N DATA transfers
"""

import argparse
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
from aiosmtpd.smtp import AuthResult

HOST = "127.0.0.1"

# Expected noise from aiosmtpd 1.4.3, kept out of the stderr that a failing test shows: after
# every AUTH it warns that it set its own deprecated Session.login_data, and with --tls none or
# implicit that AUTH does not require STARTTLS, which is what those modes want.
_NOISE = ("login_data is deprecated", "auth_require_tls == False")
logging.getLogger("mail.log").addFilter(lambda r: not any(n in r.getMessage() for n in _NOISE))
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


class Handler:
    def __init__(self, maildir, reject_rcpt, tempfail):
        self.maildir = maildir
        self.reject_rcpt = {a.lower() for a in reject_rcpt}
        self.tempfail_left = tempfail
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
        with self.lock:
            if self.tempfail_left > 0:
                self.tempfail_left -= 1
                return "451 4.3.0 Temporary failure, try again later"
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
    args = p.parse_args()

    os.makedirs(args.maildir, exist_ok=True)
    handler = Handler(args.maildir, args.reject_rcpt, args.tempfail)

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
