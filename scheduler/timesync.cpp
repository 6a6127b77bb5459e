#include "scheduler/timesync.hpp"

#include <stdexcept>

#include "scheduler/bus.hpp"

namespace tock {

using nlohmann::json;

namespace {

std::int64_t ns_of(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

TimePoint time_of(std::int64_t ns) {
    return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(ns)));
}

// A raw ZeroMQ socket watched by a uv_poll whose callback drains it; the
// handle outlives its owner until libuv has closed it.
uv_poll_t* watch(Loop& loop, zmq::socket_t& s, void* owner, uv_poll_cb cb) {
    auto* h = new uv_poll_t;
    const int fd = s.get(zmq::sockopt::fd);
    if (int rc = uv_poll_init(loop.uv(), h, fd); rc != 0) {
        delete h;
        throw std::runtime_error(std::string("uv_poll_init: ") + uv_strerror(rc));
    }
    h->data = owner;
    uv_poll_start(h, UV_READABLE, cb);
    return h;
}

void unwatch(uv_poll_t* h) {
    uv_poll_stop(h);
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* x) { delete reinterpret_cast<uv_poll_t*>(x); });
}

bool readable(zmq::socket_t& s) {
    return (again_on_eintr([&] { return s.get(zmq::sockopt::events); }) & ZMQ_POLLIN) != 0;
}

json report_of(Loop& loop, std::uint64_t epoch) {
    json r = bus_state(loop);
    r["epoch"] = epoch;
    const Clock& c = loop.clock();
    if (c.pending() > 0) r["deadline"] = ns_of(c.next_deadline());
    return r;
}

}  // namespace

json bus_state(Loop& loop) {
    json out = {{"pubs", json::object()}, {"subs", json::array()}};
    for (const Publisher* p : loop.publishers()) p->describe(out["pubs"][p->id()]);
    for (const Subscriber* s : loop.subscribers()) {
        json j;
        s->describe(j);
        out["subs"].push_back(std::move(j));
    }
    return out;
}

bool bus_quiet(const std::vector<const json*>& states, std::string& why) {
    std::map<std::string, const json*> pubs;
    for (const json* st : states)
        for (const auto& [id, topics] : (*st)["pubs"].items()) pubs[id] = &topics;
    for (const json* st : states) {
        for (const json& sub : (*st)["subs"]) {
            for (const auto& [sender, chain] : sub["chains"].items()) {
                const auto p = pubs.find(sender);
                if (p == pubs.end()) continue;  // its publisher is gone
                const std::uint64_t welcome = chain["welcome"].get<std::uint64_t>();
                const json& last = chain["last"];
                for (const auto& [topic, seq_j] : p->second->items()) {
                    const auto seq = seq_j.get<std::uint64_t>();
                    if (seq <= welcome) continue;
                    bool taken = false;
                    for (const json& prefix : sub["topics"]) {
                        if (topic.rfind(prefix.get<std::string>(), 0) == 0) {
                            taken = true;
                            break;
                        }
                    }
                    if (!taken) continue;
                    const auto got = last.find(topic);
                    if (got == last.end() || got->get<std::uint64_t>() != seq) {
                        why = sender + " " + topic + " -> " + sub.value("id", "?") + " (" +
                              std::to_string(seq) + " sent, " +
                              (got == last.end() ? std::string("none")
                                                 : std::to_string(got->get<std::uint64_t>())) +
                              " taken)";
                        return false;
                    }
                }
            }
        }
    }
    return true;
}

TimeMaster::TimeMaster(Loop& loop, const std::vector<std::string>& endpoints, std::size_t followers)
    : loop_(loop), sock_(loop.zmq(), zmq::socket_type::router), followers_(followers) {
    sock_.set(zmq::sockopt::linger, 0);
    for (const auto& e : endpoints) sock_.bind(e);
    poll_ = watch(loop, sock_, this, &TimeMaster::on_poll);
    loop.set_time_sync(this);
}

TimeMaster::~TimeMaster() {
    loop_.set_time_sync(nullptr);
    unwatch(poll_);
}

void TimeMaster::on_poll(uv_poll_t* h, int, int) {
    static_cast<TimeMaster*>(h->data)->drain();
}

