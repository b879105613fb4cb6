// One user's session: who it is, where its connection is, its presence, and
// the two records that make its messages count (docs/protocol.md 2.6): the
// numbers of what it sent (so a resend is not handled twice) and the private
// messages waiting for it to confirm them.
#pragma once

#include "clock.hpp"

#include <charla/msg/protocol.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

namespace charla::broker {

// The private messages sent to a session and not yet confirmed by its client
// (got). Several workers put into it; bounded in bytes.
class Mailbox {
 public:
  struct Letter {
    std::uint64_t dseq = 0;
    zmq::message_t frame;  // the encoded private, as sent
    std::string from;      // the sender, to tell if it is never confirmed
    std::uint64_t origin = 0, n = 0;
    std::string text;
    std::uint64_t mail_id = 0;  // it waited in the store (2.7): it stays there until confirmed
  };
  enum class Put { ok, full, closed };

  // Numbers `p` (its dseq), keeps a copy of its encoding and hands the frame to
  // send in `out`. full: over `limit` bytes; closed: the session ended or moved.
  Put put(msg::Private& p, std::size_t limit, zmq::message_t& out, std::uint64_t mail_id = 0);
  // got: everything up to dseq has arrived. Returns the letters that waited in the store.
  std::vector<Letter> confirm(std::uint64_t dseq);
  // Copies of every frame not confirmed, oldest first (to send again).
  std::vector<zmq::message_t> unconfirmed();
  // Ends it: nothing more is put; returns what was never confirmed (but what
  // waited in the store: it waits there still).
  std::vector<Letter> close();
  // Takes over everything `old` holds (a resumed session); closes `old`.
  void take_from(Mailbox& old);

 private:
  std::mutex mu_;
  std::deque<Letter> letters_;
  std::size_t bytes_ = 0;
  std::uint64_t next_ = 1;
  bool closed_ = false;
};

// The numbers of the messages a session sent (say, whisper with n): the highest
// handled, and the errors of the last few, so that a resend after a reconnection
// gets its first answer again instead of being handled twice.
class SentLog {
 public:
  static constexpr std::size_t kErrors = 1024;  // more than a client keeps unacknowledged

  // Whether n was handled already; if it failed, its error is in `error`.
  bool seen(std::uint64_t n, std::optional<msg::Error>& error);
  void handled(std::uint64_t n);
  void failed(std::uint64_t n, const msg::Error& e);
  void take_from(SentLog& old);

 private:
  std::mutex mu_;
  std::uint64_t last_ = 0;
  std::deque<msg::Error> errors_;  // the most recent failures, each with its n
};

struct Session {
  // A new session; token: its resume token.
  Session(std::string rid_, std::string name_, std::string ip_, std::size_t worker_, Clock::time_point now,
          std::string token, std::uint64_t origin_, std::string owner_);
  // `old`, taken over by a new connection: same name, status, since, token; new rid, ip, worker.
  Session(Session& old, std::string rid_, std::string ip_, std::size_t worker_, Clock::time_point now);

  // Fixed for the session's life.
  const std::string rid;   // ZeroMQ routing id of the client's DEALER
  const std::string name;  // as the user wrote it
  const std::string key;   // folded name: unique among sessions
  const std::string ip;
  const std::size_t worker;  // the worker that owns this session
  const Clock::time_point connected_at;
  const std::uint64_t connected_wall_ms;
  const std::string resume_token;
  const std::uint64_t origin;            // the client's own number (hello), 0 if none; never shown to others
  const std::uint64_t published_origin;  // what others see instead (origin.hpp), 0 if none
  const std::string owner;     // the connection's CURVE public key (Z85), "" without CURVE

  // Presence (presence.cpp decides every change to these).
  // Touched only by the owning worker:
  Clock::time_point last_heard;  // liveness: any frame, pings included
  // Read by every worker:
  std::atomic<bool> idle_set{false};                     // INACTIVO was set by idleness, not chosen
  std::atomic<Clock::rep> last_activity;                 // the user's last command (not pings)
  std::atomic<msg::Status> status{msg::Status::activo};  // written under the registry lock
  // Set under the registry lock when the session is removed or taken over: its
  // worker then forgets it without a word.
  std::atomic<bool> ended{false};

  Mailbox mailbox;
  SentLog sent;

  Clock::time_point activity() const noexcept {
    return Clock::time_point(Clock::duration(last_activity.load(std::memory_order_relaxed)));
  }
  void touch(Clock::time_point now) noexcept {
    last_activity.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  }
};

// A new resume token: 128 random bits as 32 hexadecimal digits.
std::string new_resume_token();

}  // namespace charla::broker
