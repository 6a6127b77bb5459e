// The task_pool component's state: pool::TaskPool and what drives it (job
// events in, task events and submit requests out, timers, operator
// commands). pool_component.cpp runs it on the bus; pool_commands.cpp holds
// the operator commands.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <set>

#include "coroutines/components.hpp"
#include "coroutines/task_pool.hpp"
#include "coroutines/wire.hpp"
#include "scheduler/clock.hpp"

namespace tock::comp::pool_driver {

using pool::State;
using pool::TaskId;

struct Driver {
    Loop& loop;
    const config::Workflow& wf;
    pool::TaskPool pool;
    Outbox& out;
    Scope timers;
    Event dirty;
    Event finished;
    std::set<std::pair<std::string, config::Point>> wanted_sent;
    // What satisfied xtriggers returned, for their dependent jobs'
    // environment (TOCK_XTRIGGER_<LABEL>_<NAME>).
    std::map<std::pair<std::string, config::Point>, Json> xtrigger_results;
    std::set<TaskId> armed_retries, armed_expiry;
    std::vector<TaskId> to_arm;  // tasks that may have a retry delay to wait
    bool stalled = false, held = false, done = false;
    // What operators set (commands.cpp): kept in the run database as the
    // run's settings, so that a restart keeps them.
    bool paused = false;
    std::string stopping;                   // "": no; "clean": once active jobs end
    std::optional<std::int64_t> stop_wall;  // stop (clean) at this time, unix microseconds
    std::unique_ptr<Scope> wall_timer;
    Json broadcasts = Json::array();  // {"point", "namespace", "settings"}, in the order set
    bool live = true;
    bool stop_now = false;      // `tock stop --now`: once its reply is posted
    bool reload_now = false;    // `tock reload`: likewise
    bool forced_saved = false;  // the settings last saved name tasks triggered by hand
    std::optional<config::Point> oldest_sent;  // the oldest point the state stream was told
    std::string run_dir;

    Driver(Loop& l, const config::Workflow& w, Outbox& o)
        : loop(l), wf(w), pool(w), out(o), timers(l), dirty(l), finished(l) {}

    // Operator commands (pool_commands.cpp).
    void command(const Json& c);
    Json run_command(const std::string& op, const Json& args);
    Json settings() const;
    Json settings_shown() const;
    Json broadcasts_shown() const;
    // `tasks` false: the pool's shape (stop, hold-after, holds to come,
    // pause, broadcasts); true: what acts on tasks (triggers, prerequisites
    // set by hand), once they are restored.
    void apply_settings(const Json& s, bool tasks);
    void save_settings() {
        Json s = settings();
        forced_saved = s.contains("triggered");
        out.post("workflow", Json{{"event", "settings"}, {"settings", std::move(s)}});
    }
    Json job_broadcast(const TaskId& id) const;
    // TOCK_XTRIGGER_<LABEL>_<NAME> for each result of the xtriggers the
    // task waited for, into its job's settings (as a broadcast would).
    void add_xtrigger_env(const TaskId& id, Json& settings) const;
    void arm_wall_stop();
    Json show(const TaskId& id);
    Json dump();

