#include "charla_wire.hpp"

#include <msgpack.hpp>

#include <array>
#include <utility>

namespace charla::bench {
namespace {

// The top-level fields the bench reads, by key.
template <class T, std::size_t N>
using Fields = std::array<std::pair<std::string_view, T WireView::*>, N>;
constexpr Fields<std::string_view, 6> kStrings{{{"t", &WireView::type},
                                                {"text", &WireView::text},
                                                {"from", &WireView::from},
                                                {"user", &WireView::user},
                                                {"event", &WireView::event},
                                                {"code", &WireView::code}}};
constexpr Fields<std::uint64_t, 4> kNumbers{
    {{"seq", &WireView::seq}, {"n", &WireView::n}, {"dseq", &WireView::dseq}, {"origin", &WireView::origin}}};

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
    } else {
      pick(kStrings, s);
    }
    return true;
  }
  bool visit_positive_integer(std::uint64_t v) {
    if (depth_ == 1 && !in_key_) pick(kNumbers, v);
    return true;
  }
  void parse_error(std::size_t, std::size_t) { failed_ = true; }
  void insufficient_bytes(std::size_t, std::size_t) { failed_ = true; }

  bool good() const noexcept { return top_map_ && !failed_; }

 private:
  // The value of the field whose key was just read, if the bench reads it.
  template <class Table, class T>
  void pick(const Table& fields, T value) {
    for (const auto& [key, field] : fields) {
      if (key_ == key) {
        out_.*field = value;
        return;
      }
    }
  }

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
