#include "triggers/plugin_host.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <csignal>
#include <cstdlib>

#include "scheduler/curve.hpp"

namespace tock::triggers {

using Json = nlohmann::json;

namespace {

constexpr int kProtocol = 1;

std::string excerpt(const std::string& text) {
    constexpr std::size_t kMax = 200;
    std::string out = text.size() > kMax ? text.substr(0, kMax) + "..." : text;
    // The log is UTF-8 JSON on its way: bytes that may not be are shown as '?'.
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20) c = ' ';
        if (u >= 0x7f) c = '?';
    }
    return out;
}

std::string seconds(Duration d) {
    return fmt::format("{:g} s", std::chrono::duration<double>(d).count());
}

}  // namespace

struct PluginHost::Watch {
    explicit Watch(Loop& loop) : done(loop) {}
    std::string id, plugin, function;
    Json args, kwargs;
    std::string interval;
    std::optional<Results> results;
    std::string failed;  // why it never will be satisfied
    Event done;
    int waiters = 0;
};

struct PluginHost::Plugin {
    explicit Plugin(Loop& loop) : wake(loop) {}
    std::string name;
    std::optional<Process> proc;
    std::string identity;  // its routing id, once registered
    bool registered = false, ever_registered = false, supervised = false, external = false;
    std::set<std::string> functions;
    std::set<std::string> outstanding;  // watch ids
    std::uint64_t seq = 0;
    bool awaiting_pong = false;
    std::string broken;  // why it cannot be run at all
    int failed_starts = 0;
    Duration backoff{};
    Event wake;  // for its heartbeat: something it waits for changed
};

PluginHost::PluginHost(Loop& loop, PluginHostOptions opts)
    : loop_(loop), opts_(std::move(opts)), sock_(loop, zmq::socket_type::router), scope_(loop) {
    // A plugin's message is small; a huge one ends its connection, not us.
    sock_.raw().set(zmq::sockopt::maxmsgsize, std::int64_t{1} << 20);
    for (const auto& ep : opts_.endpoints) {
        if (ep.rfind("tcp://", 0) == 0 && !opts_.curve_secret.empty()) {
            sock_.raw().set(zmq::sockopt::curve_server, 1);
            sock_.raw().set(zmq::sockopt::curve_secretkey, opts_.curve_secret);
            sock_.raw().set(zmq::sockopt::zap_domain, "tock");
            enforce_zap(sock_.raw());
        }
        sock_.bind(ep);
    }
}

PluginHost::~PluginHost() {
    stopping_ = true;
    scope_.cancel();
    for (auto& [name, p] : plugins_) {
        if (p->proc && !p->proc->exited()) p->proc->kill_group(SIGTERM);
    }
}

void PluginHost::say(const std::string& line) {
    if (opts_.log) opts_.log(line);
}

void PluginHost::drop(const std::string& who, const std::string& why, const std::string& text) {
    ++dropped_;
    say(fmt::format("plugin {}: dropped a message ({}): {}", who, why, excerpt(text)));
}

std::string PluginHost::last_endpoint() const {
    return const_cast<ZSocket&>(sock_).raw().get(zmq::sockopt::last_endpoint);
}

int PluginHost::pid(const std::string& plugin) const {
    auto it = plugins_.find(plugin);
    if (it == plugins_.end() || !it->second->proc || it->second->proc->exited()) return 0;
    return it->second->proc->pid();
}

PluginHost::Plugin& PluginHost::plugin(const std::string& name) {
    auto& p = plugins_[name];
    if (!p) {
        p = std::make_unique<Plugin>(loop_);
        p->name = name;
        p->backoff = opts_.first_backoff;
        p->external = opts_.external.count(name) > 0;
        scope_.spawn(heartbeat(*p));
    }
    return *p;
}

void PluginHost::send(const Plugin& p, const Json& m) {
    if (p.identity.empty()) return;
    sock_.send_later(make_multipart(p.identity, m.dump()));
}

void PluginHost::send_watch(Plugin& p, Watch& w) {
    if (!p.functions.count(w.function)) {
        std::string served;
        for (const auto& f : p.functions) served += (served.empty() ? "" : ", ") + f;
        finish(w, std::nullopt,
               fmt::format("plugin {} does not serve '{}' (it serves: {})", p.name, w.function,
                           served.empty() ? "nothing" : served));
        return;
    }
    ++watches_sent_;
    Json m = {{"type", "watch"},
              {"id", w.id},
              {"function", w.function},
              {"args", w.args},
              {"kwargs", w.kwargs}};
    if (!w.interval.empty()) m["interval"] = w.interval;
    send(p, m);
}

