// How Catch2 prints charla's enums in failure messages: by their wire names.
#pragma once

#include "support/silence.hpp"

#include <charla/msg/protocol.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace Catch {

template <>
struct StringMaker<charla::msg::ErrorCode> {
  static std::string convert(charla::msg::ErrorCode v) { return std::string(charla::msg::to_string(v)); }
};
template <>
struct StringMaker<charla::msg::Status> {
  static std::string convert(charla::msg::Status v) { return std::string(charla::msg::to_string(v)); }
};
template <>
struct StringMaker<charla::msg::PresenceEvent> {
  static std::string convert(charla::msg::PresenceEvent v) { return std::string(charla::msg::to_string(v)); }
};
template <>
struct StringMaker<charla::msg::Cause> {
  static std::string convert(charla::msg::Cause v) {
    return v == charla::msg::Cause::none ? std::string("(none)") : std::string(charla::msg::to_string(v));
  }
};

template <>
struct StringMaker<charla::test::Silence> {
  static std::string convert(const charla::test::Silence& s) {
    return s ? std::string("nothing arrived") : "broken by: " + s.broken_by;
  }
};

}  // namespace Catch
