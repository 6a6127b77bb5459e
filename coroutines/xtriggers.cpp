// xtriggers: satisfies the external triggers the task pool waits for.
//
// wall_clock and clock triggers are timers on the scheduler's clock (real or
// virtual): nothing runs until they are due. file_exists is an inotify watch
// (triggers/file_watch.hpp): no wake-up until the file, or a directory on
// its way, appears; an interval given with it adds a look at that interval.
// In simulation and skip modes every other xtrigger is satisfied at once.
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "coroutines/components.hpp"
#include "coroutines/task_pool.hpp"
#include "coroutines/wire.hpp"
#include "scheduler/clock.hpp"
#include "triggers/file_watch.hpp"

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
        auto decl = wf.xtriggers.find(label);
        const std::string function = decl != wf.xtriggers.end() ? decl->second.function : label;
        auto ct = std::find_if(wf.clock_trigger.begin(), wf.clock_trigger.end(), [&](auto& kv) {
            return pool::clock_trigger_label(kv.first) == label;
        });
        const bool datetime = wf.cycling.settings().mode == config::CyclingMode::datetime;
        if (ct != wf.clock_trigger.end()) {
            co_await loop.clock().sleep_until(wall_time(wf.cycling.add(p, ct->second)));
        } else if (function == "wall_clock" && datetime) {
            // The cycle point plus the offset: a timer, not a poll.
            config::Interval offset{};
            const std::string text =
                decl != wf.xtriggers.end() ? arg(decl->second, "offset", 0) : "";
            if (!text.empty()) offset = wf.cycling.parse_interval(text);
            co_await loop.clock().sleep_until(wall_time(wf.cycling.add(p, offset)));
        } else if (mode == RunMode::live && function == "file_exists" &&
                   decl != wf.xtriggers.end()) {
            // Told by inotify, not polled; an interval written with the
            // trigger (file_exists(...):PT1M) adds a look at that interval,
            // for file systems that raise no event for changes made on
            // another host.
            const std::string path = expand(arg(decl->second, "path", 0), label, p);
            std::optional<Duration> every;
            if (decl->second.interval) every = to_duration(*decl->second.interval);
            triggers::FileWatch watch(loop, path);
            co_await watch.wait(every);
        }
        Json b = {{"label", label}, {"point", p.value}, {"cycle", wf.cycling.format(p)}};
        out.post("xtrigger.satisfied", b);
    }
};

}  // namespace

Task<void> xtriggers(Loop& loop, const config::Workflow& wf, const Endpoints& ep, RunMode mode,
                     std::string run_dir) {
    Publisher pub(loop, "xtriggers", ep.xtriggers);
    Subscriber sub(loop, "xtriggers");
    listen(sub, {ep.store}, {"xtrigger.want"});
    co_await sub.ready();
    Inbox in(sub);
    co_await pub.wait_for_subscribers(ep.xtriggers_subscribers);
    Outbox out(loop, pub);
    XTriggers x{loop, wf, mode, std::move(run_dir), out};
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

std::string live_refusal(const config::Workflow& wf) {
    for (const auto& [label, x] : wf.xtriggers) {
        if (x.function != "wall_clock" && x.function != "file_exists")
            return fmt::format(
                "xtrigger '{}' calls '{}', which this version cannot run live (available: "
                "wall_clock, file_exists)",
                label, x.function);
    }
    return "";
}

}  // namespace tock::comp
