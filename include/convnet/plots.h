// convnet/plots.h: drawing a run's PNGs with the project's plotting scripts.
//
// The engine writes CSV, JSON and .npy files; scripts/plot_*.py turn them into
// PNGs with matplotlib. They run under /usr/bin/python3, which is the
// interpreter that sees Debian's python3-matplotlib (the first python3 on
// PATH may be another one). The scripts are looked up like models/: in
// scripts/ of the working directory, else in the source tree this binary was
// built from, so a build copied to another machine still finds them beside
// the checkout it runs in.
#pragma once

#include <string>

namespace convnet {

// The shell command that draws dir's plots with scripts/<script>, every path
// quoted for the shell.
std::string plot_command(const std::string& script, const std::string& dir);

// draw: runs plot_command when matplotlib is available and throws
// convnet::Error naming the command when it fails; without matplotlib it says
// so and prints the command for later. Not draw: prints the command, unless
// quiet. stdout is flushed first, so the engine's lines come before the
// script's.
void draw_or_offer_plots(const std::string& script, const std::string& dir, bool draw, bool quiet);

}  // namespace convnet
