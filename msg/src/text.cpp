#include <charla/msg/text.hpp>

#include <utf8.h>

#include <cstdio>

namespace charla::msg {

bool valid_utf8(std::string_view s) noexcept { return utf8::is_valid(s.begin(), s.end()); }

namespace {

bool is_control(std::uint32_t cp) noexcept { return cp < 0x20 || (cp >= 0x7f && cp < 0xa0); }

// Invisible format characters (Unicode category Cf, and the line and paragraph
// separators): bidirectional overrides and isolates that reorder what follows
// them (U+202E makes "txt.exe" read "exe.txt"), zero-width characters that hide
// or join, and separators that break a line where nothing shows one.
bool is_invisible_format(std::uint32_t cp) noexcept {
  return cp == 0x00AD || cp == 0x061C || cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x206F) ||
         cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB);
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto it = s.begin();
  while (it != s.end()) {
    const auto start = it;
    std::uint32_t cp = 0;
    if (utf8::internal::validate_next(it, s.end(), cp) != utf8::internal::UTF8_OK) {
      out += "\xEF\xBF\xBD";  // U+FFFD for an invalid byte
      it = start + 1;
      continue;
    }
    if (cp == '\t') {
      out += ' ';
    } else if (is_invisible_format(cp)) {
      char code[16];
      std::snprintf(code, sizeof code, "<U+%04X>", static_cast<unsigned>(cp));
      out += code;
    } else if (is_control(cp)) {
      // Control Pictures block (U+2400..) for C0, "·" for DEL and C1.
      if (cp < 0x20) {
        utf8::append(static_cast<char32_t>(0x2400 + cp), std::back_inserter(out));
      } else {
        out += "\xC2\xB7";
      }
    } else {
      out.append(start, it);
    }
  }
  return out;
}

}  // namespace charla::msg
