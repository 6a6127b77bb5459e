// publisher: the workflow's live state, for `tock watch`, `tock status`,
// the web page and any client (the Clone pattern of the ZeroMQ Guide).
//
// It keeps a copy of what clients see (every task in the pool, and the
// finished ones of the cycle points still active, with state, job number,
// held and outputs; the workflow's status) from the store's task and
// workflow events, so it shows only what is committed. Two sockets:
//   updates    PUB: ["delta", {"seq": N, "workflow": {...}?, "tasks": [...],
//              "gone": ["CYCLE/TASK", ...]}] after every change, N = 1, 2, ...
//   snapshots  ROUTER (the RPC channel): op "snapshot" -> {"seq": N,
//              "workflow": {...}, "tasks": [...]}, the state after delta N.
// A client subscribes first, then asks for a snapshot, drops deltas up to its
// seq and applies the rest; a seq that skips one means a delta was lost (the
// PUB drops for a client 10,000 messages behind, rather than slow the
// scheduler): it asks for a snapshot again. docs/protocol.md.
#include <map>
#include <memory>
#include <set>

#include "coroutines/components.hpp"
#include "coroutines/wire.hpp"
#include "scheduler/curve.hpp"

namespace tock::comp {

namespace {

struct Mirror {
    std::map<std::pair<std::int64_t, std::string>, Json> tasks;  // (point, name) -> task
    Json workflow = {{"status", "running"}, {"stalled", false}};
    std::uint64_t seq = 0;
    // Since the last delta: tasks changed (or new), and tasks gone, by id;
    // an id is in one or the other, as it last was.
    std::map<std::string, Json> changed;
    std::set<std::string> gone;
    bool workflow_changed = false;

    void change(Json t) {
        const std::string id = t["id"].get<std::string>();
        gone.erase(id);
        changed[id] = std::move(t);
    }
    void forget(const std::string& id) {
        changed.erase(id);
        gone.insert(id);
    }

    void on_task(const BusEvent& e) {
        const auto key = std::make_pair(e.point, std::string(e.task));
        Json t = {{"id", task_name(e.cycle, e.task)},
                  {"cycle", e.cycle},
                  {"point", e.point},
                  {"task", e.task},
                  {"state", e.state},
                  {"num", e.num}};
        if (e.has_row) {
            t["held"] = e.held;
            t["in_pool"] = e.in_pool;
            Json outs = Json::array();
            for (const auto& o : e.outputs) outs.push_back(o);
            t["outputs"] = outs;
        } else if (auto it = tasks.find(key); it != tasks.end()) {
            for (const char* k : {"held", "in_pool", "outputs"}) {
                if (it->second.contains(k)) t[k] = it->second[k];
            }
        }
        if (e.event == "removed") {
            tasks.erase(key);
            forget(t["id"].get<std::string>());
            return;
        }
        change(t);
        tasks[key] = std::move(t);
    }

    void on_spawned(const Json& b) {
        for (const auto& s : b.at("tasks")) {
            const auto key = std::make_pair(s.at("point").get<std::int64_t>(),
                                            s.at("task").get<std::string>());
            if (tasks.count(key)) continue;
            Json t = {{"id", task_name(s)},
                      {"cycle", s.at("cycle")},
                      {"point", s.at("point")},
                      {"task", s.at("task")},
                      {"state", s.value("state", "waiting")},
                      {"num", s.value("num", 0)},
                      {"held", s.value("held", false)},
                      {"in_pool", true},
                      {"outputs", Json::array()}};
            change(t);
            tasks[key] = std::move(t);
        }
        if (b.contains("oldest")) prune(b["oldest"].get<std::int64_t>());
    }

    // Finished tasks behind the oldest point in the pool (as the pool says)
    // leave the view.
    void prune(std::int64_t oldest) {
        for (auto it = tasks.begin(); it != tasks.end() && it->first.first < oldest;) {
            if (!it->second.value("in_pool", true)) {
                forget(it->second["id"].get<std::string>());
                it = tasks.erase(it);
            } else {
                ++it;
            }
        }
    }

    void on_workflow(const Json& e) {
        const std::string ev = e.value("event", "");
        if (ev == "paused" || ev == "resumed") {
            workflow["status"] = ev == "paused" ? "paused" : "running";
        } else if (ev == "stalled" || ev == "unstalled") {
            workflow["stalled"] = ev == "stalled";
            if (ev == "stalled") workflow["stall_reason"] = e.value("reason", "");
        } else if (ev == "shutdown") {
            workflow["status"] = e.value("kind", "stopped");
        } else if (ev == "settings") {
            workflow["settings"] = e.value("settings", Json::object());
        } else {
            return;
        }
        workflow_changed = true;
    }

    Json snapshot() const {
        Json all = Json::array();
        for (const auto& [k, t] : tasks) all.push_back(t);
        return Json{{"seq", seq}, {"workflow", workflow}, {"tasks", std::move(all)}};
    }

    // The delta of what changed since the last, if anything did.
    std::optional<std::string> delta() {
        if (changed.empty() && gone.empty() && !workflow_changed) return std::nullopt;
        Json tasks_changed = Json::array();
        for (auto& [id, t] : changed) tasks_changed.push_back(std::move(t));
        Json d = {{"seq", ++seq}, {"tasks", std::move(tasks_changed)}, {"gone", gone}};
        changed.clear();
        gone.clear();
        if (std::exchange(workflow_changed, false)) d["workflow"] = workflow;
        return d.dump(-1, ' ', false, Json::error_handler_t::replace);
    }
};

}  // namespace

Task<void> publisher(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                     StreamOptions opts, Event* ready) {
    Subscriber sub(loop, "publisher");
    listen(sub, {ep.store}, {"task.", "workflow", "spawned"});
    co_await sub.ready();
    Mirror m;
    m.workflow["name"] = wf.name;
    ZSocket updates(loop, zmq::socket_type::pub);
    updates.raw().set(zmq::sockopt::sndhwm, 10000);
    updates.bind(opts.local_updates);
    Server snapshots(loop, opts.local_snapshots);
    if (!opts.tcp_updates.empty()) {
        updates.raw().set(zmq::sockopt::curve_server, 1);
        updates.raw().set(zmq::sockopt::curve_secretkey, opts.server_secret);
        updates.raw().set(zmq::sockopt::zap_domain, "tock");
        enforce_zap(updates.raw());
        updates.bind(opts.tcp_updates);
        snapshots.bind_curve(opts.tcp_snapshots, opts.server_secret);
        if (opts.updates_bound)
            *opts.updates_bound = updates.raw().get(zmq::sockopt::last_endpoint);
        if (opts.snapshots_bound) *opts.snapshots_bound = snapshots.endpoint();
    }
    snapshots.handle("snapshot", [&m](Json) -> Task<Json> { co_return m.snapshot(); });
    if (ready) ready->set();
    for (;;) {
        const BusMessage msg = co_await sub.recv();
        if (msg.topic.rfind("task.", 0) == 0) {
            each_event(msg.topic, msg.body, [&](const BusEvent& e) { m.on_task(e); });
        } else if (msg.topic == "spawned") {
            const Json body = decode(msg.body);
            for (const auto& b : body.is_array() ? body : Json::array({body})) m.on_spawned(b);
        } else {
            const Json body = decode(msg.body);
            if (body.is_array()) {
                for (const auto& b : body) m.on_workflow(b);
            } else {
                m.on_workflow(body);
            }
        }
        if (auto d = m.delta()) updates.send_later(make_multipart(std::string("delta"), *d));
    }
}

}  // namespace tock::comp
