// `tock ui`: the web page's server (docs/ui.md). cpp-httplib serves the
// page and its API from a pool of threads; one tock Loop (the hub) follows
// every live workflow's state stream (docs/protocol.md: subscribe, take a
// snapshot, apply numbered deltas, a snapshot again after a gap) and pushes
// what changed to the pages' server-sent event streams. Nothing is polled:
// a page changes when a workflow's stream says so. Which workflows are live
// is read from the run directories (their lock and contact file) every 2 s,
// without calling any workflow.
#include "tools/ui.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>
#ifdef TOCK_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "scheduler/process.hpp"
#include "scheduler/rpc.hpp"
#include "tools/client.hpp"
#include "tools/play.hpp"
#include "tools/run_cmds.hpp"
#include "tools/ui_assets.hpp"

namespace tock::cmd {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// What the server counts (GET /api/stats).
struct Stats {
    std::atomic<long> refused{0};       // requests without the right token
    std::atomic<long> events{0};        // events written to pages
    std::atomic<long> behind{0};        // page streams closed for falling behind
    std::atomic<long> snapshots{0};     // snapshots taken from workflows
    std::atomic<long> commands{0};      // commands passed on
    std::atomic<long> streams_open{0};  // event streams open now
    std::atomic<bool> stopping{false};  // the server is stopping: streams end
};

std::string sse(const std::string& event, const std::string& data) {
    return "event: " + event + "\ndata: " + data + "\n\n";
}

// One page's event stream: the hub pushes, the page's HTTP thread writes.
// A page that falls more than `limit` events behind is closed, counted and
// logged; its browser reconnects (EventSource does) and starts again from a
// snapshot, so it never shows a state with a change missing.
class Feed {
  public:
    explicit Feed(std::size_t limit) : limit_(limit) {}
    void push(std::string ev) {
        std::lock_guard lock(m_);
        if (closed_) return;
        if (q_.size() >= limit_) {
            closed_ = behind_ = true;
            q_.clear();
        } else {
            q_.push_back(std::move(ev));
        }
        cv_.notify_one();
    }
    void close() {
        std::lock_guard lock(m_);
        closed_ = true;
        cv_.notify_one();
    }
    // The next event; "" when `wait` passed with none (time for a
    // keep-alive); nullopt once closed and drained.
    std::optional<std::string> pop(std::chrono::milliseconds wait) {
        std::unique_lock lock(m_);
        cv_.wait_for(lock, wait, [this] { return closed_ || !q_.empty(); });
        if (!q_.empty()) {
            std::string ev = std::move(q_.front());
            q_.pop_front();
            return ev;
        }
        if (closed_) return std::nullopt;
        return std::string();
    }
    bool behind() {
        std::lock_guard lock(m_);
        return behind_;
    }

  private:
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::string> q_;
    std::size_t limit_;
    bool closed_ = false, behind_ = false;
};

// One workflow as the pages see it.
struct Flow {
    std::string name, dir;
    long pid = 0;
    bool live = true;
    std::string ended;  // the run database's status once it ended
    Json workflow = Json::object();
    std::map<std::string, Json> tasks;  // by id
    std::uint64_t seq = 0;
    bool loaded = false;               // a snapshot has come
    bool broken = false;               // its stream failed while the scheduler ran on
    std::string families_text = "{}";  // each task's families, JSON
    std::vector<std::shared_ptr<Feed>> feeds;
    std::unique_ptr<Scope> following;
};

class Hub {
  public:
    Hub(Loop& loop, Stats& stats) : loop_(loop), stats_(stats), list_dirty_(loop) {}

    Task<void> run(Event& quit) {
        Scope scope(loop_);
        scope.spawn(scan());
        scope.spawn(push_lists());
        co_await quit.wait();
        std::lock_guard lock(m_);
        for (auto& [name, f] : flows_) {
            f->following.reset();
            for (auto& feed : f->feeds) feed->close();
        }
        for (auto& feed : list_feeds_) feed->close();
    }

