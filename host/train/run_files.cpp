// run_files.cpp: metrics.csv, steps.csv and summary.json for a run.
#include "run_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "convnet/error.h"

namespace convnet {

namespace {
const char* kMetricsHeader =
    "epoch,train_loss,train_error,val_loss,val_error,train_seconds,eval_seconds,images_per_second";
const char* kStepsHeader = "epoch,step,global_step,loss";

std::vector<std::string> read_rows(const std::string& path) {
  std::vector<std::string> rows;
  std::ifstream in(path);
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) { header = false; continue; }
    if (!line.empty()) rows.push_back(line);
  }
  return rows;
}

int row_epoch(const std::string& row) { return std::atoi(row.c_str()); }
}  // namespace

void make_directories(const std::string& dir) {
  std::string partial;
  std::stringstream ss(dir);
  std::string part;
  if (!dir.empty() && dir[0] == '/') partial = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    partial += part + "/";
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
      throw_error("cannot create directory ", partial, ": ", std::strerror(errno));
  }
}

void write_text_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  FILE* fp = std::fopen(tmp.c_str(), "wb");
  if (!fp) throw_error("cannot write ", tmp, ": ", std::strerror(errno));
  const bool ok = std::fwrite(text.data(), 1, text.size(), fp) == text.size() && std::fflush(fp) == 0 &&
                  ::fsync(fileno(fp)) == 0;
  const int err = errno;
  std::fclose(fp);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw_error("cannot write ", path, ": ", std::strerror(ok ? errno : err));
  }
}

void RunFiles::start_fresh() {
  metrics_rows_.clear();
  step_rows_.clear();
  flush();
}

void RunFiles::keep_epochs_up_to(int epoch) {
  metrics_rows_.clear();
  step_rows_.clear();
  for (const std::string& r : read_rows(dir_ + "/metrics.csv"))
    if (row_epoch(r) <= epoch) metrics_rows_.push_back(r);
  for (const std::string& r : read_rows(dir_ + "/steps.csv"))
    if (row_epoch(r) <= epoch) step_rows_.push_back(r);
  flush();
}

void RunFiles::append_epoch(const EpochMetrics& m) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%d,%.6f,%.6f,%.6f,%.6f,%.4f,%.4f,%.1f", m.epoch, m.train_loss, m.train_error,
                m.val_loss, m.val_error, m.train_seconds, m.eval_seconds, m.images_per_second);
  metrics_rows_.push_back(buf);
  const int64_t steps = int64_t(m.step_losses.size());
  for (int64_t s = 0; s < steps; ++s) {
    std::snprintf(buf, sizeof buf, "%d,%lld,%lld,%.6f", m.epoch, (long long)(s + 1),
                  (long long)((m.epoch - 1) * steps + s + 1), double(m.step_losses[size_t(s)]));
    step_rows_.push_back(buf);
  }
  flush();
}

void RunFiles::write_summary(const std::string& json) { write_text_atomic(dir_ + "/summary.json", json); }

void RunFiles::flush() {
  std::string metrics = std::string(kMetricsHeader) + "\n";
  for (const std::string& r : metrics_rows_) metrics += r + "\n";
  write_text_atomic(dir_ + "/metrics.csv", metrics);
  std::string steps = std::string(kStepsHeader) + "\n";
  for (const std::string& r : step_rows_) steps += r + "\n";
  write_text_atomic(dir_ + "/steps.csv", steps);
}

}  // namespace convnet
