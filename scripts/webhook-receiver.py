#!/usr/bin/env python3
# A webhook receiver for the demo (scripts/demo.sh), in Python's standard library only: listens
# on 127.0.0.1, checks each event's X-Cspwatch-Signature (HMAC-SHA256 of the exact body with the
# shared secret, docs/alerts.md#webhooks), and writes each event it has not seen before to
# <out-dir>/<event id>.json. A repeat (the same event id, after a crash between our 202 and
# cspwatch's "sent") is answered 202 and not written again. A bad signature gets 401.
#
# Usage: scripts/webhook-receiver.py --port 9808 --secret-file FILE --out-dir DIR
import argparse
import hashlib
import hmac
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def read_secret(path):
    # As cspwatch reads it: the file's text without the line end at its end.
    with open(path, "rb") as f:
        return f.read().rstrip(b"\r\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--out-dir", required=True)
    args = ap.parse_args()
    secret = read_secret(args.secret_file)
    os.makedirs(args.out_dir, exist_ok=True)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            given = self.headers.get("X-Cspwatch-Signature", "")
            if not hmac.compare_digest(expected, given):
                self.answer(401, "bad signature\n")
                return
            event_id = self.headers.get("X-Cspwatch-Event-Id", "")
            if not re.fullmatch(r"evt_[0-9a-f]{32}", event_id):
                self.answer(400, "no event id\n")
                return
            path = os.path.join(args.out_dir, event_id + ".json")
            if os.path.exists(path):
                self.answer(202, "already have it\n")
                return
            event = json.loads(body)
            with open(path + ".tmp", "w") as f:
                json.dump(event, f, indent=2, ensure_ascii=False)
                f.write("\n")
            os.replace(path + ".tmp", path)
            tenant = event.get("tenant", {}).get("name", "")
            print(f"webhook-receiver: {event['event']} {event_id} ({tenant})", flush=True)
            self.answer(202, "accepted\n")

        def answer(self, status, text):
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_):
            pass  # one line per event is printed above

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"webhook-receiver: listening on 127.0.0.1:{args.port}, writing to {args.out_dir}",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
