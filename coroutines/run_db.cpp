#include "coroutines/run_db.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <map>

#include "coroutines/wire.hpp"

namespace tock::store {

namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS workflow_params (
    key   TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE IF NOT EXISTS task_states (
    point               INTEGER NOT NULL,
    name                TEXT NOT NULL,
    cycle               TEXT NOT NULL,
    state               TEXT NOT NULL,
    submit_num          INTEGER NOT NULL,
    retries_used        INTEGER NOT NULL,
    submit_retries_used INTEGER NOT NULL,
    retry_at            INTEGER,
    held                INTEGER NOT NULL,
    in_pool             INTEGER NOT NULL,
    outputs             TEXT NOT NULL,
    updated             TEXT NOT NULL,
    PRIMARY KEY (point, name)
) WITHOUT ROWID;
-- Append-only, as Cylc's: each event goes at the end of one B-tree, and
-- `tock history` reads one task's by scanning it (no second index to keep).
CREATE TABLE IF NOT EXISTS task_events (
    id         INTEGER PRIMARY KEY,
    point      INTEGER NOT NULL,
    name       TEXT NOT NULL,
    cycle      TEXT NOT NULL,
    submit_num INTEGER NOT NULL,
    event      TEXT NOT NULL,
    state      TEXT NOT NULL,
    detail     TEXT NOT NULL,
    time       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    point        INTEGER NOT NULL,
    name         TEXT NOT NULL,
    submit_num   INTEGER NOT NULL,
    cycle        TEXT NOT NULL,
    runner       TEXT NOT NULL,
    state        TEXT NOT NULL,
    job_id       TEXT,
    submitted_at TEXT,
    started_at   TEXT,
    exited_at    TEXT,
    exit_code    INTEGER,
    signal       INTEGER,
    PRIMARY KEY (point, name, submit_num)
) WITHOUT ROWID;
-- Every operator command: who asked, when, what, and what came of it.
CREATE TABLE IF NOT EXISTS commands (
    id     INTEGER PRIMARY KEY,
    time   TEXT NOT NULL,
    who    TEXT NOT NULL,
    op     TEXT NOT NULL,
    args   TEXT NOT NULL,
    ok     INTEGER NOT NULL,
    result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS xtriggers (
    label TEXT NOT NULL,
    point INTEGER NOT NULL,
    cycle TEXT NOT NULL,
    time  TEXT NOT NULL,
    results TEXT,
    PRIMARY KEY (label, point)
) WITHOUT ROWID;
)";

std::string iso(std::int64_t micros) {
    // The text of the last second formatted is kept: the times of a batch,
    // and of the batches after it, fall in the same few seconds.
    thread_local std::time_t last = -1;
    thread_local char date[24];
    const std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
    if (secs != last) {
        std::tm tm{};
        ::gmtime_r(&secs, &tm);
        std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
        last = secs;
    }
    const int ms = static_cast<int>((micros % 1'000'000) / 1000);
    std::string out(date);
    out += '.';
    out += static_cast<char>('0' + ms / 100);
    out += static_cast<char>('0' + ms / 10 % 10);
    out += static_cast<char>('0' + ms % 10);
    out += 'Z';
    return out;
}

// What a task event means for its job's row ("" for nothing).
const char* job_state(std::string_view event) {
    if (event == "triggered") return "preparing";
    if (event == "submitted") return "submitted";
    if (event == "started") return "running";
    if (event == "succeeded") return "succeeded";
    if (event == "failed" || event == "retry") return "failed";
    if (event == "submit-failed" || event == "submit-retry") return "submit-failed";
    return "";
}

std::string detail(const comp::BusEvent& e) {
    if (e.message) return std::string(*e.message);
    if (e.output) return std::string(*e.output);
    if (e.error) return std::string(*e.error);
    if (e.triggered_by) {
        std::string s;
        for (const auto& t : *e.triggered_by) {
            if (!s.empty()) s += ' ';
            s += t;
        }
        return s;
    }
    if (e.signal.value_or(0)) return fmt::format("signal {}", *e.signal);
    if (e.exit) return fmt::format("exit {}", *e.exit);
    if (e.pid) return fmt::format("pid {}", *e.pid);
    return "";
}

// Binds a statement's parameters, every one of them at each use. Text is
// bound in place (SQLITE_STATIC), not copied: each use steps the statement
// while the strings it was given are alive, and binds every parameter anew
// before stepping it again, so SQLite never reads one after it is gone.
class Binder {
  public:
    explicit Binder(sqlite3_stmt* s) : s_(s) { sqlite3_reset(s_); }
    Binder& text(int i, std::string_view v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        return *this;
    }
    Binder& integer(int i, std::int64_t v) {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    Binder& null(int i) {
        sqlite3_bind_null(s_, i);
        return *this;
    }
    int step() { return sqlite3_step(s_); }

  private:
    sqlite3_stmt* s_;
};

}  // namespace

RunDb::RunDb(const std::string& path) : path_(path) {
    // No statistics of SQLite's memory use: with them, every allocation of
    // SQLite's takes a process-wide mutex. Set once, before SQLite starts
    // (after that, sqlite3_config refuses, and changes nothing).
    static const bool configured = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    (void)configured;
    // One connection, used by one thread: no SQLite mutexes needed.
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw DbError(fmt::format("run database {}: {}", path, why));
    }
    // A writer elsewhere (another scheduler, a long sqlite3 session) gets a
    // few seconds to finish before this one gives up with "database is locked".
    sqlite3_busy_timeout(db_, 5000);
    try {
        exec("PRAGMA journal_mode=WAL");
        // WAL with synchronous=NORMAL: a commit survives the scheduler's death
        // at any instant (SIGKILL included); only an OS crash or power loss
        // can take the last commits back (docs/database.md).
        exec("PRAGMA synchronous=NORMAL");
        exec("PRAGMA foreign_keys=OFF");
        exec(kSchema);
        // A run database from before xtriggers kept their results.
        bool has_results = false;
        query("SELECT name FROM pragma_table_info('xtriggers')", nullptr, [&](sqlite3_stmt* s) {
            const auto* name = sqlite3_column_text(s, 0);
            has_results =
                has_results ||
                (name && std::string_view(reinterpret_cast<const char*>(name)) == "results");
        });
        if (!has_results) exec("ALTER TABLE xtriggers ADD COLUMN results TEXT");
        upsert_task_ = prepare(
            "INSERT INTO task_states (point, name, cycle, state, submit_num, retries_used, "
            "submit_retries_used, retry_at, held, in_pool, outputs, updated) VALUES "
            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (point, name) DO "
            "UPDATE SET state = excluded.state, submit_num = excluded.submit_num, retries_used = "
            "excluded.retries_used, submit_retries_used = excluded.submit_retries_used, "
            "retry_at = excluded.retry_at, held = excluded.held, in_pool = excluded.in_pool, "
            "outputs = excluded.outputs, updated = excluded.updated");
        insert_event_ = prepare(
            "INSERT INTO task_events (point, name, cycle, submit_num, event, state, detail, time) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        upsert_job_ = prepare(
            "INSERT INTO jobs (point, name, submit_num, cycle, runner, state, job_id, "
            "submitted_at, started_at, exited_at, exit_code, signal) VALUES "
            "(?1, ?2, ?3, ?4, COALESCE(?5, 'background'), ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
            "ON CONFLICT (point, name, submit_num) DO UPDATE SET state = excluded.state, "
            "runner = COALESCE(?5, runner), "
            "job_id = COALESCE(excluded.job_id, job_id), "
            "submitted_at = COALESCE(excluded.submitted_at, submitted_at), "
            "started_at = COALESCE(excluded.started_at, started_at), "
            "exited_at = COALESCE(excluded.exited_at, exited_at), "
            "exit_code = COALESCE(excluded.exit_code, exit_code), "
            "signal = COALESCE(excluded.signal, signal)");
        update_task_ = prepare(
            "UPDATE task_states SET cycle = ?3, state = ?4, submit_num = ?5, retries_used = ?6, "
            "submit_retries_used = ?7, retry_at = ?8, held = ?9, in_pool = ?10, outputs = ?11, "
            "updated = ?12 WHERE point = ?1 AND name = ?2");
        update_job_ = prepare(
            "UPDATE jobs SET cycle = ?4, runner = COALESCE(?5, runner), state = ?6, "
            "job_id = COALESCE(?7, job_id), submitted_at = COALESCE(?8, submitted_at), "
            "started_at = COALESCE(?9, started_at), exited_at = COALESCE(?10, exited_at), "
            "exit_code = COALESCE(?11, exit_code), signal = COALESCE(?12, signal) "
            "WHERE point = ?1 AND name = ?2 AND submit_num = ?3");
        insert_xtrigger_ = prepare(
            "INSERT OR IGNORE INTO xtriggers (label, point, cycle, time, results) VALUES (?1, ?2, "
            "?3, "
            "?4, ?5)");
        begin_ = prepare("BEGIN IMMEDIATE");
        commit_ = prepare("COMMIT");
        set_param_ = prepare(
            "INSERT INTO workflow_params (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO "
            "UPDATE SET value = excluded.value");
        insert_command_ = prepare(
            "INSERT INTO commands (time, who, op, args, ok, result) VALUES (?1, ?2, ?3, ?4, ?5, "
            "?6)");
    } catch (...) {
        close();
        throw;
    }
}

RunDb::~RunDb() {
    close();
}

void RunDb::close() noexcept {
    for (auto* s : {upsert_task_, update_task_, insert_event_, upsert_job_, update_job_,
                    insert_xtrigger_, set_param_, begin_, commit_, insert_command_}) {
        sqlite3_finalize(s);
    }
    upsert_task_ = update_task_ = insert_event_ = upsert_job_ = update_job_ = insert_xtrigger_ =
        set_param_ = begin_ = commit_ = insert_command_ = nullptr;
    if (db_) sqlite3_close(db_);
    db_ = nullptr;
}

namespace {

// What to do about the two failures an operator can fix.
std::string advice(sqlite3* db) {
    switch (sqlite3_errcode(db) & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return " (another process holds the database; once it lets go, `tock play` restarts "
                   "the run from its last commit)";
        case SQLITE_FULL:
            return " (the disk is full; once there is room, `tock play` restarts the run from its "
                   "last commit)";
        default:
            return "";
    }
}

}  // namespace

void RunDb::fail(const std::string& what) {
    throw DbError(
        fmt::format("run database {}: {}: {}{}", path_, what, sqlite3_errmsg(db_), advice(db_)));
}

void RunDb::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string why = err ? err : sqlite3_errmsg(db_);
        sqlite3_free(err);
        throw DbError(fmt::format("run database {}: {}{}", path_, why, advice(db_)));
    }
}

