// `tock play`: the scheduler process. It checks the workflow and the
// options, installs the run directory, detaches (unless --no-detach), and
// starts the components of coroutines/components.hpp on one loop, each with
// its endpoints. It calls none of them: it waits for the reporter's outcome
// (or a component's failure) and ends the run.
#include "tools/play.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "config/placement.hpp"
#include "coroutines/components.hpp"
#include "coroutines/run_db.hpp"
#include "coroutines/topology.hpp"
#include "scheduler/bus.hpp"
#include "scheduler/curve.hpp"
#include "scheduler/process.hpp"
#include "scheduler/rpc.hpp"
#include "scheduler/scope.hpp"
#include "scheduler/timesync.hpp"
#include "tools/placement.hpp"

#ifndef TOCK_VERSION
#define TOCK_VERSION "unknown"
#endif

namespace tock::cmd {

namespace {

struct Ending {
    explicit Ending(Loop& l) : over(l) {}
    Event over;
    std::optional<comp::Outcome> outcome;
    std::string error;
    bool gap = false;  // a component found a gap in the bus
};

// A component's loop ended with result `r`: the reporter's is the run's
// outcome; any other component has ended early.
void component_ended(Ending& end, const std::string& name, const Json& r) {
    if (name == "reporter" && r.is_object()) {
        end.outcome = comp::Outcome{r.at("rc").get<int>(), r.at("summary").get<std::string>(),
                                    r.at("reload").get<bool>()};
    } else if (end.error.empty()) {
        end.error = name + " ended early";
    }
    end.over.set();
}

// Runs one component of the scheduler's own loop; the reporter's result is
// the run's outcome, and any other component that ends has ended early.
Task<void> guarded(Task<Json> component, std::string name, Ending& end) {
    try {
        Json r = co_await std::move(component);
        component_ended(end, name, r);
        co_return;
    } catch (const BusGap& e) {
        end.error = name + ": " + e.what();
        end.gap = true;
    } catch (const std::exception& e) {
        end.error = name + ": " + e.what();
    }
    end.over.set();
}

struct Setup {
    comp::RunMode mode;
    std::string mode_name;  // as given: live, simulation, dummy, skip
    bool fast = false;      // the virtual clock
    std::string run_dir, endpoint, tock_bin, db_path;
    std::string sockets;  // the directory of the local endpoints (socket_dir)
    bool progress = false, echo = true;
    std::vector<std::string> start_tasks;
    std::string start_cycle_point;
    std::optional<store::Snapshot> restore;
    std::string host_port;  // "" or HOST:PORT: commands and the state stream on TCP
    bool paused = false;
    CurveKeys server_keys;
    std::string client_public;
    comp::Placement placement;  // where each component runs (docs/placement.md)
    bool* recover = nullptr;    // set when a placed run failed: start again from the database
    // Once the commands and the state stream listen: their endpoints (the
    // contact file is written then).
    std::function<void(const Json&)> on_listening;
    std::string flow_source;  // for `tock reload`
    config::Overrides overrides;
    bool* reload = nullptr;  // set when the run ended for `tock reload`
};

// --host-port: HOST (an IPv4 or IPv6 address, a name that resolves to one,
// or * for every interface) and PORT (0: any free ports). The host the
// contact file gives clients: HOST, or this host's name for * and 0.0.0.0.
std::optional<std::string> check_host_port(const std::string& hp, std::string& why) {
    const auto colon = hp.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == hp.size()) {
        why = "use HOST:PORT, such as 127.0.0.1:0 or *:7000";
        return std::nullopt;
    }
    const std::string port = hp.substr(colon + 1);
    if (!std::all_of(port.begin(), port.end(), ::isdigit) || port.size() > 5 ||
        std::stoi(port) > 65533) {
        why = fmt::format("'{}' is not a port (0 to 65533: tock takes it and the next two)", port);
        return std::nullopt;
    }
    std::string host = hp.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host == "*") return "*:" + port;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) {
        why = fmt::format("'{}' is not an address or a host name that resolves", host);
        return std::nullopt;
    }
    char addr[INET6_ADDRSTRLEN] = "";
    if (res->ai_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, addr,
                    sizeof addr);
    } else {
        ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr, addr,
                    sizeof addr);
    }
    const bool v6 = res->ai_family == AF_INET6;
    ::freeaddrinfo(res);
    return (v6 ? fmt::format("[{}]", addr) : std::string(addr)) + ":" + port;
}

// HOST:PORT as three tcp:// endpoints: commands on PORT, the state stream's
// updates and snapshots on the next two (PORT 0: ports the system picks).
std::array<std::string, 3> tcp_endpoints(const std::string& host_port) {
    const auto colon = host_port.rfind(':');
    const std::string host = host_port.substr(0, colon);
    const int port = std::stoi(host_port.substr(colon + 1));
    std::array<std::string, 3> out;
    if (port == 0 && host == "*") {
        for (auto& e : out) e = "tcp://*:*";
        return out;
    }
    for (int i = 0; i < 3; ++i) {
        out[static_cast<std::size_t>(i)] = port == 0 ? fmt::format("tcp://{}:*", host)
                                                     : fmt::format("tcp://{}:{}", host, port + i);
    }
    return out;
}

// The contact file, once the commands, the state stream and job_messages
// listen (wherever they are placed): the local endpoints and what they bound
// on TCP.
Task<void> announce(Event& commands, Event& stream, Event& messages, const Setup& s, Json endpoints,
                    const Json& bound) {
    co_await commands.wait();
    co_await stream.wait();
    co_await messages.wait();
    for (const auto& [k, v] : bound.items()) endpoints[k] = v;
    if (bound.contains("commands_tcp")) endpoints["server_public_key"] = s.server_keys.public_key;
    if (s.on_listening) s.on_listening(endpoints);
}

// The host name components on other hosts reach this scheduler by.
std::string placement_host(const comp::Placement& p) {
    if (!p.host.empty()) return p.host;
    char name[256] = "";
    ::gethostname(name, sizeof name - 1);
    return name;
}

// SIGINT and SIGTERM are health's (it stops the run); with health in a
// process of its own, the scheduler passes them on to it.
Task<void> forward_signal(Loop& loop, Placer& placer, int signum) {
    for (;;) {
        co_await SignalWait(loop, signum);
        placer.signal("health", signum);
    }
}

