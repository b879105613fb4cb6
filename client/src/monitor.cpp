#include <charla/client/monitor.hpp>

#include <charla/client/format.hpp>

#include <charla/msg/text.hpp>

#include <cstdio>

namespace charla::client {

Monitor::Monitor(Connection& conn, Console& console, bool json)
    : conn_(conn), console_(console), json_(json), roster_(conn, *this) {}

namespace {
constexpr std::uint64_t kHistoryId = 5;
}  // namespace

void Monitor::begin() {
  note("connected", "conectado a " + conn_.endpoint().substr(6) + " (" + conn_.welcome().server + ")");
  roster_.start();
  conn_.send(msg::History{}, kHistoryId);  // what was said before, as the broker keeps it
}

void Monitor::history(const msg::Chats& c) {
  for (const auto& k : c.messages) {
    if (json_) {
      emit({{"event", "history"}, {"user", k.from}, {"text", k.text}, {"time", iso_utc(k.ts)}, {"hid", k.hid}});
    } else {
      line(Color::dim, clock_time(k.ts, true) + "  historial " + msg::printable(k.from) + ": " + msg::printable(k.text));
    }
  }
}

void Monitor::step(milliseconds max_wait) {
  conn_.poll(max_wait, extra_, events_);
  for (; !events_.empty(); events_.pop_front()) on_event(events_.front());
}

int Monitor::run(int signal_fd) {
  begin();
  extra_ = {{nullptr, signal_fd, ZMQ_POLLIN, 0}};
  for (;;) {
    step(milliseconds(500));
    if (extra_[0].revents & ZMQ_POLLIN) return 0;
  }
}

void Monitor::on_event(const Event& e) {
  roster_.on_event(e);
  if (const auto* l = std::get_if<link::Lost>(&e)) {
    note("disconnected", "conexión perdida: " + l->why + "; reconectando…");
  } else if (std::holds_alternative<link::Rejoined>(e)) {
    note("reconnected", "reconectado");
  } else if (const auto* d = std::get_if<msg::Decoded>(&e)) {
    if (const auto* err = std::get_if<msg::Error>(&d->msg)) note("error", msg::printable(err->text));
    if (const auto* c = std::get_if<msg::Chats>(&d->msg); c != nullptr && d->id == kHistoryId) history(*c);
  }
}

void Monitor::roster_gap(std::uint64_t last, std::uint64_t seen) {
  if (json_) {
    emit({{"event", "gap"}, {"from", last}, {"to", seen}, {"time", iso_utc(now_ms())}});
  } else {
    line(Color::red, "! se perdieron cambios (seq " + std::to_string(last) + " → " + std::to_string(seen) +
                         "); pido una instantánea nueva");
  }
}

void Monitor::roster_snapshot(const msg::Users& u) {
  const auto now = iso_utc(now_ms());
  if (json_) {
    if (u.users.empty()) {
      emit({{"event", "snapshot"}, {"user", nullptr}, {"status", nullptr}, {"ip", nullptr},
            {"time", now}, {"seq", u.pseq}, {"count", 0}});
    }
    for (const auto& e : u.users) {
      emit({{"event", "snapshot"}, {"user", e.name}, {"status", msg::to_string(e.status)}, {"ip", e.ip},
            {"time", now}, {"since", iso_utc(e.since)}, {"seq", u.pseq}, {"count", u.users.size()}});
    }
    return;
  }
  line(Color::green, "en línea: " + std::to_string(u.users.size()) + " (seq " + std::to_string(u.pseq) + ")");
  for (const auto& e : u.users) {
    row(clock_time(now_ms(), true), "online", e.name, msg::to_string(e.status), e.ip,
        "desde las " + clock_time(e.since, true));
  }
}

void Monitor::roster_changed(const msg::Presence& p) {
  if (json_) {
    nlohmann::ordered_json j{{"event", msg::to_string(p.event)}, {"user", p.user}, {"status", msg::to_string(p.status)},
                             {"ip", p.ip}, {"time", iso_utc(p.ts)}, {"seq", p.seq}};
    if (p.cause != msg::Cause::none) j["cause"] = msg::to_string(p.cause);
    return emit(j);
  }
  std::string extra = "#" + std::to_string(p.seq);
  if (p.cause == msg::Cause::idle) extra += " por inactividad";
  if (p.cause == msg::Cause::activity) extra += " por actividad";
  row(clock_time(p.ts, true), std::string(msg::to_string(p.event)), p.user, msg::to_string(p.status), p.ip, extra);
}

void Monitor::row(const std::string& time, const std::string& event, const std::string& user, std::string_view status,
                  const std::string& ip, const std::string& extra) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s  %-7s %-24s %-9s %-15s %s", time.c_str(), event.c_str(),
                msg::printable(user).c_str(), std::string(status).c_str(), ip.c_str(), extra.c_str());
  const auto c = event == "join"     ? Color::green
                 : event == "status" ? Color::yellow
                 : event == "online" ? Color::none
                                     : Color::red;
  console_.print(console_.paint(c, buf));
}

void Monitor::note(const char* event, const std::string& text) {
  if (json_) return emit({{"event", event}, {"text", text}, {"time", iso_utc(now_ms())}});
  line(Color::yellow, "* " + text);
}

void Monitor::line(Color c, const std::string& text) { console_.print(console_.paint(c, text)); }

void Monitor::emit(const nlohmann::ordered_json& j) {
  console_.print(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace charla::client