sqlite3_stmt* RunDb::prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
        fail("preparing a statement");
    }
    return s;
}

void RunDb::begin() {
    sqlite3_reset(begin_);
    if (sqlite3_step(begin_) != SQLITE_DONE) fail("starting a transaction");
}

void RunDb::commit() {
    flush();
    sqlite3_reset(commit_);
    if (sqlite3_step(commit_) != SQLITE_DONE) fail("committing");
}

void RunDb::rollback() noexcept {
    tasks_.clear();
    jobs_.clear();
    if (db_ && !sqlite3_get_autocommit(db_))
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void RunDb::set_param(const std::string& key, const std::string& value) {
    if (Binder(set_param_).text(1, key).text(2, value).step() != SQLITE_DONE)
        fail("writing " + key);
}

void RunDb::query(const char* sql, const std::function<void(sqlite3_stmt*)>& bind,
                  const std::function<void(sqlite3_stmt*)>& row) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) fail("reading");
    if (bind) bind(s);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) row(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) fail("reading");
}

namespace {

std::string text(sqlite3_stmt* s, int i) {
    const auto* t = sqlite3_column_text(s, i);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
}

}  // namespace

std::optional<std::string> RunDb::param(const std::string& key) {
    std::optional<std::string> out;
    query(
        "SELECT value FROM workflow_params WHERE key = ?1",
        [&](sqlite3_stmt* s) { sqlite3_bind_text(s, 1, key.c_str(), -1, SQLITE_TRANSIENT); },
        [&](sqlite3_stmt* s) {
            if (sqlite3_column_type(s, 0) != SQLITE_NULL) out = text(s, 0);
        });
    return out;
}

