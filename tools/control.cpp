#include "tools/control.hpp"

#include <fmt/color.h>
#include <fmt/format.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "coroutines/components.hpp"
#include "scheduler/rpc.hpp"
#include "tools/client.hpp"
#include "tools/play.hpp"

namespace tock::cmd {

namespace fs = std::filesystem;

// What the command line gave.
class Control {
  public:
    std::string op;  // the subcommand
    std::vector<std::string> ids;
    std::string after, wall_clock, point, ns;
    bool now = false, kill = false, all = false, clear = false, display = false, json = false;
    std::vector<std::string> outs, pres, sets;
    std::string file;
    std::map<std::string, CLI::App*> subs;
};

namespace {

struct Usage : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace

// NAME, NAME/runN, or a run directory.
std::string run_dir_of(const std::string& name) {
    if (name.find('/') != std::string::npos && fs::exists(fs::path(name) / "db"))
        return fs::absolute(name).lexically_normal().string();
    const char* home = std::getenv("HOME");
    const fs::path base = fs::path(home ? home : ".") / "tock-run";
    if (name.find('/') != std::string::npos && fs::exists(base / name / "db"))
        return (base / name).string();
    if (auto latest = latest_run(name)) return *latest;
    throw Refusal(
        fmt::format("no run of workflow '{}' (none under {})", name, (base / name).string()));
}

Run find_run(const std::string& name) {
    Run r{name, run_dir_of(name), {}};
    const std::string path = r.dir + "/.service/contact";
    std::ifstream in(path);
    if (!in)
        throw Refusal(
            fmt::format("workflow '{}' is not running (no contact file: {}); start it "
                        "with: tock play {}",
                        name, path, name));
    r.contact = Json::parse(in, nullptr, false);
    if (!r.contact.is_object() || !r.contact.contains("commands"))
        throw Refusal(fmt::format("{} is not a contact file tock can read", path));
    const int pid = r.contact.value("pid", 0);
    // Only a scheduler on this host can be looked for here; one elsewhere
    // answers (over TCP) or does not.
    if (r.contact.value("host", "") == this_host() &&
        (pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH)))
        throw Refusal(fmt::format(
            "workflow '{}' is not running (its contact file names pid {}, which is gone)", name,
            pid));
    return r;
}

namespace {

// NAME//ID, then more ids: NAME//ID, //ID or ID. Returns NAME; ids to `ids`.
std::string split_ids(const std::vector<std::string>& args, std::vector<std::string>& ids) {
    if (args.empty()) throw Usage("name the workflow: NAME, or NAME//CYCLE/TASK");
    std::string name;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        const auto sep = a.find("//");
        std::string id;
        if (sep == std::string::npos) {
            if (i == 0) {
                name = a;
                continue;
            }
            id = a;
        } else {
            const std::string n = a.substr(0, sep);
            if (i == 0) {
                if (n.empty()) throw Usage("the first id must name the workflow: NAME//CYCLE/TASK");
                name = n;
            } else if (!n.empty() && n != name) {
                throw Usage(fmt::format("'{}' names another workflow than '{}'", a, name));
            }
            id = a.substr(sep + 2);
        }
        if (id.empty()) throw Usage(fmt::format("'{}': no task id after //", a));
        ids.push_back(id);
    }
    return name;
}

}  // namespace

std::string this_host() {
    char host[256] = "";
    ::gethostname(host, sizeof host - 1);
    return host;
}

fmt::text_style state_style(const std::string& state) {
    if (state == "succeeded") return fmt::fg(fmt::terminal_color::green);
    if (state == "failed" || state == "submit-failed") return fmt::fg(fmt::terminal_color::red);
    if (state == "running") return fmt::fg(fmt::terminal_color::cyan);
    if (state == "submitted" || state == "preparing") return fmt::fg(fmt::terminal_color::blue);
    if (state == "expired") return fmt::fg(fmt::terminal_color::magenta);
    return {};
}

std::string who() {
    const char* user = std::getenv("USER");
    if (!user) {
        if (const passwd* pw = ::getpwuid(::getuid())) user = pw->pw_name;
    }
    return fmt::format("{}@{}", user ? user : std::to_string(::getuid()), this_host());
}