    // A task event: the task, the event, the state it leaves the task in,
    // what the job event that caused it says (`job`: its pid, runner, exit
    // ...), what triggered it, and the task's whole recorded state ("row"),
    // which is what the store writes and a restart reads back.
    void post(const char* name, const TaskId& id, const BusEvent* job = nullptr,
              const std::vector<std::string>* triggered_by = nullptr,
              const char* gone_state = nullptr, std::string_view output = {}) {
        const pool::Task* t = pool.find(id);
        // The job's number: the task's, or the job event's once the task has
        // left the pool.
        const int num = t ? t->submit_num : job ? job->num : pool.done_submit_num(id);
        JsonText e;
        e.task(wf, id.point, id.name, num).str("event", name);
        // A task gone from the pool is complete: its last event names its state.
        e.str("state", t ? pool::to_string(t->state) : gone_state ? gone_state : name);
        if (!output.empty()) e.str("output", output);
        if (job) {
            for (const auto& [k, v] : {std::pair{"pid", job->pid},
                                       {"at", job->at},
                                       {"exit", job->exit},
                                       {"signal", job->signal}}) {
                if (v) e.num(k, *v);
            }
            for (const auto& [k, v] : {std::pair{"runner", job->runner},
                                       {"job_id", job->job_id},
                                       {"error", job->error},
                                       {"message", job->message},
                                       {"output", job->output}}) {
                if (v) e.str(k, *v);
            }
        }
        if (triggered_by) e.strs("triggered_by", *triggered_by);
        JsonText row;
        row.boolean("in_pool", t != nullptr);
        if (t) {
            row.strs("outputs", t->outputs)
                .num("retries", t->retries_used)
                .num("submit_retries", t->submit_retries_used);
            if (t->held) row.boolean("held", true);
            if (t->retry_pending && t->retry_delay) {
                row.num("retry_at",
                        unix_micros() + std::chrono::duration_cast<std::chrono::microseconds>(
                                            to_duration(*t->retry_delay))
                                            .count());
            }
        } else if (const auto* outputs = pool.done_outputs(id)) {
            row.strs("outputs", *outputs);
        }
        e.raw("row", row.take());
        out.post_text(std::string("task.") + name, e.take());
    }

    // Tasks removed by suicide triggers since the last call: recorded as an
    // operator's `tock remove` is (a "removed" event, the task out of the
    // pool), with the suicide prerequisites that were met. An active task's
    // job is not killed, as in Cylc 8: it runs on, unheeded.
    void post_removed() {
        for (const auto& r : pool.take_removed()) {
            const bool active = r.state == State::preparing || r.state == State::submitted ||
                                r.state == State::running;
            std::string by;
            for (const auto& b : r.by) by += (by.empty() ? "" : " ") + b;
            const std::string message =
                active ? fmt::format(
                             "suicide trigger ({}) while {}: job {:02} left running, "
                             "unheeded",
                             by, pool::to_string(r.state), r.submit_num)
                       : fmt::format("suicide trigger ({})", by);
            BusEvent why;
            why.num = r.submit_num;
            why.message = message;
            post("removed", r.id, &why, &r.by, "removed");
        }
    }

    // A job event for the task's current job; anything else is stale.
    const pool::Task* current(const Json& b, TaskId& id) const {
        id = TaskId{point_of(b), b.at("task").get<std::string>()};
        const pool::Task* t = pool.find(id);
        if (!t || t->submit_num != b.at("num").get<int>()) return nullptr;
        return t;
    }

    const pool::Task* current(const BusEvent& e, TaskId& id) const {
        id = TaskId{config::Point{e.point}, std::string(e.task)};
        const pool::Task* t = pool.find(id);
        if (!t || t->submit_num != e.num) return nullptr;
        return t;
    }

    void on_job(std::string_view topic, const BusEvent& b) {
        TaskId id;
        const pool::Task* t = current(b, id);
        if (!t) return;
        // A job whose task an operator has set done (or whose task waits to
        // run again) speaks for nothing any more.
        if (t->state != State::preparing && t->state != State::submitted &&
            t->state != State::running)
            return;
        const BusEvent* extra = &b;
        if (topic == "job.submitted") {
            if (t->state != State::preparing) return;
            pool.submitted(id);
            post("submitted", id, extra);
        } else if (topic == "job.started") {
            if (t->state == State::running) return;  // said again (a restart's replay)
            if (t->state == State::preparing) pool.submitted(id);
            pool.started(id);
            post("started", id, extra);
        } else if (topic == "job.output") {
            const std::string output(b.output.value_or(""));
            if (t->outputs.count(output)) return;
            pool.output(id, output);
            post("output", id, extra);
        } else if (topic == "job.message") {
            post("message", id, extra);
        } else if (topic == "job.succeeded" || topic == "job.failed") {
            const bool ok = topic == "job.succeeded";
            pool.finished(id, ok);
            const pool::Task* after = pool.find(id);
            post(ok ? "succeeded" : after && after->retry_pending ? "retry" : "failed", id, extra);
            if (after && after->retry_pending) to_arm.push_back(id);
        } else if (topic == "job.submit-failed") {
            pool.submit_failed(id);
            const pool::Task* after = pool.find(id);
            post(after && after->retry_pending ? "submit-retry" : "submit-failed", id, extra);
            if (after && after->retry_pending) to_arm.push_back(id);
        }
        post_removed();
    }

