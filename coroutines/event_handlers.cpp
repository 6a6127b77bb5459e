// events: runs event handlers, the commands a workflow names for task events
// (runtime.TASK.events.handlers) and workflow events
// (scheduler.events.handlers). Each runs with bash -c in the background: the
// loop never waits for one, and one that fails is logged, nothing more.
//
// Templates, as in Cylc: %(event)s %(workflow)s %(id)s (CYCLE/TASK)
// %(point)s %(name)s %(submit_num)s %(job_id)s %(message)s
// %(workflow_run_dir)s; workflow handlers have %(event)s %(workflow)s
// %(message)s %(workflow_run_dir)s. Values are shell-quoted. A command with no
// template gets Cylc's default arguments: EVENT WORKFLOW ID MESSAGE.
#include <fmt/format.h>

#include <algorithm>

#include "coroutines/components.hpp"
#include "coroutines/job_script.hpp"
#include "coroutines/wire.hpp"
#include "scheduler/process.hpp"

namespace tock::comp {

namespace {

// The handler key of a task event ("submit-failed" -> "submit_failed").
std::string handler_key(std::string ev) {
    std::replace(ev.begin(), ev.end(), '-', '_');
    std::replace(ev.begin(), ev.end(), ' ', '_');
    return ev;
}

std::string fill(std::string cmd, const std::vector<std::pair<std::string, std::string>>& vars,
                 const std::vector<std::string>& defaults) {
    if (cmd.find("%(") == std::string::npos) {
        for (const auto& d : defaults) cmd += " %(" + d + ")s";
    }
    for (const auto& [key, value] : vars) {
        const std::string k = "%(" + key + ")s";
        const std::string v = jobs::shell_quote(value);
        for (auto at = cmd.find(k); at != std::string::npos; at = cmd.find(k, at + v.size())) {
            cmd.replace(at, k.size(), v);
        }
    }
    return cmd;
}

struct Handlers {
    Loop& loop;
    const config::Workflow& wf;
    std::string run_dir;
    Outbox& out;
    Scope running;

    Task<void> run(std::string event, std::string about, std::string cmd) {
        Json h = {{"event", event}, {"about", about}, {"command", cmd}};
        try {
            ProcessOptions o;
            o.argv = {"bash", "-c", cmd};
            if (!run_dir.empty()) {
                o.cwd = run_dir;
                o.stdout_path = run_dir + "/log/scheduler/handlers.out";
                o.stderr_path = run_dir + "/log/scheduler/handlers.out";
            }
            Process p = Process::spawn(loop, o);
            const ExitStatus st = co_await p.wait();
            h["exit"] = st.exit_code;
            h["signal"] = st.term_signal;
        } catch (const std::exception& e) {
            h["error"] = e.what();
        }
        out.post("handler", h);
    }

    void on_task(const Json& e) {
        const std::string ev = e.at("event").get<std::string>();
        const auto& rt = wf.runtime.at(e.at("task").get<std::string>());
        auto it = rt.handlers.find(handler_key(ev));
        if (it == rt.handlers.end()) {
            // A custom output's event is named after the output.
            if (ev != "output") return;
            it = rt.handlers.find(e.at("output").get<std::string>());
            if (it == rt.handlers.end()) return;
        }
        const std::string id = task_name(e);
        const int num = e.value("num", 0);
        std::string message = e.value("message", "");
        if (message.empty()) message = e.contains("output") ? e["output"].get<std::string>() : ev;
        const std::vector<std::pair<std::string, std::string>> vars = {
            {"event", ev},
            {"workflow", wf.name},
            {"id", id},
            {"point", e.at("cycle").get<std::string>()},
            {"name", e.at("task").get<std::string>()},
            {"submit_num", std::to_string(num)},
            {"job_id", num ? job_name(e) : id},
            {"message", message},
            {"workflow_run_dir", run_dir}};
        for (const auto& cmd : it->second) {
            running.spawn(run(ev, id, fill(cmd, vars, {"event", "workflow", "id", "message"})));
        }
    }

    void on_workflow(const std::string& ev, const std::string& message) {
        auto it = wf.events.handlers.find(ev);
        if (it == wf.events.handlers.end()) return;
        const std::vector<std::pair<std::string, std::string>> vars = {
            {"event", ev},
            {"workflow", wf.name},
            {"message", message},
            {"workflow_run_dir", run_dir}};
        for (const auto& cmd : it->second) {
            running.spawn(run(ev, wf.name, fill(cmd, vars, {"event", "workflow", "message"})));
        }
    }
};

}  // namespace

Task<void> events(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                  std::string run_dir) {
    Publisher pub(loop, "events", ep.events);
    Subscriber sub(loop, "events");
    // Task events only if some task has handlers.
    std::vector<std::string> topics = {"workflow"};
    if (std::any_of(wf.runtime.begin(), wf.runtime.end(),
                    [](const auto& kv) { return !kv.second.handlers.empty(); })) {
        topics.push_back("task.");
    }
    listen(sub, {ep.store}, topics);
    co_await sub.ready();
    Inbox in(sub);
    co_await pub.wait_for_subscribers(ep.events_subscribers);
    Outbox out(loop, pub);
    Handlers h{loop, wf, std::move(run_dir), out, Scope(loop)};
    Scope scope(loop);
    scope.spawn(out.run());
    for (;;) {
        auto [topic, body] = co_await in.next();
        if (topic.rfind("task.", 0) == 0) {
            h.on_task(body);
            continue;
        }
        const std::string ev = body.at("event").get<std::string>();
        if (ev == "timeout") {
            h.on_workflow(body.value("kind", ""), body.value("reason", ""));
        } else if (ev == "startup" || ev == "stalled") {
            h.on_workflow(ev == "stalled" ? "stall" : ev, body.value("reason", ""));
        } else if (ev == "shutdown") {
            const std::string kind = body.value("kind", "");
            if (kind == "stalled" && wf.events.stall_timeout) {
                h.on_workflow("stall_timeout", body.value("reason", ""));
            }
            // An inactivity or workflow timeout that aborts: its own handlers too.
            if (body.contains("timeout") && body["timeout"].is_string()) {
                h.on_workflow(body["timeout"].get<std::string>(), body.value("reason", ""));
            }
            // A reload stops only to start again at once: no handlers.
            if (kind != "reload") {
                h.on_workflow(kind == "complete" || kind == "stopped" ? "shutdown" : "abort",
                              body.value("reason", ""));
            }
            // The run ends when the last handler has: wait for them, then say so.
            co_await h.running.join();
            out.post("handler.done", Json::object());
        }
    }
}

}  // namespace tock::comp
