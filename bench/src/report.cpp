#include "report.hpp"

#include "procs.hpp"

#include <zmq.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace charla::bench {
namespace {

const std::vector<std::string> kPeers = {"nats-server", "mosquitto", "raw-zmq", "zmq-relay"};

std::string num(double v, int decimals) {
  if (v < 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::vector<std::string> cells(const Row& r) {
  if (r.failed) return {r.system, r.wl, std::to_string(r.n), "-", "-", "-", "-", "-", "-", "-", "-", "-"};
  return {r.system,        r.wl,          std::to_string(r.n),   std::to_string(r.m), std::to_string(r.recv),
          std::to_string(r.drops), num(r.rate, 0), num(r.lat.p50_us, 1), num(r.lat.p99_us, 1), num(r.lat.max_us, 1),
          r.rss_kb < 0 ? "-" : std::to_string(r.rss_kb), num(r.cpu_s, 2)};
}

const std::vector<std::string> kColumns = {"system", "wl",     "N",      "M",      "recv",          "drops",
                                           "deliv_per_s", "p50_us", "p99_us", "max_us", "broker_rss_kb", "broker_cpu_s"};

const Row* find(const std::vector<Row>& rows, const std::string& system, const std::string& wl, long n) {
  for (const auto& r : rows) {
    if (r.system == system && r.wl == wl && r.n == n && !r.failed) return &r;
  }
  return nullptr;
}

std::string ratio(double a, double b) { return a > 0 && b > 0 ? num(a / b, 2) : "-"; }

// Rows of the ratio table: wl, N, metric, then one ratio per peer.
std::vector<std::vector<std::string>> ratio_rows(const std::vector<Row>& rows) {
  std::vector<std::vector<std::string>> out;
  for (const auto& c : rows) {
    if (c.system != "charla" || c.failed || (c.wl != "F" && c.wl != "Fp" && c.wl != "D")) continue;
    const char* rate_name = c.wl == "D" ? "round_trips_per_s" : "deliv_per_s";
    std::vector<std::string> rate{c.wl, std::to_string(c.n), rate_name}, p50{c.wl, std::to_string(c.n), "p50_us"},
        p99{c.wl, std::to_string(c.n), "p99_us"};
    for (const auto& peer : kPeers) {
      const Row* o = find(rows, peer, c.wl, c.n);
      rate.push_back(o ? ratio(c.rate, o->rate) : "-");
      p50.push_back(o ? ratio(c.lat.p50_us, o->lat.p50_us) : "-");
      p99.push_back(o ? ratio(c.lat.p99_us, o->lat.p99_us) : "-");
    }
    out.push_back(rate);
    out.push_back(p50);
    out.push_back(p99);
  }
  return out;
}

// Rows of the table of a variant of charla against plain charla in the same run
// (charla-acked: the acknowledged path; charla-history: a history file): wl, N,
// metric, variant/charla.
std::vector<std::vector<std::string>> variant_rows(const std::vector<Row>& rows, const std::string& variant) {
  std::vector<std::vector<std::string>> out;
  for (const auto& c : rows) {
    if (c.system != "charla" || c.failed || (c.wl != "F" && c.wl != "Fp" && c.wl != "D")) continue;
    const Row* a = find(rows, variant, c.wl, c.n);
    if (!a) continue;
    const auto n = std::to_string(c.n);
    out.push_back({c.wl, n, c.wl == "D" ? "round_trips_per_s" : "deliv_per_s", ratio(a->rate, c.rate)});
    out.push_back({c.wl, n, "p50_us", ratio(a->lat.p50_us, c.lat.p50_us)});
    out.push_back({c.wl, n, "p99_us", ratio(a->lat.p99_us, c.lat.p99_us)});
    out.push_back({c.wl, n, "broker_cpu_s", ratio(a->cpu_s, c.cpu_s)});
  }
  return out;
}

struct Variant {
  const char* system;
  const char* title;  // what its ratios to charla measure
};
const std::vector<Variant> kVariants = {{"charla-acked", "The acknowledged path"},
                                        {"charla-history", "History in a file (--db FILE against --db :memory:)"},
                                        {"charla-web", "Browser tabs through the web gateway (WebSocket against a SUB each)"}};

std::vector<std::string> variant_head(const std::string& variant) { return {"wl", "N", "metric", variant + "/charla"}; }

// A target of a variant against charla: within 10%. `also`: a further condition
// of the target, said in `and_` (e.g. nothing dropped).
std::string within(const std::string& what, double variant, double plain, bool higher_is_better, bool also = true,
                   const std::string& and_ = "") {
  const bool ok = also && (higher_is_better ? variant >= 0.9 * plain : variant <= 1.1 * plain);
  return what + " = " + ratio(variant, plain) + (higher_is_better ? " (target >= 0.9" : " (target <= 1.1") + and_ +
         "): " + (ok ? "met" : "MISSED");
}

// Fp against charla for every N: deliveries/s with every message delivered (`every`
// says what "delivered" takes), p50 if asked, and p99.
void paced_targets(const std::vector<Row>& rows, const std::string& variant, const std::string& every, bool with_p50,
                   std::vector<std::string>& out) {
  for (const auto& c : rows) {
    if (c.system != "charla" || c.failed || c.wl != "Fp") continue;
    const Row* a = find(rows, variant, "Fp", c.n);
    if (!a) continue;
    const auto at = "Fp N=" + std::to_string(c.n) + ": " + variant + "/charla ";
    const bool all = a->drops == 0 && a->recv == a->m * a->n && a->note.empty();
    out.push_back(within(at + "deliveries/s", a->rate, c.rate, true, all, ", " + every + (all ? "" : ": not so")));
    if (with_p50) out.push_back(within(at + "p50", a->lat.p50_us, c.lat.p50_us, false));
    out.push_back(within(at + "p99", a->lat.p99_us, c.lat.p99_us, false));
  }
}

// F against charla for every N: information, not a target.
void full_rate_information(const std::vector<Row>& rows, const std::string& variant, bool with_p99,
                           std::vector<std::string>& out) {
  for (const auto& c : rows) {
    if (c.system != "charla" || c.failed || c.wl != "F") continue;
    if (const Row* a = find(rows, variant, "F", c.n)) {
      out.push_back("F N=" + std::to_string(c.n) + ": " + variant + "/charla deliveries/s = " + ratio(a->rate, c.rate) +
                    (with_p99 ? ", p99 = " + ratio(a->lat.p99_us, c.lat.p99_us) : std::string()) +
                    " (information, not a target)");
    }
  }
}

// Issue 11: the acknowledged path (charla-acked) within 10% of the plain one
// (charla) in D and in Fp, where the rate is set and latency is what a user
// feels; in F the publisher's window of unacknowledged messages may hold it
// back, which is information, not a target.
void acked_targets(const std::vector<Row>& rows, std::vector<std::string>& out) {
  const Row* cd = find(rows, "charla", "D", 2);
  const Row* ad = find(rows, "charla-acked", "D", 2);
  if (cd && ad) {
    out.push_back(within("D: charla-acked/charla round trips/s", ad->rate, cd->rate, true));
    out.push_back(within("D: charla-acked/charla p99", ad->lat.p99_us, cd->lat.p99_us, false));
  }
  paced_targets(rows, "charla-acked", "every message delivered and acknowledged", true, out);
  full_rate_information(rows, "charla-acked", false, out);
}

// Issue 15: broadcasts with the history in a file (charla-history, --db FILE)
// within 10% of the same broadcasts with --db :memory: (charla), deliveries/s
// and p99, in Fp: a broadcast is published only once the store thread has it, so
// a file that slows the store shows in the latency of every paced message, and
// in the rate if the store cannot keep up with it. F, where the publisher floods
// the broker and latency is time in queues, is information.
void history_targets(const std::vector<Row>& rows, std::vector<std::string>& out) {
  paced_targets(rows, "charla-history", "every message delivered", false, out);
  full_rate_information(rows, "charla-history", true, out);
}

// Issue 14: browser-like sessions through charla-web against charla's own
// subscribers, in Fp at the same N in the same run: deliveries/s, the p99 the
// gateway adds, and the gateway's memory per tab. The issue sets no target:
// information, with whether every message reached every tab.
void web_information(const std::vector<Row>& rows, std::vector<std::string>& out) {
  for (const auto& c : rows) {
    if (c.system != "charla" || c.failed || c.wl != "Fp") continue;
    const Row* w = find(rows, "charla-web", "Fp", c.n);
    if (!w) continue;
    const bool all = w->drops == 0 && w->recv == w->m * w->n;
    // The difference may be negative (the gateway in the noise): num() would show it as "-".
    std::string added = "-";
    if (w->lat.p99_us >= 0 && c.lat.p99_us >= 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%+.0f", w->lat.p99_us - c.lat.p99_us);
      added = buf;
    }
    out.push_back("Fp N=" + std::to_string(c.n) + ": charla-web/charla deliveries/s = " + ratio(w->rate, c.rate) +
                  (all ? " (every message to every tab)" : " (NOT every message to every tab)") +
                  ", p99 added by the gateway = " + added +
                  " us (p99 " + ratio(w->lat.p99_us, c.lat.p99_us) + "x), gateway RSS per tab = " +
                  num(w->kib_per_client, 1) + " KiB (information, not a target)");
  }
}

void aligned(std::ostream& out, const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& body) {
  std::vector<std::size_t> w(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
  for (const auto& r : body) {
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      out << r[i] << (i + 1 < r.size() ? std::string(w[i] - r[i].size() + 2, ' ') : "");
    }
    out << '\n';
  };
  line(head);
  for (const auto& r : body) line(r);
}

void markdown(std::ostream& out, const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& body) {
  auto line = [&](const std::vector<std::string>& r) {
    out << '|';
    for (const auto& c : r) out << ' ' << c << " |";
    out << '\n';
  };
  line(head);
  out << '|';
  for (std::size_t i = 0; i < head.size(); ++i) out << (i < 3 ? " --- |" : " ---: |");
  out << '\n';
  for (const auto& r : body) line(r);
}

std::vector<std::string> ratio_head() {
  std::vector<std::string> h{"wl", "N", "metric"};
  for (const auto& p : kPeers) h.push_back("charla/" + p);
  return h;
}

// The targets of the issue, each as one line: what, the measured value, met or not.
std::vector<std::string> targets(const std::vector<Row>& rows) {
  std::vector<std::string> out;
  auto verdict = [](bool ok) { return ok ? "met" : "MISSED"; };
  const Row* cf = find(rows, "charla", "F", 500);
  const Row* nf = find(rows, "nats-server", "F", 500);
  const Row* zf = find(rows, "raw-zmq", "F", 500);
  if (cf && nf) out.push_back("F N=500: charla/nats-server deliveries/s = " + ratio(cf->rate, nf->rate) + " (target >= 1.2): " + verdict(cf->rate >= 1.2 * nf->rate));
  if (cf && zf) out.push_back("F N=500: charla/raw-zmq deliveries/s = " + ratio(cf->rate, zf->rate) + " (target >= 0.8): " + verdict(cf->rate >= 0.8 * zf->rate));
  if (cf) out.push_back("F N=500: charla drops = " + std::to_string(cf->drops) + " (target 0): " + verdict(cf->drops == 0));
  const Row* cd = find(rows, "charla", "D", 2);
  const Row* md = find(rows, "mosquitto", "D", 2);
  if (cd && md) {
    out.push_back("D: charla/mosquitto round trips/s = " + ratio(cd->rate, md->rate) + " (target >= 1): " + verdict(cd->rate >= md->rate));
    out.push_back("D: charla/mosquitto p99 = " + ratio(cd->lat.p99_us, md->lat.p99_us) + " (target <= 1): " + verdict(cd->lat.p99_us <= md->lat.p99_us));
  }
  // Not a target: the floor for any broker with ZeroMQ on both sides of the hop, and charla's distance from it.
  if (const Row* rd = find(rows, "zmq-relay", "D", 2); cd && rd) {
    out.push_back("D: charla/zmq-relay round trips/s = " + ratio(cd->rate, rd->rate) +
                  " (information, not a target: zmq-relay is a ZeroMQ relay doing no work" +
                  (md ? "; mosquitto/zmq-relay = " + ratio(md->rate, rd->rate) : std::string()) + ")");
  }
  acked_targets(rows, out);
  history_targets(rows, out);
  web_information(rows, out);
  for (const auto& r : rows) {
    if (r.system != "charla" || r.failed) continue;
    if (r.wl == "C") {
      out.push_back("C: " + std::to_string(r.recv) + " of " + std::to_string(r.n) + " clients joined and seen by the monitor (target all): " +
                    verdict(r.drops == 0 && r.recv == r.n));
      if (r.kib_per_client >= 0) {
        out.push_back("C: broker RSS per idle client = " + num(r.kib_per_client, 1) + " KiB (target <= 20): " +
                      verdict(r.kib_per_client <= 20));
      }
    }
    if (r.wl == "P") out.push_back("P: missed presence changes = " + std::to_string(r.drops) + " (target 0): " + verdict(r.drops == 0));
  }
  return out;
}

std::string run(const std::vector<std::string>& argv, const std::string& work_dir) {
  const auto log = work_dir + "/version.txt";
  try {
    Child c(argv, log);
    c.wait(Clock::now() + std::chrono::seconds(5));
  } catch (const std::exception&) {
    return {};
  }
  std::ifstream in(log);
  std::string first;
  while (first.empty() && std::getline(in, first)) {
  }
  return first;
}

}  // namespace

void print_table(std::ostream& out, const std::vector<Row>& rows) {
  std::vector<std::vector<std::string>> body;
  for (const auto& r : rows) body.push_back(cells(r));
  aligned(out, kColumns, body);
  for (const auto& r : rows) {
    if (!r.note.empty()) out << "  " << r.system << ' ' << r.wl << ' ' << r.n << ": " << r.note << '\n';
  }
}

void print_ratios(std::ostream& out, const std::vector<Row>& rows) {
  out << "\nRatios charla/other in this run (deliv_per_s: higher is better for charla; p50/p99: lower is better)\n";
  aligned(out, ratio_head(), ratio_rows(rows));
}

void print_variants(std::ostream& out, const std::vector<Row>& rows) {
  for (const auto& v : kVariants) {
    const auto body = variant_rows(rows, v.system);
    if (body.empty()) continue;
    out << '\n' << v.title << ": " << v.system
        << "/charla in this run (deliv_per_s: higher is better; p50/p99 and CPU: lower)\n";
    aligned(out, variant_head(v.system), body);
  }
}

void print_targets(std::ostream& out, const std::vector<Row>& rows) {
  out << "\nTargets\n";
  for (const auto& t : targets(rows)) out << "  " << t << '\n';
}

void write_csv(const std::string& path, const std::vector<Row>& rows) {
  std::ofstream out(path);
  for (std::size_t i = 0; i < kColumns.size(); ++i) out << kColumns[i] << ',';
  out << "note\n";
  for (const auto& r : rows) {
    for (const auto& c : cells(r)) out << (c == "-" ? "" : c) << ',';
    std::string note = r.note;
    std::replace(note.begin(), note.end(), '"', '\'');
    out << '"' << note << "\"\n";
  }
}

void write_markdown(const std::string& path, const std::vector<Row>& rows, const RunInfo& info,
                    const std::string& png_name) {
  std::ofstream out(path);
  out << "### charla-bench results\n\n"
      << "Run " << info.started << " in " << num(info.seconds, 0) << " s on " << info.machine << ".  \n"
      << "Versions: " << info.versions << ".  \n"
      << "Load average (1 min) before and after the run: " << info.load << ".  \n"
      << "Reproduce: `" << info.command << "`\n\n";
  std::vector<std::vector<std::string>> body;
  for (const auto& r : rows) body.push_back(cells(r));
  markdown(out, kColumns, body);
  bool any_note = false;
  for (const auto& r : rows) {
    if (r.note.empty()) continue;
    if (!any_note) out << "\nNotes:\n\n";
    any_note = true;
    out << "- " << r.system << ' ' << r.wl << ' ' << r.n << ": " << r.note << '\n';
  }
  out << "\nRatios charla/other in the same run (deliveries/s: higher is better for charla; latency: lower is better):\n\n";
  markdown(out, ratio_head(), ratio_rows(rows));
  for (const auto& v : kVariants) {
    const auto body = variant_rows(rows, v.system);
    if (body.empty()) continue;
    out << '\n' << v.title << ": " << v.system
        << "/charla in the same run (deliveries/s: higher is better; latency and the broker's CPU: lower is better):\n\n";
    markdown(out, variant_head(v.system), body);
  }
  out << "\nTargets:\n\n";
  for (const auto& t : targets(rows)) out << "- " << t << '\n';
  if (!png_name.empty()) out << "\n![F: deliveries/s against N](" << png_name << ")\n";
}

bool write_plot(const std::string& path, const std::vector<Row>& rows, const std::string& work_dir) {
  const auto gnuplot = find_program("gnuplot");
  if (gnuplot.empty()) return false;
  std::set<std::string> systems;
  std::map<long, std::map<std::string, double>> by_n;
  for (const auto& r : rows) {
    if (r.wl != "F" || r.failed) continue;
    systems.insert(r.system);
    by_n[r.n][r.system] = r.rate;
  }
  if (systems.empty()) return false;
  const std::vector<std::string> order = [&] {
    std::vector<std::string> o;
    for (const auto& s : {"charla", "charla-acked", "charla-history", "nats-server", "mosquitto", "raw-zmq"}) {
      if (systems.count(s) != 0) o.emplace_back(s);
    }
    return o;
  }();
  const auto data = work_dir + "/fanout.dat";
  {
    std::ofstream d(data);
    for (const auto& [n, rates] : by_n) {
      d << n;
      for (const auto& s : order) d << ' ' << (rates.count(s) ? num(rates.at(s), 0) : "NaN");
      d << '\n';
    }
  }
  const auto script = work_dir + "/fanout.gp";
  {
    std::ofstream g(script);
    g << "set terminal pngcairo size 900,540 font 'sans,11'\n"
      << "set output '" << path << "'\n"
      << "set title 'F: 128-byte broadcasts, deliveries/s until the last subscriber has the last message'\n"
      << "set xlabel 'subscribers (N)'\nset ylabel 'deliveries/s'\n"
      << "set logscale xy\nset grid\nset key outside right\nset format y '%.0s%c'\n"
      << "set xrange [" << by_n.begin()->first * 0.7 << ":" << by_n.rbegin()->first * 1.4 << "]\n"
      << "set xtics (";
    bool first = true;
    for (const auto& [n, _] : by_n) g << (first ? "" : ", ") << n, first = false;
    g << ")\nplot ";
    for (std::size_t i = 0; i < order.size(); ++i) {
      g << (i ? ", " : "") << "'" << data << "' using 1:" << i + 2 << " with linespoints lw 2 pt 7 title '" << order[i] << "'";
    }
    g << '\n';
  }
  try {
    Child c({gnuplot, script}, work_dir + "/gnuplot.log");
    return c.wait(Clock::now() + std::chrono::seconds(20)) == 0;
  } catch (const std::exception&) {
    return false;
  }
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

RunInfo describe_machine(const std::string& work_dir) {
  RunInfo info;
  std::ifstream cpu("/proc/cpuinfo");
  std::string model;
  for (std::string line; std::getline(cpu, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  std::ifstream mem("/proc/meminfo");
  std::string key;
  long kb = 0;
  mem >> key >> kb;
  utsname u{};
  ::uname(&u);
  info.machine = model + ", " + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) + " cores, " +
                 std::to_string(kb / 1024 / 1024) + " GiB, Linux " + u.release;
  int major = 0, minor = 0, patch = 0;
  zmq_version(&major, &minor, &patch);
  info.versions = "libzmq " + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  if (const auto m = find_program("mosquitto"); !m.empty()) info.versions += ", " + run({m, "-h"}, work_dir);
  if (const auto n = find_program("nats-server"); !n.empty()) info.versions += ", " + run({n, "--version"}, work_dir);
  return info;
}

}  // namespace charla::bench
