// --plots on a small synthetic dataset: the trainer, the sweep, --inspect and
// convnet-init-study each run their plotting script, and every PNG they
// promise is written.
// Skips, saying why, where /usr/bin/python3 has no matplotlib (the trainer
// then prints the command that draws the plots later instead).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "train/cli_util.h"

using convnet_test::run_train;
using convnet_test::slurp;
using convnet_test::TempDir;
using testing::HasSubstr;

namespace {

bool have_matplotlib() { return std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") == 0; }

// True when path holds a PNG: the 8-byte signature every PNG starts with.
bool is_png(const std::string& path) {
  const std::string bytes = slurp(path);
  return bytes.size() > 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n", 8) == 0;
}

class Plots : public testing::Test {
 protected:
  void SetUp() override {
    if (!have_matplotlib()) GTEST_SKIP() << "/usr/bin/python3 has no matplotlib (apt-get install python3-matplotlib)";
    convnet_test::write_synthetic_mnist(dir.path(), 600, 100);
  }
  std::string base() const { return "--backend cpu --threads 1 --quiet --data " + dir.path() + " --val 64 "; }
  TempDir dir;
};

TEST_F(Plots, RunSweepAndInspectDrawTheirPngs) {
  const auto run = run_train(base() + "--epochs 2 --out " + dir.file("run") + " --plots");
  ASSERT_EQ(run.rc, 0) << run.out;
  EXPECT_TRUE(is_png(dir.file("run/curves.png"))) << run.out;

  const auto sweep = run_train(base() + "--epochs 1 --lr-sweep 0.1,0.01 --out " + dir.file("sweep") + " --plots");
  ASSERT_EQ(sweep.rc, 0) << sweep.out;
  EXPECT_TRUE(is_png(dir.file("sweep/lr_sweep.png"))) << sweep.out;

  const auto ins = run_train(base() + "--eval " + dir.file("run/checkpoint.safetensors") + " --inspect " +
                             dir.file("ins") + " --plots");
  ASSERT_EQ(ins.rc, 0) << ins.out;
  for (const char* png : {"c1_filters.png", "feature_maps.png", "misclassified.png", "confusion.png"})
    EXPECT_TRUE(is_png(dir.file(std::string("ins/") + png))) << png << "\n" << ins.out;
}

#ifdef CONVNET_INIT_STUDY_EXE
TEST_F(Plots, InitStudyDrawsItsTwoFigures) {
  const std::string cmd = std::string(CONVNET_INIT_STUDY_EXE) + " --data " + dir.path() + " --n 50 --depth 3 --width 32" +
                          " --out " + dir.file("init") + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  for (const char* png : {"init_activations.png", "init_gradients.png"})
    EXPECT_TRUE(is_png(dir.file(std::string("init/") + png))) << png;
}
#endif

}  // namespace
