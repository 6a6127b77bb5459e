// `tock play`: run a workflow.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/workflow.hpp"
#include "scheduler/curve.hpp"

namespace tock::cmd {

struct PlayOptions {
    std::string flow;
    std::string mode = "live";  // live, simulation, skip
    bool fast = false;          // simulation on the virtual clock
    bool no_detach = false;
    std::string run_dir;          // "" = ~/tock-run/NAME/runN
    config::Overrides overrides;  // --initial-cycle, --final-cycle, --stop-after, --hold-after
    std::vector<std::string> start_tasks;  // --start-task CYCLE/TASK
    std::string start_cycle_point;         // --start-cycle-point: a warm start
    bool paused = false;                   // --pause: start paused
    bool reloaded = false;      // started again by `tock reload` in a detached scheduler's place
    std::string host_port;      // --host-port HOST:PORT: also listen on TCP (CurveZMQ)
    bool db_in_memory = false;  // benchmarks only: the store writes to memory (no restart)
    bool vars_given = false;    // --set or --set-file was given (refused on a restart)
    std::vector<std::string> place;  // --place COMPONENT=WHERE (docs/placement.md)
};
int play(const PlayOptions& o);

// A run's workflow as a restart loads it: RUN_DIR/flow.yaml with the options
// the run was installed with (its database). nullopt with `why` if not.
struct LoadedRun {
    config::Workflow wf;
    config::Overrides overrides;
};
std::optional<LoadedRun> load_run(const std::string& run_dir, std::string& why);
// A key pair file of a run's .service directory ({"public", "secret"}).
CurveKeys read_keys(const std::string& path);
// The --set values a run was installed with, from its database's "vars"
// parameter (JSON; nullopt or unreadable: none).
std::map<std::string, std::string> recorded_vars(const std::optional<std::string>& json);
// This program's path (/proc/self/exe), to run it again.
std::string self_exe();
// The latest run of workflow NAME under ~/tock-run that has a run database.
std::optional<std::string> latest_run(const std::string& name);

// The directory of run RUN_DIR's local (ipc://) endpoints, whatever the
// length of RUN_DIR (a Unix socket's path holds at most 107 bytes): a
// directory named by a hash of the run directory's real path, under
// $XDG_RUNTIME_DIR/tock or else /tmp/tock-UID, each of them the user's own
// and closed to others (0700). With `create`, made (and checked) as needed;
// "" with `why` set if it cannot be had safely.
std::string socket_dir(const std::string& run_dir, bool create, std::string& why);

// `tock history [--run-dir DIR] [NAME//]CYCLE/TASK`: a task's events from the
// run database.
int history(const std::string& run, const std::string& task);

// `tock message [--job CYCLE/TASK/NN] MESSAGE...`: from a job to its scheduler.
int message(const std::string& job, const std::vector<std::string>& words);

}  // namespace tock::cmd
