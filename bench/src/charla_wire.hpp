// Reading charla frames on the bench's hot paths (chat, private, presence, and
// the ack, error and private of docs/protocol.md 2.6 on a DEALER) without
// building a msg::Message: msgpack's own SAX parser (msgpack::parse with a
// visitor) picks out the few top-level fields the bench needs, with no
// allocation. Everything else (welcome) goes through msg::decode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <zmq.hpp>

namespace charla::bench {

struct WireView {
  bool ok = false;  // one well-formed msgpack map
  std::string_view type, text, from, user, event, code;
  std::uint64_t seq = 0, n = 0, dseq = 0, origin = 0;
};

WireView read_wire(const void* data, std::size_t size) noexcept;
// One map starting at `off`, which it moves past the map (for frames holding several).
WireView read_wire_at(const void* data, std::size_t size, std::size_t& off) noexcept;
inline WireView read_wire(const zmq::message_t& m) noexcept { return read_wire(m.data(), m.size()); }

// Every body of one PUB frame (the topic's bytes, then one or more bodies), to
// on_body(const WireView&); false if the frame is not under `topic` or a body is unreadable.
template <class OnBody>
bool read_published(const zmq::message_t& m, std::string_view topic, OnBody&& on_body) {
  const auto frame = m.to_string_view();
  if (m.more() || frame.size() <= topic.size() || frame.substr(0, topic.size()) != topic) return false;
  std::size_t off = topic.size();
  while (off < frame.size()) {
    const auto w = read_wire_at(frame.data(), frame.size(), off);
    if (!w.ok) return false;
    on_body(w);
  }
  return true;
}

}  // namespace charla::bench
