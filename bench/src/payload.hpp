// The test payload every system carries: 128 bytes of ASCII (valid UTF-8, so
// charla takes it as chat text) holding a message index and the send time.
//
//   bytes 0..9    index, 10 decimal digits
//   byte  10      ' '
//   bytes 11..30  send time, steady clock in ns, 20 decimal digits
//   bytes 31..127 ' ' then 'x' filler
//
// Sender and receivers live in the bench process, so one steady clock serves both.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace charla::bench {

inline constexpr std::size_t kPayloadBytes = 128;
using Payload = std::array<char, kPayloadBytes>;

inline std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Stamp {
  std::uint64_t index = 0;
  std::int64_t sent_ns = 0;
};

namespace detail {
inline void put_digits(char* at, std::size_t width, std::uint64_t v) noexcept {
  for (std::size_t i = width; i-- > 0; v /= 10) at[i] = static_cast<char>('0' + v % 10);
}
inline bool get_digits(const char* at, std::size_t width, std::uint64_t& v) noexcept {
  v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = at[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}
}  // namespace detail

inline Payload make_payload(std::uint64_t index, std::int64_t sent_ns) noexcept {
  Payload p;
  p.fill('x');
  detail::put_digits(p.data(), 10, index);
  p[10] = ' ';
  detail::put_digits(p.data() + 11, 20, static_cast<std::uint64_t>(sent_ns));
  p[31] = ' ';
  return p;
}

inline std::optional<Stamp> read_payload(std::string_view s) noexcept {
  if (s.size() != kPayloadBytes || s[10] != ' ') return std::nullopt;
  Stamp st;
  std::uint64_t ts = 0;
  if (!detail::get_digits(s.data(), 10, st.index) || !detail::get_digits(s.data() + 11, 20, ts)) return std::nullopt;
  st.sent_ns = static_cast<std::int64_t>(ts);
  return st;
}

inline std::string_view view(const Payload& p) noexcept { return {p.data(), p.size()}; }

}  // namespace charla::bench
