"""What the web test drives browsers and processes with: waits with deadlines,
child processes whose output a thread collects, headless Chromium through
Selenium (Debian's chromium, chromium-driver and python3-selenium: nothing is
downloaded), and a small WebSocket client of its own for what a browser never
sends (raw frames, headers of a proxy). The scenario is drive.py; the hostile
input is hostile.py."""
import base64
import json
import os
import socket
import struct
import subprocess
import tempfile
import threading
import time

WAIT = 20.0  # anything that must happen; a passing run never waits this long (a busy CI machine is slow)
TICK = 0.05  # how often a wait looks again at what sends no event (a page, a process's output)


def wait_for(pred, timeout=WAIT):
    """Calls pred until it is true (returned) or the deadline passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = pred()
        except Exception:  # a page or a socket changing under us: ask again
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(TICK)


# ---- processes ---------------------------------------------------------------------------

class Proc:
    """A child process whose output (stdout and stderr together) a thread collects."""

    def __init__(self, argv, name, stdin=False, env=None):
        self.name = name
        self.argv = argv
        self.out = ""
        self._lock = threading.Lock()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for chunk in iter(lambda: self.p.stdout.read1(65536), b""):
            with self._lock:
                self.out += chunk.decode("utf-8", "replace")

    def text(self):
        with self._lock:
            return self.out

    def write(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def wait_text(self, text, timeout=WAIT):
        return wait_for(lambda: text in self.text(), timeout)

    def wait_exit(self, timeout=WAIT):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()

    def rss_kb(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1


# ---- a browser -----------------------------------------------------------------------------

# Debian's chromium, headless, as root: no sandbox, nothing fetched from anywhere, a profile of its own.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


class Browser:
    """One headless Chromium showing the page, read and driven by element ids."""

    def __init__(self, url, out_dir, name, size=(1100, 720)):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        self.name = name
        self.profile = tempfile.mkdtemp(prefix=f"charla-web-{name}-", dir=out_dir)
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in CHROMIUM_FLAGS + [f"--user-data-dir={self.profile}", f"--window-size={size[0]},{size[1]}"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service("/usr/bin/chromedriver", log_path=os.path.join(out_dir, f"chromedriver-{name}.log"))
        self.d = webdriver.Chrome(service=service, options=options)
        self.d.set_page_load_timeout(WAIT)
        self.d.set_script_timeout(WAIT)
        self.d.get(url)

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def el(self, id_):
        from selenium.webdriver.common.by import By
        return self.d.find_element(By.ID, id_)

    def join(self, name):
        field = self.el("name")
        field.clear()
        field.send_keys(name)
        self.el("join").click()

    def joined(self):
        return self.js("return !document.getElementById('chat-view').hidden")

    def join_error(self):
        return self.js("const e = document.getElementById('join-error'); return e.hidden ? '' : e.textContent")

    def lines(self):
        """The conversation, one string per line, as the user reads it."""
        return self.js("return [...document.querySelectorAll('#conversation li')].map(li => li.textContent)")

    def shows(self, text, timeout=WAIT):
        return wait_for(lambda: any(text in line for line in self.lines()), timeout)

    def link(self):
        return self.el("link").text

    def users(self):
        """{name: status} from the list of who is online (the own entry as 'name (tú)')."""
        return self.js("return Object.fromEntries([...document.querySelectorAll('#users li')].map(li => "
                       "[li.querySelector('.who').textContent, li.querySelector('.state').textContent]))")

    def type(self, line):
        entry = self.el("entry")
        entry.clear()
        entry.send_keys(line)
        self.el("send").click()

    def status(self):
        return self.js("return document.getElementById('my-status').value")

    def idle_note(self):
        return self.js("return !document.getElementById('idle-note').hidden")

    def screenshot(self, path):
        self.d.save_screenshot(path)

    def console(self):
        try:
            return [e["message"] for e in self.d.get_log("browser")]
        except Exception:
            return []

    def quit(self):
        try:
            self.d.quit()
        except Exception:
            pass


# ---- a WebSocket client of the test's own ------------------------------------------------------

class RawSocket:
    """A WebSocket client (RFC 6455) written out, to send what a browser never would."""

    def __init__(self, port, path="/ws", headers=None, rcvbuf=None, timeout=WAIT):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(("127.0.0.1", port))
        self.buf = b""
        self.status = None
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1]) if head else None

    def _until(self, mark):
        while mark not in self.buf:
            data = self.s.recv(65536)
            if not data:
                return None
            self.buf += data
        head, self.buf = self.buf.split(mark, 1)
        return head

    def _exactly(self, n):
        while len(self.buf) < n:
            data = self.s.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(self, payload, opcode=1, fin=True, mask=True, rsv=0):
        header = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
        n = len(payload)
        bit = 0x80 if mask else 0
        if n < 126:
            header += bytes([bit | n])
        elif n < 65536:
            header += bytes([bit | 126]) + struct.pack("!H", n)
        else:
            header += bytes([bit | 127]) + struct.pack("!Q", n)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            header += key
        self.s.sendall(header + payload)

    def send_json(self, obj):
        self.send_frame(json.dumps(obj).encode())

    def recv_frame(self):
        """(opcode, payload); pings are answered; raises when the connection is gone."""
        while True:
            b0, b1 = self._exactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._exactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._exactly(8))[0]
            payload = self._exactly(n)
            opcode = b0 & 0x0F
            if opcode == 9:
                self.send_frame(payload, opcode=10)
                continue
            return opcode, payload

    def messages(self, until=None, timeout=WAIT):
        """Reads JSON messages until until(m) is true (returns it) or the time is up (None)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                opcode, payload = self.recv_frame()
            except (socket.timeout, TimeoutError):
                return None
            if opcode == 8:
                return {"t": "_closed", "code": struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None}
            if opcode == 1:
                m = json.loads(payload)
                if until is None or until(m):
                    return m
        return None

    def closed(self, timeout=WAIT):
        """True once the gateway has closed this connection (a close frame or the end of the stream)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                opcode, _ = self.recv_frame()
                if opcode == 8:
                    return True
            except (socket.timeout, TimeoutError):
                return False
            except (ConnectionError, OSError):
                return True
        return False

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def http_get(port, path="/", headers=None):
    """(status, headers, body) of a plain GET."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, dict(r.getheaders()), body
