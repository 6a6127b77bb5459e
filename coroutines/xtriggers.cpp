// xtriggers: satisfies the external triggers the task pool waits for.
//
// The router between the task pool and the triggers (triggers/): each
// xtrigger.want is armed once, and answered with xtrigger.satisfied (with
// the trigger's results) or xtrigger.failed (with the reason it never will
// be). wall_clock and clock triggers are timers on the scheduler's clock
// (real or virtual): nothing runs until they are due. file_exists is an
// inotify watch (triggers/file_watch.hpp): no wake-up until the file, or a
// directory on its way, appears; an interval given with it adds a look at
// that interval. The other built-ins are in triggers/builtins.hpp; any
// other function is a plugin's (triggers/plugin_host.hpp), started on
// first use. In simulation and skip modes every xtrigger but the clock
// ones is satisfied at once.
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "coroutines/components.hpp"
#include "coroutines/task_pool.hpp"
#include "coroutines/wire.hpp"
#include "scheduler/clock.hpp"
#include "triggers/builtins.hpp"
#include "triggers/file_watch.hpp"
#include "triggers/plugin_host.hpp"

namespace tock::comp {

namespace {

std::string arg(const config::XTrigger& x, const std::string& key, std::size_t pos) {
    for (const auto& [k, v] : x.kwargs) {
        if (k == key) return v;
    }
    return pos < x.args.size() ? x.args[pos] : "";
}

struct XTriggers {
    Loop& loop;
    const config::Workflow& wf;
    RunMode mode;
    std::string run_dir;
    Outbox& out;
    triggers::PluginHost* plugins;  // live runs only

    // Cylc's xtrigger templates, for a trigger at point p.
    std::string expand(std::string text, const std::string& label, config::Point p) const {
        const char* user = std::getenv("USER");
        const std::pair<const char*, std::string> subs[] = {
            {"%(point)s", wf.cycling.format(p)}, {"%(name)s", label},
            {"%(workflow)s", wf.name},           {"%(id)s", wf.name + "//" + wf.cycling.format(p)},
            {"%(workflow_run_dir)s", run_dir},   {"%(workflow_share_dir)s", run_dir + "/share"},
            {"%(user_name)s", user ? user : ""}, {"%(debug)s", "False"}};
        for (const auto& [key, value] : subs) {
            for (auto at = text.find(key); at != std::string::npos;
                 at = text.find(key, at + value.size())) {
                text.replace(at, std::string(key).size(), value);
            }
        }
        return text;
    }

    Task<void> satisfy(std::string label, config::Point p) {
        Json b = {{"label", label}, {"point", p.value}, {"cycle", wf.cycling.format(p)}};
        try {
            const triggers::Results results = co_await run(label, p);
            Json r = Json::object();
            for (const auto& [k, v] : results) r[k] = v;
            if (!r.empty()) b["results"] = std::move(r);
            out.post("xtrigger.satisfied", b);
        } catch (const triggers::TriggerError& e) {
            b["reason"] = e.what();
            out.post("xtrigger.failed", b);
        } catch (const config::ParseError& e) {
            b["reason"] = e.what();
            out.post("xtrigger.failed", b);
        }
    }

