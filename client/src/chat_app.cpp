#include <charla/client/chat_app.hpp>

#include <charla/client/format.hpp>

#include <cerrno>
#include <iostream>
#include <utility>
#include <unistd.h>

namespace charla::client {

ChatApp::ChatApp(Connection& conn, Console& console) : conn_(conn), console_(console), core_(conn, *this) {}

std::string ChatApp::prompt() const {
  if (core_.status() == msg::Status::activo) return core_.name() + "> ";
  return core_.name() + " [" + std::string(msg::to_string(core_.status())) + "]> ";
}

// Seconds only in a pipe: a person at a terminal does not need them, a script may.
std::string ChatApp::stamp(std::uint64_t ts_ms) const {
  return console_.paint(Color::dim, "[" + clock_time(ts_ms, !console_.interactive()) + "] ");
}

void ChatApp::message(std::uint64_t ts_ms, const std::string& from, const std::string& text, bool mine) {
  console_.print(stamp(ts_ms) + console_.paint(mine ? Color::bold : Color::cyan, from) + ": " + text);
}

void ChatApp::private_message(std::uint64_t ts_ms, const std::string& peer, const std::string& text, bool outgoing) {
  if (outgoing) {
    console_.print(stamp(ts_ms) + console_.paint(Color::magenta, "(privado a " + peer + ")") + " " + text);
  } else {
    console_.print(stamp(ts_ms) + console_.paint(Color::magenta, "(privado) " + peer) + ": " + text);
  }
}

void ChatApp::waiting_private_message(std::uint64_t ts_ms, const std::string& from, const std::string& text) {
  console_.print(stamp(ts_ms) + console_.paint(Color::magenta, "(privado, te esperaba) " + from) + ": " + text);
}

// Kept broadcasts, dimmed and marked "(historial)", so that they never pass for live ones.
void ChatApp::history(Past kind, const std::vector<msg::Kept>& kept) {
  if (kept.empty() && kind == Past::found) return notice("nada en el historial con esas palabras");
  for (const auto& k : kept) {
    console_.print(console_.paint(Color::dim, "[" + clock_time(k.ts, !console_.interactive()) + "] (historial) " +
                                                  k.from + ": " + k.text));
  }
}

void ChatApp::notice(const std::string& text) { console_.print(console_.paint(Color::yellow, "* " + text)); }
void ChatApp::error(const std::string& text) { console_.print(console_.paint(Color::red, "! " + text)); }

void ChatApp::help(const std::vector<std::string>& lines) {
  for (const auto& l : lines) console_.print(l);
}

void ChatApp::link_state(const Link& link) {
  switch (link.state) {
    case Link::State::connected: return console_.print(console_.paint(Color::green, link.text));
    case Link::State::reconnecting:
    case Link::State::name_lost: return error(link.text);
    case Link::State::reconnected:
    case Link::State::joining:
      notice(link.text);
      return console_.set_prompt(prompt());
  }
}

void ChatApp::own_status(msg::Status, bool) { console_.set_prompt(prompt()); }

bool ChatApp::name_taken(const std::string& name) {
  if (console_.interactive()) return true;  // /nombre, typed
  std::cerr << "charla: el nombre '" << name << "' es ahora de otra persona; vuelve a entrar con otro nombre\n";
  return false;
}

int ChatApp::run(int signal_fd) {
  core_.start();
  if (console_.interactive()) {
    console_.start(
        prompt(),
        [this](const char* line) {
          if (line == nullptr) return core_.finish();
          core_.line(line);
        },
        [this](std::string_view word, bool first) { return core_.complete(word, first); });
  }
  std::vector<zmq::pollitem_t> extra{{nullptr, STDIN_FILENO, ZMQ_POLLIN, 0}, {nullptr, signal_fd, ZMQ_POLLIN, 0}};
  std::deque<Event> events;
  bool stdin_open = true;
  while (!core_.done()) {
    extra[0].events = stdin_open && !core_.finishing() ? ZMQ_POLLIN : 0;
    conn_.poll(milliseconds(200), extra, events);
    for (; !events.empty(); events.pop_front()) core_.handle(events.front());
    if (extra[1].revents & ZMQ_POLLIN) {
      if (!core_.quitting()) notice("saliendo…");
      core_.quit();
    }
    if (extra[0].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
      if (console_.interactive()) {
        console_.on_readable();
      } else {
        read_pipe();
        if (core_.finishing()) stdin_open = false;
      }
    }
    core_.tick();
  }
  console_.stop();
  return core_.exit_code();
}

void ChatApp::read_pipe() {
  char buf[4096];
  const auto n = ::read(STDIN_FILENO, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n > 0) {
    stdin_buf_.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while (!core_.finishing() && (nl = stdin_buf_.find('\n')) != std::string::npos) {
      const auto line = stdin_buf_.substr(0, nl);
      stdin_buf_.erase(0, nl + 1);
      core_.line(line);
    }
    return;
  }
  // End of input: what is left is the last line; then leave once it has gone through.
  if (!stdin_buf_.empty()) core_.line(std::exchange(stdin_buf_, {}));
  core_.finish();
}

}  // namespace charla::client
