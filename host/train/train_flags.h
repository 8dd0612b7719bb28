// train_flags.h: convnet-train's command line, parsed and validated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convnet/init.h"

namespace convnet {

struct TrainFlags {
  std::string data;                 // --data DIR (else $CONVNET_DATA)
  std::string model;                // --model FILE (default models/lenet5.net)
  std::string backend = "auto";     // --backend cpu|cuda|cudnn|auto
  int epochs = 20;                  // --epochs
  int batch = 64;                   // --batch
  double lr = 0.1;                  // --lr
  int val = 1024;                   // --val (held out from the 60,000)
  uint64_t seed = 1;                // --seed
  std::string init = kDefaultInitScheme;  // --init
  int threads = 0;                  // --threads (0 = all cores)
  std::string out = "runs/latest";  // --out DIR
  std::string resume;               // --resume CHECKPOINT
  std::string eval;                 // --eval CHECKPOINT
  std::string inspect;              // --inspect DIR (with --eval)
  bool summary = false;             // --summary
  double momentum = 0.0;            // --momentum
  double weight_decay = 0.0;        // --weight-decay
  bool keep_best = false;           // --keep-best (report the best-validation model)
  bool plots = false;               // --plots
  std::vector<double> lr_sweep;     // --lr-sweep 1,0.1,0.01
  bool deterministic = false;       // --deterministic (cudnn)
  int max_steps = 0;                // --max-steps N per epoch (quick checks)
  int train_limit = 0;              // --train-limit N training images (quick checks)
  bool quiet = false;               // --quiet
  bool help = false;
};

// Throws convnet::Error naming the flag and the problem.
TrainFlags parse_train_flags(int argc, char** argv);
std::string train_usage();

}  // namespace convnet