    // A page's stream of the workflow list: the list at once, then on change.
    std::shared_ptr<Feed> watch_list() {
        auto feed = std::make_shared<Feed>(kLimit);
        std::lock_guard lock(m_);
        feed->push(sse("workflows", list_locked().dump()));
        list_feeds_.push_back(feed);
        return feed;
    }
    // A page's stream of one workflow; nullptr if there is no such workflow.
    std::shared_ptr<Feed> watch(const std::string& name) {
        std::lock_guard lock(m_);
        auto it = flows_.find(name);
        if (it == flows_.end()) return nullptr;
        Flow& f = *it->second;
        auto feed = std::make_shared<Feed>(kLimit);
        if (f.loaded) feed->push(sse("snapshot", snapshot_locked(f)));
        if (!f.live) {
            feed->push(sse("ended", Json{{"status", f.ended}}.dump()));
            feed->close();
        } else {
            f.feeds.push_back(feed);
        }
        return feed;
    }
    void forget(const std::shared_ptr<Feed>& feed) {
        std::lock_guard lock(m_);
        auto drop = [&](std::vector<std::shared_ptr<Feed>>& v) {
            v.erase(std::remove(v.begin(), v.end(), feed), v.end());
        };
        drop(list_feeds_);
        for (auto& [name, f] : flows_) drop(f->feeds);
    }
    Json list() {
        std::lock_guard lock(m_);
        return list_locked();
    }
    // The run directory of a workflow the hub knows.
    std::optional<std::string> run_of(const std::string& name) {
        std::lock_guard lock(m_);
        auto it = flows_.find(name);
        if (it == flows_.end()) return std::nullopt;
        return it->second->dir;
    }
    // The cycle points of the active tasks, lowest and highest.
    std::optional<std::pair<std::string, std::string>> active_points(const std::string& name) {
        std::lock_guard lock(m_);
        auto it = flows_.find(name);
        if (it == flows_.end()) return std::nullopt;
        const Json* lo = nullptr;
        const Json* hi = nullptr;
        for (const auto& [id, t] : it->second->tasks) {
            if (!t.value("in_pool", true) || !t.contains("point")) continue;
            if (!lo || t["point"].get<std::int64_t>() < (*lo)["point"].get<std::int64_t>()) lo = &t;
            if (!hi || t["point"].get<std::int64_t>() > (*hi)["point"].get<std::int64_t>()) hi = &t;
        }
        if (!lo) return std::nullopt;
        return std::make_pair((*lo)["cycle"].get<std::string>(), (*hi)["cycle"].get<std::string>());
    }

  private:
    static constexpr std::size_t kLimit = 10000;

    Json list_locked() const {
        Json out = Json::array();
        for (const auto& [name, f] : flows_) {
            Json counts = Json::object();
            for (const auto& [id, t] : f->tasks) {
                std::string state = t.value("state", "?");
                counts[state] = counts.value(state, 0) + 1;
            }
            out.push_back({{"name", name},
                           {"run_dir", f->dir},
                           {"live", f->live},
                           {"status", f->live ? f->workflow.value("status", "starting") : f->ended},
                           {"stalled", f->live && f->workflow.value("stalled", false)},
                           {"tasks", f->tasks.size()},
                           {"counts", std::move(counts)}});
        }
        return out;
    }
    static std::string snapshot_locked(const Flow& f) {
        // Written task by task: a copy of 10,000 tasks as one JSON value
        // would take a dozen MB for a moment, in whichever server thread
        // asked, and the allocator keeps such peaks per thread.
        std::string out = fmt::format(R"({{"seq":{},"workflow":{},"families":{},"tasks":[)", f.seq,
                                      f.workflow.dump(), f.families_text);
        bool first = true;
        for (const auto& [id, t] : f.tasks) {
            if (!first) out += ',';
            first = false;
            out += t.dump(-1, ' ', false, Json::error_handler_t::replace);
        }
        out += "]}";
        return out;
    }
    // A task as the hub keeps it and sends it in snapshots: without its
    // outputs (a page asks for a task's details when it shows them), a
    // tenth less to keep, send and parse.
    static void keep(Flow& f, const Json& t) {
        Json& kept = f.tasks[t.value("id", "")] = t;
        kept.erase("outputs");
    }
    void push_locked(Flow& f, const std::string& ev) {
        for (auto& feed : f.feeds) {
            feed->push(ev);
            if (feed->behind()) {
                ++stats_.behind;
                fmt::print(stderr, "tock ui: a page of {} fell {} events behind; it starts again\n",
                           f.name, kLimit);
            }
        }
        f.feeds.erase(std::remove_if(f.feeds.begin(), f.feeds.end(),
                                     [](const auto& feed) { return feed->behind(); }),
                      f.feeds.end());
    }

