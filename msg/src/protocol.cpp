#include <charla/msg/protocol.hpp>

#include <array>
#include <utility>

namespace charla::msg {
namespace {

template <class E, std::size_t N>
std::optional<E> lookup(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) noexcept {
  for (const auto& [value, name] : table) {
    if (name == s) return value;
  }
  return std::nullopt;
}

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E e) noexcept {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "?";
}

constexpr std::array<std::pair<Status, std::string_view>, 3> kStatuses{{
    {Status::activo, "ACTIVO"},
    {Status::ocupado, "OCUPADO"},
    {Status::inactivo, "INACTIVO"},
}};

constexpr std::array<std::pair<ErrorCode, std::string_view>, 22> kErrorCodes{{
    {ErrorCode::bad_frame, "bad_frame"},
    {ErrorCode::bad_version, "bad_version"},
    {ErrorCode::unknown_type, "unknown_type"},
    {ErrorCode::bad_field, "bad_field"},
    {ErrorCode::bad_utf8, "bad_utf8"},
    {ErrorCode::too_long, "too_long"},
    {ErrorCode::name_invalid, "name_invalid"},
    {ErrorCode::name_taken, "name_taken"},
    {ErrorCode::not_joined, "not_joined"},
    {ErrorCode::already_joined, "already_joined"},
    {ErrorCode::no_such_user, "no_such_user"},
    {ErrorCode::rate_limited, "rate_limited"},
    {ErrorCode::server_full, "server_full"},
    {ErrorCode::internal, "internal"},
    {ErrorCode::queue_full, "queue_full"},
    {ErrorCode::undelivered, "undelivered"},
    {ErrorCode::forbidden, "forbidden"},
    {ErrorCode::name_owned, "name_owned"},
    {ErrorCode::mailbox_full, "mailbox_full"},
    {ErrorCode::not_stored, "not_stored"},
    {ErrorCode::busy, "busy"},
    {ErrorCode::unknown, "unknown"},
}};

constexpr std::array<std::pair<PresenceEvent, std::string_view>, 5> kEvents{{
    {PresenceEvent::join, "join"},
    {PresenceEvent::leave, "leave"},
    {PresenceEvent::lost, "lost"},
    {PresenceEvent::status, "status"},
    {PresenceEvent::resume, "resume"},
}};

constexpr std::array<std::pair<Cause, std::string_view>, 4> kCauses{{
    {Cause::none, ""},
    {Cause::user, "user"},
    {Cause::idle, "idle"},
    {Cause::activity, "activity"},
}};

constexpr std::array<std::string_view, std::variant_size_v<Message>> kTypeNames{
    "hello", "say", "whisper", "who", "info", "set_status", "ping", "sync", "bye", "watch", "got",  //
    "history", "search",                                                                     //
    "welcome", "users", "user", "private", "ok", "pong", "error", "ack",                    //
    "chats", "held", "delivered",                                                            //
    "chat", "presence", "beat", "shutdown"};

}  // namespace

std::string_view to_string(Status s) noexcept { return name_of(kStatuses, s); }
std::optional<Status> status_from_wire(std::string_view s) noexcept { return lookup(kStatuses, s); }
std::string_view to_string(ErrorCode c) noexcept { return name_of(kErrorCodes, c); }
std::optional<ErrorCode> error_code_from_wire(std::string_view s) noexcept { return lookup(kErrorCodes, s); }
std::string_view to_string(PresenceEvent e) noexcept { return name_of(kEvents, e); }
std::string_view to_string(Cause c) noexcept { return name_of(kCauses, c); }

std::optional<PresenceEvent> presence_event_from_wire(std::string_view s) noexcept { return lookup(kEvents, s); }
std::optional<Cause> cause_from_wire(std::string_view s) noexcept { return lookup(kCauses, s); }

std::string_view topic_of(const Message& m) noexcept {
  if (std::holds_alternative<Chat>(m)) return kTopicChat;
  if (std::holds_alternative<Presence>(m)) return kTopicPresence;
  if (std::holds_alternative<Beat>(m) || std::holds_alternative<Shutdown>(m)) return kTopicSys;
  return {};
}

bool is_request(const Message& m) noexcept { return m.index() <= variant_index<Search>; }

std::string_view type_name(const Message& m) noexcept { return kTypeNames[m.index()]; }

std::string_view type_name_at(std::size_t index) noexcept { return kTypeNames[index]; }

}  // namespace charla::msg
