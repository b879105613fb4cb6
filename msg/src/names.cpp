#include <charla/msg/names.hpp>
#include <charla/msg/text.hpp>

#include <utf8.h>

namespace charla::msg {
namespace {

bool ascii_alnum(std::uint32_t c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
// Latin-1 letters: À..ÿ without × (U+00D7) and ÷ (U+00F7).
bool latin1_letter(std::uint32_t c) noexcept { return c >= 0xC0 && c <= 0xFF && c != 0xD7 && c != 0xF7; }
bool punctuation(std::uint32_t c) noexcept { return c == '_' || c == '-' || c == '.'; }

}  // namespace

std::string name_problem(std::string_view name) {
  if (name.empty()) return "el nombre está vacío";
  if (!valid_utf8(name)) return "el nombre no es UTF-8 válido";
  std::size_t chars = 0;
  for (auto it = name.begin(); it != name.end();) {
    const std::uint32_t c = utf8::next(it, name.end());
    if (chars == 0 && !(ascii_alnum(c) || latin1_letter(c))) {
      return "el nombre debe empezar por una letra o un dígito";
    }
    if (!(ascii_alnum(c) || latin1_letter(c) || punctuation(c))) {
      return "el nombre solo admite letras, dígitos, '_', '-' y '.'";
    }
    ++chars;
  }
  if (chars > kMaxNameChars) return "el nombre tiene más de " + std::to_string(kMaxNameChars) + " caracteres";
  return {};
}

std::string fold_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  auto it = name.begin();
  while (it != name.end()) {
    std::uint32_t c = 0;
    if (utf8::internal::validate_next(it, name.end(), c) != utf8::internal::UTF8_OK) {
      ++it;
      continue;
    }
    if (c >= 'A' && c <= 'Z') c += 0x20;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) c += 0x20;
    utf8::append(static_cast<char32_t>(c), std::back_inserter(out));
  }
  return out;
}

}  // namespace charla::msg