    void load(Flow& f, const Json& snap) {
        std::lock_guard lock(m_);
        f.tasks.clear();
        for (const auto& t : snap.at("tasks")) keep(f, t);
        f.workflow = snap.at("workflow");
        f.seq = snap.at("seq").get<std::uint64_t>();
        f.loaded = true;
        ++stats_.snapshots;
        push_locked(f, sse("snapshot", snapshot_locked(f)));
        list_dirty_.set();
    }
    // A delta in order: applied and passed on (true), or a gap (false).
    bool apply(Flow& f, const Json& d, std::string_view raw) {
        std::lock_guard lock(m_);
        const auto s = d.at("seq").get<std::uint64_t>();
        if (s <= f.seq) return true;
        if (s != f.seq + 1) return false;
        for (const auto& t : d.at("tasks")) keep(f, t);
        for (const auto& g : d.at("gone")) f.tasks.erase(g.get<std::string>());
        if (d.contains("workflow")) f.workflow = d["workflow"];
        f.seq = s;
        push_locked(f, sse("delta", std::string(raw)));
        list_dirty_.set();
        return true;
    }

    Task<void> follow(std::shared_ptr<Flow> flow) {
        Flow& f = *flow;
        try {
            const Run r = find_run(f.dir);
            ZSocket sub(loop_, zmq::socket_type::sub);
            subscribe_updates(sub, r);
            ChannelOptions so;
            const std::string sep = endpoint_of(r, "snapshots", so);
            Channel snapshots(loop_, sep, so);
            // Subscribed first, then the snapshot: deltas it already holds
            // are dropped by their seq.
            Json snap = co_await snapshots.call("snapshot");
            load(f, snap);
            for (;;) {
                Multipart m = co_await sub.recv();
                if (m.size() != 2) continue;
                const std::string_view raw = m[1].to_string_view();
                const Json d = Json::parse(raw, nullptr, false);
                if (!d.is_object() || !d.contains("seq") || !d["seq"].is_number_unsigned() ||
                    !d.contains("tasks") || !d.contains("gone"))
                    continue;
                if (!apply(f, d, raw)) {
                    Json again = co_await snapshots.call("snapshot");
                    load(f, again);
                    apply(f, d, raw);
                }
            }
        } catch (const std::exception& e) {
            // The scheduler ended (the scan will say so) or cannot be
            // reached: the page shows the last state it had.
            fmt::print(stderr, "tock ui: {}: the state stream ended: {}\n", f.name, e.what());
        }
        // The next scan follows it again if its scheduler still runs.
        std::lock_guard lock(m_);
        f.broken = true;
    }

    void ended(Flow& f) {
        std::lock_guard lock(m_);
        f.live = false;
        f.ended = run_status(f.dir);
        if (f.ended.empty()) f.ended = "stopped";
        const std::string ev = sse("ended", Json{{"status", f.ended}}.dump());
        for (auto& feed : f.feeds) {
            feed->push(ev);
            feed->close();
        }
        f.feeds.clear();
        list_dirty_.set();
    }

