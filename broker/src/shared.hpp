// State shared by all broker threads.
#pragma once

#include <charla/broker/config.hpp>
#include "registry.hpp"

#include <atomic>
#include <cstdint>

namespace charla::broker {

struct Shared {
  Shared(const Config& c, std::uint64_t instance_) : cfg(c), instance(instance_), registry(c.max_sessions) {}

  const Config cfg;              // with the ports actually bound
  const std::uint64_t instance;  // random per broker start; clients see a restart by it
  Registry registry;
  std::atomic<std::uint64_t> chat_seq{0};
};

}  // namespace charla::broker
