// State shared by all broker threads.
#pragma once

#include <charla/broker/config.hpp>
#include "mail_book.hpp"
#include "asking.hpp"
#include "names.hpp"
#include "registry.hpp"

#include <charla/msg/keys.hpp>

#include <atomic>
#include <optional>
#include <set>
#include <string>
#include <cstdint>

namespace charla::broker {

struct Shared {
  Shared(const Config& c, std::uint64_t instance_)
      : cfg(c),
        instance(instance_),
        registry(c.max_sessions),
        names(NameBounds{std::uint64_t{c.name_ttl_days} * NameBook::kDayMs,
                         std::uint64_t{c.new_name_ttl_h} * 3600 * 1000, c.max_owned_names, c.names_per_key,
                         c.names_per_address}),
        mail(MailBounds{c.mail_keep, c.mail_per_sender, c.mail_max_bytes}),
        gateways(to_z85(c.gateway_keys)),
        allowed(c.allow_keys ? std::optional(to_z85(*c.allow_keys)) : std::nullopt) {}

  // A key on the allow-list: the bounds on what strangers keep (docs/security.md) are not for it.
  bool known(const std::string& key) const { return allowed && allowed->count(key) != 0; }

  const Config cfg;              // with the ports actually bound
  const std::uint64_t instance;  // random per broker start; clients see a restart by it
  Registry registry;
  NameBook names;  // names owned by a key (loaded from the store at start)
  MailBook mail;   // private messages waiting for an owner (counted from the store at start)
  std::atomic<std::uint64_t> chat_seq{0};
  std::atomic<std::size_t> questions{0};  // history and search waiting for the reader, or being answered
  Asking asking;                          // the same, per connection
  const std::set<std::string> gateways;  // trusted gateways' public keys, in Z85 like a connection's key
  const std::optional<std::set<std::string>> allowed;  // --allow-keys, in Z85; none: every key is a stranger

 private:
  static std::set<std::string> to_z85(const std::set<std::string>& binary) {
    std::set<std::string> out;
    for (const auto& k : binary) out.insert(msg::binary_to_z85(k));
    return out;
  }
};

}  // namespace charla::broker
