// The plugin side of tock's trigger plugin protocol (version 1), in one
// header: a plugin is a program that serves xtrigger functions to the
// scheduler, and this is all it needs besides cppzmq and nlohmann/json. Copy
// the header next to your plugin or put tock's source tree on the include
// path; docs/plugins.md describes the protocol and the whole lifecycle.
//
//     #include "triggers/plugin.hpp"
//     using namespace tock::plugin;
//     int main() {
//         return Plugin("ready")
//             .poll_every(std::chrono::seconds(5))
//             .serve("ready", [](const Watch& w) {
//                 std::string path = w.arg("path", 0);
//                 if (path.empty()) return Outcome::never("ready: path= is required");
//                 if (::access(path.c_str(), R_OK) == 0) return Outcome::yes({{"path", path}});
//                 return Outcome::not_yet();
//             })
//             .run();
//     }
//
// Contract:
// - run() is the plugin's whole life, on the calling thread: it connects to
//   the scheduler, registers, and then answers pings, checks each new watch
//   at once and re-checks pending ones when they are due, until the
//   scheduler says stop (run() returns 0). It returns 2, having said why on
//   stderr, when the environment the scheduler gives a plugin is missing or
//   wrong, and 1 when the scheduler has been silent for three heartbeats
//   while watches are pending (it is gone: a scheduler pings a plugin with
//   watches every heartbeat).
// - A check is called on run()'s thread and nothing else runs meanwhile, so
//   it must return well within the scheduler's heartbeat (PT30S by default):
//   a plugin that does not answer a ping by the next one is killed and
//   restarted. Give network calls a timeout. A check that throws fails its
//   watch with the exception's message.
// - A watch ends once: satisfied, failed, or unwatched by the scheduler. The
//   plugin sends satisfied or failed at most once per watch and then forgets
//   it; on_forget() hears of every end.
// - Plugins that are told rather than poll give run() a file descriptor
//   (on_readable: an inotify fd, a socket, the read end of a pipe another
//   thread writes to); its callback may call satisfied(), failed() or
//   recheck(). Those three, like every member, are for run()'s thread only.
// - Messages from the scheduler that do not parse, of unknown types or
//   without the fields they need are ignored and written to stderr, which
//   the scheduler keeps in the run's log/plugins/NAME.log.
#pragma once

#include <zmq.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <zmq.hpp>

namespace tock::plugin {

// The ISO 8601 durations of the protocol (poll_interval, heartbeat) and of a
// plugin's own arguments: PnW, PnD and T with nH, nM, nS, each number an
// integer or a decimal ("PT10S", "PT1.5S", "P1DT12H"). Years and months have
// no fixed length and are refused. nullopt if `text` is not such a duration.
inline std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
    if (text.size() < 3 || text[0] != 'P') return std::nullopt;
    double ms = 0;
    bool in_time = false, any = false;
    for (std::size_t i = 1; i < text.size();) {
        if (text[i] == 'T' && !in_time) {
            in_time = true;
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) ||
                                     text[end] == '.' || text[end] == ','))
            ++end;
        if (end == i || end == text.size()) return std::nullopt;
        std::string number = text.substr(i, end - i);
        std::replace(number.begin(), number.end(), ',', '.');
        char* stop = nullptr;
        const double n = std::strtod(number.c_str(), &stop);
        if (*stop != '\0') return std::nullopt;
        const char unit = text[end];
        double unit_ms = 0;
        if (!in_time && unit == 'W')
            unit_ms = 7 * 86400e3;
        else if (!in_time && unit == 'D')
            unit_ms = 86400e3;
        else if (in_time && unit == 'H')
            unit_ms = 3600e3;
        else if (in_time && unit == 'M')
            unit_ms = 60e3;
        else if (in_time && unit == 'S')
            unit_ms = 1e3;
        else
            return std::nullopt;
        ms += n * unit_ms;
        any = true;
        i = end + 1;
    }
    if (!any) return std::nullopt;
    return std::chrono::milliseconds(static_cast<long long>(ms + 0.5));
}

// `d` as an ISO 8601 duration in seconds: PT10S, PT0.25S, PT90S.
inline std::string format_duration(std::chrono::milliseconds d) {
    std::string text = "PT" + std::to_string(d.count() / 1000);
    if (const auto frac = d.count() % 1000) {
        std::string digits = std::to_string(1000 + frac).substr(1);
        digits.erase(digits.find_last_not_of('0') + 1);
        text += "." + digits;
    }
    return text + "S";
}

// One watch: the scheduler wants to hear when `function(args, kwargs)`
// holds. Arguments are text, with the workflow's templates (%(point)s...)
// already expanded.
struct Watch {
    std::string id, function;
    std::vector<std::string> args;
    std::map<std::string, std::string> kwargs;
    // The interval written after the call in the workflow (`f(...):PT10S`),
    // 0 if none: how often the workflow asks this watch to be looked at.
    // A pending watch is checked again at this interval unless its check
    // says otherwise (Outcome::not_yet(again_in)).
    std::chrono::milliseconds interval{0};

