#include "triggers/workflow_state.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <variant>
#include <vector>

#include "config/cycling.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/scope.hpp"
#include "triggers/file_watch.hpp"

namespace tock::triggers {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}

// N for a directory named runN, else 0.
int run_number(const std::string& name) {
    if (name.size() <= 3 || name.size() >= 12 || name.compare(0, 3, "run") != 0) return 0;
    if (!std::all_of(name.begin() + 3, name.end(), [](char c) { return std::isdigit(c); }))
        return 0;
    return std::stoi(name.substr(3));
}

// One inotify watch on a directory: sets `changed` on an event for one of
// the files in `names` (any file if empty) or for the directory itself.
class DirWatch {
  public:
    DirWatch(Event& changed, std::set<std::string> names)
        : changed_(changed), names_(std::move(names)) {}
    ~DirWatch() { stop(); }
    DirWatch(const DirWatch&) = delete;
    DirWatch& operator=(const DirWatch&) = delete;

    // 0, or libuv's error.
    int start(Loop& loop, const std::string& dir) {
        handle_ = new uv_fs_event_t;
        if (const int rc = uv_fs_event_init(loop.uv(), handle_); rc != 0) {
            delete handle_;
            handle_ = nullptr;
            return rc;
        }
        handle_->data = this;
        self_ = fs::path(dir).filename().string();
        const int rc = uv_fs_event_start(handle_, &DirWatch::on_event, dir.c_str(), 0);
        if (rc != 0) stop();
        return rc;
    }

  private:
    static void on_event(uv_fs_event_t* h, const char* name, int, int) {
        auto* self = static_cast<DirWatch*>(h->data);
        if (!self) return;
        if (self->names_.empty() || !name || self->names_.count(name) || name == self->self_)
            self->changed_.set();
    }

    void stop() {
        if (!handle_) return;
        uv_fs_event_stop(handle_);
        handle_->data = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(handle_),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_fs_event_t*>(h); });
        handle_ = nullptr;
    }

    Event& changed_;
    std::set<std::string> names_;
    std::string self_;
    uv_fs_event_t* handle_ = nullptr;
};

struct WatchSpec {
    std::string dir;
    std::set<std::string> names;  // empty: any file
    bool operator==(const WatchSpec&) const = default;
};

// The watches of one wait: set() makes them exactly the ones asked for.
class Watches {
  public:
    Watches(Loop& loop, Event& changed) : loop_(loop), changed_(changed) {}

    void set(const std::vector<WatchSpec>& specs) {
        for (auto it = on_.begin(); it != on_.end();) {
            const bool keep = std::any_of(specs.begin(), specs.end(), [&](const WatchSpec& s) {
                return s.dir == it->first && s.names == it->second.first;
            });
            it = keep ? std::next(it) : on_.erase(it);
        }
        for (const auto& s : specs) {
            if (on_.count(s.dir)) continue;
            auto w = std::make_unique<DirWatch>(changed_, s.names);
            const int rc = w->start(loop_, s.dir);
            if (rc == UV_ENOENT || rc == UV_ENOTDIR) {
                changed_.set();  // gone already: look again
                continue;
            }
            if (rc != 0)
                throw TriggerError(
                    fmt::format("workflow_state cannot watch {}: {}", s.dir, uv_strerror(rc)));
            on_.emplace(s.dir, std::pair{s.names, std::move(w)});
        }
    }

  private:
    Loop& loop_;
    Event& changed_;
    std::map<std::string, std::pair<std::set<std::string>, std::unique_ptr<DirWatch>>> on_;
};

// Where the run is (its directory, "" while it has no database) and what to
// watch to hear of a change in it, or of it.
struct Place {
    std::string run;
    std::vector<WatchSpec> watch;
    bool operator==(const Place&) const = default;
};

