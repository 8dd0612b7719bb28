// tests/data/get_mnist_script_test.cpp: scripts/get-mnist.sh, run for real.
//
// This machine reaches no download mirror, so we test what can be tested
// offline: the failure message when every mirror is unreachable, copying
// from a local source (CONVNET_MNIST_SOURCE) with md5 verification, the
// "already present" skip, and rejection of corrupt files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "convnet/mnist.h"
#include "data_test_util.h"

using namespace convnet;
using namespace convnet_test;

namespace {

const std::string kScript = std::string(CONVNET_SOURCE_DIR) + "/scripts/get-mnist.sh";
const char* kFiles[4] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};

// Runs the script with a clean MNIST environment plus `env`; returns the
// exit status, stdout+stderr in *out.
int run_script(const std::string& env, const std::string& dir, std::string* out) {
  const std::string cmd = "env -u CONVNET_DATA -u CONVNET_MNIST_SOURCE -u CONVNET_MNIST_MIRRORS " +
                          env + " bash '" + kScript + "' '" + dir + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, got);
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool have(const char* tool) {
  const std::string cmd = std::string("command -v ") + tool + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

bool has_leftovers(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().find(".part") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(GetMnistScript, OfflineFailsClearly) {
  if (!have("bash") || !have("md5sum") || !(have("curl") || have("wget")))
    GTEST_SKIP() << "needs bash, md5sum and curl or wget";
  TempDir dir;
  // Port 9 (discard) on localhost: nothing listens, so every mirror fails
  // at once, as on a machine without network.
  std::string out;
  const int rc = run_script("CONVNET_MNIST_MIRRORS='http://127.0.0.1:9/a/ http://127.0.0.1:9/b/'",
                            dir.file("m"), &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("could not download train-images-idx3-ubyte.gz from any mirror (tried: "
                     "http://127.0.0.1:9/a/train-images-idx3-ubyte.gz "
                     "http://127.0.0.1:9/b/train-images-idx3-ubyte.gz): are you offline?"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("CONVNET_MNIST_SOURCE"), std::string::npos) << out;
  EXPECT_FALSE(has_leftovers(dir.file("m")));
}

TEST(GetMnistScript, CorruptSourceIsRejected) {
  if (!have("bash") || !have("md5sum")) GTEST_SKIP() << "needs bash and md5sum";
  TempDir src, dir;
  for (const char* f : kFiles) write_bytes(src.file(f), {'n', 'o', 't', ' ', 'm', 'n', 'i', 's', 't'});
  std::string out;
  const int rc = run_script("CONVNET_MNIST_SOURCE='" + src.path() + "'", dir.file("m"), &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("train-images-idx3-ubyte.gz from " + src.file(kFiles[0]) + ": md5 "),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("expected f68b3c2dcbeaaa9fbdd348bbdeb94873"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir.file("m/train-images-idx3-ubyte.gz")));
  EXPECT_FALSE(has_leftovers(dir.file("m")));

  out.clear();
  EXPECT_EQ(run_script("CONVNET_MNIST_SOURCE='" + src.file("nope") + "'", dir.file("m"), &out), 1);
  EXPECT_NE(out.find("CONVNET_MNIST_SOURCE=" + src.file("nope") + " is not a directory"),
            std::string::npos)
      << out;
}

TEST(GetMnistScript, CopiesFromLocalSourceThenSkips) {
  if (!have("bash") || !have("md5sum")) GTEST_SKIP() << "needs bash and md5sum";
  const char* data = std::getenv("CONVNET_DATA");
  if (!data || !*data)
    GTEST_SKIP() << "CONVNET_DATA is not set: no real MNIST files to copy from";
  for (const char* f : kFiles)
    if (!std::filesystem::exists(std::string(data) + "/" + f))
      GTEST_SKIP() << "CONVNET_DATA=" << data << " lacks " << f << " (the .gz files are needed)";

  TempDir dir;
  const std::string target = dir.file("mnist");
  std::string out;
  ASSERT_EQ(run_script(std::string("CONVNET_MNIST_SOURCE='") + data + "'", target, &out), 0) << out;
  for (const char* f : kFiles) {
    EXPECT_NE(out.find(std::string(f) + ": ok (from "), std::string::npos) << out;
    EXPECT_EQ(read_bytes(target + "/" + f), read_bytes(std::string(data) + "/" + f)) << f;
  }
  EXPECT_NE(out.find("export CONVNET_DATA="), std::string::npos) << out;

  // Second run: nothing to do, even with no source and no network.
  out.clear();
  ASSERT_EQ(run_script("CONVNET_MNIST_MIRRORS=http://127.0.0.1:9/", target, &out), 0) << out;
  for (const char* f : kFiles)
    EXPECT_NE(out.find(std::string(f) + ": already present, md5 ok"), std::string::npos) << out;

  // A damaged file is fetched again.
  write_bytes(target + "/" + kFiles[3], {1, 2, 3});
  out.clear();
  ASSERT_EQ(run_script(std::string("CONVNET_MNIST_SOURCE='") + data + "'", target, &out), 0) << out;
  EXPECT_NE(out.find(std::string(kFiles[3]) + ": present but md5 differs"), std::string::npos) << out;
  EXPECT_FALSE(has_leftovers(target));

  // And the result is loadable.
  const MnistFiles f = find_mnist_files(target);
  EXPECT_EQ(f.test_labels, target + "/" + kFiles[3]);
}
