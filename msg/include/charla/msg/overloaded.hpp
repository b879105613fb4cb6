// The usual helper for std::visit with a set of lambdas.
#pragma once

namespace charla::msg {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace charla::msg