void PluginHost::finish(Watch& w, std::optional<Results> results, std::string why) {
    if (w.results || !w.failed.empty()) return;
    if (results) {
        w.results = std::move(results);
    } else {
        w.failed = why.empty() ? "failed" : std::move(why);
    }
    if (auto it = plugins_.find(w.plugin); it != plugins_.end())
        it->second->outstanding.erase(w.id);
    w.done.set();
}

void PluginHost::fail_all(Plugin& p, const std::string& why) {
    const std::set<std::string> ids = p.outstanding;
    for (const auto& id : ids) {
        if (auto it = by_id_.find(id); it != by_id_.end()) finish(*it->second, std::nullopt, why);
    }
}

// A waiter has gone (its task no longer needs the trigger): the last one
// takes the watch back from the plugin.
void PluginHost::release(Watch& w) {
    if (--w.waiters > 0 || w.results || !w.failed.empty() || stopping_) return;
    if (auto it = plugins_.find(w.plugin); it != plugins_.end()) {
        Plugin& p = *it->second;
        if (p.outstanding.erase(w.id) && p.registered)
            send(p, Json{{"type", "unwatch"}, {"id", w.id}});
    }
    const std::string key = w.plugin + '\0' + w.function + '\0' + w.args.dump() + w.kwargs.dump();
    by_id_.erase(w.id);
    watches_.erase(key);
}

Task<Results> PluginHost::watch(std::string plugin_name, std::string function,
                                std::vector<std::string> args,
                                std::vector<std::pair<std::string, std::string>> kwargs,
                                std::string interval) {
    Json a = args, k = Json::object();
    for (auto& [key, v] : kwargs) k[key] = v;
    const std::string key = plugin_name + '\0' + function + '\0' + a.dump() + k.dump();
    auto& slot = watches_[key];
    if (!slot) {
        slot = std::make_unique<Watch>(loop_);
        slot->id = fmt::format("w{}", ++next_id_);
        slot->plugin = plugin_name;
        slot->function = std::move(function);
        slot->args = std::move(a);
        slot->kwargs = std::move(k);
        slot->interval = std::move(interval);
        by_id_[slot->id] = slot.get();
    }
    Watch& w = *slot;
    if (!w.results && w.failed.empty()) {
        Plugin& p = plugin(plugin_name);
        if (!p.broken.empty()) {
            finish(w, std::nullopt, p.broken);
        } else if (p.outstanding.insert(w.id).second) {
            if (p.registered) send_watch(p, w);
            if (!p.supervised && !p.external) {
                p.supervised = true;
                scope_.spawn(supervise(p));
            }
            p.wake.set();
        }
    }
    struct Waiting {
        PluginHost& host;
        Watch& w;
        ~Waiting() { host.release(w); }
    };
    ++w.waiters;
    {
        Waiting waiting{*this, w};
        co_await w.done.wait();
    }
    if (!w.results) throw TriggerError(w.failed);
    co_return *w.results;
}

Task<void> PluginHost::supervise(Plugin& p) {
    for (;;) {
        if (p.outstanding.empty() || stopping_) break;
        const std::optional<std::string> program = find_plugin(p.name, opts_.dirs);
        if (!program) {
            std::string where;
            for (const auto& d : opts_.dirs) where += d + ", ";
            p.broken = fmt::format("no plugin program tock-trigger-{} (looked in {}and PATH)",
                                   p.name, where);
            say(p.broken);
            fail_all(p, p.broken);
            break;
        }
        ProcessOptions po;
        po.argv = {*program};
        po.env = opts_.env;
        po.env["TOCK_PLUGIN_NAME"] = p.name;
        if (!opts_.endpoints.empty()) po.env["TOCK_PLUGIN_ENDPOINT"] = opts_.endpoints.front();
        if (!opts_.log_dir.empty()) {
            po.stdout_path = po.stderr_path = fmt::format("{}/{}.log", opts_.log_dir, p.name);
        }
        po.own_group = true;
        try {
            p.proc.emplace(Process::spawn(loop_, po));
        } catch (const std::exception& e) {
            p.broken = fmt::format("plugin {} cannot be started: {}", p.name, e.what());
            say(p.broken);
            fail_all(p, p.broken);
            break;
        }
        say(fmt::format("plugin {} started (pid {}): {}", p.name, p.proc->pid(), *program));
        const TimePoint started = loop_.clock().now();
        p.registered = p.ever_registered = p.awaiting_pong = false;
        p.wake.set();
        const ExitStatus st = co_await p.proc->wait();
        by_identity_.erase(p.identity);
        p.identity.clear();
        p.registered = false;
        if (stopping_) break;
        const std::string how = st.term_signal ? fmt::format("killed by signal {}", st.term_signal)
                                               : fmt::format("exit {}", st.exit_code);
        p.failed_starts = p.ever_registered ? 0 : p.failed_starts + 1;
        if (p.failed_starts >= opts_.give_up_after) {
            p.broken = fmt::format(
                "plugin {} exited {} times in a row without registering ({}); its output is in "
                "{}/{}.log",
                p.name, p.failed_starts, how, opts_.log_dir, p.name);
            say(p.broken);
            fail_all(p, p.broken);
            break;
        }
        if (p.outstanding.empty()) {
            say(fmt::format("plugin {} ended ({})", p.name, how));
            break;
        }
        if (loop_.clock().now() - started > opts_.max_backoff) p.backoff = opts_.first_backoff;
        say(fmt::format("plugin {} ended ({}) with {} watch{} outstanding: restarting in {}",
                        p.name, how, p.outstanding.size(), p.outstanding.size() == 1 ? "" : "es",
                        seconds(p.backoff)));
        co_await loop_.clock().sleep_for(p.backoff);
        p.backoff = std::min(p.backoff * 2, opts_.max_backoff);
    }
    p.supervised = false;
}

