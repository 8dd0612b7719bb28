// convnet-train end to end on a small synthetic dataset (and on real MNIST
// when CONVNET_DATA is set): files written, determinism, resume, divergence.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "convnet/init.h"
#include "convnet/safetensors.h"
#include "train/cli_util.h"

using convnet_test::run_train;
using convnet_test::slurp;
using convnet_test::TempDir;
using testing::HasSubstr;

namespace {

class TrainRuns : public testing::Test {
 protected:
  void SetUp() override { convnet_test::write_synthetic_mnist(dir.path(), 1200, 200); }
  std::string base(const std::string& out) const {
    return "--backend cpu --threads 1 --quiet --data " + dir.path() + " --val 128 --out " + dir.file(out) + " ";
  }
  TempDir dir;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string l;
  while (std::getline(ss, l)) out.push_back(l);
  return out;
}

TEST_F(TrainRuns, WritesItsFilesAndLearns) {
  const auto r = run_train(base("a") + "--epochs 3");
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto metrics = lines_of(slurp(dir.file("a/metrics.csv")));
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_EQ(metrics[0], "epoch,train_loss,train_error,val_loss,val_error,train_seconds,eval_seconds,images_per_second");
  const auto steps = lines_of(slurp(dir.file("a/steps.csv")));
  EXPECT_EQ(steps.size(), 1u + 3u * ((1200 - 128) / 64));
  const std::string summary = slurp(dir.file("a/summary.json"));
  for (const char* key : {"\"backend\": \"cpu\"", "\"test_error\"", "\"test_loss\"", "\"val_error\"",
                          "\"train_seconds\"", "\"images_per_second\"", "\"peak_memory_bytes\"", "\"git_commit\"",
                          "\"compiler\"", "\"blas\"", "\"threads\"", "\"seed\": 1"})
    EXPECT_THAT(summary, HasSubstr(key));
  // No --init: the run uses, and records, the default that --help states.
  EXPECT_THAT(summary, HasSubstr(std::string("\"init\": \"") + convnet::kDefaultInitScheme + "\""));
  EXPECT_THAT(run_train("--help").out, HasSubstr(std::string("(default ") + convnet::kDefaultInitScheme + ")"));
  // The synthetic classes are easy: after 3 epochs the test error is small.
  EXPECT_THAT(r.out, HasSubstr("test error"));
  const size_t pos = summary.find("\"test_error\": ");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_LT(std::atof(summary.c_str() + pos + 14), 0.10) << summary;
}

TEST_F(TrainRuns, SameSeedSameLossesBitForBit) {
  ASSERT_EQ(run_train(base("a") + "--epochs 2").rc, 0);
  ASSERT_EQ(run_train(base("b") + "--epochs 2").rc, 0);
  EXPECT_EQ(slurp(dir.file("a/steps.csv")), slurp(dir.file("b/steps.csv")));
  const auto a = convnet::read_safetensors(dir.file("a/checkpoint.safetensors"));
  const auto b = convnet::read_safetensors(dir.file("b/checkpoint.safetensors"));
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (size_t i = 0; i < a.tensors().size(); ++i) EXPECT_EQ(a.tensors()[i].bytes, b.tensors()[i].bytes);
  // A different seed gives a different run.
  ASSERT_EQ(run_train(base("c") + "--epochs 1 --seed 2").rc, 0);
  EXPECT_NE(lines_of(slurp(dir.file("a/steps.csv")))[1], lines_of(slurp(dir.file("c/steps.csv")))[1]);
}

TEST_F(TrainRuns, ResumeContinuesBitForBit) {
  for (const char* extra : {"", "--momentum 0.9 "}) {
    SCOPED_TRACE(extra);
    ASSERT_EQ(run_train(base("full") + extra + "--epochs 3").rc, 0);
    ASSERT_EQ(run_train(base("part") + extra + "--epochs 2").rc, 0);
    const auto r = run_train(base("part") + extra + "--epochs 3 --resume " + dir.file("part/checkpoint.safetensors"));
    ASSERT_EQ(r.rc, 0) << r.out;
    EXPECT_EQ(slurp(dir.file("full/steps.csv")), slurp(dir.file("part/steps.csv")));
    const auto a = convnet::read_safetensors(dir.file("full/checkpoint.safetensors"));
    const auto b = convnet::read_safetensors(dir.file("part/checkpoint.safetensors"));
    ASSERT_EQ(a.tensors().size(), b.tensors().size());
    for (size_t i = 0; i < a.tensors().size(); ++i) {
      EXPECT_EQ(a.tensors()[i].name, b.tensors()[i].name);
      EXPECT_EQ(a.tensors()[i].bytes, b.tensors()[i].bytes) << a.tensors()[i].name;
    }
  }
}

TEST_F(TrainRuns, NanLossStopsAndKeepsTheLastGoodCheckpoint) {
  ASSERT_EQ(run_train(base("a") + "--epochs 1").rc, 0);
  const std::string ckpt = dir.file("a/checkpoint.safetensors");
  const std::string before = slurp(ckpt);
  // A learning rate of 1e30 overflows the weights within a few steps.
  const auto r = run_train(base("a") + "--epochs 3 --lr 1e30 --resume " + ckpt);
  EXPECT_EQ(r.rc, 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("loss became NaN or Inf at epoch 2, step "));
  EXPECT_THAT(r.out, HasSubstr("the last good checkpoint (epoch 1) is kept at " + ckpt));
  EXPECT_EQ(slurp(ckpt), before) << "the checkpoint must not change";
}

TEST_F(TrainRuns, NanInTheFirstEpochSaysNoCheckpoint) {
  const auto r = run_train(base("a") + "--epochs 1 --lr 1e30");
  EXPECT_EQ(r.rc, 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("at epoch 1, step "));
  EXPECT_THAT(r.out, HasSubstr("no checkpoint had been written yet"));
}

TEST_F(TrainRuns, EvalReadsACheckpoint) {
  ASSERT_EQ(run_train(base("a") + "--epochs 2").rc, 0);
  const auto r = run_train(base("a") + "--eval " + dir.file("a/checkpoint.safetensors"));
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("(epoch 2)"));
  EXPECT_THAT(r.out, HasSubstr("test error"));
}

