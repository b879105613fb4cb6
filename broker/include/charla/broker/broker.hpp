// A whole broker: binds the sockets, runs the I/O thread and the workers.
// Used by charla-broker's main and, in-process, by the tests.
#pragma once

#include <charla/broker/config.hpp>

#include <cstdint>
#include <memory>

namespace charla::broker {

class Broker {
 public:
  // Binds both sockets; throws std::runtime_error with one readable sentence.
  explicit Broker(Config cfg);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  std::uint16_t port() const noexcept;
  std::uint16_t pub_port() const noexcept;

  // Runs until request_stop(); then tells clients, stops the workers, returns.
  void run();
  // Safe from any thread and from a signal handler.
  void request_stop() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace charla::broker
