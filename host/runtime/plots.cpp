// host/runtime/plots.cpp: running scripts/plot_*.py (see convnet/plots.h).
#include "convnet/plots.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "convnet/build_config.h"
#include "convnet/error.h"

namespace convnet {

namespace {

bool file_exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// 'text' for a POSIX shell: inside single quotes only ' itself needs care.
std::string shell_quote(const std::string& text) {
  std::string q = "'";
  for (char c : text) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string script_path(const std::string& script) {
  const std::string here = "scripts/" + script;
  if (file_exists(here)) return here;
  return std::string(CONVNET_SOURCE_DIR) + "/scripts/" + script;
}

}  // namespace

std::string plot_command(const std::string& script, const std::string& dir) {
  return "/usr/bin/python3 " + shell_quote(script_path(script)) + " " + shell_quote(dir);
}

void draw_or_offer_plots(const std::string& script, const std::string& dir, bool draw, bool quiet) {
  const std::string cmd = plot_command(script, dir);
  std::fflush(stdout);
  if (!draw) {
    if (!quiet) std::printf("plots: %s\n", cmd.c_str());
    return;
  }
  if (std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") != 0) {
    std::printf("--plots: matplotlib is not available to /usr/bin/python3 (apt-get install python3-matplotlib); "
                "make the plots later with:\n  %s\n",
                cmd.c_str());
    return;
  }
  if (std::system(cmd.c_str()) != 0) throw_error("plotting failed: ", cmd);
}

}  // namespace convnet