const std::string& RunDb::stamp(std::int64_t now) {
    if (now != stamp_at_) {
        stamp_at_ = now;
        stamp_ = iso(now);
    }
    return stamp_;
}

void RunDb::apply(const comp::BusEvent& e, std::int64_t now) {
    const std::string& time = stamp(now);
    if (e.topic == "workflow") {
        if (e.event == "xtrigger") {
            Binder b(insert_xtrigger_);
            b.text(1, e.label).integer(2, e.point).text(3, e.cycle).text(4, time);
            if (e.results) {
                b.text(5, *e.results);
            } else {
                b.null(5);
            }
            if (b.step() != SQLITE_DONE) fail("recording an xtrigger");
        } else if (e.event == "startup") {
            if (!e.restart) set_param("started", time);
        } else if (e.event == "settings" && e.settings) {
            set_param("settings", *e.settings);
        } else if (e.event == "shutdown") {
            set_param("status", std::string(e.kind));
            set_param("stopped", time);
        }
        return;
    }
    if (e.topic.substr(0, 5) != "task.") return;
    if (Binder(insert_event_)
            .integer(1, e.point)
            .text(2, e.task)
            .text(3, e.cycle)
            .integer(4, e.num)
            .text(5, e.event)
            .text(6, e.state)
            .text(7, detail(e))
            .text(8, time)
            .step() != SQLITE_DONE)
        fail("recording an event");
    const std::pair<std::int64_t, std::string> key{e.point, std::string(e.task)};
    if (e.has_row) {
        // The row is the task's whole state: the last one of a batch is the
        // one written.
        const auto [it, first] = tasks_.try_emplace(key);
        PendingTask& t = it->second;
        // A task's first trigger makes its row: the batch inserts it rather
        // than looking for it first.
        if (first) t.fresh = e.event == "triggered" && e.num == 1;
        t.cycle = e.cycle;
        t.state = e.state;
        t.num = e.num;
        t.retries = e.retries;
        t.submit_retries = e.submit_retries;
        t.retry_at = e.retry_at;
        t.held = e.held;
        t.in_pool = e.in_pool;
        // The outputs as a JSON list of names.
        t.outputs = "[";
        for (const auto& o : e.outputs) {
            if (t.outputs.size() > 1) t.outputs += ',';
            comp::append_quoted(t.outputs, o);
        }
        t.outputs += ']';
        t.time = time;
    }
    const std::string_view js = job_state(e.event);
    if (js.empty() || e.num == 0) return;
    // A job's columns fill in over its events: each event sets the ones it
    // knows, and the batch writes the job once.
    const auto [it, first] = jobs_.try_emplace({key, e.num});
    PendingJob& j = it->second;
    if (first) j.fresh = e.event == "triggered";  // a new submit number: a new job
    j.cycle = e.cycle;
    j.state = js;
    if (e.runner) j.runner = std::string(*e.runner);
    if (e.pid) j.job_id = std::to_string(*e.pid);
    if (e.job_id) j.job_id = std::string(*e.job_id);
    const std::string when = e.at ? iso(*e.at) : time;
    if (e.event == "submitted") j.submitted_at = when;
    if (e.event == "started") j.started_at = time;
    if (js == "succeeded" || js == "failed") {
        j.exited_at = when;
        // (none for a job that said it succeeded: its exit is not waited for)
        if (e.exit) {
            j.exit_code = *e.exit;
            j.signal = e.signal.value_or(0);
        }
    }
}

