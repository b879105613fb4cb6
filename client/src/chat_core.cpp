#include <charla/client/chat_core.hpp>

#include <charla/client/commands.hpp>
#include <charla/client/format.hpp>

#include <charla/msg/names.hpp>
#include <charla/msg/overloaded.hpp>
#include <charla/msg/text.hpp>

#include <algorithm>
#include <utility>

namespace charla::client {
namespace {

using msg::overloaded;

constexpr std::uint64_t kUserListId = 2;  // who asked for with /usuarios
constexpr std::uint64_t kByeId = 3;
constexpr std::uint64_t kRequestId = 4;  // info, set_status
constexpr std::uint64_t kHistoryId = 5;  // the history given on joining
constexpr std::uint64_t kMoreId = 6;     // /historial
constexpr std::uint64_t kSearchId = 7;   // /buscar
constexpr std::uint64_t kHistoryPage = 20;
constexpr milliseconds kQuitWait{2000};    // for the broker's ok to bye
constexpr milliseconds kFinishWait{5000};  // for what was sent to come back, at the end

std::string word(msg::Status s) { return std::string(msg::to_string(s)); }
// A name or a text from others, as shown: harmless whatever it contains.
std::string shown(const std::string& s) { return msg::printable(s); }
std::string by_idleness(msg::Cause c) { return c == msg::Cause::idle ? " (por inactividad)" : ""; }

std::vector<std::string> help_lines() {
  std::vector<std::string> out{"texto            envía a todos", "@usuario texto   mensaje privado"};
  for (const auto& h : command_table()) {
    std::string names = std::string(h.spanish);
    if (h.english != h.spanish) names += " (" + std::string(h.english) + ")";
    if (!h.args.empty()) names += " " + std::string(h.args);
    names.resize(std::max<std::size_t>(names.size() + 1, 44), ' ');
    out.push_back(names + std::string(h.what));
  }
  return out;
}

}  // namespace

ChatCore::ChatCore(Connection& conn, ChatView& view)
    : conn_(conn), view_(view), me_(conn.name()), roster_(conn, *this) {}

std::string ChatCore::endpoint() const { return conn_.endpoint().substr(6); }  // without "tcp://"

bool ChatCore::mine(const std::string& name) const { return msg::fold_name(name) == msg::fold_name(me_); }

void ChatCore::start() {
  view_.link_state({Link::State::connected, endpoint(),
                    "Conectado a " + endpoint() + " como " + me_ + " (" + conn_.welcome().server +
                        "). Escribe /ayuda para ver los comandos.",
                    false});
  if (const auto owned = conn_.welcome().owned; owned && !*owned) {  // a bound on names was reached (2.7)
    view_.notice("el servidor no reserva el nombre " + me_ +
                 " para tu clave: otra persona podrá usarlo cuando salgas");
  }
  view_.own_status(my_status_, false);
  roster_.start();
  request(msg::History{}, kHistoryId);  // what was said before: the broker picks (2.7)
}

void ChatView::history(Past kind, const std::vector<msg::Kept>& kept) {
  if (kept.empty()) {
    if (kind == Past::found) notice("nada en el historial con esas palabras");
    return;
  }
  if (kind == Past::on_join) notice("historial:");
  for (const auto& k : kept) notice("[" + clock_time(k.ts, false) + "] " + k.from + ": " + k.text);
  if (kind == Past::on_join) notice("fin del historial");
}

void ChatCore::show_history(std::uint64_t id, const msg::Chats& c) {
  auto kept = c.messages;
  for (auto& k : kept) k.from = shown(k.from), k.text = shown(k.text);
  if (id != kSearchId && !kept.empty()) oldest_shown_ = kept.front().hid;
  const auto kind = id == kSearchId ? ChatView::Past::found : id == kMoreId ? ChatView::Past::more : ChatView::Past::on_join;
  view_.history(kind, kept);
  if (id == kMoreId && kept.empty()) view_.notice("no hay mensajes más antiguos");
}

void ChatCore::send_numbered(msg::Message m) {
  const bool say = std::holds_alternative<msg::Say>(m);
  const auto n = conn_.send_numbered(std::move(m));
  if (n == 0) return view_.error("demasiados mensajes sin confirmar; espera un momento y vuelve a escribirlo");
  if (say) echoes_.insert(n);
  if (!conn_.up() && !told_offline_) {
    told_offline_ = true;
    view_.notice("sin conexión: lo que escribas se enviará al reconectar");
  }
}

void ChatCore::request(const msg::Message& m, std::uint64_t id) {
  ++replies_;
  conn_.send(m, id);
}

void ChatCore::line(const std::string& text) {
  auto command = parse_command(text);
  if (name_lost_) {
    if (auto* r = std::get_if<cmd::Rename>(&command)) return rename(r->name);
    if (std::holds_alternative<cmd::Quit>(command)) return quit();
    return view_.error("el nombre '" + me_ + "' es de otra persona: escribe /nombre <otro> o /salir");
  }
  std::visit(overloaded{
                 [&](cmd::Broadcast& c) { send_numbered(msg::Say{std::move(c.text)}); },
                 [&](cmd::Private& c) { send_numbered(msg::Whisper{c.to, c.text}); },
                 [&](cmd::Users&) { request(msg::Who{}, kUserListId); },
                 [&](cmd::Info& c) { request(msg::Info{c.name}, kRequestId); },
                 [&](cmd::SetStatus& c) {
                   if (c.status != my_status_) status_wanted_ = c.status;
                   request(msg::SetStatus{c.status}, kRequestId);
                 },
                 [&](cmd::Rename&) { view_.error("ya estás dentro como " + me_); },
                 [&](cmd::History& c) {
                   request(msg::History{oldest_shown_, c.count == 0 ? kHistoryPage : c.count}, kMoreId);
                 },
                 [&](cmd::Search& c) { request(msg::Search{std::move(c.text)}, kSearchId); },
                 [&](cmd::Help&) { view_.help(help_lines()); },
                 [&](cmd::Quit&) { finish(); },
                 [&](cmd::Empty&) {},
                 [&](cmd::Invalid& c) { view_.error(c.hint); },
             },
             command);
}

void ChatCore::rename(const std::string& name) {
  if (const auto problem = msg::name_problem(name); !problem.empty()) {
    return view_.error("nombre no válido: " + problem);
  }
  me_ = name;
  name_lost_ = false;
  conn_.rename(name);
  view_.link_state({Link::State::joining, endpoint(), "entrando como " + me_ + "…", false});
}

void ChatCore::finish() {
  if (finishing_) return;
  finishing_ = true;
  deadline_ = Clock::now() + kFinishWait;
}

// Everything the user sent has been acknowledged and has come back: replies,
// own broadcasts, status changes. What a script's output then shows is what a
// person at the terminal would have seen.
bool ChatCore::settled() const {
  return !conn_.up() || (conn_.settled() && echoes_.empty() && replies_ == 0 && !status_wanted_);
}

void ChatCore::quit() {
  if (quitting_) return;
  quitting_ = finishing_ = true;
  deadline_ = Clock::now() + kQuitWait;
  if (!conn_.up()) return;
  conn_.confirm_received();  // so that the broker does not report them undelivered
  conn_.send(msg::Bye{}, kByeId);
}

void ChatCore::tick(Clock::time_point now) {
  if (finishing_ && !quitting_ && (settled() || now >= deadline_)) quit();
  if (quitting_ && (now >= deadline_ || !conn_.up())) done_ = true;
}

void ChatCore::handle(Event& e) {
  roster_.on_event(e);
  std::visit(overloaded{
                 [&](msg::Decoded& d) { on_message(d); },
                 [&](link::ChatGap& g) {
                   view_.error("se perdieron " + std::to_string(g.missed) + " mensajes de difusión");
                 },
                 [&](link::Sent& s) {
                   if (auto* w = std::get_if<msg::Whisper>(&s.msg)) {
                     held_[w->n] = w->text;  // for the receipt, if it has to wait (2.7)
                     if (held_.size() > 1000) held_.erase(held_.begin());
                     view_.private_message(now_ms(), shown(w->to), shown(w->text), true);
                   }
                 },
                 [&](auto& l) { on_link(l); },
             },
             e);
}

void ChatCore::on_link(const link::Lost& l) {
  told_offline_ = false;
  view_.link_state({Link::State::reconnecting, endpoint(), "conexión perdida: " + l.why + "; reconectando…", false});
}

void ChatCore::on_link(const link::Rejoined& r) {
  if (!r.resumed) my_status_ = msg::Status::activo;
  view_.link_state({Link::State::reconnected, endpoint(),
                    "reconectado a " + endpoint() + " como " + me_ +
                        (r.resumed ? " (sesión recuperada)" : " (sesión nueva)"),
                    r.resumed});
  view_.own_status(my_status_, false);
}

void ChatCore::on_link(const link::NotSent& f) {
  const auto* say = std::get_if<msg::Say>(&f.msg);
  if (say != nullptr) echoes_.erase(say->n);
  const auto& text = say != nullptr ? say->text : std::get<msg::Whisper>(f.msg).text;
  view_.error("no se envió «" + shown(text) + "»: " + shown(f.error.text));
}

void ChatCore::on_link(const link::NameTaken& t) {
  if (!view_.name_taken(t.name)) {
    exit_code_ = 1;
    done_ = true;
    return;
  }
  name_lost_ = true;
  view_.link_state({Link::State::name_lost, endpoint(),
                    "el nombre '" + t.name + "' es ahora de otra persona: escribe /nombre <otro> para volver a "
                                             "entrar, o /salir",
                    false});
}

void ChatCore::on_message(msg::Decoded& d) {
  const auto answered = [&] {
    if (replies_ > 0) --replies_;
  };
  std::visit(overloaded{
                 [&](msg::Chat& c) {
                   if (c.origin == conn_.origin()) echoes_.erase(c.n);
                   view_.message(c.ts, shown(c.from), shown(c.text), mine(c.from));
                 },
                 [&](msg::Private& p) {
                   if (p.stored) return view_.waiting_private_message(p.ts, shown(p.from), shown(p.text));
                   view_.private_message(p.ts, shown(p.from), shown(p.text), false);
                 },
                 [&](msg::Chats& c) {
                   answered();
                   show_history(d.id, c);
                 },
                 [&](msg::Held& h) {
                   view_.notice(shown(h.to) + " no está conectado: tu mensaje le esperará hasta que vuelva");
                 },
                 [&](msg::Delivered& dv) {
                   const auto it = held_.find(dv.n);
                   view_.notice(shown(dv.to) + " ha recibido tu mensaje" +
                                (it != held_.end() ? " «" + shown(it->second) + "»" : std::string()));
                   if (it != held_.end()) held_.erase(it);
                 },
                 [&](msg::Users&) {
                   if (d.id != kUserListId) return;
                   answered();
                   show_users();
                 },
                 [&](msg::UserInfo& i) {
                   answered();
                   view_.notice(shown(i.name) + ": IP " + i.ip + ", " + word(i.status) + ", conectado hace " +
                                duration(i.connected_s) + ", sin actividad desde hace " + duration(i.idle_s));
                   view_.user_info(i);
                 },
                 [&](msg::Ok& ok) {
                   if (ok.re == "bye") done_ = true;
                   if (ok.re == "set_status") answered();
                 },
                 [&](msg::Error& e) {
                   if (e.re == "who" || e.re == "info" || e.re == "set_status" || e.re == "history" ||
                       e.re == "search") {
                     answered();
                   }
                   if (e.re == "set_status") status_wanted_.reset();
                   view_.error(shown(e.text));
                 },
                 [&](auto&) {},  // presence and beats: the roster's
             },
             d.msg);
}

void ChatCore::roster_snapshot(const msg::Users& u) {
  // Idleness is known from status events only; forget it for whoever is no longer INACTIVO.
  std::set<std::string> still;
  for (const auto& e : u.users) {
    const auto key = msg::fold_name(e.name);
    if (e.status == msg::Status::inactivo && idle_.count(key) != 0) still.insert(key);
  }
  idle_ = std::move(still);
  view_.users_changed(users());
}

void ChatCore::roster_changed(const msg::Presence& p) {
  const bool me = mine(p.user);
  const auto name = shown(p.user);
  const auto key = msg::fold_name(p.user);
  if (p.event == msg::PresenceEvent::status && p.cause == msg::Cause::idle) {
    idle_.insert(key);
  } else if (p.event != msg::PresenceEvent::resume) {
    idle_.erase(key);
  }
  switch (p.event) {
    case msg::PresenceEvent::join:
      if (!me) view_.notice(name + " se unió (" + p.ip + ")");
      break;
    case msg::PresenceEvent::leave:
      if (!me) view_.notice(name + " salió");
      break;
    case msg::PresenceEvent::lost:
      if (!me) view_.notice(name + " se desconectó sin despedirse");
      break;
    case msg::PresenceEvent::resume:
      if (!me) view_.notice(name + " se reconectó");
      break;
    case msg::PresenceEvent::status:
      if (me) {
        my_status_ = p.status;
        if (status_wanted_ == p.status) status_wanted_.reset();
        view_.own_status(p.status, p.cause == msg::Cause::idle);
        view_.notice("tu estado: " + word(p.status) + by_idleness(p.cause));
      } else {
        view_.notice(name + " está " + word(p.status) + by_idleness(p.cause));
      }
      break;
  }
  if (!view_.takes_changes()) return view_.users_changed(users());
  const auto& now = roster_.mirror().users();
  if (const auto it = now.find(key); it != now.end()) return view_.user_changed(online(key, it->second), true);
  view_.user_changed({name, p.status, p.ip, p.ts, false, me}, false);
}

OnlineUser ChatCore::online(const std::string& key, const msg::UserEntry& e) const {
  return {shown(e.name), e.status, e.ip, e.since, idle_.count(key) != 0, mine(e.name)};
}

std::vector<OnlineUser> ChatCore::users() const {
  std::vector<OnlineUser> out;
  for (const auto& [key, e] : roster_.mirror().users()) out.push_back(online(key, e));  // by folded name: sorted
  return out;
}

void ChatCore::show_users() {
  const auto& users = roster_.mirror().users();
  std::string text = "en línea (" + std::to_string(users.size()) + "):";
  bool first = true;
  for (const auto& [key, e] : users) {
    text += (first ? " " : ", ") + shown(e.name) + " [" + word(e.status) + "]";
    first = false;
  }
  view_.notice(text);
}

std::vector<std::string> ChatCore::complete(std::string_view word, bool first_word) const {
  std::vector<std::string> names;
  for (const auto& [key, e] : roster_.mirror().users()) names.push_back(e.name);
  return complete_word(word, first_word, names);
}

}  // namespace charla::client
