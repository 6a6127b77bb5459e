// `tock play`: run a workflow.
#pragma once

#include <string>

namespace tock::cmd {

struct PlayOptions {
    std::string flow;
    std::string mode = "live";  // live, simulation
    bool fast = false;          // simulation on the virtual clock
    bool no_detach = false;
};
int play(const PlayOptions& o);

}  // namespace tock::cmd
