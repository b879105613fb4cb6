#include "handlers.hpp"

#include <charla/msg/names.hpp>
#include <charla/version.hpp>

#include <spdlog/spdlog.h>

namespace charla::broker::handle {
namespace {

using msg::ErrorCode;

msg::Welcome welcome(const Shared& shared, const std::string& name) {
  const auto& cfg = shared.cfg;
  return msg::Welcome{name,
                      cfg.pub_port,
                      cfg.heartbeat_ms,
                      cfg.expiry_ms,
                      cfg.idle_timeout_s,
                      shared.instance,
                      std::string("charla-broker ") + kVersionString,
                      static_cast<std::uint32_t>(cfg.max_text)};
}

// The text of a say or whisper: 1 to max_text bytes (the decoder checked UTF-8).
bool text_ok(Request& r, const std::string& text, std::string_view re) {
  if (text.empty()) {
    r.error(ErrorCode::bad_field, "el texto está vacío", re);
    return false;
  }
  if (text.size() > r.shared.cfg.max_text) {
    r.error(ErrorCode::too_long,
            "el texto tiene " + std::to_string(text.size()) + " bytes; el máximo es " +
                std::to_string(r.shared.cfg.max_text),
            re);
    return false;
  }
  return true;
}

void no_such_user(Request& r, const std::string& name, std::string_view re) {
  r.error(ErrorCode::no_such_user, "'" + name + "' no está conectado", re);
}

// Ends the session: out of the registry (the returned event says how) and out of this worker.
msg::Presence end_session(Request& r, msg::PresenceEvent why) {
  const auto p = r.shared.registry.remove(*r.session, why);
  r.local.erase(r.session->rid);
  return p;
}

}  // namespace

void join(Request& r, msg::Hello& m) {
  if (auto problem = msg::name_problem(m.name); !problem.empty()) {
    r.error(ErrorCode::name_invalid, problem, "hello");
    return;
  }
  auto s = std::make_shared<Session>(std::string(r.rid), m.name, std::string(r.ip), r.worker, r.now);
  msg::Presence joined;
  if (auto err = r.shared.registry.join(s, joined)) {
    const bool taken = *err == Registry::JoinError::taken;
    if (taken) {
      r.error(ErrorCode::name_taken, "el nombre '" + m.name + "' ya está en uso", "hello");
    } else {
      r.error(ErrorCode::server_full, "el servidor está lleno; inténtalo más tarde", "hello");
    }
    spdlog::info("{} ({}) rechazado: {}", m.name, r.ip, taken ? "nombre en uso" : "lleno");
    return;
  }
  r.local.emplace(s->rid, s);
  spdlog::info("{} ({}) se unió", s->name, s->ip);
  r.reply(welcome(r.shared, s->name));
  r.publish(joined);
}

void refuse_not_joined(Request& r, const msg::Message& m) {
  r.error(ErrorCode::not_joined, "primero hay que unirse con 'hello'", msg::type_name(m));
}

void welcome_observer(Request& r, msg::Watch&) { r.reply(welcome(r.shared, "")); }

void users(Request& r, msg::Who&) { r.reply(r.shared.registry.snapshot(r.now)); }

void beat(Request& r, msg::Sync&) { r.out.beat(); }

void refuse_unknown_type(Request& r, const msg::Message& m) {
  const auto type = msg::type_name(m);
  r.error(ErrorCode::unknown_type, "el servidor no acepta mensajes '" + std::string(type) + "'", type);
}

void refuse_second_hello(Request& r, msg::Hello&) {
  r.error(ErrorCode::already_joined, "esta conexión ya es " + r.session->name, "hello");
}

void user_info(Request& r, msg::Info& m) {
  const auto s = r.shared.registry.find(m.name);
  if (!s) return no_such_user(r, m.name, "info");
  r.reply(msg::UserInfo{s->name, s->ip, s->status.load(), seconds_between(s->connected_at, r.now),
                        seconds_between(s->activity(), r.now)});
}

void set_status(Request& r, msg::SetStatus& m) {
  r.presence.choose(*r.session, m.status);
  r.reply(msg::Ok{"set_status"});
}

void broadcast(Request& r, msg::Say& m) {
  if (!text_ok(r, m.text, "say")) return;
  const auto seq = r.shared.chat_seq.fetch_add(1, std::memory_order_relaxed) + 1;
  r.out.publish(Stream::chat, seq, msg::Chat{seq, r.session->name, std::move(m.text), wall_ms()});
}

void whisper(Request& r, msg::Whisper& m) {
  if (!text_ok(r, m.text, "whisper")) return;
  const auto target = r.shared.registry.find(m.to);
  if (!target) return no_such_user(r, m.to, "whisper");
  r.out.reply(target->rid, msg::Private{r.session->name, std::move(m.text), wall_ms()});
}

void pong(Request& r, msg::Ping&) { r.reply(msg::Pong{}); }

void leave(Request& r, msg::Bye&) {
  const auto p = end_session(r, msg::PresenceEvent::leave);
  spdlog::info("{} ({}) salió", r.session->name, r.session->ip);
  r.reply(msg::Ok{"bye"});
  r.publish(p);
}

void lose(Request& r) {
  const auto p = end_session(r, msg::PresenceEvent::lost);
  spdlog::info("{} ({}) perdido: sin noticias en {} ms", r.session->name, r.session->ip, r.shared.cfg.expiry_ms);
  r.publish(p);
}

}  // namespace charla::broker::handle
