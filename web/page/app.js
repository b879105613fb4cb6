// charla-web's page: a join form, then the chat. Everything the chat means is
// decided by the gateway (the same chat core as the console and the window):
// this page sends what its user typed as lines, and draws what it is told
// (docs/web.md, the wire format). Text from others always goes into the page as
// text (textContent), never as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
    link: $("link"), joinView: $("join-view"), chatView: $("chat-view"), form: $("join-form"),
    name: $("name"), joinError: $("join-error"), conversation: $("conversation"), entryForm: $("entry-form"),
    entry: $("entry"), leave: $("leave"), users: $("users"), count: $("count"), statusBox: $("status-box"),
    status: $("my-status"), idleNote: $("idle-note"),
  };

  const BACKOFF_MS = [500, 1000, 2000, 4000, 5000];
  const RETRY_NAME_FOR_MS = 20000;  // after a restart, the broker may still hold our name until it expires

  let ws = null;
  let me = "";              // the name we joined as (or are joining as)
  let joined = false;       // the gateway said joined on this socket
  let wanted = false;       // the user wants to be in the chat: reconnect when the socket goes
  let everJoined = false;   // reconnecting, not joining for the first time
  let attempt = 0;
  let retryUntil = 0;
  let timer = null;
  const users = new Map();  // name -> {name, status, idle, me, ip}

  // ---- what the user sees -------------------------------------------------------------

  function setLink(state, text) {
    ui.link.className = "link " + state;
    ui.link.textContent = "● " + text;
  }

  function clock(ts) {
    const d = ts ? new Date(ts) : new Date();
    return d.toLocaleTimeString("es-ES", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function add(kind, parts, ts) {
    const follow = ui.conversation.scrollTop + ui.conversation.clientHeight >= ui.conversation.scrollHeight - 8;
    const li = document.createElement("li");
    li.className = kind;
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = "[" + clock(ts) + "]";
    li.append(time);
    for (const [cls, text] of parts) {
      const span = document.createElement("span");
      if (cls) span.className = cls;
      span.textContent = text;
      li.append(span);
    }
    ui.conversation.append(li);
    while (ui.conversation.childElementCount > 2000) ui.conversation.firstElementChild.remove();
    if (follow) ui.conversation.scrollTop = ui.conversation.scrollHeight;
  }

  const notice = (text) => add("notice", [["", "* " + text]]);
  const problem = (text) => add("error", [["", "! " + text]]);

  function drawUsers() {
    const list = [...users.values()].sort((a, b) => a.name.localeCompare(b.name, "es"));
    ui.users.replaceChildren(...list.map((u) => {
      const li = document.createElement("li");
      li.className = u.status;
      li.tabIndex = 0;
      li.dataset.name = u.name;
      li.title = u.ip ? "IP " + u.ip : "";
      const mark = document.createElement("span");
      mark.className = "mark";
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = u.me ? u.name + " (tú)" : u.name;
      const state = document.createElement("span");
      state.className = "state";
      state.textContent = u.status + (u.idle ? " (por inactividad)" : "");
      li.append(mark, who, state);
      return li;
    }));
    ui.count.textContent = "(" + list.length + ")";
  }

  function showJoin(error) {
    joined = false;
    ui.chatView.hidden = true;
    ui.statusBox.hidden = true;
    ui.idleNote.hidden = true;
    ui.joinView.hidden = false;
    ui.joinError.hidden = !error;
    ui.joinError.textContent = error || "";
    ui.name.disabled = false;
    $("join").disabled = false;
    ui.name.focus();
  }

  function showChat() {
    ui.joinView.hidden = true;
    ui.chatView.hidden = false;
    ui.statusBox.hidden = false;
    ui.entry.focus();
  }

  // ---- the socket ------------------------------------------------------------------------

  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
  }

  function connect() {
    clearTimeout(timer);
    timer = null;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    setLink("connecting", everJoined ? "reconectando con el servidor web…" : "conectando…");
    const socket = new WebSocket(scheme + "//" + location.host + "/ws");
    ws = socket;
    socket.onopen = () => socket.send(JSON.stringify({ t: "join", name: me }));
    socket.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      if (socket === ws) receive(m);
    };
    socket.onclose = () => {
      if (socket !== ws) return;
      ws = null;
      if (joined) retryUntil = Date.now() + RETRY_NAME_FOR_MS;  // keep trying our name for a while
      joined = false;
      if (!wanted) return;
      setLink("reconnecting", "sin conexión con el servidor web; reconectando…");
      retry();
    };
  }

  function retry() {
    const wait = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
    attempt += 1;
    clearTimeout(timer);
    timer = setTimeout(connect, wait);
  }

  const handlers = {
    joined(m) {
      joined = true;
      attempt = 0;
      me = m.name;
      if (!everJoined) {
        ui.conversation.replaceChildren();
        showChat();
      } else {
        notice("de vuelta en el chat");
      }
      everJoined = true;
    },
    refused(m) {
      // Back after a restart, the broker may still hold our old session's name for a few seconds.
      if (everJoined && m.code === "name_taken" && Date.now() < retryUntil) return;  // the close brings a retry
      wanted = false;
      everJoined = false;
      users.clear();
      setLink("lost", "sin conectar");
      showJoin("No se pudo entrar como " + me + ": " + m.text);
    },
    message(m) {
      add(m.mine ? "chat mine" : "chat", [["from", m.from], ["", ": " + m.text]], m.ts);
    },
    private(m) {
      const tag = m.outgoing ? "(privado a " + m.peer + ") " : "(privado) " + m.peer + ": ";
      add("private", [["tag", tag], ["", m.text]], m.ts);
    },
    notice(m) { notice(m.text); },
    error(m) { problem(m.text); },
    help(m) { for (const l of m.lines) add("help", [["", l]]); },
    link(m) {
      const state = { connected: "connected", reconnected: "connected", reconnecting: "reconnecting",
                      joining: "connecting", name_lost: "lost" }[m.state] || "connecting";
      const text = { connected: "conectado a " + m.endpoint, reconnected: "reconectado a " + m.endpoint,
                     reconnecting: "reconectando con " + m.endpoint + "…", joining: "entrando…",
                     name_lost: "tu nombre es de otra persona: /nombre <otro>" }[m.state] || m.state;
      setLink(state, text);
      if (m.state === "connected") return;  // the "Conectado a…" sentence is the join's, said once
      (m.state === "reconnecting" || m.state === "name_lost" ? problem : notice)(m.text);
    },
    status(m) {
      ui.status.value = m.status;
      ui.idleNote.hidden = !m.idle;
    },
    users(m) {
      users.clear();
      for (const u of m.users) users.set(u.name, u);
      drawUsers();
    },
    user(m) { users.set(m.name, m); drawUsers(); },
    gone(m) { users.delete(m.name); drawUsers(); },
    info() {},  // its notice says it all
    missed(m) { problem("la página se quedó atrás y se perdió " + m.count + " mensajes"); },
    bye() {
      wanted = false;
      everJoined = false;
      users.clear();
      setLink("lost", "has salido del chat");
      showJoin("");
    },
  };

  function receive(m) {
    const h = Object.prototype.hasOwnProperty.call(handlers, m.t) ? handlers[m.t] : null;
    if (h) h(m);
  }

  // ---- what the user does ------------------------------------------------------------------

  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    const name = ui.name.value.trim();
    if (!name) return;
    me = name;
    wanted = true;
    everJoined = false;
    attempt = 0;
    ui.name.disabled = true;
    $("join").disabled = true;
    ui.joinError.hidden = true;
    users.clear();
    connect();
  });

  ui.entryForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const line = ui.entry.value;
    if (!line.trim()) return;
    if (!joined) {
      problem("sin conexión: espera a que vuelva y escríbelo otra vez");
      return;
    }
    send({ t: "line", text: line });
    ui.entry.value = "";
  });

  ui.leave.addEventListener("click", () => send({ t: "line", text: "/salir" }));

  ui.status.addEventListener("change", () => send({ t: "line", text: "/estado " + ui.status.value }));

  function privateTo(li) {
    const name = li && li.dataset.name;
    if (!name) return;
    ui.entry.value = "@" + name + " ";
    ui.entry.focus();
  }
  ui.users.addEventListener("click", (e) => privateTo(e.target.closest("li")));
  ui.users.addEventListener("keydown", (e) => {
    if (e.key === "Enter") privateTo(e.target.closest("li"));
  });

  // A closed tab says goodbye, so that the others see it leave rather than get lost.
  window.addEventListener("pagehide", () => { wanted = false; send({ t: "leave" }); });

  setLink("lost", "sin conectar");
  showJoin("");
})();
