// Bad input to convnet-train: every case gets one clear message naming the
// problem and a non-zero exit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "train/cli_util.h"

using convnet_test::run_train;
using convnet_test::TempDir;
using testing::HasSubstr;

namespace {

class CliErrors : public testing::Test {
 protected:
  void SetUp() override { convnet_test::write_synthetic_mnist(dir.path(), 300, 50); }
  std::string base() const { return "--backend cpu --threads 1 --data " + dir.path() + " --val 32 --out " + dir.file("run") + " --quiet "; }
  TempDir dir;
};

TEST_F(CliErrors, BadFlagValues) {
  struct Case {
    const char* args;
    const char* message;
  } cases[] = {
      {"--lr 0", "--lr must be > 0"},
      {"--lr -0.5", "--lr must be > 0"},
      {"--lr abc", "--lr: expected a finite number, got 'abc'"},
      {"--batch 0", "--batch must be > 0"},
      {"--epochs 0", "--epochs must be > 0"},
      {"--momentum 1.5", "--momentum must be in [0, 1)"},
      {"--frobnicate", "unknown flag '--frobnicate'"},
      {"--batch", "--batch: missing value"},
      {"--lr-sweep 1,-1", "--lr-sweep: every rate must be > 0"},
  };
  for (const Case& c : cases) {
    const auto r = run_train(base() + c.args);
    EXPECT_EQ(r.rc, 2) << c.args << "\n" << r.out;
    EXPECT_THAT(r.out, HasSubstr(c.message)) << c.args;
  }
}

TEST_F(CliErrors, ValidationSetTooLarge) {
  const auto r = run_train(base() + "--val 300");  // the later --val wins
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--val 300 must be smaller than the training set (300 images)"));
}

TEST_F(CliErrors, UnknownBackend) {
  const auto r = run_train(base() + "--backend tpu");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("unknown backend 'tpu'"));
}

TEST_F(CliErrors, MissingDataDirectory) {
  const auto r = run_train("--quiet --out " + dir.file("run") + " --data " + dir.file("nowhere"));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr(dir.file("nowhere")));
}

TEST_F(CliErrors, MissingFile) {
  std::remove(dir.file("t10k-labels-idx1-ubyte.gz").c_str());
  const auto r = run_train(base());
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("t10k-labels-idx1-ubyte"));
}

TEST_F(CliErrors, WrongMagic) {
  // Swap the label file in for the image file: magic 0x801 where 0x803 is due.
  const auto labels = convnet_test::read_bytes(dir.file("train-labels-idx1-ubyte.gz"));
  convnet_test::write_bytes(dir.file("train-images-idx3-ubyte.gz"), labels);
  const auto r = run_train(base());
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("train-images-idx3-ubyte"));
  EXPECT_THAT(r.out, HasSubstr("magic"));
}

TEST_F(CliErrors, TruncatedImages) {
  std::vector<uint8_t> idx = convnet_test::make_idx(0x803, {300, 28, 28}, std::vector<uint8_t>(1000, 5));
  std::remove(dir.file("train-images-idx3-ubyte.gz").c_str());
  convnet_test::write_bytes(dir.file("train-images-idx3-ubyte"), idx);
  const auto r = run_train(base());
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("truncated"));
}

TEST_F(CliErrors, ImageLabelCountMismatch) {
  std::vector<uint8_t> lbl = convnet_test::make_idx(0x801, {299}, std::vector<uint8_t>(299, 1));
  std::remove(dir.file("train-labels-idx1-ubyte.gz").c_str());
  convnet_test::write_bytes(dir.file("train-labels-idx1-ubyte"), lbl);
  const auto r = run_train(base());
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("300"));
  EXPECT_THAT(r.out, HasSubstr("299"));
}

TEST_F(CliErrors, ModelFileProblems) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"input 1 32 32\nconv C1 out=6 kernel=5\nsquash\nsoftmax_ce\n", "squash"},
      {"input 1 32 32\nconv C1 out=six kernel=5\nsoftmax_ce\n", "six"},
      {"input 1 32 32\nconv C1 out=6 kernel=40\nsoftmax_ce\n", "C1"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string path = dir.file("m" + std::to_string(i++) + ".net");
    const std::string text = c.text;
    convnet_test::write_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
    const auto r = run_train(base() + "--model " + path);
    EXPECT_EQ(r.rc, 1) << c.text << "\n" << r.out;
    EXPECT_THAT(r.out, HasSubstr(c.message)) << c.text;
    EXPECT_THAT(r.out, HasSubstr(path)) << "the message should name the file";
  }
}

TEST_F(CliErrors, ModelInputDoesNotFitMnist) {
  const std::string path = dir.file("small.net");
  const std::string text = "input 3 32 32\nlinear out=10\nsoftmax_ce\n";
  convnet_test::write_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
  const auto r = run_train(base() + "--model " + path);
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("MNIST needs 1xSxS"));
}

TEST_F(CliErrors, CheckpointForAnotherModel) {
  ASSERT_EQ(run_train(base() + "--epochs 1 --max-steps 2").rc, 0);
  const std::string path = dir.file("other.net");
  const std::string text = "input 1 32 32\nconv A out=4 kernel=5\nrelu\nlinear B out=10\nsoftmax_ce\n";
  convnet_test::write_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
  const auto r = run_train(base() + "--model " + path + " --eval " + dir.file("run/checkpoint.safetensors"));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("another model"));
}

TEST_F(CliErrors, CorruptCheckpoint) {
  convnet_test::write_bytes(dir.file("bad.safetensors"), {1, 2, 3});
  const auto r = run_train(base() + "--eval " + dir.file("bad.safetensors"));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("bad.safetensors"));
}

TEST_F(CliErrors, UnavailableBackendIsAClearError) {
  // On a machine without a GPU (or a build without CUDA) asking for cuda is an
  // error that says why; with a GPU it trains. Either way: no crash.
  const auto r = run_train(base() + "--backend cuda --epochs 1 --max-steps 2");
  if (r.rc != 0) {
    EXPECT_EQ(r.rc, 1) << r.out;
    EXPECT_THAT(r.out, HasSubstr("--backend cuda cannot run"));
  }
}

}  // namespace
