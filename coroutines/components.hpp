// The scheduler's components. Each is one coroutine whose whole interface is
// its sockets: the bus topics it publishes on its own endpoint, the topics it
// takes from the others, and (job_messages) the requests it answers. None
// calls another; the scheduler process (tools/play.cpp) only starts them with
// their endpoints, so any of them can run in a thread, a process or a host of
// its own by changing an endpoint. Bodies are JSON; docs/architecture.md lists
// every topic and its fields.
//
//   task_pool     takes job.*, xtrigger.satisfied, stop, timeout
//                 publishes submit, xtrigger.want, task, workflow
//   store         takes everything task_pool publishes; writes it to the run
//                 database, commits, then publishes it again unchanged: the
//                 others take the pool's topics from the store
//   job_submit    takes submit, kill
//                 publishes job.submitted, job.submit-failed, job.said, job.exited
//   job_messages  takes job.* from job_submit; answers `tock message`
//                 publishes job.submitted, job.submit-failed, job.started,
//                 job.output, job.message, job.succeeded, job.failed
//   xtriggers     takes xtrigger.want; publishes xtrigger.satisfied
//   health        takes task, workflow; signals and timers
//                 publishes kill, stop, timeout
//   events        takes task, workflow; runs event handlers; publishes handler
//   reporter      takes task, workflow, handler; writes the scheduler log,
//                 the progress line, the reference record and job timings
//   commands      answers operators' requests (a ROUTER, local and CurveZMQ
//                 TCP); publishes command; takes command.done from the store
//   publisher     takes task., workflow from the store; publishes the live
//                 state to clients (snapshots and numbered deltas)
//
// Every publisher waits for its known subscribers before its first message,
// and every subscriber completes the bus handshake before it acts, so nothing
// published is lost to a slow joiner.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/workflow.hpp"
#include "coroutines/run_db.hpp"
#include "scheduler/curve.hpp"
#include "scheduler/loop.hpp"
#include "scheduler/task.hpp"

