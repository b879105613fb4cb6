// State shared by all broker threads.
#pragma once

#include <charla/broker/config.hpp>
#include "names.hpp"
#include "registry.hpp"

#include <charla/msg/keys.hpp>

#include <atomic>
#include <set>
#include <string>
#include <cstdint>

namespace charla::broker {

struct Shared {
  Shared(const Config& c, std::uint64_t instance_)
      : cfg(c),
        instance(instance_),
        registry(c.max_sessions),
        names(std::uint64_t{c.name_ttl_days} * 24 * 3600 * 1000),
        gateways(to_z85(c.gateway_keys)) {}

  const Config cfg;              // with the ports actually bound
  const std::uint64_t instance;  // random per broker start; clients see a restart by it
  Registry registry;
  NameBook names;  // names owned by a key (loaded from the store at start)
  std::atomic<std::uint64_t> chat_seq{0};
  std::atomic<std::size_t> questions{0};  // history and search waiting for the reader, or being answered
  const std::set<std::string> gateways;  // trusted gateways' public keys, in Z85 like a connection's key

 private:
  static std::set<std::string> to_z85(const std::set<std::string>& binary) {
    std::set<std::string> out;
    for (const auto& k : binary) out.insert(msg::binary_to_z85(k));
    return out;
  }
};

}  // namespace charla::broker
