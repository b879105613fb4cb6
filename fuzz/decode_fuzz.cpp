// libFuzzer: the message decoder takes any bytes without crashing, leaking or
// tripping a sanitizer, and what it accepts encodes back to something it accepts.
#include <charla/msg/codec.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = charla::msg::decode(data, size);
  if (!r) return 0;
  const auto again = charla::msg::encode_to_string(r.value().msg, r.value().id);
  auto back = charla::msg::decode(again);
  if (!back || back.value().msg.index() != r.value().msg.index()) std::abort();
  return 0;
}