Task<int> scheduler(Loop& loop, const config::Workflow& wf, const Setup& s) {
    const bool real = comp::real_jobs(s.mode);  // jobs are processes
    const comp::Placement& placement = s.placement;
    const bool remote = placement.any(comp::Where::remote);
    const std::string host = remote ? placement_host(placement) : "";
    const comp::Endpoints ep =
        placement.placed() ? comp::topology(placement, s.sockets, host) : comp::Endpoints{};
    Ending end(loop);
    // A coroutine inside a component that fails (nothing in a component
    // joins its timers, jobs and senders) ends the run, as the component's
    // own failure does: going on without it could lose a state change. The
    // run database has every commit, so the run restarts from there.
    loop.set_error_sink([&end](std::exception_ptr e) {
        if (end.error.empty()) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                end.error = std::string("a component's coroutine failed: ") + x.what();
            } catch (...) {
                end.error = "a component's coroutine failed";
            }
        }
        end.over.set();
    });
    struct Unsink {
        Loop& l;
        ~Unsink() { l.set_error_sink(nullptr); }
    } unsink{loop};
    // The context's ZAP handler, bound before any CurveZMQ socket is, and
    // kept until every component is gone.
    std::optional<ZapHandler> zap;
    Scope zap_scope(loop);
    if (!s.host_port.empty() || remote) {
        zap.emplace(loop, std::set<std::string>{s.client_public});
        zap_scope.spawn(zap->run());
    }
    // Virtual time shared with the components in threads and processes.
    std::optional<TimeMaster> clock;
    std::size_t followers = 0;
    for (const auto& [n, p] : placement.of)
        if (p.where == comp::Where::thread || p.where == comp::Where::process) ++followers;
    const std::string clock_ipc = "ipc://" + s.sockets + "/clock.sock";
    if (s.fast && followers > 0) {
        std::vector<std::string> at = {"inproc://tock/clock"};
        if (placement.any(comp::Where::process)) at.push_back(clock_ipc);
        clock.emplace(loop, at, followers);
    }
    std::vector<store::JobRow> adopt;
    if (s.restore) adopt = s.restore->active_jobs;
    // Jobs on platforms that report over TCP reach job_messages there, on a
    // port the system picks, with the run's CurveZMQ keys.
    std::string msg_tcp_endpoint;
    if (real && !s.host_port.empty())
        msg_tcp_endpoint = fmt::format("tcp://{}:*", s.host_port.substr(0, s.host_port.rfind(':')));
    std::array<std::string, 3> tcp;
    if (!s.host_port.empty()) tcp = tcp_endpoints(s.host_port);
    // The run, as every component is started from it (tools/placement.hpp).
    const Json run = {{"mode", s.mode_name},
                      {"fast", s.fast},
                      {"pid", ::getpid()},
                      {"run_dir", s.run_dir},
                      {"db_path", s.db_path},
                      {"sockets", s.sockets},
                      {"endpoint", s.endpoint},
                      {"tock_bin", s.tock_bin},
                      {"start_tasks", s.start_tasks},
                      {"start_cycle_point", s.start_cycle_point},
                      {"restore", s.restore.has_value()},
                      {"paused", s.paused},
                      {"messages_tcp", msg_tcp_endpoint},
                      {"tcp", tcp},
                      {"server_secret", s.server_keys.secret_key},
                      {"client_public", s.client_public},
                      {"curve", remote || !s.host_port.empty()},
                      {"adopt", job_rows_json(adopt)},
                      {"progress", s.progress},
                      {"echo", s.echo},
                      {"flow_source", s.flow_source},
                      {"endpoints", comp::endpoints_json(ep)},
                      {"placement_host", host},
                      {"clock_inproc", "inproc://tock/clock"},
                      {"clock_ipc", clock_ipc},
                      {"start_time", std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         loop.clock().now().time_since_epoch())
                                         .count()}};
    const Extras extras{s.restore ? &*s.restore : nullptr, zap ? &*zap : nullptr, s.overrides};
    const std::string service = "ipc://" + s.sockets + "/";
    Json local = {{"commands", service + "commands.sock"},
                  {"updates", service + "updates.sock"},
                  {"snapshots", service + "snapshots.sock"}};
    Json bound = Json::object();
    Event commands_up(loop), stream_up(loop), messages_up(loop);
    auto on_ready = [&](const std::string& name, const Json& b) {
        for (const auto& [k, v] : b.items())
            if (v.is_string() && !v.get<std::string>().empty()) bound[k] = v;
        if (name == "commands") commands_up.set();
        if (name == "publisher") stream_up.set();
        if (name == "job_messages") messages_up.set();
    };
    bool lost = false;
    std::optional<Placer> placer;
    if (placement.placed()) {
        placer.emplace(
            loop, placement, run, wf, s.overrides, s.sockets,
            Placer::Callbacks{
                on_ready,
                [&end](const std::string& name, const Json& r) { component_ended(end, name, r); },
                [&end, &lost](const std::string& name, const std::string& why) {
                    if (end.error.empty()) end.error = "component " + name + " lost: " + why;
                    lost = true;
                    end.over.set();
                },
                [&end](const std::string&, const std::string& error, bool gap) {
                    if (end.error.empty()) end.error = error;
                    end.gap = end.gap || gap;
                    end.over.set();
                }});
        placer->set_zap(zap ? &*zap : nullptr);
    }
    Scope components(loop);
    for (const auto& name : config::component_names()) {
        if (placement.where(name) != comp::Where::inproc) continue;
        components.spawn(guarded(start_component(name, loop, wf, run, ep, extras,
                                                 [&on_ready, name](Json b) { on_ready(name, b); }),
                                 name, end));
    }
    if (placer) {
        placer->start(components);
        const comp::Where h = placement.where("health");
        if (h == comp::Where::process || h == comp::Where::remote) {
            components.spawn(forward_signal(loop, *placer, SIGINT));
            components.spawn(forward_signal(loop, *placer, SIGTERM));
        }
        fmt::print("tock play: components placed: {}\n", placement.describe());
        std::fflush(stdout);
    }
    Scope announcing(loop);
    announcing.spawn(announce(commands_up, stream_up, messages_up, s, local, bound));
    co_await end.over.wait();
    // A moment for the last replies to operators (`tock stop --now`) to
    // leave before the sockets close.
    co_await loop.clock().sleep_for(std::chrono::milliseconds(50));
    if (placer) co_await placer->stop();
    components.cancel();
    if (!end.outcome) {
        fmt::print(stderr, "tock play: the scheduler failed: {}\n", end.error);
        // With components in other processes, a lost one (or a gap in the
        // bus between them) is recovered from: the run starts again in
        // place from its database (docs/placement.md).
        if ((lost || (end.gap && placement.out_of_process())) && s.recover) *s.recover = true;
        co_return 1;
    }
    fmt::print("{}\n", end.outcome->summary);
    if (end.outcome->reload && s.reload) *s.reload = true;
    co_return end.outcome->rc;
}

}  // namespace