void RunDb::flush() {
    // A row the batch made (`fresh`) goes in with the upsert, which is then a
    // plain INSERT. Any other most likely exists: an UPDATE finds and
    // rewrites it in one search, where the upsert's failed INSERT searches
    // first; the upsert runs only when the UPDATE changed nothing.
    auto write = [&](bool fresh, sqlite3_stmt* update, sqlite3_stmt* upsert, auto&& bind,
                     const char* what) {
        if (!fresh) {
            bind(Binder(update));
            if (sqlite3_step(update) != SQLITE_DONE) fail(what);
            if (sqlite3_changes(db_) > 0) return;
        }
        bind(Binder(upsert));
        if (sqlite3_step(upsert) != SQLITE_DONE) fail(what);
    };
    for (const auto& [key, t] : tasks_) {
        write(
            t.fresh, update_task_, upsert_task_,
            [&](Binder r) {
                r.integer(1, key.first)
                    .text(2, key.second)
                    .text(3, t.cycle)
                    .text(4, t.state)
                    .integer(5, t.num)
                    .integer(6, t.retries)
                    .integer(7, t.submit_retries);
                if (t.retry_at) {
                    r.integer(8, *t.retry_at);
                } else {
                    r.null(8);
                }
                r.integer(9, t.held ? 1 : 0)
                    .integer(10, t.in_pool ? 1 : 0)
                    .text(11, t.outputs)
                    .text(12, t.time);
            },
            "recording a task state");
    }
    tasks_.clear();
    for (const auto& [key, j] : jobs_) {
        write(
            j.fresh, update_job_, upsert_job_,
            [&](Binder r) {
                r.integer(1, key.first.first)
                    .text(2, key.first.second)
                    .integer(3, key.second)
                    .text(4, j.cycle);
                auto opt = [&](int i, const std::optional<std::string>& v) {
                    if (v) {
                        r.text(i, *v);
                    } else {
                        r.null(i);
                    }
                };
                opt(5, j.runner);
                r.text(6, j.state);
                opt(7, j.job_id);
                opt(8, j.submitted_at);
                opt(9, j.started_at);
                opt(10, j.exited_at);
                if (j.exit_code) {
                    r.integer(11, *j.exit_code).integer(12, *j.signal);
                } else {
                    r.null(11).null(12);
                }
            },
            "recording a job");
    }
    jobs_.clear();
}