    Task<void> retry(TaskId id, Duration delay) {
        co_await loop.clock().sleep_for(delay);
        armed_retries.erase(id);
        pool.retry_due(id);
        dirty.set();
    }

    TimePoint expiry(const TaskId& id) const {
        return wall_time(wf.cycling.add(id.point, wf.clock_expire.at(id.name)));
    }
    void expire(const TaskId& id) {
        if (done) return;
        if (pool.find(id) && pool.find(id)->state == State::waiting) {
            pool.expire(id);
            post("expired", id);
        }
    }
    Task<void> expire_at(TaskId id) {
        co_await loop.clock().sleep_until(expiry(id));
        expire(id);
        dirty.set();
    }

    // A restart: the pool from the database, and the retry delays that were
    // running armed again with the time they have left.
    void restore(const store::Snapshot& snap, const std::vector<TaskId>& start_tasks) {
        std::vector<pool::TaskPool::Restored> tasks;
        std::vector<std::pair<TaskId, std::int64_t>> retries;
        for (const auto& r : snap.tasks) {
            pool::TaskPool::Restored t;
            t.id = TaskId{config::Point{r.point}, r.name};
            t.state = pool::state_from(r.state).value_or(State::waiting);
            t.submit_num = r.submit_num;
            t.retries_used = r.retries_used;
            t.submit_retries_used = r.submit_retries_used;
            t.retry_pending = r.retry_at.has_value() && t.state == State::waiting;
            t.held = r.held;
            t.in_pool = r.in_pool;
            t.outputs = r.outputs;
            if (t.retry_pending) retries.emplace_back(t.id, *r.retry_at);
            tasks.push_back(std::move(t));
        }
        std::vector<std::pair<std::string, config::Point>> xts;
        for (const auto& x : snap.xtriggers) {
            xts.emplace_back(x.label, config::Point{x.point});
            if (!x.results.empty()) {
                try {
                    xtrigger_results[{x.label, config::Point{x.point}}] = Json::parse(x.results);
                } catch (const std::exception&) {
                    // Written by the store from JSON: cannot happen; the
                    // job then goes without these variables.
                }
            }
        }
        pool.restore(tasks, xts, start_tasks);
        for (const auto& [id, at] : retries) {
            const auto left =
                std::chrono::microseconds(std::max<std::int64_t>(0, at - unix_micros()));
            armed_retries.insert(id);
            timers.spawn(retry(id, std::chrono::duration_cast<Duration>(left)));
        }
    }

