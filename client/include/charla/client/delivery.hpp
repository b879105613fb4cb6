// What makes a client's messages count (docs/protocol.md 2.6), apart from the
// link itself: it numbers what the user sends and keeps it until the broker
// acknowledges it, so that it can be sent again after a reconnection; it
// recognises a message it has already received (a sender's resend); and it
// says which private messages have arrived, so that the broker can let go of
// them. Nothing here touches a socket: connection.cpp does.
#pragma once

#include <charla/msg/protocol.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

namespace charla::client {

class Delivery {
 public:
  // Messages the user may have sent and not yet seen acknowledged.
  static constexpr std::size_t kMaxUnacked = 1000;

  struct Outgoing {
    std::uint64_t n;
    msg::Message msg;  // a Say or a Whisper, with its n
  };

  explicit Delivery(std::uint64_t origin) : origin_(origin) {}
  std::uint64_t origin() const noexcept { return origin_; }

  // Numbers a Say or Whisper and keeps it; 0 (and nothing kept) when kMaxUnacked are waiting.
  std::uint64_t number(msg::Message& m);
  // What to send again after a reconnection, oldest first.
  const std::deque<Outgoing>& unacked() const noexcept { return unacked_; }
  // ack n: the messages it confirms, oldest first.
  std::vector<Outgoing> acked(std::uint64_t n);
  // An error about message n: the message, if it was still waiting.
  std::optional<Outgoing> refused(std::uint64_t n);

  // False for a chat or private message already received (the sender sent it again).
  bool fresh(const msg::Chat& c);
  bool fresh(const msg::Private& p);
  // The dseq to confirm with got, when one is due: kGotEvery deliveries, or
  // kGotAfter since the first unconfirmed one, or `now_please` (before bye).
  std::optional<std::uint64_t> got_due(std::chrono::steady_clock::time_point now, bool now_please = false);
  // The broker started a new session for us (not resumed): its dseq count starts again.
  void new_session();

 private:
  static constexpr std::size_t kOrigins = 4096;       // senders remembered for recognising resends
  static constexpr std::size_t kPrivatesPerOrigin = 256;
  static constexpr std::uint64_t kGotEvery = 16;
  static constexpr auto kGotAfter = std::chrono::milliseconds(200);

  const std::uint64_t origin_;
  std::uint64_t next_n_ = 1;
  std::deque<Outgoing> unacked_;

  std::unordered_map<std::uint64_t, std::uint64_t> chat_seen_;                  // origin -> last n
  std::unordered_map<std::uint64_t, std::set<std::uint64_t>> private_seen_;   // origin -> recent n

  std::uint64_t got_ = 0, got_sent_ = 0;  // every dseq up to got_ has arrived; got_sent_ confirmed
  std::set<std::uint64_t> ahead_;         // arrived beyond got_ (out of order after a resume)
  std::optional<std::chrono::steady_clock::time_point> unconfirmed_since_;
};

}  // namespace charla::client