    // The argument given as `key=...`, else the one at position `pos`, else
    // `fallback`: the same argument may be written either way.
    std::string arg(const std::string& key, std::size_t pos, std::string fallback = "") const {
        if (auto it = kwargs.find(key); it != kwargs.end()) return it->second;
        if (pos < args.size()) return args[pos];
        return fallback;
    }
};

// What a satisfied watch tells the dependent jobs (TOCK_XTRIGGER_LABEL_NAME
// in their environment).
using Results = std::map<std::string, std::string>;

// What a check says about a watch.
struct Outcome {
    enum class Kind { satisfied, not_yet, never };
    Kind kind = Kind::not_yet;
    Results results{};
    std::string reason{};
    std::chrono::milliseconds again_in{0};

    // The condition holds: the watch is satisfied, with these results.
    static Outcome yes(Results r = {}) { return {Kind::satisfied, std::move(r), {}, {}}; }
    // Not yet: check again in `again_in`, or, if zero, at the plugin's
    // poll_every interval (with neither, only when recheck() is called).
    static Outcome not_yet(std::chrono::milliseconds again_in = {}) {
        return {Kind::not_yet, {}, {}, again_in};
    }
    // It can never hold (bad arguments, say): the watch fails with `why`,
    // which the scheduler shows as the waiting task's reason.
    static Outcome never(std::string why) { return {Kind::never, {}, std::move(why), {}}; }
};

class Plugin {
  public:
    using Check = std::function<Outcome(const Watch&)>;
    using Clock = std::chrono::steady_clock;

    // `name` is the NAME of tock-trigger-NAME. The scheduler also gives it
    // as TOCK_PLUGIN_NAME, which wins, so that a plugin installed under
    // another name registers as what it was started as.
    explicit Plugin(std::string name) : name_(std::move(name)) {
        if (const char* n = std::getenv("TOCK_PLUGIN_NAME"); n && *n) name_ = n;
    }
    Plugin(const Plugin&) = delete;
    Plugin& operator=(const Plugin&) = delete;

    // Serve xtrigger function `function` with `check`, which is called for
    // each new watch at once and then whenever the watch is due again.
    Plugin& serve(std::string function, Check check) {
        checks_[std::move(function)] = std::move(check);
        return *this;
    }
    // Re-check pending watches this often (declared to the scheduler as
    // poll_interval). Without it, a watch is checked when it arrives and
    // then only as its Outcome::not_yet(again_in) or recheck() says.
    Plugin& poll_every(std::chrono::milliseconds every) {
        every_ = every;
        return *this;
    }
    // Call `ready` from run() whenever `fd` is readable (or at end of file,
    // or in error). It must consume what made it so, or it is called again
    // at once: an fd that can hang up (a pipe, a socket) needs a plan for
    // that, such as ending the plugin.
    Plugin& on_readable(int fd, std::function<void()> ready) {
        fds_.push_back({fd, std::move(ready)});
        return *this;
    }
    // Connect to `endpoint` rather than $TOCK_PLUGIN_ENDPOINT: a plugin in
    // the scheduler's own process (a thread) passes the scheduler's ZeroMQ
    // context and an inproc:// endpoint; the protocol is the same.
    Plugin& connect_to(std::string endpoint, zmq::context_t* context = nullptr) {
        endpoint_ = std::move(endpoint);
        if (context) ctx_ = context;
        return *this;
    }
    // Call `forget` whenever a watch ends (satisfied, failed or unwatched),
    // to release what its check set up.
    Plugin& on_forget(std::function<void(const Watch&)> forget) {
        forget_ = std::move(forget);
        return *this;
    }

    // For on_readable callbacks: end a pending watch now. Unknown ids (a
    // watch already ended) are ignored.
    void satisfied(const std::string& id, Results results = {}) {
        end(id, {{"type", "satisfied"}, {"id", id}, {"results", std::move(results)}});
    }
    void failed(const std::string& id, std::string reason) {
        end(id, {{"type", "failed"}, {"id", id}, {"reason", std::move(reason)}});
    }
    // Check every pending watch again, on this turn of the loop.
    void recheck() {
        for (auto& [id, p] : pending_) p.due = Clock::now();
    }
    // A line for the scheduler's log.
    void log(const std::string& text) { send({{"type", "log"}, {"text", text}}); }
    // The pending watches, by id; a copy, so that a callback may end
    // watches as it goes through them.
    std::vector<Watch> pending() const {
        std::vector<Watch> all;
        for (const auto& [id, p] : pending_) all.push_back(p.watch);
        return all;
    }
    const std::string& name() const { return name_; }