    void step() {
        if (done) return;
        post_removed();
        if (!wf.clock_expire.empty()) {
            std::vector<TaskId> due;
            for (const auto& [id, t] : pool.tasks()) {
                if (t.state != State::waiting || !wf.clock_expire.count(id.name)) continue;
                if (loop.clock().now() >= expiry(id)) {
                    due.push_back(id);
                } else if (armed_expiry.insert(id).second) {
                    timers.spawn(expire_at(id));
                }
            }
            for (const auto& id : due) expire(id);
        }
        // Paused, or stopping: nothing new is submitted (a triggered task
        // waits with the rest).
        const std::vector<TaskId> ids =
            paused || !stopping.empty() ? std::vector<TaskId>{} : pool.release();
        if (!stopping.empty() && pool.active() == 0) {
            finish(0, "stopped", "stopped by an operator");
            return;
        }
        if (auto stop = pool.stop_point(); stop && stop != wf.stop && pool.reached(*stop)) {
            // An operator's stop point, reached: cleared, so that a restart
            // goes on beyond it (as in Cylc).
            pool.set_stop_point(wf.stop);
            save_settings();
            finish(0, "stopped",
                   fmt::format("stopped after the stop point {}", wf.cycling.format(*stop)));
            return;
        }
        // For the state stream: the tasks spawned (waiting ones have no
        // event of their own), and the oldest point in the pool, behind
        // which a client may forget finished tasks. Not recorded.
        const std::vector<TaskId> spawned = pool.take_spawned();
        const std::optional<config::Point> oldest =
            pool.tasks().empty() ? std::nullopt
                                 : std::optional<config::Point>(pool.tasks().begin()->first.point);
        if (!spawned.empty() || oldest != oldest_sent) {
            oldest_sent = oldest;
            std::string list = "[";
            for (const auto& id : spawned) {
                const pool::Task* t = pool.find(id);
                if (!t) continue;
                if (list.size() > 1) list += ',';
                JsonText j;
                j.task(wf, id.point, id.name, t->submit_num)
                    .str("state", pool::to_string(t->state));
                if (t->held) j.boolean("held", true);
                list += j.take();
            }
            JsonText body;
            body.raw("tasks", list + "]");
            if (oldest) body.num("oldest", oldest->value);
            out.post_text("spawned", body.take());
        }
        if (forced_saved && !ids.empty()) save_settings();  // a trigger was carried out
        if (!ids.empty()) {
            std::string jobs = "[";
            for (const auto& id : ids) {
                const pool::Task* t = pool.find(id);
                if (jobs.size() > 1) jobs += ',';
                JsonText job;
                job.task(wf, id.point, id.name, t->submit_num);
                Json b = broadcasts.empty() ? Json::object() : job_broadcast(id);
                if (!xtrigger_results.empty()) add_xtrigger_env(id, b);
                if (!b.empty()) job.raw("broadcast", b.dump());
                jobs += job.take();
                const std::vector<std::string> met = pool.met(id);
                post("triggered", id, nullptr, &met);
            }
            out.post_text("submit", JsonText().raw("jobs", jobs + "]").take());
        }
        const bool any_xtriggers = !wf.xtriggers.empty() || !wf.clock_trigger.empty();
        for (const auto& x : any_xtriggers ? pool.wanted_xtriggers()
                                           : std::set<std::pair<std::string, config::Point>>{}) {
            if (wanted_sent.insert(x).second) {
                out.post("xtrigger.want", Json{{"label", x.first},
                                               {"point", x.second.value},
                                               {"cycle", wf.cycling.format(x.second)}});
            }
        }
        for (const auto& id : std::exchange(to_arm, {})) {
            const pool::Task* t = pool.find(id);
            if (t && t->retry_pending && t->retry_delay && armed_retries.insert(id).second) {
                timers.spawn(retry(id, to_duration(*t->retry_delay)));
            }
        }
        if (pool.complete()) {
            const bool early = wf.stop && (!wf.final || *wf.stop < *wf.final);
            finish(0, early ? "stopped" : "complete",
                   early
                       ? fmt::format("stopped after the stop point {}", wf.cycling.format(*wf.stop))
                       : "complete");
            return;
        }
        const bool now_stalled = !paused && pool.stalled();
        if (now_stalled != stalled) {
            stalled = now_stalled;
            out.post("workflow", stalled
                                     ? Json{{"event", "stalled"}, {"reason", pool.stall_reason()}}
                                     : Json{{"event", "unstalled"}});
        }
        const bool now_held = pool.hold_after() && pool.active() == 0 && pool.held() > 0;
        if (now_held != held) {
            held = now_held;
            if (held) {
                out.post("workflow",
                         Json{{"event", "held"},
                              {"reason", fmt::format("{} task{} held after {}", pool.held(),
                                                     pool.held() == 1 ? "" : "s",
                                                     wf.cycling.format(*pool.hold_after()))}});
            }
        }
    }

