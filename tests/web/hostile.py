"""Hostile input to charla-web while a browser tab (bea) chats: malformed frames,
messages that are not the page's, an oversized message, a thousand sockets that
never join, a flood from one tab, a tab that stops reading. After each, the
gateway is still up and bea has lost nothing. Every loop is bounded in count and
in time."""
import resource
import socket
import time

from harness import WAIT, RawSocket, http_get, wait_for

SOCKETS = 1000          # that never join
FLOOD = 3000            # lines one tab sends as fast as it can
MARKS = 20              # what a console user says meanwhile, all of which bea must see
SLOW_LINES = 100        # broadcasts of 3500 characters while one tab does not read (350 KB, past its
                        # queue of 64 KiB and the kernel's buffers: the gateway's 128 KiB, the tab's 8 KiB)


def run(st, bea, check, say):
    dani = st.console("dani")
    if not dani.wait_text("Conectado a"):
        raise RuntimeError("dani did not join: " + dani.text())

    def alive(what):
        """The gateway still serves pages and bea still gets every broadcast."""
        status, _, _ = http_get(st.web_port)
        mark = f"sigue vivo tras {what}"
        dani.write(mark)
        check(f"after {what}, the gateway still serves and bea still chats",
              status == 200 and st.w.p.poll() is None and bea.shows("dani: " + mark), str(status))

    # Frames that break RFC 6455: each closes its own socket, nothing else.
    bad_frames = {
        "an unmasked frame from a client": dict(payload=b'{"t":"leave"}', mask=False),
        "reserved bits set": dict(payload=b"{}", rsv=0b111),
        "an unknown opcode": dict(payload=b"x", opcode=3),
        "a text frame that is not UTF-8": dict(payload=b'{"t":"line","text":"\xff\xfe"}'),
        "a fragmented control frame": dict(payload=b"", opcode=9, fin=False),
    }
    closed = []
    for what, frame in bad_frames.items():
        s = RawSocket(st.web_port)
        s.send_frame(**frame)
        if s.status == 101 and s.closed(5):
            closed.append(what)
        s.close()
    check("malformed WebSocket frames close only the socket that sent them",
          len(closed) == len(bad_frames), f"closed for: {closed}")
    raw = socket.create_connection(("127.0.0.1", st.web_port), WAIT)
    raw.sendall(b"\x16\x03\x01\x00\xff garbage that is no HTTP \r\n\r\n")
    answer = raw.recv(4096)
    raw.close()
    check("bytes that are no HTTP request get no page (closed, or a 400)",
          answer == b"" or answer.startswith(b"HTTP/1.1 400"), repr(answer[:40]))

    # Messages that are not the page's: an error each, and the socket goes on.
    s = RawSocket(st.web_port)
    answers = []
    for text in [b"no es JSON", b"[1, 2]", b'{"t": 5}', b'{"t": "despega"}', b'{"t": "line", "text": "antes"}']:
        s.send_frame(text)
        m = s.messages(lambda m: m["t"] == "error", 5)
        answers.append(m and m["text"])
    s.send_json({"t": "join", "name": "rara"})
    check("messages that are not the page's are answered with an error, and the socket can still join",
          all(answers) and s.messages(lambda m: m["t"] == "joined") is not None, str(answers))
    s.send_json({"t": "leave"})
    s.close()

    big = RawSocket(st.web_port)
    big.send_json({"t": "join", "name": "grande"})
    big.messages(lambda m: m["t"] == "joined")
    big.send_frame(b'{"t":"line","text":"' + b"x" * 100_000 + b'"}')
    check("an oversized message (100 KB) closes its socket", big.closed(5))
    big.close()
    check("... and its user is gone", wait_for(lambda: "grande" not in bea.users(), 3 + 10))
    alive("malformed and oversized input")

    # A thousand sockets that never join: held open at once, then let go.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    started = time.monotonic()
    idle, refused = [], 0
    for _ in range(SOCKETS):
        if time.monotonic() - started > 60:
            break
        s = RawSocket(st.web_port, timeout=5)
        if s.status == 101:
            idle.append(s)
        else:
            refused += 1
            s.close()
    say(f"{len(idle)} sockets open without joining in {time.monotonic() - started:.1f} s ({refused} refused)")
    rss = st.w.rss_kb()
    check(f"{SOCKETS} sockets that never join are held (or refused past --max-sessions), the gateway "
          f"at {rss // 1024} MiB", len(idle) + refused == SOCKETS and rss < 512 * 1024, f"{len(idle)} + {refused}")
    over = RawSocket(st.web_port, timeout=5)
    over_status = over.status
    over.close()
    alive("a thousand idle sockets")
    check("... and with every waiting place taken, one more socket is refused",
          len(idle) < SOCKETS or over_status != 101, str(over_status))
    for s in idle:
        s.close()
    newcomer = RawSocket(st.web_port)
    newcomer.send_json({"t": "join", "name": "recien"})
    check("once they are gone, a new tab joins", newcomer.messages(lambda m: m["t"] == "joined") is not None)
    newcomer.send_json({"t": "leave"})
    newcomer.close()

    # A flood from one tab: it is slowed down; the others lose nothing.
    flood = RawSocket(st.web_port)
    flood.send_json({"t": "join", "name": "inundador"})
    flood.messages(lambda m: m["t"] == "joined")
    payload = b'{"t":"line","text":"inundando"}'
    started = time.monotonic()
    for i in range(FLOOD):
        flood.send_frame(payload)
        if i == FLOOD // 2:
            for k in range(MARKS):
                dani.write(f"marca {k}")
    say(f"{FLOOD} lines flooded in {time.monotonic() - started:.1f} s")
    check("a flooding tab is told it is going too fast",
          flood.messages(lambda m: m["t"] == "error" and "demasiados" in m["text"]) is not None)
    check(f"... while bea gets every one of the {MARKS} lines another user wrote meanwhile, in order",
          bea.shows(f"dani: marca {MARKS - 1}") and
          [l.split("dani: ")[1] for l in bea.lines() if "dani: marca" in l] == [f"marca {k}" for k in range(MARKS)])
    flood.send_json({"t": "leave"})
    flood.close()
    alive("a flood from one tab")

    # A tab that stops reading: its queue is bounded (--max-queue 64 KiB); it is told what it missed.
    slow = RawSocket(st.web_port, rcvbuf=4096)
    slow.send_json({"t": "join", "name": "lento"})
    slow.messages(lambda m: m["t"] == "joined")
    wait_for(lambda: "lento" in bea.users())
    long_text = "y" * 3500
    for k in range(SLOW_LINES):
        dani.write(f"largo {k} {long_text}")
        slow.send_frame(b"", opcode=9)  # alive, though it reads nothing
        if k % 10 == 9:  # at a pace bea's own queue takes
            bea.shows(f"dani: largo {k} ")
    check(f"bea gets all {SLOW_LINES} long lines while another tab reads nothing",
          bea.shows(f"dani: largo {SLOW_LINES - 1} ") and
          sum(1 for l in bea.lines() if "dani: largo " in l) == SLOW_LINES)
    missed = slow.messages(lambda m: m["t"] == "missed")
    check("the tab that did not read is told how many messages it missed, once it reads again",
          missed is not None and missed["count"] > 0, str(missed))
    slow.send_json({"t": "leave"})
    slow.close()
    alive("a tab that stopped reading")
    dani.write("/salir")
    dani.wait_exit()
