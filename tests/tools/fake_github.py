#!/usr/bin/env python3
"""fake_github.py: the three GitHub REST endpoints examples/ci/appctl-review.sh uses, on 127.0.0.1.

Usage: fake_github.py STATE_DIR [SEED_COMMENTS]

Listens on a free port of 127.0.0.1 and writes it to STATE_DIR/port. Serves
  GET   /repos/OWNER/REPO/issues/N/comments?per_page=&page=   (paginated)
  POST  /repos/OWNER/REPO/issues/N/comments                   {"body"}
  PATCH /repos/OWNER/REPO/issues/comments/ID                  {"body"}
for the token "test-token" only (401 otherwise). Every request is logged
to STATE_DIR/requests as "METHOD PATH"; after each change the comments are
written to STATE_DIR/comments.json. SEED_COMMENTS other people's comments
exist at start, so that the marked one may be on a later page.
"""
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

STATE = sys.argv[1]
comments = [{"id": i + 1, "issue": 7, "user": {"login": "someone"},
             "body": "an unrelated comment %d" % (i + 1)}
            for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 0)]
next_id = [len(comments) + 1000]


def save():
    with open(os.path.join(STATE, "comments.json.tmp"), "w") as f:
        json.dump(comments, f)
    os.replace(os.path.join(STATE, "comments.json.tmp"),
               os.path.join(STATE, "comments.json"))


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        url = urlparse(self.path)
        with open(os.path.join(STATE, "requests"), "a") as f:
            f.write("%s %s\n" % (self.command, url.path))
        if self.headers.get("Authorization") != "Bearer test-token":
            return self.reply(401, {"message": "Bad credentials"})
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        m = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", url.path)
        if m and self.command == "GET":
            q = parse_qs(url.query)
            per_page = int(q.get("per_page", ["30"])[0])
            page = int(q.get("page", ["1"])[0])
            mine = [c for c in comments if c["issue"] == int(m.group(1))]
            return self.reply(200, mine[(page - 1) * per_page:page * per_page])
        if m and self.command == "POST":
            c = {"id": next_id[0], "issue": int(m.group(1)),
                 "user": {"login": "github-actions[bot]"},
                 "body": json.loads(body)["body"]}
            next_id[0] += 1
            comments.append(c)
            save()
            return self.reply(201, c)
        m = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", url.path)
        if m and self.command == "PATCH":
            for c in comments:
                if c["id"] == int(m.group(1)):
                    c["body"] = json.loads(body)["body"]
                    save()
                    return self.reply(200, c)
            return self.reply(404, {"message": "Not Found"})
        return self.reply(404, {"message": "Not Found"})

    do_GET = do_POST = do_PATCH = handle_any


server = HTTPServer(("127.0.0.1", 0), Handler)
save()
with open(os.path.join(STATE, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.replace(os.path.join(STATE, "port.tmp"), os.path.join(STATE, "port"))
server.serve_forever()
