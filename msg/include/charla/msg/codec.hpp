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

// What decode_published returns: every message of one PUB frame, in order, or
// the first error (then none of the frame's messages may be used).
class PublishedResult {
 public:
  PublishedResult(std::vector<Message> m) : messages_(std::move(m)) {}  // NOLINT: implicit by design
  PublishedResult(DecodeError e) : error_(std::move(e)), failed_(true) {}  // NOLINT
  explicit operator bool() const noexcept { return !failed_; }
  std::vector<Message>& messages() noexcept { return messages_; }
  const DecodeError& error() const noexcept { return error_; }

 private:
  std::vector<Message> messages_;
  DecodeError error_;
  bool failed_ = false;
};

// Decodes one PUB frame: a known topic, then one or more bodies back to back,
// each checked as decode() checks a frame and each of a type published under
// that topic (docs/protocol.md 2.2).
PublishedResult decode_published(const void* data, std::size_t size) noexcept;

// Encodes into a ZeroMQ message without an extra copy. id 0 means "no id".
zmq::message_t encode(const Message& m, std::uint64_t id = 0);
std::string encode_to_string(const Message& m, std::uint64_t id = 0);

// Encodes a chat, presence, beat or shutdown as a PUB frame of its own:
// topic_of(m), then the body. Encoded once, whatever the subscribers; the broker
// may append the bodies of further messages under the same topic.
zmq::message_t encode_published(const Message& m);

}  // namespace charla::msg