void TimeMaster::drain() {
    bool changed = false;
    while (readable(sock_)) {
        zmq::message_t rid, body;
        if (!again_on_eintr([&] { return sock_.recv(rid, zmq::recv_flags::dontwait); })) break;
        if (!rid.more() ||
            !again_on_eintr([&] { return sock_.recv(body, zmq::recv_flags::dontwait); }))
            continue;
        while (body.more()) {  // nothing of ours: drop the rest
            zmq::message_t extra;
            if (!again_on_eintr([&] { return sock_.recv(extra, zmq::recv_flags::dontwait); }))
                break;
        }
        json m = json::parse(body.to_string_view(), nullptr, false);
        if (!m.is_object() || !m.contains("name") || !m["name"].is_string()) continue;
        if (m.contains("gone")) {
            // Its component has ended: time no longer waits for it.
            if (followers_ > 0) --followers_;
            reports_.erase(m["name"].get<std::string>());
            changed = true;
            continue;
        }
        Report& r = reports_[m["name"].get<std::string>()];
        r.rid = rid.to_string();
        r.epoch = m.value("epoch", std::uint64_t{0});
        r.deadline.reset();
        if (m.contains("deadline")) r.deadline = m["deadline"].get<std::int64_t>();
        r.state = std::move(m);
        changed = true;
    }
    if (changed) evaluate();
}

void TimeMaster::idle() {
    self_idle_ = true;
    self_fired_ = loop_.fired();
    // Reports that arrived while this loop was busy are read now too.
    drain();
    evaluate();
}

void TimeMaster::evaluate() {
    if (!self_idle_ || loop_.fired() != self_fired_ || !loop_.quiet()) return;
    if (reports_.size() < followers_) return;
    std::vector<const json*> states;
    std::optional<std::int64_t> deadline;
    for (const auto& [name, r] : reports_) {
        // A report of an earlier epoch was made before time last moved.
        if (r.epoch != epoch_) return;
        states.push_back(&r.state);
        if (r.deadline && (!deadline || *r.deadline < *deadline)) deadline = r.deadline;
    }
    const json own = bus_state(loop_);
    states.push_back(&own);
    std::string why;
    if (!bus_quiet(states, why)) return;
    const Clock& c = loop_.clock();
    if (c.pending() > 0) {
        const std::int64_t mine = ns_of(c.next_deadline());
        if (!deadline || mine < *deadline) deadline = mine;
    }
    if (!deadline) return;  // nothing will ever happen by itself
    ++epoch_;
    ++advances_;
    self_idle_ = false;
    const TimePoint t = std::max(time_of(*deadline), c.now());
    const std::string msg = json{{"now", ns_of(t)}, {"epoch", epoch_}}.dump();
    for (auto& [name, r] : reports_) {
        again_on_eintr([&] { return sock_.send(zmq::buffer(r.rid), zmq::send_flags::sndmore); });
        again_on_eintr([&] { return sock_.send(zmq::buffer(msg), zmq::send_flags::none); });
    }
    static_cast<VirtualClock&>(loop_.clock()).advance_to(t);
}

TimeFollower::TimeFollower(Loop& loop, std::string name, const std::string& master_endpoint)
    : loop_(loop), name_(std::move(name)), sock_(loop.zmq(), zmq::socket_type::dealer) {
    sock_.set(zmq::sockopt::linger, 0);
    sock_.connect(master_endpoint);
    poll_ = watch(loop, sock_, this, &TimeFollower::on_poll);
    loop.set_time_sync(this);
}

TimeFollower::~TimeFollower() {
    loop_.set_time_sync(nullptr);
    unwatch(poll_);
    // The master stops waiting for this loop.
    sock_.set(zmq::sockopt::linger, 1000);
    const std::string gone = json{{"name", name_}, {"gone", true}}.dump();
    again_on_eintr([&] { return sock_.send(zmq::buffer(gone), zmq::send_flags::dontwait); });
}

void TimeFollower::on_poll(uv_poll_t* h, int, int) {
    static_cast<TimeFollower*>(h->data)->drain();
}

void TimeFollower::drain() {
    while (readable(sock_)) {
        zmq::message_t m;
        if (!again_on_eintr([&] { return sock_.recv(m, zmq::recv_flags::dontwait); })) break;
        json j = json::parse(m.to_string_view(), nullptr, false);
        if (!j.is_object() || !j.contains("now")) continue;
        epoch_ = j["epoch"].get<std::uint64_t>();
        must_report_ = true;
        static_cast<VirtualClock&>(loop_.clock()).advance_to(time_of(j["now"].get<std::int64_t>()));
    }
}

void TimeFollower::idle() {
    // A message that came without a signal of the descriptor (a pipe is
    // signalled only once it has been read dry) is found here, and so is
    // one that the sending of a report found: a new time with no sleeper
    // due here still calls for a report.
    drain();
    while (must_report_ || loop_.fired() != reported_fired_) {
        if (!loop_.quiet()) return;  // the new time woke sleepers here
        must_report_ = false;
        reported_fired_ = loop_.fired();
        json r = report_of(loop_, epoch_);
        r["name"] = name_;
        const std::string text = r.dump();
        again_on_eintr([&] { return sock_.send(zmq::buffer(text), zmq::send_flags::dontwait); });
        drain();
    }
}

}  // namespace tock
