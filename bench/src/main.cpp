// charla-bench: charla side by side with nats-server, mosquitto and raw libzmq,
// in one run on one machine. See bench/README.md.
#include "charla_holder.hpp"
#include "charla_system.hpp"
#include "mqtt.hpp"
#include "nats.hpp"
#include "rawzmq.hpp"
#include "report.hpp"
#ifdef CHARLA_BENCH_WEB
#include "web_system.hpp"
#endif
#include "workloads.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>

#ifndef CHARLA_BENCH_BROKER
#define CHARLA_BENCH_BROKER "charla-broker"
#endif
#ifdef CHARLA_BENCH_WEB
inline constexpr bool kHasWeb = true;
#else
inline constexpr bool kHasWeb = false;  // charla-web is not built (CHARLA_BUILD_WEB=OFF)
#endif
#ifndef CHARLA_BENCH_RESULTS
#define CHARLA_BENCH_RESULTS "bench/results"
#endif

namespace charla::bench {
namespace {

// How big each workload is: the sizes, or tiny ones for CI.
struct Sizes {
  std::vector<int> fanout_n{10, 100, 500};
  std::uint64_t fanout_deliveries = 400000;
  double paced_deliveries_per_s = 20000, paced_seconds = 2;
  DirectSpec direct{1000, 10000, std::chrono::seconds(30)};
  int connect_clients = 10000;
  int presence_users = 200;
  double presence_rate = 1000, presence_seconds = 10;
  Clock::duration row_budget = std::chrono::seconds(30);
  Clock::duration connect_budget = std::chrono::seconds(60);
  int run_timeout_s = 300;
};

Sizes smoke_sizes() {
  Sizes s;
  s.fanout_n = {2, 5};
  s.fanout_deliveries = 2000;
  s.paced_deliveries_per_s = 2000;
  s.paced_seconds = 0.3;
  s.direct = {50, 200, std::chrono::seconds(10)};
  s.connect_clients = 50;
  s.presence_users = 20;
  s.presence_rate = 200;
  s.presence_seconds = 0.5;
  s.row_budget = std::chrono::seconds(10);
  s.connect_budget = std::chrono::seconds(20);
  s.run_timeout_s = 90;
  return s;
}

std::vector<std::string> default_systems() {
  std::vector<std::string> s{"charla", "charla-acked", "charla-history", "nats-server", "mosquitto", "raw-zmq", "zmq-relay"};
  if (kHasWeb) s.insert(s.begin() + 3, "charla-web");
  return s;
}

struct Args {
  bool smoke = false;
  std::string connect;  // HOST:PORT of a running charla-broker
  std::vector<std::string> systems = default_systems();
  std::vector<std::string> workloads{"F", "Fp", "D", "C", "P"};
  std::string broker = CHARLA_BENCH_BROKER;
  std::vector<std::string> broker_args;
  std::string out_dir;
  ClientConfig clients;
  int timeout_s = 0;
  int connect_clients = 0;
  std::vector<int> fanout_n;
  std::uint64_t deliveries = 0;
  std::uint64_t rounds = 0;
  bool keep_logs = false;
};

// HOST:PORT; throws std::invalid_argument when it is not.
Endpoint parse_endpoint(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) throw std::invalid_argument("expected HOST:PORT, got '" + s + "'");
  const int port = std::stoi(s.substr(colon + 1));
  if (port <= 0 || port > 65535) throw std::invalid_argument("no such port in '" + s + "'");
  return Endpoint{s.substr(0, colon), static_cast<std::uint16_t>(port)};
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

bool is_charla(const std::string& s) {
  return s == "charla" || s == "charla-acked" || s == "charla-history" || s == "charla-web";
}

// The systems in groups run side by side: charla, charla-acked, charla-history and
// charla-web together (what the acknowledged path, a history file and the web gateway
// cost are their ratios to charla), every other system on its own.
std::vector<std::vector<std::string>> groups(const std::vector<std::string>& systems) {
  std::vector<std::vector<std::string>> out;
  std::size_t charla = SIZE_MAX;
  for (const auto& s : systems) {
    if (!is_charla(s)) {
      out.push_back({s});
    } else if (charla == SIZE_MAX) {
      charla = out.size();
      out.push_back({s});
    } else {
      out[charla].push_back(s);
    }
  }
  return out;
}

Row failed_row(const std::string& system, const std::string& wl, long n, const std::string& why) {
  Row r(system, wl, n);
  r.failed = true;
  r.note = why;
  return r;
}

class Runner {
 public:
  Runner(const Args& a, const Sizes& s, std::string work_dir) : a_(a), s_(s), work_(std::move(work_dir)) {}