// While a plugin runs with watches outstanding (or has not registered yet),
// one ping per interval; no answer by the next one, and it is restarted.
// With nothing outstanding, it sleeps on its event: no timer at all.
Task<void> PluginHost::heartbeat(Plugin& p) {
    if (p.external) {
        co_await external_heartbeat(p);
        co_return;
    }
    for (;;) {
        const bool running = p.proc && !p.proc->exited();
        if (!running || (p.registered && p.outstanding.empty())) {
            p.awaiting_pong = false;
            p.wake.reset();
            co_await p.wake.wait();
            continue;
        }
        const int pid = p.proc->pid();
        co_await loop_.clock().sleep_for(opts_.heartbeat);
        if (!p.proc || p.proc->exited() || p.proc->pid() != pid) continue;
        if (!p.registered) {
            say(fmt::format("plugin {} did not register within {}: restarting it", p.name,
                            seconds(opts_.heartbeat)));
            p.proc->kill_group(SIGKILL);
        } else if (p.awaiting_pong) {
            say(fmt::format("plugin {} did not answer its heartbeat within {}: restarting it",
                            p.name, seconds(opts_.heartbeat)));
            p.proc->kill_group(SIGKILL);
        } else if (!p.outstanding.empty()) {
            p.awaiting_pong = true;
            send(p, Json{{"type", "ping"}, {"seq", ++p.seq}});
        }
    }
}

// A plugin the host did not start cannot be restarted: one that stops
// answering is forgotten until it registers again, its watches kept.
Task<void> PluginHost::external_heartbeat(Plugin& p) {
    for (;;) {
        if (!p.registered || p.outstanding.empty()) {
            p.awaiting_pong = false;
            p.wake.reset();
            co_await p.wake.wait();
            continue;
        }
        const std::string identity = p.identity;
        co_await loop_.clock().sleep_for(opts_.heartbeat);
        if (!p.registered || p.identity != identity || p.outstanding.empty()) continue;
        if (p.awaiting_pong) {
            say(
                fmt::format("plugin {} did not answer its heartbeat within {}: waiting for it to "
                            "register again",
                            p.name, seconds(opts_.heartbeat)));
            by_identity_.erase(p.identity);
            p.identity.clear();
            p.registered = false;
        } else {
            p.awaiting_pong = true;
            send(p, Json{{"type", "ping"}, {"seq", ++p.seq}});
        }
    }
}

Task<void> PluginHost::run() {
    for (;;) {
        Multipart parts = co_await sock_.recv();
        if (parts.size() != 2) {
            auto known =
                parts.empty() ? by_identity_.end() : by_identity_.find(parts[0].to_string());
            drop(known != by_identity_.end() ? known->second : "(unregistered)",
                 fmt::format("{} frames, not 1", parts.empty() ? 0 : parts.size() - 1), "");
            continue;
        }
        on_message(parts[0].to_string(), parts[1].to_string());
    }
}

void PluginHost::on_message(const std::string& identity, const std::string& text) {
    auto known = by_identity_.find(identity);
    const std::string who = known != by_identity_.end() ? known->second : "(unregistered)";
    Json m;
    try {
        m = Json::parse(text);
    } catch (const std::exception&) {
        drop(who, "not JSON", text);
        return;
    }
    if (!m.is_object() || !m.contains("type") || !m["type"].is_string()) {
        drop(who, "not an object with a type", text);
        return;
    }
    try {
        on_object(identity, who, m, text);
    } catch (const std::exception& e) {
        // Whatever a plugin sends, the scheduler goes on.
        drop(who, e.what(), text);
    }
}

