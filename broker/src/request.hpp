// One event on one connection, and everything the actions of the state
// machine (machine.cpp, handlers.cpp) may use to handle it.
#pragma once

#include "acks.hpp"
#include "keeper.hpp"
#include "link.hpp"
#include "log_limit.hpp"
#include "presence.hpp"
#include "rate_limit.hpp"
#include "reader.hpp"
#include "registry.hpp"
#include "shared.hpp"

#include <charla/msg/protocol.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace charla::broker {

enum class State : std::uint8_t {
  start,   // no session: a new connection, or one whose session ended (bye, expiry)
  joined,  // hello succeeded: the connection has a session with a name
};

struct Request {
  Shared& shared;
  Outbox& out;
  Presence& presence;
  PendingAcks& acks;
  KeeperQueue& keeper;  // the store thread (broadcasts, owned names, waiting private messages)
  ReaderQueue& reader;  // the reader (history, search)
  const Words& words;      // what counts as a word in a search
  LogLimiter& log;
  LocalSessions& local;  // the sessions of this worker, by routing id
  std::size_t worker;
  Clock::time_point now;
  std::string_view rid;
  std::string_view ip;
  std::uint64_t id = 0;              // request id to echo, 0 if none
  std::shared_ptr<Session> session;  // null in state start
  std::string_view key{};            // the connection's CURVE public key (Z85), empty without CURVE
  bool from_gateway = false;         // the connection is a trusted gateway's (--gateway-keys)

  State state() const noexcept { return session ? State::joined : State::start; }
  // Whether a log line of `kind` about this connection may be written now.
  bool may_log(LogLimiter::Kind kind) const { return log.allow(rid, kind, who(), now); }
  std::string who() const {  // "ana (192.0.2.10)", or "? (192.0.2.10)" before hello
    return (session ? session->name : std::string("?")) + " (" + std::string(ip) + ")";
  }
  void reply(const msg::Message& m) const { out.reply(rid, m, id); }
  void error(msg::ErrorCode code, std::string text, std::string_view re) const {
    out.reply(rid, msg::Error{code, std::move(text), std::string(re)}, id);
  }
  void publish(const msg::Presence& p) const { out.publish(Stream::presence, p.seq, p); }
};

}  // namespace charla::broker