  std::vector<Row>& rows() { return rows_; }

  // Every row of a group of systems: F for each system in turn, Fp and D with the
  // systems side by side taking turns (workloads.hpp), so that systems compared
  // closely see the machine in the same state. A group of one is a system on its own.
  void group(const std::vector<std::string>& names) {
    std::vector<std::unique_ptr<System>> live;
    for (const auto& name : names) {
      try {
        live.push_back(make(name));
      } catch (const std::exception& e) {
        for (const auto& wl : {"F", "Fp"}) {
          if (std::string(wl) == "F" && name == "charla-web") continue;
          if (has(a_.workloads, wl)) for (int n : s_.fanout_n) add(failed_row(name, wl, n, e.what()));
        }
        if (has(a_.workloads, "D") && name != "charla-history" && name != "charla-web") add(failed_row(name, "D", 2, e.what()));
      }
    }
    std::vector<System*> fanout, direct;
    for (auto& sys : live) {
      if (sys->has_direct()) direct.push_back(sys.get());
      if (sys->has_fanout()) fanout.push_back(sys.get());
    }
    // F as fast as each system goes: one system at a time, nothing else running beside it.
    for (int n : s_.fanout_n) {
      if (!has(a_.workloads, "F")) break;
      for (auto* sys : fanout) {
        if (!sys->has_full_rate()) continue;
        side_by_side({sys}, "F", n, [&](std::span<System* const> one) {
          return run_fanout(one, {n, s_.fanout_deliveries / static_cast<std::uint64_t>(n), 0, s_.row_budget});
        });
      }
    }
    for (int n : s_.fanout_n) {
      if (!has(a_.workloads, "Fp") || fanout.empty()) break;
      const double per_s = s_.paced_deliveries_per_s / n;
      const auto m = static_cast<std::uint64_t>(per_s * s_.paced_seconds);
      side_by_side(fanout, "Fp", n, [&](std::span<System* const> these) {
        return run_fanout(these, {n, m, per_s, s_.row_budget, kPacedTurns});
      });
    }
    if (has(a_.workloads, "D") && !direct.empty()) {
      side_by_side(direct, "D", 2, [&](std::span<System* const> these) { return run_direct(these, s_.direct); });
    }
  }

  void charla_only() {
    if (!has(a_.systems, "charla")) return;
    const int clients = a_.connect_clients > 0 ? a_.connect_clients : s_.connect_clients;
    if (has(a_.workloads, "C")) {
      attempt("charla", "C", clients, [&] {
        CharlaSystem sys(charla_options(false), a_.clients);
        return run_connect(sys, clients, s_.connect_budget);
      });
    }
    if (has(a_.workloads, "P")) {
      attempt("charla", "P", s_.presence_users, [&] {
        CharlaSystem sys(charla_options(false), a_.clients);
        return run_presence(sys, s_.presence_users, s_.presence_rate, s_.presence_seconds, s_.row_budget);
      });
    }
  }

  bool any_failed() const {
    return std::any_of(rows_.begin(), rows_.end(), [](const Row& r) { return r.failed; });
  }

 private:
  CharlaOptions charla_options(bool numbered, std::string history_file = {}) const {
    CharlaOptions o;
    o.numbered = numbered;
    o.history_file = std::move(history_file);
    o.broker_path = a_.broker;
    o.broker_args = a_.broker_args;
    o.work_dir = work_;
    if (!a_.connect.empty()) o.connect = parse_endpoint(a_.connect);
    return o;
  }

  std::unique_ptr<System> make(const std::string& name) {
    if (name == "charla") return std::make_unique<CharlaSystem>(charla_options(false), a_.clients);
    if (name == "charla-acked") return std::make_unique<CharlaSystem>(charla_options(true), a_.clients);
    if (name == "charla-history") {
      return std::make_unique<CharlaSystem>(charla_options(false, work_ + "/charla-bench.db"), a_.clients);
    }
    if (name == "charla-web") {
#ifdef CHARLA_BENCH_WEB
      return make_web({a_.broker, CHARLA_BENCH_WEB, a_.broker_args, work_}, a_.clients);
#else
      throw std::runtime_error("charla-web is not built (CHARLA_BUILD_WEB=OFF)");
#endif
    }
    if (name == "nats-server") return make_nats(a_.clients, work_);
    if (name == "mosquitto") return make_mqtt(a_.clients, work_);
    if (name == "zmq-relay") return make_zmqrelay(a_.clients);
    return make_rawzmq(a_.clients);
  }

