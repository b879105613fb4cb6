// The project's real binaries, started as processes by the end-to-end tests.
#pragma once

#include "process.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace charla::test {

inline const std::string kBrokerBin = CHARLA_BROKER_BIN;
inline const std::string kClientBin = CHARLA_CLIENT_BIN;
inline const std::string kMonitorBin = CHARLA_MONITOR_BIN;
inline const std::string kKeygenBin = CHARLA_KEYGEN_BIN;

// A charla-broker process on 127.0.0.1, on free ports unless given, with
// short heartbeats so that losses show quickly; `wrapper` runs it (e.g.
// {"prlimit", "--fsize=…", "--"}).
class BrokerProcess {
 public:
  explicit BrokerProcess(std::vector<std::string> extra = {}, int port = 0, int pub_port = 0,
                         std::vector<std::string> wrapper = {});
  int port() const noexcept { return port_; }
  int pub_port() const noexcept { return pub_port_; }
  Process& proc() noexcept { return *proc_; }
  std::string port_str() const { return std::to_string(port_); }

 private:
  std::unique_ptr<Process> proc_;
  int port_ = 0, pub_port_ = 0;
};

// A console client reading commands from a pipe; waits until connected.
std::unique_ptr<Process> start_client(const std::string& name, const BrokerProcess& b,
                                      std::vector<std::string> extra = {});
std::unique_ptr<Process> start_monitor(const BrokerProcess& b, bool json);

// A folder of its own under /tmp, removed with everything in it.
struct TempDir {
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

// charla-keygen --secret FILE: makes a key pair; returns the public key (Z85).
std::string keygen(const std::filesystem::path& secret);

// charla as a pipe client whose own keys live under `home` (XDG_CONFIG_HOME), not yet connected.
std::unique_ptr<Process> run_client(const std::string& name, const BrokerProcess& b, const std::filesystem::path& home,
                                    std::vector<std::string> extra);

// A process's resident memory in KiB (VmRSS), -1 if it cannot be read.
long rss_kb(pid_t pid);

// Whether the binaries' memory says anything: built with a sanitizer they bring
// allocators of their own (ASan's quarantine keeps freed blocks, TSan adds shadow
// memory), which glibc's malloc_trim does not shrink.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool kMemoryIsMeasurable = false;
#else
inline constexpr bool kMemoryIsMeasurable = true;
#endif

}  // namespace charla::test