    // `timeout`: the workflow timer that ended the run, if one did (its
    // handlers run with the abort's).
    void finish(int rc, const char* kind, const std::string& reason,
                const std::string& timeout = "") {
        if (done) return;
        done = true;
        Json left = Json::array();
        for (const auto& [id, t] : pool.tasks()) {
            Json l = task_fields(wf, id.point, id.name, t.submit_num);
            l["state"] = pool::to_string(t.state);
            if (t.held) l["held"] = true;
            left.push_back(std::move(l));
        }
        Json e = {{"event", "shutdown"},
                  {"kind", kind},
                  {"rc", rc},
                  {"reason", reason},
                  {"left", std::move(left)}};
        if (!timeout.empty()) e["timeout"] = timeout;
        out.post("workflow", e);
        timers.stop();
        finished.set();
    }

    // Job events, read as event views (each_event); the rest, which is
    // rare, as nlohmann values.
    Task<void> receive(Subscriber& sub) {
        for (;;) {
            const BusMessage m = co_await sub.recv();
            if (done) continue;
            if (m.topic.rfind("job.", 0) == 0) {
                each_event(m.topic, m.body, [&](const BusEvent& e) {
                    if (!done) on_job(e.topic, e);
                });
                dirty.set();
                continue;
            }
            Json body;
            try {
                body = decode(m.body);
            } catch (const std::exception& e) {
                // Only a command can carry what a client wrote; the commands
                // component bounds it, and anything still unreadable is
                // dropped here rather than end the run.
                if (m.topic != "command") throw;
                continue;
            }
            if (body.is_array()) {
                for (const auto& b : body) other(m.topic, b);
            } else {
                other(m.topic, body);
            }
        }
    }

    void other(const std::string& topic, const Json& body) {
        if (done) return;
        if (topic == "xtrigger.satisfied") {
            const std::string label = body.at("label").get<std::string>();
            pool.xtrigger(label, point_of(body));
            Json e = {{"event", "xtrigger"},
                      {"label", body["label"]},
                      {"point", body["point"]},
                      {"cycle", body["cycle"]}};
            if (body.contains("results") && body["results"].is_object()) {
                xtrigger_results[{label, point_of(body)}] = body["results"];
                e["results"] = body["results"];
            }
            out.post("workflow", e);
        } else if (topic == "xtrigger.failed") {
            pool.xtrigger_failed(body.at("label").get<std::string>(), point_of(body),
                                 body.value("reason", ""));
            out.post("workflow", Json{{"event", "xtrigger-failed"},
                                      {"label", body["label"]},
                                      {"point", body["point"]},
                                      {"cycle", body["cycle"]},
                                      {"reason", body.value("reason", "")}});
        } else if (topic == "xtrigger.note") {
            out.post("workflow",
                     Json{{"event", "xtrigger-note"}, {"text", body.value("text", "")}});
        } else if (topic == "timeout" && body.contains("workflow")) {
            // A workflow timer passed and the workflow stays up.
            out.post("workflow", Json{{"event", "timeout"},
                                      {"kind", body["workflow"]},
                                      {"reason", body.value("reason", "")}});
        } else if (topic == "timeout") {
            TaskId id;
            if (current(body, id)) post(body.at("kind").get<std::string>().c_str(), id);
        } else if (topic == "command") {
            command(body);
        } else if (topic == "stop") {
            finish(body.value("rc", 1), body.value("kind", "aborted").c_str(),
                   body.value("reason", "stopped"), body.value("timeout", ""));
            return;
        }
        dirty.set();
    }

    Task<void> stepper() {
        for (;;) {
            co_await dirty.wait();
            dirty.reset();
            step();
        }
    }
};

}  // namespace tock::comp::pool_driver