  void attempt(const std::string& system, const std::string& wl, long n, const std::function<Row()>& f) {
    try {
      add(f());
    } catch (const std::exception& e) {
      add(failed_row(system, wl, n, e.what()));
    }
  }

  // The rows of one workload for systems side by side; all failed if it throws.
  void side_by_side(const std::vector<System*>& systems, const std::string& wl, long n,
            const std::function<std::vector<Row>(std::span<System* const>)>& f) {
    try {
      for (auto& r : f(systems)) add(std::move(r));
    } catch (const std::exception& e) {
      for (auto* sys : systems) add(failed_row(sys->name(), wl, n, e.what()));
    }
  }

  void add(Row r) {
    std::cerr << "  " << r.system << ' ' << r.wl << " N=" << r.n << ": ";
    if (r.failed) {
      std::cerr << "FAILED: " << r.note << '\n';
    } else {
      std::cerr << static_cast<long>(r.rate) << "/s, drops " << r.drops << ", p50 " << r.lat.p50_us << " us, p99 "
                << r.lat.p99_us << " us" << (r.note.empty() ? "" : " (" + r.note + ")") << '\n';
    }
    rows_.push_back(std::move(r));
  }

  const Args& a_;
  const Sizes& s_;
  std::string work_;
  std::vector<Row> rows_;
};

// Ends the whole run if it overstays: every child is killed by its PID.
class Watchdog {
 public:
  explicit Watchdog(int seconds) {
    thread_ = std::thread([this, seconds] {
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, std::chrono::seconds(seconds), [&] { return done_; })) {
        std::cerr << "charla-bench: the run took longer than " << seconds << " s; stopping everything\n";
        kill_all_children();
        std::_Exit(3);
      }
    });
  }
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

}  // namespace
}  // namespace charla::bench