Place locate(const config::WorkflowStateQuery& q, const std::string& runs) {
    static const std::set<std::string> kDbFiles = {"db", "db-wal"};
    Place p;
    if (!q.run_dir.empty()) {
        if (exists(q.run_dir + "/db")) {
            p.run = q.run_dir;
            p.watch.push_back({q.run_dir, kDbFiles});
        } else if (is_dir(q.run_dir)) {
            p.watch.push_back({q.run_dir, {"db"}});
        } else {
            p.watch.push_back({nearest_existing_dir(q.run_dir), {}});
        }
        return p;
    }
    if (!is_dir(runs)) {
        p.watch.push_back({nearest_existing_dir(runs), {}});
        return p;
    }
    p.watch.push_back({runs, {}});
    int latest = 0, highest = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(runs, ec)) {
        const std::string name = e.path().filename().string();
        const int n = run_number(name);
        if (n == 0) continue;
        highest = std::max(highest, n);
        if (n > latest && exists(e.path().string() + "/db")) latest = n;
    }
    if (latest > 0) {
        p.run = fmt::format("{}/run{}", runs, latest);
        p.watch.push_back({p.run, kDbFiles});
    }
    // A newer run on its way: its database makes it the latest.
    if (highest > latest) p.watch.push_back({fmt::format("{}/run{}", runs, highest), {"db"}});
    return p;
}

// The integer values a cycle point's text may stand for in a run database:
// an integer point, or a date-time point in the gregorian calendar.
std::vector<std::int64_t> point_values(const std::string& text) {
    std::vector<std::int64_t> out;
    const std::string_view digits = !text.empty() && (text[0] == '-' || text[0] == '+')
                                        ? std::string_view(text).substr(1)
                                        : std::string_view(text);
    if (!digits.empty() && digits.size() < 19 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(c); }))
        out.push_back(std::stoll(text));
    try {
        static const config::Cycling dt(config::CyclingSettings{
            config::CyclingMode::datetime, config::Calendar::gregorian, 0, {}});
        const std::int64_t v = dt.parse_point(text).value;
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    } catch (const std::exception&) {
        // Not a date-time.
    }
    return out;
}

std::string column_text(sqlite3_stmt* s, int i) {
    const auto* t = sqlite3_column_text(s, i);
    return t ? reinterpret_cast<const char*>(t) : "";
}

// A run database, read only. Each look is its own read transaction, ended
// before it returns, so the scheduler's checkpoints never wait for it.
class StateDb {
  public:
    explicit StateDb(std::string path) : path_(std::move(path)) {
        if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK) {
            const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw TriggerError(
                fmt::format("workflow_state cannot read the run database {}: {}", path_, why));
        }
    }
    ~StateDb() { sqlite3_close(db_); }
    StateDb(const StateDb&) = delete;
    StateDb& operator=(const StateDb&) = delete;

    const std::string& path() const { return path_; }

    enum class Outcome { not_yet, met, busy };
    struct Look {
        Outcome outcome = Outcome::not_yet;
        std::string cycle;  // the point as the run writes it, once met
    };

    // Has task `task` at point `point` (which may stand for `values`)
    // completed `output`?
    Look look(const std::string& task, const std::string& point,
              const std::vector<std::int64_t>& values, const std::string& output) {
        if (!trusted_) {
            // Whether this run's point values are what point_values() makes
            // of its cycle texts (integer or gregorian cycling, points
            // written with their zone); if not, points are matched as written.
            const Read r =
                query("SELECT point, cycle FROM task_states LIMIT 1", {}, [&](sqlite3_stmt* s) {
                    const auto v = point_values(column_text(s, 1));
                    trusted_ = std::find(v.begin(), v.end(), sqlite3_column_int64(s, 0)) != v.end();
                });
            if (r == Read::busy) return {Outcome::busy, ""};
            if (!trusted_) return {};  // no tables, or no task, yet
        }
        std::string sql = "SELECT point, cycle, outputs FROM task_states WHERE name = ?1 AND ";
        std::vector<Value> binds = {task};
        if (pinned_) {
            sql += "point = ?2";
            binds.emplace_back(*pinned_);
        } else if (*trusted_ && !values.empty()) {
            sql += values.size() == 1 ? "point = ?2" : "point IN (?2, ?3)";
            binds.insert(binds.end(), values.begin(), values.end());
        } else {
            sql += "cycle = ?2";
            binds.emplace_back(point);
        }
        Look out;
        const Read r = query(sql.c_str(), binds, [&](sqlite3_stmt* s) {
            pinned_ = sqlite3_column_int64(s, 0);
            out.cycle = column_text(s, 1);
            const auto done = nlohmann::json::parse(column_text(s, 2), nullptr, false);
            if (done.is_array() && std::find(done.begin(), done.end(), output) != done.end())
                out.outcome = Outcome::met;
        });
        if (r == Read::busy) return {Outcome::busy, ""};
        return out;
    }

    // The workflow's name, as the run records it ("" if it does not).
    std::string name() {
        std::string n;
        query("SELECT value FROM workflow_params WHERE key = 'name'", {},
              [&](sqlite3_stmt* s) { n = column_text(s, 0); });
        return n;
    }

  private:
    using Value = std::variant<std::string, std::int64_t>;
    enum class Read { done, no_tables, busy };

    // Runs `sql` with its parameters bound to `binds` in order, calling
    // `row` for each row. busy: try again shortly.
    template <typename Row>
    Read query(const char* sql, const std::vector<Value>& binds, Row&& row) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
            const int code = sqlite3_errcode(db_) & 0xff;
            const std::string why = sqlite3_errmsg(db_);
            sqlite3_finalize(s);
            if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return Read::busy;
            // The scheduler makes its database, then its tables.
            if (why.rfind("no such table", 0) == 0) return Read::no_tables;
            throw TriggerError(fmt::format(
                "workflow_state cannot read {}: {} (not a run database of this version of tock)",
                path_, why));
        }
        int i = 1;
        for (const Value& v : binds) {
            if (const auto* t = std::get_if<std::string>(&v)) {
                sqlite3_bind_text(s, i++, t->c_str(), -1, SQLITE_TRANSIENT);
            } else {
                sqlite3_bind_int64(s, i++, std::get<std::int64_t>(v));
            }
        }
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) row(s);
        sqlite3_finalize(s);
        if (rc == SQLITE_DONE) return Read::done;
        if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) return Read::busy;
        throw TriggerError(
            fmt::format("workflow_state cannot read {}: {}", path_, sqlite3_errstr(rc)));
    }

    std::string path_;
    sqlite3* db_ = nullptr;
    std::optional<bool> trusted_;
    std::optional<std::int64_t> pinned_;  // the task's point value, once its row is found
};

}  // namespace

