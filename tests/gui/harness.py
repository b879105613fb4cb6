"""What the GUI test drives windows and processes with: waits with deadlines on the
GLib main loop, child processes whose output the loop collects, and the
accessibility tree (AT-SPI through pyatspi): widgets found by role and name,
typed into, pressed, read. The scenario is drive.py."""
import os
import subprocess
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, GLib  # noqa: E402
import pyatspi  # noqa: E402

WAIT = 20.0  # anything that must happen; a passing run never waits this long (a busy CI machine is slow)


def wait_for(pred, timeout=WAIT):
    """Runs the main loop until pred() is true (returned) or the deadline passes (None).
    AT-SPI events and process output wake it; a tick of 100 ms re-checks what sends no event."""
    deadline = time.monotonic() + timeout
    ctx = GLib.MainContext.default()
    tick = GLib.timeout_add(100, lambda: True)
    try:
        while True:
            try:
                value = pred()
            except Exception:  # a widget went away while being read: ask again
                value = None
            if value:
                return value
            if time.monotonic() >= deadline:
                return None
            ctx.iteration(True)
    finally:
        GLib.source_remove(tick)


# ---- processes ---------------------------------------------------------------------------

class Proc:
    """A child process whose output is collected by the main loop."""

    def __init__(self, argv, name, stdin=False):
        self.name = name
        self.out = ""
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        os.set_blocking(self.p.stdout.fileno(), False)
        GLib.io_add_watch(self.p.stdout.fileno(), GLib.IO_IN | GLib.IO_HUP, self._read)

    def _read(self, fd, cond):
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return True
        if not data:
            return False
        self.out += data.decode("utf-8", "replace")
        return True

    def write(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def wait_text(self, text, timeout=WAIT):
        return wait_for(lambda: text in self.out, timeout)

    def wait_exit(self, timeout=WAIT):
        return wait_for(lambda: self.p.poll() is not None, timeout) and self.p.returncode

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


# ---- the accessibility tree --------------------------------------------------------------

def walk(acc, depth=0):
    if acc is None or depth > 25:
        return
    yield acc
    for i in range(acc.childCount):
        yield from walk(acc.getChildAtIndex(i), depth + 1)


def find(root, role, name=None, prefix=None, showing=False):
    for a in walk(root):
        if a.getRoleName() != role:
            continue
        if name is not None and a.name != name:
            continue
        if prefix is not None and not (a.name or "").startswith(prefix):
            continue
        if showing and not a.getState().contains(pyatspi.STATE_SHOWING):
            continue
        return a
    return None


def app_of(proc):
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.get_process_id() == proc.p.pid:
            return app
    return None


def action(acc, name):
    a = acc.queryAction()
    for i in range(a.nActions):
        if a.getName(i) == name:
            return a.doAction(i)
    raise RuntimeError(f"{acc.getRoleName()} {acc.name!r} has no action {name}")


def text_of(acc):
    t = acc.queryText()
    return t.getText(0, -1)


def press(acc, keysym, ctrl=False):
    """Gives the widget's window the keyboard focus, then a key (by keysym) as if typed."""
    acc.queryComponent().grabFocus()
    wait_for(lambda: acc.getState().contains(pyatspi.STATE_FOCUSED))
    if ctrl:
        pyatspi.Registry.generateKeyboardEvent(1 << 2, None, pyatspi.KEY_LOCKMODIFIERS)  # ControlMask
    pyatspi.Registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM)
    if ctrl:
        pyatspi.Registry.generateKeyboardEvent(1 << 2, None, pyatspi.KEY_UNLOCKMODIFIERS)


def set_text(acc, text):
    acc.queryEditableText().setTextContents(text)


class Window:
    """One charla-gtk process and its frames."""

    def __init__(self, proc):
        self.proc = proc

    def app(self):
        return app_of(self.proc)

    def frame(self, prefix, but=None):
        app = self.app()
        if app is None:
            return None
        for i in range(app.childCount):
            f = app.getChildAtIndex(i)
            if f is None or not (f.name or "").startswith(prefix) or f.name == but:
                continue
            if f.getState().contains(pyatspi.STATE_SHOWING):
                return f
        return None

    def main(self):
        return self.frame("charla — ", but="charla — entrar")

    def conversation(self):
        return text_of(find(self.main(), "text", "Conversación"))

    def shows(self, text):
        return wait_for(lambda: text in self.conversation())

    def link(self):
        label = find(self.main(), "label", prefix="●")
        return label.name if label else ""

    def status(self):
        return find(self.main(), "combo box").name

    def idle_note(self):
        return find(self.main(), "label", "por inactividad", showing=True) is not None

    def users(self):
        """{name: status} from the list of who is online (the own entry as 'name (tú)')."""
        table = find(self.main(), "table", "Usuarios en línea").queryTable()
        return {table.getAccessibleAt(r, 1).name: table.getAccessibleAt(r, 2).name for r in range(table.nRows)}

    def user_row(self, name):
        table = find(self.main(), "table", "Usuarios en línea").queryTable()
        for r in range(table.nRows):
            if table.getAccessibleAt(r, 1).name == name:
                return table, r
        raise RuntimeError(f"{name} is not in the list")

    def entry(self):
        return find(self.main(), "text", "Mensaje")

    def type(self, line):
        entry = self.entry()
        set_text(entry, line)
        action(entry, "activate")

    def move(self, x, y):
        frame = self.main() or self.frame("charla — entrar")
        Atspi.Component.set_position(frame, x, y, Atspi.CoordType.SCREEN)  # GTK moves a toplevel

    def screenshot(self, path):
        ext = self.main().queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        subprocess.run(["import", "-window", "root", "-crop", f"{ext.width}x{ext.height}+{ext.x}+{ext.y}", "+repage",
                        path], check=True)
