#include "machine.hpp"

#include "handlers.hpp"

#include <array>

namespace charla::broker {
namespace {

using msg::variant_index;

// The events: every message type, and the expiry of the session.
constexpr std::size_t kMessageTypes = std::variant_size_v<msg::Message>;
constexpr std::size_t kExpired = kMessageTypes;
constexpr std::size_t kEvents = kMessageTypes + 1;
constexpr std::size_t kStates = 2;

using Action = void (*)(Request&, msg::Message*);

// An action for message type T: handler(r, the message as a T).
template <class T, void (*handler)(Request&, T&)>
void on(Request& r, msg::Message* m) {
  handler(r, std::get<T>(*m));
}
// An action for an event that is not a message.
template <void (*handler)(Request&)>
void on_event(Request& r, msg::Message*) {
  handler(r);
}

struct Row {
  State state;
  std::size_t event;
  Action action;
};

// The machine. Reads like the table of docs/protocol.md section 6.
constexpr Row kMachine[] = {
    // start: no session.
    {State::start, variant_index<msg::Hello>, on<msg::Hello, handle::join>},  // -> joined, or an error
    {State::start, variant_index<msg::Watch>, on<msg::Watch, handle::welcome_observer>},
    {State::start, variant_index<msg::Who>, on<msg::Who, handle::users>},
    {State::start, variant_index<msg::Sync>, on<msg::Sync, handle::beat>},
    {State::start, variant_index<msg::History>, on<msg::History, handle::history>},
    {State::start, variant_index<msg::Search>, on<msg::Search, handle::search>},

    // joined: a session with a name.
    {State::joined, variant_index<msg::Hello>, on<msg::Hello, handle::refuse_second_hello>},
    {State::joined, variant_index<msg::Watch>, on<msg::Watch, handle::welcome_observer>},
    {State::joined, variant_index<msg::Who>, on<msg::Who, handle::users>},
    {State::joined, variant_index<msg::Sync>, on<msg::Sync, handle::beat>},
    {State::joined, variant_index<msg::History>, on<msg::History, handle::history>},
    {State::joined, variant_index<msg::Search>, on<msg::Search, handle::search>},
    {State::joined, variant_index<msg::Info>, on<msg::Info, handle::user_info>},
    {State::joined, variant_index<msg::SetStatus>, on<msg::SetStatus, handle::set_status>},
    {State::joined, variant_index<msg::Say>, on<msg::Say, handle::broadcast>},
    {State::joined, variant_index<msg::Whisper>, on<msg::Whisper, handle::whisper>},
    {State::joined, variant_index<msg::Ping>, on<msg::Ping, handle::pong>},
    {State::joined, variant_index<msg::Got>, on<msg::Got, handle::confirm>},
    {State::joined, variant_index<msg::Bye>, on<msg::Bye, handle::leave>},  // -> start
    {State::joined, kExpired, on_event<handle::lose>},                      // -> start
};

// The catch-all (malamute's "*"): whatever a state does not list.
void unexpected(Request& r, msg::Message* m) {
  if (m == nullptr) return;  // an event that is not a message, where it means nothing
  if (msg::is_request(*m)) {
    handle::refuse_not_joined(r, *m);
  } else {
    handle::refuse_unknown_type(r, *m);
  }
}

using Table = std::array<std::array<Action, kEvents>, kStates>;

constexpr Table build() {
  Table t{};
  for (auto& state : t) state.fill(unexpected);
  for (const auto& row : kMachine) t[static_cast<std::size_t>(row.state)][row.event] = row.action;
  return t;
}

constexpr Table kTable = build();

}  // namespace

void dispatch(Request& r, msg::Message& m) {
  if (r.session) r.presence.request(*r.session, m, r.now);
  kTable[static_cast<std::size_t>(r.state())][m.index()](r, &m);
}

void expire(Request& r) { kTable[static_cast<std::size_t>(r.state())][kExpired](r, nullptr); }

}  // namespace charla::broker
