// CURVE keys (ZeroMQ RFC 26) as charla keeps them: Z85 text, 40 characters,
// one key per file, the secret readable by its owner only.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace charla::msg {

struct KeyPair {
  std::string public_z85;
  std::string secret_z85;
};

bool valid_z85_key(std::string_view s) noexcept;

KeyPair generate_keypair();
std::string public_from_secret(const std::string& secret_z85);
std::string z85_to_binary(const std::string& z85);  // 32 bytes
std::string binary_to_z85(const std::string& key);  // 32 bytes to 40 characters

// Reads one key from a file (surrounding blanks ignored). Throws std::runtime_error
// with one readable sentence when the file is missing or holds no key.
std::string read_key_file(const std::filesystem::path& file);

// A key given on the command line: the key itself, or a file that holds it.
std::string key_from_argument(const std::string& arg);

// Writes a new key pair: the secret with mode 0600, the public key 0644.
// Refuses to replace an existing secret unless `force`.
void write_keypair(const KeyPair& keys, const std::filesystem::path& secret_file,
                   const std::filesystem::path& public_file, bool force);

// Reads the pair kept in `dir` (client.key, client.pub), making it first if missing.
KeyPair load_or_create_keypair(const std::filesystem::path& dir, const std::string& stem);

}  // namespace charla::msg
