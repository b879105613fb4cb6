// The results: a table on stdout, the ratios charla/other per row, the ratios
// charla-acked/charla (the acknowledged path) and charla-history/charla (a
// history file), the targets of the issues checked, and the same as CSV,
// Markdown and a PNG plot.
#pragma once

#include "row.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace charla::bench {

struct RunInfo {
  std::string command;   // the one command that reproduces the run
  std::string machine;   // CPU, cores, memory, kernel
  std::string versions;  // of the systems compared
  std::string started;   // UTC date and time
  double seconds = 0;    // how long the run took
  std::string load;      // the load average before and after: other work on the machine skews results
};

void print_table(std::ostream& out, const std::vector<Row>& rows);
void print_ratios(std::ostream& out, const std::vector<Row>& rows);
// charla-acked/charla and charla-history/charla per row: what the acknowledged
// path and a history file cost.
void print_variants(std::ostream& out, const std::vector<Row>& rows);
void print_targets(std::ostream& out, const std::vector<Row>& rows);

void write_csv(const std::string& path, const std::vector<Row>& rows);
void write_markdown(const std::string& path, const std::vector<Row>& rows, const RunInfo& info,
                    const std::string& png_name);
// Deliveries/s of F against N, one line per system. False if gnuplot is missing or fails.
bool write_plot(const std::string& path, const std::vector<Row>& rows, const std::string& work_dir);

// What the machine is and which versions run, for the report.
RunInfo describe_machine(const std::string& work_dir);
// The 1-minute load average now.
std::string load_average();

}  // namespace charla::bench
