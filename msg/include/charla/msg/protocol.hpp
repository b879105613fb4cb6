// charla protocol, version 3: the message types as plain values.
// docs/protocol.md is the specification; this header mirrors it one to one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace charla::msg {

inline constexpr std::uint32_t kProtocolVersion = 3;

// PUB topics. A published message is one frame: the topic's bytes, then the
// msgpack map (no topic is a prefix of another, and a map never starts with a letter).
inline constexpr std::string_view kTopicChat = "chat";
inline constexpr std::string_view kTopicPresence = "presence";
inline constexpr std::string_view kTopicSys = "sys";

// Hard bounds of the codec; the broker may configure tighter ones.
inline constexpr std::size_t kMaxStringBytes = 65536;
inline constexpr std::size_t kMaxUsers = 100000;

// Frames the broker queues for each subscriber before its PUB socket drops for
// that subscriber (--pub-hwm); a client's SUB keeps as many. A frame is one
// published message, or a burst of them under one topic up to kMaxPublishedFrame.
inline constexpr int kPubQueueFrames = 20000;
inline constexpr std::size_t kMaxPublishedFrame = 32768;

enum class Status : std::uint8_t { activo, ocupado, inactivo };
std::string_view to_string(Status s) noexcept;
std::optional<Status> status_from_wire(std::string_view s) noexcept;

enum class ErrorCode : std::uint8_t {
  bad_frame,       // not one msgpack map, or wrong number of frames
  bad_version,     // "v" missing or not the broker's version
  unknown_type,    // "t" names no message this peer accepts
  bad_field,       // a field is missing, has the wrong type or an unknown value
  bad_utf8,        // a string is not valid UTF-8
  too_long,        // a text or frame is over the limit
  name_invalid,    // the name breaks the name rules
  name_taken,      // someone online already has that name (case-insensitive)
  not_joined,      // the command needs a session: send hello first
  already_joined,  // hello on a connection that already has a session
  no_such_user,    // the named user is not online
  rate_limited,    // too many messages: slow down
  server_full,     // the broker holds its maximum number of sessions
  internal,        // the broker failed; the request may be retried
  queue_full,      // the target's queue of private messages is full: not delivered
  undelivered,     // a private message accepted earlier was never confirmed by its target
  forbidden,       // this connection may not do that (e.g. give an address without being a gateway)
  name_owned,      // the name belongs to another key (names owned with CURVE)
  mailbox_full,    // the offline user's waiting private messages are at their bound
  not_stored,      // the broker could not write it to its file (disk full, file gone): not published, not kept
  busy,            // too many questions wait, or this one took too long: try again in a moment
  unknown,         // decoded only: a code newer than this version (never sent)
};
std::string_view to_string(ErrorCode c) noexcept;
std::optional<ErrorCode> error_code_from_wire(std::string_view s) noexcept;

enum class PresenceEvent : std::uint8_t { join, leave, lost, status, resume };
std::string_view to_string(PresenceEvent e) noexcept;
std::optional<PresenceEvent> presence_event_from_wire(std::string_view s) noexcept;

// Why a status changed: the user chose it, idleness set it, activity restored it.
enum class Cause : std::uint8_t { none, user, idle, activity };
std::string_view to_string(Cause c) noexcept;
std::optional<Cause> cause_from_wire(std::string_view s) noexcept;

// ---- client -> broker (DEALER -> ROUTER) ----
struct Hello {
  std::string name;
  std::string resume{};      // a token from an earlier welcome: take that session over ("" = none)
  std::uint64_t origin = 0;  // this client's random number, the same across its reconnections (0 = none)
  std::string ip{};          // a trusted gateway's word for its user's own address ("" = the connection's)
};
// n: the sender's number for this message (1, 2, 3, ... per origin), 0 = not numbered.
struct Say { std::string text; std::uint64_t n = 0; };
struct Whisper { std::string to; std::string text; std::uint64_t n = 0; };
struct Who {};
struct Info { std::string name; };
struct SetStatus { Status status = Status::activo; };
struct Ping {};
struct Sync {};
struct Bye {};
struct Watch {};  // an observer (the monitor) asks for the welcome without joining
struct Got { std::uint64_t dseq = 0; };  // every private message up to dseq has arrived
// Broadcasts kept by the broker: the newest `limit` before `before` (0: the newest
// of all, or, for a user whose name is owned, what they missed since they left).
struct History { std::uint64_t before = 0; std::uint64_t limit = 0; };
struct Search { std::string text; std::uint64_t limit = 0; };  // kept broadcasts holding these words

