// Received text made safe to print: no control character and no invalid byte
// reaches the terminal; ordinary text passes unchanged.
#include <charla/msg/text.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>

namespace msg = charla::msg;

namespace {

// True if s holds no C0 (tab aside, which printable turns into a space), DEL or C1 character.
bool free_of_controls(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(s[i + 1]) < 0xa0) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("ordinary Spanish text is printed unchanged", "[text]") {
  for (const std::string s : {"", "hola", "¿Qué tal, Begoña? ¡Olé!", "Ñandú, pingüino, acción — «comillas»",
                              "emoji 😀 y chino 中文", "a.b-c_d (1+2=3) #$%&*"}) {
    INFO(s);
    CHECK(msg::printable(s) == s);
  }
}

TEST_CASE("control characters are replaced by visible stand-ins", "[text]") {
  CHECK(msg::printable("\x1b") == "\xe2\x90\x9b");             // ESC -> U+241B
  CHECK(msg::printable("a\x07z") == "a\xe2\x90\x87z");         // BEL -> U+2407
  CHECK(msg::printable("a\rz") == "a\xe2\x90\x8dz");           // CR  -> U+240D
  CHECK(msg::printable("a\nz") == "a\xe2\x90\x8az");           // LF  -> U+240A
  CHECK(msg::printable(std::string("a\0z", 3)) == "a\xe2\x90\x80z");  // NUL -> U+2400
  CHECK(msg::printable("a\x7fz") == "a\xc2\xb7z");             // DEL -> ·
  CHECK(msg::printable("a\xc2\x9bz") == "a\xc2\xb7z");         // U+009B (CSI) -> ·
  CHECK(msg::printable("a\xc2\x85z") == "a\xc2\xb7z");         // U+0085 (NEL) -> ·
  CHECK(msg::printable("a\tz") == "a z");
}

TEST_CASE("invalid UTF-8 bytes are replaced one by one", "[text]") {
  const std::string fffd = "\xef\xbf\xbd";
  CHECK(msg::printable("a\xffz") == "a" + fffd + "z");
  CHECK(msg::printable("a\x9bz") == "a" + fffd + "z");  // a lone C1 byte, not UTF-8
  CHECK(msg::printable("\xc0\xaf") == fffd + fffd);      // overlong '/'
  CHECK(msg::printable("ni\xc3") == "ni" + fffd);        // cut sequence
  CHECK(msg::printable("\xed\xa0\x80") == fffd + fffd + fffd);  // surrogate
}

TEST_CASE("escape sequences cannot reach the terminal", "[text]") {
  for (const std::string s : {"\x1b[31mrojo\x1b[0m", "\x1b]0;título\x07", "\x1b[2J\x1b[H", "\xc2\x9b" "31m",
                              "\x1b" "c", "\x9b" "2J"}) {
    INFO(s);
    const auto out = msg::printable(s);
    CHECK(free_of_controls(out));
    CHECK(msg::valid_utf8(out));
  }
}

TEST_CASE("any byte string comes out as valid UTF-8 free of controls", "[text]") {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    const auto out = msg::printable(s);
    if (!msg::valid_utf8(out) || !free_of_controls(out)) FAIL_CHECK("input " << i << " was not made safe");
  }
}

TEST_CASE("UTF-8 validation accepts what is valid and nothing else", "[text]") {
  CHECK(msg::valid_utf8(""));
  CHECK(msg::valid_utf8("Begoña 😀 \xf4\x8f\xbf\xbf"));  // up to U+10FFFF
  CHECK_FALSE(msg::valid_utf8("\xff"));
  CHECK_FALSE(msg::valid_utf8("\xc0\xaf"));          // overlong
  CHECK_FALSE(msg::valid_utf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(msg::valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(msg::valid_utf8("a\xc3"));             // cut
}

TEST_CASE("bidirectional and invisible format characters are made visible", "[text]") {
  CHECK(msg::printable("gpj.\xe2\x80\xae" "exe") == "gpj.<U+202E>exe");     // RIGHT-TO-LEFT OVERRIDE
  CHECK(msg::printable("a\xe2\x80\xa8" "z") == "a<U+2028>z");               // LINE SEPARATOR
  CHECK(msg::printable("a\xe2\x80\x8d" "z") == "a<U+200D>z");               // ZERO WIDTH JOINER
  CHECK(msg::printable("a\xe2\x80\x8b" "z") == "a<U+200B>z");               // ZERO WIDTH SPACE
  CHECK(msg::printable("\xe2\x81\xa6" "x\xe2\x81\xa9") == "<U+2066>x<U+2069>");  // isolates
  CHECK(msg::printable("\xef\xbb\xbfhola") == "<U+FEFF>hola");             // BOM
  CHECK(msg::printable("a\xc2\xad" "z") == "a<U+00AD>z");                    // SOFT HYPHEN
  // Visible letters of right-to-left scripts are left alone.
  CHECK(msg::printable("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d") == "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d");  // שלום
}