    // Which workflows are live, from their run directories.
    Task<void> scan() {
        for (;;) {
            std::map<std::string, LiveRun> live;
            for (auto& r : live_runs()) live[r.name] = r;  // the latest run of a name wins
            std::vector<std::shared_ptr<Flow>> start;
            std::vector<std::shared_ptr<Flow>> gone;
            {
                std::lock_guard lock(m_);
                for (auto& [name, f] : flows_) {
                    auto it = live.find(name);
                    if (f->live &&
                        (it == live.end() || it->second.pid != f->pid || it->second.dir != f->dir))
                        gone.push_back(f);
                }
            }
            for (auto& f : gone) {
                f->following.reset();
                ended(*f);
            }
            {
                std::lock_guard lock(m_);
                for (auto& [name, r] : live) {
                    auto it = flows_.find(name);
                    if (it != flows_.end() && it->second->live) continue;
                    auto f = std::make_shared<Flow>();
                    f->name = name;
                    f->dir = r.dir;
                    f->pid = r.pid;
                    std::string why;
                    if (auto run = load_run(r.dir, why)) {
                        Json families = Json::object();
                        for (const auto& t : run->wf.tasks) {
                            const auto rt = run->wf.runtime.find(t);
                            if (rt == run->wf.runtime.end()) continue;
                            const auto& lin = rt->second.lineage;
                            families[t] = std::vector<std::string>(
                                lin.size() > 1 ? lin.begin() + 1 : lin.end(), lin.end());
                        }
                        f->families_text = families.dump();
                    }
                    flows_[name] = f;
                    start.push_back(f);
                }
            }
            {
                std::lock_guard lock(m_);
                for (auto& [name, f] : flows_) {
                    if (f->live && f->broken) {
                        f->broken = false;
                        start.push_back(f);
                    }
                }
            }
            for (auto& f : start) {
                f->following = std::make_unique<Scope>(loop_);
                f->following->spawn(follow(f));
            }
            if (!start.empty()) list_dirty_.set();
            co_await loop_.clock().sleep_for(2s);
        }
    }

    // The workflow list to the pages, at most every 200 ms.
    Task<void> push_lists() {
        for (;;) {
            co_await list_dirty_.wait();
            list_dirty_.reset();
            {
                std::lock_guard lock(m_);
                const std::string ev = sse("workflows", list_locked().dump());
                for (auto& feed : list_feeds_) feed->push(ev);
                list_feeds_.erase(std::remove_if(list_feeds_.begin(), list_feeds_.end(),
                                                 [this](const auto& feed) {
                                                     if (!feed->behind()) return false;
                                                     ++stats_.behind;
                                                     return true;
                                                 }),
                                  list_feeds_.end());
            }
            co_await loop_.clock().sleep_for(200ms);
        }
    }

    Loop& loop_;
    Stats& stats_;
    Event list_dirty_;
    std::mutex m_;
    std::map<std::string, std::shared_ptr<Flow>> flows_;
    std::vector<std::shared_ptr<Feed>> list_feeds_;
};

// Writes a feed to a page until the page goes or the feed closes; a
// comment line every 15 s keeps proxies from closing a quiet stream.
void stream(httplib::Response& res, Hub& hub, std::shared_ptr<Feed> feed, Stats& stats) {
    ++stats.streams_open;
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [feed, &stats](size_t, httplib::DataSink& sink) {
            const std::optional<std::string> ev = feed->pop(15s);
            if (!ev) {
                sink.done();
                return true;
            }
            const std::string out = ev->empty() ? std::string(": keep-alive\n\n") : *ev;
            if (!ev->empty()) ++stats.events;
            return sink.write(out.data(), out.size());
        },
        [feed, &hub, &stats](bool) {
            hub.forget(feed);
            feed->close();
            --stats.streams_open;
        });
}