namespace charla::bench {
namespace {

void define_options(CLI::App& app, Args& a, HoldSpec& hold, std::string& hold_at) {
  app.add_flag("--smoke", a.smoke, "Tiny sizes, a few seconds (for CI); results go to a temporary directory");
  app.add_option("--connect", a.connect, "Measure this running charla-broker (HOST:PORT of its ROUTER) instead of starting one");
  app.add_option("--systems", a.systems, "Systems to run")->delimiter(',')->capture_default_str()
      ->check(CLI::IsMember({"charla", "charla-acked", "charla-history", "charla-web", "nats-server", "mosquitto", "raw-zmq",
                             "zmq-relay"}));
  app.add_option("--workloads", a.workloads, "Workloads to run")->delimiter(',')->capture_default_str()
      ->check(CLI::IsMember({"F", "Fp", "D", "C", "P"}));
  app.add_option("--broker", a.broker, "The charla-broker binary")->capture_default_str();
  app.add_option("--broker-arg", a.broker_args, "Extra argument for charla-broker (repeat: --broker-arg=--workers --broker-arg=1)");
  app.add_option("--out-dir", a.out_dir, "Where latest.csv, latest.md and latest.png go (default: " CHARLA_BENCH_RESULTS ")");
  app.add_option("--threads", a.clients.threads, "Receiving threads per fan-out row and holders in C")->capture_default_str()
      ->check(CLI::Range(1, 16));
  app.add_option("--io-threads", a.clients.io_threads, "libzmq I/O threads of the bench's clients")->capture_default_str()
      ->check(CLI::Range(1, 8));
  app.add_option("--clients", a.connect_clients, "Clients in the C workload (default 10000; 50 with --smoke)");
  app.add_option("--fanout-n", a.fanout_n, "Subscribers of the F and Fp rows (default 10,100,500; 2,5 with --smoke)")
      ->delimiter(',')->check(CLI::Range(1, 5000));
  app.add_option("--deliveries", a.deliveries, "Deliveries per F row (default 400000; 2000 with --smoke)");
  app.add_option("--rounds", a.rounds, "Round trips of the D rows (default 10000; 200 with --smoke)");
  app.add_flag("--keep-logs", a.keep_logs, "Keep the directory of logs and configuration files (kept anyway on failure)");
  app.add_option("--timeout", a.timeout_s, "Stop everything after this many seconds (default 300; 90 with --smoke)");
  // The C workload's helper processes.
  app.add_option("--hold", hold_at, "(internal) Hold C-workload clients for the broker at HOST:PORT")->group("");
  app.add_option("--hold-prefix", hold.prefix)->group("");
  app.add_option("--hold-first", hold.first)->group("");
  app.add_option("--hold-count", hold.count)->group("");
  app.add_option("--hold-report", hold.report)->group("");
  app.add_option("--hold-budget", hold.budget_s)->group("");
}

// The whole run: every system and workload, then the table, the ratios and the files.
int bench(Args& a, const std::string& command_line) {
  install_signal_handlers();
  raise_fd_limit();  // before any child starts, so that the broker inherits it
  Sizes sizes = a.smoke ? smoke_sizes() : Sizes{};
  if (!a.fanout_n.empty()) sizes.fanout_n = a.fanout_n;
  if (a.deliveries > 0) sizes.fanout_deliveries = a.deliveries;
  if (a.rounds > 0) sizes.direct.rounds = a.rounds;
  const auto work = make_temp_dir("charla-bench");
  if (a.out_dir.empty()) a.out_dir = a.smoke ? work + "/results" : CHARLA_BENCH_RESULTS;
  std::filesystem::create_directories(a.out_dir);

  Watchdog watchdog(a.timeout_s > 0 ? a.timeout_s : sizes.run_timeout_s);
  RunInfo info = describe_machine(work);
  info.started = utc_now();
  info.command = "cmake -S . -B build -DCHARLA_BUILD_BENCH=ON && cmake --build build -j2 && build/bench/charla-bench" +
                 command_line;
  info.load = load_average();
  std::cerr << "charla-bench" << (a.smoke ? " (smoke)" : "") << " on " << info.machine << ", load " << info.load
            << "; logs in " << work << '\n';
  const auto started = Clock::now();
  Runner run(a, sizes, work);
  for (const auto& g : groups(a.systems)) run.group(g);
  run.charla_only();
  info.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  info.load += " and " + load_average();

  print_table(std::cout, run.rows());
  print_ratios(std::cout, run.rows());
  print_variants(std::cout, run.rows());
  print_targets(std::cout, run.rows());
  write_csv(a.out_dir + "/latest.csv", run.rows());
  const bool plotted = write_plot(a.out_dir + "/latest.png", run.rows(), work);
  write_markdown(a.out_dir + "/latest.md", run.rows(), info, plotted ? "latest.png" : "");
  std::cout << "\nWritten: " << a.out_dir << "/latest.{csv,md" << (plotted ? ",png" : "") << "} in "
            << static_cast<int>(info.seconds) << " s\n";
  const bool failed = run.any_failed();
  if (!failed && !a.keep_logs && a.out_dir.rfind(work, 0) != 0) std::filesystem::remove_all(work);
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace charla::bench

int main(int argc, char** argv) {
  using namespace charla::bench;
  Args a;
  HoldSpec hold;
  std::string hold_at;
  CLI::App app{"charla-bench: charla against nats-server, mosquitto and raw libzmq, in one run on this machine"};
  define_options(app, a, hold, hold_at);
  CLI11_PARSE(app, argc, argv);
  // charla-history needs a broker of the bench's own with a file of its own: by default it is left
  // out where it cannot run, rather than failing the run; asked for by name, its rows say why not.
  if (app.count("--systems") == 0 && (!a.connect.empty() || has(a.broker_args, "--db"))) {
    std::erase(a.systems, std::string("charla-history"));
    std::cerr << "charla-bench: no charla-history rows with --connect or --broker-arg=--db\n";
  }
  try {
    if (!hold_at.empty()) {
      hold.at = parse_endpoint(hold_at);
      hold.clients = a.clients;
      return run_holder(hold);
    }
    if (!a.connect.empty()) (void)parse_endpoint(a.connect);
  } catch (const std::exception& e) {
    std::cerr << "charla-bench: " << e.what() << '\n';
    return 2;
  }
  std::string command_line;
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
  return bench(a, command_line);
}
