// What waits to be written to one browser, bounded in bytes (Beast's chat-multi
// queue is unbounded; a gateway's must not be). A message that would take the
// queue past its bound is dropped and counted; once the browser has read enough
// that the queue is down to half, the count goes out first as one "missed"
// notice, as the console says how many broadcasts it missed. So a browser that
// stops reading costs the gateway at most the bound, and others never wait for it.
#pragma once

#include "wire.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>

namespace charla::web {

class SendQueue {
 public:
  explicit SendQueue(std::size_t max_bytes) : max_(max_bytes) {}

  // Queues m, or drops it (false) when it would go over the bound.
  bool push(Encoded m);
  // The message being written (the front), if any.
  bool empty() const noexcept { return q_.empty(); }
  const Encoded& front() const { return q_.front(); }
  // The front has been written. True when a "missed" notice was queued meanwhile
  // (the browser should also be given the state it may have missed).
  bool pop();

  std::size_t bytes() const noexcept { return bytes_; }
  std::uint64_t missed() const noexcept { return missed_; }  // dropped and not yet told
  std::uint64_t dropped_total() const noexcept { return dropped_total_; }

 private:
  bool catch_up();  // queues the missed notice once there is room

  const std::size_t max_;
  std::deque<Encoded> q_;
  std::size_t bytes_ = 0;
  std::uint64_t missed_ = 0, dropped_total_ = 0;
};

}  // namespace charla::web