// A job's file as it grows: its content so far, then what is added.
void tail(httplib::Response& res, const fs::path& file, Stats& stats) {
    ++stats.streams_open;
    struct State {
        std::uint64_t offset = 0;
        bool said_missing = false;
        int in = -1;
        std::chrono::steady_clock::time_point wrote = std::chrono::steady_clock::now();
        ~State() {
            if (in >= 0) ::close(in);
        }
    };
    auto st = std::make_shared<State>();
    res.set_header("Cache-Control", "no-store");
    res.set_chunked_content_provider(
        "text/event-stream",
        [st, file, &stats](size_t, httplib::DataSink& sink) {
            // inotify on the job's directory once it exists (the file may
            // not yet); until then, a look every second.
            if (st->in < 0 && fs::is_directory(file.parent_path())) {
                st->in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
                if (st->in >= 0 &&
                    ::inotify_add_watch(st->in, file.parent_path().c_str(),
                                        IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
                    ::close(st->in);
                    st->in = -1;
                }
            }
            std::ifstream in(file, std::ios::binary);
            if (!in) {
                if (!st->said_missing) {
                    st->said_missing = true;
                    const std::string ev = sse("missing", Json{{"path", file.string()}}.dump());
                    if (!sink.write(ev.data(), ev.size())) return false;
                }
            } else {
                in.seekg(0, std::ios::end);
                const auto size = static_cast<std::uint64_t>(in.tellg());
                if (size < st->offset) st->offset = 0;  // rewritten
                if (size > st->offset) {
                    // At most 1 MiB an event: a large log arrives in pieces.
                    const std::uint64_t n = std::min<std::uint64_t>(size - st->offset, 1 << 20);
                    std::string text(n, '\0');
                    in.seekg(static_cast<std::streamoff>(st->offset));
                    in.read(text.data(), static_cast<std::streamsize>(n));
                    text.resize(static_cast<std::size_t>(in.gcount()));
                    st->offset += text.size();
                    const std::string ev = sse(
                        "data",
                        Json{{"text", text}}.dump(-1, ' ', false, Json::error_handler_t::replace));
                    ++stats.events;
                    st->wrote = std::chrono::steady_clock::now();
                    return sink.write(ev.data(), ev.size());
                }
            }
            // A second at most between looks: the server may be stopping.
            if (stats.stopping) return false;
            if (st->in >= 0) {
                pollfd p{st->in, POLLIN, 0};
                if (::poll(&p, 1, 1000) > 0) {
                    char buf[4096];
                    while (::read(st->in, buf, sizeof buf) > 0) {
                    }
                    return true;
                }
            } else {
                std::this_thread::sleep_for(1s);
            }
            // A comment line every 15 s: a page that went is found out.
            if (std::chrono::steady_clock::now() - st->wrote < 15s) return true;
            st->wrote = std::chrono::steady_clock::now();
            static const std::string keep = ": keep-alive\n\n";
            return sink.write(keep.data(), keep.size());
        },
        [&stats](bool) { --stats.streams_open; });
}

// "CYCLE/TASK": both parts plain names (no path tricks).
bool plain_id(const std::string& id, std::string& cycle, std::string& task) {
    const auto slash = id.find('/');
    if (slash == std::string::npos) return false;
    cycle = id.substr(0, slash);
    task = id.substr(slash + 1);
    auto plain = [](const std::string& s) {
        return !s.empty() && s != "." && s != ".." && std::all_of(s.begin(), s.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                   c == '+' || c == '.' || c == ':';
        });
    };
    return plain(cycle) && plain(task);
}

