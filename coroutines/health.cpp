// health: watches time. Execution time limits (the job is killed, and fails),
// submission and execution timeouts (events for handlers), the stall timeout,
// and the signals that stop the scheduler. Every watch is a timer that exists
// only while there is something to watch; a finished job cancels its timers.
#include <fmt/format.h>

#include <csignal>
#include <map>
#include <memory>

#include "coroutines/components.hpp"
#include "coroutines/wire.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/process.hpp"

namespace tock::comp {

namespace {

// A duration as written in ISO 8601 (PT1H30M), whatever the cycling mode.
std::string iso(const config::Interval& i) {
    const std::int64_t s = i.seconds + i.months * 30 * 86400;
    std::string out = "PT";
    if (s >= 3600) out += std::to_string(s / 3600) + "H";
    if (s % 3600 >= 60) out += std::to_string(s % 3600 / 60) + "M";
    if (s % 60 || s == 0) out += std::to_string(s % 60) + "S";
    return out;
}

struct Health {
    Loop& loop;
    const config::Workflow& wf;
    Outbox& out;
    // Timers per job ("CYCLE/TASK/NN"): cancelled by destroying their scope.
    std::map<std::string, std::unique_ptr<Scope>> watches;
    std::unique_ptr<Scope> stall;

    Scope& watch(const std::string& job) {
        auto& s = watches[job];
        if (!s) s = std::make_unique<Scope>(loop);
        return *s;
    }

    Task<void> after(Duration d, std::string topic, Json body) {
        co_await loop.clock().sleep_for(d);
        out.post(topic, body);
    }

    void on_task(const BusEvent& e) {
        if (e.num == 0) return;  // no job
        const std::string_view ev = e.event;
        const std::string task(e.task);
        const std::string job = job_name(e.cycle, e.task, e.num);
        const config::Runtime& rt = wf.runtime.at(task);
        Json id = task_fields(wf, config::Point{e.point}, task, e.num);
        if (ev == "submitted") {
            if (rt.submission_timeout) {
                Json t = id;
                t["kind"] = "submission timeout";
                watch(job).spawn(after(to_duration(*rt.submission_timeout), "timeout", t));
            }
        } else if (ev == "started") {
            watches.erase(job);  // the submission timeout no longer applies
            running(job, rt, id, Duration::zero());
        } else if (ev == "succeeded" || ev == "failed" || ev == "retry" || ev == "submit-failed" ||
                   ev == "submit-retry") {
            watches.erase(job);
        }
    }

    // A job running for `ran` already: its time limit and execution timeout.
    void running(const std::string& job, const config::Runtime& rt, const Json& id, Duration ran) {
        auto left = [&](const config::Interval& i) {
            return std::max(Duration::zero(), to_duration(i) - ran);
        };
        if (rt.time_limit) {
            Json k = id;
            k["reason"] = fmt::format("execution time limit {} exceeded", iso(*rt.time_limit));
            watch(job).spawn(after(left(*rt.time_limit), "kill", k));
        }
        if (rt.execution_timeout) {
            Json t = id;
            t["kind"] = "execution timeout";
            watch(job).spawn(after(left(*rt.execution_timeout), "timeout", t));
        }
    }

    // A restart: the jobs that were running when the last scheduler died go
    // on running, and their limits count from when they started.
    void adopt(const std::vector<store::JobRow>& jobs) {
        for (const auto& r : jobs) {
            if (r.state != "running" || !r.started_at || !wf.runtime.count(r.name)) continue;
            const Json id = task_fields(wf, config::Point{r.point}, r.name, r.submit_num);
            const auto ran =
                std::chrono::microseconds(std::max<std::int64_t>(0, unix_micros() - *r.started_at));
            running(job_name(id), wf.runtime.at(r.name), id,
                    std::chrono::duration_cast<Duration>(ran));
        }
    }