// ---- broker -> client (ROUTER -> DEALER) ----
struct Welcome {
  std::string name;
  std::uint16_t pub_port = 0;
  std::uint32_t heartbeat_ms = 0;
  std::uint32_t expiry_ms = 0;
  std::uint32_t idle_timeout_s = 0;
  std::uint64_t instance = 0;
  std::string server;
  std::uint32_t max_text = 0;  // bytes of UTF-8 the broker takes in a say or whisper (0: not said)
  std::string resume{};         // the token that takes this session over after a reconnection ("" for watch)
  bool resumed = false;         // this hello took an existing session over
  std::uint64_t origin = 0;     // the origin the broker stamps on this client's numbered messages (0: none)
  // With CURVE, whether the name is now this key's (docs/protocol.md 2.7); absent
  // without CURVE, for watch, and from brokers that do not say.
  std::optional<bool> owned{};
};
struct UserEntry {
  std::string name;
  Status status = Status::activo;
  std::string ip;
  std::uint64_t since = 0;  // connected at, ms since the Unix epoch
  std::uint64_t idle_s = 0;
};
struct Users {
  std::uint64_t pseq = 0;  // the presence sequence number this list reflects
  std::vector<UserEntry> users;
};
struct UserInfo {
  std::string name;
  std::string ip;
  Status status = Status::activo;
  std::uint64_t connected_s = 0;
  std::uint64_t idle_s = 0;
};
struct Private {
  std::string from;
  std::string text;
  std::uint64_t ts = 0;
  std::uint64_t dseq = 0;    // delivery number for this session: confirm with got
  std::uint64_t origin = 0;  // the sender's origin and number, when it numbered the message
  std::uint64_t n = 0;
  bool stored = false;       // it waited for this user to come back (ts: when it was sent)
};
struct Ok { std::string re; };
struct Pong {};
struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string text;
  std::string re;
  std::uint64_t n = 0;  // the number of the message it is about, when that was numbered
};
struct Ack { std::uint64_t n = 0; };  // every numbered message up to n has been handled
struct Kept {  // one broadcast the broker keeps (history)
  std::uint64_t hid = 0;  // its number in the history: grows for ever, across restarts
  std::string from;
  std::string text;
  std::uint64_t ts = 0;
  std::uint64_t origin = 0, n = 0;  // as in its chat, when the sender numbered it
};
struct Chats {  // reply to history and search, oldest first
  std::vector<Kept> messages;
  bool more = false;  // older ones (history) or further matches (search) exist
};
struct Held { std::string to; std::uint64_t n = 0; };       // a private message waits for `to` to come back
struct Delivered { std::string to; std::uint64_t n = 0; };  // `to` has confirmed a private message that waited

// ---- broker -> everyone (PUB -> SUB) ----
struct Chat {
  std::uint64_t seq = 0;
  std::string from;
  std::string text;
  std::uint64_t ts = 0;
  std::uint64_t origin = 0;  // the sender's origin and number, when it numbered the message
  std::uint64_t n = 0;
};
struct Presence {
  std::uint64_t seq = 0;
  PresenceEvent event = PresenceEvent::join;
  std::string user;
  Status status = Status::activo;
  std::string ip;
  std::uint64_t ts = 0;
  Cause cause = Cause::none;
};
struct Beat { std::uint64_t pseq = 0; std::uint64_t cseq = 0; std::uint64_t instance = 0; };
struct Shutdown { std::string text; };

using Message = std::variant<Hello, Say, Whisper, Who, Info, SetStatus, Ping, Sync, Bye, Watch, Got,  //
                             History, Search,                                                   //
                             Welcome, Users, UserInfo, Private, Ok, Pong, Error, Ack,           //
                             Chats, Held, Delivered,                                            //
                             Chat, Presence, Beat, Shutdown>;

// The position of type T in Message: a number for tables indexed by message type.
template <class T, std::size_t I = 0>
constexpr std::size_t variant_index_of() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, Message>, T>) {
    return I;
  } else {
    return variant_index_of<T, I + 1>();
  }
}
template <class T>
inline constexpr std::size_t variant_index = variant_index_of<T>();

// A type that clients send (hello … search); the others only the broker sends.
bool is_request(const Message& m) noexcept;

// The PUB topic a message is published under; empty for types that are never published.
std::string_view topic_of(const Message& m) noexcept;

// The wire name ("t") of a message type.
std::string_view type_name(const Message& m) noexcept;
std::string_view type_name_at(std::size_t variant_index) noexcept;

}  // namespace charla::msg
