// Text helpers: UTF-8 validation and making received text safe to print.
#pragma once

#include <string>
#include <string_view>

namespace charla::msg {

bool valid_utf8(std::string_view s) noexcept;

// Returns s with every control character (C0, DEL, C1, including ESC), every
// invisible format character (bidirectional controls such as U+202E, zero-width
// spaces and joiners, U+2028/U+2029) and every invalid UTF-8 byte replaced by a
// visible stand-in (a control picture, "·", "<U+202E>", U+FFFD), so that received
// text can never move the cursor, change colours, retitle a terminal, or show
// itself in another order than it was written. Tabs become spaces.
std::string printable(std::string_view s);

}  // namespace charla::msg
