// One message of every type, and comparing messages field by field (the
// protocol's structs have no operator==).
#pragma once

#include <charla/msg/protocol.hpp>

#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

namespace charla::test {

// One message of every type, in the order of the Message variant, with no
// field left at its default value (a field that decode dropped would show).
inline std::vector<msg::Message> samples() {
  return {
      msg::Hello{"Begoña", "0123456789abcdef0123456789abcdef", 77, "2001:db8::7"},
      msg::Say{"¡hola! ¿qué tal?", 3},
      msg::Whisper{"José", "en privado", 4},
      msg::Who{},
      msg::Info{"ana"},
      msg::SetStatus{msg::Status::ocupado},
      msg::Ping{},
      msg::Sync{},
      msg::Bye{},
      msg::Watch{},
      msg::Got{41},
      msg::History{123, 20},
      msg::Search{"ñandú", 10},
      msg::Welcome{"ana", 65535, 1000, 5000, 60, 0xDEADBEEFCAFEF00Dull, "charla-broker 0.1.0", 4096,
                   "0123456789abcdef0123456789abcdef", true},
      msg::Users{42,
                 {{"ana", msg::Status::activo, "127.0.0.1", 1764000000000ull, 3},
                  {"Begoña", msg::Status::ocupado, "10.0.0.2", 1, 3600},
                  {"José", msg::Status::inactivo, "::1", std::numeric_limits<std::uint64_t>::max(), 7}}},
      msg::UserInfo{"José", "192.168.1.20", msg::Status::ocupado, 3600, 120},
      msg::Private{"ana", "¿vienes? 😀", 1764000000123ull, 5, 0xFEEDull, 6, true},
      msg::Ok{"set_status"},
      msg::Pong{},
      msg::Error{msg::ErrorCode::queue_full, "'ana' tiene demasiados mensajes privados sin leer", "whisper", 9},
      msg::Ack{12},
      msg::Chats{{{7, "ana", "hola", 1764000000456ull}, {9, "José", "adiós", 1764000000999ull}}, true},
      msg::Held{"bea", 14},
      msg::Delivered{"bea", 14},
      msg::Chat{7, "ana", "hola a todos", 1764000000456ull, 0xFEEDull, 13},
      msg::Presence{9, msg::PresenceEvent::status, "ana", msg::Status::inactivo, "127.0.0.1", 1764000000789ull,
                    msg::Cause::idle},
      msg::Beat{9, 7, 0xDEADBEEFCAFEF00Dull},
      msg::Shutdown{"el servidor se está cerrando"},
  };
}

namespace detail {

// The fields of each type as a tuple, so that two messages compare field by field.
inline auto fields(const msg::Hello& x) { return std::tie(x.name, x.resume, x.origin, x.ip); }
inline auto fields(const msg::Say& x) { return std::tie(x.text, x.n); }
inline auto fields(const msg::Whisper& x) { return std::tie(x.to, x.text, x.n); }
inline auto fields(const msg::Got& x) { return std::tie(x.dseq); }
inline auto fields(const msg::History& x) { return std::tie(x.before, x.limit); }
inline auto fields(const msg::Search& x) { return std::tie(x.text, x.limit); }
inline auto fields(const msg::Kept& x) { return std::make_tuple(x.hid, x.from, x.text, x.ts); }
inline auto fields(const msg::Chats& x) {
  std::vector<decltype(fields(msg::Kept{}))> kept;
  for (const auto& k : x.messages) kept.push_back(fields(k));
  return std::make_tuple(kept, x.more);
}
inline auto fields(const msg::Held& x) { return std::tie(x.to, x.n); }
inline auto fields(const msg::Delivered& x) { return std::tie(x.to, x.n); }
inline auto fields(const msg::Ack& x) { return std::tie(x.n); }
inline auto fields(const msg::Info& x) { return std::tie(x.name); }
inline auto fields(const msg::SetStatus& x) { return std::tie(x.status); }
inline auto fields(const msg::Welcome& x) {
  return std::tie(x.name, x.pub_port, x.heartbeat_ms, x.expiry_ms, x.idle_timeout_s, x.instance, x.server,
                  x.max_text, x.resume, x.resumed, x.owned);
}
inline auto fields(const msg::UserEntry& x) { return std::make_tuple(x.name, x.status, x.ip, x.since, x.idle_s); }
inline auto fields(const msg::Users& x) {
  std::vector<decltype(fields(msg::UserEntry{}))> users;
  for (const auto& u : x.users) users.push_back(fields(u));
  return std::make_tuple(x.pseq, users);
}
inline auto fields(const msg::UserInfo& x) { return std::tie(x.name, x.ip, x.status, x.connected_s, x.idle_s); }
inline auto fields(const msg::Private& x) { return std::tie(x.from, x.text, x.ts, x.dseq, x.origin, x.n, x.stored); }
inline auto fields(const msg::Ok& x) { return std::tie(x.re); }
inline auto fields(const msg::Error& x) { return std::tie(x.code, x.text, x.re, x.n); }
inline auto fields(const msg::Chat& x) { return std::tie(x.seq, x.from, x.text, x.ts, x.origin, x.n); }
inline auto fields(const msg::Presence& x) { return std::tie(x.seq, x.event, x.user, x.status, x.ip, x.ts, x.cause); }
inline auto fields(const msg::Beat& x) { return std::tie(x.pseq, x.cseq, x.instance); }
inline auto fields(const msg::Shutdown& x) { return std::tie(x.text); }
template <class T>
auto fields(const T&) {  // Who, Ping, Sync, Bye, Watch, Pong: no fields
  return std::tuple<>{};
}

}  // namespace detail

inline bool same(const msg::Message& a, const msg::Message& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        return detail::fields(x) == detail::fields(std::get<T>(b));
      },
      a);
}


}  // namespace charla::test