std::string endpoint_of(const Run& r, const std::string& which, ChannelOptions& o) {
    const bool tcp =
        (r.contact.value("host", "") != this_host() || std::getenv("TOCK_CLIENT_TCP")) &&
        r.contact.contains("commands_tcp");
    o.heartbeat_interval = std::chrono::seconds(1);
    o.heartbeat_timeout = std::chrono::seconds(5);
    if (!tcp) return r.contact.value(which, "");
    std::ifstream kf(r.dir + "/.service/client.key");
    const Json k = Json::parse(kf, nullptr, false);
    if (!k.is_object()) throw Refusal("cannot read the run's client key (.service/client.key)");
    o.curve_server_key = r.contact.value("server_public_key", "");
    o.curve_public_key = k.value("public", "");
    o.curve_secret_key = k.value("secret", "");
    return r.contact.value(which + "_tcp", "");
}

void subscribe_updates(ZSocket& sub, const Run& r) {
    ChannelOptions o;
    const std::string ep = endpoint_of(r, "updates", o);
    if (!o.curve_server_key.empty()) {
        sub.raw().set(zmq::sockopt::curve_serverkey, o.curve_server_key);
        sub.raw().set(zmq::sockopt::curve_publickey, o.curve_public_key);
        sub.raw().set(zmq::sockopt::curve_secretkey, o.curve_secret_key);
    }
    sub.raw().set(zmq::sockopt::subscribe, "delta");
    sub.connect(ep);
}

Json call(const Run& r, const std::string& op, Json args, bool snapshots) {
    ChannelOptions o;
    const std::string endpoint = endpoint_of(r, snapshots ? "snapshots" : "commands", o);
    Loop loop;
    Channel ch(loop, endpoint, o);
    if (!snapshots && !args.contains("user")) args["user"] = who();
    try {
        return run_until(loop, ch.call(op, std::move(args)));
    } catch (const RemoteError& e) {
        throw Refusal(e.what());
    } catch (const PeerLost&) {
        throw Refusal(fmt::format("workflow '{}' did not answer (is it still running?)", r.name));
    }
}