namespace {

// The highest N of BASE/runN (0: none).
int highest_run(const std::filesystem::path& base) {
    int highest = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(base, ec)) {
        const std::string f = e.path().filename().string();
        if (f.size() > 3 && f.compare(0, 3, "run") == 0 &&
            std::all_of(f.begin() + 3, f.end(), ::isdigit) && f.size() < 12)
            highest = std::max(highest, std::stoi(f.substr(3)));
    }
    return highest;
}

// A new run directory: --run-dir, or ~/tock-run/NAME/runN with the next N.
// An existing run is never overwritten.
std::optional<std::string> make_run_dir(const PlayOptions& o, const std::string& name) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::string dir = o.run_dir;
    if (dir.empty()) {
        const char* home = std::getenv("HOME");
        const fs::path base = fs::path(home ? home : ".") / "tock-run" / name;
        // After the highest runN there is, so that a run cleaned away
        // leaves no hole a new run would fill out of order.
        dir = (base / fmt::format("run{}", highest_run(base) + 1)).string();
    } else if (fs::exists(fs::path(dir) / "log" / "scheduler")) {
        fmt::print(stderr,
                   "tock play: {} already holds a run without a run database; choose another "
                   "--run-dir\n",
                   dir);
        return std::nullopt;
    }
    for (const char* sub : {"log/scheduler", "log/job", ".service"}) {
        fs::create_directories(fs::path(dir) / sub, ec);
        if (ec) {
            fmt::print(stderr, "tock play: cannot create {}/{}: {}\n", dir, sub, ec.message());
            return std::nullopt;
        }
    }
    return fs::absolute(dir).lexically_normal().string();
}

}  // namespace

std::string self_exe() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    std::string path = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "tock";
    // A binary replaced while it runs (a rebuild) reads "PATH (deleted)":
    // PATH is the new one, which is what to run.
    const std::string deleted = " (deleted)";
    if (path.size() > deleted.size() &&
        path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0)
        path.resize(path.size() - deleted.size());
    return path;
}

