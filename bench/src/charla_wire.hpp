// Reading charla frames on the bench's hot paths (chat, private, presence)
// without building a msg::Message: msgpack's own SAX parser (msgpack::parse
// with a visitor) picks out the few top-level fields the bench needs, with no
// allocation. Everything else (welcome, errors) goes through msg::decode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <zmq.hpp>

namespace charla::bench {

struct WireView {
  bool ok = false;  // one well-formed msgpack map
  std::string_view type, text, from, user, event;
  std::uint64_t seq = 0;
};

WireView read_wire(const void* data, std::size_t size) noexcept;
inline WireView read_wire(const zmq::message_t& m) noexcept { return read_wire(m.data(), m.size()); }

// One PUB frame: the topic's bytes, then the body. Not ok unless it is under `topic`.
inline WireView read_published(const zmq::message_t& m, std::string_view topic) noexcept {
  const auto frame = m.to_string_view();
  if (m.more() || frame.substr(0, topic.size()) != topic) return {};
  return read_wire(frame.data() + topic.size(), frame.size() - topic.size());
}

}  // namespace charla::bench