void PluginHost::on_object(const std::string& identity, const std::string& who, const Json& m,
                           const std::string& text) {
    auto known = by_identity_.find(identity);
    const std::string type = m["type"];
    if (type == "register") {
        on_register(identity, m);
        return;
    }
    if (known == by_identity_.end()) {
        drop(who, "sent before register", text);
        return;
    }
    Plugin& p = *plugins_.at(known->second);
    if (type == "pong") {
        p.awaiting_pong = false;
        return;
    }
    if (type == "log") {
        if (m.contains("text") && m["text"].is_string()) {
            say(fmt::format("plugin {}: {}", p.name, excerpt(m["text"].get<std::string>())));
        } else {
            drop(p.name, "a log without text", text);
        }
        return;
    }
    if (type != "satisfied" && type != "failed") {
        drop(p.name, fmt::format("unknown type '{}'", type), text);
        return;
    }
    if (!m.contains("id") || !m["id"].is_string()) {
        drop(p.name, "no id", text);
        return;
    }
    const std::string id = m["id"];
    auto w = by_id_.find(id);
    if (w == by_id_.end() || !p.outstanding.count(id)) {
        drop(p.name, fmt::format("'{}' is not a watch it has", id), text);
        return;
    }
    if (type == "failed") {
        const std::string why = m.contains("reason") && m["reason"].is_string()
                                    ? m["reason"].get<std::string>()
                                    : std::string("no reason given");
        say(fmt::format("plugin {}: {} cannot be satisfied: {}", p.name, w->second->function, why));
        finish(*w->second, std::nullopt, fmt::format("plugin {}: {}", p.name, why));
        return;
    }
    Results results;
    if (m.contains("results")) {
        if (!m["results"].is_object()) {
            drop(p.name, "results that are not an object", text);
            return;
        }
        for (const auto& [k, v] : m["results"].items()) {
            results.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
        }
    }
    finish(*w->second, std::move(results), "");
}

void PluginHost::on_register(const std::string& identity, const Json& m) {
    const std::string name =
        m.contains("name") && m["name"].is_string() ? m["name"].get<std::string>() : "";
    if (opts_.external.count(name)) plugin(name);
    auto it = plugins_.find(name);
    if (name.empty() || it == plugins_.end()) {
        drop(name.empty() ? "(unnamed)" : name, "register from a plugin nobody asked for",
             m.dump());
        return;
    }
    const Json protocol = m.contains("protocol") ? m["protocol"] : Json();
    if (protocol != kProtocol) {
        drop(name, fmt::format("protocol {}, not {}", protocol.dump(), kProtocol), m.dump());
        return;
    }
    Plugin& p = *it->second;
    if (!p.identity.empty() && p.identity != identity) by_identity_.erase(p.identity);
    p.identity = identity;
    by_identity_[identity] = name;
    p.functions.clear();
    if (m.contains("functions") && m["functions"].is_array()) {
        for (const auto& f : m["functions"]) {
            if (f.is_string()) p.functions.insert(f.get<std::string>());
        }
    }
    p.registered = p.ever_registered = true;
    p.awaiting_pong = false;
    send(p, Json{{"type", "welcome"},
                 {"protocol", kProtocol},
                 {"heartbeat",
                  fmt::format(
                      "PT{}S",
                      std::chrono::duration_cast<std::chrono::seconds>(opts_.heartbeat).count())}});
    say(fmt::format("plugin {} registered, serving {}; {} watch{} to send", name,
                    p.functions.empty() ? std::string("nothing")
                                        : fmt::format("{}", fmt::join(p.functions, ", ")),
                    p.outstanding.size(), p.outstanding.size() == 1 ? "" : "es"));
    const std::set<std::string> ids = p.outstanding;
    for (const auto& id : ids) {
        if (auto w = by_id_.find(id); w != by_id_.end()) send_watch(p, *w->second);
    }
    p.wake.set();
}

void PluginHost::stop() {
    stopping_ = true;
    for (auto& [name, p] : plugins_) {
        if (p->registered) send(*p, Json{{"type", "stop"}});
    }
}

std::pair<std::string, std::string> plugin_of(const std::string& function) {
    const auto dot = function.find('.');
    if (dot == std::string::npos) return {function, function};
    return {function.substr(0, dot), function.substr(dot + 1)};
}

std::optional<std::string> find_plugin(const std::string& name,
                                       const std::vector<std::string>& dirs) {
    const std::string program = "tock-trigger-" + name;
    for (const auto& d : dirs) {
        if (auto found = find_program(program, d.c_str())) return found;
    }
    return find_program(program, std::getenv("PATH"));
}

}  // namespace tock::triggers
