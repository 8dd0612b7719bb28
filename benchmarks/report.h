// benchmarks/report.h: the bench's outputs: a table on stdout, JSON, CSV.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ceilings.h"
#include "e2e_bench.h"
#include "op_runner.h"

namespace convnet::bench {

// Everything one bench run produced.
struct BenchReport {
  std::string command;                                            // argv, joined
  std::string date_utc;                                           // ISO 8601
  std::map<std::string, std::map<std::string, std::string>> provenance;  // per backend
  std::map<std::string, std::string> skipped;                     // backend -> why it did not run
  std::map<std::string, Ceilings> ceilings;                       // "cpu", "gpu"
  std::vector<OpRow> ops;
  std::vector<E2eResult> e2e;
};

// Fills pct_* of a row from the ceilings of its device.
void apply_ceilings(OpRow& row, const Ceilings& c, bool cpu);

std::string format_ceilings(const std::string& device, const Ceilings& c);
std::string format_op_header();
std::string format_op_row(const OpRow& r);
std::string format_e2e(const E2eResult& r);

void write_json(const BenchReport& r, const std::string& path);
// Op rows to `path`; end-to-end rows (if any) to `path` with ".csv" replaced
// by ".e2e.csv" (or with ".e2e.csv" appended).
void write_csv(const BenchReport& r, const std::string& path);

}  // namespace convnet::bench
