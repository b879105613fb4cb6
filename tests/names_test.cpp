// Name rules (docs/protocol.md, "Names"): letters (ASCII and Latin-1), digits,
// '_', '-', '.'; starting with a letter or digit; 1 to 24 characters; unique
// without regard to case.
#include <charla/msg/names.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace msg = charla::msg;

TEST_CASE("names of letters digits and a little punctuation are valid", "[names]") {
  for (const std::string name : {"ana", "José", "Begoña", "user_1", "a.b-c", "1ana", "Ñandú", "ÿ", "ZOË",
                                 "abcdefghijklmnopqrstuvwx",            // 24 characters
                                 "ññññññññññññññññññññññññ"}) {          // 24 characters, 48 bytes
    INFO(name);
    CHECK(msg::valid_name(name));
    CHECK(msg::name_problem(name).empty());
  }
}

TEST_CASE("names that break a rule are invalid and say why", "[names]") {
  for (const auto& name : {
           std::string(""),
           std::string("abcdefghijklmnopqrstuvwxy"),  // 25 characters
           std::string("ñññññññññññññññññññññññññ"),  // 25 characters
           std::string("_ana"), std::string("-ana"), std::string(".ana"),
           std::string("ana maría"), std::string(" ana"), std::string("ana "),
           std::string("ana@casa"), std::string("ana/1"), std::string("a×b"), std::string("a÷b"),
           std::string("ana\x01"), std::string("ana\t"), std::string("ana\x7f"), std::string("ana\x1b[31m"),
           std::string("ana\0b", 5),
           std::string("ana\xc2\xa0"),        // no-break space
           std::string("ana\xc2\x9b"),        // C1 control
           std::string("ana😀"),
           std::string("ana\xe2\x80\xae"),    // right-to-left override
           std::string("Ana\xcc\x81"),        // combining accent
           std::string("jos\xe9"),            // Latin-1 byte, not UTF-8
           std::string("\xff"),
           std::string("\xc0\xa1na"),         // overlong encoding
       }) {
    INFO("name '" << name << "' (" << name.size() << " bytes)");
    CHECK_FALSE(msg::valid_name(name));
    CHECK_FALSE(msg::name_problem(name).empty());
  }
}

TEST_CASE("names are the same name whatever their case", "[names]") {
  CHECK(msg::fold_name("ANA") == msg::fold_name("ana"));
  CHECK(msg::fold_name("Ana") == msg::fold_name("aNA"));
  CHECK(msg::fold_name("JOSÉ") == msg::fold_name("josé"));
  CHECK(msg::fold_name("BEGOÑA") == msg::fold_name("begoña"));
  CHECK(msg::fold_name("ÀÉÎÕÜÇÆØÞ") == msg::fold_name("àéîõüçæøþ"));
  CHECK(msg::fold_name("User_1.X-Y") == "user_1.x-y");
  CHECK(msg::fold_name("JOSÉ") == "josé");
}

TEST_CASE("names that differ in more than case stay different", "[names]") {
  CHECK(msg::fold_name("jose") != msg::fold_name("josé"));
  CHECK(msg::fold_name("ana") != msg::fold_name("ana1"));
  CHECK(msg::fold_name("a.b") != msg::fold_name("a-b"));
  CHECK(msg::fold_name("ß") != msg::fold_name("ss"));
}
