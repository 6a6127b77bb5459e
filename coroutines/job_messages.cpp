// job_messages: what jobs say, turned into job events for the task pool.
//
// Messages come from two places: job_submit's stream (the message pipe of a
// local job, its exit, simulated jobs) and the `tock message` server (jobs
// that cannot use a pipe, and scripts that pass --job). Both land here, so
// the task pool sees one ordered stream per job: submitted, started, outputs
// and messages, then exactly one succeeded or failed. A message from a job
// that is not its task's current job (an old one, or one that has
// finished) is refused: the
// job's submit number proves which one it is.
#include <fmt/format.h>

#include <map>
#include <optional>

#include "coroutines/components.hpp"
#include "coroutines/wire.hpp"

namespace tock::comp {

namespace {

struct Job {
    int num = 0;
    bool started = false;
};

struct Messages {
    const config::Workflow& wf;
    Outbox& out;
    std::map<std::string, Job> current;  // CYCLE/TASK -> its latest job

    // Apply one message from job `j` (fields: cycle, point, task, num).
    // Returns an error text for a message that is refused.
    std::optional<std::string> said(const Json& j, const std::string& text) {
        auto it = current.find(task_name(j));
        const int num = j.at("num").get<int>();
        if (it == current.end() || it->second.num != num) {
            return fmt::format("job {} is not the current job of its task", job_name(j));
        }
        Job& job = it->second;
        const auto& outs = wf.runtime.at(j.at("task").get<std::string>()).outputs;
        auto custom =
            std::find_if(outs.begin(), outs.end(), [&](auto& kv) { return kv.second == text; });
        if (custom != outs.end()) {
            start(j, job);
            out.post_text("job.output", fields(j).str("output", custom->first).take());
        } else if (text == "started") {
            start(j, job);
        } else if (text == "succeeded" || text == "failed" || text.rfind("failed ", 0) == 0) {
            // The exit status is the final word; the job's own report of it
            // is in job.status for when the exit cannot be seen.
        } else {
            out.post_text("job.message", fields(j).str("message", text).take());
        }
        return std::nullopt;
    }

    // The job's fields {"cycle", "point", "task", "num"}, to start a body.
    JsonText fields(const Json& j) const {
        JsonText t;
        t.task(wf, point_of(j), j.at("task").get_ref<const std::string&>(), j.at("num").get<int>());
        return t;
    }

    void start(const Json& j, Job& job) {
        if (job.started) return;
        job.started = true;
        out.post_text("job.started", fields(j).take());
    }

    void exited(const Json& j, long code, int signal) {
        auto it = current.find(task_name(j));
        if (it == current.end() || it->second.num != j.at("num").get<int>()) return;
        start(j, it->second);  // it ran, whether or not its message got through
        JsonText b = fields(j);
        b.num("exit", code).num("signal", signal);
        if (const auto at = j.find("at"); at != j.end()) b.json("at", *at);
        out.post_text(code == 0 && signal == 0 ? "job.succeeded" : "job.failed", b.take());
        current.erase(it);  // later messages from it are refused
    }
};

}  // namespace

Task<void> job_messages(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                        std::string server_endpoint) {
    Publisher pub(loop, "job_messages", ep.job_messages);
    Subscriber sub(loop, "job_messages");
    listen(sub, {ep.job_submit}, {"job."});
    co_await sub.ready();
    Inbox in(sub);
    co_await pub.wait_for_subscribers(ep.job_messages_subscribers);
    Outbox out(loop, pub);
    Messages m{wf, out, {}};
    Scope scope(loop);
    scope.spawn(out.run());
    std::optional<Server> server;
    if (!server_endpoint.empty()) {
        server.emplace(loop, server_endpoint);
        // `tock message`: {"job": "CYCLE/TASK/NN", "message": "..."}.
        server->handle("message", [&](Json args) -> Task<Json> {
            const std::string job = args.at("job").get<std::string>();
            const auto a = job.find('/'), b = job.rfind('/');
            if (a == std::string::npos || b == a) {
                throw std::runtime_error("bad job id '" + job + "': use CYCLE/TASK/NN");
            }
            const std::string task = job.substr(a + 1, b - a - 1);
            if (!wf.runtime.count(task)) throw std::runtime_error("no task '" + task + "'");
            int num = 0;
            try {
                num = std::stoi(job.substr(b + 1));
            } catch (const std::exception&) {
                throw std::runtime_error("bad job id '" + job + "': use CYCLE/TASK/NN");
            }
            Json j = task_fields(wf, wf.cycling.parse_point(job.substr(0, a)), task, num);
            if (auto refused = m.said(j, args.at("message").get<std::string>())) {
                throw std::runtime_error(*refused);
            }
            co_return Json{{"ok", true}};
        });
    }
    for (;;) {
        auto [topic, body] = co_await in.next();
        if (topic == "job.submitted") {
            m.current[task_name(body)] = Job{body.at("num").get<int>()};
            out.post(topic, body);
        } else if (topic == "job.submit-failed") {
            out.post(topic, body);
        } else if (topic == "job.said") {
            (void)m.said(body, body.at("message").get<std::string>());
        } else if (topic == "job.exited") {
            m.exited(body, body.at("exit").get<long>(), body.at("signal").get<int>());
        }
    }
}

}  // namespace tock::comp