    int run() {
        if (!connect()) return 2;
        nlohmann::json reg = {{"type", "register"},
                              {"name", name_},
                              {"protocol", 1},
                              {"functions", nlohmann::json::array()}};
        for (const auto& [function, check] : checks_) reg["functions"].push_back(function);
        if (every_.count() > 0) reg["poll_interval"] = format_duration(every_);
        send(reg);
        heard_ = Clock::now();
        for (;;) {
            std::vector<zmq_pollitem_t> items = wait();
            while (auto msg = receive()) {
                heard_ = Clock::now();
                if (!handle(*msg)) return 0;
            }
            for (std::size_t i = 1; i < items.size(); ++i)
                if (items[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) fds_[i - 1].ready();
            check_due();
            if (!pending_.empty() && Clock::now() - heard_ > 3 * heartbeat_) {
                complain("no word from the scheduler in three heartbeats (" +
                         format_duration(3 * heartbeat_) + ") with watches pending: exiting");
                return 1;
            }
        }
    }

  private:
    struct Pending {
        Watch watch;
        Clock::time_point due;
    };
    struct Readable {
        int fd;
        std::function<void()> ready;
    };

    void complain(const std::string& what) const {
        std::cerr << "tock-trigger-" << name_ << ": " << what << std::endl;
    }

    bool connect() {
        const char* endpoint =
            endpoint_.empty() ? std::getenv("TOCK_PLUGIN_ENDPOINT") : endpoint_.c_str();
        if (!endpoint || !*endpoint) {
            complain(
                "TOCK_PLUGIN_ENDPOINT is not set: this is a tock trigger plugin, which the "
                "scheduler starts when a workflow uses one of its functions (docs/plugins.md)");
            return false;
        }
        const char* server = std::getenv("TOCK_PLUGIN_SERVER_KEY");
        const char* pub = std::getenv("TOCK_PLUGIN_PUBLIC_KEY");
        const char* sec = std::getenv("TOCK_PLUGIN_SECRET_KEY");
        const int keys = (server && *server) + (pub && *pub) + (sec && *sec);
        if (keys != 0 && keys != 3) {
            complain(
                "TOCK_PLUGIN_SERVER_KEY, TOCK_PLUGIN_PUBLIC_KEY and TOCK_PLUGIN_SECRET_KEY go "
                "together: some are set, not all");
            return false;
        }
        try {
            sock_.emplace(*ctx_, zmq::socket_type::dealer);
            // Whatever is still queued at exit gets a moment, not forever:
            // the scheduler that said stop is leaving too.
            sock_->set(zmq::sockopt::linger, 200);
            if (keys == 3) {
                sock_->set(zmq::sockopt::curve_serverkey, server);
                sock_->set(zmq::sockopt::curve_publickey, pub);
                sock_->set(zmq::sockopt::curve_secretkey, sec);
            }
            sock_->connect(endpoint);
        } catch (const zmq::error_t& e) {
            complain(std::string("cannot connect to ") + endpoint + ": " + e.what() +
                     (keys == 3 ? " (are the keys 40-character z85 text?)" : ""));
            return false;
        }
        return true;
    }

    // Sends without blocking: a scheduler that has stopped reading cannot
    // hold the plugin, whose silence check then ends it.
    void send(const nlohmann::json& msg) {
        const std::string text = msg.dump();
        if (!sock_->send(zmq::buffer(text), zmq::send_flags::dontwait))
            complain("the scheduler is not reading; dropped " + text);
    }

    std::optional<zmq::message_t> receive() {
        zmq::message_t msg;
        if (!sock_->recv(msg, zmq::recv_flags::dontwait)) return std::nullopt;
        if (!msg.more()) return msg;
        complain("ignored a message of more than one frame");
        while (msg.more() && sock_->recv(msg, zmq::recv_flags::dontwait)) {
        }
        return receive();
    }

    // Blocks until a message or an fd is ready or the next watch is due;
    // returns what was polled, the socket first.
    std::vector<zmq_pollitem_t> wait() {
        std::vector<zmq_pollitem_t> items{{sock_->handle(), 0, ZMQ_POLLIN, 0}};
        for (const auto& r : fds_) items.push_back({nullptr, r.fd, ZMQ_POLLIN, 0});
        auto until = Clock::time_point::max();
        for (const auto& [id, p] : pending_) until = std::min(until, p.due);
        if (!pending_.empty()) until = std::min(until, heard_ + 3 * heartbeat_ + margin);
        long timeout = -1;
        if (until != Clock::time_point::max()) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
            timeout = std::max<long>(0, static_cast<long>(left.count()));
        }
        while (zmq_poll(items.data(), static_cast<int>(items.size()), timeout) < 0) {
            if (zmq_errno() != EINTR) throw zmq::error_t();
        }
        return items;
    }

