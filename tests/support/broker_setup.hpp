// What most integration tests start from: a running broker and a ZeroMQ
// context for its clients. Declare clients after it: they close first.
#pragma once

#include "support/test_broker.hpp"
#include "support/test_client.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include <zmq.hpp>

namespace charla::test {

struct BrokerSetup {
  explicit BrokerSetup(broker::Config cfg = fast_config()) : broker(std::move(cfg)) {}

  // A client with a session, subscribed to chat, presence and sys.
  TestClient join(const std::string& name) { return TestClient::join(ctx, broker, name); }
  // A monitor: no session, subscribed to presence and sys.
  TestClient watch() { return TestClient::watch(ctx, broker); }
  // A bare connection: no hello, no SUB.
  TestClient connect() { return TestClient(ctx, broker.port()); }

  TestBroker broker;
  zmq::context_t ctx;
};

// Wall-clock milliseconds since the Unix epoch, as the broker stamps "ts".
inline std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace charla::test
