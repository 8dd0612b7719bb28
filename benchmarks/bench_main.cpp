// benchmarks/bench_main.cpp: convnet-bench, per-op and end-to-end benchmarks.
//
//   convnet-bench [--ops] [--e2e] [--backend cpu|cuda|cudnn|all] [--filter REGEX]
//                 [--reps N] [--batch 64,256] [--threads N] [--steps N]
//                 [--data DIR] [--model FILE] [--no-large] [--seed N]
//                 [--json FILE] [--csv FILE]
//
// Without --ops or --e2e both parts run. Every op result is checked against a
// double-precision CPU reference before it is timed (op_reference.h); GPU
// backends that cannot run here are skipped with the reason. See
// docs/benchmarks.md for the method and the formulas.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "ceilings.h"
#include "convnet/backend.h"
#include "convnet/build_config.h"
#include "convnet/flag_values.h"
#include "convnet/cpu_ops.h"
#include "convnet/error.h"
#include "convnet/mnist.h"
#include "convnet/model.h"
#include "convnet/provenance.h"
#include "convnet/rng.h"
#include "e2e_bench.h"
#include "op_cases.h"
#include "op_runner.h"
#include "report.h"

#if CONVNET_HAVE_CUDA
#include "convnet/cuda_backend.h"
#endif

