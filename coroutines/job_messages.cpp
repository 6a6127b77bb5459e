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
    // Handed to a batch system that has not answered yet: what the job
    // says before its submission is heard waits here, in order.
    bool submitting = false;
    std::vector<std::string> early;
};

// A job as its messages name it.
struct JobRef {
    config::Point point;
    std::string_view cycle, task;
    int num = 0;
    std::string task_id() const { return task_name(cycle, task); }
    std::string job_id() const { return job_name(cycle, task, num); }
};

JobRef ref(const BusEvent& e) {
    return {config::Point{e.point}, e.cycle, e.task, e.num};
}

struct Messages {
    const config::Workflow& wf;
    Outbox& out;
    std::map<std::string, Job> current;  // CYCLE/TASK -> its latest job

    // Apply one message from job `j`. Returns an error text for a message
    // that is refused.
    std::optional<std::string> said(const JobRef& j, std::string_view text) {
        auto it = current.find(j.task_id());
        if (it == current.end() || it->second.num != j.num) {
            return fmt::format("job {} is not the current job of its task", j.job_id());
        }
        Job& job = it->second;
        if (job.submitting) {
            job.early.emplace_back(text);
            return std::nullopt;
        }
        const auto& outs = wf.runtime.at(std::string(j.task)).outputs;
        auto custom =
            std::find_if(outs.begin(), outs.end(), [&](auto& kv) { return kv.second == text; });
        if (custom != outs.end()) {
            start(j, job);
            out.post_text("job.output", fields(j).str("output", custom->first).take());
        } else if (text == "started") {
            start(j, job);
        } else if (text == "succeeded") {
            // The job's last word, as in Cylc: its script says it after
            // post-script, just before `exit 0`. The task succeeds now, not
            // when the exit is seen, so its dependents start while the job's
            // process is still going away; a job whose exit is never seen
            // (a batch job, a scheduler that restarted) succeeds all the same.
            // Its exit status is not known then, and is recorded as such.
            end(j, it, std::nullopt, std::nullopt, unix_micros());
        } else if (text == "failed" || text.substr(0, 7) == "failed ") {
            // A failure ends with the exit status: err-script runs after
            // this word, and the status and signal are the record. The
            // job's own report of it is in job.status for when the exit
            // cannot be seen.
        } else {
            out.post_text("job.message", fields(j).str("message", text).take());
        }
        return std::nullopt;
    }

    // The job's fields {"cycle", "point", "task", "num"}, to start a body.
    JsonText fields(const JobRef& j) const {
        JsonText t;
        t.task(wf, j.point, j.task, j.num);
        return t;
    }

    void start(const JobRef& j, Job& job) {
        if (job.started) return;
        job.started = true;
        out.post_text("job.started", fields(j).take());
    }

    // The job `it` is over: it succeeded when its exit status and signal
    // are 0, or unknown (it said `succeeded`). Later messages and the exit of
    // a job that already said it succeeded are refused, as from a job that
    // is not current.
    void end(const JobRef& j, std::map<std::string, Job>::iterator it,
             std::optional<std::int64_t> code, std::optional<std::int64_t> signal,
             std::optional<std::int64_t> at, std::optional<std::string_view> error = {}) {
        start(j, it->second);  // it ran, whether or not its message got through
        JsonText b = fields(j);
        if (code) b.num("exit", *code).num("signal", signal.value_or(0));
        if (at) b.num("at", *at);
        if (error) b.str("error", *error);
        const bool ok = code.value_or(0) == 0 && signal.value_or(0) == 0;
        out.post_text(ok ? "job.succeeded" : "job.failed", b.take());
        current.erase(it);
    }

    void exited(const BusEvent& e) {
        const JobRef j = ref(e);
        auto it = current.find(j.task_id());
        if (it == current.end() || it->second.num != j.num) return;
        end(j, it, e.exit.value_or(0), e.signal.value_or(0), e.at, e.error);
    }

    // job_submit's word that a job was submitted, or could not be, passed on.
    void submitted(std::string_view topic, const BusEvent& e) {
        JsonText b = fields(ref(e));
        if (e.runner) b.str("runner", *e.runner);
        if (e.pid) b.num("pid", *e.pid);
        if (e.job_id) b.str("job_id", *e.job_id);
        if (e.at) b.num("at", *e.at);
        if (e.error) b.str("error", *e.error);
        if (e.adopted) b.boolean("adopted", true);
        out.post_text(std::string(topic), b.take());
    }
};

}  // namespace

Task<void> job_messages(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                        MessagesOptions opts, Event* ready) {
    Publisher pub(loop, "job_messages", ep.job_messages);
    Subscriber sub(loop, "job_messages");
    listen(sub, {ep.job_submit}, {"job."});
    co_await sub.ready();
    co_await pub.wait_for_subscribers(ep.job_messages_subscribers);
    Outbox out(loop, pub);
    Messages m{wf, out, {}};
    Scope scope(loop);
    scope.spawn(out.run());
    std::optional<Server> server;
    if (!opts.local_endpoint.empty()) {
        server.emplace(loop, opts.local_endpoint);
        if (!opts.tcp_endpoint.empty()) {
            server->bind_curve(opts.tcp_endpoint, opts.server_secret);
            if (opts.tcp_bound) *opts.tcp_bound = server->endpoint();
        }
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
            const config::Point p = wf.cycling.parse_point(job.substr(0, a));
            const std::string cycle = wf.cycling.format(p);
            if (auto refused =
                    m.said({p, cycle, task, num}, args.at("message").get<std::string>())) {
                throw std::runtime_error(*refused);
            }
            co_return Json{{"ok", true}};
        });
    }
    if (ready) ready->set();
    for (;;) {
        // Every job's messages come here: read without building nlohmann
        // values (each_event).
        const BusMessage msg = co_await sub.recv();
        each_event(msg.topic, msg.body, [&](const BusEvent& e) {
            if (e.topic == "job.submitting") {
                m.current[ref(e).task_id()] = Job{e.num, false, true, {}};
            } else if (e.topic == "job.submitted") {
                Job& job = m.current[ref(e).task_id()];
                std::vector<std::string> early;
                if (job.num == e.num && job.submitting) early = std::move(job.early);
                job = Job{e.num, false, false, {}};
                m.submitted(e.topic, e);
                for (const auto& text : early) (void)m.said(ref(e), text);
            } else if (e.topic == "job.submit-failed") {
                if (auto it = m.current.find(ref(e).task_id());
                    it != m.current.end() && it->second.num == e.num && it->second.submitting)
                    m.current.erase(it);
                m.submitted(e.topic, e);
            } else if (e.topic == "job.said") {
                (void)m.said(ref(e), e.message.value_or(""));
            } else if (e.topic == "job.exited") {
                m.exited(e);
            }
        });
    }
}

}  // namespace tock::comp