TEST_F(TrainRuns, KeepBestReportsTheBestValidationEpoch) {
  const auto r = run_train(base("a") + "--epochs 2 --keep-best");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_THAT(slurp(dir.file("a/summary.json")), HasSubstr("\"reported_epoch\""));
  EXPECT_EQ(std::ifstream(dir.file("a/best.safetensors")).good(), true);
}

TEST(TrainSummary, LeNet5Table) {
  const auto r = run_train("--summary --model " + std::string(CONVNET_SOURCE_DIR) + "/models/lenet5.net");
  ASSERT_EQ(r.rc, 0) << r.out;
  for (const char* s : {"C1", "S2", "C3", "S4", "C5", "F6", "61,706", "memory plan"}) EXPECT_THAT(r.out, HasSubstr(s));
}

// The acceptance check: one epoch of LeNet-5 on real MNIST, CPU.
TEST(RealMnist, OneEpochOnCpuUnderThreePercent) {
  const char* data = std::getenv("CONVNET_DATA");
  if (!data || !*data) GTEST_SKIP() << "CONVNET_DATA is not set: skipping the real-MNIST training test";
  TempDir dir;
  const auto r = run_train(std::string("--backend cpu --epochs 1 --quiet --data ") + data + " --out " + dir.path());
  ASSERT_EQ(r.rc, 0) << r.out;
  const std::string summary = slurp(dir.file("summary.json"));
  const size_t pos = summary.find("\"test_error\": ");
  ASSERT_NE(pos, std::string::npos) << summary;
  const double err = std::atof(summary.c_str() + pos + 14);
  std::printf("LeNet-5, 1 epoch, cpu: test error %.2f%%\n", 100 * err);
  EXPECT_LT(err, 0.03);
}

}  // namespace
