// Writes msgpack by hand, for frames that charla's encoder would never produce:
//   Raw().map(2).str("v").uint(1).str("t").str("ping").bytes()
// (Floats need verbatim(): msgpack-c packs a double that holds an integer as an integer.)
#pragma once

#include <msgpack.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace charla::test {

class Raw {
 public:
  Raw() = default;
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;

  Raw& map(std::uint32_t entries) { return pk_.pack_map(entries), *this; }
  Raw& array(std::uint32_t items) { return pk_.pack_array(items), *this; }
  Raw& str(std::string_view s) {
    pk_.pack_str(static_cast<std::uint32_t>(s.size()));
    pk_.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
    return *this;
  }
  Raw& uint(std::uint64_t v) { return pk_.pack_uint64(v), *this; }
  Raw& sint(std::int64_t v) { return pk_.pack_int64(v), *this; }
  Raw& bin(std::string_view b) {
    pk_.pack_bin(static_cast<std::uint32_t>(b.size()));
    pk_.pack_bin_body(b.data(), static_cast<std::uint32_t>(b.size()));
    return *this;
  }
  Raw& ext(std::int8_t type, std::string_view b) {
    pk_.pack_ext(b.size(), type);
    pk_.pack_ext_body(b.data(), static_cast<std::uint32_t>(b.size()));
    return *this;
  }
  Raw& nil() { return pk_.pack_nil(), *this; }
  Raw& boolean(bool v) { return (v ? pk_.pack_true() : pk_.pack_false()), *this; }
  // Bytes appended as they are, e.g. a header with no body after it.
  Raw& verbatim(std::string_view b) { return buf_.write(b.data(), b.size()), *this; }

  std::string bytes() const { return std::string(buf_.data(), buf_.size()); }

 private:
  msgpack::sbuffer buf_;
  msgpack::packer<msgpack::sbuffer> pk_{buf_};
};

}  // namespace charla::test
