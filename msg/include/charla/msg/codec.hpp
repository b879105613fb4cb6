// Encoding and validating decoding of charla messages (msgpack maps).
// Errors are values: decode never throws and never lets malformed input through.
#pragma once

#include <charla/msg/protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <zmq.hpp>

namespace charla::msg {

struct Decoded {
  Message msg;
  std::uint64_t id = 0;  // the request id ("id"), 0 when absent
};

struct DecodeError {
  ErrorCode code = ErrorCode::bad_frame;
  std::string detail;  // one sentence for a log line or an error reply
};

// A value, or the protocol error that prevented it: errors are values at the
// protocol boundary, never exceptions.
template <class T>
class Result {
 public:
  Result(T v) : v_(std::move(v)) {}            // NOLINT: implicit by design
  Result(DecodeError e) : v_(std::move(e)) {}  // NOLINT
  explicit operator bool() const noexcept { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const DecodeError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, DecodeError> v_;
};

using DecodeResult = Result<Decoded>;
using PublishedResult = Result<std::vector<Message>>;  // every message of one PUB frame, in order

// Decodes one frame, checking in this order (docs/protocol.md 3.4): the msgpack
// parse within the limits, one map and nothing after it, "v", "t", "id", then
// every field of the type in the order of its table.
DecodeResult decode(const void* data, std::size_t size) noexcept;
inline DecodeResult decode(std::string_view bytes) noexcept { return decode(bytes.data(), bytes.size()); }

// Decodes one PUB frame: a known topic, then one or more bodies back to back,
// each checked as decode() checks a frame and each of a type published under
// that topic (docs/protocol.md 2.2). On an error none of its messages may be used.
PublishedResult decode_published(const void* data, std::size_t size) noexcept;

// Encodes into a ZeroMQ message without an extra copy. id 0 means "no id".
zmq::message_t encode(const Message& m, std::uint64_t id = 0);
std::string encode_to_string(const Message& m, std::uint64_t id = 0);

// Encodes a chat, presence, beat or shutdown as a PUB frame of its own:
// topic_of(m), then the body. Encoded once, whatever the subscribers; the broker
// may append the bodies of further messages under the same topic.
zmq::message_t encode_published(const Message& m);

}  // namespace charla::msg
