#include "tools/help.hpp"

#include <fmt/format.h>

#include <map>

namespace tock::help {

namespace {

const char* const kOverview = R"(tock - an event-driven scheduler for cycling workflows

Usage: tock COMMAND [OPTIONS]

Commands:
  validate   check a workflow file: every error with file:line:col, or a summary
  list       a workflow's tasks, or its family tree (--tree)
  graph      the expanded graph over a range of cycle points (text, dot, svg)
  play       run a workflow: live, simulation or skip; detached or not
  history    a task's event history, from its run database
  message    from a job: send a message (an output) to the scheduler
  demo       run the runtime demo: a ticker, a worker and a monitor talking
             over the bus and the RPC channel, with real child processes
  help       show this overview, or the help of one command: tock help demo
  version    print tock's version

Every command also takes --help. The documentation is in docs/: workflow.md
for writing workflows, commands.md for the commands, architecture.md for
how tock works.
)";

const std::map<std::string, const char*> kTopics = {
    {"demo", R"(tock demo [--ticks N] [--period SECONDS] [--virtual] [--command CMD]

Runs three components in one process that know each other only by endpoint:
a ticker publishes "tick" on the bus every period; a driver receives each
tick and calls the worker over the RPC channel; the worker runs CMD as a child
process and publishes job.started / job.done; a monitor prints it all.

  --ticks N         how many ticks (default 5)
  --period SECONDS  time between ticks (default 1)
  --virtual         run on the virtual clock: no waiting between ticks, but the
                    jobs are still real processes
  --command CMD     the job, run with sh -c; $TOCK_DEMO_TICK holds the tick

Exit status: 0 when every job succeeded, 1 when one failed, 2 on bad options.

Example:
  tock demo --ticks 24 --period 3600 --virtual   # a day of hourly ticks, at once
)"},
    {"validate", R"(tock validate FLOW.yaml

Reads and checks a workflow file. Exit 0 with a one-line summary (tasks,
families, and the cycle points of each recurrence up to the final point), or
exit 1 with every error found, each as FILE:LINE:COL: error: what is wrong
and how to fix it.

Example:
  tock validate examples/forecast.yaml
)"},
    {"list", R"(tock list FLOW.yaml [--tree]

The tasks of the workflow, one a line; with --tree, the family tree under
root (a task with several parents appears under each).
)"},
    {"graph", R"(tock graph FLOW.yaml [--from POINT] [--to POINT] [--format text|dot|svg] [-o FILE]

The graph expanded over cycle points (default: from the initial point, ten
cycle points or up to the final point, whichever comes first).
  text  one task instance a line with what triggers it:
        CYCLE/TASK <= CYCLE/UP:OUTPUT & ...
  dot   graphviz source
  svg   drawn by graphviz's dot (apt-get install graphviz)

Example:
  tock graph examples/forecast.yaml --from 2026-01-01T00Z --to 2026-01-01T12Z
)"},
    {"play", R"(tock play FLOW.yaml [--no-detach] [--mode live|simulation|skip] [--fast]
                    [--run-dir DIR] [--initial-cycle P] [--final-cycle P]
                    [--start-task CYCLE/TASK]... [--stop-after P] [--hold-after P]
tock play NAME [--no-detach]             restart the latest run of NAME
tock play --run-dir DIR [--no-detach]    restart the run in DIR

Runs a workflow in a new run directory (--run-dir, or ~/tock-run/NAME/runN).
An existing run is never overwritten: `tock play NAME` or --run-dir of a run
restarts it from its database (DIR/db) with the options it was started with;
jobs that were active are reconciled from their job.status and processes,
never launched twice. A run that completed is not started again.
Detached by default: returns once the scheduler is up (its contact file
written), printing where the run is and its pid; the log is in
DIR/log/scheduler/log. --no-detach stays in the foreground, printing each
event and a progress line.
  live        (default) jobs are bash scripts run in the background; a job
              is running once its script is exec'd, succeeds when it says
              succeeded (its script's last word, as in Cylc) or exits 0;
              exiting otherwise before that fails it
  simulation  no jobs: each task "runs" for its simulation run_length
              (default PT10S); fails at simulation.fail_cycle_points
  skip        no jobs: each task completes its required outputs at once
  --fast      simulation or skip on the virtual clock: a year in a second
  --initial-cycle, --final-cycle   replace scheduling.initial / final
  --start-task  start from these tasks (a warm start)
  --stop-after  run nothing after this point; end when it is done
  --hold-after  hold the tasks after this point

Exit status: 0 complete (or stopped at --stop-after); 1 stalled or failed;
2 bad options; 3 stopped by SIGINT/SIGTERM. The reason is on the last line.
DIR/log/scheduler/reference records what ran (since the last start);
DIR/db records everything (docs/database.md). See docs/commands.md.

Example:
  tock play examples/quickstart.yaml --no-detach
  tock play examples/forecast.yaml --mode simulation --fast --no-detach
)"},
    {"history", R"(tock history [--run-dir DIR] [NAME//]CYCLE/TASK

Prints a task's event history from its run's database: every event (triggered,
submitted, started, outputs, messages, succeeded, failed, retries ...) with
its time, job number, the state it left the task in, and its detail (what
triggered it, the pid, the exit status). NAME is a workflow under ~/tock-run
(its latest run); --run-dir names a run directory. See docs/database.md.

Example:
  tock play examples/quickstart.yaml --no-detach --run-dir /tmp/qs
  tock history --run-dir /tmp/qs 2026-01-01T06Z/model
)"},
    {"message", R"(tock message [--job CYCLE/TASK/NN] MESSAGE...

From inside a job: tell the scheduler something. A message equal to one of
the task's outputs' messages completes that output.

Example (in a task's script):
  tock message "restart file written"
)"},
    {"help", "tock help [COMMAND]: the overview, or one command's help.\n"},
    {"version", "tock version: print the version of tock.\n"},
};

}  // namespace

bool print(const std::string& topic) {
    if (topic.empty()) {
        fmt::print("{}", kOverview);
        return true;
    }
    auto it = kTopics.find(topic);
    if (it == kTopics.end()) return false;
    fmt::print("{}", it->second);
    return true;
}

}  // namespace tock::help
