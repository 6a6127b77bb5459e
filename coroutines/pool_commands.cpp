// The task pool's side of operator commands. The commands component
// publishes each request as a `command` {id, op, args, who}; the pool
// applies it, posts the task events it caused, then `command.done` {id, op,
// args, who, ok, result | error}. Both go through the store, so a command's
// effects and its record in the run database are committed before its
// reply leaves (docs/protocol.md lists every op).
#include <fmt/format.h>

#include <cctype>
#include <ctime>

#include "coroutines/pool_driver.hpp"
#include "coroutines/task_ids.hpp"

namespace tock::comp::pool_driver {

namespace {

// A refusal the operator can act on: it becomes the command's error.
struct Refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::vector<std::string> ids_of(const Json& args) {
    std::vector<std::string> ids;
    if (auto it = args.find("ids"); it != args.end()) {
        if (!it->is_array()) throw Refused("'ids' must be a list of task ids");
        for (const auto& i : *it) {
            if (!i.is_string()) throw Refused("'ids' must be a list of task ids");
            ids.push_back(i.get<std::string>());
        }
    }
    return ids;
}

std::string str_arg(const Json& args, const char* key) {
    auto it = args.find(key);
    if (it == args.end() || it->is_null()) return "";
    if (!it->is_string()) throw Refused(fmt::format("'{}' must be a string", key));
    return it->get<std::string>();
}

bool bool_arg(const Json& args, const char* key) {
    auto it = args.find(key);
    if (it == args.end() || it->is_null()) return false;
    if (!it->is_boolean()) throw Refused(fmt::format("'{}' must be true or false", key));
    return it->get<bool>();
}

// An ISO 8601 UTC time (2026-12-05T18:00Z, 2026-12-05T18:00:00Z) as unix
// microseconds.
std::int64_t parse_wall_clock(const std::string& s) {
    std::tm tm{};
    const char* end = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M", &tm);
    if (end && *end == ':') end = ::strptime(end, ":%S", &tm);
    if (!end || !(std::string_view(end) == "Z" || std::string_view(end) == "+00:00" ||
                  std::string_view(end).empty()))
        throw Refused(
            fmt::format("--wall-clock '{}': use an ISO 8601 UTC time such as "
                        "2026-12-05T18:00Z",
                        s));
    return static_cast<std::int64_t>(::timegm(&tm)) * 1'000'000;
}

// The keys a broadcast may set: what a job's script is made of.
bool broadcastable(const std::string& key) {
    return key == "script" || key == "pre-script" || key == "post-script" || key == "env-script" ||
           key == "err-script" || (key.rfind("environment.", 0) == 0 && key.size() > 12);
}

}  // namespace

Json Driver::settings() const {
    Json s = {{"paused", paused}, {"broadcasts", broadcasts}};
    if (auto p = pool.stop_point(); p && p != wf.stop) s["stop_after"] = p->value;
    if (auto p = pool.hold_after(); p != wf.hold_after) {
        // null: `release --all` cleared the hold-after point play was given.
        s["hold_after"] = p ? Json(p->value) : Json();
    }
    Json later = Json::array();
    for (const auto& id : pool.holds_to_come()) later.push_back({id.point.value, id.name});
    s["holds"] = later;
    if (stop_wall) s["stop_wall_clock"] = *stop_wall;
    // Triggers not yet carried out, and prerequisites satisfied by hand:
    // no task row says so, and a restart must not lose them.
    Json triggered = Json::array(), pre = Json::array();
    for (const auto& [id, t] : pool.tasks()) {
        if (t.forced) triggered.push_back({id.point.value, id.name});
        for (const auto& [p, task, output] : t.pre_set)
            pre.push_back({id.point.value, id.name, p.value, task, output});
    }
    if (!triggered.empty()) s["triggered"] = triggered;
    if (!pre.empty()) s["prerequisites_set"] = pre;
    return s;
}

void Driver::apply_settings(const Json& s, bool tasks) {
    if (tasks) {
        for (const auto& p : s.value("prerequisites_set", Json::array())) {
            pool.set_prereq(
                {config::Point{p.at(0).get<std::int64_t>()}, p.at(1).get<std::string>()},
                config::Point{p.at(2).get<std::int64_t>()}, p.at(3).get<std::string>(),
                p.at(4).get<std::string>());
        }
        for (const auto& t : s.value("triggered", Json::array())) {
            pool.trigger({config::Point{t.at(0).get<std::int64_t>()}, t.at(1).get<std::string>()});
        }
        return;
    }
    paused = s.value("paused", false);
    broadcasts = s.value("broadcasts", Json::array());
    if (s.contains("stop_after"))
        pool.set_stop_point(config::Point{s["stop_after"].get<std::int64_t>()});
    if (s.contains("hold_after")) {
        pool.set_hold_after(s["hold_after"].is_null() ? std::nullopt
                                                      : std::optional(config::Point{
                                                            s["hold_after"].get<std::int64_t>()}));
    }
    for (const auto& h : s.value("holds", Json::array())) {
        pool.hold({config::Point{h.at(0).get<std::int64_t>()}, h.at(1).get<std::string>()});
    }
    if (s.contains("stop_wall_clock")) {
        stop_wall = s["stop_wall_clock"].get<std::int64_t>();
        arm_wall_stop();
    }
}

void Driver::arm_wall_stop() {
    wall_timer = std::make_unique<Scope>(loop);
    if (!stop_wall) return;
    wall_timer->spawn([](Driver& d) -> Task<void> {
        const auto left =
            std::chrono::microseconds(std::max<std::int64_t>(0, *d.stop_wall - unix_micros()));
        co_await d.loop.clock().sleep_for(std::chrono::duration_cast<Duration>(left));
        d.stopping = "clean";
        d.stop_wall.reset();
        d.save_settings();
        d.dirty.set();
    }(*this));
}

Json Driver::job_broadcast(const TaskId& id) const {
    // Root first, the task last, and for each namespace every point before
    // this one: the most specific setting wins, as in Cylc.
    const auto& lineage = wf.runtime.at(id.name).lineage;
    Json out = Json::object();
    for (auto ns = lineage.rbegin(); ns != lineage.rend(); ++ns) {
        for (const bool specific : {false, true}) {
            for (const auto& b : broadcasts) {
                if (b.at("namespace") != *ns) continue;
                const bool any = b.at("point") == "*";
                if (specific == any) continue;
                if (!any && b.at("point").get<std::int64_t>() != id.point.value) continue;
                for (const auto& [k, v] : b.at("settings").items()) out[k] = v;
            }
        }
    }
    return out;
}

void Driver::add_xtrigger_env(const TaskId& id, Json& settings) const {
    auto name = [](const std::string& s) {
        std::string out;
        for (const char c : s) {
            out += std::isalnum(static_cast<unsigned char>(c))
                       ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                       : '_';
        }
        return out;
    };
    for (const auto& x : pool.xtriggers_of(id)) {
        auto it = xtrigger_results.find(x);
        if (it == xtrigger_results.end()) continue;
        for (const auto& [k, v] : it->second.items()) {
            const std::string key =
                fmt::format("environment.TOCK_XTRIGGER_{}_{}", name(x.first), name(k));
            // An operator's broadcast of the same variable wins.
            if (!settings.contains(key)) settings[key] = v.is_string() ? v : Json(v.dump());
        }
    }
}

void Driver::command(const Json& c) {
    Json reply = {{"id", c.value("id", Json())},
                  {"op", c.value("op", "")},
                  {"args", c.value("args", Json::object())},
                  {"who", c.value("who", "")}};
    try {
        if (!reply["op"].is_string()) throw Refused("'op' must be a string");
        reply["result"] = run_command(reply["op"].get<std::string>(), reply["args"]);
        reply["ok"] = true;
    } catch (const std::exception& e) {
        reply["ok"] = false;
        reply["error"] = e.what();
    }
    post_removed();  // what the command's outputs removed (suicide triggers)
    out.post("command.done", reply);
    if (std::exchange(stop_now, false))
        finish(0, "stopped", "stopped by an operator (--now: jobs left running)");
    if (std::exchange(reload_now, false))
        finish(0, "reload", "reloading the workflow definition (jobs left running)");
    dirty.set();
}

Json Driver::run_command(const std::string& op, const Json& args) {
    if (!args.is_object()) throw Refused("the arguments must be an object");
    auto resolve = [&](bool outside) {
        const auto ids = ids_of(args);
        if (ids.empty()) throw Refused("give at least one task id");
        try {
            return pool::resolve_ids(pool, ids, outside);
        } catch (const pool::IdError& e) {
            throw Refused(e.what());
        }
    };
    auto name = [&](const TaskId& id) { return task_name(wf.cycling.format(id.point), id.name); };
    // Per task: done, or refused with why; refused altogether if none was done.
    Json did = Json::array(), refused = Json::array();
    auto each = [&](const std::vector<TaskId>& ids, auto&& f) {
        for (const auto& id : ids) {
            const std::string why = f(id);
            if (why.empty()) {
                did.push_back(name(id));
            } else {
                refused.push_back({{"task", name(id)}, {"why", why}});
            }
        }
        if (did.empty()) {
            std::string all;
            for (const auto& r : refused) {
                all += (all.empty() ? "" : "; ") + r["task"].get<std::string>() + ": " +
                       r["why"].get<std::string>();
            }
            throw Refused(fmt::format("nothing done: {}", all));
        }
        return Json{{"done", did}, {"refused", refused}};
    };
    auto point_arg = [&](const char* key) -> std::optional<config::Point> {
        const std::string v = str_arg(args, key);
        if (v.empty()) return std::nullopt;
        try {
            return wf.cycling.parse_point(v);
        } catch (const std::exception& e) {
            throw Refused(fmt::format("'{}' is not a cycle point: {}", v, e.what()));
        }
    };

    if (op == "pause" || op == "resume") {
        const bool was = paused;
        paused = op == "pause";
        if (was != paused) {
            out.post("workflow", Json{{"event", paused ? "paused" : "resumed"}});
            save_settings();
        }
        return Json{{"paused", paused}, {"changed", was != paused}};
    }
    if (op == "stop") {
        const std::string mode = str_arg(args, "mode");
        if (auto after = point_arg("after")) {
            pool.set_stop_point(*after);
            save_settings();
            return Json{{"stop_after", wf.cycling.format(*after)}};
        }
        if (const std::string wall = str_arg(args, "wall_clock"); !wall.empty()) {
            stop_wall = parse_wall_clock(wall);
            arm_wall_stop();
            save_settings();
            return Json{{"stop_wall_clock", wall}};
        }
        if (mode == "now") {
            stop_now = true;
            return Json{{"stopping", "now"}};
        }
        if (mode == "kill") {
            for (const auto& [id, t] : pool.tasks()) {
                if (t.state == State::preparing || t.state == State::submitted ||
                    t.state == State::running) {
                    pool.mark_killed(id);
                    out.post("kill", task_fields(wf, id.point, id.name, t.submit_num));
                }
            }
        } else if (!mode.empty() && mode != "clean") {
            throw Refused(fmt::format("no mode '{}' (clean, now, kill)", mode));
        }
        stopping = "clean";
        out.post("workflow", Json{{"event", "stopping"}});
        return Json{{"stopping", mode.empty() ? "clean" : mode}, {"active", pool.active()}};
    }
    if (op == "hold") {
        if (auto after = point_arg("after")) {
            pool.set_hold_after(*after);
            for (const auto& [id, t] : pool.tasks()) {
                if (t.held && id.point > *after) post("held", id);
            }
            save_settings();
            return Json{{"hold_after", wf.cycling.format(*after)}};
        }
        if (bool_arg(args, "all")) {
            std::vector<TaskId> ids;
            for (const auto& [id, t] : pool.tasks()) ids.push_back(id);
            for (const auto& id : ids) {
                if (pool.hold(id).empty()) post("held", id);
            }
            return Json{{"held", ids.size()}};
        }
        const Json r = each(resolve(true), [&](const TaskId& id) {
            const std::string why = pool.hold(id);
            if (why.empty() && pool.find(id)) post("held", id);
            return why;
        });
        save_settings();
        return r;
    }
    if (op == "release") {
        if (bool_arg(args, "all")) {
            std::vector<TaskId> held;
            for (const auto& [id, t] : pool.tasks()) {
                if (t.held) held.push_back(id);
            }
            pool.release_all();
            for (const auto& id : held) post("released", id);
            save_settings();
            return Json{{"released", held.size()}};
        }
        const Json r = each(resolve(true), [&](const TaskId& id) {
            const std::string why = pool.unhold(id);
            if (why.empty() && pool.find(id)) post("released", id);
            return why;
        });
        save_settings();
        return r;
    }
    if (op == "trigger") {
        const Json r = each(resolve(true), [&](const TaskId& id) { return pool.trigger(id); });
        save_settings();  // durable with the reply, until the jobs are submitted
        return r;
    }
    if (op == "kill" || op == "poll") {
        if (op == "kill" && !live)
            throw Refused("this run's jobs are simulated: there is no job to kill");
        return each(resolve(false), [&](const TaskId& id) -> std::string {
            const pool::Task* t = pool.find(id);
            if (!t || !(t->state == State::preparing || t->state == State::submitted ||
                        t->state == State::running))
                return fmt::format("it has no active job (it is {})",
                                   t ? pool::to_string(t->state) : "not in the pool");
            if (op == "kill") pool.mark_killed(id);
            out.post(op, task_fields(wf, id.point, id.name, t->submit_num));
            return "";
        });
    }
    if (op == "set") {
        auto strings = [&](const char* key) {
            std::vector<std::string> v;
            const Json list = args.value(key, Json::array());
            if (!list.is_array()) throw Refused(fmt::format("'{}' must be a list of strings", key));
            for (const auto& x : list) {
                if (!x.is_string())
                    throw Refused(fmt::format("'{}' must be a list of strings", key));
                v.push_back(x.get<std::string>());
            }
            return v;
        };
        const std::vector<std::string> outs = strings("out");
        const std::vector<std::string> pres = strings("pre");
        if (!outs.empty() && !pres.empty())
            throw Refused("give outputs (--out) or prerequisites (--pre), not both");
        return each(resolve(true), [&](const TaskId& id) -> std::string {
            if (!pres.empty()) {
                for (const auto& p : pres) {
                    std::string why;
                    if (p == "all") {
                        why = pool.set_prereq(id, {}, "", "");
                    } else {
                        const auto slash = p.find('/');
                        const auto colon = p.find(':', slash == std::string::npos ? 0 : slash);
                        if (slash == std::string::npos || colon == std::string::npos)
                            return fmt::format("--pre '{}': use CYCLE/TASK:OUTPUT, or all", p);
                        config::Point pt;
                        try {
                            pt = wf.cycling.parse_point(p.substr(0, slash));
                        } catch (const std::exception& e) {
                            return fmt::format("--pre '{}': {}", p, e.what());
                        }
                        std::string output = p.substr(colon + 1);
                        if (output == "succeed") output = "succeeded";
                        if (output == "fail") output = "failed";
                        why =
                            pool.set_prereq(id, pt, p.substr(slash + 1, colon - slash - 1), output);
                    }
                    if (!why.empty()) return why;
                }
                post("prerequisites-set", id);
                save_settings();
                return "";
            }
            const std::string why = pool.set_outputs(id, outs);
            if (why.empty()) {
                std::string list;
                for (const auto& o : outs) list += (list.empty() ? "" : ",") + o;
                const auto* done = pool.done_outputs(id);
                post("set", id, nullptr, nullptr,
                     done && done->count("succeeded") ? "succeeded" : "done",
                     list.empty() ? std::string_view("required") : std::string_view(list));
            }
            return why;
        });
    }
    if (op == "remove") {
        return each(resolve(false), [&](const TaskId& id) -> std::string {
            const pool::Task* t = pool.find(id);
            const int num = t ? t->submit_num : 0;
            bool active = false;
            const std::string why = pool.remove(id, active);
            if (!why.empty()) return why;
            if (active && live) out.post("kill", task_fields(wf, id.point, id.name, num));
            post("removed", id, nullptr, nullptr, "removed");
            return "";
        });
    }
    if (op == "broadcast") {
        if (bool_arg(args, "display")) return Json{{"broadcasts", broadcasts_shown()}};
        std::string ns = str_arg(args, "namespace");
        if (ns.empty()) ns = "root";
        if (ns != "root" && !wf.is_task(ns) && !wf.is_family(ns))
            throw Refused(fmt::format("there is no task or family '{}'", ns));
        Json point = "*";
        if (auto p = point_arg("point")) point = p->value;
        if (bool_arg(args, "clear")) {
            const std::size_t before = broadcasts.size();
            Json kept = Json::array();
            for (const auto& b : broadcasts) {
                const bool match = (!args.contains("namespace") || b["namespace"] == ns) &&
                                   (!args.contains("point") || b["point"] == point);
                if (!match) kept.push_back(b);
            }
            broadcasts = std::move(kept);
            save_settings();
            return Json{{"cleared", before - broadcasts.size()}};
        }
        const Json set = args.value("set", Json::object());
        if (!set.is_object() || set.empty())
            throw Refused("give --set KEY=VALUE, --clear or --display");
        for (const auto& [k, v] : set.items()) {
            if (!broadcastable(k))
                throw Refused(
                    fmt::format("'{}' cannot be broadcast (script, pre-script, post-script, "
                                "env-script, err-script, environment.NAME)",
                                k));
            if (!v.is_string()) throw Refused(fmt::format("'{}' needs a string", k));
        }
        broadcasts.push_back({{"point", point}, {"namespace", ns}, {"settings", set}});
        save_settings();
        return Json{{"broadcasts", broadcasts.size()}};
    }
    if (op == "show") {
        Json tasks = Json::array();
        for (const auto& id : resolve(true)) tasks.push_back(show(id));
        return Json{{"tasks", tasks}};
    }
    if (op == "dump") return dump();
    if (op == "reload") {
        // The commands component checked and staged the new definition.
        reload_now = true;
        return Json{{"reloading", args.value("file", "")}};
    }
    throw Refused(fmt::format(
        "unknown command '{}' (pause, resume, stop, hold, release, trigger, kill, poll, set, "
        "remove, broadcast, show, dump, reload)",
        op));
}

Json Driver::show(const TaskId& id) {
    const pool::Task* t = pool.find(id);
    const std::string cycle = wf.cycling.format(id.point);
    Json j = {{"id", task_name(cycle, id.name)}, {"cycle", cycle}, {"task", id.name}};
    const config::Runtime& rt = wf.runtime.at(id.name);
    Json outputs = Json::array();
    auto outputs_of = [&](const std::set<std::string>& have) {
        std::vector<std::string> names = {"submitted", "started", "succeeded", "failed"};
        for (const auto& [o, m] : rt.outputs) names.push_back(o);
        for (const auto& o : names) {
            outputs.push_back({{"output", o},
                               {"completed", have.count(o) > 0},
                               {"required", rt.output_required(o)}});
        }
    };
    int num = 0;
    if (t) {
        num = t->submit_num;
        j["state"] = pool::to_string(t->state);
        j["held"] = t->held;
        j["queued"] = t->queued;
        j["runahead"] = t->runahead;
        j["ready"] = pool.is_ready(id);
        Json pre = Json::array(), xts = Json::array();
        for (const auto& [what, met] : pool.prerequisites(id)) {
            (what[0] == '@' ? xts : pre).push_back({{"prerequisite", what}, {"met", met}});
        }
        j["prerequisites"] = pre;
        j["xtriggers"] = xts;
        outputs_of(t->outputs);
    } else if (const auto* done = pool.done_outputs(id)) {
        num = pool.done_submit_num(id);
        j["state"] = done->count("succeeded") ? "succeeded" : "done";
        j["in_pool"] = false;
        outputs_of(*done);
    } else {
        j["state"] = "waiting";
        j["in_pool"] = false;
        if (pool.holds_to_come().count(id)) j["held"] = true;
        j["note"] = "not spawned yet: its prerequisites are not known to be met";
        outputs_of({});
    }
    j["outputs"] = outputs;
    if (num > 0) {
        const std::string dir = fmt::format("{}/log/job/{}/{}/{:02}", run_dir, cycle, id.name, num);
        j["job"] = {
            {"num", num},
            {"dir", dir},
            {"files", {dir + "/job", dir + "/job.out", dir + "/job.err", dir + "/job.status"}}};
    }
    return j;
}

// The settings as an operator reads them: cycle points written out.
Json Driver::settings_shown() const {
    Json s = settings();
    for (const char* k : {"stop_after", "hold_after"}) {
        if (s.contains(k) && !s[k].is_null())
            s[k] = wf.cycling.format(config::Point{s[k].get<std::int64_t>()});
    }
    for (auto& h : s["holds"])
        h = task_name(wf.cycling.format(config::Point{h[0].get<std::int64_t>()}),
                      h[1].get<std::string>());
    s["broadcasts"] = broadcasts_shown();
    if (s.contains("stop_wall_clock")) {
        const std::time_t t =
            static_cast<std::time_t>(s["stop_wall_clock"].get<std::int64_t>() / 1'000'000);
        std::tm tm{};
        ::gmtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        s["stop_wall_clock"] = buf;
    }
    return s;
}

Json Driver::broadcasts_shown() const {
    Json out = broadcasts;
    for (auto& b : out) {
        if (b["point"] != "*")
            b["point"] = wf.cycling.format(config::Point{b["point"].get<std::int64_t>()});
    }
    return out;
}

Json Driver::dump() {
    Json tasks = Json::array();
    for (const auto& [id, t] : pool.tasks()) {
        Json j = task_fields(wf, id.point, id.name, t.submit_num);
        j["state"] = pool::to_string(t.state);
        if (t.held) j["held"] = true;
        if (t.queued) j["queued"] = true;
        if (t.runahead) j["runahead"] = true;
        if (t.retry_pending) j["retrying"] = true;
        j["outputs"] = t.outputs;
        tasks.push_back(std::move(j));
    }
    Json w = {{"name", wf.name},
              {"status", !stopping.empty() ? "stopping"
                         : paused          ? "paused"
                                           : "running"},
              {"stalled", stalled},
              {"active", pool.active()},
              {"settings", settings_shown()}};
    return Json{{"workflow", w}, {"tasks", tasks}};
}

}  // namespace tock::comp::pool_driver
