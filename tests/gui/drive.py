#!/usr/bin/python3
"""The GUI test: two charla-gtk windows (a third at the end) and one console charla against a real
charla-broker, on a virtual display, driven through the accessibility tree.

Started by tests/gui/run.sh inside xvfb-run and dbus-run-session. Widgets are
found by role and accessible name (AT-SPI, pyatspi), typed into with
EditableText and pressed with their actions, never by screen coordinates.
Every wait is for something to show up, with a deadline: the GLib main loop
runs until an AT-SPI event, output of a process or a short tick lets the
condition be checked again. Each check is counted; the last line is
"N passed, M failed".

Usage: drive.py BUILD_DIR OUT_DIR
"""
import os
import signal
import sys
import time

import pyatspi

from harness import Proc, Window, action, find, press, set_text, text_of, wait_for, walk

LOST = 8.0   # a killed client is announced lost within the broker's expiry (1.5 s here) and then some

t0 = time.monotonic()
passed = failed = 0


def say(text):
    print(f"[gui {time.monotonic() - t0:5.1f}s] {text}", flush=True)


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        say(f"ok   - {what}")
    else:
        failed += 1
        say(f"FAIL - {what}" + (f"\n    {detail}" if detail else ""))
    return ok


# ---- the run -----------------------------------------------------------------------------