    Task<triggers::Results> run(const std::string& label, config::Point p) {
        auto decl = wf.xtriggers.find(label);
        const std::string function = decl != wf.xtriggers.end() ? decl->second.function : label;
        auto ct = std::find_if(wf.clock_trigger.begin(), wf.clock_trigger.end(), [&](auto& kv) {
            return pool::clock_trigger_label(kv.first) == label;
        });
        const bool datetime = wf.cycling.settings().mode == config::CyclingMode::datetime;
        if (ct != wf.clock_trigger.end()) {
            co_await loop.clock().sleep_until(wall_time(wf.cycling.add(p, ct->second)));
            co_return triggers::Results{};
        }
        if (function == "wall_clock" && datetime) {
            // The cycle point plus the offset: a timer, not a poll.
            config::Interval offset{};
            const std::string text =
                decl != wf.xtriggers.end() ? arg(decl->second, "offset", 0) : "";
            if (!text.empty()) offset = wf.cycling.parse_interval(text);
            co_await loop.clock().sleep_until(wall_time(wf.cycling.add(p, offset)));
            co_return triggers::Results{};
        }
        if (mode != RunMode::live || decl == wf.xtriggers.end()) co_return triggers::Results{};
        const config::XTrigger& x = decl->second;
        if (function == "file_exists") {
            // Told by inotify, not polled; an interval written with the
            // trigger (file_exists(...):PT1M) adds a look at that interval,
            // for file systems that raise no event for changes made on
            // another host.
            const std::string path = expand(arg(x, "path", 0), label, p);
            std::optional<Duration> every;
            if (x.interval) every = to_duration(*x.interval);
            triggers::FileWatch watch(loop, path);
            co_await watch.wait(every);
            co_return triggers::Results{{"path", path}};
        }
        std::vector<std::string> args;
        std::vector<std::pair<std::string, std::string>> kwargs;
        for (const auto& a : x.args) args.push_back(expand(a, label, p));
        for (const auto& [k, v] : x.kwargs) kwargs.emplace_back(k, expand(v, label, p));
        if (triggers::is_builtin(function)) {
            triggers::Call call{label, function, std::move(args), std::move(kwargs), std::nullopt};
            if (x.interval) call.interval = to_duration(*x.interval);
            co_return co_await triggers::run_builtin(loop, std::move(call));
        }
        const auto [plugin, fn] = triggers::plugin_of(function);
        // The interval written after the call goes to the plugin, which
        // looks at that interval; the scheduler itself never polls.
        std::string interval;
        if (x.interval) {
            interval = fmt::format(
                "PT{}S",
                std::chrono::duration_cast<std::chrono::seconds>(to_duration(*x.interval)).count());
        }
        co_return co_await plugins->watch(plugin, fn, std::move(args), std::move(kwargs),
                                          std::move(interval));
    }
};

}  // namespace

Task<void> xtriggers(Loop& loop, const config::Workflow& wf, const Endpoints& ep, RunMode mode,
                     std::string run_dir, std::string plugin_endpoint) {
    Publisher pub(loop, "xtriggers", ep.xtriggers);
    Subscriber sub(loop, "xtriggers");
    listen(sub, {ep.store}, {"xtrigger.want"});
    co_await sub.ready();
    Inbox in(sub);
    co_await pub.wait_for_subscribers(ep.xtriggers_subscribers);
    Outbox out(loop, pub);
    // Plugins are started on first use, only in live runs.
    std::optional<triggers::PluginHost> host;
    Scope host_scope(loop);
    const bool uses_plugins = std::any_of(wf.xtriggers.begin(), wf.xtriggers.end(), [](auto& kv) {
        return !config::builtin_xtrigger(kv.second.function);
    });
    if (mode == RunMode::live && uses_plugins) {
        triggers::PluginHostOptions po;
        po.dirs = wf.plugin_dirs();
        po.endpoints = {std::move(plugin_endpoint)};
        po.log_dir = run_dir + "/log/plugins";
        std::error_code ec;
        std::filesystem::create_directories(po.log_dir, ec);
        po.env = {{"TOCK_WORKFLOW", wf.name}, {"TOCK_RUN_DIR", run_dir}};
        if (wf.plugins.heartbeat) po.heartbeat = to_duration(*wf.plugins.heartbeat);
        po.log = [&out](const std::string& line) {
            out.post("xtrigger.note", Json{{"text", line}});
        };
        host.emplace(loop, std::move(po));
        host_scope.spawn(host->run());
    }
    XTriggers x{loop, wf, mode, std::move(run_dir), out, host ? &*host : nullptr};
    Scope scope(loop);
    scope.spawn(out.run());
    std::set<std::pair<std::string, std::int64_t>> armed;
    for (;;) {
        auto [topic, body] = co_await in.next();
        const std::string label = body.at("label").get<std::string>();
        const config::Point p = point_of(body);
        if (armed.insert({label, p.value}).second) scope.spawn(x.satisfy(label, p));
    }
}

}  // namespace tock::comp
