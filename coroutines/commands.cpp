// commands: operators' requests, from `tock` commands, scripts and other
// languages (docs/protocol.md).
//
// A Server (ROUTER) on the run's local endpoint (ipc:// in the run's socket
// directory, tools/play.hpp socket_dir, which only its owner can enter) and, if asked, on a tcp://
// endpoint with CurveZMQ, whose ZAP handler lets in only the client keys made at install. Each
// request is published as `command` {id, op, args, who}; the task pool applies it and says
// `command.done`, which reaches this component from the store, after the commit that records both
// the command and what it changed. Only then does the reply leave. The component calls nothing: its
// whole interface is its sockets.
//
// `ping` is answered here: the workflow's name, pid and status (running,
// paused, stopping), for `tock scan`.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "coroutines/components.hpp"
#include "coroutines/wire.hpp"
#include "scheduler/curve.hpp"

#ifndef TOCK_VERSION
#define TOCK_VERSION "unknown"
#endif

namespace tock::comp {

namespace {

// The operations that go to the pool (pool_commands.cpp).
const char* const kOps[] = {"pause",     "resume", "stop", "hold",  "release",
                            "trigger",   "kill",   "poll", "set",   "remove",
                            "broadcast", "show",   "dump", "reload"};

struct Commands {
    explicit Commands(Loop& l) : loop(l) {}
    struct Waiting {
        explicit Waiting(Loop& l) : done(l) {}
        Event done;
        Json reply;
    };
    Loop& loop;
    Outbox* out = nullptr;
    const CommandsOptions* opts = nullptr;
    std::string name;
    bool reloading = false;
    std::uint64_t next_id = 1;
    std::map<std::uint64_t, std::shared_ptr<Waiting>> waiting;
    std::string status = "running";
    bool over = false;

    void finish_all(const std::string& why) {
        for (auto& [id, w] : waiting) {
            w->reply = Json{{"ok", false}, {"error", why}};
            w->done.set();
        }
        waiting.clear();
    }

    void on_done(const Json& d) {
        if (!d.contains("id") || !d["id"].is_number_unsigned()) return;
        auto it = waiting.find(d["id"].get<std::uint64_t>());
        if (it == waiting.end()) return;
        it->second->reply = d;
        it->second->done.set();
        waiting.erase(it);
    }

