#!/usr/bin/python3
"""The web test: two browser tabs (headless Chromium) and one console charla against
a real charla-broker (with CURVE, the gateway's key trusted) and charla-web, all on
127.0.0.1 with free ports; then the hostile input of hostile.py.

Started by tests/web/run.sh. Each check is counted; the last line is
"N passed, M failed". Every wait is for something to show up, with a deadline.

Usage: drive.py BUILD_DIR OUT_DIR
"""
import os
import signal
import sys
import time

import hostile
from harness import WAIT, Browser, Proc, RawSocket, http_get, wait_for

LOST = 10.0  # a vanished client is announced lost within the broker's expiry (1.5 s here) and then some

t0 = time.monotonic()
counts = {"passed": 0, "failed": 0}


def say(text):
    print(f"[web {time.monotonic() - t0:5.1f}s] {text}", flush=True)


def check(what, ok, detail=""):
    counts["passed" if ok else "failed"] += 1
    say(("ok   - " if ok else "FAIL - ") + what + ("" if ok or not detail else f"\n    {detail}"))
    return ok


class Stage:
    """The broker, the gateway and what they need, restartable on the same ports."""

    def __init__(self, build, out):
        self.build, self.out = build, out
        self.procs = []
        self.broker_port = self.pub_port = self.web_port = None
        keygen = os.path.join(build, "broker", "charla-keygen")
        os.makedirs(os.path.join(out, "gateways"), exist_ok=True)
        for name in ("broker", "gateway"):
            Proc([keygen, "--secret", os.path.join(out, name + ".key"), "--force"], "keygen").wait_exit()
        os.replace(os.path.join(out, "gateway.pub"), os.path.join(out, "gateways", "gateway.pub"))
        self.server_key = os.path.join(out, "broker.pub")

    def start(self, argv, name, stdin=False):
        p = Proc(argv, name, stdin)
        self.procs.append(p)
        return p

    def port_file(self, name):
        path = os.path.join(self.out, name)
        if os.path.exists(path):
            os.remove(path)
        return path

    def broker(self, extra=()):
        ports = self.port_file("broker.ports")
        b = self.start([os.path.join(self.build, "broker", "charla-broker"), "--bind", "127.0.0.1",
                        "--port", str(self.broker_port or 0), "--pub-port", str(self.pub_port or 0),
                        "--heartbeat-ms", "250", "--expiry-ms", "1500", "--port-file", ports, "--db", ":memory:",
                        "--curve-secret", os.path.join(self.out, "broker.key"),
                        "--gateway-keys", os.path.join(self.out, "gateways")] + list(extra), "broker")
        if not wait_for(lambda: os.path.exists(ports) and open(ports).read().endswith("\n")):
            raise RuntimeError("the broker did not start: " + b.text())
        self.broker_port, self.pub_port = (int(x) for x in open(ports).read().split())
        self.b = b
        return b

    def gateway(self, extra=()):
        ports = self.port_file("web.port")
        w = self.start([os.path.join(self.build, "web", "charla-web"), "127.0.0.1", str(self.broker_port),
                        "--server-key", self.server_key, "--client-key", os.path.join(self.out, "gateway.key"),
                        "--listen", "127.0.0.1", "--http-port", str(self.web_port or 0), "--port-file", ports,
                        "--trust-forwarded-for", "--ws-timeout", "3", "--max-queue", "64"] + list(extra), "charla-web")
        if not wait_for(lambda: os.path.exists(ports) and open(ports).read().endswith("\n")):
            raise RuntimeError("charla-web did not start: " + w.text())
        self.web_port = int(open(ports).read())
        self.w = w
        return w

    def console(self, name):
        return self.start([os.path.join(self.build, "client", "charla"), name, "127.0.0.1", str(self.broker_port),
                           "--server-key", self.server_key], name, stdin=True)

    def url(self, host="127.0.0.1"):
        return f"http://{host}:{self.web_port}/"

    def stop(self):
        for p in self.procs:
            p.stop()
        with open(os.path.join(self.out, "processes.log"), "w") as log:
            for p in self.procs:
                log.write(f"==== {p.name}: {' '.join(p.argv)}\n{p.text()}\n")


