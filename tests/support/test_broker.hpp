// A real broker in this process: bound to 127.0.0.1 on ephemeral ports,
// running on its own thread until the object is destroyed.
#pragma once

#include <charla/broker/broker.hpp>
#include <charla/broker/config.hpp>

#include <cstdint>
#include <exception>
#include <thread>

namespace charla::test {

// Short liveness timings (heartbeat 100 ms, expiry 600 ms, longer under a
// sanitizer) so that presence tests take about a second, not a minute; 4 workers. Idleness stays at 60 s
// so that no one goes INACTIVO by surprise: the idle tests set 1 s themselves.
broker::Config fast_config();

class TestBroker {
 public:
  explicit TestBroker(broker::Config cfg = fast_config());
  ~TestBroker();
  TestBroker(const TestBroker&) = delete;
  TestBroker& operator=(const TestBroker&) = delete;

  std::uint16_t port() const noexcept { return broker_.port(); }
  std::uint16_t pub_port() const noexcept { return broker_.pub_port(); }
  const broker::Config& config() const noexcept { return cfg_; }

  // request_stop() and wait for run() to return; rethrows what run() threw.
  void stop();

 private:
  broker::Config cfg_;
  broker::Broker broker_;
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace charla::test
