// Placement (docs/placement.md): the scheduler's components started where
// the placement says, with no change to their code.
//
// Every component is started by start_component from the run's description
// (a JSON object tools/play.cpp builds: the run directory, the mode, the
// options, the endpoints from coroutines/topology). The scheduler calls it
// for the components in its own loop. For the others a host calls it: a
// thread of the scheduler with a Loop of its own, `tock component NAME` as
// a child process, or `tock component NAME` started by the operator on
// another host. A host joins the scheduler over the placement control
// channel (a DEALER to the scheduler's ROUTER), which gives it the run's
// description; it then says when its component listens, and how it ended.
// The scheduler watches each host: a child's exit, a host's heartbeat
// (processes and hosts, on the real clock) and a host's failure all count
// as the component lost, after which the scheduler ends the run at once and
// starts again from the run database (tools/play.cpp), as a restart does.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "coroutines/components.hpp"
#include "coroutines/topology.hpp"
#include "scheduler/process.hpp"
#include "scheduler/rpc.hpp"
#include "scheduler/scope.hpp"
#include "scheduler/zsocket.hpp"

namespace tock::cmd {

// Jobs as JSON and back (the active jobs a restart adopts).
Json job_rows_json(const std::vector<store::JobRow>& rows);
std::vector<store::JobRow> job_rows_from(const Json& j);

// What start_component needs beyond the run's description and the
// configuration: the pool a restart restores and the ZAP handler of this
// process's context (for the commands component's counts).
struct Extras {
    const store::Snapshot* restore = nullptr;
    const ZapHandler* zap = nullptr;
    config::Overrides overrides;
};

// Runs component `name` to its end. `on_ready` is called once with what it
// bound (tcp endpoints with their ports resolved) when it listens, for the
// components that listen for clients or jobs; the reporter's outcome is the
// result ({"rc", "summary", "reload"}), null for the others.
Task<Json> start_component(const std::string& name, Loop& loop, const config::Workflow& wf,
                           const Json& run, const comp::Endpoints& ep, const Extras& extras,
                           std::function<void(Json)> on_ready);

// The scheduler's side: starts the hosts the placement asks for, gives each
// the run's description when it joins, and supervises them.
class Placer {
  public:
    struct Callbacks {
        std::function<void(const std::string& name, const Json& bound)> ready;
        std::function<void(const std::string& name, const Json& result)> done;
        // The component is gone: its process exited or its heartbeat
        // stopped.
        std::function<void(const std::string& name, const std::string& why)> lost;
        // A component failed: its code's error, or (gap) a hole in the bus
        // it found. The run ends as it would in the scheduler's loop.
        std::function<void(const std::string& name, const std::string& error, bool gap)> failed;
    };
    // `run` is the run's description; `sockets` the run's socket directory.
    // `wf` and `overrides` are the scheduler's, given to hosts in its
    // threads (processes load the run's own).
    Placer(Loop& loop, const comp::Placement& placement, Json run, const config::Workflow& wf,
           const config::Overrides& overrides, const std::string& sockets, Callbacks cb);
    ~Placer();
    Placer(const Placer&) = delete;
    Placer& operator=(const Placer&) = delete;

    // Bind the control endpoints and start the hosts (threads, processes;
    // hosts elsewhere are told how to start).
    void start(Scope& scope);
    // Tell every host to stop its component and wait for the processes
    // to end; threads are joined by the destructor.
    Task<void> stop();
    // Pass SIGINT or SIGTERM on to component `name` on its host.
    void signal(const std::string& name, int signum);
    // The ZAP handler of the scheduler's context, which hosts in its
    // threads share (for the commands component's counts).
    void set_zap(const ZapHandler* zap) { zap_ = zap; }

  private:
    struct Host;
    Task<void> serve(ZSocket& via);
    Task<void> watch_process(Host& h);
    Task<void> watch_beats(Host& h);
    Task<void> kill_late(Host& h);
    void send(ZSocket& via, const std::string& rid, const Json& msg);

    Loop& loop_;
    comp::Placement placement_;
    Json run_;
    const config::Workflow& wf_;
    const config::Overrides& overrides_;
    std::string sockets_;
    Callbacks cb_;
    ZSocket sock_;                        // inproc:// (threads) and ipc:// (processes)
    std::optional<ZSocket> remote_sock_;  // tcp:// with CurveZMQ (other hosts)
    std::string remote_endpoint_;
    std::vector<std::unique_ptr<Host>> hosts_;
    bool stopping_ = false;
    const ZapHandler* zap_ = nullptr;
};

// `tock component NAME --connect ENDPOINT [--keys DIR]`: a host in a process
// of its own (started by the scheduler, or by an operator on another host
// with the run's keys from DIR). Returns the exit status.
int component(const std::string& name, const std::string& connect, const std::string& keys_dir);

}  // namespace tock::cmd