namespace {

void print_done(const std::string& op, const Json& r) {
    if (r.contains("done")) {
        for (const auto& t : r["done"]) fmt::print("{}: {}\n", op, t.get<std::string>());
        for (const auto& t : r["refused"])
            fmt::print(stderr, "{}: {} not done: {}\n", op, t["task"].get<std::string>(),
                       t["why"].get<std::string>());
        return;
    }
    fmt::print("{}: {}\n", op, r.dump());
}

// The state stream's snapshot as a table: a line per cycle point, its tasks
// and their states.
void print_status(const Json& snap) {
    const bool tty = ::isatty(1);
    const Json& w = snap.at("workflow");
    fmt::print("workflow {}: {}{}\n", w.value("name", "?"), w.value("status", "?"),
               w.value("stalled", false) ? " (stalled)" : "");
    std::map<std::int64_t, std::pair<std::string, std::vector<const Json*>>> by_point;
    for (const auto& t : snap.at("tasks")) {
        auto& row = by_point[t.at("point").get<std::int64_t>()];
        row.first = t.at("cycle").get<std::string>();
        row.second.push_back(&t);
    }
    std::size_t width = 5;
    for (const auto& [p, row] : by_point) width = std::max(width, row.first.size());
    for (const auto& [p, row] : by_point) {
        fmt::print("{:<{}} ", row.first, width);
        for (const Json* t : row.second) {
            const std::string state = t->at("state").get<std::string>();
            const std::string text = fmt::format("{}:{}{}", t->at("task").get<std::string>(), state,
                                                 t->value("held", false) ? "(held)" : "");
            if (tty) {
                fmt::print(state_style(state), " {}", text);
            } else {
                fmt::print(" {}", text);
            }
        }
        fmt::print("\n");
    }
}

void print_show(const Json& r) {
    for (const auto& t : r.at("tasks")) {
        fmt::print("{}\n  state: {}{}{}{}\n", t.at("id").get<std::string>(),
                   t.at("state").get<std::string>(), t.value("held", false) ? ", held" : "",
                   t.value("queued", false) ? ", queued" : "",
                   t.value("runahead", false) ? ", beyond the runahead limit" : "");
        if (t.contains("note")) fmt::print("  ({})\n", t["note"].get<std::string>());
        auto checklist = [&](const char* key, bool show_empty) {
            if (!t.contains(key) || (t[key].empty() && !show_empty)) return;
            fmt::print("  {}:\n", key);
            if (t[key].empty()) fmt::print("    (none)\n");
            for (const auto& p : t[key])
                fmt::print("    {} {}\n", p["met"].get<bool>() ? "[x]" : "[ ]",
                           p["prerequisite"].get<std::string>());
        };
        checklist("prerequisites", true);
        checklist("xtriggers", false);
        fmt::print("  outputs:\n");
        for (const auto& o : t.at("outputs"))
            fmt::print("    {} {}{}\n", o["completed"].get<bool>() ? "[x]" : "[ ]",
                       o["output"].get<std::string>(),
                       o["required"].get<bool>() ? "" : " (optional)");
        if (t.contains("job")) {
            fmt::print("  job {:02}: {}\n", t["job"]["num"].get<int>(),
                       t["job"]["dir"].get<std::string>());
            for (const auto& f : t["job"]["files"]) fmt::print("    {}\n", f.get<std::string>());
        }
    }
}

int run(Control& c, const std::vector<std::string>& args) {
    std::vector<std::string> ids;
    const std::string name = split_ids(args, ids);
    const std::string op = c.op;
    const bool needs_ids = op == "trigger" || op == "kill" || op == "poll" || op == "set" ||
                           op == "remove" || op == "show" ||
                           ((op == "hold" || op == "release") && !c.all && c.after.empty());
    if (needs_ids && ids.empty())
        throw Usage(fmt::format("give task ids: NAME//CYCLE/TASK (globs and :STATE allowed)"));
    if (!needs_ids && !ids.empty() && op != "hold" && op != "release")
        throw Usage(fmt::format("{} takes the workflow's name only", op));
    Json a = Json::object();
    if (!ids.empty()) a["ids"] = ids;
    if (op == "stop") {
        if (c.now + c.kill + !c.after.empty() + !c.wall_clock.empty() > 1)
            throw Usage("give one of --now, --kill, --after, --wall-clock");
        if (c.now) a["mode"] = "now";
        if (c.kill) a["mode"] = "kill";
        if (!c.after.empty()) a["after"] = c.after;
        if (!c.wall_clock.empty()) a["wall_clock"] = c.wall_clock;
    } else if (op == "hold" || op == "release") {
        if ((c.all || !c.after.empty()) && !ids.empty())
            throw Usage("give task ids, or --all, or --after CYCLE: not together");
        if (c.all && !c.after.empty()) throw Usage("give --all or --after, not both");
        if (c.all) a["all"] = true;
        if (!c.after.empty()) a["after"] = c.after;
    } else if (op == "set") {
        if (!c.outs.empty() && !c.pres.empty())
            throw Usage("give outputs (--out) or prerequisites (--pre), not both");
        std::vector<std::string> outs;
        for (const auto& o : c.outs) {
            std::stringstream ss(o);
            for (std::string x; std::getline(ss, x, ',');) {
                if (!x.empty())
                    outs.push_back(x == "succeed" ? "succeeded" : x == "fail" ? "failed" : x);
            }
        }
        if (!outs.empty()) a["out"] = outs;
        if (!c.pres.empty()) a["pre"] = c.pres;
    } else if (op == "reload") {
        if (!c.file.empty()) a["file"] = fs::absolute(c.file).string();
    } else if (op == "broadcast") {
        if (c.display + c.clear + !c.sets.empty() != 1)
            throw Usage("give --set KEY=VALUE (repeatable), --clear or --display");
        Json set = Json::object();
        for (const auto& kv : c.sets) {
            const auto eq = kv.find('=');
            if (eq == std::string::npos || eq == 0)
                throw Usage(fmt::format("--set '{}': use KEY=VALUE", kv));
            std::string key = kv.substr(0, eq);
            // Cylc's spelling of an environment variable.
            if (key.rfind("[environment]", 0) == 0) key = "environment." + key.substr(13);
            set[key] = kv.substr(eq + 1);
        }
        if (!set.empty()) a["set"] = set;
        if (!c.point.empty()) a["point"] = c.point;
        if (!c.ns.empty()) a["namespace"] = c.ns;
        if (c.clear) a["clear"] = true;
        if (c.display) a["display"] = true;
    }
    const Run r = find_run(name);
    if (op == "status") {
        print_status(call(r, "snapshot", Json::object(), true));
        return 0;
    }
    const Json result = call(r, op, a);
    if (op == "dump") {
        fmt::print("{}\n", c.json ? result.dump(2) : result.dump());
    } else if (op == "show") {
        if (c.json) {
            fmt::print("{}\n", result.dump(2));
        } else {
            print_show(result);
        }
    } else if (op == "broadcast" && c.display) {
        fmt::print("{}\n", result.at("broadcasts").dump(2));
    } else {
        print_done(op, result);
    }
    return 0;
}

}  // namespace