def cross_origin_refused(page, port):
    """From the page at 127.0.0.1, a WebSocket to localhost: another origin for the gateway."""
    return page.d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const ws = new WebSocket('ws://localhost:' + arguments[0] + '/ws');
        ws.onopen = () => { done('opened'); ws.close(); };
        ws.onerror = () => done('refused');""", port)


def scenario(st, browsers):
    status, headers, body = http_get(st.web_port)
    policy = headers.get("Content-Security-Policy", "")
    check("the page is served, with a Content-Security-Policy that allows no inline script",
          status == 200 and b"<script src=\"/app.js\"" in body and "script-src 'self'" in policy
          and "unsafe-inline" not in policy, f"{status} {policy}")

    ana = Browser(st.url(), st.out, "ana")
    browsers.append(ana)
    ana.join("ana")
    check("ana joins from the page", wait_for(ana.joined))
    check("ana's page shows the link connected", wait_for(lambda: ana.link().startswith("● conectado a 127.0.0.1:")),
          ana.link())
    check("ana's list shows herself", wait_for(lambda: ana.users().get("ana (tú)") == "ACTIVO"), str(ana.users()))

    carlos = st.console("carlos")
    check("a console user's join shows in ana's list", wait_for(lambda: "carlos" in ana.users()))
    check("... and in her conversation", ana.shows("* carlos se unió (127.0.0.1)"))

    bea = Browser(st.url(), st.out, "bea", size=(390, 844))  # a phone's screen
    browsers.append(bea)
    bea.join("ANA")
    refusal = wait_for(bea.join_error)
    check("a taken name is refused in the page, with the broker's words", refusal and "ya está en uso" in refusal,
          refusal)
    bea.join("bea")
    check("corrected, the same page joins", wait_for(bea.joined))
    check("bea's join shows in ana's list", wait_for(lambda: ana.users().get("bea") == "ACTIVO"))
    check("bea's list shows everyone online",
          wait_for(lambda: bea.users() == {"ana": "ACTIVO", "bea (tú)": "ACTIVO", "carlos": "ACTIVO"}), str(bea.users()))
    check("on a phone-sized screen the page fits: no sideways scrolling, the entry visible",
          bea.js("return document.documentElement.scrollWidth <= window.innerWidth && "
                 "document.getElementById('entry').getBoundingClientRect().bottom <= window.innerHeight"))

    ana.type("hola desde el navegador")
    check("a broadcast typed in ana's page reaches bea's", bea.shows("ana: hola desde el navegador"))
    check("... and the console", carlos.wait_text("ana: hola desde el navegador"))
    check("... and comes back to ana's own, marked hers",
          ana.shows("ana: hola desde el navegador") and
          ana.js("return document.querySelector('#conversation li.mine') !== null"))
    check("lines carry a timestamp", ana.js("return /^\\[\\d\\d:\\d\\d:\\d\\d\\]/.test("
                                           "document.querySelector('#conversation li.mine').textContent)"))
    carlos.write("hola desde la consola")
    check("a broadcast from the console reaches both pages",
          ana.shows("carlos: hola desde la consola") and bea.shows("carlos: hola desde la consola"))

    # A private message, started by clicking ana in bea's list.
    bea.js("[...document.querySelectorAll('#users li')].find(li => li.dataset.name === 'ana').click()")
    check("clicking a name in the list starts a private message",
          wait_for(lambda: bea.el("entry").get_attribute("value") == "@ana "), bea.el("entry").get_attribute("value"))
    bea.el("entry").send_keys("solo para ti")
    bea.el("send").click()
    check("the private message is marked private to its sender", bea.shows("(privado a ana) solo para ti"))
    check("... and to its target", ana.shows("(privado) bea: solo para ti"))
    bea.type("fin del privado")
    check("the third does not see it",
          carlos.wait_text("bea: fin del privado") and "solo para ti" not in carlos.text())

    injection = "<img src=x onerror=alert(1)> <b>negrita</b> &amp;"
    carlos.write(injection)
    check("HTML in a message is shown literally, as text", ana.shows("carlos: " + injection) and
          bea.shows("carlos: " + injection))
    check("... and no element was made from it, nor any script run",
          ana.js("return document.querySelectorAll('#conversation img, #conversation b').length") == 0 and
          not any("alert" in m for m in ana.console()))

    # Own status: chosen in the selector, shown once the broker has assigned it.
    ana.js("const s = document.getElementById('my-status'); s.value = 'OCUPADO'; "
           "s.dispatchEvent(new Event('change'))")
    check("bea's list shows ana OCUPADO", wait_for(lambda: bea.users().get("ana") == "OCUPADO"), str(bea.users()))
    check("ana's selector shows what the broker assigned", wait_for(lambda: ana.status() == "OCUPADO"))
    check("the console is told", carlos.wait_text("ana está OCUPADO"))

    bea.type("/info ana")
    check("/info in the page shows the browser's address as the broker has it",
          bea.shows("ana: IP 127.0.0.1, OCUPADO"))
    bea.type("/usuarios")
    check("/usuarios answers in the page", bea.shows("en línea (3): ana [OCUPADO], bea [ACTIVO], carlos [ACTIVO]"))
    bea.type("/ayuda")
    check("/ayuda lists the commands", bea.shows("/usuarios (/users)"))

    # The user's own address: a proxy's X-Forwarded-For, trusted (--trust-forwarded-for).
    proxied = RawSocket(st.web_port, headers={"X-Forwarded-For": "203.0.113.50, 198.51.100.7"})
    proxied.send_json({"t": "join", "name": "viajera"})
    check("a tab behind a trusted proxy joins", proxied.messages(lambda m: m["t"] == "joined") is not None)
    carlos.write("/info viajera")
    check("... and the broker has the browser's address, not the gateway's (hello.ip from a trusted gateway)",
          carlos.wait_text("viajera: IP 198.51.100.7"))
    proxied.send_json({"t": "leave"})
    check("a page's goodbye is a leave for everyone", bea.shows("* viajera salió"))
    proxied.close()

    check("a cross-origin WebSocket from a browser is refused", cross_origin_refused(ana, st.web_port) == "refused")
    status, _, _ = http_get(st.web_port, "/ws", {"Upgrade": "websocket", "Connection": "Upgrade",
                                                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                                   "Sec-WebSocket-Version": "13", "Origin": "http://malo.example"})
    check("... answered 403, with the gateway's log saying so",
          status == 403 and st.w.wait_text("rechazado desde el origen 'http://malo.example'"), str(status))

    ana.screenshot(os.path.join(st.out, "charla-web-ana.png"))
    bea.screenshot(os.path.join(st.out, "charla-web-bea.png"))
    say(f"screenshots in {st.out}")

    # A console client killed with -9 is shown lost within the expiry.
    carlos.p.kill()
    check("a killed console client leaves ana's list within the expiry",
          wait_for(lambda: "carlos" not in ana.users(), LOST), str(ana.users()))
    check("... and bea's, said as lost",
          wait_for(lambda: "carlos" not in bea.users(), LOST) and bea.shows("carlos se desconectó sin despedirse"))

    # A tab that dies without a word (its socket silent, pings unanswered) is lost, not left.
    ghost = RawSocket(st.web_port)
    ghost.send_json({"t": "join", "name": "fantasma"})
    ghost.messages(lambda m: m["t"] == "joined")
    check("a tab that joined shows in the list", wait_for(lambda: "fantasma" in bea.users()))
    # It stops reading and answering: its pings go unanswered (--ws-timeout 3), then the broker's expiry.
    check("a tab that silently dies is lost within the gateway's timeout and the broker's expiry",
          wait_for(lambda: "fantasma" not in bea.users(), 3 + LOST) and
          bea.shows("fantasma se desconectó sin despedirse"))
    ghost.close()
    return ana, bea


def restarts(st, ana, bea):
    # The broker restarts while the pages are open.
    st.b.p.send_signal(signal.SIGTERM)
    st.b.wait_exit()
    check("with the broker gone, both pages say they are reconnecting",
          wait_for(lambda: ana.link().startswith("● reconectando con 127.0.0.1") and
                   bea.link().startswith("● reconectando con 127.0.0.1")), ana.link() + " / " + bea.link())
    st.broker(["--idle-timeout", "2"])
    check("with the broker back, both pages reconnect by themselves",
          wait_for(lambda: ana.link().startswith("● reconectado a") and bea.link().startswith("● reconectado a")),
          ana.link() + " / " + bea.link())
    check("the list is whole again", wait_for(lambda: set(bea.users()) == {"ana", "bea (tú)"}), str(bea.users()))
    check("idleness set by the broker shows in ana's own selector",
          wait_for(lambda: ana.status() == "INACTIVO" and ana.idle_note()))
    check("... and in bea's list, as idleness",
          wait_for(lambda: bea.users().get("ana") == "INACTIVO (por inactividad)"), str(bea.users()))
    ana.js("const s = document.getElementById('my-status'); s.value = 'ACTIVO'; s.dispatchEvent(new Event('change'))")
    wait_for(lambda: ana.status() == "ACTIVO" and not ana.idle_note())

    # The gateway restarts: the pages show it, and come back by themselves.
    st.w.p.send_signal(signal.SIGTERM)
    check("charla-web ends cleanly on SIGTERM, saying goodbye for every tab",
          st.w.wait_exit() == 0 and st.b.wait_text("ana (127.0.0.1) salió") and st.b.wait_text("bea (127.0.0.1) salió"),
          st.w.text()[-300:])
    check("with the gateway gone, both pages say they are reconnecting to it",
          wait_for(lambda: all("servidor web" in b.link() and "reconectando" in b.link() for b in (ana, bea))),
          ana.link() + " / " + bea.link())
    st.gateway()
    check("with the gateway back, both pages join again by themselves",
          wait_for(lambda: ana.link().startswith("● conectado a") and bea.link().startswith("● conectado a") and
                   ana.shows("de vuelta en el chat", 1)), ana.link() + " / " + bea.link())
    check("... and see each other", wait_for(lambda: set(bea.users()) == {"ana", "bea (tú)"}), str(bea.users()))
    ana.type("seguimos aquí")
    check("... and chat again", bea.shows("ana: seguimos aquí"))


def leaving(st, ana, bea):
    bea.el("leave").click()
    check("Salir takes bea's page back to the form", wait_for(lambda: not bea.joined()))
    check("ana sees bea leave", ana.shows("* bea salió"))
    before = st.b.text().count("ana (127.0.0.1) salió")
    ana.d.get("about:blank")  # the tab goes elsewhere: its socket closes cleanly
    check("a tab that goes away leaves (not lost)",
          wait_for(lambda: st.b.text().count("ana (127.0.0.1) salió") > before) and
          "ana (127.0.0.1) perdido" not in st.b.text())


def main():
    build, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    os.environ["XDG_CONFIG_HOME"] = os.path.join(out, "config")  # the console client's key
    st = Stage(build, out)
    browsers = []
    try:
        st.broker(["--idle-timeout", "0"])
        st.gateway()
        say(f"broker on 127.0.0.1:{st.broker_port}, charla-web on {st.url()}")
        ana, bea = scenario(st, browsers)
        hostile.run(st, bea, check, say)
        restarts(st, ana, bea)
        leaving(st, ana, bea)
    except Exception as e:  # a step the rest depends on failed: count it and say where
        import traceback
        traceback.print_exc()
        check(f"the run went on to the end ({type(e).__name__}: {e})", False)
    finally:
        for b in browsers:
            b.quit()
        st.stop()
    say(f"took {time.monotonic() - t0:.0f} s; output of every process in {out}/processes.log")
    print(f"{counts['passed']} passed, {counts['failed']} failed")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
