// run_files.h: the files a training run writes into --out.
//
//   metrics.csv   one row per epoch
//   steps.csv     the training loss of every step
//   summary.json  the run's result and provenance
// Each file is rewritten whole through a temp file + rename, so a crash never
// leaves half a file.
#pragma once

#include <string>
#include <vector>

#include "convnet/training.h"
#include "train_flags.h"

namespace convnet {

void make_directories(const std::string& dir);
void write_text_atomic(const std::string& path, const std::string& text);

class RunFiles {
 public:
  explicit RunFiles(std::string dir) : dir_(std::move(dir)) {}
  void start_fresh();                    // a new run: empty tables
  void keep_epochs_up_to(int epoch);     // --resume: keep earlier rows
  void append_epoch(const EpochMetrics& m);
  void write_summary(const std::string& json);

 private:
  void flush();
  std::string dir_;
  std::vector<std::string> metrics_rows_, step_rows_;
};


}  // namespace convnet