namespace convnet::bench {
namespace {

const char* kUsage =
    "usage: convnet-bench [options]\n"
    "  --ops              per-op benchmarks (default: both parts)\n"
    "  --e2e              end-to-end training throughput (default: both parts)\n"
    "  --backend B        cpu, cuda, cudnn or all (default all: every usable backend)\n"
    "  --filter REGEX     only rows whose name matches, e.g. 'conv_fwd/C3/b64/cpu' or 'e2e/.*/cpu'\n"
    "  --reps N           timed launches per op (default 20 on the CPU, 100 on a GPU)\n"
    "  --batch LIST       LeNet-5 batch sizes, comma-separated (default 64,256)\n"
    "  --threads N        CPU threads (default 0 = all cores)\n"
    "  --steps N          end-to-end timed steps (default 200)\n"
    "  --data DIR         MNIST directory (default $CONVNET_DATA; random data if absent)\n"
    "  --model FILE       model file (default models/lenet5.net in the source tree)\n"
    "  --no-large         skip the larger non-LeNet op shapes\n"
    "  --seed N           input/weight seed (default 1)\n"
    "  --json FILE        write every result and the provenance as JSON\n"
    "  --csv FILE         write op rows as CSV (end-to-end rows to FILE.e2e.csv)\n";

struct Flags {
  bool ops = false, e2e = false, large = true;
  std::string backend = "all", filter, json, csv, data, model;
  int reps = 0, threads = 0, steps = 200;
  uint64_t seed = 1;
  std::vector<int> batches = {64, 256};
};

Flags parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      CONVNET_CHECK(i + 1 < argc, a, " needs a value (see --help)");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--ops") f.ops = true;
    else if (a == "--e2e") f.e2e = true;
    else if (a == "--no-large") f.large = false;
    else if (a == "--backend") f.backend = value();
    else if (a == "--filter") f.filter = value();
    else if (a == "--reps") f.reps = parse_int_flag(a, value(), 1, 1000000000);
    else if (a == "--threads") f.threads = parse_int_flag(a, value(), 0, 1000000000);
    else if (a == "--steps") f.steps = parse_int_flag(a, value(), 1, 1000000000);
    else if (a == "--seed") f.seed = uint64_t(parse_int_flag(a, value(), 0, 1000000000));
    else if (a == "--json") f.json = value();
    else if (a == "--csv") f.csv = value();
    else if (a == "--data") f.data = value();
    else if (a == "--model") f.model = value();
    else if (a == "--batch") {
      const std::string v = value();
      f.batches.clear();
      size_t start = 0;
      while (start <= v.size()) {
        const size_t comma = v.find(',', start);
        f.batches.push_back(parse_int_flag(a, v.substr(start, comma - start), 1, 1000000000));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else {
      throw_error("unknown argument '", a, "' (see --help)");
    }
  }
  CONVNET_CHECK(f.backend == "all" || f.backend == "cpu" || f.backend == "cuda" || f.backend == "cudnn",
                "--backend: expected cpu, cuda, cudnn or all, got '", f.backend, "'");
  if (!f.ops && !f.e2e) f.ops = f.e2e = true;
  if (f.model.empty()) f.model = std::string(CONVNET_SOURCE_DIR) + "/models/lenet5.net";
  return f;
}

std::string utc_now() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// One implementation the op rows are run on.
struct Impl {
  std::string name;      // "cpu", "cuda", "cuda-direct", "cuda-tiled", "cudnn"
  std::string device;    // "cpu" or "gpu": which ceilings apply
  bool conv_only;        // a conv-variant backend: other ops are identical to "cuda"
  std::unique_ptr<Backend> be;
};

bool wanted(const Flags& f, const std::string& kind) { return f.backend == "all" || f.backend == kind; }

// The data for the end-to-end part: MNIST's training set, or random images
// of the same shape when it is not available (timing does not depend on
// pixel values; the note says so).
Dataset e2e_data(const Flags& f, std::string* note) {
  try {
    return load_mnist(resolve_data_dir(f.data)).train;
  } catch (const Error& e) {
    *note = std::string("random data (MNIST not loaded: ") + e.what() + ")";
  }
  Dataset d;
  d.n = 60000;
  d.c = 1;
  d.h = d.w = 32;
  d.images.resize(size_t(d.n) * 32 * 32);
  d.labels.resize(size_t(d.n));
  Rng rng(f.seed);
  for (auto& v : d.images) v = float(rng.uniform());
  for (auto& v : d.labels) v = int32_t(rng.below(10));
  return d;
}

int run(int argc, char** argv) {
  const Flags f = parse_flags(argc, argv);
  BenchReport rep;
  for (int i = 0; i < argc; ++i) rep.command += (i ? " " : "") + std::string(argv[i]);
  rep.date_utc = utc_now();
  const std::regex filter(f.filter.empty() ? ".*" : f.filter);
  auto selected = [&](const std::string& name) { return std::regex_search(name, filter); };
  BackendOptions bopt;
  bopt.threads = f.threads;

  // ---- which backends can run here ----
  std::vector<std::string> kinds;
  for (const char* k : {"cpu", "cuda", "cudnn"}) {
    if (!wanted(f, k)) continue;
    const std::string why = backend_unavailable_reason(parse_backend_kind(k));
    if (!why.empty()) {
      rep.skipped[k] = why;
      std::printf("%s: skipped: %s\n", k, why.c_str());
      continue;
    }
    kinds.push_back(k);
  }

  const ModelDesc model = load_model_file(f.model);
  std::printf("convnet-bench %s, %s, %s\n", CONVNET_GIT_COMMIT, CONVNET_COMPILER, rep.date_utc.c_str());

  // ---- per-op rows ----
  if (f.ops && !kinds.empty()) {
    std::vector<Impl> impls;
    for (const std::string& k : kinds) {
      if (k == "cpu") impls.push_back({"cpu", "cpu", false, make_cpu_backend(bopt)});
#if CONVNET_HAVE_CUDA
      if (k == "cuda") {
        impls.push_back({"cuda", "gpu", false, make_cuda_backend(bopt, ConvVariant::Auto)});
        impls.push_back({"cuda-direct", "gpu", true, make_cuda_backend(bopt, ConvVariant::Direct)});
        impls.push_back({"cuda-tiled", "gpu", true, make_cuda_backend(bopt, ConvVariant::Tiled)});
      }
#endif
      if (k == "cudnn") impls.push_back({"cudnn", "gpu", false, make_backend("cudnn", bopt)});
    }
    for (const Impl& im : impls)
      if (!im.conv_only) rep.provenance[im.name] = run_provenance(*im.be);

    // Ceilings first: the CPU's before any op runs, the GPU's on its first backend.
    if (kinds.front() == "cpu") {
      rep.ceilings["cpu"] = measure_cpu_ceilings(cpu::num_threads());
      std::printf("%s\n", format_ceilings("cpu", rep.ceilings["cpu"]).c_str());
    }
    for (const Impl& im : impls)
      if (im.device == "gpu" && !rep.ceilings.count("gpu")) {
        rep.ceilings["gpu"] = measure_device_ceilings(*im.be);
        std::printf("%s\n", format_ceilings("gpu", rep.ceilings["gpu"]).c_str());
      }

    std::vector<OpCase> cases = model_op_cases(model, f.batches);
    if (f.large)
      for (const OpCase& c : large_op_cases()) cases.push_back(c);
    std::printf("\n%s\n", format_op_header().c_str());
    for (const OpCase& c : cases) {
      const bool conv = c.op == OpKind::ConvFwd || c.op == OpKind::ConvBwdData || c.op == OpKind::ConvBwdWeights;
      std::vector<Expected> reference;  // computed once per case, shared by the implementations
      for (const Impl& im : impls) {
        if (im.conv_only && !conv) continue;
        if (!selected(op_case_name(c) + "/" + im.name)) continue;
        OpRunConfig cfg;
        const bool cpu = im.device == "cpu";
        cfg.reps = f.reps > 0 ? f.reps : (cpu ? 20 : 100);
        cfg.seed = f.seed;
        // Rotate through buffer sets totalling twice the last-level cache
        // (L3 here; an H100/H200's L2 is 50-60 MB, so 128 MiB on a GPU).
        cfg.rotate_bytes = cpu ? 64u << 20 : 128u << 20;
        OpRow row;
        try {
          row = run_op_case(*im.be, im.name, c, cfg, reference);
        } catch (const Error& e) {
          row.name = op_case_name(c) + "/" + im.name;
          row.op = op_kind_name(c.op);
          row.shape = c.shape;
          row.batch = c.batch;
          row.impl = im.name;
          row.status = "ERROR";
          row.note = e.what();
        }
        auto ceil = rep.ceilings.find(im.device);
        if (ceil != rep.ceilings.end()) apply_ceilings(row, ceil->second, cpu);
        std::printf("%s\n", format_op_row(row).c_str());
        std::fflush(stdout);
        rep.ops.push_back(row);
      }
    }
  }

  // ---- end to end ----
  if (f.e2e && !kinds.empty()) {
    std::string data_note;
    bool loaded = false;
    Dataset data;
    E2eConfig cfg;
    cfg.steps = f.steps;
    cfg.seed = f.seed;
    std::printf("\n");
    for (const std::string& k : kinds) {
      for (int batch : f.batches) {
        const std::string name = "e2e/" + model.name + "/b" + std::to_string(batch) + "/" + k;
        if (!selected(name)) continue;
        if (!loaded) {
          data = e2e_data(f, &data_note);
          loaded = true;
          if (!data_note.empty()) std::printf("e2e: %s\n", data_note.c_str());
        }
        E2eResult r;
        try {
          // A fresh backend per run, so its peak memory is this run's alone.
          std::unique_ptr<Backend> be = make_backend(k, bopt);
          if (!rep.provenance.count(k)) rep.provenance[k] = run_provenance(*be);
          r = run_e2e(*be, k, model, data, batch, cfg);
        } catch (const Error& e) {
          r.impl = k;
          r.batch = batch;
          r.status = "ERROR";
          r.note = e.what();
        }
        if (!data_note.empty()) r.note += (r.note.empty() ? "" : "; ") + data_note;
        std::printf("%s", format_e2e(r).c_str());
        std::fflush(stdout);
        rep.e2e.push_back(r);
      }
    }
  }

  if (!f.json.empty()) write_json(rep, f.json);
  if (!f.csv.empty()) write_csv(rep, f.csv);
  int failed = 0;
  for (const OpRow& r : rep.ops) failed += (r.status == "FAILED" || r.status == "ERROR");
  for (const E2eResult& r : rep.e2e) failed += r.status != "ok";
  if (failed) std::printf("\n%d row(s) FAILED or ERROR: see above\n", failed);
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace convnet::bench

int main(int argc, char** argv) {
  try {
    return convnet::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "convnet-bench: %s\n", e.what());
    return 2;
  }
}
