// The result of watching for something that must not arrive: true when nothing
// did; otherwise it says what did, and Catch2 prints that in the failure.
#pragma once

#include <string>

namespace charla::test {

struct Silence {
  std::string broken_by;  // empty while nothing arrived
  explicit operator bool() const noexcept { return broken_by.empty(); }
};

}  // namespace charla::test
