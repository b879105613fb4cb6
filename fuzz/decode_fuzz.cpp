// libFuzzer: the message decoders (one frame of the ROUTER, one of the PUB) take
// any bytes without crashing, leaking or tripping a sanitizer, and what they
// accept encodes back to something they accept.
#include <charla/msg/codec.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace msg = charla::msg;
  if (auto r = msg::decode(data, size)) {
    const auto again = msg::encode_to_string(r.value().msg, r.value().id);
    auto back = msg::decode(again);
    if (!back || back.value().msg.index() != r.value().msg.index()) std::abort();
  }
  if (auto r = msg::decode_published(data, size)) {
    if (r.value().empty()) std::abort();
    for (const auto& m : r.value()) {
      const auto again = msg::encode_published(m);
      auto back = msg::decode_published(again.data(), again.size());
      if (!back || back.value().size() != 1 || back.value()[0].index() != m.index()) std::abort();
    }
  }
  return 0;
}
