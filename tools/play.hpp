// `tock play`: run a workflow.
#pragma once

#include <string>
#include <vector>

namespace tock::cmd {

struct PlayOptions {
    std::string flow;
    std::string mode = "live";  // live, simulation
    bool fast = false;          // simulation on the virtual clock
    bool no_detach = false;
    std::string run_dir;  // "" = ~/tock-run/NAME/runN
};
int play(const PlayOptions& o);

// `tock message [--job CYCLE/TASK/NN] MESSAGE...`: from a job to its scheduler.
int message(const std::string& job, const std::vector<std::string>& words);

}  // namespace tock::cmd