    void on_workflow(const Json& e) {
        const std::string ev = e.value("event", "");
        if (ev == "paused") status = "paused";
        if (ev == "resumed" && status == "paused") status = "running";
        if (ev == "shutdown") {
            over = true;
            finish_all("the workflow shut down before the command was applied");
        }
    }
};

// `reload`: the new definition is read and checked here, before anything
// changes: a file with errors is refused with every error (FILE:LINE:COL),
// and the run goes on as it was. A good one is staged as RUN/flow.yaml.new;
// the pool then stops (jobs left running), and the scheduler starts again
// on it, as a restart (tools/play.cpp).
void stage_reload(const CommandsOptions& o, const std::string& name, Json& args) {
    std::string file = o.flow_source;
    if (auto f = args.find("file"); f != args.end()) {
        if (!f->is_string()) throw std::runtime_error("'file' must be a string");
        file = f->get<std::string>();
    }
    if (file.empty()) throw std::runtime_error("this run does not know its workflow file");
    std::optional<config::Workflow> wf;
    try {
        config::Overrides ov = o.overrides;
        ov.source = file;
        wf = config::Workflow::load(file, ov);
    } catch (const config::ConfigErrors& e) {
        std::string all = fmt::format("{} is not a valid workflow; nothing changed:", file);
        for (const auto& d : e.errors)
            all += fmt::format("\n{}: error: {}", d.where.str(), d.message);
        throw std::runtime_error(all);
    } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("{}; nothing changed", e.what()));
    }
    for (const auto& t : o.start_tasks) {
        const auto slash = t.find('/');
        if (slash == std::string::npos || !wf->is_task(t.substr(slash + 1)))
            throw std::runtime_error(fmt::format(
                "the run was started from {}, which the new file has no task for; nothing changed",
                t));
    }
    if (wf->name != name)
        throw std::runtime_error(fmt::format(
            "the file defines workflow '{}', not '{}'; nothing changed", wf->name, name));
    std::error_code ec;
    std::filesystem::copy_file(file, o.run_dir + "/flow.yaml.new",
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot copy {}: {}", file, ec.message()));
    args["file"] = file;
}

// How deep a command's arguments may nest: far more than any command needs,
// far less than what the bus's JSON reader (or a recursive dump) can take.
constexpr int kMaxDepth = 32;

int depth(const Json& j) {
    int d = 0;
    if (j.is_structured()) {
        for (const auto& x : j) d = std::max(d, depth(x));
        return d + 1;
    }
    return 0;
}

Task<Json> forward(Commands& c, std::string op, Json args) {
    if (c.over) throw std::runtime_error("the workflow is shutting down");
    if (depth(args) > kMaxDepth)
        throw std::runtime_error(
            fmt::format("the arguments nest deeper than {} levels", kMaxDepth));
    std::string who = "local";
    if (auto v = args.find("$via"); v != args.end()) {
        who = v->get<std::string>();
        args.erase(v);
    }
    if (auto u = args.find("user"); u != args.end() && u->is_string()) {
        who = u->get<std::string>() + " (" + who + ")";
        args.erase(u);
    }
    if (op == "reload") {
        if (c.reloading) throw std::runtime_error("a reload is under way already");
        stage_reload(*c.opts, c.name, args);
        c.reloading = true;
    }
    const std::uint64_t id = c.next_id++;
    auto w = std::make_shared<Commands::Waiting>(c.loop);
    c.waiting[id] = w;
    c.out->post("command", Json{{"id", id}, {"op", op}, {"args", std::move(args)}, {"who", who}});
    co_await w->done.wait();
    if (!w->reply.value("ok", false))
        throw std::runtime_error(w->reply.value("error", std::string("refused")));
    Json result = w->reply.value("result", Json());
    if (op == "stop" && result.is_object() && result.contains("stopping")) c.status = "stopping";
    co_return result;
}

}  // namespace

Task<void> commands(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                    CommandsOptions opts, Event* ready) {
    Publisher pub(loop, "commands", ep.commands);
    Subscriber sub(loop, "commands");
    listen(sub, {ep.store}, {"command.done", "workflow"});
    co_await sub.ready();
    co_await pub.wait_for_subscribers(ep.commands_subscribers);
    Outbox out(loop, pub);
    Commands c(loop);
    c.out = &out;
    c.opts = &opts;
    c.name = wf.name;
    Scope scope(loop);
    scope.spawn(out.run());
    Server server(loop, opts.local_endpoint);
    // No command needs a megabyte: a larger frame on the TCP endpoint
    // (bound below, with this option) is dropped by ZeroMQ.
    server.raw().set(zmq::sockopt::maxmsgsize, std::int64_t{1} << 20);
    if (!opts.tcp_endpoint.empty()) {
        server.bind_curve(opts.tcp_endpoint, opts.server_secret);
        if (opts.tcp_bound) *opts.tcp_bound = server.endpoint();
    }
    server.tag_peers("$via");
    server.require_ids();
    for (const char* op : kOps) {
        server.handle(op, [&c, op](Json args) { return forward(c, op, std::move(args)); });
    }
    const ZapHandler* zap = opts.zap;
    const int pid = opts.scheduler_pid ? opts.scheduler_pid : ::getpid();
    server.handle("ping", [&c, &wf, &server, zap, pid](Json) -> Task<Json> {
        co_return Json{{"workflow", wf.name},
                       {"status", c.over ? "stopping" : c.status},
                       {"pid", pid},
                       {"version", TOCK_VERSION},
                       {"malformed", server.malformed()},
                       {"refused_clients", zap ? zap->refused() : 0}};
    });
    if (ready) ready->set();
    for (;;) {
        const BusMessage m = co_await sub.recv();
        const Json body = decode(m.body);
        auto one = [&](const Json& b) {
            if (m.topic == "command.done") {
                c.on_done(b);
            } else {
                c.on_workflow(b);
            }
        };
        if (body.is_array()) {
            for (const auto& b : body) one(b);
        } else {
            one(body);
        }
    }
}

}  // namespace tock::comp