namespace {

// --start-task CYCLE/TASK: each must name a task that exists at that point.
bool check_start_tasks(const config::Workflow& wf, const std::vector<std::string>& tasks) {
    for (const auto& t : tasks) {
        const auto slash = t.find('/');
        std::string why;
        if (slash == std::string::npos) {
            why = "use CYCLE/TASK";
        } else {
            try {
                const config::Point p = wf.cycling.parse_point(t.substr(0, slash));
                const std::string name = t.substr(slash + 1);
                const auto at = wf.tasks_at(p);
                if (!wf.is_task(name)) {
                    why = fmt::format("there is no task '{}'", name);
                } else if (std::none_of(at.begin(), at.end(),
                                        [&](auto& x) { return x.name == name; })) {
                    why = fmt::format("'{}' does not run at cycle point {}", name,
                                      wf.cycling.format(p));
                }
            } catch (const std::exception& e) {
                why = e.what();
            }
        }
        if (!why.empty()) {
            fmt::print(stderr, "tock play: --start-task {}: {}\n", t, why);
            return false;
        }
    }
    return true;
}

// --start-cycle-point P: a warm start (Cylc's --startcp). P (any point
// expression: +P1D, now, next(T00) ...) must lie between the initial and the
// final points, and a run starts either from a point or from tasks, not both.
// P becomes the point it stands for, as the run database records it.
bool check_start_cycle_point(const config::Workflow& wf, PlayOptions& o) {
    if (o.start_cycle_point.empty()) return true;
    std::string why;
    if (!o.start_tasks.empty()) {
        why = "give a start point or start tasks (--start-task), not both";
    } else {
        try {
            const config::Point p =
                wf.cycling.parse_point_expr(o.start_cycle_point, wf.initial, wf.cycling.now());
            if (p < wf.initial) {
                why = fmt::format("{} is before the initial cycle point {}", wf.cycling.format(p),
                                  wf.cycling.format(wf.initial));
            } else if (wf.final && *wf.final < p) {
                why = fmt::format("{} is after the final cycle point {}", wf.cycling.format(p),
                                  wf.cycling.format(*wf.final));
            }
        } catch (const std::exception& e) {
            why = e.what();
        }
    }
    if (!why.empty()) {
        fmt::print(stderr, "tock play: --start-cycle-point {}: {}\n", o.start_cycle_point, why);
        return false;
    }
    o.start_cycle_point = wf.cycling.format(
        wf.cycling.parse_point_expr(o.start_cycle_point, wf.initial, wf.cycling.now()));
    return true;
}

// Detach: the child carries on as the scheduler in a session of its own,
// its output in the run directory; the parent waits until the child has
// written its contact file (a byte on `ready`), so that a command run
// straight after `tock play` finds the scheduler, then reports where the run
// is and returns. Returns true in the child, with `ready` to write to once
// the contact file is there; false in the parent, with its exit status in
// `parent_rc` (1 if the child ended before that).
bool detach(const std::string& name, const std::string& run_dir, int& ready, int& parent_rc) {
    std::fflush(stdout);
    std::fflush(stderr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int e = errno;
        ::close(fds[0]);
        ::close(fds[1]);
        throw std::runtime_error(std::string("fork: ") + std::strerror(e));
    }
    if (pid > 0) {
        ::close(fds[1]);
        char c = 0;
        ssize_t n;
        do {
            n = ::read(fds[0], &c, 1);
        } while (n < 0 && errno == EINTR);
        ::close(fds[0]);
        if (n != 1) {
            fmt::print(stderr,
                       "tock play: the scheduler of workflow '{}' ended before it started; see "
                       "{}/log/scheduler/out\n",
                       name, run_dir);
            parent_rc = 1;
            return false;
        }
        fmt::print("tock play: workflow '{}' running in {} (pid {})\n", name, run_dir, pid);
        fmt::print("tock play: follow it with: tail -f {}/log/scheduler/log\n", run_dir);
        parent_rc = 0;
        return false;
    }
    ::close(fds[0]);
    // Above 2, so that the redirections below cannot replace it (a tock
    // play started with its standard descriptors closed gets low fds).
    ready = fds[1] > 2 ? fds[1] : ::fcntl(fds[1], F_DUPFD_CLOEXEC, 3);
    if (ready != fds[1]) ::close(fds[1]);
    ::setsid();
    const int in = ::open("/dev/null", O_RDONLY);
    const int out =
        ::open((run_dir + "/log/scheduler/out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in >= 0) ::dup2(in, 0);
    if (out >= 0) {
        ::dup2(out, 1);
        ::dup2(out, 2);
    }
    if (in > 2) ::close(in);
    if (out > 2) ::close(out);
    return true;
}

// RUN_DIR/.service/contact: how clients find this scheduler (mode 0600).
void write_contact(const config::Workflow& wf, const std::string& run_dir,
                   const std::string& endpoint, const Json& listening) {
    const std::string path = run_dir + "/.service/contact";
    const std::string tmp = path + ".new";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return;
    char host[256] = "";
    ::gethostname(host, sizeof host - 1);
    Json c = {{"workflow", wf.name},  {"pid", ::getpid()},  {"host", host},
              {"endpoint", endpoint}, {"run_dir", run_dir}, {"version", TOCK_VERSION}};
    for (const auto& [k, v] : listening.items()) {
        std::string text = v.get<std::string>();
        // Bound to every interface: clients elsewhere reach it by this host's name.
        for (const char* any : {"tcp://0.0.0.0:", "tcp://[::]:"}) {
            if (text.rfind(any, 0) == 0)
                text = fmt::format("tcp://{}:{}", host, text.substr(std::strlen(any)));
        }
        // An IPv4 address as IPv6 writes it: the plain form.
        if (text.rfind("tcp://[::ffff:", 0) == 0 && text.find("]:") != std::string::npos) {
            const auto close = text.find("]:");
            text = "tcp://" + text.substr(14, close - 14) + text.substr(close + 1);
        }
        c[k] = text;
    }
    const std::string text = c.dump(2) + "\n";
    [[maybe_unused]] const auto n = ::write(fd, text.data(), text.size());
    ::close(fd);
    // Whole or not at all, for a client that reads it meanwhile.
    ::rename(tmp.c_str(), path.c_str());
}

// The run's CurveZMQ keys, in .service/ (0600): the server's keypair and one
// client keypair, which `tock` commands and other clients present over TCP.
// Made at install, kept for restarts. Each file: {"public": .., "secret": ..}.
CurveKeys run_keys(const std::string& run_dir, const char* who) {
    const std::string path = run_dir + "/.service/" + who + ".key";
    if (std::ifstream in(path); in) {
        Json j = Json::parse(in, nullptr, false);
        if (j.is_object() && j.contains("public") && j.contains("secret"))
            return {j["public"].get<std::string>(), j["secret"].get<std::string>()};
    }
    const CurveKeys k = make_curve_keys();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
    const std::string text = Json{{"public", k.public_key}, {"secret", k.secret_key}}.dump() + "\n";
    [[maybe_unused]] const auto n = ::write(fd, text.data(), text.size());
    ::close(fd);
    return k;
}

}  // namespace

namespace {

namespace fs = std::filesystem;

// One scheduler per run: an exclusive lock on RUN_DIR/.service/lock, taken
// before the database is read and held (across detach: the descriptor is
// inherited) until the process ends, whatever ends it. -1 if another
// scheduler holds it.
int lock_run(const std::string& dir) {
    // `tock reload` hands its lock over across the exec: the same open file.
    if (const char* fd_text = std::getenv("TOCK_RUN_LOCK_FD")) {
        const int fd = std::atoi(fd_text);
        ::unsetenv("TOCK_RUN_LOCK_FD");
        if (fd > 2 && ::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            return fd;
        }
    }
    std::error_code ec;
    fs::create_directories(fs::path(dir) / ".service", ec);
    // Its keys and sockets are the run's: only its owner may enter.
    fs::permissions(fs::path(dir) / ".service", fs::perms::owner_all, fs::perm_options::replace,
                    ec);
    const int fd = ::open((dir + "/.service/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;  // kept open on purpose
}

// What a restart needs of the first start: recorded in the run database at
// install, so that the database alone says how to carry on.
void record_install(store::RunDb& db, const PlayOptions& o, const std::string& name) {
    db.begin();
    db.set_param("name", name);
    db.set_param("flow_source", fs::absolute(o.flow).string());
    db.set_param("mode", o.mode);
    db.set_param("fast", o.fast ? "1" : "0");
    const auto& ov = o.overrides;
    for (const auto& [key, v] :
         {std::pair{"initial_cycle", ov.initial}, std::pair{"final_cycle", ov.final},
          std::pair{"stop_after", ov.stop}, std::pair{"hold_after", ov.hold_after}}) {
        if (v) db.set_param(key, *v);
    }
    db.set_param("start_tasks", Json(o.start_tasks).dump());
    db.set_param("vars", Json(ov.vars).dump());
    if (!o.start_cycle_point.empty()) db.set_param("start_cycle_point", o.start_cycle_point);
    db.commit();
}

}  // namespace

std::map<std::string, std::string> recorded_vars(const std::optional<std::string>& json) {
    std::map<std::string, std::string> out;
    if (!json) return out;
    const Json j = Json::parse(*json, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return out;
    for (const auto& [k, v] : j.items()) {
        if (v.is_string()) out[k] = v.get<std::string>();
    }
    return out;
}

namespace {

void recall_install(store::RunDb& db, PlayOptions& o) {
    o.mode = db.param("mode").value_or("live");
    o.fast = db.param("fast").value_or("0") == "1";
    o.overrides = {db.param("initial_cycle"),
                   db.param("final_cycle"),
                   db.param("stop_after"),
                   db.param("hold_after"),
                   recorded_vars(db.param("vars")),
                   {},
                   {}};
    o.start_tasks =
        Json::parse(db.param("start_tasks").value_or("[]")).get<std::vector<std::string>>();
    o.start_cycle_point = db.param("start_cycle_point").value_or("");
}

}  // namespace

std::optional<LoadedRun> load_run(const std::string& run_dir, std::string& why) {
    try {
        PlayOptions o;
        store::RunDb db(run_dir + "/db");
        recall_install(db, o);
        o.overrides.source = db.param("flow_source").value_or("");
        return LoadedRun{config::Workflow::load(run_dir + "/flow.yaml", o.overrides), o.overrides};
    } catch (const config::ConfigErrors& e) {
        why = run_dir + "/flow.yaml is not a valid workflow";
        for (const auto& d : e.errors) why += "\n" + d.where.str() + ": " + d.message;
    } catch (const std::exception& e) {
        why = "cannot read the run in " + run_dir + ": " + e.what();
    }
    return std::nullopt;
}

CurveKeys read_keys(const std::string& path) {
    std::ifstream in(path);
    Json j = in ? Json::parse(in, nullptr, false) : Json();
    if (!j.is_object() || !j.contains("public") || !j.contains("secret"))
        throw std::runtime_error("cannot read a key pair from " + path);
    return {j["public"].get<std::string>(), j["secret"].get<std::string>()};
}

namespace {

// PATH as a directory of this user's that no one else may enter: made
// (0700) if `create` and missing; refused if it is a link, another user's,
// or open to others.
bool private_dir(const std::string& path, bool create, std::string& why) {
    if (create && ::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
        why = fmt::format("cannot create {}: {}", path, std::strerror(errno));
        return false;
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        why = fmt::format("{}: {}", path, std::strerror(errno));
        return false;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != ::getuid() || (st.st_mode & 077) != 0) {
        why = fmt::format(
            "{} is not a directory of this user's closed to others (owner only, mode 0700); "
            "tock keeps the run's sockets there",
            path);
        return false;
    }
    return true;
}

// FNV-1a, 64 bits: a short, stable name for a run directory.
std::string short_name(const std::string& text) {
    std::uint64_t h = 14695981039346656037ull;
    for (const unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    return fmt::format("{:016x}", h);
}

}  // namespace

std::string socket_dir(const std::string& run_dir, bool create, std::string& why) {
    // The user's runtime directory when there is one of a usable length
    // (the longest socket name adds some 40 bytes), else /tmp/tock-UID.
    std::string base;
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    std::string ignored;
    if (xdg && xdg[0] == '/' && std::strlen(xdg) < 60 && private_dir(xdg, false, ignored))
        base = std::string(xdg) + "/tock";
    else
        base = fmt::format("/tmp/tock-{}", ::getuid());
    if (!private_dir(base, create, why)) return "";
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(fs::absolute(run_dir), ec);
    const std::string dir = base + "/" + short_name(ec ? run_dir : real.string());
    if (create && !private_dir(dir, true, why)) return "";
    return dir;
}

std::optional<std::string> latest_run(const std::string& name) {
    const char* home = std::getenv("HOME");
    const fs::path base = fs::path(home ? home : ".") / "tock-run" / name;
    for (int n = highest_run(base); n > 0; --n) {
        if (fs::exists(base / fmt::format("run{}", n) / "db"))
            return (base / fmt::format("run{}", n)).string();
    }
    return std::nullopt;
}

// The global configuration: $TOCK_GLOBAL_CONFIG, or ~/.config/tock/global.yaml
// if it exists. It holds the TCP endpoint for commands (`commands:
// {host_port: HOST:PORT}`), used when --host-port is not given, and
// `platforms:`, which Workflow::load reads (docs/platforms.md). Anything
// else in it is refused: a setting tock accepts does what it says.
bool read_global_config(PlayOptions& o, std::vector<std::string>& global_place) {
    const config::GlobalConfigPath g = config::global_config_path();
    const std::string& path = g.path;
    if (!fs::exists(path)) {
        if (g.must_exist) {
            fmt::print(stderr, "tock play: TOCK_GLOBAL_CONFIG names {}, which does not exist\n",
                       path);
            return false;
        }
        return true;
    }
    try {
        const YAML::Node g = YAML::LoadFile(path);
        if (!g || g.IsNull()) return true;
        if (!g.IsMap()) throw std::runtime_error("the file must be a mapping");
        for (const auto& kv : g) {
            const std::string key = kv.first.as<std::string>();
            if (key == "platforms") continue;  // read with the workflow (docs/platforms.md)
            if (key == "placement") {
                // Where components run by default (docs/placement.md); the
                // workflow's placement and --place come after it.
                if (!kv.second.IsMap())
                    throw std::runtime_error("placement: must be a mapping, such as {'*': thread}");
                for (const auto& c : kv.second)
                    global_place.push_back(c.first.as<std::string>() + "=" +
                                           c.second.as<std::string>());
                continue;
            }
            if (key != "commands")
                throw std::runtime_error(
                    fmt::format("{}: unknown key '{}' (known: commands, placement, platforms)",
                                kv.first.Mark().line + 1, key));
            if (!kv.second.IsMap())
                throw std::runtime_error("commands: must be a mapping, such as {host_port: '*:0'}");
            for (const auto& c : kv.second) {
                const std::string ck = c.first.as<std::string>();
                if (ck != "host_port")
                    throw std::runtime_error(
                        fmt::format("{}: unknown key 'commands.{}' (known: commands.host_port)",
                                    c.first.Mark().line + 1, ck));
                if (o.host_port.empty()) o.host_port = c.second.as<std::string>();
            }
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "tock play: {}: {}\n", path, e.what());
        return false;
    }
    return true;
}

namespace {

// Where each component runs: $TOCK_PLACE, then the global configuration's
// placement, then the workflow's, then --place, each over the one before
// (docs/placement.md). Items are NAME=WHERE, or host=ADDRESS.
bool resolve_placement(const PlayOptions& o, const std::vector<std::string>& global,
                       const config::Workflow& wf, comp::Placement& p) {
    auto apply = [&p](const std::string& item, const std::string& from) {
        std::string why;
        if (item.rfind("host=", 0) == 0) {
            p.host = item.substr(5);
            return true;
        }
        if (p.set(item, why)) return true;
        fmt::print(stderr, "tock play: {}: {}\n", from, why);
        return false;
    };
    if (const char* env = std::getenv("TOCK_PLACE")) {
        std::string item;
        for (std::istringstream in(env); in >> item;)
            if (!apply(item, "TOCK_PLACE")) return false;
    }
    for (const auto& item : global)
        if (!apply(item, "the global configuration's placement")) return false;
    if (!wf.placement_host.empty()) p.host = wf.placement_host;
    for (const auto& [name, where] : wf.placement)
        if (!apply(name + "=" + where, "the workflow's placement")) return false;
    for (const auto& item : o.place)
        if (!apply(item, "--place")) return false;
    if (o.fast && p.any(comp::Where::remote)) {
        fmt::print(stderr,
                   "tock play: --fast keeps one virtual clock for the components of this host: "
                   "place components on other hosts in a run on the real clock\n");
        return false;
    }
    return true;
}

}  // namespace

int play(const PlayOptions& given) {
    PlayOptions o = given;
    int run_lock = -1;
    std::vector<std::string> global_place;
    if (!read_global_config(o, global_place)) return 1;
    if (!o.host_port.empty()) {
        std::string why;
        const auto hp = check_host_port(o.host_port, why);
        if (!hp) {
            fmt::print(stderr, "tock play: --host-port {}: {}\n", o.host_port, why);
            return 2;
        }
        o.host_port = *hp;
    }
    // A restart: --run-dir of an existing run, or a workflow NAME (not a
    // file) whose latest run is under ~/tock-run. Anything else is a new run.
    std::string restart_dir;
    if (!o.run_dir.empty() && fs::exists(fs::path(o.run_dir) / "db")) {
        restart_dir = fs::absolute(o.run_dir).lexically_normal().string();
    } else if (o.run_dir.empty() && !o.flow.empty() && !fs::exists(o.flow)) {
        if (auto run = latest_run(o.flow)) restart_dir = *run;
    }
    if (o.flow.empty() && restart_dir.empty()) {
        fmt::print(stderr,
                   "tock play: give a workflow file, the name of a run to restart, or --run-dir "
                   "of one\n");
        return 2;
    }
    if (restart_dir.empty() && !fs::exists(o.flow)) {
        fmt::print(stderr,
                   "tock play: '{}' is neither a workflow file nor a run to restart (none under "
                   "~/tock-run/{})\n",
                   o.flow, o.flow);
        return 1;
    }
    std::optional<store::Snapshot> snapshot;
    std::string flow_source = o.flow.empty() ? "" : fs::absolute(o.flow).string();
    if (!restart_dir.empty()) {
        if ((run_lock = lock_run(restart_dir)) < 0) {
            fmt::print(stderr, "tock play: the run in {} is running already\n", restart_dir);
            return 1;
        }
        // What the run was installed with is the database's to say.
        std::vector<std::string> fixed;
        if (given.mode != "live") fixed.push_back("--mode");
        if (given.fast) fixed.push_back("--fast");
        if (given.overrides.initial) fixed.push_back("--initial-cycle");
        if (given.overrides.final) fixed.push_back("--final-cycle");
        if (given.overrides.stop) fixed.push_back("--stop-after");
        if (given.overrides.hold_after) fixed.push_back("--hold-after");
        if (!given.start_tasks.empty()) fixed.push_back("--start-task");
        if (!given.start_cycle_point.empty()) fixed.push_back("--start-cycle-point");
        if (given.vars_given) fixed.push_back("--set");
        if (!fixed.empty()) {
            std::string list;
            for (const auto& f : fixed) list += (list.empty() ? "" : ", ") + f;
            fmt::print(stderr,
                       "tock play: {} cannot be given to a restart: the run keeps the options it "
                       "was started with (start a new run from the workflow file, or use tock "
                       "stop --after / tock hold --after on this one)\n",
                       list);
            return 2;
        }
        try {
            store::RunDb db(restart_dir + "/db");
            recall_install(db, o);
            flow_source = db.param("flow_source").value_or("");
            const std::string status = db.param("status").value_or("");
            // A stopped run carries on where it stopped, as in Cylc; only a
            // completed one has nothing left to do.
            if (status == "complete") {
                fmt::print("tock play: the run in {} is {}: nothing to restart\n", restart_dir,
                           status);
                return 0;
            }
            snapshot = db.snapshot();
        } catch (const std::exception& e) {
            fmt::print(stderr, "tock play: cannot restart {}: {}\n", restart_dir, e.what());
            return 1;
        }
        o.flow = restart_dir + "/flow.yaml";
        o.overrides.source = flow_source;
    }
    const comp::RunMode mode = o.mode == "simulation" ? comp::RunMode::simulation
                               : o.mode == "skip"     ? comp::RunMode::skip
                               : o.mode == "dummy"    ? comp::RunMode::dummy
                                                      : comp::RunMode::live;
    if (o.mode != "simulation" && o.mode != "live" && o.mode != "skip" && o.mode != "dummy") {
        fmt::print(stderr, "tock play: unknown mode '{}': use live, simulation, dummy or skip\n",
                   o.mode);
        return 2;
    }
    if (o.fast && comp::real_jobs(mode)) {
        fmt::print(stderr,
                   "tock play: --fast is for simulation and skip modes: {} jobs run in real "
                   "time\n",
                   o.mode);
        return 2;
    }
    std::optional<config::Workflow> wf;
    try {
        wf = config::Workflow::load(o.flow, o.overrides);
    } catch (const config::ConfigErrors& e) {
        for (const auto& d : e.errors)
            fmt::print(stderr, "{}: error: {}\n", d.where.str(), d.message);
        fmt::print(stderr, "tock play: {} is not a valid workflow\n", o.flow);
        return 1;
    }
    if (!check_start_tasks(*wf, o.start_tasks)) return 1;
    comp::Placement placement;
    if (!resolve_placement(o, global_place, *wf, placement)) return 2;
    if (restart_dir.empty() && !check_start_cycle_point(*wf, o)) return 1;
    if (mode == comp::RunMode::live) {
        // Jobs that report over TCP need the scheduler to listen there.
        if (o.host_port.empty()) {
            for (const auto& t : wf->tasks) {
                const config::Platform& p = wf->platform_of(wf->runtime.at(t));
                if (p.communication == "tcp") {
                    fmt::print(stderr,
                               "tock play: task '{}' runs on platform '{}', whose jobs report over "
                               "TCP: start the scheduler with --host-port HOST:PORT (or set "
                               "commands.host_port in the global configuration)\n",
                               t, p.name);
                    return 1;
                }
            }
        }
    }
    std::optional<std::string> dir;
    if (!restart_dir.empty()) {
        dir = restart_dir;
    } else {
        dir = make_run_dir(o, wf->name);
        if (!dir) return 1;
        if ((run_lock = lock_run(*dir)) < 0) {
            fmt::print(stderr, "tock play: the run in {} is running already\n", *dir);
            return 1;
        }
        // The run keeps its own copy of the definition, and the database
        // records how it was started.
        std::error_code ec;
        fs::copy_file(o.flow, *dir + "/flow.yaml", fs::copy_options::overwrite_existing, ec);
        if (ec) {
            fmt::print(stderr, "tock play: cannot copy {} into {}: {}\n", o.flow, *dir,
                       ec.message());
            return 1;
        }
        try {
            store::RunDb db(*dir + "/db");
            record_install(db, o, wf->name);
        } catch (const std::exception& e) {
            fmt::print(stderr, "tock play: {}\n", e.what());
            return 1;
        }
    }
    Setup s;
    s.mode = mode;
    s.mode_name = o.mode;
    s.fast = o.fast;
    s.placement = placement;
    s.run_dir = *dir;
    s.db_path = o.db_in_memory ? ":memory:" : *dir + "/db";
    s.restore = std::move(snapshot);
    // The local endpoints, in a short private directory of their own: a
    // socket's path cannot be as long as a run directory may be. The run's
    // lock is held, so what is there was left by a scheduler of this run
    // that was killed: it goes.
    std::string why;
    const std::string sockets = socket_dir(*dir, true, why);
    if (sockets.empty()) {
        fmt::print(stderr, "tock play: {}\n", why);
        return 1;
    }
    // Every socket in it is this run's (the commands, the state stream,
    // plugins, and with placement the bus, the control channel and the
    // clock: docs/placement.md).
    auto clear_sockets = [&] {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(sockets, ec)) fs::remove(e.path(), ec);
    };
    auto remove_sockets = [&] {
        clear_sockets();
        std::error_code ec;
        fs::remove(sockets, ec);
    };
    clear_sockets();
    s.sockets = sockets;
    s.endpoint = "ipc://" + sockets + "/scheduler.sock";
    s.tock_bin = self_exe();
    s.start_tasks = o.start_tasks;
    s.start_cycle_point = o.start_cycle_point;
    s.host_port = o.host_port;
    s.paused = o.paused;
    try {
        s.server_keys = run_keys(*dir, "server");
        const CurveKeys client = run_keys(*dir, "client");
        s.client_public = client.public_key;
        // Every tcp:// endpoint between components is CurveZMQ with these.
        set_tcp_curve({s.server_keys.secret_key, s.server_keys.public_key, client.public_key,
                       client.secret_key});
    } catch (const std::exception& e) {
        fmt::print(stderr, "tock play: {}\n", e.what());
        return 1;
    }
    s.flow_source = flow_source;
    s.overrides = o.overrides;
    bool reload = false;
    s.reload = &reload;
    bool recover = false;
    s.recover = &recover;
    int ready = -1;  // detached: the pipe to tell the parent the contact file is written
    if (o.reloaded) {
        // Started again by `tock reload` in a detached scheduler's place.
        s.echo = false;
        fmt::print("tock play: workflow '{}' reloaded in {}\n", wf->name, *dir);
        std::fflush(stdout);
    } else if (o.no_detach) {
        s.progress = ::isatty(1);
        fmt::print("tock play: {}workflow '{}' {}in {}\n", s.restore ? "restarting " : "", wf->name,
                   mode == comp::RunMode::live    ? ""
                   : mode == comp::RunMode::dummy ? "in dummy mode "
                   : mode == comp::RunMode::skip
                       ? "in skip mode "
                       : (o.fast ? "in simulation mode (fast) " : "in simulation mode "),
                   *dir);
        std::fflush(stdout);
    } else {
        int parent_rc = 0;
        if (!detach(wf->name, *dir, ready, parent_rc)) return parent_rc;
        s.echo = false;
    }
    // The contact file, once the commands and the state stream listen; then
    // the parent (detached) may return.
    s.on_listening = [&](const Json& listening) {
        write_contact(*wf, *dir, s.endpoint, listening);
        if (ready >= 0) {
            // A parent gone already (killed while it waited) must not take the
            // scheduler with it: no SIGPIPE for this write.
            struct sigaction ignore {
            }, before{};
            ignore.sa_handler = SIG_IGN;
            ::sigaction(SIGPIPE, &ignore, &before);
            [[maybe_unused]] const auto n = ::write(ready, "1", 1);
            ::sigaction(SIGPIPE, &before, nullptr);
            ::close(ready);
            ready = -1;
        }
    };
    int rc = 1;
    {
        Loop loop(o.fast ? ClockMode::virtual_time : ClockMode::real);
        try {
            rc = run_until(loop, scheduler(loop, *wf, s));
        } catch (const std::exception& e) {
            fmt::print(stderr, "tock play: {}\n", e.what());
        }
    }
    std::error_code ec;
    std::filesystem::remove(*dir + "/.service/contact", ec);
    remove_sockets();
    // This process becomes the scheduler again (same pid), restarting from
    // the run database as after any stop: the jobs left running are adopted.
    auto start_again = [&](const char* why) {
        std::fflush(stdout);
        std::fflush(stderr);
        const std::string exe = self_exe();
        std::vector<std::string> args = {exe, "play", "--run-dir", *dir,
                                         s.echo ? "--no-detach" : "--reloaded"};
        if (!o.host_port.empty()) {
            args.push_back("--host-port");
            args.push_back(o.host_port);
        }
        std::istringstream placed(placement.describe());
        for (std::string item; placed >> item;) {
            args.push_back("--place");
            args.push_back(item);
        }
        if (!placement.host.empty()) {
            args.push_back("--place");
            args.push_back("host=" + placement.host);
        }
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        // The run's lock is kept across the exec (no other scheduler can
        // take the run meanwhile); the new image takes it again on the same
        // open file, which flock allows.
        if (run_lock >= 0) {
            ::fcntl(run_lock, F_SETFD, 0);
            ::setenv("TOCK_RUN_LOCK_FD", std::to_string(run_lock).c_str(), 1);
        }
        ::execv(exe.c_str(), argv.data());
        fmt::print(stderr, "tock play: {}: cannot start again: {}\n", why, std::strerror(errno));
        return 1;
    };
    if (reload) {
        // `tock reload`: the new definition in place, then start again.
        std::filesystem::rename(*dir + "/flow.yaml.new", *dir + "/flow.yaml", ec);
        if (ec) {
            fmt::print(stderr, "tock play: reload: cannot install the new definition: {}\n",
                       ec.message());
            return 1;
        }
        return start_again("reload");
    }
    if (recover) {
        // A component placed out of this process was lost (or the bus
        // between processes had a gap): start again from the database, at
        // most three times within a minute of each other.
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        const char* at = std::getenv("TOCK_RECOVERED_AT");
        const char* count = std::getenv("TOCK_RECOVERIES");
        int n = count ? std::atoi(count) : 0;
        if (!at || now - std::atoll(at) > 60) n = 0;
        if (n >= 3) {
            fmt::print(stderr,
                       "tock play: gave up after {} recoveries within a minute; the run database "
                       "is consistent: restart with tock play --run-dir {}\n",
                       n, *dir);
            return rc;
        }
        ::setenv("TOCK_RECOVERIES", std::to_string(n + 1).c_str(), 1);
        ::setenv("TOCK_RECOVERED_AT", std::to_string(now).c_str(), 1);
        fmt::print(stderr, "tock play: recovering: starting again from the run database\n");
        return start_again("recovery");
    }
    return rc;
}

int message(const std::string& job_arg, const std::vector<std::string>& words) {
    const char* env_job = std::getenv("TOCK_TASK_JOB");
    const char* endpoint = std::getenv("TOCK_SCHEDULER");
    const std::string job = !job_arg.empty() ? job_arg : env_job ? env_job : "";
    if (job.empty() || !endpoint) {
        fmt::print(
            stderr,
            "tock message: run it from a tock job (TOCK_TASK_JOB and TOCK_SCHEDULER unset)\n");
        return 2;
    }
    std::string text;
    for (std::size_t i = 0; i < words.size(); ++i) text += (i ? " " : "") + words[i];
    // A job's own messages are written to its job.status as well (its
    // script writes its start and end there itself): what a scheduler that
    // was down never heard is read there when it restarts, and a job whose
    // platform reports by polling (communication: poll, no scheduler to
    // call) is heard only there.
    const bool own = env_job && (job_arg.empty() || job_arg == env_job);
    const char* run_dir = std::getenv("TOCK_RUN_DIR");
    const bool status_word = text == "started" || text == "succeeded" || text == "failed" ||
                             text.rfind("failed ", 0) == 0;
    if (*endpoint == '\0' && !(own && run_dir)) {
        fmt::print(stderr,
                   "tock message: this job reports by job.status: it can send only its own "
                   "messages\n");
        return 1;
    }
    if (own && run_dir && !status_word) {
        std::string line = text;
        std::replace(line.begin(), line.end(), '\n', ' ');
        // The job's directory: RUN/log/job/CYCLE/TASK/NN.
        const std::string dir = fmt::format("{}/log/job/{}", run_dir, env_job);
        std::ofstream st(dir + "/job.status", std::ios::app);
        st << std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count()
           << ' ' << line << '\n';
        if (!st.flush() && *endpoint == '\0') {
            fmt::print(stderr, "tock message: cannot write {}/job.status\n", dir);
            return 1;
        }
    }
    if (*endpoint == '\0') return 0;
    // A local job's message pipe, when it has one and the message is its own.
    if (const char* fd_text = std::getenv("TOCK_MESSAGE_FD");
        fd_text && (job_arg.empty() || (env_job && job_arg == env_job))) {
        std::string line = text;
        std::replace(line.begin(), line.end(), '\n', ' ');
        line += '\n';
        const int fd = std::atoi(fd_text);
        struct stat st {};
        // A scheduler that died leaves the pipe broken: the write fails
        // (EPIPE), and the message goes by ZeroMQ instead.
        std::signal(SIGPIPE, SIG_IGN);
        if (fd > 2 && ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
            ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()))
            return 0;
    }
    // The scheduler of the run now, from its contact file (a restart may
    // have put its endpoint elsewhere); else the one the job started with.
    // TOCK_SCHEDULER=tcp: a job on a platform whose communication is tcp,
    // which reaches the scheduler's TCP message endpoint with CurveZMQ and
    // the run's client key (the run directory is on a shared file system).
    const bool tcp = std::string_view(endpoint) == "tcp";
    std::string to = tcp ? "" : endpoint;
    ChannelOptions co{.heartbeat_interval = std::chrono::seconds(1),
                      .heartbeat_timeout = std::chrono::seconds(5)};
    if (const char* run = run_dir) {
        std::ifstream in(std::string(run) + "/.service/contact");
        const Json c = in ? Json::parse(in, nullptr, false) : Json();
        const char* key = tcp ? "messages_tcp" : "endpoint";
        if (c.is_object() && c.contains(key) && c[key].is_string()) to = c[key].get<std::string>();
        if (tcp) {
            std::ifstream kf(std::string(run) + "/.service/client.key");
            const Json k = kf ? Json::parse(kf, nullptr, false) : Json();
            if (c.is_object() && k.is_object()) {
                co.curve_server_key = c.value("server_public_key", "");
                co.curve_public_key = k.value("public", "");
                co.curve_secret_key = k.value("secret", "");
            }
        }
    }
    if (to.empty() || (tcp && co.curve_secret_key.empty())) {
        fmt::print(
            stderr,
            "tock message: the run's contact file gives no {} (is its scheduler running{}?)\n",
            tcp ? "TCP message endpoint and keys" : "endpoint", tcp ? " with --host-port" : "");
        return 1;
    }
    Loop loop;
    Channel ch(loop, to, co);
    try {
        Json args = {{"job", job}, {"message", text}};
        run_until(loop, ch.call("message", std::move(args)));
    } catch (const std::exception& e) {
        fmt::print(stderr, "tock message: {}\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace tock::cmd
