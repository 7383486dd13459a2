#!/usr/bin/env python3
"""A Time-Stamp Authority for the tests: OpenSSL's own (`openssl ts
-reply`) behind Python's HTTP server, on 127.0.0.1.  Each POSTed
application/timestamp-query is handed to openssl as it came, and its
answer sent back as application/timestamp-reply.  MODE `garbage` answers
bytes that are no time-stamp response, to test the client's refusal.

    tsa_server.py PORT CONFIG MODE      (PORT 0: any; the port is printed)
"""
import os
import subprocess
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, HTTPServer

port, config, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if mode == "garbage":
            body = b"<html>this is not a time-stamp response</html>"
        else:
            with tempfile.TemporaryDirectory() as d:
                q, r = os.path.join(d, "q.tsq"), os.path.join(d, "r.tsr")
                with open(q, "wb") as f:
                    f.write(query)
                done = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", config,
                     "-queryfile", q, "-out", r],
                    capture_output=True)
                if done.returncode != 0:
                    sys.stderr.write(done.stderr.decode())
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with open(r, "rb") as f:
                    body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", port), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
