// Text helpers: UTF-8 validation and making received text safe to print.
#pragma once

#include <string>
#include <string_view>

namespace charla::msg {

bool valid_utf8(std::string_view s) noexcept;

// Returns s with every control character (C0, DEL, C1, including ESC) and every
// invalid UTF-8 byte replaced by a visible stand-in, so that received text can
// never move the cursor, change colours or retitle a terminal. Tabs become spaces.
std::string printable(std::string_view s);

}  // namespace charla::msg
