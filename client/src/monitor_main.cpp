// charla-monitor: shows who is online (a snapshot), then every presence change,
// without missing or repeating any (Clone pattern; see presence_mirror.hpp).
#include "connection.hpp"
#include "format.hpp"
#include "presence_mirror.hpp"
#include "security.hpp"
#include "signals.hpp"
#include "terminal.hpp"

#include <charla/msg/text.hpp>
#include <charla/version.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace charla::client {
namespace {

class Monitor {
 public:
  Monitor(Connection& conn, bool json, bool color) : conn_(conn), json_(json), console_(false, color) {}

  int run(int signal_fd) {
    note("connected", "conectado a " + conn_.endpoint().substr(6) + " (" + conn_.welcome().server + ")");
    resync();
    std::vector<zmq::pollitem_t> extra{{nullptr, signal_fd, ZMQ_POLLIN, 0}};
    std::deque<Event> events;
    for (;;) {
      conn_.poll(milliseconds(500), extra, events);
      for (; !events.empty(); events.pop_front()) on_event(events.front());
      if (extra[0].revents & ZMQ_POLLIN) return 0;
    }
  }

 private:
  void resync() {
    mirror_.reset();
    conn_.send(msg::Who{});
  }

  void on_event(Event& e) {
    if (auto* l = std::get_if<link::Lost>(&e)) {
      note("disconnected", "conexión perdida: " + l->why + "; reconectando…");
      mirror_.reset();
    } else if (std::holds_alternative<link::Rejoined>(e)) {
      note("reconnected", "reconectado");
      resync();
    } else if (auto* d = std::get_if<msg::Decoded>(&e)) {
      if (auto* u = std::get_if<msg::Users>(&d->msg)) {
        auto applied = mirror_.apply_snapshot(*u);
        show_snapshot(*u);
        for (const auto& p : applied) show(p);
      } else if (auto* p = std::get_if<msg::Presence>(&d->msg)) {
        on_presence(*p);
      } else if (auto* b = std::get_if<msg::Beat>(&d->msg)) {
        if (mirror_.behind(b->pseq)) gap(b->pseq);
      } else if (auto* err = std::get_if<msg::Error>(&d->msg)) {
        note("error", msg::printable(err->text));
      }
    }
  }

  void on_presence(const msg::Presence& p) {
    switch (mirror_.apply(p)) {
      case PresenceMirror::Outcome::applied: return show(p);
      case PresenceMirror::Outcome::gap: return gap(p.seq);
      case PresenceMirror::Outcome::stale:
      case PresenceMirror::Outcome::waiting: return;
    }
  }

  void gap(std::uint64_t seen) {
    if (json_) {
      emit({{"event", "gap"}, {"from", mirror_.seq()}, {"to", seen}, {"time", iso_utc(now_ms())}});
    } else {
      line(Color::red, "! se perdieron cambios (seq " + std::to_string(mirror_.seq()) + " → " +
                           std::to_string(seen) + "); pido una instantánea nueva");
    }
    resync();
  }

  void show_snapshot(const msg::Users& u) {
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

  void show(const msg::Presence& p) {
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

  void row(const std::string& time, const std::string& event, const std::string& user, std::string_view status,
           const std::string& ip, const std::string& extra) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s  %-7s %-24s %-9s %-15s %s", time.c_str(), event.c_str(),
                  msg::printable(user).c_str(), std::string(status).c_str(), ip.c_str(), extra.c_str());
    const auto c = event == "join" ? Color::green : event == "status" ? Color::yellow : event == "online" ? Color::none : Color::red;
    console_.print(console_.paint(c, buf));
  }

  void note(const char* event, const std::string& text) {
    if (json_) return emit({{"event", event}, {"text", text}, {"time", iso_utc(now_ms())}});
    line(Color::yellow, "* " + text);
  }

  void line(Color c, const std::string& text) { console_.print(console_.paint(c, text)); }
  void emit(const nlohmann::ordered_json& j) { console_.print(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)); }

  Connection& conn_;
  bool json_;
  Console console_;
  PresenceMirror mirror_;
};

}  // namespace
}  // namespace charla::client

int main(int argc, char** argv) {
  using namespace charla::client;
  std::string host;
  std::uint16_t port = 8082;
  bool json = false;
  double timeout_s = 5;
  SecurityArgs security;

  CLI::App app{"charla-monitor: muestra quién está conectado y cada cambio de presencia\n"
               "(entra, sale, se pierde, cambia de estado), con hora e IP."};
  app.set_version_flag("--version", std::string("charla-monitor ") + charla::kVersionString);
  app.add_option("host,-H,--host", host, "Servidor (nombre o IP)")->required();
  app.add_option("puerto,-p,--port", port, "Puerto de comandos del servidor")->capture_default_str();
  app.add_flag("--json", json, "Un objeto JSON por línea (event, user, status, ip, time, seq)");
  app.add_option("--timeout", timeout_s, "Segundos de espera al conectar")->capture_default_str()->check(CLI::Range(0.1, 600.0));
  add_security_options(app, security);
  CLI11_PARSE(app, argc, argv);

  SignalFd signals;
  try {
    Connection::Options options{host, port, "", milliseconds(static_cast<long>(timeout_s * 1000)), {}, {}, {}};
    apply_security(security, options);
    Connection conn(options);
    conn.start();
    return Monitor(conn, json, !json && want_color(STDOUT_FILENO)).run(signals.fd());
  } catch (const std::exception& e) {
    std::cerr << "charla-monitor: no se pudo conectar: " << e.what() << "\n";
    return 1;
  }
}
