#include "charla_wire.hpp"

#include <msgpack.hpp>

namespace charla::bench {
namespace {

class Picker : public msgpack::null_visitor {
 public:
  explicit Picker(WireView& out) : out_(out) {}

  bool start_map(std::uint32_t) {
    if (depth_ == 0) top_map_ = true;
    ++depth_;
    return true;
  }
  bool end_map() { return --depth_, true; }
  bool start_array(std::uint32_t) { return ++depth_, true; }
  bool end_array() { return --depth_, true; }
  bool start_map_key() { return in_key_ = true; }
  bool end_map_key() { return in_key_ = false, true; }

  bool visit_str(const char* v, std::uint32_t n) {
    if (depth_ != 1) return true;
    const std::string_view s(v, n);
    if (in_key_) {
      key_ = s;
    } else if (key_ == "t") {
      out_.type = s;
    } else if (key_ == "text") {
      out_.text = s;
    } else if (key_ == "from") {
      out_.from = s;
    } else if (key_ == "user") {
      out_.user = s;
    } else if (key_ == "event") {
      out_.event = s;
    }
    return true;
  }
  bool visit_positive_integer(std::uint64_t v) {
    if (depth_ == 1 && !in_key_ && key_ == "seq") out_.seq = v;
    return true;
  }
  void parse_error(std::size_t, std::size_t) { failed_ = true; }
  void insufficient_bytes(std::size_t, std::size_t) { failed_ = true; }

  bool good() const noexcept { return top_map_ && !failed_; }

 private:
  WireView& out_;
  int depth_ = 0;
  bool in_key_ = false;
  bool top_map_ = false;
  bool failed_ = false;
  std::string_view key_;
};

}  // namespace

WireView read_wire(const void* data, std::size_t size) noexcept {
  std::size_t off = 0;
  auto v = read_wire_at(data, size, off);
  v.ok = v.ok && off == size;
  return v;
}

WireView read_wire_at(const void* data, std::size_t size, std::size_t& off) noexcept {
  WireView v;
  try {
    Picker p(v);
    const bool parsed = msgpack::parse(static_cast<const char*>(data), size, off, p);
    v.ok = parsed && p.good();
  } catch (...) {
    v.ok = false;
  }
  return v;
}

}  // namespace charla::bench
