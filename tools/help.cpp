#include "tools/help.hpp"

#include <fmt/format.h>

#include <map>

namespace tock::help {

namespace {

const char* const kOverview = R"~(tock - an event-driven scheduler for cycling workflows

Usage: tock COMMAND [OPTIONS]

Commands:
  validate   check a workflow file: every error with file:line:col, or a summary
  list       a workflow's tasks, or its family tree (--tree)
  graph      the expanded graph over a range of cycle points (text, dot, svg)
  play       run a workflow: live, simulation or skip; detached or not
  history    a task's event history, from its run database
  message    from a job: send a message (an output) to the scheduler

Operating a running workflow (ids: NAME//CYCLE/TASK, globs, :STATE):
  stop       stop it: after active jobs (default), --now, --kill, --after, --wall-clock
  pause      submit no new jobs;  resume: carry on
  hold       hold tasks (--after CYCLE, --all);  release: release them
  trigger    run tasks now, whatever they wait for
  kill       kill active jobs;  poll: check active jobs now
  set        complete outputs (--out) or prerequisites (--pre) by hand
  remove     take tasks out of the pool
  broadcast  change the runtime of jobs to come (--set, --clear, --display)
  show       a task's state, prerequisites, outputs and job
  status     the tasks by cycle point, live;  dump: the whole state as JSON
  scan       the workflows running (--all: every run, with its last status)
  cat-log    print or follow a scheduler log or a job's file (--tail)
  clean      delete a run directory (never one whose scheduler is alive)
  demo       run the runtime demo: a ticker, a worker and a monitor talking
             over the bus and the RPC channel, with real child processes
  help       show this overview, or the help of one command: tock help demo
  version    print tock's version

Every command also takes --help. The documentation is in docs/: workflow.md
for writing workflows, commands.md for the commands, architecture.md for
how tock works.
)~";

const std::map<std::string, const char*> kTopics = {
    {"demo", R"~(tock demo [--ticks N] [--period SECONDS] [--virtual] [--command CMD]

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
)~"},
    {"validate", R"~(tock validate FLOW.yaml

Reads and checks a workflow file. Exit 0 with a one-line summary (tasks,
families, and the cycle points of each recurrence up to the final point), or
exit 1 with every error found, each as FILE:LINE:COL: error: what is wrong
and how to fix it.

Example:
  tock validate examples/forecast.yaml
)~"},
    {"list", R"~(tock list FLOW.yaml [--tree]

The tasks of the workflow, one a line; with --tree, the family tree under
root (a task with several parents appears under each).
)~"},
    {"graph", R"~(tock graph FLOW.yaml [--from POINT] [--to POINT] [--format text|dot|svg] [-o FILE]

The graph expanded over cycle points (default: from the initial point, ten
cycle points or up to the final point, whichever comes first).
  text  one task instance a line with what triggers it:
        CYCLE/TASK <= CYCLE/UP:OUTPUT & ...
  dot   graphviz source
  svg   drawn by graphviz's dot (apt-get install graphviz)

Example:
  tock graph examples/forecast.yaml --from 2026-01-01T00Z --to 2026-01-01T12Z
)~"},
    {"play", R"~(tock play FLOW.yaml [--no-detach] [--mode live|simulation|skip] [--fast]
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
)~"},
    {"history", R"~(tock history [--run-dir DIR] [NAME//]CYCLE/TASK

Prints a task's event history from its run's database: every event (triggered,
submitted, started, outputs, messages, succeeded, failed, retries ...) with
its time, job number, the state it left the task in, and its detail (what
triggered it, the pid, the exit status). NAME is a workflow under ~/tock-run
(its latest run); --run-dir names a run directory. See docs/database.md.

Example:
  tock play examples/quickstart.yaml --no-detach --run-dir /tmp/qs
  tock history --run-dir /tmp/qs 2026-01-01T06Z/model
)~"},
    {"message", R"~(tock message [--job CYCLE/TASK/NN] MESSAGE...

From inside a job: tell the scheduler something. A message equal to one of
the task's outputs' messages completes that output.

Example (in a task's script):
  tock message "restart file written"
)~"},
    {"scan", R"~(tock scan [--all] [--json]

The workflow runs under ~/tock-run (NAME/runN): by default those whose
scheduler is alive, with --all every run. A scheduler is alive when its
contact file (RUN/.service/contact) exists and it holds the run's lock
(RUN/.service/lock); a contact file without the lock was left by a
scheduler that died (kill -9, a crash).
  STATE     a live scheduler's own: running, paused or stopping; otherwise
            the run's last status from its database (complete, stopped,
            stalled ...), "stopped (contact file left by a dead scheduler)",
            or "stopped (unfinished)" for a run that ended without a status
            (restart it with tock play NAME)
  HOST:PID  where the live scheduler runs
  --all     every run, not only the live ones
  --json    a JSON array: name, run_dir, state, live, host, pid, status
Runs made with --run-dir outside ~/tock-run are not listed.

Example:
  tock scan
  tock scan --all --json
)~"},
    {"cat-log", R"~(tock cat-log NAME[//CYCLE/TASK[/JOB]] [-f log|out|err|job|status] [--tail]
tock cat-log --run-dir DIR [CYCLE/TASK[/JOB]] [-f ...] [--tail]

Prints a file of a run: the latest run of NAME under ~/tock-run, the run
NAME/runN, or the run in DIR. NAME alone: the scheduler log
(DIR/log/scheduler/log). With a task: a file of its latest job, or of JOB
(1, 01; NN is the latest), in DIR/log/job/CYCLE/TASK/NN/. CYCLE may be
written in any form the workflow's cycling accepts.
  -f log     the scheduler log (the default without a task)
  -f out     job.out, the job's stdout (the default with a task)
  -f err     job.err, its stderr
  -f job     the job script
  -f status  job.status: its pid, the messages it sent, how it ended
  --tail     print the file, then follow it as it grows (like tail -f, into
             a new file when the log is rotated) until the job ends
             (job.status says it exited, or its process is gone) or, for
             the scheduler log, until the scheduler ends; or Ctrl-C

Exit status: 0; 1 if the run, task, job or file does not exist (the
message says which); 2 on bad usage (an unknown -f, a malformed id).

Example:
  tock cat-log quickstart//2026-01-01T06Z/model -f err
  tock cat-log quickstart --tail
)~"},
    {"clean", R"~(tock clean NAME [--yes]           delete the latest run of NAME
tock clean NAME/runN [--yes]      delete that run
tock clean NAME --all [--yes]     delete every run of NAME
tock clean --run-dir DIR [--yes]  delete the run in DIR

Deletes run directories: database, logs, job files. A run whose scheduler
is alive (it holds the run's lock) is refused, naming its pid: stop the
scheduler first. A directory that is not a tock run is never deleted. Each
directory deleted is printed; ~/tock-run/NAME goes with its last run.
  --all     every run of NAME (none is deleted if one is alive)
  -y,--yes  do not ask; without it, clean asks on a terminal and refuses
            (status 2) elsewhere

Exit status: 0 deleted; 1 refused, nothing to delete, or not confirmed;
2 bad usage, or no --yes off a terminal.

Example:
  tock clean quickstart --all --yes
)~"},
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
