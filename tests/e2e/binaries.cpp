#include "binaries.hpp"

#include <algorithm>
#include <fstream>
#include <stdlib.h>
#include <stdexcept>

namespace charla::test {

BrokerProcess::BrokerProcess(std::vector<std::string> extra, int port, int pub_port, std::vector<std::string> wrapper) {
  std::vector<std::string> argv = std::move(wrapper);
  argv.insert(argv.end(), {kBrokerBin, "--bind", "127.0.0.1", "--port", std::to_string(port), "--pub-port",
                           std::to_string(pub_port)});
  const auto given = [&](const char* opt) { return std::find(extra.begin(), extra.end(), opt) != extra.end(); };
  if (!given("--heartbeat-ms")) argv.insert(argv.end(), {"--heartbeat-ms", "100"});
  if (!given("--expiry-ms")) argv.insert(argv.end(), {"--expiry-ms", "1000"});
  if (!given("--db")) argv.insert(argv.end(), {"--db", ":memory:"});  // each test its own memory
  argv.insert(argv.end(), extra.begin(), extra.end());
  proc_ = std::make_unique<Process>(argv, std::vector<std::string>{"NO_COLOR=1"});
  const auto line = proc_->wait_for_line("escuchando en", milliseconds(10000), true);
  if (!line) throw std::runtime_error("the broker did not start: " + proc_->err());
  // "... escuchando en 127.0.0.1:PORT (comandos) y 127.0.0.1:PUB (difusión), ..."
  const auto port_before = [&](const std::string& marker) {
    const auto end = line->find(marker);
    const auto colon = end == std::string::npos ? end : line->rfind(':', end);
    if (colon == std::string::npos) throw std::runtime_error("unexpected start line: " + *line);
    return std::stoi(line->substr(colon + 1, end - colon - 1));
  };
  port_ = port_before(" (comandos)");
  pub_port_ = port_before(" (difusi");
}

std::unique_ptr<Process> start_client(const std::string& name, const BrokerProcess& b,
                                      std::vector<std::string> extra) {
  std::vector<std::string> argv{kClientBin, name, "127.0.0.1", b.port_str()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = std::make_unique<Process>(argv);
  if (!p->wait_for_line("Conectado a", milliseconds(10000))) {
    throw std::runtime_error("client " + name + " did not connect: " + p->out() + p->err());
  }
  return p;
}

std::unique_ptr<Process> start_monitor(const BrokerProcess& b, bool json) {
  std::vector<std::string> argv{kMonitorBin, "127.0.0.1", b.port_str()};
  if (json) argv.emplace_back("--json");
  auto p = std::make_unique<Process>(argv);
  if (!p->wait_for_line(json ? "\"event\":\"connected\"" : "conectado a", milliseconds(10000))) {
    throw std::runtime_error("monitor did not connect: " + p->out() + p->err());
  }
  return p;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/charla-test-XXXXXX";
  path = ::mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string keygen(const std::filesystem::path& secret) {
  Process p({kKeygenBin, "--secret", secret.string()});
  if (p.wait_exit(milliseconds(10000)) != 0) throw std::runtime_error("charla-keygen failed: " + p.err());
  return p.out().substr(0, 40);
}

std::unique_ptr<Process> run_client(const std::string& name, const BrokerProcess& b, const std::filesystem::path& home,
                                    std::vector<std::string> extra) {
  std::vector<std::string> argv{kClientBin, name, "127.0.0.1", b.port_str(), "--timeout", "3"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<Process>(argv, std::vector<std::string>{"XDG_CONFIG_HOME=" + home.string()});
}

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value;
      return value;
    }
    in.ignore(1 << 12, '\n');
  }
  return -1;
}

}  // namespace charla::test
