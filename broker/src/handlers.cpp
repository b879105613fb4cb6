#include "handlers.hpp"

#include <charla/msg/names.hpp>
#include <charla/version.hpp>

#include <spdlog/spdlog.h>

namespace charla::broker {
namespace {

using msg::ErrorCode;

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

// A command (not a ping or sync) counts as activity: it ends idleness.
void note_activity(Request& r) {
  Session& s = *r.session;
  s.touch(r.now);
  if (!s.idle_set) return;
  s.idle_set = false;
  if (auto p = r.shared.registry.set_status(s, msg::Status::activo, msg::Cause::activity)) {
    spdlog::info("{} ({}) activo de nuevo", s.name, s.ip);
    r.publish(*p);
  }
}

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

void on_hello(Request& r, msg::Hello& m) {
  if (auto problem = msg::name_problem(m.name); !problem.empty()) {
    r.error(ErrorCode::name_invalid, problem, "hello");
    return;
  }
  auto s = std::make_shared<Session>(std::string(r.rid), m.name, std::string(r.ip), r.worker, r.now);
  msg::Presence joined;
  if (auto err = r.shared.registry.join(s, joined)) {
    if (*err == Registry::JoinError::taken) {
      r.error(ErrorCode::name_taken, "el nombre '" + m.name + "' ya está en uso", "hello");
    } else {
      r.error(ErrorCode::server_full, "el servidor está lleno; inténtalo más tarde", "hello");
    }
    spdlog::info("{} ({}) rechazado: {}", m.name, r.ip, *err == Registry::JoinError::taken ? "nombre en uso" : "lleno");
    return;
  }
  r.local.emplace(s->rid, s);
  spdlog::info("{} ({}) se unió", s->name, s->ip);
  r.out.reply(r.rid, welcome(r.shared, s->name), r.id);
  r.publish(joined);
}

void on_say(Request& r, msg::Say& m) {
  if (!text_ok(r, m.text, "say")) return;
  const auto seq = r.shared.chat_seq.fetch_add(1, std::memory_order_relaxed) + 1;
  r.out.publish(Stream::chat, seq, msg::Chat{seq, r.session->name, std::move(m.text), wall_ms()});
}

void on_whisper(Request& r, msg::Whisper& m) {
  if (!text_ok(r, m.text, "whisper")) return;
  const auto target = r.shared.registry.find(m.to);
  if (!target) {
    r.error(ErrorCode::no_such_user, "'" + m.to + "' no está conectado", "whisper");
    return;
  }
  r.out.reply(target->rid, msg::Private{r.session->name, std::move(m.text), wall_ms()});
}

void on_who(Request& r, msg::Who&) { r.out.reply(r.rid, r.shared.registry.snapshot(r.now), r.id); }

void on_info(Request& r, msg::Info& m) {
  const auto s = r.shared.registry.find(m.name);
  if (!s) {
    r.error(ErrorCode::no_such_user, "'" + m.name + "' no está conectado", "info");
    return;
  }
  r.out.reply(r.rid,
              msg::UserInfo{s->name, s->ip, s->status.load(), seconds_between(s->connected_at, r.now),
                            seconds_between(s->activity(), r.now)},
              r.id);
}

void on_set_status(Request& r, msg::SetStatus& m) {
  Session& s = *r.session;
  s.idle_set = false;  // a chosen status is never the idle one
  if (auto p = r.shared.registry.set_status(s, m.status, msg::Cause::user)) {
    spdlog::info("{} ({}) estado {}", s.name, s.ip, msg::to_string(m.status));
    r.publish(*p);
  }
  r.out.reply(r.rid, msg::Ok{"set_status"}, r.id);
}

void on_bye(Request& r, msg::Bye&) {
  const auto p = r.shared.registry.remove(*r.session, msg::PresenceEvent::leave);
  spdlog::info("{} ({}) salió", r.session->name, r.session->ip);
  r.local.erase(std::string(r.rid));
  r.out.reply(r.rid, msg::Ok{"bye"}, r.id);
  r.publish(p);
}

// What the user did (as opposed to what the client does by itself).
bool is_user_action(const msg::Message& m) {
  return std::holds_alternative<msg::Say>(m) || std::holds_alternative<msg::Whisper>(m) ||
         std::holds_alternative<msg::Who>(m) || std::holds_alternative<msg::Info>(m);
}

}  // namespace

void Request::error(ErrorCode code, std::string text, std::string_view re) const {
  out.reply(rid, msg::Error{code, std::move(text), std::string(re)}, id);
}

void Request::publish(const msg::Presence& p) const { out.publish(Stream::presence, p.seq, p); }

void dispatch(Request& r, msg::Message& m) {
  const auto type = msg::type_name(m);
  if (r.session) {
    r.session->last_heard = r.now;
    if (is_user_action(m)) note_activity(r);
    if (std::holds_alternative<msg::SetStatus>(m)) r.session->touch(r.now);
  }
  const bool joined = r.session != nullptr;
  auto needs_session = [&](auto& handler, auto& x) {
    if (!joined) return r.error(ErrorCode::not_joined, "primero hay que unirse con 'hello'", type);
    handler(r, x);
  };
  std::visit(overloaded{
                 [&](msg::Hello& x) {
                   if (joined) return r.error(ErrorCode::already_joined, "esta conexión ya es " + r.session->name, type);
                   on_hello(r, x);
                 },
                 [&](msg::Who& x) { on_who(r, x); },
                 [&](msg::Sync&) { r.out.beat(); },
                 [&](msg::Watch&) { r.out.reply(r.rid, welcome(r.shared, ""), r.id); },
                 [&](msg::Say& x) { needs_session(on_say, x); },
                 [&](msg::Whisper& x) { needs_session(on_whisper, x); },
                 [&](msg::Info& x) { needs_session(on_info, x); },
                 [&](msg::SetStatus& x) { needs_session(on_set_status, x); },
                 [&](msg::Ping&) {
                   if (!joined) return r.error(ErrorCode::not_joined, "primero hay que unirse con 'hello'", type);
                   r.out.reply(r.rid, msg::Pong{}, r.id);
                 },
                 [&](msg::Bye& x) { needs_session(on_bye, x); },
                 [&](auto&) {
                   r.error(ErrorCode::unknown_type, "el servidor no acepta mensajes '" + std::string(type) + "'", type);
                 },
             },
             m);
}

void expire_and_idle(Shared& shared, Outbox& out, LocalSessions& local, Clock::time_point now) {
  const auto expiry = std::chrono::milliseconds(shared.cfg.expiry_ms);
  const auto idle = std::chrono::seconds(shared.cfg.idle_timeout_s);
  for (auto it = local.begin(); it != local.end();) {
    Session& s = *it->second;
    if (now - s.last_heard > expiry) {
      const auto p = shared.registry.remove(s, msg::PresenceEvent::lost);
      spdlog::info("{} ({}) perdido: sin noticias en {} ms", s.name, s.ip, shared.cfg.expiry_ms);
      out.publish(Stream::presence, p.seq, p);
      it = local.erase(it);
      continue;
    }
    if (shared.cfg.idle_timeout_s > 0 && s.status.load() == msg::Status::activo && now - s.activity() > idle) {
      if (auto p = shared.registry.set_status(s, msg::Status::inactivo, msg::Cause::idle)) {
        s.idle_set = true;
        spdlog::info("{} ({}) inactivo tras {} s", s.name, s.ip, shared.cfg.idle_timeout_s);
        out.publish(Stream::presence, p->seq, *p);
      }
    }
    ++it;
  }
}

}  // namespace charla::broker
