// charla-keygen: makes a CURVE key pair for the broker or a client.
#include <charla/msg/keys.hpp>
#include <charla/version.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  std::string secret = "charla.key", pub;
  bool force = false, show = false;
  CLI::App app{"charla-keygen: crea un par de claves CURVE (Z85) para charla-broker o un cliente.\n"
               "La secreta se guarda con permisos 0600 y no debe salir de su máquina; la pública\n"
               "(que también se imprime) es la que se comparte: --server-key en los clientes, o un\n"
               "fichero en el directorio --allow-keys del servidor."};
  app.set_version_flag("--version", std::string("charla-keygen ") + charla::kVersionString);
  app.add_option("-s,--secret", secret, "Fichero de la clave secreta")->capture_default_str();
  app.add_option("-p,--public", pub, "Fichero de la clave pública (por defecto: el de la secreta con .pub)");
  app.add_flag("-f,--force", force, "Reemplaza una clave secreta que ya exista");
  app.add_flag("--show-public", show, "No crea nada: imprime la clave pública de la secreta dada");
  CLI11_PARSE(app, argc, argv);
  try {
    if (show) {
      std::cout << charla::msg::public_from_secret(charla::msg::read_key_file(secret)) << "\n";
      return 0;
    }
    if (pub.empty()) {
      const auto dot = secret.rfind('.');
      pub = (dot == std::string::npos || secret.find('/', dot) != std::string::npos ? secret : secret.substr(0, dot)) + ".pub";
    }
    const auto keys = charla::msg::generate_keypair();
    charla::msg::write_keypair(keys, secret, pub, force);
    std::cout << keys.public_z85 << "\n";
    std::cerr << "charla-keygen: clave secreta en " << secret << " (0600), pública en " << pub << "\n";
  } catch (const std::exception& e) {
    std::cerr << "charla-keygen: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