def main():
    build, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    broker_bin = os.path.join(build, "broker", "charla-broker")
    gtk_bin = os.path.join(build, "gtk", "charla-gtk")
    console_bin = os.path.join(build, "client", "charla")
    port_file = os.path.join(out, "ports")
    procs = []

    def start(argv, name, stdin=False):
        p = Proc(argv, name, stdin)
        procs.append(p)
        return p

    def broker(extra):
        if os.path.exists(port_file):
            os.remove(port_file)
        # --db :memory:: nothing written into the user's own history file, and a restarted broker
        # starts from nothing (the scenario counts on it).
        b = start([broker_bin, "--bind", "127.0.0.1", "--heartbeat-ms", "250", "--expiry-ms", "1500",
                   "--db", ":memory:", "--port-file", port_file] + extra, "broker")
        if not wait_for(lambda: os.path.exists(port_file) and open(port_file).read().strip()):
            raise RuntimeError("the broker did not start: " + b.out)
        return b, open(port_file).read().split()

    pyatspi.Registry.getDesktop(0)  # starts the accessibility bus before the first window asks for it
    # Wakes wait_for as soon as a window changes, rather than at its next tick.
    pyatspi.Registry.registerEventListener(lambda e: None, "object:text-changed", "object:children-changed",
                                           "object:property-change:accessible-name", "object:state-changed:showing")
    try:
        b, (port, pub_port) = broker(["--port", "0", "--pub-port", "0", "--idle-timeout", "0"])
        say(f"broker on 127.0.0.1:{port} (broadcast {pub_port})")

        # ana: everything on the command line, straight into the chat window.
        ana = Window(start([gtk_bin, "ana", "127.0.0.1", port], "ana"))
        check("ana's window appears, titled with her name", wait_for(lambda: ana.main(), 20))
        check("ana's window shows the link connected", wait_for(lambda: ana.link().startswith("● Conectado a 127.0.0.1:" + port)))
        check("ana's list shows herself", wait_for(lambda: ana.users().get("ana (tú)") == "ACTIVO"))
        ana.move(0, 0)

        carlos = start([console_bin, "carlos", "127.0.0.1", port], "carlos", stdin=True)
        check("a console user's join shows in ana's list", wait_for(lambda: "carlos" in ana.users()))
        check("... and in her conversation, quietly", ana.shows("* carlos se unió (127.0.0.1)"))

        # bea: no name on the command line, so the connect window; first a name already taken.
        bea = Window(start([gtk_bin, "--host", "127.0.0.1", "--port", port], "bea"))
        connect = wait_for(lambda: bea.frame("charla — entrar"), 20)
        check("without a name, the connect window asks for one", connect)
        set_text(find(connect, "text", "Nombre"), "ANA")
        set_text(find(connect, "text", "Puerto"), port)
        action(find(connect, "push button", "Entrar"), "click")
        refusal = wait_for(lambda: find(connect, "label", prefix="No se pudo entrar", showing=True))
        check("a taken name is refused in the connect window, in words",
              refusal and "ya está en uso" in refusal.name, refusal.name if refusal else "no error shown")
        set_text(find(connect, "text", "Nombre"), "bea")
        action(find(connect, "push button", "Entrar"), "click")
        check("corrected, the same window joins without a restart", wait_for(lambda: bea.main(), 20))
        bea.move(960, 0)
        check("bea's join shows in ana's list", wait_for(lambda: ana.users().get("bea") == "ACTIVO"))
        check("bea's list shows everyone online",
              wait_for(lambda: bea.users() == {"ana": "ACTIVO", "bea (tú)": "ACTIVO", "carlos": "ACTIVO"}),
              str(bea.users()))

        ana.type("hola desde la ventana")
        check("a broadcast typed in ana's window reaches bea's", bea.shows("ana: hola desde la ventana"))
        check("... and the console", carlos.wait_text("ana: hola desde la ventana"))
        check("... and comes back to ana's own", ana.shows("ana: hola desde la ventana"))
        carlos.write("hola desde la consola")
        check("a broadcast from the console reaches both windows",
              ana.shows("carlos: hola desde la consola") and bea.shows("carlos: hola desde la consola"))

        # A private message, started by double-clicking (activating) ana in bea's list.
        table, row = bea.user_row("ana")
        action(table.getAccessibleAt(row, 1), "activate")
        check("activating a name in the list starts a private message",
              wait_for(lambda: text_of(bea.entry()) == "@ana "), text_of(bea.entry()))
        bea.type(text_of(bea.entry()) + "solo para ti")
        check("the private message is marked private to its sender", bea.shows("(privado a ana) solo para ti"))
        check("... and to its target", ana.shows("(privado) bea: solo para ti"))
        bea.type("fin del privado")
        check("the third does not see it", carlos.wait_text("bea: fin del privado") and "solo para ti" not in carlos.out)

        carlos.write("<b>negrita</b> <span foreground='red'>rojo</span> &amp; <i>")
        check("markup in a message is shown literally",
              ana.shows("carlos: <b>negrita</b> <span foreground='red'>rojo</span> &amp; <i>"))
        # Own status: chosen in the selector, shown once the broker has assigned it.
        combo = find(ana.main(), "combo box")
        combo.querySelection().selectChild(1)
        check("ana's status selector shows OCUPADO once the broker assigned it",
              wait_for(lambda: ana.status() == "OCUPADO"))
        check("bea's list shows ana OCUPADO", wait_for(lambda: bea.users().get("ana") == "OCUPADO"))
        check("the console is told", carlos.wait_text("ana está OCUPADO"))

        # /info from the list: select ana, press Información, read the dialog.
        table, row = bea.user_row("ana")
        table.addRowSelection(row)
        action(find(bea.main(), "push button", "Información"), "click")
        dialog = wait_for(lambda: bea.frame("Información de ana"))
        details = " ".join(a.name or "" for a in walk(dialog)) if dialog else ""
        check("the Información button shows ana's IP, status and times in a dialog",
              dialog and "IP: 127.0.0.1" in details and "Estado: OCUPADO" in details and "Conectado desde hace" in details,
              details)
        if dialog:
            action(find(dialog, "push button", "Cerrar"), "click")

        # Tab completes @names in the entry, as in the console.
        entry = ana.entry()
        set_text(entry, "@be")
        entry.queryText().setCaretOffset(3)
        press(entry, 0xff09)  # Tab
        check("Tab completes @be to @bea", wait_for(lambda: text_of(ana.entry()) == "@bea "), text_of(ana.entry()))
        set_text(entry, "")

        ana.screenshot(os.path.join(out, "charla-gtk-ana.png"))
        bea.screenshot(os.path.join(out, "charla-gtk-bea.png"))
        say(f"screenshots in {out}")

        long_text = "larga " + " ".join(f"palabra{i}" for i in range(150))
        carlos.write(long_text)
        if check("a very long message arrives whole", ana.shows(long_text)):
            conv = find(ana.main(), "text", "Conversación").queryText()
            start_at = ana.conversation().index(long_text)
            first = conv.getCharacterExtents(start_at, pyatspi.DESKTOP_COORDS)
            last = conv.getCharacterExtents(start_at + len(long_text) - 1, pyatspi.DESKTOP_COORDS)
            width = find(ana.main(), "text", "Conversación").queryComponent().getExtents(pyatspi.DESKTOP_COORDS).width
            check("... wrapped inside the window", last[1] > first[1] and last[0] < width, f"{first} {last} {width}")
        view = find(ana.main(), "text", "Conversación")
        bar = next(a for a in walk(view.parent) if a.getRoleName() == "scroll bar" and
                   a.getState().contains(pyatspi.STATE_VERTICAL)).queryValue()

        def on_screen(offset):  # the character at offset (-1: the last) is inside the visible part of the view
            text = view.queryText()
            x, y, w, h = text.getCharacterExtents(offset if offset >= 0 else text.characterCount - 1,
                                                  pyatspi.DESKTOP_COORDS)
            ext = view.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            return h > 0 and ext.y <= y and y + h <= ext.y + ext.height

        # The window takes a view within 8 px of the bottom as at the bottom, and follows from there:
        # with the long message alone the view scrolls by 7 px, so its top is "at the bottom" too, and
        # whether a check saw the scroll that followed depended on how far GTK's scroll animation had
        # got. More lines make scrolling to the top a real scroll up.
        for i in range(1, 21):
            carlos.write(f"línea {i}")
        # GTK lays the view out and scrolls it on its next frames, not when the text arrives: each step
        # waits for what the user would see, the last line on screen, then the first.
        check("the conversation follows new lines to the bottom",
              ana.shows("carlos: línea 20") and
              wait_for(lambda: bar.maximumValue > 100 and bar.currentValue >= bar.maximumValue - 2 and on_screen(-1)),
              f"{bar.currentValue} of {bar.maximumValue}")
        bar.currentValue = 0  # the user scrolls up to read
        check("the user can scroll up to read",
              wait_for(lambda: bar.currentValue < 2 and on_screen(0)), f"{bar.currentValue} of {bar.maximumValue}")
        height = bar.maximumValue
        carlos.write("¿sigues ahí?")
        carlos.write("¿hola?")
        # Once the view has made room for both lines (its range grew), it has decided not to follow them.
        check("... but not while the user has scrolled up",
              ana.shows("carlos: ¿hola?") and wait_for(lambda: bar.maximumValue > height) and
              bar.currentValue < 2 and on_screen(0), f"{bar.currentValue} of {bar.maximumValue} (was {height})")


        # A console client killed with -9 is shown lost within the expiry.
        carlos.p.kill()
        check("a killed console client leaves ana's list within the expiry",
              wait_for(lambda: "carlos" not in ana.users(), LOST))
        check("... and bea's, said as lost", wait_for(lambda: "carlos" not in bea.users(), LOST) and
              bea.shows("carlos se desconectó sin despedirse"))

        # The broker restarts while the windows are open.
        b.p.send_signal(signal.SIGTERM)
        b.wait_exit()
        check("with the broker gone, both windows say they are reconnecting",
              wait_for(lambda: ana.link() == f"● Reconectando con 127.0.0.1:{port}…" and
                       bea.link() == f"● Reconectando con 127.0.0.1:{port}…"), ana.link() + " / " + bea.link())
        ana.type("escrito sin conexión")
        check("the window stays responsive and says what it typed will go later",
              ana.shows("sin conexión: lo que escribas se enviará al reconectar"))
        b, _ = broker(["--port", port, "--pub-port", pub_port, "--idle-timeout", "2"])
        check("with the broker back, both windows reconnect by themselves",
              wait_for(lambda: ana.link().startswith("● Reconectado a") and bea.link().startswith("● Reconectado a"), 20),
              ana.link() + " / " + bea.link())
        # (Sent once ana's subscription is live again, it comes back to her; bea, reconnecting at the
        # same time to a broker that counts broadcasts from 1 again, may or may not be back by then.)
        check("what was typed while down is sent once back, and comes back once",
              ana.shows("ana: escrito sin conexión") and ana.conversation().count("ana: escrito sin conexión") == 1,
              str(ana.conversation().count("ana: escrito sin conexión")))
        check("the list is whole again", wait_for(lambda: set(bea.users()) == {"ana", "bea (tú)"}), str(bea.users()))

        # The new broker makes a quiet user INACTIVO after 2 s.
        check("idleness set by the broker shows in ana's own selector",
              wait_for(lambda: ana.status() == "INACTIVO" and ana.idle_note()))
        check("... and in bea's list, as idleness",
              wait_for(lambda: bea.users().get("ana") == "INACTIVO (por inactividad)"), str(bea.users()))

        # Leaving: /salir in one window, Ctrl-Q in another, SIGTERM to a third; the broker sees each leave.
        dani = Window(start([gtk_bin, "dani", "127.0.0.1", port], "dani"))
        check("a third window joins the restarted broker", wait_for(lambda: "dani" in bea.users(), 20))
        ana.type("/salir")
        check("/salir closes ana's window with status 0", ana.proc.wait_exit() == 0)
        check("bea sees ana leave", bea.shows("* ana salió"))
        press(bea.entry(), ord("q"), ctrl=True)
        check("Ctrl-Q closes bea's window with status 0", bea.proc.wait_exit() == 0)
        check("dani sees bea leave", dani.shows("* bea salió"))
        dani.proc.p.send_signal(signal.SIGTERM)
        check("SIGTERM closes dani's window with status 0", dani.proc.wait_exit() == 0)
        check("the broker saw each leave, none get lost",
              b.wait_text("dani (127.0.0.1) salió") and "perdido" not in b.out, b.out[-400:])
    except Exception as e:  # a step the rest depends on failed: count it and say where
        check(f"the run went on to the end ({type(e).__name__}: {e})", False)
    finally:
        for p in procs:
            p.stop()
        with open(os.path.join(out, "processes.log"), "w") as log:
            for p in procs:
                log.write(f"==== {p.name}\n{p.out}\n")
    say(f"took {time.monotonic() - t0:.0f} s; output of every process in {out}/processes.log")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
