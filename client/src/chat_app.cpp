#include <charla/client/chat_app.hpp>

#include <charla/client/format.hpp>

#include <charla/msg/names.hpp>
#include <charla/msg/overloaded.hpp>
#include <charla/msg/text.hpp>

#include <cerrno>
#include <iostream>
#include <utility>
#include <unistd.h>

namespace charla::client {
namespace {

using msg::overloaded;

constexpr std::uint64_t kUserListId = 2;  // who asked for with /usuarios
constexpr std::uint64_t kByeId = 3;
constexpr std::uint64_t kRequestId = 4;  // info, set_status
constexpr milliseconds kQuitWait{2000};    // for the broker's ok to bye
constexpr milliseconds kFinishWait{5000};  // for what was sent to come back, at the end

std::string status_word(msg::Status s) { return std::string(msg::to_string(s)); }

}  // namespace

ChatApp::ChatApp(Connection& conn, Console& console)
    : conn_(conn), console_(console), me_(conn.name()), roster_(conn, *this) {}

std::string ChatApp::prompt() const {
  if (my_status_ == msg::Status::activo) return me_ + "> ";
  return me_ + " [" + status_word(my_status_) + "]> ";
}

// A name as shown: harmless whatever it contains.
std::string ChatApp::who(const std::string& name) const { return msg::printable(name); }

void ChatApp::system(const std::string& text) { console_.print(console_.paint(Color::yellow, "* " + text)); }
void ChatApp::error(const std::string& text) { console_.print(console_.paint(Color::red, "! " + text)); }

int ChatApp::run(int signal_fd) {
  const auto& w = conn_.welcome();
  console_.print(console_.paint(Color::green, "Conectado a " + conn_.endpoint().substr(6) + " como " + me_ + " (" +
                                                  w.server + "). Escribe /ayuda para ver los comandos."));
  roster_.start();
  if (console_.interactive()) {
    console_.start(
        prompt(),
        [this](const char* line) {
          if (line == nullptr) return finish();
          on_line(line);
        },
        [this](std::string_view word, bool first) { return complete(word, first); });
  }
  std::vector<zmq::pollitem_t> extra{{nullptr, STDIN_FILENO, ZMQ_POLLIN, 0}, {nullptr, signal_fd, ZMQ_POLLIN, 0}};
  std::deque<Event> events;
  bool stdin_open = true;
  while (!done_) {
    extra[0].events = stdin_open && !finishing_ ? ZMQ_POLLIN : 0;
    conn_.poll(milliseconds(200), extra, events);
    for (; !events.empty(); events.pop_front()) on_event(events.front());
    if (extra[1].revents & ZMQ_POLLIN) {
      if (!quitting_) system("saliendo…");
      quit();
    }
    if (extra[0].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
      if (console_.interactive()) {
        console_.on_readable();
      } else {
        read_pipe();
        if (finishing_) stdin_open = false;
      }
    }
    if (finishing_ && !quitting_ && (finished() || Clock::now() >= deadline_)) quit();
    if (quitting_ && (Clock::now() >= deadline_ || !conn_.up())) done_ = true;
  }
  console_.stop();
  return exit_code_;
}

void ChatApp::read_pipe() {
  char buf[4096];
  const auto n = ::read(STDIN_FILENO, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n > 0) {
    stdin_buf_.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while (!finishing_ && (nl = stdin_buf_.find('\n')) != std::string::npos) {
      const auto line = stdin_buf_.substr(0, nl);
      stdin_buf_.erase(0, nl + 1);
      on_line(line);
    }
    return;
  }
  // End of input: what is left is the last line; then leave once it has gone through.
  if (!stdin_buf_.empty()) on_line(std::exchange(stdin_buf_, {}));
  finish();
}

void ChatApp::send_numbered(msg::Message m) {
  const bool say = std::holds_alternative<msg::Say>(m);
  const auto n = conn_.send_numbered(std::move(m));
  if (n == 0) return error("demasiados mensajes sin confirmar; espera un momento y vuelve a escribirlo");
  if (say) echoes_.insert(n);
  if (!conn_.up() && !told_offline_) {
    told_offline_ = true;
    system("sin conexión: lo que escribas se enviará al reconectar");
  }
}

void ChatApp::request(const msg::Message& m, std::uint64_t id) {
  ++replies_;
  conn_.send(m, id);
}

void ChatApp::on_line(const std::string& line) {
  if (name_lost_) {
    auto command = parse_command(line);
    if (auto* r = std::get_if<cmd::Rename>(&command)) return rename(r->name);
    if (std::holds_alternative<cmd::Quit>(command)) return quit();
    return error("el nombre '" + me_ + "' es de otra persona: escribe /nombre <otro> o /salir");
  }
  auto command = parse_command(line);
  std::visit(overloaded{
                 [&](cmd::Broadcast& c) { send_numbered(msg::Say{std::move(c.text)}); },
                 [&](cmd::Private& c) { send_numbered(msg::Whisper{c.to, c.text}); },
                 [&](cmd::Users&) { request(msg::Who{}, kUserListId); },
                 [&](cmd::Info& c) { request(msg::Info{c.name}, kRequestId); },
                 [&](cmd::SetStatus& c) {
                   if (c.status != my_status_) status_wanted_ = c.status;
                   request(msg::SetStatus{c.status}, kRequestId);
                 },
                 [&](cmd::Rename&) { error("ya estás dentro como " + me_); },
                 [&](cmd::Help&) {
                   console_.print("texto            envía a todos");
                   console_.print("@usuario texto   mensaje privado");
                   for (const auto& h : command_table()) {
                     std::string names = std::string(h.spanish);
                     if (h.english != h.spanish) names += " (" + std::string(h.english) + ")";
                     if (!h.args.empty()) names += " " + std::string(h.args);
                     names.resize(std::max<std::size_t>(names.size() + 1, 44), ' ');
                     console_.print(names + std::string(h.what));
                   }
                 },
                 [&](cmd::Quit&) { finish(); },
                 [&](cmd::Empty&) {},
                 [&](cmd::Invalid& c) { error(c.hint); },
             },
             command);
}

void ChatApp::rename(const std::string& name) {
  if (const auto problem = msg::name_problem(name); !problem.empty()) return error("nombre no válido: " + problem);
  me_ = name;
  name_lost_ = false;
  conn_.rename(name);
  console_.set_prompt(prompt());
  system("entrando como " + me_ + "…");
}

void ChatApp::finish() {
  if (finishing_) return;
  finishing_ = true;
  deadline_ = Clock::now() + kFinishWait;
}

// Everything the user sent has been acknowledged and has come back: replies,
// own broadcasts, status changes. What a script's output then shows is what a
// person at the terminal would have seen.
bool ChatApp::finished() const {
  return !conn_.up() || (conn_.settled() && echoes_.empty() && replies_ == 0 && !status_wanted_);
}

void ChatApp::quit() {
  if (quitting_) return;
  quitting_ = finishing_ = true;
  deadline_ = Clock::now() + kQuitWait;
  if (!conn_.up()) return;
  conn_.confirm_received();  // so that the broker does not report them undelivered
  conn_.send(msg::Bye{}, kByeId);
}

void ChatApp::on_event(Event& e) {
  roster_.on_event(e);
  std::visit(overloaded{
                 [&](msg::Decoded& d) { on_message(d); },
                 [&](link::Lost& l) {
                   error("conexión perdida: " + l.why + "; reconectando…");
                   told_offline_ = false;
                 },
                 [&](link::Rejoined& r) {
                   system("reconectado a " + conn_.endpoint().substr(6) + " como " + me_ +
                          (r.resumed ? " (sesión recuperada)" : " (sesión nueva)"));
                   if (!r.resumed) my_status_ = msg::Status::activo;
                   console_.set_prompt(prompt());
                 },
                 [&](link::ChatGap& g) {
                   error("se perdieron " + std::to_string(g.missed) + " mensajes de difusión");
                 },
                 [&](link::Sent& s) {
                   if (auto* w = std::get_if<msg::Whisper>(&s.msg)) show_private_sent(*w);
                 },
                 [&](link::NotSent& f) {
                   const auto* say = std::get_if<msg::Say>(&f.msg);
                   if (say != nullptr) echoes_.erase(say->n);
                   const auto& text = say != nullptr ? say->text : std::get<msg::Whisper>(f.msg).text;
                   error("no se envió «" + msg::printable(text) + "»: " + msg::printable(f.error.text));
                 },
                 [&](link::NameTaken& t) {
                   const auto line = "el nombre '" + t.name + "' es ahora de otra persona";
                   if (!console_.interactive()) {
                     std::cerr << "charla: " << line << "; vuelve a entrar con otro nombre\n";
                     exit_code_ = 1;
                     done_ = true;
                     return;
                   }
                   name_lost_ = true;
                   error(line + ": escribe /nombre <otro> para volver a entrar, o /salir");
                 },
             },
             e);
}

void ChatApp::show_private_sent(const msg::Whisper& w) {
  console_.print(console_.paint(Color::dim, "[" + clock_time(now_ms(), !console_.interactive()) + "] ") +
                 console_.paint(Color::magenta, "(privado a " + who(w.to) + ")") + " " + msg::printable(w.text));
}

void ChatApp::on_message(msg::Decoded& d) {
  const bool tty = console_.interactive();
  const auto answered = [&] {
    if (replies_ > 0) --replies_;
  };
  std::visit(overloaded{
                 [&](msg::Chat& c) {
                   if (c.origin == conn_.origin()) echoes_.erase(c.n);
                   const auto stamp = console_.paint(Color::dim, "[" + clock_time(c.ts, !tty) + "] ");
                   const bool mine = msg::fold_name(c.from) == msg::fold_name(me_);
                   console_.print(stamp + console_.paint(mine ? Color::bold : Color::cyan, who(c.from)) + ": " +
                                  msg::printable(c.text));
                 },
                 [&](msg::Private& p) {
                   console_.print(console_.paint(Color::dim, "[" + clock_time(p.ts, !tty) + "] ") +
                                  console_.paint(Color::magenta, "(privado) " + who(p.from)) + ": " +
                                  msg::printable(p.text));
                 },
                 [&](msg::Users& u) {
                   if (d.id != kUserListId) return;
                   answered();
                   show_users(u);
                 },
                 [&](msg::UserInfo& i) {
                   answered();
                   system(who(i.name) + ": IP " + i.ip + ", " + status_word(i.status) + ", conectado hace " +
                          duration(i.connected_s) + ", sin actividad desde hace " + duration(i.idle_s));
                 },
                 [&](msg::Ok& ok) {
                   if (ok.re == "bye") done_ = true;
                   if (ok.re == "set_status") answered();
                 },
                 [&](msg::Error& e) {
                   if (e.re == "who" || e.re == "info" || e.re == "set_status") answered();
                   if (e.re == "set_status") status_wanted_.reset();
                   error(msg::printable(e.text));
                 },
                 [&](auto&) {},  // presence and beats: the roster's
             },
             d.msg);
}

void ChatApp::roster_changed(const msg::Presence& p) {
  const bool mine = msg::fold_name(p.user) == msg::fold_name(me_);
  const auto name = who(p.user);
  switch (p.event) {
    case msg::PresenceEvent::join:
      if (!mine) system(name + " se unió (" + p.ip + ")");
      break;
    case msg::PresenceEvent::leave:
      if (!mine) system(name + " salió");
      break;
    case msg::PresenceEvent::lost:
      if (!mine) system(name + " se desconectó sin despedirse");
      break;
    case msg::PresenceEvent::resume:
      if (!mine) system(name + " se reconectó");
      break;
    case msg::PresenceEvent::status:
      if (mine) {
        my_status_ = p.status;
        if (status_wanted_ == p.status) status_wanted_.reset();
        console_.set_prompt(prompt());
        system(std::string("tu estado: ") + status_word(p.status) +
               (p.cause == msg::Cause::idle ? " (por inactividad)" : ""));
      } else {
        system(name + " está " + status_word(p.status) + (p.cause == msg::Cause::idle ? " (por inactividad)" : ""));
      }
      break;
  }
}

void ChatApp::show_users(const msg::Users& u) {
  std::string line = "en línea (" + std::to_string(u.users.size()) + "):";
  bool first = true;
  for (const auto& [key, e] : roster_.mirror().users()) {
    line += (first ? " " : ", ") + who(e.name) + " [" + status_word(e.status) + "]";
    first = false;
  }
  system(line);
}

std::vector<std::string> ChatApp::complete(std::string_view word, bool first) const {
  std::vector<std::string> out;
  const auto starts = [&](std::string_view cand) { return cand.substr(0, word.size()) == word; };
  if (first && !word.empty() && word.front() == '/') {
    for (const auto& h : command_table()) {
      if (starts(h.spanish)) out.emplace_back(h.spanish);
      if (h.english != h.spanish && starts(h.english)) out.emplace_back(h.english);
    }
    return out;
  }
  const bool at = !word.empty() && word.front() == '@';
  for (const auto& [key, e] : roster_.mirror().users()) {
    const auto cand = (at ? "@" : "") + e.name;
    if (msg::fold_name(cand).rfind(msg::fold_name(std::string(word)), 0) == 0) out.push_back(cand);
  }
  if (!at && !first) {
    for (const char* s : {"ACTIVO", "OCUPADO", "INACTIVO"}) {
      if (starts(s)) out.emplace_back(s);
    }
  }
  return out;
}

}  // namespace charla::client
