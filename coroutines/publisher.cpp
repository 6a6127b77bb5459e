// publisher: the workflow's live state, for `tock watch`, `tock status`,
// the web page and any client (the Clone pattern of the ZeroMQ Guide).
//
// It keeps a copy of what clients see (every task in the pool, and the
// finished ones of the cycle points still active, with state, job number,
// held and outputs; the workflow's status) from the store's task and
// workflow events, so it shows only what is committed. Two sockets:
//   updates    XPUB: ["delta", {"seq": N, "workflow": {...}?, "tasks": [...],
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

// A task as clients see it. Kept as plain fields, not JSON: the mirror
// takes every task event of the run, and building a JSON value for each
// would cost more than the rest of its trip.
struct TaskView {
    std::string id, cycle, task, state;
    std::int64_t point = 0;
    int num = 0;
    bool held = false, in_pool = true, known = false;  // known: held, in_pool, outputs
    std::vector<std::string> outputs;

    Json json() const {
        Json t = {{"id", id},     {"cycle", cycle}, {"point", point},
                  {"task", task}, {"state", state}, {"num", num}};
        if (known) {
            t["held"] = held;
            t["in_pool"] = in_pool;
            t["outputs"] = outputs;
        }
        return t;
    }
};

struct Mirror {
    using Key = std::pair<std::int64_t, std::string>;  // (point, name)
    std::map<Key, TaskView> tasks;
    Json workflow = {{"status", "running"}, {"stalled", false}};
    std::uint64_t seq = 0;
    // Since the last delta: tasks changed (or new), and ids gone; an id is
    // in one or the other, as it last was.
    std::set<Key> changed;
    std::set<std::string> gone;
    bool workflow_changed = false;

    void forget(const Key& key, const std::string& id) {
        changed.erase(key);
        gone.insert(id);
    }

    TaskView& at(std::int64_t point, std::string_view cycle, std::string_view task) {
        const Key key{point, std::string(task)};
        auto [it, fresh] = tasks.try_emplace(key);
        TaskView& t = it->second;
        if (fresh) {
            t.cycle = cycle;
            t.task = task;
            t.point = point;
            t.id = task_name(cycle, task);
        }
        gone.erase(t.id);
        changed.insert(key);
        return t;
    }

    void on_task(const BusEvent& e) {
        if (e.event == "removed") {
            const Key key{e.point, std::string(e.task)};
            if (auto it = tasks.find(key); it != tasks.end()) {
                forget(key, it->second.id);
                tasks.erase(it);
            }
            return;
        }
        TaskView& t = at(e.point, e.cycle, e.task);
        t.state = e.state;
        t.num = e.num;
        if (e.has_row) {
            t.known = true;
            t.held = e.held;
            t.in_pool = e.in_pool;
            t.outputs.assign(e.outputs.begin(), e.outputs.end());
        }
    }

    void on_spawned(const Json& b) {
        for (const auto& s : b.at("tasks")) {
            const std::int64_t point = s.at("point").get<std::int64_t>();
            const auto& name = s.at("task").get_ref<const std::string&>();
            if (tasks.count({point, name})) continue;
            TaskView& t = at(point, s.at("cycle").get_ref<const std::string&>(), name);
            t.state = s.value("state", "waiting");
            t.num = s.value("num", 0);
            t.held = s.value("held", false);
            t.known = true;
        }
        if (b.contains("oldest")) prune(b["oldest"].get<std::int64_t>());
    }

    // Finished tasks behind the oldest point in the pool (as the pool says)
    // leave the view.
    void prune(std::int64_t oldest) {
        for (auto it = tasks.begin(); it != tasks.end() && it->first.first < oldest;) {
            if (!it->second.in_pool) {
                forget(it->first, it->second.id);
                it = tasks.erase(it);
            } else {
                ++it;
            }
        }
    }

    void on_workflow(const Json& e) {
        const std::string ev = e.value("event", "");
        if (ev == "stopping") {
            workflow["status"] = "stopping";
        } else if (ev == "paused" || ev == "resumed") {
            if (workflow["status"] != "stopping")
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
        for (const auto& [k, t] : tasks) all.push_back(t.json());
        return Json{{"seq", seq}, {"workflow", workflow}, {"tasks", std::move(all)}};
    }

    // The delta of what changed since the last, if anything did. Its
    // number is taken whether or not anyone listens (`build` false: nobody
    // subscribes, and no text is made), so that a snapshot's seq always
    // says which deltas it holds.
    std::optional<std::string> delta(bool build) {
        if (changed.empty() && gone.empty() && !workflow_changed) return std::nullopt;
        ++seq;
        std::optional<std::string> text;
        if (build) {
            Json list = Json::array();
            for (const auto& k : changed) {
                if (auto it = tasks.find(k); it != tasks.end()) list.push_back(it->second.json());
            }
            Json d = {{"seq", seq}, {"tasks", std::move(list)}, {"gone", gone}};
            if (workflow_changed) d["workflow"] = workflow;
            text = d.dump(-1, ' ', false, Json::error_handler_t::replace);
        }
        changed.clear();
        gone.clear();
        workflow_changed = false;
        return text;
    }
};

// Who subscribes to the updates (an XPUB hears each subscription and the
// last unsubscription of each topic): with nobody, no delta is written.
Task<void> count_subscribers(ZSocket& updates, std::map<std::string, int>& topics) {
    for (;;) {
        Multipart m = co_await updates.recv();
        if (m.empty() || m[0].size() < 1) continue;
        const auto* b = static_cast<const unsigned char*>(m[0].data());
        const std::string topic(reinterpret_cast<const char*>(b) + 1, m[0].size() - 1);
        if (b[0] == 1) {
            ++topics[topic];
        } else if (b[0] == 0 && topics[topic] > 0 && --topics[topic] == 0) {
            topics.erase(topic);
        }
    }
}

}  // namespace

Task<void> publisher(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                     StreamOptions opts, Event* ready) {
    Subscriber sub(loop, "publisher");
    listen(sub, {ep.store}, {"task.", "workflow", "spawned"});
    co_await sub.ready();
    Mirror m;
    m.workflow["name"] = wf.name;
    ZSocket updates(loop, zmq::socket_type::xpub);
    updates.raw().set(zmq::sockopt::sndhwm, 10000);
    updates.bind(opts.local_updates);
    Server snapshots(loop, opts.local_snapshots);
    if (!opts.tcp_updates.empty()) {
        if (opts.tcp_updates.find('[') != std::string::npos ||
            opts.tcp_updates.rfind("tcp://*", 0) == 0)
            updates.raw().set(zmq::sockopt::ipv6, 1);
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
    std::map<std::string, int> subscribed;
    Scope scope(loop);
    scope.spawn(count_subscribers(updates, subscribed));
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
        if (auto d = m.delta(!subscribed.empty()))
            updates.send_later(make_multipart(std::string("delta"), *d));
    }
}

}  // namespace tock::comp
