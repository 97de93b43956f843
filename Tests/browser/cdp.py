#!/usr/bin/env python3
"""Drives headless chromium through the DevTools protocol on a pipe
(--remote-debugging-pipe: no port, no websocket library), for tests of pages that
keep a connection open (the live page's event stream), which --dump-dom and
--screenshot cannot wait for.

    cdp.py CHROMIUM URL --until EXPR [--timeout SECONDS] [--eval EXPR]... [--screenshot FILE]

Opens URL, evaluates EXPR every 0.2 s until it is truthy or the timeout passes, then
evaluates each --eval expression and takes the screenshot. Prints one JSON object:
{"until": true|false, "values": [...]} and exits 0; 2 on a protocol failure. Standard
library only; the profile folder is removed at the end.
"""
import argparse
import base64
import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("chromium")
    ap.add_argument("url")
    ap.add_argument("--until", required=True)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--eval", action="append", default=[])
    ap.add_argument("--screenshot")
    ap.add_argument("--window", default="1280,1800")
    a = ap.parse_args()

    profile = tempfile.mkdtemp(prefix="sweep-cdp-")
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    argv = [a.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--hide-scrollbars", "--remote-debugging-pipe", f"--user-data-dir={profile}", f"--window-size={a.window}",
            "about:blank"]
    env = dict(os.environ, TMPDIR=profile)
    # chromium reads commands on descriptor 3 and writes on 4
    pid = os.posix_spawn(a.chromium, argv, env, file_actions=[
        (os.POSIX_SPAWN_DUP2, to_chrome_r, 3), (os.POSIX_SPAWN_DUP2, from_chrome_w, 4),
        (os.POSIX_SPAWN_DUP2, os.open(os.devnull, os.O_WRONLY), 2)])
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    deadline = time.time() + a.timeout + 30
    state = {"id": 0, "buffer": b""}

    def call(method, params=None, session=None):
        state["id"] += 1
        message = {"id": state["id"], "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(to_chrome_w, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" in state["buffer"]:
                raw, state["buffer"] = state["buffer"].split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == state["id"]:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply.get("result", {})
            ready, _, _ = select.select([from_chrome_r], [], [], max(0.0, deadline - time.time()))
            if not ready:
                raise TimeoutError(f"{method}: no reply")
            chunk = os.read(from_chrome_r, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed its pipe")
            state["buffer"] += chunk

    def evaluate(expression, session):
        r = call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        return r.get("result", {}).get("value")

    try:
        target = call("Target.createTarget", {"url": a.url})["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        reached = False
        until = time.time() + a.timeout
        while time.time() < until:
            try:
                if evaluate(a.until, session):
                    reached = True
                    break
            except RuntimeError:
                pass   # the page is still loading
            time.sleep(0.2)
        values = [evaluate(e, session) for e in a.eval]
        if a.screenshot:
            data = call("Page.captureScreenshot", {"format": "png"}, session)["data"]
            with open(a.screenshot, "wb") as f:
                f.write(base64.b64decode(data))
        try:
            call("Browser.close")
        except (EOFError, RuntimeError, TimeoutError):
            pass
        print(json.dumps({"until": reached, "values": values}))
        return 0
    except (EOFError, RuntimeError, TimeoutError) as e:
        print(f"cdp.py: {e}", file=sys.stderr)
        return 2
    finally:
        for _ in range(50):
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