namespace tock::comp {

struct Endpoints {
    std::string task_pool = "inproc://tock/task_pool";
    std::string store = "inproc://tock/store";
    std::string job_submit = "inproc://tock/job_submit";
    std::string job_messages = "inproc://tock/job_messages";
    std::string xtriggers = "inproc://tock/xtriggers";
    std::string health = "inproc://tock/health";
    std::string events = "inproc://tock/events";
    std::string commands = "inproc://tock/commands";
    // How many subscribers each publisher waits for before its first message
    // (the topology above).
    std::size_t task_pool_subscribers = 1;  // store
    // job_submit, xtriggers, health, events, reporter, commands, publisher
    std::size_t store_subscribers = 7;
    std::size_t job_submit_subscribers = 1;    // job_messages
    std::size_t job_messages_subscribers = 1;  // task_pool
    std::size_t xtriggers_subscribers = 1;     // task_pool
    std::size_t health_subscribers = 2;        // task_pool, job_submit
    std::size_t events_subscribers = 1;        // reporter
    std::size_t commands_subscribers = 1;      // task_pool
};

// How jobs run: real jobs, simulated ones on the scheduler's clock, or
// skipped (each task completes its required outputs at once).
// dummy: real jobs (the background runner, this host) that only sleep for
// the task's simulated run length (Cylc's dummy mode).
enum class RunMode { live, simulation, skip, dummy };
// Whether jobs are processes: live and dummy modes.
inline bool real_jobs(RunMode m) {
    return m == RunMode::live || m == RunMode::dummy;
}

struct PoolOptions {
    std::vector<std::string> start_tasks;  // CYCLE/TASK: start from these (warm start)
    std::string start_cycle_point;         // "" or a warm start's point (as given)
    // A restart: the pool as the run database last recorded it.
    std::optional<store::Snapshot> restore;
    bool live = true;     // jobs are real (kill applies)
    bool paused = false;  // start paused (`tock play --pause`)
    std::string run_dir;  // for the job log paths `tock show` gives
};

// The commands component: where operators' requests come in.
struct CommandsOptions {
    std::string run_dir;
    std::string local_endpoint;        // ipc://SOCKETS/commands.sock (play.hpp socket_dir)
    std::string tcp_endpoint;          // "" or tcp://HOST:PORT, CurveZMQ
    std::string server_secret;         // z85 CurveZMQ secret key of the server
    const ZapHandler* zap = nullptr;   // the context's (tools/play.cpp): its counts, for ping
    std::string* tcp_bound = nullptr;  // set to the bound tcp endpoint (port resolved)
    // `tock reload`: the workflow file to read (the one the run was
    // installed from) and the options it was started with.
    std::string flow_source;
    config::Overrides overrides;
    bool live = true;
    std::vector<std::string> start_tasks;
    int scheduler_pid = 0;  // the scheduler's, for ping (0: this process's)
};

// The publisher component: the live state stream for clients.
struct StreamOptions {
    std::string local_updates, local_snapshots;  // ipc:// endpoints
    std::string tcp_updates, tcp_snapshots;      // "" or tcp://, CurveZMQ
    std::string server_secret;
    std::string *updates_bound = nullptr, *snapshots_bound = nullptr;  // tcp, resolved
};

struct SubmitOptions {
    RunMode mode = RunMode::live;
    std::string run_dir;
    std::string scheduler_endpoint;  // for `tock message` from jobs
    std::string tock_bin;            // the tock executable jobs call
    // A restart: the jobs that were active, to be reconciled from their
    // job.status files and processes rather than launched again.
    std::vector<store::JobRow> adopt;
};

struct ReporterOptions {
    std::string run_dir;
    bool progress = false;  // redraw a progress line (a terminal is watching)
    bool echo = true;       // print the log on stdout too
    bool job_times =
        true;  // write log/scheduler/job-times (live jobs: their instants mean something)
};

// The result of a run, as the reporter saw it end.
struct Outcome {
    int rc = 0;
    std::string summary;  // the last line
    bool reload = false;  // ended for `tock reload`: start again on the new definition
};

Task<void> task_pool(Loop& loop, const config::Workflow& wf, const Endpoints& ep, PoolOptions opts);
// `db_path` ":memory:" keeps the database in memory (for benchmarks).
Task<void> store(Loop& loop, const Endpoints& ep, std::string db_path);
Task<void> job_submit(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                      SubmitOptions opts);
// Where `tock message` reaches job_messages.
struct MessagesOptions {
    std::string local_endpoint;  // ipc://; "" for no server (simulation, skip)
    // "" or tcp://HOST:* with CurveZMQ, for jobs on platforms whose
    // communication is tcp (the context's ZAP handler admits the run's
    // client key); its bound endpoint goes to *tcp_bound.
    std::string tcp_endpoint, server_secret;
    std::string* tcp_bound = nullptr;
};
// `ready` is set once the server listens.
Task<void> job_messages(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                        MessagesOptions opts, Event* ready = nullptr);
// `plugin_endpoint`: where trigger plugins connect (ipc://, in the run's
// socket directory), bound in a live run of a workflow that uses a plugin.
Task<void> xtriggers(Loop& loop, const config::Workflow& wf, const Endpoints& ep, RunMode mode,
                     std::string run_dir, std::string plugin_endpoint);
// `adopt`: on a restart, the jobs that were active; those that had started
// have their time limits and execution timeouts armed again for the time
// they have left.
Task<void> health(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                  std::vector<store::JobRow> adopt = {});
Task<void> events(Loop& loop, const config::Workflow& wf, const Endpoints& ep, std::string run_dir);
// `ready` is set once the component listens (its endpoints are bound).
Task<void> commands(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                    CommandsOptions opts, Event* ready = nullptr);
Task<void> publisher(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                     StreamOptions opts, Event* ready = nullptr);
Task<Outcome> reporter(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                       ReporterOptions opts);

}  // namespace tock::comp