Snapshot RunDb::snapshot() {
    Snapshot snap;
    query(
        "SELECT point, name, cycle, state, submit_num, retries_used, submit_retries_used, "
        "retry_at, held, in_pool, outputs FROM task_states ORDER BY point, name",
        nullptr, [&](sqlite3_stmt* s) {
            TaskRow r;
            r.point = sqlite3_column_int64(s, 0);
            r.name = text(s, 1);
            r.cycle = text(s, 2);
            r.state = text(s, 3);
            r.submit_num = sqlite3_column_int(s, 4);
            r.retries_used = sqlite3_column_int(s, 5);
            r.submit_retries_used = sqlite3_column_int(s, 6);
            if (sqlite3_column_type(s, 7) != SQLITE_NULL) r.retry_at = sqlite3_column_int64(s, 7);
            r.held = sqlite3_column_int(s, 8) != 0;
            r.in_pool = sqlite3_column_int(s, 9) != 0;
            const Json outputs = Json::parse(text(s, 10), nullptr, false);
            if (outputs.is_array()) {
                for (const auto& o : outputs) {
                    if (o.is_string()) r.outputs.push_back(o.get<std::string>());
                }
            }
            snap.tasks.push_back(std::move(r));
        });
    query(
        "SELECT j.point, j.name, j.cycle, j.submit_num, j.state, j.job_id, j.runner, "
        "CAST(round((julianday(j.started_at) - 2440587.5) * 86400000) AS INTEGER) * 1000 "
        "FROM jobs j "
        "JOIN task_states t ON t.point = j.point AND t.name = j.name AND t.submit_num = "
        "j.submit_num WHERE t.state IN ('preparing', 'submitted', 'running') AND j.state IN "
        "('preparing', 'submitted', 'running')",
        nullptr, [&](sqlite3_stmt* s) {
            JobRow j;
            j.point = sqlite3_column_int64(s, 0);
            j.name = text(s, 1);
            j.cycle = text(s, 2);
            j.submit_num = sqlite3_column_int(s, 3);
            j.state = text(s, 4);
            j.runner = text(s, 6);
            if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
                j.job_id = text(s, 5);
                // A background job's id is its pid; a batch system's is its own.
                if (j.runner != "slurm" && j.runner != "at") {
                    try {
                        j.pid = std::stoi(j.job_id);
                    } catch (const std::exception&) {
                    }
                }
            }
            if (sqlite3_column_type(s, 7) != SQLITE_NULL) j.started_at = sqlite3_column_int64(s, 7);
            snap.active_jobs.push_back(std::move(j));
        });
    query("SELECT label, point, results FROM xtriggers", nullptr, [&](sqlite3_stmt* s) {
        snap.xtriggers.push_back({text(s, 0), sqlite3_column_int64(s, 1), text(s, 2)});
    });
    snap.settings = param("settings");
    return snap;
}

