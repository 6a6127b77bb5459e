#include "tools/placement.hpp"

#include <fmt/format.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <mutex>

#include "config/placement.hpp"
#include "scheduler/bus.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/curve.hpp"
#include "scheduler/timesync.hpp"
#include "tools/play.hpp"

namespace tock::cmd {

namespace {

constexpr auto kBeat = std::chrono::seconds(2);  // a host's heartbeat
constexpr int kMissedBeats = 5;                  // lost after this many

comp::RunMode mode_of(const std::string& m) {
    return m == "simulation" ? comp::RunMode::simulation
           : m == "skip"     ? comp::RunMode::skip
           : m == "dummy"    ? comp::RunMode::dummy
                             : comp::RunMode::live;
}

Multipart frames(const Json& msg) {
    Multipart m;
    const std::string text = msg.dump();
    m.emplace_back(text.data(), text.size());
    return m;
}

std::string str(const Json& run, const char* key) {
    return run.value(key, std::string());
}

// A control message (built outside the coroutines: gcc 12 miscompiles
// braced JSON initialisers in coroutine bodies).
Json message(const char* type, const std::string& name, const char* key = nullptr,
             Json value = nullptr) {
    Json m = Json::object();
    m["type"] = type;
    if (!name.empty()) m["name"] = name;
    if (key) m[key] = std::move(value);
    return m;
}

Json outcome_json(const comp::Outcome& o) {
    Json j = Json::object();
    j["rc"] = o.rc;
    j["summary"] = o.summary;
    j["reload"] = o.reload;
    return j;
}

}  // namespace

Json job_rows_json(const std::vector<store::JobRow>& rows) {
    Json out = Json::array();
    for (const auto& r : rows) {
        Json j = {{"point", r.point},    {"cycle", r.cycle}, {"name", r.name},
                  {"num", r.submit_num}, {"state", r.state}, {"runner", r.runner},
                  {"job_id", r.job_id}};
        if (r.pid) j["pid"] = *r.pid;
        if (r.started_at) j["started_at"] = *r.started_at;
        out.push_back(std::move(j));
    }
    return out;
}

std::vector<store::JobRow> job_rows_from(const Json& j) {
    std::vector<store::JobRow> rows;
    for (const auto& x : j) {
        store::JobRow r;
        r.point = x.at("point").get<std::int64_t>();
        r.cycle = x.at("cycle").get<std::string>();
        r.name = x.at("name").get<std::string>();
        r.submit_num = x.at("num").get<int>();
        r.state = x.at("state").get<std::string>();
        r.runner = x.at("runner").get<std::string>();
        r.job_id = x.at("job_id").get<std::string>();
        if (x.contains("pid")) r.pid = x["pid"].get<int>();
        if (x.contains("started_at")) r.started_at = x["started_at"].get<std::int64_t>();
        rows.push_back(std::move(r));
    }
    return rows;
}

namespace {

// The components that listen for clients or jobs say so once they do, with
// what they bound; a component's `ready` Event, watched.
Task<void> when_ready(Event& ev, std::function<Json()> bound, std::function<void(Json)> on_ready) {
    co_await ev.wait();
    if (on_ready) on_ready(bound());
}

}  // namespace

Task<Json> start_component(const std::string& name, Loop& loop, const config::Workflow& wf,
                           const Json& run, const comp::Endpoints& ep, const Extras& extras,
                           std::function<void(Json)> on_ready) {
    // Every option is a named local before it is awaited on: gcc 12 destroys
    // a braced temporary in a co_await operand twice.
    const comp::RunMode mode = mode_of(str(run, "mode"));
    const bool real = comp::real_jobs(mode);
    const std::string run_dir = str(run, "run_dir");
    const std::string sockets = str(run, "sockets");
    const std::vector<store::JobRow> adopt = real || name == "job_submit"
                                                 ? job_rows_from(run.value("adopt", Json::array()))
                                                 : std::vector<store::JobRow>{};
    const std::string secret = str(run, "server_secret");
    const Json tcp = run.value("tcp", Json::array({"", "", ""}));
    const std::vector<std::string> start_tasks =
        run.value("start_tasks", std::vector<std::string>{});
    if (name == "task_pool") {
        comp::PoolOptions o;
        o.start_tasks = start_tasks;
        o.start_cycle_point = str(run, "start_cycle_point");
        if (extras.restore) o.restore = *extras.restore;
        o.live = real;
        o.paused = run.value("paused", false);
        o.run_dir = run_dir;
        co_await comp::task_pool(loop, wf, ep, std::move(o));
    } else if (name == "store") {
        std::string db = str(run, "db_path");
        co_await comp::store(loop, ep, std::move(db));
    } else if (name == "job_submit") {
        comp::SubmitOptions o;
        o.mode = mode;
        o.run_dir = run_dir;
        o.scheduler_endpoint = str(run, "endpoint");
        o.tock_bin = str(run, "tock_bin");
        o.adopt = adopt;
        co_await comp::job_submit(loop, wf, ep, std::move(o));
    } else if (name == "job_messages") {
        std::string bound;
        Event up(loop);
        Scope watching(loop);
        watching.spawn(when_ready(
            up,
            [&bound] {
                return Json{{"messages_tcp", bound}};
            },
            on_ready));
        comp::MessagesOptions o;
        o.local_endpoint = real ? str(run, "endpoint") : "";
        o.tcp_endpoint = str(run, "messages_tcp");
        o.server_secret = secret;
        o.tcp_bound = &bound;
        co_await comp::job_messages(loop, wf, ep, std::move(o), &up);
    } else if (name == "xtriggers") {
        std::string plugins = "ipc://" + sockets + "/plugins.sock";
        std::string dir = run_dir;
        co_await comp::xtriggers(loop, wf, ep, mode, std::move(dir), std::move(plugins));
    } else if (name == "health") {
        std::vector<store::JobRow> running = real ? adopt : std::vector<store::JobRow>{};
        co_await comp::health(loop, wf, ep, std::move(running));
    } else if (name == "events") {
        std::string dir = run_dir;
        co_await comp::events(loop, wf, ep, std::move(dir));
    } else if (name == "commands") {
        std::string bound;
        Event up(loop);
        Scope watching(loop);
        watching.spawn(when_ready(
            up,
            [&bound] {
                return Json{{"commands_tcp", bound}};
            },
            on_ready));
        comp::CommandsOptions o;
        o.run_dir = run_dir;
        o.local_endpoint = "ipc://" + sockets + "/commands.sock";
        o.tcp_endpoint = tcp[0].get<std::string>();
        o.server_secret = secret;
        o.zap = extras.zap;
        o.tcp_bound = &bound;
        o.flow_source = str(run, "flow_source");
        o.overrides = extras.overrides;
        o.live = real;
        o.start_tasks = start_tasks;
        o.scheduler_pid = run.value("pid", 0);
        co_await comp::commands(loop, wf, ep, std::move(o), &up);
    } else if (name == "publisher") {
        std::string updates, snapshots;
        Event up(loop);
        Scope watching(loop);
        watching.spawn(when_ready(
            up,
            [&updates, &snapshots] {
                return Json{{"updates_tcp", updates}, {"snapshots_tcp", snapshots}};
            },
            on_ready));
        comp::StreamOptions o;
        o.local_updates = "ipc://" + sockets + "/updates.sock";
        o.local_snapshots = "ipc://" + sockets + "/snapshots.sock";
        o.tcp_updates = tcp[1].get<std::string>();
        o.tcp_snapshots = tcp[2].get<std::string>();
        o.server_secret = secret;
        o.updates_bound = &updates;
        o.snapshots_bound = &snapshots;
        co_await comp::publisher(loop, wf, ep, std::move(o), &up);
    } else if (name == "reporter") {
        comp::ReporterOptions o;
        o.run_dir = run_dir;
        o.progress = run.value("progress", false);
        o.echo = run.value("echo", true);
        o.job_times = real;
        const comp::Outcome outcome = co_await comp::reporter(loop, wf, ep, std::move(o));
        co_return outcome_json(outcome);
    } else {
        throw std::invalid_argument("no component '" + name + "'");
    }
    co_return nullptr;
}

// ---- the scheduler's side ----

struct Placer::Host {
    std::string name;
    comp::Where where;
    std::string rid;         // its control connection's routing id, once joined
    ZSocket* via = nullptr;  // the control socket it joined on
    std::optional<Process> process;
    std::thread thread;
    // A host thread, once its loop has ended: it then waits for the process
    // to end rather than exit (see Placer::~Placer).
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    TimePoint last_beat{};
    bool joined = false, ended = false;
};

Placer::Placer(Loop& loop, const comp::Placement& placement, Json run, const config::Workflow& wf,
               const config::Overrides& overrides, const std::string& sockets, Callbacks cb)
    : loop_(loop),
      placement_(placement),
      run_(std::move(run)),
      wf_(wf),
      overrides_(overrides),
      sockets_(sockets),
      cb_(std::move(cb)),
      sock_(loop, zmq::socket_type::router) {}

Placer::~Placer() {
    for (auto& h : hosts_)
        if (h->thread.joinable()) {
            // Wait for its loop to end, then let the thread be: threads
            // that exited together were seen spinning in mimalloc 2.0's
            // thread teardown (Debian 12). They end with the process.
            std::unique_lock lock(h->m);
            h->cv.wait(lock, [&] { return h->finished; });
            h->thread.detach();
        }
}

namespace {

// A host: joins, runs its component on its own loop until told to stop,
// and says how it ended. `wf` is the scheduler's configuration for a host
// in one of its threads, null for a process (which loads the run's).
int host(const std::string& name, const std::string& connect, zmq::context_t& ctx,
         const config::Workflow* shared_wf, const config::Overrides* shared_overrides,
         const ZapHandler* shared_zap, bool beats);

}  // namespace

void Placer::start(Scope& scope) {
    // Long enough for the last stop to reach every host.
    sock_.raw().set(zmq::sockopt::linger, 2000);
    sock_.bind("inproc://tock/control");
    if (placement_.any(comp::Where::process)) sock_.bind("ipc://" + sockets_ + "/control.sock");
    if (placement_.any(comp::Where::remote)) {
        remote_sock_.emplace(loop_, zmq::socket_type::router);
        remote_sock_->raw().set(zmq::sockopt::linger, 2000);
        const std::string host = str(run_, "placement_host");
        const std::string ep = fmt::format("tcp://{}:*", host);
        secure_tcp(remote_sock_->raw(), ep, true);
        remote_sock_->bind(ep);
        remote_endpoint_ = remote_sock_->raw().get(zmq::sockopt::last_endpoint);
        // For scripts that start the remote hosts: RUN/.service/placement.
        std::ofstream(str(run_, "run_dir") + "/.service/placement") << remote_endpoint_ << "\n";
        scope.spawn(serve(*remote_sock_));
    }
    scope.spawn(serve(sock_));
    const bool beats = !run_.value("fast", false);
    for (const auto& n : config::component_names()) {
        const comp::Where w = placement_.where(n);
        if (w == comp::Where::inproc) continue;
        auto h = std::make_unique<Host>();
        h->name = n;
        h->where = w;
        h->last_beat = loop_.clock().now();
        if (w == comp::Where::thread) {
            h->thread = std::thread([n, this, hp = h.get()] {
                host(n, "inproc://tock/control", loop_.zmq(), &wf_, &overrides_, zap_, false);
                {
                    // Notified under the lock: the Host may go as soon as
                    // the scheduler sees `finished`.
                    std::lock_guard lock(hp->m);
                    hp->finished = true;
                    hp->cv.notify_all();
                }
                for (;;) ::pause();
            });
        } else if (w == comp::Where::process) {
            ProcessOptions po;
            po.argv = {str(run_, "tock_bin"), "component", n, "--connect",
                       "ipc://" + sockets_ + "/control.sock"};
            po.env["TOCK_COMPONENT_PARENT"] = std::to_string(::getpid());
            po.holds_time = false;
            h->process.emplace(Process::spawn(loop_, po));
            scope.spawn(watch_process(*h));
            if (beats) scope.spawn(watch_beats(*h));
        } else {
            fmt::print(stderr,
                       "tock play: waiting for component {}: on its host, with the run's "
                       "server.key and client.key from {}/.service in DIR, run\n  tock component "
                       "{} --connect {} --keys DIR\n",
                       n, str(run_, "run_dir"), n, remote_endpoint_);
            std::fflush(stderr);
            if (beats) scope.spawn(watch_beats(*h));
        }
        hosts_.push_back(std::move(h));
    }
}

void Placer::send(ZSocket& via, const std::string& rid, const Json& msg) {
    Multipart m;
    m.emplace_back(rid.data(), rid.size());
    const std::string text = msg.dump();
    m.emplace_back(text.data(), text.size());
    via.send_later(std::move(m));
}

Task<void> Placer::serve(ZSocket& via) {
    for (;;) {
        Multipart parts = co_await via.recv();
        if (parts.size() != 2) continue;
        const std::string rid = parts[0].to_string();
        Json m = Json::parse(parts[1].to_string_view(), nullptr, false);
        if (!m.is_object()) continue;
        const std::string type = m.value("type", "");
        const std::string name = m.value("name", "");
        Host* h = nullptr;
        for (auto& x : hosts_)
            if (x->name == name) h = x.get();
        if (!h) {
            fmt::print(stderr,
                       "tock play: placement: a host asked for '{}', which is not placed "
                       "out of the scheduler's loop: ignored\n",
                       name);
            continue;
        }
        h->rid = rid;
        h->via = &via;
        h->last_beat = loop_.clock().now();
        if (type == "join") {
            if (h->joined) {
                // A second host for one component (a stale one restarted by
                // hand): it is turned away, the first one stays.
                send(via, rid,
                     message("refused", "", "why", "component " + name + " has joined already"));
                continue;
            }
            h->joined = true;
            Json reply = run_;
            reply["type"] = "run";
            reply["name"] = name;
            reply["where"] = h->where == comp::Where::thread    ? "thread"
                             : h->where == comp::Where::process ? "process"
                                                                : "remote";
            // Virtual time: threads reach the clock over inproc://,
            // processes over ipc://.
            reply["clock"] = h->where == comp::Where::thread ? run_.value("clock_inproc", "")
                                                             : run_.value("clock_ipc", "");
            send(via, rid, reply);
        } else if (type == "ready") {
            if (cb_.ready) cb_.ready(name, m.value("bound", Json::object()));
        } else if (type == "done") {
            h->ended = true;
            if (cb_.done) cb_.done(name, m.value("result", Json()));
        } else if (type == "failed") {
            h->ended = true;
            const std::string error = m.value("error", std::string("failed"));
            // Wherever it runs, a component that fails ends the run as it
            // would in the scheduler's loop (play decides on recovery).
            if (cb_.failed) cb_.failed(name, error, m.value("gap", false));
        }
        if (type == "beat") send(via, rid, message("beat", ""));  // the host watches these
        // "attach": who it is and when it was heard are all
    }
}

Task<void> Placer::watch_process(Host& h) {
    const ExitStatus st = co_await h.process->wait();
    if (stopping_ || h.ended) co_return;
    if (cb_.lost) {
        cb_.lost(h.name, st.term_signal
                             ? fmt::format("its process was killed by signal {}", st.term_signal)
                             : fmt::format("its process exited with status {}", st.exit_code));
    }
}

Task<void> Placer::watch_beats(Host& h) {
    for (;;) {
        co_await loop_.clock().sleep_for(kBeat);
        if (stopping_ || h.ended) co_return;
        // A host on another host may take its time to be started by hand.
        if (!h.joined && h.where == comp::Where::remote) continue;
        if (loop_.clock().now() - h.last_beat > kBeat * kMissedBeats) {
            if (cb_.lost)
                cb_.lost(h.name, fmt::format("no heartbeat for {} s",
                                             std::chrono::duration_cast<std::chrono::seconds>(
                                                 kBeat * kMissedBeats)
                                                 .count()));
            co_return;
        }
    }
}

void Placer::signal(const std::string& name, int signum) {
    for (auto& h : hosts_) {
        if (h->name != name || !h->joined || !h->via || h->ended) continue;
        Json m = message("signal", "");
        m["signal"] = signum;
        send(*h->via, h->rid, m);
    }
}

Task<void> Placer::stop() {
    stopping_ = true;
    for (auto& h : hosts_) {
        if (!h->joined || !h->via || h->ended) continue;
        Multipart m;
        m.emplace_back(h->rid.data(), h->rid.size());
        const std::string text = message("stop", "").dump();
        m.emplace_back(text.data(), text.size());
        co_await h->via->send(std::move(m));
    }
    Scope grace(loop_);
    for (auto& h : hosts_) {
        if (!h->process || h->process->exited()) continue;
        if (!h->joined) h->process->kill(SIGTERM);
        grace.spawn(kill_late(*h));
    }
    for (auto& h : hosts_)
        if (h->process && !h->process->exited()) co_await h->process->wait();
}

// A host that has not ended 5 s after it was told to is killed: the run is
// over, and everything it did is in the run database.
Task<void> Placer::kill_late(Host& h) {
    co_await loop_.clock().sleep_for(std::chrono::seconds(5));
    if (!h.process->exited()) {
        fmt::print(stderr, "tock play: component {} did not end when told: killed\n", h.name);
        h.process->kill(SIGKILL);
    }
}

// ---- hosts ----

namespace {

struct HostEnd {
    explicit HostEnd(Loop& l) : over(l) {}
    Event over;
    int rc = 0;
    TimePoint heard{};  // the scheduler's last answer to a heartbeat
};

Task<void> send_json(ZSocket& s, Json msg) {
    Multipart m = frames(msg);
    co_await s.send(std::move(m));
}

Task<void> host_component(const std::string& name, Loop& loop, const config::Workflow& wf,
                          const Json& run, const comp::Endpoints& ep, const Extras& extras,
                          ZSocket& control, HostEnd& end) {
    try {
        std::function<void(Json)> ready = [&control, name](Json bound) {
            control.send_later(frames(message("ready", name, "bound", std::move(bound))));
        };
        Json result = co_await start_component(name, loop, wf, run, ep, extras, std::move(ready));
        Json done = message("done", name, "result", std::move(result));
        co_await send_json(control, std::move(done));
    } catch (const BusGap& e) {
        // A hole in the bus: said as such (play recovers from it when
        // components run out of its process).
        end.rc = 1;
        Json failed = message("failed", name, "error", name + ": " + e.what());
        failed["gap"] = true;
        control.send_later(frames(failed));
    } catch (const std::exception& e) {
        end.rc = 1;
        control.send_later(frames(message("failed", name, "error", name + ": " + e.what())));
    }
    end.over.set();
}

Task<void> host_listen(ZSocket& control, HostEnd& end) {
    for (;;) {
        Multipart parts = co_await control.recv();
        if (parts.size() != 1) continue;
        Json m = Json::parse(parts[0].to_string_view(), nullptr, false);
        if (!m.is_object()) continue;
        const std::string type = m.value("type", "");
        if (type == "stop") break;
        if (type == "beat") end.heard = control.loop().clock().now();
        // SIGINT or SIGTERM the scheduler took, for health: as if sent here.
        if (type == "signal") ::kill(::getpid(), m.value("signal", SIGTERM));
    }
    end.over.set();
}

// Beats to the scheduler, which answers each: a host that hears nothing
// for kMissedBeats beats ends (a scheduler on another host that died).
Task<void> host_beats(Loop& loop, ZSocket& control, std::string name, HostEnd& end) {
    end.heard = loop.clock().now();
    for (;;) {
        Json beat = message("beat", name);
        co_await send_json(control, std::move(beat));
        co_await loop.clock().sleep_for(kBeat);
        if (loop.clock().now() - end.heard > kBeat * kMissedBeats) {
            fmt::print(stderr,
                       "tock component {}: no answer from the scheduler for {} beats: "
                       "ending\n",
                       name, kMissedBeats);
            end.rc = 1;
            end.over.set();
            co_return;
        }
    }
}

// Ask to join; the run's description, or null (with the reason printed).
Json join(const std::string& name, const std::string& connect, zmq::context_t& ctx) {
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    secure_tcp(s, connect, false);
    s.connect(connect);
    const std::string hello = Json{{"type", "join"}, {"name", name}}.dump();
    s.send(zmq::buffer(hello), zmq::send_flags::none);
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    // A host on another host may be started before the scheduler is up.
    if (zmq::poll(&item, 1, std::chrono::milliseconds(120000)) <= 0) {
        fmt::print(stderr, "tock component {}: no answer from {} in 120 s\n", name, connect);
        return nullptr;
    }
    zmq::message_t reply;
    if (!s.recv(reply)) return nullptr;
    Json run = Json::parse(reply.to_string_view(), nullptr, false);
    if (!run.is_object() || run.value("type", "") != "run") {
        fmt::print(stderr, "tock component {}: refused: {}\n", name,
                   run.is_object() ? run.value("why", std::string("?")) : std::string("?"));
        return nullptr;
    }
    return run;
}

Task<int> host_main(Loop& loop, const std::string& name, const std::string& connect,
                    const config::Workflow& wf, const Json& run, const Extras& extras, bool beats) {
    std::optional<ZapHandler> zap;
    Scope zap_scope(loop);
    Extras ex = extras;
    if (run.value("curve", false) && run.value("where", "") != "thread") {
        zap.emplace(loop, std::set<std::string>{str(run, "client_public")});
        zap_scope.spawn(zap->run());
        ex.zap = &*zap;
    }
    ZSocket control(loop, zmq::socket_type::dealer);
    control.raw().set(zmq::sockopt::linger, 1000);
    secure_tcp(control.raw(), connect, false);
    control.connect(connect);
    const comp::Endpoints ep = comp::endpoints_from(run.at("endpoints"));
    HostEnd end(loop);
    Scope scope(loop);
    // This socket is the one the scheduler answers from now on.
    Json attach = message("attach", name);
    co_await send_json(control, std::move(attach));
    scope.spawn(host_listen(control, end));
    if (beats) scope.spawn(host_beats(loop, control, name, end));
    scope.spawn(host_component(name, loop, wf, run, ep, ex, control, end));
    co_await end.over.wait();
    scope.cancel();
    co_return end.rc;
}

int host(const std::string& name, const std::string& connect, zmq::context_t& ctx,
         const config::Workflow* shared_wf, const config::Overrides* shared_overrides,
         const ZapHandler* shared_zap, bool beats) {
    const Json run = join(name, connect, ctx);
    if (run.is_null()) return 1;
    const bool fast = run.value("fast", false);
    std::optional<LoadedRun> loaded;
    Extras extras;
    if (!shared_wf) {
        std::string why;
        loaded = load_run(str(run, "run_dir"), why);
        if (!loaded) {
            fmt::print(stderr, "tock component {}: {}\n", name, why);
            return 1;
        }
        extras.overrides = loaded->overrides;
    } else {
        extras.overrides = *shared_overrides;
        extras.zap = shared_zap;  // the context's, which a thread shares
    }
    const config::Workflow& wf = shared_wf ? *shared_wf : loaded->wf;
    std::optional<store::Snapshot> restore;
    if (name == "task_pool" && run.value("restore", false)) {
        try {
            store::RunDb db(str(run, "run_dir") + "/db");
            restore = db.snapshot();
        } catch (const std::exception& e) {
            fmt::print(stderr, "tock component {}: {}\n", name, e.what());
            return 1;
        }
        extras.restore = &*restore;
    }
    Loop loop(fast ? ClockMode::virtual_time : ClockMode::real, &ctx);
    std::optional<TimeFollower> follower;
    if (fast) {
        static_cast<VirtualClock&>(loop.clock())
            .set(TimePoint(std::chrono::duration_cast<Duration>(
                std::chrono::nanoseconds(run.at("start_time").get<std::int64_t>()))));
        follower.emplace(loop, name, str(run, "clock"));
    }
    int rc = 1;
    try {
        rc = run_until(loop, host_main(loop, name, connect, wf, run, extras, beats));
    } catch (const std::exception& e) {
        fmt::print(stderr, "tock component {}: {}\n", name, e.what());
    }
    return rc;
}

}  // namespace

int component(const std::string& name, const std::string& connect, const std::string& keys_dir) {
    if (std::find(config::component_names().begin(), config::component_names().end(), name) ==
        config::component_names().end()) {
        fmt::print(stderr, "tock component: {}\n", config::place_problem(name, "inproc"));
        return 2;
    }
    // Started by the scheduler: end with it, whatever ends it.
    if (const char* parent = std::getenv("TOCK_COMPONENT_PARENT")) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (std::to_string(::getppid()) != parent) return 1;  // it is gone already
        ::unsetenv("TOCK_COMPONENT_PARENT");                  // not for the jobs it starts
    }
    if (connect.rfind("tcp://", 0) == 0) {
        if (keys_dir.empty()) {
            fmt::print(stderr,
                       "tock component: a tcp:// scheduler needs the run's keys: --keys DIR, "
                       "with server.key and client.key from the run's .service directory\n");
            return 2;
        }
        try {
            const CurveKeys server = read_keys(keys_dir + "/server.key");
            const CurveKeys client = read_keys(keys_dir + "/client.key");
            set_tcp_curve(
                {server.secret_key, server.public_key, client.public_key, client.secret_key});
        } catch (const std::exception& e) {
            fmt::print(stderr, "tock component: {}\n", e.what());
            return 1;
        }
    }
    zmq::context_t ctx;
    // Sockets close at once at the end (the scheduler may be gone): the
    // process must not wait on messages no one will take.
    ctx.set(zmq::ctxopt::blocky, false);
    return host(name, connect, ctx, nullptr, nullptr, nullptr, true);
}

}  // namespace tock::cmd
