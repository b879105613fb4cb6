#include "origin.hpp"

#include <array>
#include <cstring>

#include <openssl/sha.h>

namespace charla::broker {

std::uint64_t public_origin(std::uint64_t origin) noexcept {
  if (origin == 0) return 0;
  // SHA-256 of a label and the origin's 8 bytes (little-endian), first 8 bytes of the digest.
  constexpr char kLabel[] = "charla origin v1";
  std::array<unsigned char, sizeof kLabel - 1 + 8> in{};
  std::memcpy(in.data(), kLabel, sizeof kLabel - 1);
  for (int i = 0; i < 8; ++i) in[sizeof kLabel - 1 + i] = static_cast<unsigned char>(origin >> (8 * i));
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(in.data(), in.size(), digest.data());
  std::uint64_t out = 0;
  for (int i = 0; i < 8; ++i) out |= std::uint64_t{digest[i]} << (8 * i);
  return out == 0 ? 1 : out;
}

}  // namespace charla::broker
