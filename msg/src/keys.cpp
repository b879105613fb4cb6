#include <charla/msg/keys.hpp>

#include <zmq.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace charla::msg {
namespace fs = std::filesystem;

bool valid_z85_key(std::string_view s) noexcept {
  if (s.size() != 40) return false;
  std::uint8_t out[32];
  const std::string z(s);
  return zmq_z85_decode(out, z.c_str()) != nullptr;
}

KeyPair generate_keypair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) {
    throw std::runtime_error("esta libzmq no admite CURVE (falta libsodium)");
  }
  return {pub, sec};
}

std::string public_from_secret(const std::string& secret_z85) {
  char pub[41];
  if (!valid_z85_key(secret_z85) || zmq_curve_public(pub, secret_z85.c_str()) != 0) {
    throw std::runtime_error("la clave secreta no es una clave CURVE válida");
  }
  return pub;
}

std::string binary_to_z85(const std::string& key) {
  if (key.size() != 32) throw std::runtime_error("una clave CURVE tiene 32 bytes");
  char out[41];
  zmq_z85_encode(out, reinterpret_cast<const std::uint8_t*>(key.data()), 32);
  return out;
}

std::string z85_to_binary(const std::string& z85) {
  std::string out(32, '\0');
  if (!valid_z85_key(z85)) throw std::runtime_error("clave CURVE no válida");
  zmq_z85_decode(reinterpret_cast<std::uint8_t*>(out.data()), z85.c_str());
  return out;
}

std::string read_key_file(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("no se puede leer el fichero de clave " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string key;
  ss >> key;  // the first word; blanks and newline around it do not matter
  if (!valid_z85_key(key)) {
    throw std::runtime_error(file.string() + " no contiene una clave CURVE (40 caracteres Z85)");
  }
  return key;
}

std::string key_from_argument(const std::string& arg) {
  if (valid_z85_key(arg)) return arg;
  std::error_code ec;
  if (!fs::exists(arg, ec)) {
    throw std::runtime_error("'" + arg + "' no es una clave CURVE (40 caracteres Z85) ni un fichero que la contenga");
  }
  return read_key_file(arg);
}

namespace {
void write_file(const fs::path& file, const std::string& text, mode_t mode, bool exclusive) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
  const int fd = ::open(file.c_str(), flags, mode);
  if (fd < 0) throw std::runtime_error("no se puede escribir " + file.string() + ": " + std::strerror(errno));
  ::fchmod(fd, mode);
  const std::string line = text + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) throw std::runtime_error("no se pudo escribir " + file.string());
}
}  // namespace

void write_keypair(const KeyPair& keys, const fs::path& secret_file, const fs::path& public_file, bool force) {
  std::error_code ec;
  if (!force && fs::exists(secret_file, ec)) {
    throw std::runtime_error(secret_file.string() + " ya existe; no la sobrescribo (usa --force para reemplazarla)");
  }
  if (force) fs::remove(secret_file, ec);
  write_file(secret_file, keys.secret_z85, 0600, true);
  write_file(public_file, keys.public_z85, 0644, false);
}

KeyPair load_or_create_keypair(const fs::path& dir, const std::string& stem) {
  const auto secret = dir / (stem + ".key");
  std::error_code ec;
  if (fs::exists(secret, ec)) {
    const auto s = read_key_file(secret);
    return {public_from_secret(s), s};
  }
  fs::create_directories(dir, ec);
  ::chmod(dir.c_str(), 0700);
  auto keys = generate_keypair();
  write_keypair(keys, secret, dir / (stem + ".pub"), false);
  return keys;
}

}  // namespace charla::msg