    // A workflow timer (stall, inactivity, workflow timeout) that passed:
    // shut down if its abort setting says so, else tell the pool, which
    // records it and runs its handlers, and stay up for an operator.
    Task<void> workflow_timer(Duration d, std::string kind, bool abort, std::string reason) {
        co_await loop.clock().sleep_for(d);
        if (abort) {
            Json stop = {{"rc", 1},
                         {"kind", kind == "stall_timeout" ? "stalled" : "aborted"},
                         {"reason", reason}};
            if (kind != "stall_timeout") stop["timeout"] = kind;  // (stalled runs its own)
            out.post("stop", stop);
        } else {
            out.post("timeout", Json{{"workflow", kind}, {"reason", reason}});
        }
    }

    void on_workflow(const Json& e) {
        const std::string ev = e.at("event").get<std::string>();
        if (ev == "stalled") {
            const std::string reason = "stalled: " + e.value("reason", "");
            if (wf.events.stall_timeout) {
                // Cylc waits for an operator before giving up; the stall
                // timeout says how long, and abort_on_stall_timeout whether
                // to give up then.
                stall = std::make_unique<Scope>(loop);
                stall->spawn(workflow_timer(
                    to_duration(*wf.events.stall_timeout), "stall_timeout",
                    wf.events.abort_on_stall_timeout,
                    fmt::format("{} (stall timeout {})", reason, iso(*wf.events.stall_timeout))));
            } else {
                out.post("stop", Json{{"rc", 1}, {"kind", "stalled"}, {"reason", reason}});
            }
        } else if (ev == "unstalled") {
            stall.reset();
        }
    }

    // Something happened: the inactivity timeout counts again.
    void active() {
        if (!wf.events.inactivity_timeout) return;
        inactivity = std::make_unique<Scope>(loop);
        inactivity->spawn(workflow_timer(to_duration(*wf.events.inactivity_timeout),
                                         "inactivity_timeout",
                                         wf.events.abort_on_inactivity_timeout,
                                         fmt::format("no activity for {} (inactivity timeout)",
                                                     iso(*wf.events.inactivity_timeout))));
    }
    std::unique_ptr<Scope> inactivity;

    Task<void> on_signal(int signum, const char* name) {
        co_await SignalWait(loop, signum);
        out.post(
            "stop",
            Json{{"rc", 3}, {"kind", "stopped"}, {"reason", fmt::format("stopped by {}", name)}});
    }
};

}  // namespace

Task<void> health(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                  std::vector<store::JobRow> adopt) {
    Publisher pub(loop, "health", ep.health);
    Subscriber sub(loop, "health");
    // Task events only if some task has a time limit or timeout to watch:
    // all of them, since they travel in batches of the group (Outbox), read
    // as views.
    std::vector<std::string> topics = {"workflow"};
    if (wf.events.inactivity_timeout) topics = {"workflow", "task."};
    for (const auto& [name, rt] : wf.runtime) {
        if (rt.time_limit || rt.execution_timeout || rt.submission_timeout) {
            topics = {"workflow", "task."};
            break;
        }
    }
    listen(sub, {ep.store}, topics);
    co_await sub.ready();
    co_await pub.wait_for_subscribers(ep.health_subscribers);
    Outbox out(loop, pub);
    Health h{loop, wf, out, {}, {}, {}};
    Scope scope(loop);
    scope.spawn(out.run());
    h.adopt(adopt);
    scope.spawn(h.on_signal(SIGINT, "SIGINT"));
    scope.spawn(h.on_signal(SIGTERM, "SIGTERM"));
    if (wf.events.workflow_timeout) {
        scope.spawn(h.workflow_timer(
            to_duration(*wf.events.workflow_timeout), "workflow_timeout",
            wf.events.abort_on_workflow_timeout,
            fmt::format("the workflow timeout {} passed", iso(*wf.events.workflow_timeout))));
    }
    h.active();
    // Task events read as event views (each_event); workflow events, which
    // are rare, as nlohmann values.
    for (;;) {
        const BusMessage m = co_await sub.recv();
        if (m.topic.rfind("task.", 0) == 0) {
            each_event(m.topic, m.body, [&](const BusEvent& e) { h.on_task(e); });
            h.active();
            continue;
        }
        const Json body = decode(m.body);
        if (body.is_array()) {
            for (const auto& b : body) h.on_workflow(b);
        } else {
            h.on_workflow(body);
        }
    }
}

}  // namespace tock::comp
