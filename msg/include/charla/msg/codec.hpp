// Encoding and validating decoding of charla messages (msgpack maps).
// Errors are values: decode never throws and never lets malformed input through.
#pragma once

#include <charla/msg/protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

class DecodeResult {
 public:
  DecodeResult(Decoded d) : value_(std::move(d)) {}     // NOLINT: implicit by design
  DecodeResult(DecodeError e) : error_(std::move(e)) {}  // NOLINT
  explicit operator bool() const noexcept { return value_.has_value(); }
  Decoded& value() { return *value_; }
  const Decoded& value() const { return *value_; }
  const DecodeError& error() const noexcept { return error_; }

 private:
  std::optional<Decoded> value_;
  DecodeError error_;
};

// Decodes one frame. Checks: one msgpack map, nothing after it, "v" equal to
// kProtocolVersion, a known "t", every field of that type present with its type,
// every string valid UTF-8 and at most kMaxStringBytes.
DecodeResult decode(const void* data, std::size_t size) noexcept;
inline DecodeResult decode(std::string_view bytes) noexcept { return decode(bytes.data(), bytes.size()); }

// Decodes one PUB frame: a known topic, then a body as decode() checks it, whose
// type is published under that topic. The topic is not part of Decoded: it
// follows from the type (topic_of).
DecodeResult decode_published(const void* data, std::size_t size) noexcept;

// Encodes into a ZeroMQ message without an extra copy. id 0 means "no id".
zmq::message_t encode(const Message& m, std::uint64_t id = 0);
std::string encode_to_string(const Message& m, std::uint64_t id = 0);

// Encodes a chat, presence, beat or shutdown as the one frame the PUB socket
// sends: topic_of(m), then the body. Encoded once, whatever the subscribers.
zmq::message_t encode_published(const Message& m);

}  // namespace charla::msg
