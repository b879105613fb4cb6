// User name rules, shared by the broker (which enforces them) and the client
// (which checks before connecting). See docs/protocol.md, "Names".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace charla::msg {

inline constexpr std::size_t kMaxNameChars = 24;

// Empty when the name is valid, else one sentence (Spanish) saying what is wrong.
std::string name_problem(std::string_view name);
inline bool valid_name(std::string_view name) { return name_problem(name).empty(); }

// The key under which names are unique: ASCII and Latin-1 letters folded to
// lower case. Only meaningful for valid names.
std::string fold_name(std::string_view name);

}  // namespace charla::msg
