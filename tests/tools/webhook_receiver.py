#!/usr/bin/env python3
"""A webhook receiver for the tests, on Python's own HTTP server: answers
503 to the first REFUSE requests and 200 after, and writes one JSON line per
request (headers, body in base64, the code it answered) to LOG.

    webhook_receiver.py PORT REFUSE LOG     (PORT 0: any; the port is printed)
"""
import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, refuse, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
seen = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        seen += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        code = 503 if seen <= refuse else 200
        with open(log, "a") as f:
            f.write(json.dumps({
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": base64.b64encode(body).decode(),
                "code": code,
            }) + "\n")
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", port), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