bool same_text(const std::string& a, const std::string& b) {
    // In constant time for a given length: the token is not guessed by timing.
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::string cookie_token(const httplib::Request& req) {
    const std::string c = req.get_header_value("Cookie");
    const std::string key = "tock_ui_token=";
    for (std::size_t at = c.find(key); at != std::string::npos; at = c.find(key, at + 1)) {
        if (at != 0 && c[at - 1] != ' ' && c[at - 1] != ';') continue;
        const auto end = c.find(';', at);
        return c.substr(at + key.size(),
                        end == std::string::npos ? std::string::npos : end - at - key.size());
    }
    return "";
}

std::string new_token() {
    std::random_device rd;
    std::string t;
    for (int i = 0; i < 24; ++i) t += fmt::format("{:02x}", rd() & 0xff);
    return t;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

void json_reply(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

// The run of the workflow the path names, or a 404 reply.
std::optional<std::string> known(Hub& hub, const httplib::Request& req, httplib::Response& res) {
    auto run = hub.run_of(req.matches[1]);
    if (!run)
        json_reply(res, 404, {{"error", "no workflow '" + std::string(req.matches[1]) + "'"}});
    return run;
}

const std::set<std::string> kOps = {"hold", "release", "trigger", "kill",
                                    "set",  "pause",   "resume",  "stop"};

}  // namespace

int ui(const UiOptions& o) {
    const UiAssets assets = ui_assets();
    if (assets.index.empty()) {
        fmt::print(stderr,
                   "tock ui: this tock was built without its web page (node and npm were "
                   "missing when it was built, or it was configured with -DTOCK_UI=OFF): "
                   "install them (apt-get install nodejs npm) and build again\n");
        return 1;
    }
#ifdef TOCK_WITH_MIMALLOC
    // Memory a server thread freed goes back to the system at once: with
    // mimalloc's default delay, each of the pool's threads that once sent a
    // 10,000-task snapshot kept its pages, some 7 MB a thread (bench/ui.sh).
    mi_option_set(mi_option_decommit_delay, 0);
    mi_option_set(mi_option_segment_decommit_delay, 0);
#endif
    const std::string token = !o.token.empty() ? o.token : new_token();
    Stats stats;
    Loop loop;
    Hub hub(loop, stats);
    httplib::Server http;
    // Each open event stream holds a thread: ten pages, each with its
    // workflow's stream and a log, need some thirty.
    http.new_task_queue = [] { return new httplib::ThreadPool(64); };

    http.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
        std::string given = req.get_param_value("token");
        if (given.empty()) {
            const std::string auth = req.get_header_value("Authorization");
            if (auth.rfind("token ", 0) == 0) given = auth.substr(6);
        }
        if (given.empty()) given = cookie_token(req);
        // No other site may frame the page (its buttons act on workflows),
        // and what it loads comes from this server only.
        res.set_header("X-Frame-Options", "DENY");
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Content-Security-Policy",
                       "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
                       "data:; frame-ancestors 'none'");
        if (!same_text(given, token)) {
            ++stats.refused;
            res.status = 403;
            res.set_content(
                "403: the token is missing or wrong; open the address `tock ui` printed\n",
                "text/plain");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    http.Get("/", [&](const httplib::Request& req, httplib::Response& res) {
        if (req.has_param("token"))
            res.set_header("Set-Cookie",
                           "tock_ui_token=" + token + "; Path=/; HttpOnly; SameSite=Strict");
        res.set_header("Cache-Control", "no-store");
        res.set_content(std::string(assets.index), "text/html; charset=utf-8");
    });
    http.Get("/app.js", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(assets.script), "text/javascript; charset=utf-8");
    });
    http.Get("/app.css", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(assets.style), "text/css; charset=utf-8");
    });
    http.Get("/api/workflows", [&](const httplib::Request&, httplib::Response& res) {
        json_reply(res, 200, hub.list());
    });
    http.Get("/api/stats", [&](const httplib::Request&, httplib::Response& res) {
        json_reply(res, 200,
                   {{"refused", stats.refused.load()},
                    {"events", stats.events.load()},
                    {"behind", stats.behind.load()},
                    {"snapshots", stats.snapshots.load()},
                    {"commands", stats.commands.load()},
                    {"streams_open", stats.streams_open.load()}});
    });
    http.Get("/api/events", [&](const httplib::Request&, httplib::Response& res) {
        stream(res, hub, hub.watch_list(), stats);
    });
    http.Get(R"(/api/workflows/([^/]+)/events)",
             [&](const httplib::Request& req, httplib::Response& res) {
                 if (!known(hub, req, res)) return;
                 if (auto feed = hub.watch(req.matches[1])) stream(res, hub, feed, stats);
             });
    http.Get(
        R"(/api/workflows/([^/]+)/task)", [&](const httplib::Request& req, httplib::Response& res) {
            const auto run = known(hub, req, res);
            if (!run) return;
            try {
                const Run r = find_run(*run);
                json_reply(
                    res, 200,
                    call(r, "show",
                         {{"ids", {req.get_param_value("id")}}, {"user", who() + " via tock ui"}}));
            } catch (const std::exception& e) {
                json_reply(res, 409, {{"error", e.what()}});
            }
        });
    http.Get(
        R"(/api/workflows/([^/]+)/log)", [&](const httplib::Request& req, httplib::Response& res) {
            const auto run = known(hub, req, res);
            if (!run) return;
            std::string cycle, task;
            static const std::map<std::string, std::string> files = {
                {"out", "job.out"}, {"err", "job.err"}, {"job", "job"}, {"status", "job.status"}};
            const std::string kind = req.has_param("file") ? req.get_param_value("file") : "out";
            if (!plain_id(req.get_param_value("id"), cycle, task) || !files.count(kind)) {
                json_reply(res, 400, {{"error", "give id=CYCLE/TASK and file=out|err|job|status"}});
                return;
            }
            const fs::path task_dir = fs::path(*run) / "log" / "job" / cycle / task;
            int num = 0;
            if (req.has_param("num")) {
                try {
                    num = std::stoi(req.get_param_value("num"));
                } catch (const std::exception&) {
                    num = -1;
                }
                if (num < 1 || num > 999999) {
                    json_reply(res, 400, {{"error", "num: a job number, 1 or more"}});
                    return;
                }
            } else {
                const auto nums = job_numbers(task_dir);
                num = nums.empty() ? 1 : nums.back();
            }
            tail(res, task_dir / fmt::format("{:02}", num) / files.at(kind), stats);
        });
    http.Get(R"(/api/workflows/([^/]+)/graph)", [&](const httplib::Request& req,
                                                    httplib::Response& res) {
        const auto run = known(hub, req, res);
        if (!run) return;
        std::string cmd = shell_quote(self_exe()) + " graph " + shell_quote(*run + "/flow.yaml") +
                          " --format dot";
        std::string why;
        if (const auto loaded = load_run(*run, why))
            for (const auto& [k, v] : loaded->overrides.vars)
                cmd += " --set " + shell_quote(k + "=" + v);
        if (const auto pts = hub.active_points(req.matches[1]))
            cmd += " --from " + shell_quote(pts->first) + " --to " + shell_quote(pts->second);
        cmd += " 2>&1 | dot -Tsvg 2>&1";
        std::string out;
        if (FILE* p = ::popen(cmd.c_str(), "r")) {
            char buf[65536];
            std::size_t n;
            while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
            if (::pclose(p) != 0 || out.find("<svg") == std::string::npos) {
                json_reply(res, 500, {{"error", "the graph could not be drawn: " + out}});
                return;
            }
        }
        res.set_content(out, "image/svg+xml");
    });
    http.Post(R"(/api/workflows/([^/]+)/command)",
              [&](const httplib::Request& req, httplib::Response& res) {
                  const auto run = known(hub, req, res);
                  if (!run) return;
                  const Json body = Json::parse(req.body, nullptr, false);
                  if (!body.is_object() || !body.contains("op") || !body["op"].is_string() ||
                      !kOps.count(body["op"].get<std::string>())) {
                      json_reply(res, 400,
                                 {{"error",
                                   "give {\"op\": OP, \"args\": {...}}, OP one of hold, "
                                   "release, trigger, kill, set, pause, resume, stop"}});
                      return;
                  }
                  Json args = body.value("args", Json::object());
                  if (!args.is_object()) {
                      json_reply(res, 400, {{"error", "the arguments must be an object"}});
                      return;
                  }
                  args["user"] = who() + " via tock ui";
                  ++stats.commands;
                  try {
                      const Run r = find_run(*run);
                      json_reply(res, 200, {{"ok", call(r, body["op"].get<std::string>(), args)}});
                  } catch (const std::exception& e) {
                      json_reply(res, 409, {{"error", e.what()}});
                  }
              });

    int port = o.port;
    if (port == 0) {
        port = http.bind_to_any_port(o.host);
    } else if (!http.bind_to_port(o.host, port)) {
        port = -1;
    }
    if (port <= 0) {
        fmt::print(stderr, "tock ui: cannot listen on {}:{} (in use, or not an address here)\n",
                   o.host, o.port);
        return 1;
    }
    std::thread server([&http] { http.listen_after_bind(); });
    const std::string shown = o.host == "0.0.0.0" || o.host == "::" ? this_host() : o.host;
    fmt::print("tock ui: open http://{}:{}/?token={}\n", shown, port, token);
    std::fflush(stdout);

    Event quit(loop);
    auto on_signal = [](Loop& l, Event& q, int signum) -> Task<void> {
        co_await SignalWait(l, signum);
        q.set();
    };
    Scope signals(loop);
    signals.spawn(on_signal(loop, quit, SIGINT));
    signals.spawn(on_signal(loop, quit, SIGTERM));
    run_until(loop, hub.run(quit));
    stats.stopping = true;
    http.stop();
    server.join();
    fmt::print("tock ui: stopped\n");
    return 0;
}

}  // namespace tock::cmd