    // Handles one message from the scheduler; false on stop.
    bool handle(const zmq::message_t& raw) {
        const auto msg = nlohmann::json::parse(raw.to_string_view(), nullptr, false);
        if (msg.is_discarded() || !msg.is_object() || !msg.contains("type") ||
            !msg["type"].is_string()) {
            complain("ignored a message that is not a JSON object with a type: " +
                     std::string(raw.to_string_view().substr(0, 200)));
            return true;
        }
        const std::string type = msg["type"];
        const auto text = [&](const char* field) {
            auto it = msg.find(field);
            return it != msg.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        if (type == "ping") {
            send({{"type", "pong"}, {"seq", msg.value("seq", nlohmann::json())}});
        } else if (type == "watch") {
            add(msg);
        } else if (type == "unwatch") {
            if (auto it = pending_.find(text("id")); it != pending_.end()) {
                const Pending ended = std::move(it->second);
                pending_.erase(it);
                if (forget_) forget_(ended.watch);
            }
        } else if (type == "welcome") {
            if (auto hb = parse_duration(text("heartbeat")); hb && hb->count() > 0)
                heartbeat_ = *hb;
        } else if (type == "stop") {
            sock_->close();
            return false;
        } else {
            complain("ignored a message of unknown type: " + msg.dump());
        }
        return true;
    }

    void add(const nlohmann::json& msg) {
        const auto as_text = [](const nlohmann::json& v) {
            return v.is_string() ? v.get<std::string>() : v.dump();
        };
        Watch w;
        if (auto id = msg.find("id"); id != msg.end() && id->is_string()) w.id = *id;
        if (auto f = msg.find("function"); f != msg.end() && f->is_string()) w.function = *f;
        if (w.id.empty() || w.function.empty()) {
            complain("ignored a watch without an id or a function: " + msg.dump());
            return;
        }
        if (pending_.count(w.id)) return;  // sent again: the protocol says ignore it
        if (auto a = msg.find("args"); a != msg.end() && a->is_array())
            for (const auto& v : *a) w.args.push_back(as_text(v));
        if (auto k = msg.find("kwargs"); k != msg.end() && k->is_object())
            for (const auto& [key, v] : k->items()) w.kwargs[key] = as_text(v);
        if (auto i = msg.find("interval"); i != msg.end() && i->is_string())
            w.interval = parse_duration(*i).value_or(std::chrono::milliseconds{0});
        const std::string id = w.id;
        pending_[id] = {std::move(w), Clock::now()};
        check(id);
    }

    void check_due() {
        std::vector<std::string> due;
        const auto now = Clock::now();
        for (const auto& [id, p] : pending_)
            if (p.due <= now) due.push_back(id);
        for (const auto& id : due) check(id);
    }

    void check(const std::string& id) {
        auto it = pending_.find(id);
        if (it == pending_.end()) return;
        const Watch& w = it->second.watch;
        auto served = checks_.find(w.function);
        if (served == checks_.end()) {
            std::string known;
            for (const auto& [f, c] : checks_) known += (known.empty() ? "" : ", ") + f;
            return failed(id, "plugin " + name_ + " serves no function " + w.function +
                                  " (it serves: " + known + ")");
        }
        Outcome out;
        try {
            out = served->second(w);
        } catch (const std::exception& e) {
            return failed(id, w.function + ": " + e.what());
        }
        switch (out.kind) {
            case Outcome::Kind::satisfied:
                return satisfied(id, std::move(out.results));
            case Outcome::Kind::never:
                return failed(id, std::move(out.reason));
            case Outcome::Kind::not_yet: {
                const auto interval = it->second.watch.interval;
                const auto again = out.again_in.count() > 0 ? out.again_in
                                   : interval.count() > 0   ? interval
                                                            : every_;
                it->second.due =
                    again.count() > 0 ? Clock::now() + again : Clock::time_point::max();
            }
        }
    }

    void end(const std::string& id, const nlohmann::json& msg) {
        auto it = pending_.find(id);
        if (it == pending_.end()) return;
        const Pending ended = std::move(it->second);
        pending_.erase(it);
        send(msg);
        if (forget_) forget_(ended.watch);
    }

    // Poll a little past the silence limit so that the check after it sees
    // the limit passed rather than just short of it.
    static constexpr std::chrono::milliseconds margin{10};

    std::string name_;
    std::map<std::string, Check> checks_;
    std::chrono::milliseconds every_{0};
    std::vector<Readable> fds_;
    std::function<void(const Watch&)> forget_;
    std::map<std::string, Pending> pending_;
    std::chrono::milliseconds heartbeat_{30000};
    Clock::time_point heard_;
    std::string endpoint_;
    zmq::context_t own_ctx_;
    zmq::context_t* ctx_ = &own_ctx_;
    std::optional<zmq::socket_t> sock_;
};

}  // namespace tock::plugin