std::shared_ptr<Control> add_control_commands(CLI::App& app) {
    auto c = std::make_shared<Control>();
    static std::vector<std::string> args;
    auto add = [&](const std::string& name, const std::string& what, const std::string& example) {
        CLI::App* s = app.add_subcommand(name, what);
        s->add_option("ID", args, "NAME, or NAME//CYCLE/TASK[:STATE] (globs allowed), repeatable")
            ->required();
        s->footer("Example:\n  " + example +
                  "\n\nExit status: 0 done, 1 refused (the reason is "
                  "printed), 2 bad usage. See docs/commands.md.");
        c->subs[name] = s;
        return s;
    };
    auto* stop = add("stop", "stop a running workflow (after its active jobs finish)",
                     "tock stop forecast --after 20260102T0000Z");
    stop->add_flag("--now", c->now, "stop at once, leaving active jobs running");
    stop->add_flag("--kill", c->kill, "kill active jobs, then stop");
    stop->add_option("--after", c->after, "stop once every task up to this cycle point is done");
    stop->add_option("--wall-clock", c->wall_clock, "stop at this time (ISO 8601 UTC)");
    add("pause", "submit no new jobs until resumed", "tock pause forecast");
    add("resume", "resume a paused workflow", "tock resume forecast");
    auto* hold = add("hold", "hold tasks: they submit no job until released",
                     "tock hold forecast//20260101T0000Z/model");
    hold->add_option("--after", c->after, "hold every task after this cycle point");
    hold->add_flag("--all", c->all, "hold every task in the pool");
    auto* release = add("release", "release held tasks", "tock release forecast//*/model");
    release->add_flag("--all", c->all, "release every held task, and any --after hold");
    add("trigger", "run tasks now, whatever they wait for",
        "tock trigger forecast//20260101T0000Z/post");
    add("kill", "kill the active jobs of tasks", "tock kill forecast//*/model:running");
    add("poll", "check the jobs of active tasks now", "tock poll forecast//*/*:running");
    auto* set = add("set", "complete outputs, or satisfy prerequisites, by hand",
                    "tock set forecast//20260101T0000Z/model --out succeeded");
    set->add_option("--out", c->outs, "OUTPUT[,OUTPUT...] (default: the required outputs)");
    set->add_option("--pre", c->pres, "CYCLE/TASK:OUTPUT, or all (repeatable)");
    add("remove", "remove tasks from the pool (their active jobs are killed)",
        "tock remove forecast//20260101T0000Z/post");
    auto* bc = add("broadcast", "change the runtime of jobs submitted from now on",
                   "tock broadcast forecast --namespace model --set environment.MEMBERS=12");
    bc->add_option("--set", c->sets,
                   "KEY=VALUE: script, pre-script, post-script, env-script, err-script, "
                   "environment.NAME (repeatable)");
    bc->add_option("--point", c->point, "only at this cycle point (default: all)");
    bc->add_option("--namespace", c->ns, "only this task or family (default: root, all)");
    bc->add_flag("--clear", c->clear, "clear broadcasts (of --point and --namespace, if given)");
    bc->add_flag("--display", c->display, "show the broadcasts in force");
    auto* show = add("show", "a task's state, prerequisites, outputs and job",
                     "tock show forecast//20260101T0000Z/model");
    show->add_flag("--json", c->json, "the whole answer, as JSON");
    add("status", "the workflow's tasks by cycle point, from its state stream",
        "tock status forecast");
    auto* reload = add("reload", "read the workflow file again into the running workflow",
                       "tock reload forecast");
    reload->add_option("--file", c->file,
                       "another workflow file (default: the one it was started from)");
    add("watch", "a live full-screen view; keys hold, release, trigger and kill the selected task",
        "tock watch forecast");
    auto* dump =
        add("dump", "the whole state of the task pool, as JSON", "tock dump forecast --json");
    dump->add_flag("--json", c->json, "indent the JSON");
    return c;
}

int run_control(Control& c, CLI::App& app) {
    for (const auto& [name, sub] : c.subs) {
        if (!app.got_subcommand(sub)) continue;
        c.op = name;
        std::vector<std::string> given = sub->get_option("ID")->as<std::vector<std::string>>();
        if (name == "watch") {
            if (given.size() != 1 || given[0].find("//") != std::string::npos) {
                fmt::print(stderr, "tock watch: give the workflow's name only\n");
                return 2;
            }
            return watch(given[0]);
        }
        try {
            return run(c, given);
        } catch (const Usage& e) {
            fmt::print(stderr, "tock {}: {}\n", name, e.what());
            return 2;
        } catch (const std::exception& e) {
            fmt::print(stderr, "tock {}: {}\n", name, e.what());
            return 1;
        }
    }
    return -1;
}

}  // namespace tock::cmd
