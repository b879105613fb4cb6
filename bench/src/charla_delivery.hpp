// What a bench client does so that its messages count (docs/protocol.md 2.6),
// with the client library's own bookkeeping (charla::client::Delivery) driven
// as client/src/connection.cpp drives it: says and whispers numbered and kept
// until acknowledged (at most Delivery::kMaxUnacked at once), acks and errors
// read off the DEALER, private messages confirmed with got after 16 of them or
// 200 ms, and before bye.
#pragma once

#include "charla_session.hpp"
#include "charla_wire.hpp"

#include <charla/msg/protocol.hpp>

#include <span>
#include <string>

namespace charla::bench {

// Gives a member that bookkeeping, before it joins. `numbered`: it numbers its
// says and whispers, and sends a random origin in hello.
void keep_deliveries(Member& m, bool numbered);

// Numbers a say or whisper if the member numbers them. While the client's
// window of unacknowledged messages is full, reads acks until there is room
// (private messages that arrive meanwhile are noted, not handed on); at the
// deadline it leaves the message unnumbered.
void number(Member& m, msg::Message& out, Clock::time_point deadline);

// What the client library takes from one frame of the member's DEALER: an ack
// lets go of what it covers; an error is counted (a refusal of a numbered
// message as such too); a private message is noted for got. True for a private
// message seen for the first time, which is the caller's to handle.
bool take(Member& m, const WireView& w);

// Takes whatever waits on the member's DEALER, then sends got if one is due.
void take_waiting(Member& m, Clock::time_point now);

// Sends got when one is due: 16 private messages unconfirmed, 200 ms since the
// first, or `now_please` (before bye).
void confirm_due(Member& m, Clock::time_point now, bool now_please = false);

// Waits until every numbered message of the members is acknowledged or refused,
// or the deadline. The members' DEALERs must be this thread's.
void await_acks(std::span<Member> members, Clock::time_point deadline);

// What went wrong for a row's clients, for its note; and how often a client's
// window of unacknowledged messages held it back.
class DeliveryReport {
 public:
  void add(std::span<const Member> members);
  std::string note() const;  // empty when nothing did

 private:
  std::uint64_t errors_ = 0, refused_ = 0, unacked_ = 0, window_full_ = 0;
  std::string last_code_;
};

}  // namespace charla::bench
