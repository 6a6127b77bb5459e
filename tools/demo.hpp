// `tock demo`: the runtime at work, end to end, in one process.
#pragma once

#include <string>

namespace tock::demo {

struct Options {
    int ticks = 5;
    double period_s = 1.0;
    bool virtual_clock = false;
    std::string command = "echo \"  job $TOCK_DEMO_TICK: hello from pid $$\"";
};

// Runs the demo; returns the process exit code (0 when every job succeeded).
int run(const Options& opts);

}  // namespace tock::demo
