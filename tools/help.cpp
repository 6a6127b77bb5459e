#include "tools/help.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

namespace tock::help {

namespace {

// What the operator commands share, printed before their example.
const char* const kRun = R"~(

NAME is a workflow (its latest run), NAME/runN or a run directory.)~";
const char* const kIds = R"~( A task id
is NAME//CYCLE/TASK, NAME//CYCLE/FAMILY or NAME//CYCLE, with globs (* ? [..])
and a :STATE filter, as in 'NAME//*/model:failed'; ids after the first may
leave out NAME. A glob in CYCLE, or :STATE, matches pool tasks only.

Exit status: 0 done for at least one task (any refused are listed, with why,
on stderr); 1 refused for all, or the workflow unreachable; 2 bad usage.)~";
const char* const kExit = R"~(

Exit status: 0 done; 1 refused, or the workflow unreachable (the reason is
printed); 2 bad usage.)~";
const std::set<std::string> kWithIds = {"hold", "release", "trigger", "kill",
                                        "poll", "set",     "remove",  "show"};
const std::set<std::string> kWithoutIds = {"stop",      "pause",  "resume",
                                           "broadcast", "status", "dump"};

const char* const kOverview = R"~(tock - an event-driven scheduler for cycling workflows

Usage: tock COMMAND [OPTIONS]

Commands:
  validate   check a workflow file: every error with file:line:col, or a summary
  list       a workflow's tasks, or its family tree (--tree)
  graph      the expanded graph over a range of cycle points (text, dot, svg)
  import     a Cylc 8 flow.cylc as tock's YAML (Jinja2 and --set included)
  play       run a workflow: live, simulation, dummy or skip; detached or not
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
  watch      a live full-screen view; keys act on the selected task
  ui         a web page: every workflow live, and commands
  reload     read the workflow file again into the running workflow
  scan       the workflows running (--all: every run, with its last status)
  cat-log    print or follow a scheduler log or a job's file (--tail)
  clean      delete a run directory (never one whose scheduler is alive)
  demo       run the runtime demo: a ticker, a worker and a monitor talking
             over the bus and the RPC channel, with real child processes
  component  run one component of a scheduler placed in a process or on another
             host (tock help placement)
  help       show this overview, or the help of one command: tock help demo
  version    print tock's version

Topics: tock help parameters (ensembles written once), tock help vars
(--set values for one file's test and real runs), tock help platforms
(jobs through Slurm or at), tock help plugins (external triggers as
programs of their own), tock help placement (components in threads,
processes or on other hosts).

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
    {"parameters", R"~(Task parameters (docs/workflow.md, "Task parameters")

  parameters:
    member: 1..50              # or 0..48..6, or [north, south]
    templates: {member: "_m%(member)02d"}   # optional (default _member%(member)02d)

  graph:  model<member> => post<member>   one dependency per member
          post<member> => archive          all into one
          model<member-1> => model<member> the member before (none before the first)
          model<member=5>                  one member
          post<member, region>             every combination
  runtime: model<member> is a family of its tasks; model<member=1> overrides one.
  Jobs get TOCK_PARAM_<name>.

Example:
  tock list examples/ensemble.yaml --tree --set members=1..3
)~"},
    {"platforms", R"~(Platforms and job runners (docs/platforms.md)

  platforms:                   # in the workflow, or ~/.config/tock/global.yaml
    hpc:
      job_runner: slurm        # background (default), at, slurm
      poll_interval: PT30S     # squeue while jobs are queued or running
      communication: zmq       # zmq (this host), tcp (--host-port), poll (job.status)
      submit_command: sbatch --account=ops    # also poll_command, kill_command
  runtime:
    model:
      platform: hpc
      directives: {--mem: 4G, --ntasks: "8"}  # #SBATCH lines; Slurm tasks only
      time_limit: PT50M                       # also --time=50

Refused jobs are submit-failed with Slurm's reason (retries: {submission:
[...]} apply); tock kill runs scancel; a restart finds each job by its Slurm
id and submits none twice. The runner's commands run on this host.

