// provenance.cpp: facts about this build, for summary.json and bench output.
#include <fstream>
#include <string>
#include <thread>

#include "convnet/build_config.h"
#include "convnet/provenance.h"

namespace convnet {

std::map<std::string, std::string> build_provenance() {
  std::map<std::string, std::string> p;
  p["git_commit"] = CONVNET_GIT_COMMIT;
  p["compiler"] = CONVNET_COMPILER;
  p["cuda_backend_built"] = CONVNET_HAVE_CUDA ? "yes" : "no";
  p["cudnn_backend_built"] = CONVNET_HAVE_CUDNN ? "yes" : "no";
  if (CONVNET_HAVE_CUDA) p["cuda_architectures"] = CONVNET_CUDA_ARCHS;
  p["hardware_threads"] = std::to_string(std::thread::hardware_concurrency());
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) p["cpu_model"] = line.substr(colon + 2);
      break;
    }
  }
  return p;
}

std::map<std::string, std::string> run_provenance(const Backend& be) {
  std::map<std::string, std::string> p = build_provenance();
  for (const auto& [k, v] : be.provenance()) p[k] = v;
  p["backend"] = be.name();
  return p;
}

}  // namespace convnet
