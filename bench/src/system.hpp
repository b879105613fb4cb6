// What every system under test offers the workloads: the clients of one
// fan-out row and the two clients of the direct (ping-pong) workload. A System
// owns its server process (if it has one) for as long as it lives.
#pragma once

#include "payload.hpp"
#include "procs.hpp"
#include "stats.hpp"

#include <memory>
#include <string>

namespace charla::bench {

// N subscribers (confirmed subscribed, receiving into a Tally from their own
// threads) and one publisher. Destroying it stops the receivers and disconnects.
class FanoutClients {
 public:
  virtual ~FanoutClients() = default;
  // Sends one payload to every subscriber; blocks while the transport pushes back.
  virtual void publish(const Payload& p) = 0;
  // Pushes out anything the publisher still buffers.
  virtual void flush(Clock::time_point deadline) { (void)deadline; }
  // Anything worth a note in the report (errors seen by the clients).
  virtual std::string note() const { return {}; }
  // KiB of a gateway's memory per subscriber joined through it; -1: no gateway.
  virtual double kib_per_session() const { return -1; }
};

// Client A and client B, which echoes whatever A sends it.
class DirectClients {
 public:
  virtual ~DirectClients() = default;
  // A sends p to B and waits for it back; false if it is not back by the deadline.
  virtual bool round_trip(const Payload& p, Clock::time_point deadline) = 0;
  // After the last round trip: takes what the clients are still owed (acknowledgements).
  virtual void flush(Clock::time_point deadline) { (void)deadline; }
  // Anything worth a note in the report (errors seen by the clients).
  virtual std::string note() const { return {}; }
};

struct ClientConfig {
  int threads = 2;     // receiving threads of a fan-out row
  int io_threads = 1;  // libzmq I/O threads of the bench's own ZeroMQ context
};

class System {
 public:
  virtual ~System() = default;
  virtual std::string name() const = 0;
  virtual pid_t server_pid() const { return -1; }  // -1: no server, or not ours
  // False for a reference that only relays private messages: it has no F or Fp rows.
  virtual bool has_fanout() const { return true; }
  // False for a system that sheds a flood by design (a gateway's bounded queues): it has no F rows.
  virtual bool has_full_rate() const { return true; }
  // False for a variant that changes nothing on the private path: it has no D rows.
  virtual bool has_direct() const { return true; }
  // `paced`: the publisher will send at a set rate, so it should favour latency over batching.
  virtual std::unique_ptr<FanoutClients> fanout(int subscribers, bool paced, Tally& tally,
                                                Clock::time_point deadline) = 0;
  virtual std::unique_ptr<DirectClients> direct(Clock::time_point deadline) = 0;
};

// Returns true when payload b carries the same index as a.
inline bool same_index(std::string_view a, std::string_view b) noexcept {
  return a.size() >= 10 && b.size() >= 10 && a.substr(0, 10) == b.substr(0, 10);
}

}  // namespace charla::bench