Example (a single-node Slurm on this machine, as root):
  tests/slurm/cluster.sh start /tmp/slurm && export SLURM_CONF=/tmp/slurm/slurm.conf
  tock play tests/slurm/fifty.yaml --no-detach
)~"},
    {"plugins", R"~(Trigger plugins (docs/plugins.md)

  scheduling:
    xtriggers:
      obs: files(dir=/data/obs/%(point)s, count=3)   # plugin tock-trigger-files
      db: site.db_up(name=ops):PT1M                   # function db_up of tock-trigger-site
  plugins:
    path: [/opt/site/tock-plugins]   # after the workflow's bin/, before PATH
    heartbeat: PT30S                 # ping plugins with watches this often

A function that is not built in (wall_clock, file_exists, workflow_state,
xrandom, echo, interval) is a plugin's: a program started on first use that
speaks the plugin protocol over ZeroMQ (register, watch, satisfied, failed,
ping/pong). A plugin that crashes or hangs is restarted with backoff and
sent its watches again. Results reach the jobs as TOCK_XTRIGGER_<LABEL>_<NAME>.
A watch that can never hold leaves its task waiting, with the reason in the
stall. Write one in C++ with triggers/plugin.hpp, or in Python with pyzmq.

Example:
  tock play examples/plugins/files.yaml --no-detach
)~"},
    {"placement", R"~(Placement (docs/placement.md)

  tock play FLOW.yaml --place '*=thread'                 every component on its own thread
  tock play FLOW.yaml --place job_submit=process         one component in a process of its own
  tock play FLOW.yaml --place host=10.0.0.1 --place store=tcp://10.0.0.2:7100

  placement:                     # in the workflow, or ~/.config/tock/global.yaml
    job_submit: process
    store: tcp://10.0.0.2:7100   # its bus publisher listens there, on that host
    host: 10.0.0.1               # where components on other hosts reach the scheduler

Components: task_pool, store, job_submit, job_messages, xtriggers, health,
events, commands, publisher, reporter. Each runs inproc (the default), in a
thread, in a process (tock starts `tock component NAME` and watches it) or
on another host (you start `tock component NAME --connect tcp://... --keys DIR`
there, with the run's server.key and client.key, and the run directory on a
shared filesystem; every tcp:// connection is CurveZMQ). commands, publisher,
job_messages and reporter stay on the scheduler's host. $TOCK_PLACE holds
default items (such as '*=process'); the global configuration, the workflow
and --place come after it, in that order. A component whose process dies,
or whose host stops beating, makes the run start again in place from its
database, as a restart does (at most three times within a minute).

Example:
  tock play examples/forecast.yaml --mode simulation --fast --no-detach --place '*=process'
)~"},
    {"vars", R"~(Variables (docs/workflow.md, "Variables")

  vars: {members: 1..50, site: ~}     defaults (~: none, --set required)
  ... member: ${members} ...           used in any value

  tock validate|list|graph|play FLOW.yaml --set KEY=VALUE... --set-file FILE

A restart uses the values its run was started with.

Example:
  tock play examples/ensemble.yaml --set members=1..3 --no-detach
)~"},
    {"validate", R"~(tock validate FLOW.yaml [--set KEY=VALUE]... [--set-file FILE]

Reads and checks a workflow file. Exit 0 with a one-line summary (tasks,
families, and the cycle points of each recurrence up to the final point), or
exit 1 with every error found, each as FILE:LINE:COL: error: what is wrong
and how to fix it. Warnings (allowed, but likely mistakes) go to standard
error. --set and --set-file give the file's vars their values (tock help vars).

Example:
  tock validate examples/forecast.yaml
)~"},
    {"list", R"~(tock list FLOW.yaml [--tree] [--set KEY=VALUE]... [--set-file FILE]

The tasks of the workflow, one a line; with --tree, the family tree under
root (a task with several parents appears under each).
)~"},
    {"graph", R"~(tock graph FLOW.yaml [--from POINT] [--to POINT] [--format text|dot|svg] [-o FILE]
                 [--set KEY=VALUE]... [--set-file FILE]

The graph expanded over cycle points (default: from the initial point, ten
cycle points or up to the final point, whichever comes first).
  text  one task instance a line with what triggers it:
        CYCLE/TASK <= CYCLE/UP:OUTPUT & ...
  dot   graphviz source
  svg   drawn by graphviz's dot (apt-get install graphviz)

Example:
  tock graph examples/forecast.yaml --from 2026-01-01T00Z --to 2026-01-01T12Z
)~"},
    {"import",
     R"~(tock import FLOW.cylc [-o FILE] [--set KEY=VALUE]... [--set-file FILE] [--rendered]

Reads a Cylc 8 workflow definition and writes the same workflow as tock's
YAML to standard output (or FILE): [meta], [scheduler], [task parameters],
[scheduling] (points, queues, xtriggers, special tasks, the graph as it is)
and [runtime] (every namespace). A setting tock has not is kept as a comment
at its place, with why:

  # not carried over: [runtime][model]platform = hpc: tock runs every job on this host ...

%include "file" is read relative to the including file. A first line
#!jinja2 renders the file with Jinja2 first (Debian's python3-jinja2, run
as /usr/bin/python3, or $TOCK_PYTHON), as Cylc does: undefined variables are
errors; raise(), assert() and environ are there.
  --set KEY=VALUE   a Jinja2 variable; VALUE is a Python literal, as for
                    cylc play -s: --set N=5 (a number), --set 'X="a"' (a string)
  --set-file FILE   KEY=VALUE lines (# comments); --set wins over it
  -o FILE           write FILE instead of standard output
  --rendered        print the file as read instead (includes inlined, Jinja2
                    rendered), as cylc view shows it: the text whose lines a
                    "line N of the Jinja2 output" error counts

Exit status: 0 written (the number of settings not carried over is on
stderr); 1 nothing usable (no graph); 2 a file that cannot be read or parsed
(FILE:LINE: what is wrong), #!empy, a Jinja2 error, a bad --set, or Jinja2
missing (apt-get install python3-jinja2).

Example:
  tock import examples/cylc/flow.cylc -o forecast.yaml && tock validate forecast.yaml
)~"},
    {"play", R"~(tock play FLOW.yaml [--no-detach] [--mode live|simulation|dummy|skip] [--fast]
                    [--run-dir DIR] [--initial-cycle P] [--final-cycle P]
                    [--start-cycle-point P | --start-task CYCLE/TASK...]
                    [--stop-after P] [--hold-after P]
                    [--pause] [--host-port HOST:PORT]
                    [--set KEY=VALUE]... [--set-file FILE]
tock play NAME [--no-detach] [--pause] [--host-port HOST:PORT]
                                         restart the latest run of NAME
tock play --run-dir DIR [...]            restart the run in DIR

Runs a workflow in a new run directory (--run-dir, or ~/tock-run/NAME/runN).
An existing run is never overwritten: `tock play NAME` or --run-dir of a run
restarts it from its database (DIR/db) with the options it was started with;
jobs that were active are reconciled from their job.status and processes,
never launched twice. A stopped, stalled or killed run carries on where it
was; one that completed is not started again.
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
  dummy       real jobs on this host (background) whose scripts and
              environment are replaced: each sleeps for its run_length,
              sends all its custom outputs' messages, and fails at
              simulation.fail_cycle_points (Cylc's dummy mode)
  skip        no jobs: each task completes its required outputs at once
  --fast      simulation or skip on the virtual clock: a year in a second
  --initial-cycle, --final-cycle   replace scheduling.initial / final
  --start-cycle-point P (or --startcp)
                a warm start from P: nothing before P runs, what lies before
                it counts as done; each task starts at its first point from
                P on. P between the initial and final points; a new run only
  --start-task  start from these tasks (a warm start)
  --stop-after  run nothing after this point; end when it is done
  --hold-after  hold the tasks after this point
  --pause       start paused: tasks spawn, but no job runs until tock resume
  --host-port HOST:PORT
                also take commands on TCP (PORT, and PORT+1, PORT+2 for the
                state stream; 0: free ports; HOST * for every interface),
                CurveZMQ only: a client needs the run's .service/client.key.
                Default: commands.host_port in ~/.config/tock/global.yaml
                ($TOCK_GLOBAL_CONFIG). Read at each start, restarts too
While it runs, the scheduler takes operator commands: tock help stop, ...

Exit status: 0 complete, or stopped (--stop-after, tock stop); 1 stalled,
timed out (abort_on_*) or failed; 2 bad options; 3 stopped by SIGINT or
SIGTERM. The reason is on the last line.
DIR/log/scheduler/reference records what ran (since the last start);
DIR/db records everything (docs/database.md). See docs/commands.md.

Example:
  tock play examples/quickstart.yaml --no-detach
  tock play examples/forecast.yaml --mode simulation --fast --no-detach
  tock play examples/quickstart.yaml --pause --host-port '*:0'
  tock play examples/forecast.yaml --start-cycle-point 2026-01-02T00Z
  tock play examples/forecast.yaml --mode dummy
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
    {"stop", R"~(tock stop NAME [--now | --kill | --after CYCLE | --wall-clock TIME]

Ends a running scheduler (cylc stop). Without an option: nothing new is
submitted and it exits when its last active job has.
  --kill              kill the active jobs first (their tasks fail, no retry)
  --now               exit straight away; the jobs go on, a restart adopts them
  --after CYCLE       run everything up to CYCLE, nothing after, then stop
  --wall-clock TIME   stop cleanly at a UTC time, e.g. 2026-12-05T18:00Z
The stop point and the stop time survive a restart until reached.

Example:
  tock stop quickstart --after 2026-01-01T06Z
)~"},
    {"pause", R"~(tock pause NAME

No job is submitted until tock resume (cylc pause); jobs already out carry
on and report. Kept across restarts; tock play --pause starts paused.

Example:
  tock pause quickstart
)~"},
    {"resume", R"~(tock resume NAME

Ends a pause: ready tasks submit their jobs again.

Example:
  tock resume quickstart
)~"},
    {"hold", R"~(tock hold NAME//ID...
tock hold NAME --after CYCLE
tock hold NAME --all

A held task submits no job until released (cylc hold). A task named by a
plain CYCLE/TASK may be one not spawned yet: it will start out held.
  --after CYCLE   hold every task beyond CYCLE, now and to come
  --all           hold every task now in the pool

Example:
  tock hold quickstart//2026-01-01T06Z/model
)~"},
    {"release", R"~(tock release NAME//ID...
tock release NAME --all

Lets held tasks submit their jobs again (cylc release), or cancels the hold
waiting for a task not spawned yet.
  --all   every held task, every hold to come, and the --after point

Example:
  tock release quickstart//2026-01-01T06Z/model
)~"},
    {"trigger", R"~(tock trigger NAME//ID...

Submits tasks at once, ignoring what they wait for (cylc trigger). A
finished task gets a new job; an active one is refused. While paused, the
job goes on resume.

Example:
  tock trigger quickstart//2026-01-01T00Z/post
)~"},
    {"kill", R"~(tock kill NAME//ID...

Sends SIGTERM (then SIGKILL) to the jobs of active tasks (cylc kill). Each
task fails, with no retry. Pool tasks only; live mode only.

Example:
  tock kill 'quickstart//*/model:running'
)~"},
    {"poll", R"~(tock poll NAME//ID...

Asks for the state of active jobs now (cylc poll): a job the scheduler has
lost track of is read from its job.status. Pool tasks only.

Example:
  tock poll 'quickstart//*/*:running'
)~"},
    {"set", R"~(tock set NAME//ID... [--out OUTPUT[,OUTPUT...]]
tock set NAME//ID... --pre CYCLE/TASK:OUTPUT... | --pre all

Marks outputs or prerequisites as done, with no job (cylc set).
  --out   outputs to complete (default: the task's required ones);
          succeed and fail stand for succeeded and failed
  --pre   prerequisites to mark met (all: every one); the task still waits
          for the others and for its xtriggers
Give --out or --pre, not both.

Example:
  tock set quickstart//2026-01-01T00Z/model --out restart_written
)~"},
    {"remove", R"~(tock remove NAME//ID...

Drops tasks from the pool (cylc remove), killing any active job; they do
not run again unless triggered. Pool tasks only.

Example:
  tock remove 'quickstart//*:failed'
)~"},
    {"broadcast", R"~(tock broadcast NAME --set KEY=VALUE... [--namespace NS] [--point CYCLE]
tock broadcast NAME --clear [--namespace NS] [--point CYCLE]
tock broadcast NAME --display

Overrides runtime settings for jobs submitted from now on (cylc broadcast).
  --set KEY=VALUE  script, pre-script, post-script, env-script, err-script or
                   environment.NAME; repeatable
  --namespace NS   a task or family (default root: all)
  --point CYCLE    one cycle point (default: all)
  --clear          drop broadcasts (those of --namespace/--point if given)
  --display        print the broadcasts in force, as JSON
Kept across restarts until cleared.

Example:
  tock broadcast quickstart --namespace model --set environment.DEBUG=1
)~"},
    {"show", R"~(tock show NAME//ID... [--json]

Prints each task's state, prerequisites and xtriggers (met [x] or not),
outputs and latest job files (cylc show). Works for tasks outside the pool
too: finished, or not spawned yet.
  --json   the scheduler's full reply

Example:
  tock show quickstart//2026-01-01T06Z/model
)~"},
    {"status", R"~(tock status NAME

One line per cycle point: each task in view with its state, (held) if held;
the first line gives the workflow's state (running, paused, stalled).

Example:
  tock status quickstart
)~"},
    {"watch", R"~(tock watch NAME

A live full-screen view of a running workflow (as cylc tui): its tasks by
cycle point with their states, the latest changes, and the last command's
answer. It follows the state stream, so it redraws only when the workflow
changes. Keys: up/down or j/k select a task; h hold, r release, t trigger,
K kill its job; p pause, P resume the workflow; q quit.

Exit status: 0; 1 if the workflow is not running.

Example:
  tock watch forecast
)~"},
    {"ui", R"~(tock ui [--host ADDRESS] [--port PORT] [--token TOKEN]

Serves a web page that shows every workflow running (as tock scan lists
them) live, and acts on them. It prints the page's address with its access
token; open it in a browser. Requests without the token are refused (403).
  the list      each workflow, its state and its tasks counted by state
  a workflow    its tasks by cycle point, grouped by family (collapsible);
                a graph view (graphviz); a task's prerequisites, outputs,
                xtriggers and job logs, live as they grow
  commands      hold, release, trigger, kill, set outputs, pause, resume,
                stop; the destructive ones ask first; each is recorded in
                the run database's audit as "USER@HOST via tock ui"
The page changes when a workflow's state stream says something changed:
nothing is polled.
  --host   the address to listen on (default 127.0.0.1: this host only)
  --port   default 8950; 0 for a free one
  --token  default: a new random one; also $TOCK_UI_TOKEN
Its HTTP API, for scripts too: docs/ui.md.

Exit status: 0 when stopped (Ctrl-C); 1 if it cannot listen.

Example:
  tock play examples/quickstart.yaml --mode simulation
  tock ui
)~"},
    {"reload", R"~(tock reload NAME [--file FLOW.yaml]

Reads the workflow file (the one the run was started from, or --file) into
the running workflow. A file with errors is refused with each of them
(FILE:LINE:COL) and nothing changes; a good one takes effect at once: the
scheduler restarts in place on it (the same pid), adopting its running jobs
and keeping holds, pause, broadcasts and stop points.

Exit status: 0 reloaded; 1 refused (the errors are printed); 2 bad usage.

Example:
  tock reload forecast
)~"},
    {"dump", R"~(tock dump NAME [--json]

Everything the scheduler holds, as one line of JSON (cylc dump): each task
of the pool with its state and outputs, and the settings commands made
(pause, pending holds, broadcasts, stop and hold points).
  --json   indented

Example:
  tock dump quickstart --json
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
    const std::string text = it->second;
    const bool ids = kWithIds.count(topic) > 0;
    if (!ids && !kWithoutIds.count(topic)) {
        fmt::print("{}", text);
        return true;
    }
    // An operator command: what they share goes before the example.
    const auto example = text.find("\n\nExample");
    fmt::print("{}{}{}{}", text.substr(0, example), kRun, ids ? kIds : kExit,
               example == std::string::npos ? "\n" : text.substr(example));
    return true;
}

}  // namespace tock::help
