// What tock says to batch systems and reads back from them: the text of the
// Slurm and at commands and their output. Pure functions, unit-tested
// (tests/test_runners.cpp); the job_submit component runs the commands.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/workflow.hpp"

namespace tock::runners {

// Where a job is in a batch system.
enum class Phase {
    queued,   // waiting for its turn (Slurm PENDING, at's queue)
    running,  // its script runs
    ended,    // over, by its own end: job.status says how
    failed,   // over, ended by the batch system (cancelled, node failure,
              // time limit, out of memory ...): `reason` says why
};

struct RunnerState {
    std::string id;
    Phase phase = Phase::queued;
    std::string reason;   // Slurm's state and reason ("PENDING (Resources)")
    std::string command;  // the job's script, where the batch system says
};

// ---- Slurm ----------------------------------------------------------------

// The #SBATCH lines of a job: its name, then the task's directives in order (`--time: "10"` ->
// `#SBATCH --time=10`, `--exclusive: ""` -> `#SBATCH --exclusive`). A task
// with an execution time limit and no --time directive gets --time from it,
// in whole minutes rounded up, as in Cylc.
// (The job's output and error files go on sbatch's command line, where a
// path with spaces is one argument.)
std::string slurm_header(const std::string& job_name,
                         const std::vector<std::pair<std::string, std::string>>& directives,
                         const std::optional<config::Interval>& time_limit);

// `sbatch --parsable` prints "ID" or "ID;CLUSTER": the id, if that is what
// it printed.
std::optional<std::string> parse_sbatch(std::string_view out);

// The jobs in `squeue -h -t all -o '%i|%T|%r|%o'` output (id, state,
// reason, command). Lines that do not parse are skipped.
std::vector<RunnerState> parse_squeue(std::string_view out);

// A Slurm job state (PENDING, RUNNING, COMPLETED, NODE_FAIL ...) as a phase.
Phase slurm_phase(std::string_view state);

// ---- at -------------------------------------------------------------------

// `at` prints "job N at DATE" (on its standard error): N.
std::optional<std::string> parse_at(std::string_view out);

// The jobs in `atq` output ("N<TAB>DATE QUEUE USER"): queue "=" is running.
std::vector<RunnerState> parse_atq(std::string_view out);

}  // namespace tock::runners
