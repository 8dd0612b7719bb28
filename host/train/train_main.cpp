// convnet-train: trains a model on MNIST, evaluates checkpoints, prints
// model summaries and runs learning-rate sweeps. See --help.
//
// Exit status: 0 on success, 1 on any error (one message on stderr naming
// the problem), 2 on bad flags, 3 when training diverged (NaN/Inf loss).
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "convnet/error.h"
#include "convnet/training.h"
#include "train_command.h"
#include "train_flags.h"

int main(int argc, char** argv) {
  using namespace convnet;
  TrainFlags flags;
  try {
    flags = parse_train_flags(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "convnet-train: %s\n", e.what());
    return 2;
  }
  if (flags.help) {
    std::fputs(train_usage().c_str(), stdout);
    return 0;
  }
  try {
    if (flags.summary) return run_summary(flags);
    if (!flags.eval.empty()) return flags.inspect.empty() ? run_eval(flags) : run_inspect(flags);
    if (!flags.lr_sweep.empty()) return run_lr_sweep(flags);
    return run_train(flags);
  } catch (const TrainingDiverged& e) {
    std::fprintf(stderr, "convnet-train: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "convnet-train: %s\n", e.what());
    return 1;
  }
}
