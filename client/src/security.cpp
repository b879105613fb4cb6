#include <charla/client/security.hpp>

#include <charla/msg/keys.hpp>

#include <cstdlib>
#include <filesystem>

namespace charla::client {

void add_security_options(CLI::App& app, SecurityArgs& args) {
  app.add_option("--server-key", args.server_key,
                 "Clave pública CURVE del servidor (o un fichero que la contenga): conecta cifrado");
  app.add_option("--client-key", args.client_key,
                 "Fichero con la clave secreta CURVE de este cliente (por defecto, la de ~/.config/charla)");
}

void apply_security(const SecurityArgs& args, Connection::Options& o) {
  if (args.server_key.empty()) {
    if (!args.client_key.empty()) throw std::runtime_error("--client-key solo tiene sentido con --server-key");
    return;
  }
  o.server_key = msg::key_from_argument(args.server_key);
  if (!args.client_key.empty()) {
    o.secret_key = msg::read_key_file(args.client_key);
    o.public_key = msg::public_from_secret(o.secret_key);
    return;
  }
  std::filesystem::path dir;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    dir = std::filesystem::path(xdg) / "charla";
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dir = std::filesystem::path(home) / ".config" / "charla";
  } else {
    throw std::runtime_error("no sé dónde guardar la clave del cliente: define HOME o usa --client-key");
  }
  const auto keys = msg::load_or_create_keypair(dir, "client");
  o.public_key = keys.public_z85;
  o.secret_key = keys.secret_z85;
}

}  // namespace charla::client
