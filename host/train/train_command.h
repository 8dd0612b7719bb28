// train_command.h: convnet-train's subcommands.
#pragma once

#include "train_flags.h"

namespace convnet {

int run_train(const TrainFlags& f);     // the default: train, checkpoint, test
int run_eval(const TrainFlags& f);      // --eval CHECKPOINT
int run_inspect(const TrainFlags& f);   // --eval CHECKPOINT --inspect DIR (inspect.cpp)
int run_summary(const TrainFlags& f);   // --summary
int run_lr_sweep(const TrainFlags& f);  // --lr-sweep LIST

}  // namespace convnet