void RunDb::record_command(const Json& done, std::int64_t now) {
    // Whatever a client sent is recorded as it was: arguments of any shape.
    auto text_of = [&](const char* key) {
        auto it = done.find(key);
        return it != done.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const Json args = done.contains("args") ? done["args"] : Json::object();
    const bool ok = done.contains("ok") && done["ok"].is_boolean() && done["ok"].get<bool>();
    const std::string op = text_of("op");
    // What a read-only command answered is not kept: it changed nothing,
    // and a client that polls `dump` would grow the database by the pool's
    // size each time.
    const bool read_only = op == "show" || op == "dump" ||
                           (op == "broadcast" && args.is_object() && args.contains("display") &&
                            args["display"] == true);
    const std::string result =
        !ok         ? text_of("error")
        : read_only ? std::string("(read-only)")
        : done.contains("result")
            ? done["result"].dump(-1, ' ', false, Json::error_handler_t::replace)
            : std::string("null");
    const std::string who = text_of("who");
    const std::string args_text = args.dump(-1, ' ', false, Json::error_handler_t::replace);
    const std::string& time = stamp(now);
    if (Binder(insert_command_)
            .text(1, time)
            .text(2, who)
            .text(3, op)
            .text(4, args_text)
            .integer(5, ok ? 1 : 0)
            .text(6, result)
            .step() != SQLITE_DONE)
        fail("recording a command");
}

std::vector<RunDb::CommandRow> RunDb::commands() {
    std::vector<CommandRow> out;
    query("SELECT time, who, op, args, ok, result FROM commands ORDER BY id", nullptr,
          [&](sqlite3_stmt* s) {
              out.push_back({text(s, 0), text(s, 1), text(s, 2), text(s, 3), text(s, 5),
                             sqlite3_column_int(s, 4) != 0});
          });
    return out;
}

std::vector<HistoryRow> RunDb::history(std::int64_t point, const std::string& name) {
    std::vector<HistoryRow> out;
    query(
        "SELECT time, submit_num, event, state, detail FROM task_events WHERE point = ?1 AND "
        "name = ?2 ORDER BY id",
        [&](sqlite3_stmt* s) {
            sqlite3_bind_int64(s, 1, point);
            sqlite3_bind_text(s, 2, name.c_str(), -1, SQLITE_TRANSIENT);
        },
        [&](sqlite3_stmt* s) {
            out.push_back(
                {text(s, 0), text(s, 2), text(s, 3), text(s, 4), sqlite3_column_int(s, 1)});
        });
    return out;
}

}  // namespace tock::store