std::string runs_of(const std::string& workflow) {
    const char* home = std::getenv("HOME");
    return (fs::path(home ? home : ".") / "tock-run" / workflow).string();
}

std::optional<std::string> latest_run_in(const std::string& runs) {
    config::WorkflowStateQuery q;
    const Place p = locate(q, runs);
    if (p.run.empty()) return std::nullopt;
    return p.run;
}

Task<Results> wait_workflow_state(Loop& loop, config::WorkflowStateQuery q) {
    if (!q.run_dir.empty()) q.run_dir = fs::absolute(q.run_dir).lexically_normal().string();
    const std::string runs = q.run_dir.empty() ? runs_of(q.workflow) : "";
    const std::vector<std::int64_t> values = point_values(q.point);
    Event changed(loop);
    Watches watches(loop, changed);
    std::unique_ptr<StateDb> db;
    for (;;) {
        changed.reset();
        // The watches are up before the database is read: whatever changes
        // after the read is an event.
        Place place = locate(q, runs);
        for (;;) {
            watches.set(place.watch);
            Place again = locate(q, runs);
            if (again == place) break;
            place = std::move(again);
        }
        if (place.run.empty()) {
            db.reset();
        } else if (!db || db->path() != place.run + "/db") {
            db = std::make_unique<StateDb>(place.run + "/db");
        }
        if (db) {
            const auto look = db->look(q.task, q.point, values, q.output);
            if (look.outcome == StateDb::Outcome::met) {
                Results r = {{"workflow", q.workflow.empty() ? db->name() : q.workflow},
                             {"task", q.task},
                             {"point", look.cycle}};
                if (!q.status.empty()) {
                    r.emplace_back("status", q.status);
                } else {
                    r.emplace_back("output", q.output);
                }
                co_return r;
            }
            if (look.outcome == StateDb::Outcome::busy) {
                // Another process holds the database (recovering its WAL):
                // a short wait, the one timer here.
                co_await loop.clock().sleep_for(100ms);
                continue;
            }
        }
        co_await changed.wait();
    }
}

}  // namespace tock::triggers
